/*
 * ir.h - resc's SSA intermediate representation.
 *
 * A graph is a doubly linked list of ops in topological order, plus the
 * graph inputs, the constants and the graph outputs.  Every value is defined
 * exactly once: by an op (def != NULL), as a graph input (is_input) or as a
 * constant (is_const).  Every value has a dtype and a static shape.
 *
 * Memory: a graph owns an arena.  Values, ops, attributes, names and constant
 * data are allocated from it and freed all at once by ir_graph_free().
 * ir_alloc() never returns NULL: when memory runs out it longjmps to the
 * graph's out-of-memory handler if one is installed (IR_TRY below), and
 * aborts otherwise.  So library code never checks allocation results, and
 * tools turn OOM into a clean one-line error.
 *
 * Errors: functions that can fail on user input return 0 on success and -1
 * on failure, writing a one-line message (no "resc: error:" prefix, no file
 * name, no newline) into a caller-provided ir_err.
 *
 * The op table is ir/ops.def; semantics and attributes are in docs/ir.md.
 */
#ifndef RESC_IR_H
#define RESC_IR_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IR_MAX_DIMS 8
#define IR_SE_MAX_HIDDEN 1024 /* hidden units of an se_gate (the kernels keep them on the stack) */
#define IR_FC_MAX_CHANNELS 8192 /* input channels of an fc (likewise) */
#define IR_SE_MAX_RADIX 64 /* radix of an se_gate (likewise) */
#define IR_SE_MAX_CHANNELS 8192 /* channels of an se_gate (likewise: their means) */

/* A one-line error message. */
typedef struct ir_err {
	char msg[512];
} ir_err;

