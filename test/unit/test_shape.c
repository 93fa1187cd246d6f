/*
 * test_shape.c - ir_op_infer on every op kind: result types, legality
 * errors, overflow safety, and that a failed inference leaves the results
 * alone.  Prints "N passed, M failed"; exits 0 when nothing failed.
 */
#include "ir.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int npass, nfail;
static ir_graph *G;

static ir_value *
val(ir_dtype t, int rank, ...)
{
	int64_t d[IR_MAX_DIMS];
	va_list ap;
	va_start(ap, rank);
	for (int i = 0; i < rank; i++)
		d[i] = va_arg(ap, int64_t);
	va_end(ap);
	return ir_graph_add_input(G, "x", t, rank, d);
}

#define F(...) val(IR_F32, __VA_ARGS__)
#define D(x) ((int64_t)(x))

static ir_op *
mk(ir_opkind k, int nres, int n, ...)
{
	ir_value *ops[16];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		ops[i] = va_arg(ap, ir_value *);
	va_end(ap);
	return ir_op_new(G, k, ops, n, nres);
}

static void
ints(ir_op *op, const char *name, int n, ...)
{
	int64_t v[16];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		v[i] = va_arg(ap, int64_t);
	va_end(ap);
	ir_op_set_ints(G, op, name, v, n);
}

static void
floats(ir_op *op, const char *name, int n, ...)
{
	float v[16];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		v[i] = (float)va_arg(ap, double);
	va_end(ap);
	ir_op_set_floats(G, op, name, v, n);
}

static void
settype(ir_op *op, int r, ir_dtype t, int rank, ...)
{
	va_list ap;
	ir_value *v = op->results[r];
	va_start(ap, rank);
	v->dtype = t;
	v->rank = rank;
	for (int i = 0; i < rank; i++)
		v->dims[i] = va_arg(ap, int64_t);
	va_end(ap);
}

static const char *
type_str(const ir_value *v)
{
	static char buf[256];
	size_t k = (size_t)snprintf(buf, sizeof buf, "%s[", ir_dtype_name(v->dtype));
	for (int i = 0; i < v->rank; i++)
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%lld", i ? "," : "", (long long)v->dims[i]);
	snprintf(buf + k, sizeof buf - k, "]");
	return buf;
}

/* Expects success and result r to print as want ("f32[1,64,112,112]"). */
static void
ok_r(int line, ir_op *op, int r, const char *want)
{
	ir_err e = {{0}};
	if (ir_op_infer(G, op, &e)) {
		printf("FAIL line %d: unexpected error: %s\n", line, e.msg);
		nfail++;
		return;
	}
	const char *got = type_str(op->results[r]);
	if (strcmp(got, want) != 0) {
		printf("FAIL line %d: got %s, want %s\n", line, got, want);
		nfail++;
		return;
	}
	/* deterministic: a second run gives the same */
	if (ir_op_infer(G, op, &e) || strcmp(type_str(op->results[r]), want) != 0) {
		printf("FAIL line %d: second inference differs\n", line);
		nfail++;
		return;
	}
	npass++;
}

/* Expects an error containing want, with the results unchanged. */
static void
bad(int line, ir_op *op, const char *want)
{
	ir_err e = {{0}};
	ir_value saved[8];
	int nr = op->nresults < 8 ? op->nresults : 8;
	for (int i = 0; i < nr; i++)
		saved[i] = *op->results[i];
	if (ir_op_infer(G, op, &e) == 0) {
		printf("FAIL line %d: expected error '%s', got %s\n", line, want, type_str(op->results[0]));
		nfail++;
		return;
	}
	if (!strstr(e.msg, want)) {
		printf("FAIL line %d: error '%s' does not contain '%s'\n", line, e.msg, want);
		nfail++;
		return;
	}
	if (strchr(e.msg, '\n')) {
		printf("FAIL line %d: multi-line error\n", line);
		nfail++;
		return;
	}
	for (int i = 0; i < nr; i++)
		if (memcmp(&saved[i], op->results[i], sizeof saved[i]) != 0) {
			printf("FAIL line %d: failed inference changed result %d\n", line, i);
			nfail++;
			return;
		}
	npass++;
}

