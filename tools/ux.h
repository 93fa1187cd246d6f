/*
 * ux.h - the people's side of the resc driver (tools/ux.c):
 *
 *   progress on a terminal      ux_progress*
 *   Graphviz DOT of a graph     ux_write_dot      (resc compile --emit dot)
 *   per-layer profile           ux_bench          (resc bench)
 *   one-page HTML report        ux_report         (resc report)
 *   --input-shape parsing       ux_parse_shape
 *
 * tools/resc.c parses the options (its tables), loads and optimises the
 * model as `resc compile` does, and calls these; they call back into
 * resc.c only for fail() and load_native().
 */
#ifndef RESC_UX_H
#define RESC_UX_H

#include "backend.h"
#include "frontend.h"
#include "ir.h"

#include <stdbool.h>
#include <stdio.h>

/* from tools/resc.c */
_Noreturn void fail(const char *file, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* g compiled with bo into a temporary shared object, dlopen'ed (fails on error) */
void *load_native(ir_graph *g, const be_options *bo, const char *model);

/*
 * Progress on stderr ("resc: lowering op 120/176"), redrawn in place; only
 * when enabled and stderr is a terminal.  ux_progress_done clears the line
 * (call it before printing anything else).
 */
void ux_progress_enable(bool on);
bool ux_progress_on(void);
void ux_progress(const char *stage, int i, int n);
void ux_progress_done(void);

/* "NAME=1x3x320x320" -> *out (name points into spec); 0, or -1 with a message. */
int ux_parse_shape(const char *spec, fe_input_shape *out, char *err, size_t nerr);

/* The model's name for titles: "resnet50/model.onnx" for DIR/resnet50/model.onnx. */
void ux_model_name(const char *path, char *buf, size_t n);

/* "1x3x224x224" */
void ux_shape_str(const ir_value *v, char *buf, size_t n);

/* A one-line description of an op, fused parts included: "conv 3x3 /s1 +bias +residual relu". */
void ux_op_label(const ir_op *op, char *buf, size_t n);

/* s as a JSON string, quotes included (NULL: ""). */
void ux_json_str(FILE *f, const char *s);

/* Writes g as Graphviz DOT: one node per op, shapes on the edges. */
void ux_write_dot(FILE *f, const ir_graph *g, const char *title);

/* What resc.c hands to bench and report. */
typedef struct ux_job {
	const char *model;          /* path, for messages */
	ir_graph *g;                /* after the pass pipeline */
	const fe_info *info;        /* the ONNX op histogram */
	ir_stats imported;          /* statistics of the imported graph */
	const char *pipeline;
	be_options bo;              /* native code options (name, -O, target) */
	const char *out;            /* report: the HTML file */
	int threads;                /* 0: the runtime's default */
	int iters;                  /* timed runs; 0: default */
	bool profile;
	bool quiet;
	bool json;                  /* bench: one JSON object instead of the table */
} ux_job;

int ux_bench(ux_job *j);
int ux_report(ux_job *j);

#endif