/* printf into an ir_err; returns -1 so callers can `return ir_errf(...)`. */
int ir_errf(ir_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Internal invariant failure: prints "resc: internal error: ..." and aborts. */
_Noreturn void ir_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* ---- dtypes ------------------------------------------------------------ */

#define IR_DTYPES(X) \
	X(F32, "f32", 4) \
	X(F64, "f64", 8) \
	X(I8, "i8", 1) \
	X(U8, "u8", 1) \
	X(I32, "i32", 4) \
	X(I64, "i64", 8) \
	X(BOOL, "bool", 1)

typedef enum ir_dtype {
#define X(e, s, n) IR_##e,
	IR_DTYPES(X)
#undef X
	IR_NDTYPES
} ir_dtype;

const char *ir_dtype_name(ir_dtype t);
size_t ir_dtype_size(ir_dtype t);
/* Returns -1 when the name is unknown. */
int ir_dtype_from_name(const char *s, size_t len);

/* ---- op kinds ----------------------------------------------------------- */

enum { F_ELEM = 1, F_UNARY = 2, F_MOVE = 4 };

typedef enum ir_opkind {
#define OP(e, name, mini, maxi, nres, flags) IR_OP_##e,
#include "ops.def"
#undef OP
	IR_NOPKINDS
} ir_opkind;

typedef struct ir_opinfo {
	const char *name;
	int min_operands, max_operands; /* max -1: unbounded */
	int nresults;                   /* -1: one or more */
	unsigned flags;
} ir_opinfo;

extern const ir_opinfo ir_opinfos[IR_NOPKINDS];
/* Returns -1 when the name is unknown. */
int ir_opkind_from_name(const char *s, size_t len);

/* ---- attributes --------------------------------------------------------- */

typedef enum ir_attrkind {
	IR_ATTR_INT,
	IR_ATTR_FLOAT,
	IR_ATTR_INTS,
	IR_ATTR_FLOATS,
	IR_ATTR_STRING,
} ir_attrkind;

typedef struct ir_attr {
	const char *name;
	ir_attrkind kind;
	int64_t i;       /* IR_ATTR_INT */
	float f;         /* IR_ATTR_FLOAT */
	int64_t *ints;   /* IR_ATTR_INTS, n entries */
	float *floats;   /* IR_ATTR_FLOATS, n entries */
	int n;
	const char *s;   /* IR_ATTR_STRING, NUL-terminated */
} ir_attr;

/* ---- values and ops ----------------------------------------------------- */

typedef struct ir_op ir_op;

typedef enum ir_layout {
	IR_LAYOUT_PLAIN = 0, /* dense row-major, as in ONNX */
	IR_LAYOUT_NCHWC,     /* blocked NCHW[block]c; see value->block */
} ir_layout;

typedef struct ir_value {
	int id;                 /* unique in the graph, in creation order */
	const char *name;       /* source name (ONNX), may be NULL; not printed as SSA name */
	ir_dtype dtype;
	int rank;
	int64_t dims[IR_MAX_DIMS];
	ir_layout layout;
	int block;              /* channel block for IR_LAYOUT_NCHWC */

	ir_op *def;             /* defining op, NULL for inputs and constants */
	int def_index;          /* which result of def */
	bool is_input, is_const;

	/* constants */
	void *data;             /* ir_value_nbytes() bytes, or NULL when elided and unavailable */
	uint64_t hash;          /* content hash of data (ir_hash_bytes), set for every constant */

	/* use information, valid after ir_graph_compute_uses() */
	int nuses;              /* operand slots that read this value (+1 per graph output) */
	ir_op **users;          /* nusers distinct ops, NULL-terminated */

	/* memory plan (passes/plan_memory.c): byte offset in the workspace, or
	 * -1 (no plan, or not in the workspace: inputs, outputs, constants) */
	int64_t mem_offset;

	/* scratch for passes and the printer; never relied on across calls */
	int64_t aux;
} ir_value;

struct ir_op {
	ir_opkind kind;
	int id;                 /* unique in the graph, in creation order */
	ir_value **operands;    /* noperands entries; NULL for an absent optional operand */
	int noperands;
	ir_value **results;
	int nresults;
	ir_attr *attrs;         /* nattrs entries, sorted by name */
	int nattrs;
	const char *loc;        /* source node name for diagnostics, may be NULL */
	ir_op *prev, *next;
};

typedef struct ir_arena ir_arena;

typedef struct ir_graph {
	const char *name;
	ir_arena *arena;

	ir_value **inputs;  int ninputs, capinputs;
	const char **input_names;   /* as in the source model */
	ir_value **outputs; int noutputs, capoutputs;
	const char **output_names;
	ir_value **consts;  int nconsts, capconsts;

	ir_op *first, *last;
	int nops;
	int next_value_id, next_op_id;

	/* the memory plan's workspace size in bytes (the plan-memory pass, or
	 * `workspace N` in the text), -1 when the graph has no plan; the
	 * offsets are the values' mem_offset */
	int64_t workspace;

	jmp_buf *oom;       /* where ir_alloc longjmps on out-of-memory, or NULL */
} ir_graph;

/* ---- the memory plan ----------------------------------------------------- */

/*
 * The operand whose buffer result 0 may take in the memory plan (in-place
 * reuse), or -1.  A promise of the kernels (backend/kernels; test_kernels
 * runs every such op in place): the op reads each element of that operand
 * only before writing the same element of its result, and nowhere else.
 * The residual of a conv (operand 3), the input of a scale_shift or a
 * unary elementwise op (operand 0), operand 0 or 1 of a binary/n-ary
 * elementwise op or a sigmoid_mul: when of the result's type and layout
 * and not also another operand of the op (which would then be read after
 * it was overwritten).
 */
int ir_inplace_operand(const ir_op *op);

/* Is v one of g's outputs? */
bool ir_is_output(const ir_graph *g, const ir_value *v);

/* An elementwise op (unary, binary, n-ary, sigmoid_mul) whose operands all
 * have its result's type: it maps element i to element i, so it runs the
 * same on any layout its operands and result share (passes/layout.c). */
bool ir_same_shape_eltwise(const ir_op *op);

/* Drops the plan: workspace and every mem_offset -1. */
void ir_plan_clear(ir_graph *g);

/* ---- graph construction ------------------------------------------------- */

/* Creates an empty graph.  Returns NULL only when malloc fails. */
ir_graph *ir_graph_new(const char *name);
void ir_graph_free(ir_graph *g);

/* Arena allocation; zeroed memory; never returns NULL (see top of file). */
void *ir_alloc(ir_graph *g, size_t n);
char *ir_strdup(ir_graph *g, const char *s);
char *ir_strndup(ir_graph *g, const char *s, size_t n);

/* Multiplication with overflow check for element and byte counts. */
bool ir_mul_overflows(int64_t a, int64_t b, int64_t *out);

/* A detached value of the given type (no definer yet). */
ir_value *ir_value_new(ir_graph *g, ir_dtype t, int rank, const int64_t *dims);
int64_t ir_value_numel(const ir_value *v);
size_t ir_value_nbytes(const ir_value *v);
bool ir_value_same_type(const ir_value *a, const ir_value *b);

ir_value *ir_graph_add_input(ir_graph *g, const char *name, ir_dtype t,
                             int rank, const int64_t *dims);
void ir_graph_add_output(ir_graph *g, ir_value *v, const char *name);

/*
 * A constant.  data is copied into the arena when copy is true, else adopted
 * (must be arena memory of g or static).  data may be NULL for an elided
 * constant whose bytes are not available; then hash must be given.
 */
ir_value *ir_graph_add_const(ir_graph *g, const char *name, ir_dtype t,
                             int rank, const int64_t *dims,
                             const void *data, bool copy, uint64_t hash);

/*
 * Creates an op with its operands and nres fresh results (types unset:
 * callers fill dtype/rank/dims of op->results[i]).  The op is not yet in the
 * list: insert it with ir_op_append / ir_op_insert_before.
 */
ir_op *ir_op_new(ir_graph *g, ir_opkind k, ir_value *const *operands,
                 int noperands, int nres);
void ir_op_append(ir_graph *g, ir_op *op);
void ir_op_insert_before(ir_graph *g, ir_op *op, ir_op *before);
/* Unlinks op; its results must be unused. */
void ir_op_remove(ir_graph *g, ir_op *op);

/* Replaces every use of from (operands and graph outputs) by to. */
void ir_value_replace_uses(ir_graph *g, ir_value *from, ir_value *to);

/* Recomputes nuses/users of every value. */
void ir_graph_compute_uses(ir_graph *g);
/* Drops constants with no use (call after ir_graph_compute_uses). */
void ir_graph_drop_unused_consts(ir_graph *g);

/* Attributes (set replaces an existing one of the same name). */
void ir_op_set_int(ir_graph *g, ir_op *op, const char *name, int64_t v);
void ir_op_set_float(ir_graph *g, ir_op *op, const char *name, float v);
void ir_op_set_ints(ir_graph *g, ir_op *op, const char *name, const int64_t *v, int n);
void ir_op_set_floats(ir_graph *g, ir_op *op, const char *name, const float *v, int n);
void ir_op_set_string(ir_graph *g, ir_op *op, const char *name, const char *s);
const ir_attr *ir_op_attr(const ir_op *op, const char *name);
/* Getters with a default when absent (or of the wrong kind). */
int64_t ir_op_int(const ir_op *op, const char *name, int64_t dflt);
float ir_op_float(const ir_op *op, const char *name, float dflt);
const char *ir_op_string(const ir_op *op, const char *name, const char *dflt);
/* Returns the list and its length in *n, or NULL and *n = 0 when absent. */
const int64_t *ir_op_ints(const ir_op *op, const char *name, int *n);
const float *ir_op_floats(const ir_op *op, const char *name, int *n);

/* 64-bit content hash (FNV-1a over 8-byte words) used for constants. */
uint64_t ir_hash_bytes(const void *p, size_t n);

/* ---- checking, text, execution ----------------------------------------- */

/*
 * Structural and type checks (ir/verify.c), and the memory plan's: without
 * a plan no value has an offset; with one, every op result that is not a
 * graph output has a 64-byte aligned offset inside the workspace (its size
 * rounded up to 64 bytes), inputs, outputs and constants have none, and no
 * two values live at the same time (from their op to their last reader)
 * share a byte, unless one is the in-place result of the other
 * (ir_inplace_operand, at the operand's last reader, at the same offset).
 * 0 or -1 with a message.
 */
int ir_graph_verify(ir_graph *g, ir_err *e);

/*
 * Shape inference for one op whose operand types are known: sets the
 * results' dtype/rank/dims from the operands and attributes, and checks
 * legality (ir/shape.c).  The frontend uses it while importing; the verifier
 * uses it to check every op.
 */
int ir_op_infer(ir_graph *g, ir_op *op, ir_err *e);

/* Text form (ir/print.c, ir/parse.c; docs/ir.md). */
typedef struct ir_print_opts {
	bool print_constants;   /* write every constant's data instead of eliding big ones */
	int elide_above;        /* elide constants with more elements than this (default 16 when 0) */
} ir_print_opts;
void ir_graph_print(FILE *f, ir_graph *g, const ir_print_opts *o);

/* A store of constant data keyed by content hash, for elided constants. */
int ir_consts_write(const char *path, ir_graph *g, ir_err *e);
/*
 * Reads a store (untrusted: sizes and hashes are checked) and gives every
 * constant of g without data the bytes stored under its hash, when their
 * size matches.  Constants the store lacks stay elided; that is no error.
 */
int ir_consts_load(ir_graph *g, const char *path, ir_err *e);

/*
 * Parses the text form.  name is used in messages only ("line N: ...").
 * consts_path may be NULL; when given, elided constants take their data from
 * that store (written by ir_consts_write).
 */
int ir_graph_parse(const char *text, size_t len, const char *consts_path,
                   ir_graph **out, ir_err *e);

/* Reference interpreter (ir/interp.c): plain loops, the oracle for everything. */
/* Evaluates one op; in/out are dense row-major buffers of the op's types. */
int ir_interp_op(const ir_op *op, const void *const *in, void *const *out, ir_err *e);
/*
 * Runs the graph.  inputs[i] holds ir_value_nbytes(g->inputs[i]) bytes,
 * outputs[i] receives ir_value_nbytes(g->outputs[i]).
 */
int ir_interp_run(ir_graph *g, const void *const *inputs, void *const *outputs, ir_err *e);

/* ---- statistics (ir/stats.c) --------------------------------------------- */

/* Multiply-accumulates one execution of op performs (conv, gemm, matmul; 0 otherwise). */
int64_t ir_op_macs(const ir_op *op);

typedef struct ir_stats {
	int64_t macs;           /* sum of ir_op_macs */
	int64_t params;         /* elements of float constants */
	int64_t weights_bytes;  /* bytes of all constants */
	int op_counts[IR_NOPKINDS];
	int nops;
} ir_stats;
void ir_graph_stats(const ir_graph *g, ir_stats *s);

/* ---- out-of-memory handling for tools ---------------------------------- */

/*
 * To turn out-of-memory into an error instead of abort():
 *     jmp_buf jb;
 *     g->oom = &jb;
 *     if (setjmp(jb) != 0) { ...report "out of memory", ir_graph_free(g)... }
 * ir_alloc() then longjmps there.  Everything allocated from the graph is
 * released by ir_graph_free(), so nothing leaks.
 */

/*
 * Out of memory: jumps to g->oom; without one (or without g) calls
 * ir_oom_hook, which must not return (a tool's "print one line and exit");
 * without that prints a line and aborts.
 */
_Noreturn void ir_oom(ir_graph *g);
extern void (*ir_oom_hook)(void);

/*
 * Fault injection for tests: ir_fault_set(N) makes the Nth counted
 * allocation from now fail (0: none; the count restarts).  Arena allocations
 * count, and so does every other site that asks ir_fault_alloc() first
 * (true: behave as if malloc returned NULL).  ir_fault_count() is how many
 * were counted since ir_fault_set (only counted while N > 0).
 */
extern long ir_fail_alloc_at;
bool ir_fault_alloc(void);
void ir_fault_set(long n);
long ir_fault_count(void);

#endif