#define OK(op, want) ok_r(__LINE__, op, 0, want)
#define OKR(op, r, want) ok_r(__LINE__, op, r, want)
#define BAD(op, want) bad(__LINE__, op, want)

static ir_op *
conv(ir_value *x, ir_value *w, ir_value *b, int64_t s, int64_t p, int64_t d, int64_t g)
{
	ir_op *op = mk(IR_OP_CONV, 1, 3, x, w, b);
	ints(op, "strides", 2, s, s);
	ints(op, "pads", 4, p, p, p, p);
	ints(op, "dilations", 2, d, d);
	ir_op_set_int(G, op, "group", g);
	return op;
}

static ir_op *
pool(ir_opkind k, ir_value *x, int64_t kk, int64_t s, int64_t p, int64_t ceil)
{
	ir_op *op = mk(k, 1, 1, x);
	ints(op, "kernel", 2, kk, kk);
	ints(op, "strides", 2, s, s);
	ints(op, "pads", 4, p, p, p, p);
	ir_op_set_int(G, op, "ceil_mode", ceil);
	if (k == IR_OP_MAXPOOL)
		ints(op, "dilations", 2, D(1), D(1));
	else
		ir_op_set_int(G, op, "count_include_pad", 0);
	return op;
}

static void
test_conv(void)
{
	ir_value *x = F(4, D(1), D(3), D(224), D(224)), *w = F(4, D(64), D(3), D(7), D(7)), *b = F(1, D(64));
	OK(conv(x, w, b, 2, 3, 1, 1), "f32[1,64,112,112]");
	OK(conv(x, w, NULL, 2, 3, 1, 1), "f32[1,64,112,112]");
	BAD(conv(x, w, F(1, D(63)), 2, 3, 1, 1), "bias");

	ir_value *x64 = F(4, D(1), D(64), D(56), D(56));
	BAD(conv(x64, F(4, D(64), D(21), D(3), D(3)), NULL, 1, 1, 1, 3),
	    "conv: group 3 does not divide 64 input channels");
	BAD(conv(x64, F(4, D(64), D(16), D(3), D(3)), NULL, 1, 1, 1, 2), "input channels per group");
	OK(conv(x64, F(4, D(64), D(1), D(3), D(3)), NULL, 1, 1, 1, 64), "f32[1,64,56,56]");
	OK(conv(x64, F(4, D(128), D(2), D(3), D(3)), NULL, 2, 1, 1, 32), "f32[1,128,28,28]");
	BAD(conv(x64, F(4, D(66), D(2), D(3), D(3)), NULL, 1, 1, 1, 32), "does not divide 66 output channels");

	ir_value *x5 = F(4, D(1), D(3), D(5), D(5));
	BAD(conv(x5, F(4, D(8), D(3), D(7), D(7)), NULL, 1, 0, 1, 1),
	    "conv: kernel 7x7 larger than padded input 5x5");
	OK(conv(x5, F(4, D(8), D(3), D(7), D(7)), NULL, 1, 1, 1, 1), "f32[1,8,1,1]");
	OK(conv(F(4, D(1), D(1), D(10), D(10)), F(4, D(1), D(1), D(3), D(3)), NULL, 1, 0, 2, 1), "f32[1,1,6,6]");
	BAD(conv(x5, F(4, D(8), D(3), D(3), D(3)), NULL, 0, 0, 1, 1), "strides must be positive");
	BAD(conv(x5, F(4, D(8), D(3), D(3), D(3)), NULL, 1, -1, 1, 1), "pads must be non-negative");
	BAD(conv(x5, F(4, D(8), D(3), D(3), D(3)), NULL, 1, 0, 1, 0), "group must be positive");
	BAD(conv(x5, F(4, D(8), D(3), D(3), D(3)), NULL, 1, 0, (int64_t)1 << 50, 1), "too large");
	BAD(conv(x5, F(4, D(8), D(3), D(3), D(3)), NULL, 1, INT64_MAX, 1, 1), "too large");
	BAD(conv(x5, F(3, D(8), D(3), D(3)), NULL, 1, 0, 1, 1), "rank 4");
	BAD(conv(x5, F(4, D(8), D(3), D(0), D(3)), NULL, 1, 0, 1, 1), "zero dimension");
	BAD(conv(val(IR_I64, 4, D(1), D(3), D(5), D(5)), F(4, D(8), D(3), D(3), D(3)), NULL, 1, 0, 1, 1), "dtype i64");

	ir_op *op = mk(IR_OP_CONV, 1, 3, x5, F(4, D(8), D(3), D(3), D(3)), NULL);
	ints(op, "pads", 4, D(0), D(0), D(0), D(0));
	ints(op, "dilations", 2, D(1), D(1));
	ir_op_set_int(G, op, "group", 1);
	BAD(op, "conv: missing attribute 'strides'");
	ir_op_set_int(G, op, "strides", 1);
	BAD(op, "attribute 'strides' must be a list of ints");
	ints(op, "strides", 3, D(1), D(1), D(1));
	BAD(op, "must have 2 entries");
	ints(op, "strides", 2, D(1), D(1));
	OK(op, "f32[1,8,3,3]");
	BAD(mk(IR_OP_CONV, 1, 1, x5), "takes 2 to 6 operands");
}

