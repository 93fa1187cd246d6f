/*
 * backend.h - IR to native code through LLVM 19.
 *
 * be_compile() lowers every op of a graph to a call of a C kernel (see
 * be_lower.h), builds one LLVM module around those calls with the weights
 * as read-only constants, links in the kernels' bitcode (compiled with
 * clang at build time and embedded in resc), optimises the whole module so
 * that LLVM specialises each kernel for its call site, and emits an object
 * file, assembly or LLVM IR.  be_write_header() writes the matching C
 * header.  The generated API is documented in docs/api.md:
 *
 *     size_t NAME_workspace_size(void);
 *     int    NAME_run(const float *const *inputs, float *const *outputs, void *workspace);
 */
#ifndef RESC_BACKEND_H
#define RESC_BACKEND_H

#include "ir.h"

typedef enum be_emit {
	BE_EMIT_OBJ,
	BE_EMIT_ASM,
	BE_EMIT_LLVM,   /* textual LLVM IR after optimisation */
} be_emit;

typedef struct be_options {
	const char *name;       /* C prefix of the generated API, a C identifier */
	const char *triple;     /* NULL: the host's */
	const char *cpu;        /* NULL or "native": the host CPU (only for the host triple) */
	const char *features;   /* extra target features, may be NULL */
	int opt_level;          /* 0..3 */
	be_emit emit;
	bool pic;               /* position-independent code (for shared objects) */
	/* for the tools (resc bench --profile, progress on a terminal) */
	bool profile;           /* call resc_rt_profile_begin/end(op index) around each op */
	void (*progress)(const char *stage, int i, int n); /* stage reports, or NULL */
} be_options;

/* Checks that name is a usable C identifier prefix. */
bool be_valid_name(const char *name);

/* Compiles g and writes the result to path (atomically).  0 or -1. */
int be_compile(ir_graph *g, const be_options *o, const char *path, ir_err *e);

/* Writes the C header for the generated API (atomically).  0 or -1. */
int be_write_header(ir_graph *g, const be_options *o, const char *path, ir_err *e);

/* The host's target triple, for messages and defaults (static storage). */
const char *be_host_triple(void);

#endif
