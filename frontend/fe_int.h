/*
 * fe_int.h - internals shared by the frontend's files.
 *
 *   onnx.c    fe_load_onnx: file, protobuf, opset, initializers, inputs,
 *             topological order, outputs; the import context and helpers
 *   nodes.c   one importer per ONNX operator
 *   tensor.c  TensorProto decoding (inline and external data) and the
 *             fe_tensor_* file functions
 *
 * Everything allocated while importing comes from the graph's arena, so an
 * error or an out-of-memory longjmp releases it all with ir_graph_free().
 * The few malloc'd things (the file buffer, the unpacked protobuf) hang off
 * the context and are freed by fe_load_onnx on every path.
 */
#ifndef RESC_FE_INT_H
#define RESC_FE_INT_H

#include "frontend.h"
#include "onnx/onnx.pb-c.h"

typedef long long ll;

/* malloc/calloc/strdup that fault injection (ir_fault_alloc) can fail */
#include <stdlib.h>
#include <string.h>
static inline void *
fe_malloc(size_t n)
{
	return ir_fault_alloc() ? NULL : malloc(n);
}
static inline void *
fe_calloc(size_t n, size_t size)
{
	return ir_fault_alloc() ? NULL : calloc(n, size);
}
static inline char *
fe_strdup(const char *s)
{
	return ir_fault_alloc() ? NULL : strdup(s);
}

/* ---- a string-keyed hash map in the graph's arena ------------------------ */

typedef struct fe_map {
	const char **keys;      /* NULL: empty slot */
	void **vals;
	size_t cap;             /* a power of two, never full */
	size_t n;
} fe_map;

void fe_map_init(ir_graph *g, fe_map *m, size_t max_entries);
void *fe_map_get(const fe_map *m, const char *key);
/* Inserts or replaces; key must outlive the map. */
void fe_map_put(fe_map *m, const char *key, void *val);

/* ---- the import context -------------------------------------------------- */

typedef struct fe_ctx {
	ir_graph *g;
	ir_err *e;
	const fe_options *o;
	int64_t batch, max_nodes, max_tensor_bytes, max_model_bytes;

	char *dir;                  /* realpath of the model's folder (malloc'd) */
	unsigned char *buf;         /* file contents while parsing (malloc'd) */
	Onnx__ModelProto *model;    /* unpacked (protobuf-c, malloc'd) */
	bool pb_oom;                /* set by the protobuf allocator on failure */
	int64_t opset;              /* default-domain opset */

	fe_map values;              /* ONNX value name -> ir_value * */
	fe_map used;                /* names read by a node or a graph output */
	fe_map inits;               /* every initializer's name */
	fe_map given;               /* float graph input name -> fe_tensor * given for it */

	/* the node being imported, for messages; node == NULL outside nodes */
	const Onnx__NodeProto *node;
	int64_t node_index;
	const char *loc;            /* node name, or "<op_type>_<index>" */
} fe_ctx;

/* Error with the node prefix when inside a node:
 *   node 12 "/layer1/Conv" (Conv): <message>
 * Returns -1. */