static void
test_pool(void)
{
	ir_value *x = F(4, D(1), D(64), D(112), D(112));
	OK(pool(IR_OP_MAXPOOL, x, 3, 2, 1, 0), "f32[1,64,56,56]");
	OK(pool(IR_OP_MAXPOOL, F(4, D(1), D(1), D(5), D(5)), 2, 2, 0, 0), "f32[1,1,2,2]");
	OK(pool(IR_OP_MAXPOOL, F(4, D(1), D(1), D(5), D(5)), 2, 2, 0, 1), "f32[1,1,3,3]");
	/* PyTorch: the last window must start inside the input or left pad */
	OK(pool(IR_OP_MAXPOOL, F(4, D(1), D(1), D(5), D(5)), 2, 2, 1, 1), "f32[1,1,3,3]");
	OK(pool(IR_OP_AVGPOOL, F(4, D(1), D(1), D(6), D(6)), 3, 2, 1, 1), "f32[1,1,4,4]");
	OK(pool(IR_OP_AVGPOOL, F(4, D(2), D(8), D(7), D(7)), 7, 1, 0, 0), "f32[2,8,1,1]");
	BAD(pool(IR_OP_AVGPOOL, F(4, D(1), D(1), D(4), D(4)), 7, 1, 0, 0), "kernel 7x7 larger than padded input 4x4");
	BAD(pool(IR_OP_MAXPOOL, F(4, D(1), D(1), D(8), D(8)), 3, 1, 3, 0), "smaller than the kernel");
	BAD(pool(IR_OP_MAXPOOL, F(4, D(1), D(1), D(8), D(8)), 3, 0, 0, 0), "strides must be positive");
	BAD(pool(IR_OP_MAXPOOL, F(3, D(1), D(8), D(8)), 3, 1, 0, 0), "rank 4");
	ir_op *op = pool(IR_OP_AVGPOOL, F(4, D(1), D(1), D(8), D(8)), 3, 1, 0, 0);
	ir_op_set_int(G, op, "count_include_pad", 2);
	BAD(op, "must be 0 or 1");

	OK(mk(IR_OP_GLOBALAVGPOOL, 1, 1, F(4, D(1), D(2048), D(7), D(7))), "f32[1,2048,1,1]");
	OK(mk(IR_OP_GLOBALAVGPOOL, 1, 1, F(3, D(1), D(8), D(7))), "f32[1,8,1]");
	BAD(mk(IR_OP_GLOBALAVGPOOL, 1, 1, F(2, D(1), D(8))), "rank 3 or more");
}

