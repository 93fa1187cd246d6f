/*
 * frontend.h - ONNX (protobuf) to resc IR.
 *
 * The frontend is the only layer that knows protobuf-c.  It reads a
 * ModelProto, checks everything it reads (the file is untrusted), imports
 * every node into IR ops with normalised attributes (docs/ir.md), infers
 * static shapes, and folds every op whose operands are all constant
 * (PyTorch's Shape -> Gather -> Unsqueeze -> Concat -> Reshape arithmetic)
 * with the reference interpreter as it goes.
 */
#ifndef RESC_FRONTEND_H
#define RESC_FRONTEND_H

#include "ir.h"

/* A dense tensor read from or written to an ONNX TensorProto file. */
typedef struct fe_tensor {
	char *name;         /* malloc'd, may be NULL */
	ir_dtype dtype;
	int rank;
	int64_t dims[IR_MAX_DIMS];
	void *data;         /* malloc'd, nbytes */
	size_t nbytes;
} fe_tensor;

/* Reads a serialized TensorProto.  On error *t is left empty. */
int fe_tensor_read(const char *path, fe_tensor *t, ir_err *e);
/* Writes a serialized TensorProto (raw_data form), atomically. */
int fe_tensor_write(const char *path, const fe_tensor *t, ir_err *e);
void fe_tensor_free(fe_tensor *t);

/* Histogram of the source model's op types (for `resc inspect`). */
typedef struct fe_info {
	int ntypes;
	char **types;       /* "Conv", "com.microsoft.Foo", ...; malloc'd */
	int *counts;
	int64_t opset;      /* default-domain opset */
	int64_t nnodes;
	char *producer;     /* "pytorch 1.13.0", may be NULL */
	int ninputs;        /* the model's graph inputs that are not initializers, */
	char **input_names; /* in order (before any are frozen by input_values)    */
} fe_info;
void fe_info_free(fe_info *info);

typedef struct fe_input_shape {
	const char *name;
	int rank;
	int64_t dims[IR_MAX_DIMS];
} fe_input_shape;

#define FE_DEFAULT_MAX_NODES        100000
#define FE_DEFAULT_MAX_TENSOR_BYTES ((int64_t)2 << 30)
#define FE_DEFAULT_MAX_MODEL_BYTES  ((int64_t)2 << 30)

typedef struct fe_options {
	int batch;                  /* value for axis 0 of the inputs (symbolic or fixed); symbolic: 1 when 0 */
	/*
	 * Shapes for named graph inputs (--input-shape NAME=1x3x320x320): each
	 * replaces that input's declared shape (fixed or symbolic dims); every
	 * other shape is inferred from it.  A name that is no graph input is an
	 * error.  Declared graph-output shapes are then not checked.
	 */
	const struct fe_input_shape *input_shapes;
	int ninput_shapes;
	/*
	 * Optional concrete values for the graph inputs, in graph-input order
	 * (ninput_values may be smaller than the input count).  Inputs of
	 * integer dtype given here become constants (an ahead-of-time compiler
	 * specialises on them: ONNX node tests pass Reshape's shape this way);
	 * float inputs given here fix their symbolic dims from the tensor shape.
	 */
	const fe_tensor *input_values;
	int ninput_values;
	/*
	 * Limits on what an untrusted model may ask for (0: the default).  The
	 * defaults admit every zoo model (the largest, resnext101_32x8d, has a
	 * 339 MB file; wide_resnet101_2 would be about 510 MB) with room to
	 * spare, and turn absurd sizes into errors instead of allocations:
	 *   max_nodes         nodes in the graph (FE_DEFAULT_MAX_NODES)
	 *   max_tensor_bytes  any initializer, input, constant or intermediate
	 *                     result, batch included (FE_DEFAULT_MAX_TENSOR_BYTES)
	 *   max_model_bytes   the .onnx file (FE_DEFAULT_MAX_MODEL_BYTES; protobuf
	 *                     itself cannot go past 2 GiB; external data files are
	 *                     checked per tensor against max_tensor_bytes)
	 */
	int64_t max_nodes;
	int64_t max_tensor_bytes;
	int64_t max_model_bytes;
	fe_info *info;              /* filled when non-NULL */
} fe_options;

/*
 * Loads an ONNX model.  On success *out is a verified graph (free with
 * ir_graph_free); on failure *out is NULL and e holds one line naming the
 * node and op where there is one, e.g.
 *   node 12 "/layer1/Conv" (Conv): group 3 does not divide 64 input channels
 */
int fe_load_onnx(const char *path, const fe_options *o, ir_graph **out, ir_err *e);

#endif