int fe_err(fe_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A name made safe for a one-line message (control characters escaped,
 * long names shortened); arena memory. */
const char *fe_q(fe_ctx *c, const char *s);

/* The node's name for messages and op->loc. */
const char *fe_node_loc(fe_ctx *c, const Onnx__NodeProto *n, int64_t index);

/* ---- node inputs, outputs, attributes ------------------------------------ */

/* Input i of the current node, or NULL when absent (past the end or ""). */
ir_value *fe_in(fe_ctx *c, const Onnx__NodeProto *n, size_t i);
/* A required input; error naming it when absent. */
int fe_in_req(fe_ctx *c, const Onnx__NodeProto *n, size_t i, const char *what, ir_value **v);
/* Defines output i (ignored when the node has no such output or it is ""). */
void fe_out(fe_ctx *c, const Onnx__NodeProto *n, size_t i, ir_value *v);
/* Whether output i is read by any node or graph output. */
bool fe_out_used(fe_ctx *c, const Onnx__NodeProto *n, size_t i);

const Onnx__AttributeProto *fe_attr(const Onnx__NodeProto *n, const char *name);
/* Getters: the default when absent, an error when of the wrong type. */
int fe_attr_int(fe_ctx *c, const Onnx__NodeProto *n, const char *name, int64_t dflt, int64_t *v);
int fe_attr_float(fe_ctx *c, const Onnx__NodeProto *n, const char *name, float dflt, float *v);
/* String attribute as a NUL-terminated arena copy. */
int fe_attr_string(fe_ctx *c, const Onnx__NodeProto *n, const char *name, const char *dflt, const char **v);
/* Lists: *present says whether given; at most maxn entries. */
int fe_attr_ints(fe_ctx *c, const Onnx__NodeProto *n, const char *name, int maxn,
                 const int64_t **v, int *len, bool *present);
int fe_attr_floats(fe_ctx *c, const Onnx__NodeProto *n, const char *name, int maxn,
                   const float **v, int *len, bool *present);

/* A constant integer operand (i32 or i64, rank 0 or 1) as int64s; error
 * "<what> input must be constant" otherwise.  At most maxn values. */
int fe_const_ints(fe_ctx *c, ir_value *v, const char *what, int maxn, int64_t **vals, int *len);
/* A constant float operand (f32 or f64) with at most maxn values. */
int fe_const_floats(fe_ctx *c, ir_value *v, const char *what, int maxn, float **vals, int *len);
/* A constant scalar (one element of any dtype) as a double. */
int fe_const_scalar(fe_ctx *c, ir_value *v, const char *what, double *out);

static inline bool
fe_is_const(const ir_value *v)
{
	return v && v->is_const && v->data;
}

/* ---- ops ------------------------------------------------------------------ */

/* A new op for the current node (loc set, not yet in the graph). */
ir_op *fe_op(fe_ctx *c, ir_opkind k, ir_value *const *operands, int n, int nres);
/*
 * Finishes a new op: ir_op_infer, the tensor size limit, then either folds
 * it into constants with the interpreter (every operand constant) or appends
 * it to the graph.  Afterwards op->results[i] are the values to use.
 */
int fe_emit(fe_ctx *c, ir_op *op);
/* Sets result 0's type (for ops whose shape the creator decides). */
void fe_set_type(ir_op *op, int r, ir_dtype t, int rank, const int64_t *dims);
/* x reshaped to dims (no op when the shape is unchanged). */
int fe_reshape(fe_ctx *c, ir_value *x, int rank, const int64_t *dims, ir_value **out);

/* Imports the current node (nodes.c). */
int fe_import_node(fe_ctx *c, const Onnx__NodeProto *n);
/* Whether the op type is known (for early checks); the table lives in nodes.c. */
bool fe_op_supported(const char *op_type);

/* ---- tensors (tensor.c) ----------------------------------------------------- */

typedef struct fe_dense {
	ir_dtype t;
	int rank;
	int64_t dims[IR_MAX_DIMS];
	void *data;     /* nbytes, from the allocator */
	size_t nbytes;
} fe_dense;

typedef void *(*fe_alloc_fn)(void *actx, size_t n);

/*
 * Decodes a TensorProto into dense row-major data.  what names the tensor in
 * messages ("initializer 'w'").  External data is read relative to dir (a
 * realpath; NULL forbids external data).  alloc returns NULL on failure.
 */
int fe_decode_tensor(const Onnx__TensorProto *t, const char *what, const char *dir,
                     int64_t max_bytes, fe_alloc_fn alloc, void *actx, fe_dense *out, ir_err *e);

/* ONNX TensorProto.DataType to ir_dtype; -1 if unsupported.  *name is the
 * ONNX name for messages ("float16"). */
int fe_onnx_dtype(int64_t dt, const char **name);
int fe_ir_to_onnx_dtype(ir_dtype t);

/*
 * Checks that a protobuf message nests at most FE_PB_MAX_DEPTH deep and is
 * structurally well formed, so that protobuf-c's recursive parser cannot
 * overflow the stack on a hostile file.  0, or -1 with a message.
 */
#define FE_PB_MAX_DEPTH 64
int fe_pb_check(const uint8_t *p, size_t n, const ProtobufCMessageDescriptor *d, ir_err *e);

/* Reads a whole regular file of at most max bytes (malloc'd, *n bytes). */
int fe_read_file(const char *path, int64_t max, unsigned char **buf, size_t *n, ir_err *e);

#endif