static void
test_elementwise(void)
{
	OK(mk(IR_OP_ADD, 1, 2, F(2, D(2), D(3)), F(1, D(3))), "f32[2,3]");
	OK(mk(IR_OP_MUL, 1, 2, F(3, D(4), D(1), D(5)), F(2, D(3), D(1))), "f32[4,3,5]");
	OK(mk(IR_OP_SUB, 1, 2, F(0), F(2, D(2), D(2))), "f32[2,2]");
	OK(mk(IR_OP_DIV, 1, 2, val(IR_I64, 1, D(4)), val(IR_I64, 0)), "i64[4]");
	OK(mk(IR_OP_ADD, 1, 2, F(2, D(0), D(3)), F(1, D(1))), "f32[0,3]");
	BAD(mk(IR_OP_ADD, 1, 2, F(2, D(2), D(3)), F(1, D(4))), "add: shapes [2,3] and [4] do not broadcast");
	BAD(mk(IR_OP_ADD, 1, 2, F(1, D(3)), val(IR_I64, 1, D(3))), "dtypes f32 and i64 differ");
	BAD(mk(IR_OP_ADD, 1, 2, val(IR_U8, 1, D(3)), val(IR_U8, 1, D(3))), "dtype u8");
	BAD(mk(IR_OP_ADD, 1, 1, F(1, D(3))), "takes 2 operands");
	OK(mk(IR_OP_SUM, 1, 3, F(1, D(3)), F(2, D(2), D(1)), F(0)), "f32[2,3]");
	OK(mk(IR_OP_MAX, 1, 1, F(1, D(3))), "f32[3]");
	OK(mk(IR_OP_MIN, 1, 2, val(IR_I32, 1, D(3)), val(IR_I32, 1, D(1))), "i32[3]");
	BAD(mk(IR_OP_SUM, 1, 2, val(IR_I64, 1, D(3)), val(IR_I64, 1, D(3))), "expected f32");
	BAD(mk(IR_OP_SUM, 1, 2, F(1, D(3)), NULL), "operand 1 is required");

	OK(mk(IR_OP_RELU, 1, 1, F(2, D(2), D(3))), "f32[2,3]");
	OK(mk(IR_OP_NEG, 1, 1, val(IR_I64, 1, D(3))), "i64[3]");
	OK(mk(IR_OP_IDENTITY, 1, 1, val(IR_BOOL, 1, D(3))), "bool[3]");
	OK(mk(IR_OP_DROPOUT, 1, 1, F(1, D(3))), "f32[3]");
	BAD(mk(IR_OP_SIGMOID, 1, 1, val(IR_I64, 1, D(3))), "sigmoid: operand has dtype i64, expected f32");
	ir_op *op = mk(IR_OP_LEAKYRELU, 1, 1, F(1, D(3)));
	BAD(op, "missing attribute 'alpha'");
	ir_op_set_float(G, op, "alpha", 0.1f);
	OK(op, "f32[3]");
	op = mk(IR_OP_CLIP, 1, 1, F(1, D(3)));
	ir_op_set_float(G, op, "min", -INFINITY);
	BAD(op, "missing attribute 'max'");
	ir_op_set_float(G, op, "max", 6.0f);
	OK(op, "f32[3]");
	ir_op_set_float(G, op, "max", NAN);
	BAD(op, "NaN");

	op = mk(IR_OP_SOFTMAX, 1, 1, F(2, D(1), D(1000)));
	ir_op_set_int(G, op, "axis", 1);
	OK(op, "f32[1,1000]");
	ir_op_set_int(G, op, "axis", 2);
	BAD(op, "axis 2 out of range");

	ir_value *c = F(1, D(64));
	op = mk(IR_OP_BATCHNORM, 1, 5, F(4, D(1), D(64), D(8), D(8)), c, c, c, c);
	BAD(op, "missing attribute 'epsilon'");
	ir_op_set_float(G, op, "epsilon", 1e-5f);
	OK(op, "f32[1,64,8,8]");
	op = mk(IR_OP_BATCHNORM, 1, 5, F(4, D(1), D(32), D(8), D(8)), c, c, c, c);
	ir_op_set_float(G, op, "epsilon", 1e-5f);
	BAD(op, "does not match 32 channels");
}

