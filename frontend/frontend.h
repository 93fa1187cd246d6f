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

typedef struct fe_options {
	int batch;                  /* value for symbolic (dynamic) dims on axis 0; 1 when 0 */
	/*
	 * Optional concrete values for the graph inputs, in graph-input order
	 * (ninput_values may be smaller than the input count).  Inputs of
	 * integer dtype given here become constants (an ahead-of-time compiler
	 * specialises on them: ONNX node tests pass Reshape's shape this way);
	 * float inputs given here fix their symbolic dims from the tensor shape.
	 */
	const fe_tensor *input_values;
	int ninput_values;
	int64_t max_nodes;          /* 0: default 1,000,000 */
	int64_t max_tensor_bytes;   /* 0: default 4 GiB */
	int64_t max_model_bytes;    /* 0: default 8 GiB */
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
