/*
 * passes.h - graph passes and the pass manager.
 *
 * A pass is a function that rewrites a graph in place.  Passes have names
 * and live in one table (passes.c); a pipeline is a list of names.  The
 * pass manager can print the IR before or after chosen passes, skip passes,
 * stop early, verify after each pass, and check numerics: run the reference
 * interpreter on the same random inputs before and after each pass and
 * report the largest difference (translation validation).
 */
#ifndef RESC_PASSES_H
#define RESC_PASSES_H

#include "ir.h"

typedef struct pass_options {
	int opt_level;              /* 0..3 */
} pass_options;

/* Returns 0, or -1 with a message (the graph is then not to be used). */
typedef int (*pass_fn)(ir_graph *g, const pass_options *o, ir_err *e);

typedef struct pass_info {
	const char *name;
	pass_fn fn;
	const char *summary;
} pass_info;

extern const pass_info pass_table[];   /* ends with a {NULL} entry */
const pass_info *pass_find(const char *name);

typedef struct pass_manager {
	pass_options opts;
	bool verify_each;
	bool print_after_all;
	const char *print_after;    /* comma-separated pass names, may be NULL */
	const char *print_before;
	const char *disable;        /* comma-separated pass names to skip */
	const char *stop_after;
	bool check_numerics;
	double numerics_tol;        /* relative to max |reference|; 0: 1e-4 */
	FILE *dump;                 /* where IR dumps go (stderr when NULL) */
	bool quiet;
} pass_manager;

/* The default pipeline for an optimisation level, as a comma-separated list. */
const char *pass_default_pipeline(int opt_level);

/*
 * Runs a comma-separated list of passes.  Unknown names are an error before
 * anything runs.  With check_numerics, a drift beyond the tolerance is an
 * error naming the first pass that caused it.
 */
int pass_run_pipeline(ir_graph *g, const char *pipeline, const pass_manager *pm, ir_err *e);

/* The passes themselves (one file each). */
int pass_canonicalize(ir_graph *g, const pass_options *o, ir_err *e);
int pass_dce(ir_graph *g, const pass_options *o, ir_err *e);
int pass_const_fold(ir_graph *g, const pass_options *o, ir_err *e);
int pass_fold_batchnorm(ir_graph *g, const pass_options *o, ir_err *e);
/*
 * Program order, for passes that give an op an operand defined elsewhere:
 * pass_number_ops stores each op's index in its results' aux, pass_pos
 * reads it (-1 for inputs and constants, which come before every op).
 */
void pass_number_ops(ir_graph *g);
static inline int64_t
pass_pos(const ir_value *v)
{
	return v->def ? v->aux : -1;
}

int pass_fuse_epilogue(ir_graph *g, const pass_options *o, ir_err *e);
int pass_fuse_preact(ir_graph *g, const pass_options *o, ir_err *e);
int pass_fuse_se_mean(ir_graph *g, const pass_options *o, ir_err *e);
int pass_fuse_se_gate(ir_graph *g, const pass_options *o, ir_err *e);
int pass_fuse_attention(ir_graph *g, const pass_options *o, ir_err *e);
int pass_fuse_pool_fc(ir_graph *g, const pass_options *o, ir_err *e);
int pass_subsample_conv(ir_graph *g, const pass_options *o, ir_err *e);
int pass_lower_grouped_conv(ir_graph *g, const pass_options *o, ir_err *e);
int pass_layout(ir_graph *g, const pass_options *o, ir_err *e);
int pass_plan_memory(ir_graph *g, const pass_options *o, ir_err *e);

/*
 * The memory plan (plan_memory.c, the plan-memory pass): gives every op
 * result that is not a graph output a workspace offset (mem_offset; -1 for
 * inputs, outputs and constants), sets g->workspace to the size in bytes (64-byte
 * aligned) and returns it.  Reports the lower bound (the largest total of
 * simultaneously live intermediates) in *lower_bound when non-NULL.
 */
int64_t plan_memory(ir_graph *g, int64_t *lower_bound);

#endif