static void
test_linear(void)
{
	ir_op *op = mk(IR_OP_GEMM, 1, 3, F(2, D(1), D(512)), F(2, D(1000), D(512)), F(1, D(1000)));
	ir_op_set_float(G, op, "alpha", 1);
	ir_op_set_float(G, op, "beta", 1);
	ir_op_set_int(G, op, "transA", 0);
	ir_op_set_int(G, op, "transB", 1);
	OK(op, "f32[1,1000]");
	ir_op_set_int(G, op, "transB", 0);
	BAD(op, "gemm: inner dimensions 512 and 1000 do not match");
	op = mk(IR_OP_GEMM, 1, 3, F(2, D(3), D(4)), F(2, D(4), D(5)), F(2, D(3), D(2)));
	ir_op_set_float(G, op, "alpha", 1);
	ir_op_set_float(G, op, "beta", 1);
	ir_op_set_int(G, op, "transA", 0);
	ir_op_set_int(G, op, "transB", 0);
	BAD(op, "does not broadcast to [3,5]");
	op->operands[2] = NULL;
	OK(op, "f32[3,5]");
	op->operands[2] = F(2, D(3), D(1));
	OK(op, "f32[3,5]");

	OK(mk(IR_OP_MATMUL, 1, 2, F(3, D(2), D(3), D(4)), F(2, D(4), D(5))), "f32[2,3,5]");
	OK(mk(IR_OP_MATMUL, 1, 2, F(1, D(4)), F(2, D(4), D(5))), "f32[5]");
	OK(mk(IR_OP_MATMUL, 1, 2, F(2, D(3), D(4)), F(1, D(4))), "f32[3]");
	OK(mk(IR_OP_MATMUL, 1, 2, F(1, D(4)), F(1, D(4))), "f32[]");
	OK(mk(IR_OP_MATMUL, 1, 2, F(4, D(2), D(1), D(3), D(4)), F(3, D(5), D(4), D(6))), "f32[2,5,3,6]");
	BAD(mk(IR_OP_MATMUL, 1, 2, F(2, D(3), D(4)), F(2, D(5), D(6))), "matmul: inner dimensions 4 and 5");
	BAD(mk(IR_OP_MATMUL, 1, 2, F(3, D(2), D(3), D(4)), F(3, D(3), D(4), D(5))), "do not broadcast");
}

static void
test_reduce(void)
{
	ir_op *op = mk(IR_OP_REDUCEMEAN, 1, 1, F(4, D(1), D(64), D(7), D(7)));
	ints(op, "axes", 2, D(2), D(3));
	ir_op_set_int(G, op, "keepdims", 1);
	OK(op, "f32[1,64,1,1]");
	ir_op_set_int(G, op, "keepdims", 0);
	OK(op, "f32[1,64]");
	ints(op, "axes", 2, D(3), D(2));
	BAD(op, "sorted");
	ints(op, "axes", 1, D(4));
	BAD(op, "axis 4 out of range");
	ints(op, "axes", 0);
	BAD(op, "must not be empty");
	op = mk(IR_OP_REDUCESUM, 1, 1, F(2, D(3), D(4)));
	ints(op, "axes", 2, D(0), D(1));
	ir_op_set_int(G, op, "keepdims", 0);
	OK(op, "f32[]");
}

static void
test_movement(void)
{
	/* reshape: result type given by the creator */
	ir_value *x = F(4, D(1), D(512), D(1), D(1));
	ir_op *op = mk(IR_OP_RESHAPE, 1, 1, x);
	settype(op, 0, IR_F32, 2, D(1), D(512));
	OK(op, "f32[1,512]");
	settype(op, 0, IR_F32, 2, D(5), D(5));
	BAD(op, "cannot reshape [1,512,1,1] (512 elements) to [5,5] (25 elements)");
	settype(op, 0, IR_I64, 2, D(1), D(512));
	BAD(op, "dtype");
	settype(op, 0, IR_F32, 2, D(-1), D(-512));
	BAD(op, "negative");
	settype(op, 0, IR_F32, 4, (int64_t)1 << 40, (int64_t)1 << 40, D(1), D(1));
	BAD(op, "too large");
	op->results[0]->rank = 9;
	BAD(op, "rank 9");

	op = mk(IR_OP_TRANSPOSE, 1, 1, F(3, D(2), D(3), D(4)));
	ints(op, "perm", 3, D(2), D(0), D(1));
	OK(op, "f32[4,2,3]");
	ints(op, "perm", 3, D(2), D(2), D(1));
	BAD(op, "not a permutation");
	ints(op, "perm", 2, D(1), D(0));
	BAD(op, "must have 3 entries");

	op = mk(IR_OP_CONCAT, 1, 3, F(2, D(1), D(2)), F(2, D(1), D(3)), F(2, D(1), D(0)));
	ir_op_set_int(G, op, "axis", 1);
	OK(op, "f32[1,5]");
	ir_op_set_int(G, op, "axis", 0);
	BAD(op, "outside axis 0");
	op = mk(IR_OP_CONCAT, 1, 2, F(1, INT64_MAX / 4), F(1, INT64_MAX / 4));
	ir_op_set_int(G, op, "axis", 0);
	BAD(op, "too large");
	op = mk(IR_OP_CONCAT, 1, 2, val(IR_I64, 1, D(1)), val(IR_I64, 1, D(1)));
	ir_op_set_int(G, op, "axis", 0);
	OK(op, "i64[2]");

	op = mk(IR_OP_SPLIT, 3, 1, F(2, D(4), D(10)));
	ir_op_set_int(G, op, "axis", 1);
	ints(op, "split", 3, D(2), D(3), D(5));
	OKR(op, 0, "f32[4,2]");
	OKR(op, 2, "f32[4,5]");
	ints(op, "split", 3, D(2), D(3), D(4));
	BAD(op, "add up to 9");
	ints(op, "split", 2, D(5), D(5));
	BAD(op, "2 sizes for 3 results");
	ints(op, "split", 3, D(-1), D(6), D(5));
	BAD(op, "negative");

	/* slice */
	op = mk(IR_OP_SLICE, 1, 1, F(2, D(4), D(10)));
	ints(op, "starts", 2, D(0), D(1));
	ints(op, "steps", 2, D(1), D(2));
	settype(op, 0, IR_F32, 2, D(4), D(5));
	OK(op, "f32[4,5]");
	settype(op, 0, IR_F32, 2, D(4), D(6));
	BAD(op, "exceed the size 10");
	ints(op, "starts", 2, D(0), D(9));
	ints(op, "steps", 2, D(1), D(-2));
	settype(op, 0, IR_F32, 2, D(4), D(5));
	OK(op, "f32[4,5]");
	settype(op, 0, IR_F32, 2, D(4), D(6));
	BAD(op, "exceed");
	ints(op, "starts", 2, D(0), D(10));
	settype(op, 0, IR_F32, 2, D(4), D(1));
	BAD(op, "start 10 on axis 1 out of range");
	settype(op, 0, IR_F32, 2, D(4), D(0));
	OK(op, "f32[4,0]");
	ints(op, "steps", 2, D(0), D(1));
	BAD(op, "step on axis 0 is zero");
	ints(op, "starts", 2, D(0), D(0));
	ints(op, "steps", 2, D(1), INT64_MAX);
	settype(op, 0, IR_F32, 2, D(4), D(2));
	BAD(op, "exceed");
	settype(op, 0, IR_F32, 2, D(4), D(1));
	OK(op, "f32[4,1]");
	settype(op, 0, IR_F32, 3, D(4), D(1), D(1));
	BAD(op, "does not match");

	/* pad */
	op = mk(IR_OP_PAD, 1, 1, F(2, D(3), D(4)));
	ints(op, "pads", 4, D(1), D(2), D(1), D(-1));
	ir_op_set_string(G, op, "mode", "constant");
	ir_op_set_float(G, op, "value", 0);
	OK(op, "f32[5,5]");
	ir_op_set_string(G, op, "mode", "reflect");
	OK(op, "f32[5,5]");
	ints(op, "pads", 4, D(3), D(0), D(0), D(0));
	BAD(op, "reflect pads");
	ir_op_set_string(G, op, "mode", "wrap");
	BAD(op, "unsupported mode");
	ir_op_set_string(G, op, "mode", "constant");
	ints(op, "pads", 4, D(0), D(-5), D(0), D(0));
	BAD(op, "negative size");
	ints(op, "pads", 4, INT64_MAX, D(0), D(0), D(0));
	BAD(op, "too large");

	/* resize */
	op = mk(IR_OP_RESIZE, 1, 1, F(4, D(1), D(3), D(8), D(8)));
	ir_op_set_string(G, op, "mode", "nearest");
	ir_op_set_string(G, op, "coord", "asymmetric");
	ir_op_set_string(G, op, "nearest_mode", "floor");
	floats(op, "scales", 4, 1.0, 1.0, 2.0, 2.0);
	settype(op, 0, IR_F32, 4, D(1), D(3), D(16), D(16));
	OK(op, "f32[1,3,16,16]");
	ir_op_set_string(G, op, "mode", "cubic");
	BAD(op, "unsupported mode \"cubic\"");
	ir_op_set_string(G, op, "mode", "linear");
	settype(op, 0, IR_F32, 3, D(1), D(3), D(16));
	BAD(op, "does not match");
	settype(op, 0, IR_F32, 4, D(1), D(3), D(16), D(16));
	floats(op, "scales", 4, 1.0, 1.0, 0.0, 2.0);
	BAD(op, "positive");
	floats(op, "scales", 3, 1.0, 1.0, 2.0);
	BAD(op, "4 entries");

	/* expand */
	op = mk(IR_OP_EXPAND, 1, 1, F(2, D(3), D(1)));
	settype(op, 0, IR_F32, 3, D(2), D(3), D(4));
	OK(op, "f32[2,3,4]");
	settype(op, 0, IR_F32, 2, D(2), D(4));
	BAD(op, "expand: [3,1] does not broadcast to [2,4]");

	/* gather */
	op = mk(IR_OP_GATHER, 1, 2, F(2, D(5), D(4)), val(IR_I64, 2, D(2), D(3)));
	ir_op_set_int(G, op, "axis", 0);
	OK(op, "f32[2,3,4]");
	ir_op_set_int(G, op, "axis", 1);
	OK(op, "f32[5,2,3]");
	op = mk(IR_OP_GATHER, 1, 2, val(IR_I64, 1, D(4)), val(IR_I64, 0));
	ir_op_set_int(G, op, "axis", 0);
	OK(op, "i64[]");
	op = mk(IR_OP_GATHER, 1, 2, F(2, D(5), D(4)), F(1, D(2)));
	ir_op_set_int(G, op, "axis", 0);
	BAD(op, "indices has dtype f32");
	op = mk(IR_OP_GATHER, 1, 2, F(8, D(1), D(1), D(1), D(1), D(1), D(1), D(1), D(1)), val(IR_I64, 2, D(1), D(1)));
	ir_op_set_int(G, op, "axis", 0);
	BAD(op, "result rank 9 exceeds 8");

	/* cast */
	op = mk(IR_OP_CAST, 1, 1, val(IR_I64, 1, D(3)));
	settype(op, 0, IR_F32, 1, D(3));
	OK(op, "f32[3]");
	settype(op, 0, IR_F32, 1, D(4));
	BAD(op, "cast: result shape [4] differs");
}

static void
test_misc(void)
{
	ir_op *op = mk(IR_OP_RELU, 1, 1, F(1, D(3)));
	op->kind = IR_NOPKINDS;
	BAD(op, "invalid op kind");
	op = mk(IR_OP_SPLIT, 0, 1, F(1, D(3)));
	BAD(op, "has 0 results");
	/* absurd dims never overflow: a product past int64 is an error */
	op = mk(IR_OP_ADD, 1, 2, F(2, (int64_t)1 << 40, D(1)), F(2, D(1), (int64_t)1 << 40));
	BAD(op, "too large");
	op = mk(IR_OP_MATMUL, 1, 2, F(2, (int64_t)1 << 31, D(4)), F(2, D(4), (int64_t)1 << 31));
	BAD(op, "too large");
}

int
main(void)
{
	G = ir_graph_new("t");
	test_conv();
	test_pool();
	test_elementwise();
	test_linear();
	test_reduce();
	test_movement();
	test_misc();
	ir_graph_free(G);
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
