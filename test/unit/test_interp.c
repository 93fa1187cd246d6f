/*
 * test_interp.c - the reference interpreter and the verifier, on small
 * graphs built with the ir.h API and checked against hand-computed results
 * (and, for conv and pooling, against a naive per-element reference written
 * here with explicit bounds tests).
 *
 *     unit_test_interp [-v]
 *
 * -v also times a resnet-like 3x3 conv (64->64 channels at 56x56) and
 * prints its GFLOP/s.  Exits 0 when every check passes.
 */
#include "ir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int npass, nfail, gpass, gfail;
static const char *group;
static bool verbose;

static void
begin_group(const char *name)
{
	group = name;
	gpass = npass;
	gfail = nfail;
}

static void
end_group(void)
{
	printf("%-14s %3d passed, %d failed\n", group, npass - gpass, nfail - gfail);
}

#define CHECK(cond, ...)                                               \
	do {                                                               \
		if (cond) {                                                    \
			npass++;                                                   \
		} else {                                                       \
			nfail++;                                                   \
			printf("FAIL %s:%d [%s] ", __FILE__, __LINE__, group);     \
			printf(__VA_ARGS__);                                       \
			printf("\n");                                              \
		}                                                              \
	} while (0)

/* ---- graph building ---------------------------------------------------------- */

static ir_graph *G;

/* SHAPE(2,3) expands to the rank and dims arguments; SCALAR to rank 0. */
#define SHAPE(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__}
#define SCALAR 0, NULL
#define OPS(...) (int)(sizeof((ir_value *[]){__VA_ARGS__}) / sizeof(ir_value *)), (ir_value *[]){__VA_ARGS__}
#define INTS(...) (int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define FLOATS(...) (float[]){__VA_ARGS__}, (int)(sizeof((float[]){__VA_ARGS__}) / sizeof(float))
#define IN(...) ((const void *[]){__VA_ARGS__})

static void
begin(void)
{
	G = ir_graph_new("test");
	if (!G) {
		printf("out of memory\n");
		exit(1);
	}
}

static ir_value *
input(ir_dtype t, int rank, const int64_t *dims)
{
	return ir_graph_add_input(G, NULL, t, rank, dims);
}

static ir_value *
cnst(ir_dtype t, int rank, const int64_t *dims, const void *data)
{
	return ir_graph_add_const(G, NULL, t, rank, dims, data, true, 0);
}

/* An op with one result of the given type, appended to G. */
static ir_op *
mk(ir_opkind k, int n, ir_value **ops, ir_dtype t, int rank, const int64_t *dims)
{
	ir_op *op = ir_op_new(G, k, ops, n, 1);
	ir_value *r = op->results[0];
	r->dtype = t;
	r->rank = rank;
	for (int i = 0; i < rank; i++)
		r->dims[i] = dims[i];
	ir_op_append(G, op);
	return op;
}

static void
seti(ir_op *op, const char *name, const int64_t *v, int n)
{
	ir_op_set_ints(G, op, name, v, n);
}

static void
conv_attrs(ir_op *op, int64_t sh, int64_t sw, int64_t pt, int64_t pl, int64_t pb, int64_t pr,
           int64_t dh, int64_t dw, int64_t group)
{
	seti(op, "strides", INTS(sh, sw));
	seti(op, "pads", INTS(pt, pl, pb, pr));
	seti(op, "dilations", INTS(dh, dw));
	ir_op_set_int(G, op, "group", group);
}

static void
pool_attrs(ir_op *op, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t pt, int64_t pl,
           int64_t pb, int64_t pr, int64_t ceil_mode)
{
	seti(op, "kernel", INTS(kh, kw));
	seti(op, "strides", INTS(sh, sw));
	seti(op, "pads", INTS(pt, pl, pb, pr));
	ir_op_set_int(G, op, "ceil_mode", ceil_mode);
	if (op->kind == IR_OP_MAXPOOL)
		seti(op, "dilations", INTS(1, 1));
	else
		ir_op_set_int(G, op, "count_include_pad", 0);
}

/* ---- running and comparing ------------------------------------------------------ */

static bool
close_to(float got, float want, float tol)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	float scale = fabsf(want) > 1 ? fabsf(want) : 1;
	return fabsf(got - want) <= tol * scale;
}

/* Makes v the graph's only output, runs G on inputs, returns the malloc'd
 * output or NULL (with the error in *e); frees G. */
static void *
run_graph(ir_value *v, const void *const *inputs, ir_err *e)
{
	ir_graph_add_output(G, v, "out");
	void *out = malloc(ir_value_nbytes(v) + 1);
	if (ir_interp_run(G, inputs, (void *const[]){out}, e) != 0) {
		free(out);
		out = NULL;
	}
	ir_graph_free(G);
	G = NULL;
	return out;
}

static void
expect_f32(const char *what, ir_value *v, const void *const *inputs, const float *want, float tol)
{
	ir_err e = {{0}};
	int64_t n = ir_value_numel(v);
	float *got = run_graph(v, inputs, &e);
	CHECK(got, "%s: %s", what, e.msg);
	if (!got)
		return;
	int64_t bad = -1;
	for (int64_t i = 0; i < n && bad < 0; i++)
		if (!close_to(got[i], want[i], tol))
			bad = i;
	CHECK(bad < 0, "%s: element %lld is %.9g, expected %.9g", what, (long long)bad,
	      bad >= 0 ? got[bad] : 0, bad >= 0 ? want[bad] : 0);
	free(got);
}

/* Exact comparison of the output bytes. */
static void
expect_bytes(const char *what, ir_value *v, const void *const *inputs, const void *want)
{
	ir_err e = {{0}};
	size_t nb = ir_value_nbytes(v);
	void *got = run_graph(v, inputs, &e);
	CHECK(got, "%s: %s", what, e.msg);
	if (!got)
		return;
	CHECK(memcmp(got, want, nb) == 0, "%s: output differs", what);
	free(got);
}

/* The run must fail with a message containing frag. */
static void
expect_error(const char *what, ir_value *v, const void *const *inputs, const char *frag)
{
	ir_err e = {{0}};
	void *got = run_graph(v, inputs, &e);
	CHECK(!got, "%s: ran, expected an error containing \"%s\"", what, frag);
	free(got);
	if (!got)
		CHECK(strstr(e.msg, frag), "%s: error \"%s\" lacks \"%s\"", what, e.msg, frag);
}

/* ir_graph_verify on G must fail with a message containing frag; frees G. */
static void
expect_verify_error(const char *what, const char *frag)
{
	ir_err e = {{0}};
	int rc = ir_graph_verify(G, &e);
	CHECK(rc != 0, "%s: verified, expected \"%s\"", what, frag);
	if (rc != 0)
		CHECK(strstr(e.msg, frag), "%s: error \"%s\" lacks \"%s\"", what, e.msg, frag);
	ir_graph_free(G);
	G = NULL;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static float
frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (float)((rng >> 40) & 0xffff) / 32768.0f - 1.0f;
}

static float *
randv(int64_t n)
{
	float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
	for (int64_t i = 0; i < n; i++)
		p[i] = frand();
	return p;
}

/* ---- elementwise and broadcasting -------------------------------------------------- */

static void
test_elementwise(void)
{
	begin_group("elementwise");
	float a23[] = {1, 2, 3, 4, 5, 6}, b3[] = {10, 20, 30};

	begin();
	ir_value *a = input(IR_F32, SHAPE(2, 3)), *b = input(IR_F32, SHAPE(3));
	ir_op *op = mk(IR_OP_ADD, OPS(a, b), IR_F32, SHAPE(2, 3));
	expect_f32("add [2,3]+[3]", op->results[0], IN(a23, b3), (float[]){11, 22, 33, 14, 25, 36}, 0);

	/* [2,1] - [1,3] -> [2,3] */
	begin();
	a = input(IR_F32, SHAPE(2, 1));
	b = input(IR_F32, SHAPE(1, 3));
	op = mk(IR_OP_SUB, OPS(a, b), IR_F32, SHAPE(2, 3));
	expect_f32("sub [2,1]-[1,3]", op->results[0], IN((float[]){1, 2}, b3),
	           (float[]){-9, -19, -29, -8, -18, -28}, 0);

	/* scalar (rank 0) times [2,2] and [2,2] / scalar */
	begin();
	a = input(IR_F32, SCALAR);
	b = input(IR_F32, SHAPE(2, 2));
	op = mk(IR_OP_MUL, OPS(a, b), IR_F32, SHAPE(2, 2));
	expect_f32("mul scalar*[2,2]", op->results[0], IN((float[]){3}, a23), (float[]){3, 6, 9, 12}, 0);
	begin();
	a = input(IR_F32, SHAPE(2, 2));
	b = input(IR_F32, SCALAR);
	op = mk(IR_OP_DIV, OPS(a, b), IR_F32, SHAPE(2, 2));
	expect_f32("div [2,2]/scalar", op->results[0], IN(a23, (float[]){4}), (float[]){0.25f, 0.5f, 0.75f, 1}, 0);

	/* rank 0 with rank 0 */
	begin();
	a = input(IR_F32, SCALAR);
	b = input(IR_F32, SCALAR);
	op = mk(IR_OP_ADD, OPS(a, b), IR_F32, SCALAR);
	expect_f32("add scalar+scalar", op->results[0], IN((float[]){1.5f}, (float[]){2}), (float[]){3.5f}, 0);

	/* a middle broadcast axis: [2,1,2] + [3,1] -> [2,3,2] */
	begin();
	a = input(IR_F32, SHAPE(2, 1, 2));
	b = input(IR_F32, SHAPE(3, 1));
	op = mk(IR_OP_ADD, OPS(a, b), IR_F32, SHAPE(2, 3, 2));
	expect_f32("add [2,1,2]+[3,1]", op->results[0], IN((float[]){1, 2, 3, 4}, (float[]){10, 20, 30}),
	           (float[]){11, 12, 21, 22, 31, 32, 13, 14, 23, 24, 33, 34}, 0);

	/* integers: i64 division truncates toward zero, arithmetic wraps */
	begin();
	a = input(IR_I64, SHAPE(4));
	b = input(IR_I64, SHAPE(4));
	op = mk(IR_OP_DIV, OPS(a, b), IR_I64, SHAPE(4));
	expect_bytes("div i64", op->results[0], IN((int64_t[]){-7, 7, -7, INT64_MIN}, (int64_t[]){2, -2, -2, -1}),
	             (int64_t[]){-3, -3, 3, INT64_MIN});
	begin();
	a = input(IR_I64, SHAPE(3));
	b = input(IR_I64, SCALAR);
	op = mk(IR_OP_MUL, OPS(a, b), IR_I64, SHAPE(3));
	expect_bytes("mul i64 by scalar", op->results[0], IN((int64_t[]){-1, 2, 3000000000}, (int64_t[]){-4}),
	             (int64_t[]){4, -8, -12000000000});
	begin();
	a = input(IR_I32, SHAPE(3));
	b = input(IR_I32, SHAPE(3));
	op = mk(IR_OP_ADD, OPS(a, b), IR_I32, SHAPE(3));
	expect_bytes("add i32 wraps", op->results[0], IN((int32_t[]){1, INT32_MAX, -5}, (int32_t[]){2, 1, 5}),
	             (int32_t[]){3, INT32_MIN, 0});
	begin();
	a = input(IR_I32, SHAPE(2));
	b = input(IR_I32, SHAPE(2));
	op = mk(IR_OP_SUB, OPS(a, b), IR_I32, SHAPE(2));
	expect_bytes("sub i32", op->results[0], IN((int32_t[]){1, -3}, (int32_t[]){4, -5}), (int32_t[]){-3, 2});
	begin();
	a = input(IR_I32, SHAPE(2));
	b = input(IR_I32, SHAPE(2));
	op = mk(IR_OP_DIV, OPS(a, b), IR_I32, SHAPE(2));
	expect_error("div i32 by zero", op->results[0], IN((int32_t[]){1, 2}, (int32_t[]){1, 0}),
	             "division by zero");

	/* n-ary sum, max, min with broadcasting */
	begin();
	a = input(IR_F32, SHAPE(2, 2));
	b = input(IR_F32, SHAPE(2));
	ir_value *c = input(IR_F32, SCALAR);
	op = mk(IR_OP_SUM, OPS(a, b, c), IR_F32, SHAPE(2, 2));
	expect_f32("sum of 3", op->results[0], IN(a23, (float[]){10, 20}, (float[]){100}),
	           (float[]){111, 122, 113, 124}, 0);
	begin();
	a = input(IR_F32, SHAPE(3));
	op = mk(IR_OP_SUM, OPS(a), IR_F32, SHAPE(3));
	expect_f32("sum of 1", op->results[0], IN(a23), (float[]){1, 2, 3}, 0);
	begin();
	a = input(IR_F32, SHAPE(4));
	b = input(IR_F32, SHAPE(4));
	c = input(IR_F32, SHAPE(1));
	op = mk(IR_OP_MAX, OPS(a, b, c), IR_F32, SHAPE(4));
	expect_f32("max of 3, NaN propagates", op->results[0],
	           IN((float[]){1, 5, NAN, -1}, (float[]){4, 2, 0, NAN}, (float[]){3}),
	           (float[]){4, 5, NAN, NAN}, 0);
	begin();
	a = input(IR_F32, SHAPE(3));
	b = input(IR_F32, SHAPE(3));
	op = mk(IR_OP_MIN, OPS(a, b), IR_F32, SHAPE(3));
	expect_f32("min", op->results[0], IN((float[]){1, 5, -2}, (float[]){4, 2, NAN}), (float[]){1, 2, NAN}, 0);
	begin();
	a = input(IR_I64, SHAPE(3));
	b = input(IR_I64, SCALAR);
	op = mk(IR_OP_MAX, OPS(a, b), IR_I64, SHAPE(3));
	expect_bytes("max i64", op->results[0], IN((int64_t[]){-5, 0, 9}, (int64_t[]){1}), (int64_t[]){1, 1, 9});
	begin();
	a = input(IR_I32, SHAPE(3));
	b = input(IR_I32, SHAPE(3));
	op = mk(IR_OP_MIN, OPS(a, b), IR_I32, SHAPE(3));
	expect_bytes("min i32", op->results[0], IN((int32_t[]){-5, 0, 9}, (int32_t[]){1, -1, 10}),
	             (int32_t[]){-5, -1, 9});
	end_group();
}

static void
test_unary(void)
{
	begin_group("unary");
	float x[] = {-2, -0.5f, 0, 0.5f, 3};
	struct {
		ir_opkind k;
		float want[5];
	} cases[] = {
		{IR_OP_RELU, {0, 0, 0, 0.5f, 3}},
		{IR_OP_NEG, {2, 0.5f, 0, -0.5f, -3}},
		{IR_OP_ABS, {2, 0.5f, 0, 0.5f, 3}},
		{IR_OP_SIGMOID, {0.119202922f, 0.377540669f, 0.5f, 0.622459331f, 0.952574127f}},
		{IR_OP_TANH, {-0.964027580f, -0.462117157f, 0, 0.462117157f, 0.995054754f}},
		{IR_OP_EXP, {0.135335283f, 0.606530660f, 1, 1.648721271f, 20.085536923f}},
		{IR_OP_IDENTITY, {-2, -0.5f, 0, 0.5f, 3}},
		{IR_OP_DROPOUT, {-2, -0.5f, 0, 0.5f, 3}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		begin();
		ir_value *a = input(IR_F32, SHAPE(5));
		ir_op *op = mk(cases[i].k, OPS(a), IR_F32, SHAPE(5));
		expect_f32(ir_opinfos[cases[i].k].name, op->results[0], IN(x), cases[i].want, 1e-6f);
	}
	float pos[] = {0.25f, 1, 4, 0, -1};
	begin();
	ir_value *a = input(IR_F32, SHAPE(5));
	ir_op *op = mk(IR_OP_LOG, OPS(a), IR_F32, SHAPE(5));
	expect_f32("log", op->results[0], IN(pos), (float[]){-1.386294361f, 0, 1.386294361f, -INFINITY, NAN}, 1e-6f);
	begin();
	a = input(IR_F32, SHAPE(5));
	op = mk(IR_OP_SQRT, OPS(a), IR_F32, SHAPE(5));
	expect_f32("sqrt", op->results[0], IN(pos), (float[]){0.5f, 1, 2, 0, NAN}, 1e-6f);

	begin();
	a = input(IR_F32, SHAPE(5));
	op = mk(IR_OP_LEAKYRELU, OPS(a), IR_F32, SHAPE(5));
	ir_op_set_float(G, op, "alpha", 0.1f);
	expect_f32("leakyrelu", op->results[0], IN(x), (float[]){-0.2f, -0.05f, 0, 0.5f, 3}, 1e-6f);

	begin();
	a = input(IR_F32, SHAPE(5));
	op = mk(IR_OP_CLIP, OPS(a), IR_F32, SHAPE(5));
	ir_op_set_float(G, op, "min", 0);
	ir_op_set_float(G, op, "max", 6);
	expect_f32("clip relu6", op->results[0], IN((float[]){-1, 0, 3, 6, 7}), (float[]){0, 0, 3, 6, 6}, 0);
	begin();
	a = input(IR_F32, SHAPE(4));
	op = mk(IR_OP_CLIP, OPS(a), IR_F32, SHAPE(4));
	ir_op_set_float(G, op, "min", -INFINITY);
	ir_op_set_float(G, op, "max", 1);
	expect_f32("clip -inf..1, NaN stays", op->results[0], IN((float[]){-1e30f, 0.5f, 2, NAN}),
	           (float[]){-1e30f, 0.5f, 1, NAN}, 0);

	/* sigmoid of large magnitudes must not produce NaN */
	begin();
	a = input(IR_F32, SHAPE(2));
	op = mk(IR_OP_SIGMOID, OPS(a), IR_F32, SHAPE(2));
	expect_f32("sigmoid extremes", op->results[0], IN((float[]){-1000, 1000}), (float[]){0, 1}, 0);

	/* relu NaN stays NaN */
	begin();
	a = input(IR_F32, SHAPE(1));
	op = mk(IR_OP_RELU, OPS(a), IR_F32, SHAPE(1));
	expect_f32("relu NaN", op->results[0], IN((float[]){NAN}), (float[]){NAN}, 0);

	/* integer abs and neg */
	begin();
	a = input(IR_I64, SHAPE(3));
	op = mk(IR_OP_ABS, OPS(a), IR_I64, SHAPE(3));
	expect_bytes("abs i64", op->results[0], IN((int64_t[]){-3, 0, 4}), (int64_t[]){3, 0, 4});
	begin();
	a = input(IR_I32, SHAPE(3));
	op = mk(IR_OP_NEG, OPS(a), IR_I32, SHAPE(3));
	expect_bytes("neg i32", op->results[0], IN((int32_t[]){-3, 0, 4}), (int32_t[]){3, 0, -4});
	begin();
	a = input(IR_I64, SHAPE(2));
	op = mk(IR_OP_IDENTITY, OPS(a), IR_I64, SHAPE(2));
	expect_bytes("identity i64", op->results[0], IN((int64_t[]){-3, 1LL << 40}), (int64_t[]){-3, 1LL << 40});

	/* relu has no i64 kernel: ir_interp_op says so */
	begin();
	a = input(IR_I64, SHAPE(2));
	op = mk(IR_OP_RELU, OPS(a), IR_I64, SHAPE(2));
	{
		ir_err e = {{0}};
		int64_t xi[2] = {1, 2}, yo[2];
		int rc = ir_interp_op(op, IN(xi), (void *const[]){yo}, &e);
		CHECK(rc != 0 && strstr(e.msg, "unsupported dtype i64"), "relu i64: rc %d, \"%s\"", rc, e.msg);
	}
	ir_graph_free(G);
	G = NULL;
	end_group();
}

/* ---- conv ------------------------------------------------------------------------- */

/* Naive conv with a bounds test per tap, accumulated in double. */
static void
ref_conv(const float *x, const float *w, const float *b, float *y, int64_t N, int64_t C, int64_t H,
         int64_t W, int64_t M, int64_t KH, int64_t KW, int64_t OH, int64_t OW, int64_t sh, int64_t sw,
         int64_t pt, int64_t pl, int64_t dh, int64_t dw, int64_t group)
{
	int64_t CG = C / group, MG = M / group;
	for (int64_t n = 0; n < N; n++)
		for (int64_t m = 0; m < M; m++)
			for (int64_t oh = 0; oh < OH; oh++)
				for (int64_t ow = 0; ow < OW; ow++) {
					double s = b ? b[m] : 0;
					int64_t g = m / MG;
					for (int64_t c = 0; c < CG; c++)
						for (int64_t kh = 0; kh < KH; kh++)
							for (int64_t kw = 0; kw < KW; kw++) {
								int64_t ih = oh * sh - pt + kh * dh, iw = ow * sw - pl + kw * dw;
								if (ih < 0 || ih >= H || iw < 0 || iw >= W)
									continue;
								s += (double)x[((n * C + g * CG + c) * H + ih) * W + iw] *
								     w[((m * CG + c) * KH + kh) * KW + kw];
							}
					y[((n * M + m) * OH + oh) * OW + ow] = (float)s;
				}
}

static void
conv_case(const char *what, int64_t N, int64_t C, int64_t H, int64_t W, int64_t M, int64_t KH,
          int64_t KW, int64_t sh, int64_t sw, int64_t pt, int64_t pl, int64_t pb, int64_t pr,
          int64_t dh, int64_t dw, int64_t group, bool bias)
{
	int64_t OH = (H + pt + pb - ((KH - 1) * dh + 1)) / sh + 1;
	int64_t OW = (W + pl + pr - ((KW - 1) * dw + 1)) / sw + 1;
	float *x = randv(N * C * H * W), *w = randv(M * (C / group) * KH * KW), *b = randv(M);
	float *want = malloc((size_t)(N * M * OH * OW) * sizeof *want);
	ref_conv(x, w, bias ? b : NULL, want, N, C, H, W, M, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, group);
	begin();
	ir_value *xv = input(IR_F32, SHAPE(N, C, H, W));
	ir_value *wv = cnst(IR_F32, SHAPE(M, C / group, KH, KW), w);
	ir_value *bv = bias ? cnst(IR_F32, SHAPE(M), b) : NULL;
	ir_op *op = mk(IR_OP_CONV, OPS(xv, wv, bv), IR_F32, SHAPE(N, M, OH, OW));
	conv_attrs(op, sh, sw, pt, pl, pb, pr, dh, dw, group);
	expect_f32(what, op->results[0], IN(x), want, 1e-5f);
	free(x);
	free(w);
	free(b);
	free(want);
}

static void
test_conv(void)
{
	begin_group("conv");
	float x9[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};

	/* 2x2 box filter, no padding */
	begin();
	ir_value *x = input(IR_F32, SHAPE(1, 1, 3, 3));
	ir_value *w = cnst(IR_F32, SHAPE(1, 1, 2, 2), ones);
	ir_op *op = mk(IR_OP_CONV, OPS(x, w, NULL), IR_F32, SHAPE(1, 1, 2, 2));
	conv_attrs(op, 1, 1, 0, 0, 0, 0, 1, 1, 1);
	expect_f32("2x2 box", op->results[0], IN(x9), (float[]){12, 16, 24, 28}, 0);

	/* 3x3 box filter, pad 1: sums of neighbourhoods */
	begin();
	x = input(IR_F32, SHAPE(1, 1, 3, 3));
	w = cnst(IR_F32, SHAPE(1, 1, 3, 3), ones);
	op = mk(IR_OP_CONV, OPS(x, w, NULL), IR_F32, SHAPE(1, 1, 3, 3));
	conv_attrs(op, 1, 1, 1, 1, 1, 1, 1, 1, 1);
	expect_f32("3x3 box pad 1", op->results[0], IN(x9), (float[]){12, 21, 16, 27, 45, 33, 24, 39, 28}, 0);

	/* stride 2, pad 1, bias */
	begin();
	x = input(IR_F32, SHAPE(1, 1, 3, 3));
	w = cnst(IR_F32, SHAPE(1, 1, 3, 3), ones);
	ir_value *b = cnst(IR_F32, SHAPE(1), (float[]){0.5f});
	op = mk(IR_OP_CONV, OPS(x, w, b), IR_F32, SHAPE(1, 1, 2, 2));
	conv_attrs(op, 2, 2, 1, 1, 1, 1, 1, 1, 1);
	expect_f32("3x3 stride 2 bias", op->results[0], IN(x9), (float[]){12.5f, 16.5f, 24.5f, 28.5f}, 0);

	/* asymmetric pads: top 1, left 0, bottom 0, right 1 with a 2x2 box */
	begin();
	x = input(IR_F32, SHAPE(1, 1, 3, 3));
	w = cnst(IR_F32, SHAPE(1, 1, 2, 2), ones);
	op = mk(IR_OP_CONV, OPS(x, w, NULL), IR_F32, SHAPE(1, 1, 3, 3));
	conv_attrs(op, 1, 1, 1, 0, 0, 1, 1, 1, 1);
	expect_f32("asymmetric pads", op->results[0], IN(x9), (float[]){3, 5, 3, 12, 16, 9, 24, 28, 15}, 0);

	/* dilation 2: the four corners */
	begin();
	x = input(IR_F32, SHAPE(1, 1, 3, 3));
	w = cnst(IR_F32, SHAPE(1, 1, 2, 2), ones);
	op = mk(IR_OP_CONV, OPS(x, w, NULL), IR_F32, SHAPE(1, 1, 1, 1));
	conv_attrs(op, 1, 1, 0, 0, 0, 0, 2, 2, 1);
	expect_f32("dilation 2", op->results[0], IN(x9), (float[]){1 + 3 + 7 + 9}, 0);

	/* depthwise (group = channels) with bias */
	begin();
	x = input(IR_F32, SHAPE(1, 2, 2, 2));
	w = cnst(IR_F32, SHAPE(2, 1, 1, 1), (float[]){2, -1});
	b = cnst(IR_F32, SHAPE(2), (float[]){1, 10});
	op = mk(IR_OP_CONV, OPS(x, w, b), IR_F32, SHAPE(1, 2, 2, 2));
	conv_attrs(op, 1, 1, 0, 0, 0, 0, 1, 1, 2);
	expect_f32("depthwise bias", op->results[0], IN((float[]){1, 2, 3, 4, 5, 6, 7, 8}),
	           (float[]){3, 5, 7, 9, 5, 4, 3, 2}, 0);

	/* against the naive reference */
	conv_case("ref 3x3 s1 p1", 2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true);
	conv_case("ref 7x7 s2 p3 (stem)", 1, 3, 16, 16, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, false);
	conv_case("ref 1x1 s1", 1, 16, 5, 5, 8, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true);
	conv_case("ref 1x1 s2", 1, 8, 7, 7, 4, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, false);
	conv_case("ref grouped", 1, 8, 6, 6, 12, 3, 3, 1, 2, 1, 0, 2, 1, 1, 1, 4, true);
	conv_case("ref dilated asym", 1, 2, 9, 8, 3, 3, 2, 2, 1, 2, 1, 0, 3, 2, 3, 1, true);
	conv_case("ref kernel > input+pad", 1, 2, 3, 3, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, true);
	conv_case("ref depthwise s2", 2, 6, 8, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 6, true);
	conv_case("ref big stride", 1, 2, 10, 10, 2, 2, 2, 5, 4, 1, 1, 1, 1, 1, 1, 1, false);
	end_group();
}

/* ---- pooling ---------------------------------------------------------------------- */

static void
ref_pool(bool maxp, const float *x, float *y, int64_t NC, int64_t H, int64_t W, int64_t OH, int64_t OW,
         int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t pt, int64_t pl, int64_t pb, int64_t pr,
         bool cip)
{
	for (int64_t p = 0; p < NC; p++)
		for (int64_t oh = 0; oh < OH; oh++)
			for (int64_t ow = 0; ow < OW; ow++) {
				double s = 0, m = -INFINITY;
				int64_t cnt = 0, cntpad = 0;
				for (int64_t kh = 0; kh < KH; kh++)
					for (int64_t kw = 0; kw < KW; kw++) {
						int64_t ih = oh * sh - pt + kh, iw = ow * sw - pl + kw;
						if (ih < H + pb && iw < W + pr)
							cntpad++; /* inside the padded input */
						if (ih < 0 || ih >= H || iw < 0 || iw >= W)
							continue;
						float v = x[(p * H + ih) * W + iw];
						s += v;
						if (v > m)
							m = v;
						cnt++;
					}
				y[(p * OH + oh) * OW + ow] = maxp ? (float)m : (float)(s / (double)(cip ? cntpad : cnt));
			}
}

static void
pool_case(const char *what, bool maxp, int64_t H, int64_t W, int64_t K, int64_t S, int64_t P, int ceil_mode,
          bool cip)
{
	int64_t n = H + 2 * P - K, OH, OW;
	OH = (ceil_mode ? (n + S - 1) / S : n / S) + 1;
	if (ceil_mode && (OH - 1) * S >= H + P)
		OH--;
	n = W + 2 * P - K;
	OW = (ceil_mode ? (n + S - 1) / S : n / S) + 1;
	if (ceil_mode && (OW - 1) * S >= W + P)
		OW--;
	float *x = randv(2 * 3 * H * W), *want = malloc((size_t)(2 * 3 * OH * OW) * sizeof *want);
	ref_pool(maxp, x, want, 6, H, W, OH, OW, K, K, S, S, P, P, P, P, cip);
	begin();
	ir_value *xv = input(IR_F32, SHAPE(2, 3, H, W));
	ir_op *op = mk(maxp ? IR_OP_MAXPOOL : IR_OP_AVGPOOL, OPS(xv), IR_F32, SHAPE(2, 3, OH, OW));
	pool_attrs(op, K, K, S, S, P, P, P, P, ceil_mode);
	if (!maxp)
		ir_op_set_int(G, op, "count_include_pad", cip);
	expect_f32(what, op->results[0], IN(x), want, 1e-6f);
	free(x);
	free(want);
}

static void
test_pool(void)
{
	begin_group("pool");
	float x16[16];
	for (int i = 0; i < 16; i++)
		x16[i] = (float)(i + 1);

	begin();
	ir_value *x = input(IR_F32, SHAPE(1, 1, 4, 4));
	ir_op *op = mk(IR_OP_MAXPOOL, OPS(x), IR_F32, SHAPE(1, 1, 2, 2));
	pool_attrs(op, 2, 2, 2, 2, 0, 0, 0, 0, 0);
	expect_f32("maxpool 2x2 s2", op->results[0], IN(x16), (float[]){6, 8, 14, 16}, 0);

	/* padding never wins, even over negative values */
	begin();
	x = input(IR_F32, SHAPE(1, 1, 2, 2));
	op = mk(IR_OP_MAXPOOL, OPS(x), IR_F32, SHAPE(1, 1, 2, 2));
	pool_attrs(op, 3, 3, 1, 1, 1, 1, 1, 1, 0);
	expect_f32("maxpool pad ignored", op->results[0], IN((float[]){-4, -3, -2, -1}), (float[]){-1, -1, -1, -1}, 0);

	/* dilation 2 */
	begin();
	x = input(IR_F32, SHAPE(1, 1, 4, 4));
	op = mk(IR_OP_MAXPOOL, OPS(x), IR_F32, SHAPE(1, 1, 2, 2));
	pool_attrs(op, 2, 2, 1, 1, 0, 0, 0, 0, 0);
	seti(op, "dilations", INTS(2, 2));
	expect_f32("maxpool dilation 2", op->results[0], IN(x16), (float[]){11, 12, 15, 16}, 0);

	/* ceil_mode: 5x5, kernel 2, stride 2 -> 3x3, the last window is partial */
	float x25[25];
	for (int i = 0; i < 25; i++)
		x25[i] = (float)i;
	begin();
	x = input(IR_F32, SHAPE(1, 1, 5, 5));
	op = mk(IR_OP_MAXPOOL, OPS(x), IR_F32, SHAPE(1, 1, 3, 3));
	pool_attrs(op, 2, 2, 2, 2, 0, 0, 0, 0, 1);
	expect_f32("maxpool ceil_mode", op->results[0], IN(x25), (float[]){6, 8, 9, 16, 18, 19, 21, 23, 24}, 0);

	/* avgpool 3x3 pad 1: count_include_pad 0 divides corners by 4, 1 by 9 */
	float x9[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	begin();
	x = input(IR_F32, SHAPE(1, 1, 3, 3));
	op = mk(IR_OP_AVGPOOL, OPS(x), IR_F32, SHAPE(1, 1, 3, 3));
	pool_attrs(op, 3, 3, 1, 1, 1, 1, 1, 1, 0);
	expect_f32("avgpool exclude pad", op->results[0], IN(x9),
	           (float[]){12 / 4.f, 21 / 6.f, 16 / 4.f, 27 / 6.f, 45 / 9.f, 33 / 6.f, 24 / 4.f, 39 / 6.f, 28 / 4.f},
	           1e-6f);
	begin();
	x = input(IR_F32, SHAPE(1, 1, 3, 3));
	op = mk(IR_OP_AVGPOOL, OPS(x), IR_F32, SHAPE(1, 1, 3, 3));
	pool_attrs(op, 3, 3, 1, 1, 1, 1, 1, 1, 0);
	ir_op_set_int(G, op, "count_include_pad", 1);
	expect_f32("avgpool include pad", op->results[0], IN(x9),
	           (float[]){12 / 9.f, 21 / 9.f, 16 / 9.f, 27 / 9.f, 5, 33 / 9.f, 24 / 9.f, 39 / 9.f, 28 / 9.f}, 1e-6f);

	/*
	 * ceil_mode with count_include_pad (PyTorch): 4x4, kernel 3, stride 2,
	 * pad 1 -> 3x3.  The last row/column window starts at 3 and would run to
	 * 5, but only 3..4 is inside input+pad, so its divisor counts 2 per axis.
	 */
	begin();
	x = input(IR_F32, SHAPE(1, 1, 4, 4));
	op = mk(IR_OP_AVGPOOL, OPS(x), IR_F32, SHAPE(1, 1, 3, 3));
	pool_attrs(op, 3, 3, 2, 2, 1, 1, 1, 1, 1);
	ir_op_set_int(G, op, "count_include_pad", 1);
	expect_f32("avgpool ceil include pad", op->results[0], IN(x16),
	           (float[]){(1 + 2 + 5 + 6) / 9.f, (2 + 3 + 4 + 6 + 7 + 8) / 9.f, (4 + 8) / 6.f,
	                     (5 + 6 + 9 + 10 + 13 + 14) / 9.f, (6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16) / 9.f,
	                     (8 + 12 + 16) / 6.f, (13 + 14) / 6.f, (14 + 15 + 16) / 6.f, 16 / 4.f},
	           1e-6f);
	begin();
	x = input(IR_F32, SHAPE(1, 1, 4, 4));
	op = mk(IR_OP_AVGPOOL, OPS(x), IR_F32, SHAPE(1, 1, 3, 3));
	pool_attrs(op, 3, 3, 2, 2, 1, 1, 1, 1, 1);
	expect_f32("avgpool ceil exclude pad", op->results[0], IN(x16),
	           (float[]){(1 + 2 + 5 + 6) / 4.f, (2 + 3 + 4 + 6 + 7 + 8) / 6.f, (4 + 8) / 2.f,
	                     (5 + 6 + 9 + 10 + 13 + 14) / 6.f, (6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16) / 9.f,
	                     (8 + 12 + 16) / 3.f, (13 + 14) / 2.f, (14 + 15 + 16) / 3.f, 16},
	           1e-6f);

	pool_case("ref maxpool 3x3 s2 p1", true, 9, 8, 3, 2, 1, 0, false);
	pool_case("ref maxpool ceil", true, 8, 7, 3, 2, 1, 1, false);
	pool_case("ref avgpool ceil cip", false, 8, 7, 3, 2, 1, 1, true);
	pool_case("ref avgpool ceil", false, 7, 6, 2, 2, 0, 1, false);
	pool_case("ref avgpool 3 s3 p1 cip", false, 10, 11, 3, 3, 1, 1, true);

	begin();
	x = input(IR_F32, SHAPE(1, 2, 2, 2));
	op = mk(IR_OP_GLOBALAVGPOOL, OPS(x), IR_F32, SHAPE(1, 2, 1, 1));
	expect_f32("globalavgpool", op->results[0], IN((float[]){1, 2, 3, 4, -1, -2, -3, 10}), (float[]){2.5f, 1}, 1e-6f);
	begin();
	x = input(IR_F32, SHAPE(2, 1, 3));
	op = mk(IR_OP_GLOBALAVGPOOL, OPS(x), IR_F32, SHAPE(2, 1, 1));
	expect_f32("globalavgpool 1-D", op->results[0], IN((float[]){1, 2, 3, 4, 5, 9}), (float[]){2, 6}, 1e-6f);
	end_group();
}

/* ---- normalisation, softmax, reductions ------------------------------------------- */

static void
test_norm(void)
{
	begin_group("batchnorm");
	begin();
	ir_value *x = input(IR_F32, SHAPE(1, 2, 1, 2));
	ir_value *sc = cnst(IR_F32, SHAPE(2), (float[]){2, 1});
	ir_value *bi = cnst(IR_F32, SHAPE(2), (float[]){1, 0});
	ir_value *mu = cnst(IR_F32, SHAPE(2), (float[]){1, -1});
	ir_value *va = cnst(IR_F32, SHAPE(2), (float[]){4, 0.25f});
	ir_op *op = mk(IR_OP_BATCHNORM, OPS(x, sc, bi, mu, va), IR_F32, SHAPE(1, 2, 1, 2));
	ir_op_set_float(G, op, "epsilon", 0);
	/* c0: (x-1)/2*2+1 = x; c1: (x+1)/0.5 */
	expect_f32("batchnorm", op->results[0], IN((float[]){3, 5, 1, 0}), (float[]){3, 5, 4, 2}, 1e-6f);
	begin();
	x = input(IR_F32, SHAPE(2, 1));
	sc = cnst(IR_F32, SHAPE(1), (float[]){1});
	bi = cnst(IR_F32, SHAPE(1), (float[]){0});
	mu = cnst(IR_F32, SHAPE(1), (float[]){0});
	va = cnst(IR_F32, SHAPE(1), (float[]){0});
	op = mk(IR_OP_BATCHNORM, OPS(x, sc, bi, mu, va), IR_F32, SHAPE(2, 1));
	ir_op_set_float(G, op, "epsilon", 1);
	expect_f32("batchnorm rank 2 eps", op->results[0], IN((float[]){3, -2}), (float[]){3, -2}, 1e-6f);
	end_group();

	begin_group("softmax");
	begin();
	x = input(IR_F32, SHAPE(1, 3));
	op = mk(IR_OP_SOFTMAX, OPS(x), IR_F32, SHAPE(1, 3));
	ir_op_set_int(G, op, "axis", 1);
	float sm[] = {0.0900305732f, 0.2447284711f, 0.6652409558f};
	expect_f32("softmax", op->results[0], IN((float[]){1, 2, 3}), sm, 1e-6f);
	begin();
	x = input(IR_F32, SHAPE(3));
	op = mk(IR_OP_SOFTMAX, OPS(x), IR_F32, SHAPE(3));
	ir_op_set_int(G, op, "axis", 0);
	expect_f32("softmax stable", op->results[0], IN((float[]){1000, 1001, 1002}), sm, 1e-6f);
	/* over axis 0 of [2,3]: each column separately */
	begin();
	x = input(IR_F32, SHAPE(2, 3));
	op = mk(IR_OP_SOFTMAX, OPS(x), IR_F32, SHAPE(2, 3));
	ir_op_set_int(G, op, "axis", 0);
	float e1 = 1 / (1 + expf(1)), e2 = 1 / (1 + expf(-2));
	expect_f32("softmax axis 0", op->results[0], IN((float[]){0, 5, 2, 1, 5, 0}),
	           (float[]){e1, 0.5f, e2, 1 - e1, 0.5f, 1 - e2}, 1e-6f);
	/* middle axis of [2,2,2] */
	begin();
	x = input(IR_F32, SHAPE(2, 2, 2));
	op = mk(IR_OP_SOFTMAX, OPS(x), IR_F32, SHAPE(2, 2, 2));
	ir_op_set_int(G, op, "axis", 1);
	expect_f32("softmax middle axis", op->results[0], IN((float[]){0, 0, 1, 0, 3, 3, 3, 3}),
	           (float[]){e1, 0.5f, 1 - e1, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 1e-6f);
	begin();
	x = input(IR_F32, SHAPE(2));
	op = mk(IR_OP_SOFTMAX, OPS(x), IR_F32, SHAPE(2));
	ir_op_set_int(G, op, "axis", 0);
	expect_f32("softmax -inf", op->results[0], IN((float[]){-INFINITY, 0}), (float[]){0, 1}, 0);
	end_group();

	begin_group("reduce");
	float x6[] = {1, 2, 3, 4, 5, 6};
	begin();
	x = input(IR_F32, SHAPE(2, 3));
	op = mk(IR_OP_REDUCEMEAN, OPS(x), IR_F32, SHAPE(2, 1));
	seti(op, "axes", INTS(1));
	ir_op_set_int(G, op, "keepdims", 1);
	expect_f32("reducemean axis 1 keepdims", op->results[0], IN(x6), (float[]){2, 5}, 1e-6f);
	begin();
	x = input(IR_F32, SHAPE(2, 3));
	op = mk(IR_OP_REDUCESUM, OPS(x), IR_F32, SHAPE(3));
	seti(op, "axes", INTS(0));
	ir_op_set_int(G, op, "keepdims", 0);
	expect_f32("reducesum axis 0", op->results[0], IN(x6), (float[]){5, 7, 9}, 0);
	begin();
	x = input(IR_F32, SHAPE(2, 2, 2));
	op = mk(IR_OP_REDUCESUM, OPS(x), IR_F32, SHAPE(2));
	seti(op, "axes", INTS(0, 2));
	ir_op_set_int(G, op, "keepdims", 0);
	expect_f32("reducesum axes 0,2", op->results[0], IN((float[]){1, 2, 3, 4, 5, 6, 7, 8}),
	           (float[]){1 + 2 + 5 + 6, 3 + 4 + 7 + 8}, 0);
	begin();
	x = input(IR_F32, SHAPE(1, 2, 2, 2));
	op = mk(IR_OP_REDUCEMEAN, OPS(x), IR_F32, SHAPE(1, 2, 1, 1));
	seti(op, "axes", INTS(2, 3));
	ir_op_set_int(G, op, "keepdims", 1);
	expect_f32("reducemean spatial", op->results[0], IN((float[]){1, 2, 3, 4, 5, 6, 7, 8}),
	           (float[]){2.5f, 6.5f}, 1e-6f);
	begin();
	x = input(IR_F32, SHAPE(2, 3));
	op = mk(IR_OP_REDUCEMEAN, OPS(x), IR_F32, SCALAR);
	seti(op, "axes", INTS(0, 1));
	ir_op_set_int(G, op, "keepdims", 0);
	expect_f32("reducemean all", op->results[0], IN(x6), (float[]){3.5f}, 1e-6f);
	end_group();
}

/* ---- gemm and matmul --------------------------------------------------------------- */

static void
gemm_attrs(ir_op *op, int64_t ta, int64_t tb, float alpha, float beta)
{
	ir_op_set_int(G, op, "transA", ta);
	ir_op_set_int(G, op, "transB", tb);
	ir_op_set_float(G, op, "alpha", alpha);
	ir_op_set_float(G, op, "beta", beta);
}

static void
test_linalg(void)
{
	begin_group("gemm");
	/* A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]]: AB = [[4,5],[10,11]] */
	float A[] = {1, 2, 3, 4, 5, 6}, At[] = {1, 4, 2, 5, 3, 6};
	float B[] = {1, 0, 0, 1, 1, 1}, Bt[] = {1, 0, 1, 0, 1, 1};
	begin();
	ir_value *a = input(IR_F32, SHAPE(2, 3));
	ir_value *b = cnst(IR_F32, SHAPE(3, 2), B);
	ir_op *op = mk(IR_OP_GEMM, OPS(a, b, NULL), IR_F32, SHAPE(2, 2));
	gemm_attrs(op, 0, 0, 1, 1);
	expect_f32("gemm plain", op->results[0], IN(A), (float[]){4, 5, 10, 11}, 0);

	begin();
	a = input(IR_F32, SHAPE(2, 3));
	b = cnst(IR_F32, SHAPE(3, 2), B);
	ir_value *c = cnst(IR_F32, SHAPE(2), (float[]){10, 20});
	op = mk(IR_OP_GEMM, OPS(a, b, c), IR_F32, SHAPE(2, 2));
	gemm_attrs(op, 0, 0, 2, 0.5f);
	expect_f32("gemm alpha beta C[N]", op->results[0], IN(A), (float[]){13, 20, 25, 32}, 0);

	begin();
	a = input(IR_F32, SHAPE(3, 2));
	b = cnst(IR_F32, SHAPE(2, 3), Bt);
	c = cnst(IR_F32, SHAPE(2, 1), (float[]){100, 200});
	op = mk(IR_OP_GEMM, OPS(a, b, c), IR_F32, SHAPE(2, 2));
	gemm_attrs(op, 1, 1, 1, 1);
	expect_f32("gemm transA transB C[M,1]", op->results[0], IN(At), (float[]){104, 105, 210, 211}, 0);

	begin();
	a = input(IR_F32, SHAPE(2, 3));
	b = cnst(IR_F32, SHAPE(2, 3), Bt);
	c = cnst(IR_F32, SCALAR, (float[]){-1});
	op = mk(IR_OP_GEMM, OPS(a, b, c), IR_F32, SHAPE(2, 2));
	gemm_attrs(op, 0, 1, 1, 3);
	expect_f32("gemm transB C scalar", op->results[0], IN(A), (float[]){1, 2, 7, 8}, 0);

	begin();
	a = input(IR_F32, SHAPE(3, 2));
	b = cnst(IR_F32, SHAPE(3, 2), B);
	c = cnst(IR_F32, SHAPE(2, 2), (float[]){1, 2, 3, 4});
	op = mk(IR_OP_GEMM, OPS(a, b, c), IR_F32, SHAPE(2, 2));
	gemm_attrs(op, 1, 0, 1, 1);
	expect_f32("gemm transA C[M,N]", op->results[0], IN(At), (float[]){5, 7, 13, 15}, 0);

	begin();
	a = input(IR_F32, SHAPE(2, 3));
	b = cnst(IR_F32, SHAPE(3, 2), B);
	c = cnst(IR_F32, SHAPE(1, 1), (float[]){7});
	op = mk(IR_OP_GEMM, OPS(a, b, c), IR_F32, SHAPE(2, 2));
	gemm_attrs(op, 0, 0, 1, 1);
	expect_f32("gemm C[1,1]", op->results[0], IN(A), (float[]){11, 12, 17, 18}, 0);
	end_group();

	begin_group("matmul");
	begin();
	a = input(IR_F32, SHAPE(2, 3));
	b = input(IR_F32, SHAPE(3, 2));
	op = mk(IR_OP_MATMUL, OPS(a, b), IR_F32, SHAPE(2, 2));
	expect_f32("matmul 2-D", op->results[0], IN(A, B), (float[]){4, 5, 10, 11}, 0);

	begin();
	a = input(IR_F32, SHAPE(3));
	b = input(IR_F32, SHAPE(3, 2));
	op = mk(IR_OP_MATMUL, OPS(a, b), IR_F32, SHAPE(2));
	expect_f32("matmul 1-D x 2-D", op->results[0], IN((float[]){1, 2, 3}, B), (float[]){4, 5}, 0);

	begin();
	a = input(IR_F32, SHAPE(2, 3));
	b = input(IR_F32, SHAPE(3));
	op = mk(IR_OP_MATMUL, OPS(a, b), IR_F32, SHAPE(2));
	expect_f32("matmul 2-D x 1-D", op->results[0], IN(A, (float[]){1, 0, -1}), (float[]){-2, -2}, 0);

	begin();
	a = input(IR_F32, SHAPE(3));
	b = input(IR_F32, SHAPE(3));
	op = mk(IR_OP_MATMUL, OPS(a, b), IR_F32, SCALAR);
	expect_f32("matmul 1-D x 1-D", op->results[0], IN((float[]){1, 2, 3}, (float[]){4, 5, 6}), (float[]){32}, 0);

	/* batch broadcast: [2,1,2,2] x [3,2,1] -> [2,3,2,1] */
	begin();
	a = input(IR_F32, SHAPE(2, 1, 2, 2));
	b = input(IR_F32, SHAPE(3, 2, 1));
	op = mk(IR_OP_MATMUL, OPS(a, b), IR_F32, SHAPE(2, 3, 2, 1));
	/* a batches: I, 2I; b batches: [1,1], [1,-1], [0,1] */
	expect_f32("matmul batch broadcast", op->results[0],
	           IN((float[]){1, 0, 0, 1, 2, 0, 0, 2}, (float[]){1, 1, 1, -1, 0, 1}),
	           (float[]){1, 1, 1, -1, 0, 1, 2, 2, 2, -2, 0, 2}, 0);

	/* 3-D x 2-D (the transformer-style projection) */
	begin();
	a = input(IR_F32, SHAPE(2, 1, 3));
	b = input(IR_F32, SHAPE(3, 2));
	op = mk(IR_OP_MATMUL, OPS(a, b), IR_F32, SHAPE(2, 1, 2));
	expect_f32("matmul 3-D x 2-D", op->results[0], IN(A, B), (float[]){4, 5, 10, 11}, 0);

	/* 1-D x 3-D: the 1-D operand is promoted and then broadcast */
	begin();
	a = input(IR_F32, SHAPE(2));
	b = input(IR_F32, SHAPE(2, 2, 1));
	op = mk(IR_OP_MATMUL, OPS(a, b), IR_F32, SHAPE(2, 1));
	expect_f32("matmul 1-D x 3-D", op->results[0], IN((float[]){1, 2}, (float[]){3, 4, 5, 6}),
	           (float[]){11, 17}, 0);
	end_group();
}

/* ---- data movement ------------------------------------------------------------------ */

static void
test_movement(void)
{
	float x6[] = {1, 2, 3, 4, 5, 6};

	begin_group("reshape etc");
	begin();
	ir_value *x = input(IR_F32, SHAPE(2, 3));
	ir_op *op = mk(IR_OP_RESHAPE, OPS(x), IR_F32, SHAPE(3, 1, 2));
	expect_f32("reshape", op->results[0], IN(x6), x6, 0);

	begin();
	x = input(IR_F32, SHAPE(2, 3));
	op = mk(IR_OP_TRANSPOSE, OPS(x), IR_F32, SHAPE(3, 2));
	seti(op, "perm", INTS(1, 0));
	expect_f32("transpose 2-D", op->results[0], IN(x6), (float[]){1, 4, 2, 5, 3, 6}, 0);

	begin();
	int64_t x24[24];
	for (int i = 0; i < 24; i++)
		x24[i] = i;
	x = input(IR_I64, SHAPE(2, 3, 4));
	op = mk(IR_OP_TRANSPOSE, OPS(x), IR_I64, SHAPE(4, 2, 3));
	seti(op, "perm", INTS(2, 0, 1));
	{
		int64_t want[24];
		for (int k = 0; k < 4; k++)
			for (int i = 0; i < 2; i++)
				for (int j = 0; j < 3; j++)
					want[(k * 2 + i) * 3 + j] = x24[(i * 3 + j) * 4 + k];
		expect_bytes("transpose 3-D i64", op->results[0], IN(x24), want);
	}

	begin();
	ir_value *a = input(IR_F32, SHAPE(2, 1));
	ir_value *b = input(IR_F32, SHAPE(2, 2));
	ir_value *c = cnst(IR_F32, SHAPE(2, 1), (float[]){9, 10});
	op = mk(IR_OP_CONCAT, OPS(a, b, c), IR_F32, SHAPE(2, 4));
	ir_op_set_int(G, op, "axis", 1);
	expect_f32("concat axis 1", op->results[0], IN((float[]){1, 2}, (float[]){3, 4, 5, 6}),
	           (float[]){1, 3, 4, 9, 2, 5, 6, 10}, 0);
	begin();
	a = input(IR_I32, SHAPE(1, 2));
	b = input(IR_I32, SHAPE(2, 2));
	op = mk(IR_OP_CONCAT, OPS(a, b), IR_I32, SHAPE(3, 2));
	ir_op_set_int(G, op, "axis", 0);
	expect_bytes("concat axis 0 i32", op->results[0], IN((int32_t[]){1, 2}, (int32_t[]){3, 4, 5, 6}),
	             (int32_t[]){1, 2, 3, 4, 5, 6});

	/* split: both results reach the outputs */
	begin();
	x = input(IR_F32, SHAPE(2, 3));
	op = ir_op_new(G, IR_OP_SPLIT, (ir_value *[]){x}, 1, 2);
	for (int i = 0; i < 2; i++) {
		op->results[i]->rank = 2;
		op->results[i]->dims[0] = 2;
		op->results[i]->dims[1] = i ? 2 : 1;
	}
	ir_op_set_int(G, op, "axis", 1);
	seti(op, "split", INTS(1, 2));
	ir_op_append(G, op);
	ir_graph_add_output(G, op->results[0], "a");
	ir_graph_add_output(G, op->results[1], "b");
	{
		float o0[2], o1[4];
		ir_err e = {{0}};
		int rc = ir_interp_run(G, IN(x6), (void *const[]){o0, o1}, &e);
		CHECK(rc == 0, "split: %s", e.msg);
		CHECK(rc == 0 && o0[0] == 1 && o0[1] == 4 && o1[0] == 2 && o1[1] == 3 && o1[2] == 5 && o1[3] == 6,
		      "split: wrong values");
		ir_graph_free(G);
		G = NULL;
	}

	begin();
	x = input(IR_F32, SHAPE(3, 1));
	op = mk(IR_OP_EXPAND, OPS(x), IR_F32, SHAPE(2, 3, 2));
	expect_f32("expand", op->results[0], IN((float[]){1, 2, 3}), (float[]){1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}, 0);
	begin();
	x = input(IR_U8, SCALAR);
	op = mk(IR_OP_EXPAND, OPS(x), IR_U8, SHAPE(3));
	expect_bytes("expand scalar u8", op->results[0], IN((uint8_t[]){7}), (uint8_t[]){7, 7, 7});
	end_group();

	begin_group("slice");
	float x10[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	begin();
	x = input(IR_F32, SHAPE(10));
	op = mk(IR_OP_SLICE, OPS(x), IR_F32, SHAPE(3));
	seti(op, "starts", INTS(1));
	seti(op, "steps", INTS(3));
	expect_f32("slice step 3", op->results[0], IN(x10), (float[]){1, 4, 7}, 0);
	begin();
	x = input(IR_F32, SHAPE(10));
	op = mk(IR_OP_SLICE, OPS(x), IR_F32, SHAPE(5));
	seti(op, "starts", INTS(9));
	seti(op, "steps", INTS(-2));
	expect_f32("slice step -2", op->results[0], IN(x10), (float[]){9, 7, 5, 3, 1}, 0);
	begin();
	x = input(IR_F32, SHAPE(10));
	op = mk(IR_OP_SLICE, OPS(x), IR_F32, SHAPE(10));
	seti(op, "starts", INTS(9));
	seti(op, "steps", INTS(-1));
	expect_f32("slice reverse", op->results[0], IN(x10), (float[]){9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 0);
	begin();
	x = input(IR_I64, SHAPE(2, 3));
	op = mk(IR_OP_SLICE, OPS(x), IR_I64, SHAPE(1, 2));
	seti(op, "starts", INTS(1, 2));
	seti(op, "steps", INTS(1, -2));
	expect_bytes("slice 2-D i64", op->results[0], IN((int64_t[]){1, 2, 3, 4, 5, 6}), (int64_t[]){6, 4});
	begin();
	x = input(IR_F32, SHAPE(2, 3));
	op = mk(IR_OP_SLICE, OPS(x), IR_F32, SHAPE(2, 0));
	seti(op, "starts", INTS(0, 0));
	seti(op, "steps", INTS(1, 1));
	expect_f32("slice empty", op->results[0], IN(x6), x6, 0);
	begin();
	x = input(IR_F32, SHAPE(1, 2, 4));
	op = mk(IR_OP_SLICE, OPS(x), IR_F32, SHAPE(1, 2, 2));
	seti(op, "starts", INTS(0, 0, 1));
	seti(op, "steps", INTS(1, 1, 2));
	expect_f32("slice inner axis", op->results[0], IN((float[]){0, 1, 2, 3, 4, 5, 6, 7}), (float[]){1, 3, 5, 7}, 0);
	end_group();

	begin_group("pad");
	begin();
	x = input(IR_F32, SHAPE(3));
	op = mk(IR_OP_PAD, OPS(x), IR_F32, SHAPE(6));
	seti(op, "pads", INTS(2, 1));
	ir_op_set_string(G, op, "mode", "constant");
	ir_op_set_float(G, op, "value", 2.5f);
	expect_f32("pad constant", op->results[0], IN((float[]){1, 2, 3}), (float[]){2.5f, 2.5f, 1, 2, 3, 2.5f}, 0);
	begin();
	x = input(IR_F32, SHAPE(4));
	op = mk(IR_OP_PAD, OPS(x), IR_F32, SHAPE(8));
	seti(op, "pads", INTS(2, 2));
	ir_op_set_string(G, op, "mode", "reflect");
	ir_op_set_float(G, op, "value", 0);
	expect_f32("pad reflect", op->results[0], IN((float[]){1, 2, 3, 4}), (float[]){3, 2, 1, 2, 3, 4, 3, 2}, 0);
	begin();
	x = input(IR_F32, SHAPE(3));
	op = mk(IR_OP_PAD, OPS(x), IR_F32, SHAPE(6));
	seti(op, "pads", INTS(2, 1));
	ir_op_set_string(G, op, "mode", "edge");
	ir_op_set_float(G, op, "value", 0);
	expect_f32("pad edge", op->results[0], IN((float[]){1, 2, 3}), (float[]){1, 1, 1, 2, 3, 3}, 0);
	begin();
	x = input(IR_F32, SHAPE(5));
	op = mk(IR_OP_PAD, OPS(x), IR_F32, SHAPE(6));
	seti(op, "pads", INTS(-1, 2));
	ir_op_set_string(G, op, "mode", "constant");
	ir_op_set_float(G, op, "value", 0);
	expect_f32("pad negative", op->results[0], IN((float[]){1, 2, 3, 4, 5}), (float[]){2, 3, 4, 5, 0, 0}, 0);
	/* reflect on both axes of [3,2]: pads [1,1,1,0] */
	begin();
	x = input(IR_F32, SHAPE(3, 2));
	op = mk(IR_OP_PAD, OPS(x), IR_F32, SHAPE(5, 3));
	seti(op, "pads", INTS(1, 1, 1, 0));
	ir_op_set_string(G, op, "mode", "reflect");
	ir_op_set_float(G, op, "value", 0);
	expect_f32("pad reflect 2-D", op->results[0], IN((float[]){1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}),
	           (float[]){3.4f, 2.3f, 3.4f, 1.2f, 1.0f, 1.2f, 3.4f, 2.3f, 3.4f, 5.7f, 4.5f, 5.7f,
	                     3.4f, 2.3f, 3.4f}, 0);
	begin();
	x = input(IR_I64, SHAPE(2, 1));
	op = mk(IR_OP_PAD, OPS(x), IR_I64, SHAPE(3, 2));
	seti(op, "pads", INTS(1, 0, 0, 1));
	ir_op_set_string(G, op, "mode", "constant");
	ir_op_set_float(G, op, "value", -7);
	expect_bytes("pad i64 constant", op->results[0], IN((int64_t[]){5, 6}), (int64_t[]){-7, -7, 5, -7, 6, -7});
	begin();
	x = input(IR_F32, SHAPE(2, 2));
	op = mk(IR_OP_PAD, OPS(x), IR_F32, SHAPE(4, 3));
	seti(op, "pads", INTS(1, 0, 1, 1));
	ir_op_set_string(G, op, "mode", "edge");
	ir_op_set_float(G, op, "value", 0);
	expect_f32("pad edge 2-D", op->results[0], IN((float[]){1, 2, 3, 4}),
	           (float[]){1, 2, 2, 1, 2, 2, 3, 4, 4, 3, 4, 4}, 0);
	end_group();

	begin_group("gather");
	begin();
	x = input(IR_F32, SHAPE(3, 2));
	ir_value *idx = cnst(IR_I64, SHAPE(2), (int64_t[]){0, -1});
	op = mk(IR_OP_GATHER, OPS(x, idx), IR_F32, SHAPE(2, 2));
	ir_op_set_int(G, op, "axis", 0);
	expect_f32("gather axis 0 negative", op->results[0], IN(x6), (float[]){1, 2, 5, 6}, 0);
	begin();
	x = input(IR_F32, SHAPE(2, 3));
	idx = cnst(IR_I32, SHAPE(2, 2), (int32_t[]){2, 0, 1, 1});
	op = mk(IR_OP_GATHER, OPS(x, idx), IR_F32, SHAPE(2, 2, 2));
	ir_op_set_int(G, op, "axis", 1);
	expect_f32("gather axis 1 i32 2-D", op->results[0], IN(x6), (float[]){3, 1, 2, 2, 6, 4, 5, 5}, 0);
	begin();
	x = input(IR_I64, SHAPE(4));
	idx = cnst(IR_I64, SCALAR, (int64_t[]){-2});
	op = mk(IR_OP_GATHER, OPS(x, idx), IR_I64, SCALAR);
	ir_op_set_int(G, op, "axis", 0);
	expect_bytes("gather scalar index (shape[-2])", op->results[0], IN((int64_t[]){1, 64, 56, 56}), (int64_t[]){56});
	begin();
	x = input(IR_F32, SHAPE(3));
	idx = input(IR_I64, SHAPE(1));
	op = mk(IR_OP_GATHER, OPS(x, idx), IR_F32, SHAPE(1));
	ir_op_set_int(G, op, "axis", 0);
	expect_error("gather out of range", op->results[0], IN(x6, (int64_t[]){3}), "index 3 out of range");
	begin();
	x = input(IR_F32, SHAPE(3));
	idx = input(IR_I32, SHAPE(1));
	op = mk(IR_OP_GATHER, OPS(x, idx), IR_F32, SHAPE(1));
	ir_op_set_int(G, op, "axis", 0);
	expect_error("gather out of range negative", op->results[0], IN(x6, (int32_t[]){-4}), "index -4 out of range");
	end_group();
}

/* ---- cast ------------------------------------------------------------------------------ */

static void
test_cast(void)
{
	begin_group("cast");
	ir_value *x;
	ir_op *op;
#define CAST_CASE(what, ST, DT, N, inp, want)                          \
	do {                                                                \
		begin();                                                        \
		x = input(ST, SHAPE(N));                                        \
		op = mk(IR_OP_CAST, OPS(x), DT, SHAPE(N));                      \
		expect_bytes(what, op->results[0], IN(inp), want);              \
	} while (0)
	CAST_CASE("f32->i32 truncates", IR_F32, IR_I32, 5, ((float[]){-2.7f, -0.5f, 0.5f, 2.7f, 1e10f}),
	          ((int32_t[]){-2, 0, 0, 2, INT32_MAX}));
	CAST_CASE("f32->i64", IR_F32, IR_I64, 4, ((float[]){-3.99f, 3.99f, NAN, -1e30f}),
	          ((int64_t[]){-3, 3, 0, INT64_MIN}));
	CAST_CASE("f32->bool", IR_F32, IR_BOOL, 5, ((float[]){0, -0.0f, 1.5f, NAN, -1e-30f}),
	          ((uint8_t[]){0, 0, 1, 1, 1}));
	CAST_CASE("f32->u8 saturates", IR_F32, IR_U8, 4, ((float[]){-1, 3.5f, 255.9f, 300}),
	          ((uint8_t[]){0, 3, 255, 255}));
	CAST_CASE("f32->i8", IR_F32, IR_I8, 3, ((float[]){-128.5f, -5.5f, 127.9f}), ((int8_t[]){-128, -5, 127}));
	CAST_CASE("f32->f64", IR_F32, IR_F64, 2, ((float[]){0.1f, -2}), ((double[]){(double)0.1f, -2}));
	CAST_CASE("f64->f32", IR_F64, IR_F32, 2, ((double[]){0.1, 1e300}), ((float[]){0.1f, INFINITY}));
	CAST_CASE("i64->f32", IR_I64, IR_F32, 3, ((int64_t[]){-3, 16777217, 1LL << 40}),
	          ((float[]){-3, 16777216, 1099511627776.0f}));
	CAST_CASE("i64->i32 wraps", IR_I64, IR_I32, 3, ((int64_t[]){-3, 1LL << 32, (1LL << 32) + 5}),
	          ((int32_t[]){-3, 0, 5}));
	CAST_CASE("i32->i64", IR_I32, IR_I64, 2, ((int32_t[]){-3, INT32_MAX}), ((int64_t[]){-3, INT32_MAX}));
	CAST_CASE("i64->i64 big", IR_I64, IR_I64, 1, ((int64_t[]){(1LL << 62) + 1}), ((int64_t[]){(1LL << 62) + 1}));
	CAST_CASE("i64->u8 wraps", IR_I64, IR_U8, 2, ((int64_t[]){257, -1}), ((uint8_t[]){1, 255}));
	CAST_CASE("i8->i32", IR_I8, IR_I32, 2, ((int8_t[]){-128, 127}), ((int32_t[]){-128, 127}));
	CAST_CASE("u8->f32", IR_U8, IR_F32, 2, ((uint8_t[]){255, 0}), ((float[]){255, 0}));
	CAST_CASE("bool->f32", IR_BOOL, IR_F32, 2, ((uint8_t[]){1, 0}), ((float[]){1, 0}));
	CAST_CASE("i64->bool", IR_I64, IR_BOOL, 3, ((int64_t[]){0, 1LL << 40, -1}), ((uint8_t[]){0, 1, 1}));
	CAST_CASE("f64->i64", IR_F64, IR_I64, 2, ((double[]){-1e19, 9007199254740993.0}),
	          ((int64_t[]){INT64_MIN, 9007199254740992LL}));
#undef CAST_CASE
	end_group();
}

/* ---- resize ---------------------------------------------------------------------------- */

static ir_op *
resize_op(int64_t ih, int64_t iw, int64_t oh, int64_t ow, const char *mode, const char *coord,
          const char *nearest, float sh, float sw)
{
	ir_value *x = input(IR_F32, SHAPE(1, 1, ih, iw));
	ir_op *op = mk(IR_OP_RESIZE, OPS(x), IR_F32, SHAPE(1, 1, oh, ow));
	ir_op_set_string(G, op, "mode", mode);
	ir_op_set_string(G, op, "coord", coord);
	ir_op_set_string(G, op, "nearest_mode", nearest);
	ir_op_set_floats(G, op, "scales", FLOATS(1, 1, sh, sw));
	return op;
}

static void
test_resize(void)
{
	begin_group("resize");
	float x4[] = {1, 2, 3, 4}, x8[] = {1, 2, 3, 4, 5, 6, 7, 8}, x16[16];
	for (int i = 0; i < 16; i++)
		x16[i] = (float)(i + 1);

	/* ONNX's node tests (onnx/backend/test/case/node/resize.py) */
	begin();
	ir_op *op = resize_op(2, 2, 4, 6, "nearest", "half_pixel", "round_prefer_floor", 2, 3);
	expect_f32("upsample_scales_nearest", op->results[0], IN(x4),
	           (float[]){1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, 0);
	begin();
	op = resize_op(2, 4, 1, 2, "nearest", "half_pixel", "round_prefer_floor", 0.6f, 0.6f);
	expect_f32("downsample_scales_nearest", op->results[0], IN(x8), (float[]){1, 3}, 0);
	begin();
	op = resize_op(2, 2, 7, 8, "nearest", "half_pixel", "round_prefer_floor", 3.5f, 4);
	{
		float want[56];
		for (int i = 0; i < 7; i++)
			for (int j = 0; j < 8; j++)
				want[i * 8 + j] = (float)((i < 4 ? 1 : 3) + (j < 4 ? 0 : 1));
		expect_f32("upsample_sizes_nearest", op->results[0], IN(x4), want, 0);
	}
	begin();
	op = resize_op(2, 4, 1, 3, "nearest", "half_pixel", "round_prefer_floor", 0.5f, 0.75f);
	expect_f32("downsample_sizes_nearest", op->results[0], IN(x8), (float[]){1, 2, 4}, 0);
	begin();
	op = resize_op(2, 2, 4, 4, "linear", "half_pixel", "round_prefer_floor", 2, 2);
	expect_f32("upsample_scales_linear", op->results[0], IN(x4),
	           (float[]){1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4},
	           1e-6f);
	begin();
	op = resize_op(2, 2, 4, 4, "linear", "align_corners", "round_prefer_floor", 2, 2);
	{
		float t = 1 / 3.f;
		expect_f32("upsample_scales_linear_align_corners", op->results[0], IN(x4),
		           (float[]){1, 1 + t, 1 + 2 * t, 2, 1 + 2 * t, 2, 2 + t, 2 + 2 * t,
		                     2 + t, 2 + 2 * t, 3, 3 + t, 3, 3 + t, 3 + 2 * t, 4},
		           1e-6f);
	}
	begin();
	op = resize_op(2, 4, 1, 2, "linear", "half_pixel", "round_prefer_floor", 0.6f, 0.6f);
	expect_f32("downsample_scales_linear", op->results[0], IN(x8), (float[]){2.6666665f, 4.3333331f}, 1e-6f);
	begin();
	op = resize_op(2, 4, 1, 2, "linear", "align_corners", "round_prefer_floor", 0.6f, 0.6f);
	expect_f32("downsample_scales_linear_align_corners", op->results[0], IN(x8), (float[]){1, 3.142857f}, 1e-6f);
	begin();
	op = resize_op(4, 4, 3, 1, "linear", "pytorch_half_pixel", "round_prefer_floor", 0.75f, 0.25f);
	expect_f32("downsample_sizes_linear_pytorch_half_pixel", op->results[0], IN(x16),
	           (float[]){1.6666666f, 7, 12.333333f}, 1e-6f);
	{
		float fl[64], pc[64];
		/* columns (and rows) chosen by the node tests' expected outputs */
		static const int cols_floor[8] = {0, 0, 0, 1, 1, 2, 2, 3};
		static const int cols_ceil[8] = {0, 1, 1, 2, 2, 3, 3, 3};
		for (int i = 0; i < 8; i++)
			for (int j = 0; j < 8; j++) {
				fl[i * 8 + j] = x16[cols_floor[i] * 4 + cols_floor[j]];
				pc[i * 8 + j] = x16[cols_ceil[i] * 4 + cols_ceil[j]];
			}
		begin();
		op = resize_op(4, 4, 8, 8, "nearest", "align_corners", "floor", 2, 2);
		expect_f32("upsample_sizes_nearest_floor_align_corners", op->results[0], IN(x16), fl, 0);
		begin();
		op = resize_op(4, 4, 8, 8, "nearest", "asymmetric", "round_prefer_ceil", 2, 2);
		expect_f32("upsample_sizes_nearest_round_prefer_ceil_asymmetric", op->results[0], IN(x16), pc, 0);
		begin();
		op = resize_op(4, 4, 8, 8, "nearest", "half_pixel", "ceil", 2, 2);
		expect_f32("upsample_sizes_nearest_ceil_half_pixel", op->results[0], IN(x16), pc, 0);
	}

	/* ties: asymmetric x/2 hits .5 at every odd x */
	begin();
	op = resize_op(1, 4, 1, 8, "nearest", "asymmetric", "round_prefer_floor", 1, 2);
	expect_f32("nearest round_prefer_floor ties", op->results[0], IN(x4), (float[]){1, 1, 2, 2, 3, 3, 4, 4}, 0);
	begin();
	op = resize_op(1, 4, 1, 8, "nearest", "asymmetric", "floor", 1, 2);
	expect_f32("nearest floor", op->results[0], IN(x4), (float[]){1, 1, 2, 2, 3, 3, 4, 4}, 0);
	begin();
	op = resize_op(1, 4, 1, 8, "nearest", "asymmetric", "ceil", 1, 2);
	expect_f32("nearest ceil clamps", op->results[0], IN(x4), (float[]){1, 2, 2, 3, 3, 4, 4, 4}, 0);
	/* tf_half_pixel_for_nearest: (x + 0.5) / s -> 1, 3 */
	begin();
	op = resize_op(1, 4, 1, 2, "nearest", "tf_half_pixel_for_nearest", "round_prefer_floor", 1, 0.5f);
	expect_f32("tf_half_pixel_for_nearest", op->results[0], IN(x4), (float[]){2, 4}, 0);
	/* PyTorch's nearest (asymmetric, floor), 2x */
	begin();
	op = resize_op(2, 2, 4, 4, "nearest", "asymmetric", "floor", 2, 2);
	expect_f32("pytorch nearest 2x", op->results[0], IN(x4),
	           (float[]){1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 0);
	/*
	 * sizes 3 -> 10: the f32 scale 10/3 stands for the exact ratio, as ONNX's
	 * reference computes it from sizes; x = 5 maps to exactly 1.5, which
	 * round_prefer_floor takes to 1 (the f32 scale would give 1.5000001 -> 2)
	 */
	begin();
	op = resize_op(1, 3, 1, 10, "nearest", "asymmetric", "round_prefer_floor", 1, (float)(10.0 / 3));
	expect_f32("sizes ratio is exact", op->results[0], IN((float[]){10, 20, 30}),
	           (float[]){10, 10, 20, 20, 20, 20, 30, 30, 30, 30}, 0);
	/* the identity */
	begin();
	op = resize_op(2, 2, 2, 2, "linear", "half_pixel", "round_prefer_floor", 1, 1);
	expect_f32("identity", op->results[0], IN(x4), x4, 0);
	/* linear along one axis of a 3-D tensor: only the sized axis changes */
	begin();
	{
		ir_value *x = input(IR_F32, SHAPE(2, 2, 1));
		op = mk(IR_OP_RESIZE, OPS(x), IR_F32, SHAPE(2, 3, 1));
		ir_op_set_string(G, op, "mode", "linear");
		ir_op_set_string(G, op, "coord", "align_corners");
		ir_op_set_string(G, op, "nearest_mode", "round_prefer_floor");
		ir_op_set_floats(G, op, "scales", FLOATS(1, 1.5f, 1));
		expect_f32("linear 3-D align_corners", op->results[0], IN(x4), (float[]){1, 1.5f, 2, 3, 3.5f, 4}, 1e-6f);
	}
	end_group();
}

/* ---- whole graphs ------------------------------------------------------------------------ */

static void
test_run(void)
{
	begin_group("run");
	/* conv -> relu -> add(residual) -> relu, with the input feeding two ops */
	begin();
	ir_value *x = input(IR_F32, SHAPE(1, 1, 2, 2));
	ir_value *w = cnst(IR_F32, SHAPE(1, 1, 1, 1), (float[]){-2});
	ir_op *c = mk(IR_OP_CONV, OPS(x, w, NULL), IR_F32, SHAPE(1, 1, 2, 2));
	conv_attrs(c, 1, 1, 0, 0, 0, 0, 1, 1, 1);
	ir_op *r = mk(IR_OP_RELU, OPS(c->results[0]), IR_F32, SHAPE(1, 1, 2, 2));
	ir_op *a = mk(IR_OP_ADD, OPS(r->results[0], x), IR_F32, SHAPE(1, 1, 2, 2));
	ir_op *dead = mk(IR_OP_NEG, OPS(a->results[0]), IR_F32, SHAPE(1, 1, 2, 2)); /* result unused */
	(void)dead;
	ir_op *r2 = mk(IR_OP_RELU, OPS(a->results[0]), IR_F32, SHAPE(1, 1, 2, 2));
	expect_f32("residual block", r2->results[0], IN((float[]){1, -1, 2, -3}), (float[]){1, 1, 2, 3}, 0);

	/* outputs that are an input, a constant and an intermediate also read later */
	begin();
	x = input(IR_F32, SHAPE(2));
	ir_value *k = cnst(IR_F32, SHAPE(2), (float[]){5, 6});
	ir_op *m = mk(IR_OP_MUL, OPS(x, x), IR_F32, SHAPE(2));
	ir_op *s = mk(IR_OP_ADD, OPS(m->results[0], k), IR_F32, SHAPE(2));
	ir_graph_add_output(G, s->results[0], "s");
	ir_graph_add_output(G, x, "x");
	ir_graph_add_output(G, k, "k");
	ir_graph_add_output(G, m->results[0], "m");
	{
		float o[4][2];
		ir_err e = {{0}};
		int rc = ir_interp_run(G, IN((float[]){2, 3}), (void *const[]){o[0], o[1], o[2], o[3]}, &e);
		CHECK(rc == 0, "outputs of every kind: %s", e.msg);
		CHECK(rc == 0 && o[0][0] == 9 && o[0][1] == 15 && o[1][0] == 2 && o[1][1] == 3 && o[2][0] == 5 &&
		          o[2][1] == 6 && o[3][0] == 4 && o[3][1] == 9,
		      "outputs of every kind: wrong values");
		ir_graph_free(G);
		G = NULL;
	}

	/* an elided constant without data cannot run */
	begin();
	x = input(IR_F32, SHAPE(2));
	ir_graph_add_const(G, "unused", IR_F32, SHAPE(2), NULL, false, 0x1234);
	k = ir_graph_add_const(G, "w", IR_F32, SHAPE(2), NULL, false, 0xabcd);
	s = mk(IR_OP_ADD, OPS(x, k), IR_F32, SHAPE(2));
	expect_error("elided constant", s->results[0], IN((float[]){1, 2}), "constant %c1 data not available");

	/* a failing op is named with its position and location */
	begin();
	x = input(IR_F32, SHAPE(3));
	ir_value *idx = input(IR_I64, SHAPE(1));
	ir_op *n = mk(IR_OP_NEG, OPS(x), IR_F32, SHAPE(3));
	ir_op *gth = mk(IR_OP_GATHER, OPS(n->results[0], idx), IR_F32, SHAPE(1));
	ir_op_set_int(G, gth, "axis", 0);
	gth->loc = "/Gather_7";
	expect_error("error names the op", gth->results[0], IN((float[]){1, 2, 3}, (int64_t[]){5}),
	             "op 1 \"/Gather_7\" (gather): index 5 out of range");

	/* a graph that does not verify does not run */
	begin();
	x = input(IR_F32, SHAPE(2));
	r = mk(IR_OP_RELU, OPS(x), IR_F32, SHAPE(3));
	expect_error("unverified graph", r->results[0], IN((float[]){1, 2}), "expected f32[2]");

	/* a chain long enough that freeing at last use matters: 64 adds */
	begin();
	x = input(IR_F32, SHAPE(1000));
	ir_value *v = x;
	for (int i = 0; i < 64; i++)
		v = mk(IR_OP_ADD, OPS(v, x), IR_F32, SHAPE(1000))->results[0];
	{
		float *xin = malloc(1000 * sizeof *xin), *want = malloc(1000 * sizeof *want);
		for (int i = 0; i < 1000; i++) {
			xin[i] = (float)i;
			want[i] = (float)(65 * i);
		}
		expect_f32("long chain", v, IN(xin), want, 0);
		free(xin);
		free(want);
	}
	end_group();
}

/* Fault injection in the interpreter's allocations (ir/interp.c). */
extern long ir_interp_fail_alloc_at;

/* Every allocation of a run fails in turn: each time a clean "out of
 * memory", and (under valgrind or ASan) nothing leaks. */
static void
test_oom(void)
{
	begin_group("out of memory");
	float x16[16];
	for (int i = 0; i < 16; i++)
		x16[i] = (float)i;
	int failures = 0, rc = -1;
	for (long at = 1; at < 200 && rc != 0; at++) {
		begin();
		ir_value *x = input(IR_F32, SHAPE(1, 1, 4, 4));
		ir_value *w = cnst(IR_F32, SHAPE(2, 1, 3, 3), (float[18]){1, 2, 3});
		ir_op *c = mk(IR_OP_CONV, OPS(x, w, NULL), IR_F32, SHAPE(1, 2, 4, 4));
		conv_attrs(c, 1, 1, 1, 1, 1, 1, 1, 1, 1);
		ir_op *r = mk(IR_OP_RESIZE, OPS(c->results[0]), IR_F32, SHAPE(1, 2, 8, 8));
		ir_op_set_string(G, r, "mode", "linear");
		ir_op_set_string(G, r, "coord", "half_pixel");
		ir_op_set_string(G, r, "nearest_mode", "round_prefer_floor");
		ir_op_set_floats(G, r, "scales", FLOATS(1, 1, 2, 2));
		ir_op *m = mk(IR_OP_REDUCEMEAN, OPS(r->results[0]), IR_F32, SHAPE(1, 2));
		seti(m, "axes", INTS(2, 3));
		ir_op_set_int(G, m, "keepdims", 0);
		ir_graph_add_output(G, m->results[0], "y");
		ir_graph_add_output(G, c->results[0], "c");
		float y[2], cy[32];
		ir_err e = {{0}};
		ir_interp_fail_alloc_at = at;
		rc = ir_interp_run(G, IN(x16), (void *const[]){y, cy}, &e);
		ir_interp_fail_alloc_at = 0;
		if (rc != 0) {
			failures++;
			CHECK(strcmp(e.msg, "out of memory") == 0, "allocation %ld fails: \"%s\"", at, e.msg);
		}
		ir_graph_free(G);
		G = NULL;
	}
	CHECK(rc == 0 && failures >= 10, "%d allocations failed in turn, then rc %d", failures, rc);
	end_group();
}

/* ---- verifier ------------------------------------------------------------------------------ */

static void
test_verify(void)
{
	begin_group("verify");
	ir_err e = {{0}};

	/* a good graph */
	begin();
	ir_value *x = input(IR_F32, SHAPE(1, 3, 8, 8));
	float wd[4 * 3 * 3 * 3] = {0};
	ir_value *w = cnst(IR_F32, SHAPE(4, 3, 3, 3), wd);
	ir_op *c = mk(IR_OP_CONV, OPS(x, w, NULL), IR_F32, SHAPE(1, 4, 8, 8));
	conv_attrs(c, 1, 1, 1, 1, 1, 1, 1, 1, 1);
	ir_op *r = mk(IR_OP_RELU, OPS(c->results[0]), IR_F32, SHAPE(1, 4, 8, 8));
	ir_graph_add_output(G, r->results[0], "y");
	CHECK(ir_graph_verify(G, &e) == 0, "good graph: %s", e.msg);

	/* wrong result type: named, and the graph is left unchanged */
	c->results[0]->dims[2] = 7;
	c->loc = "/layer1/Conv";
	int rc = ir_graph_verify(G, &e);
	CHECK(rc != 0 && strcmp(e.msg, "op 0 \"/layer1/Conv\" (conv): result 0 has type f32[1,4,7,8], "
	                                "expected f32[1,4,8,8]") == 0,
	      "type mismatch: \"%s\"", e.msg);
	CHECK(c->results[0]->dims[2] == 7, "verify changed a result type");
	c->results[0]->dims[2] = 8;

	/* an op inference rejects: its message, prefixed with the op */
	ir_op_set_int(G, c, "group", 2);
	rc = ir_graph_verify(G, &e);
	CHECK(rc != 0 && strncmp(e.msg, "op 0 \"/layer1/Conv\" (conv): group 2", 35) == 0, "infer error: \"%s\"", e.msg);
	ir_op_set_int(G, c, "group", 1);
	CHECK(ir_graph_verify(G, &e) == 0, "good again: %s", e.msg);

	/* use before definition: relu moved ahead of the conv */
	ir_op_remove(G, r);
	ir_op_insert_before(G, r, c);
	rc = ir_graph_verify(G, &e);
	CHECK(rc != 0 && strstr(e.msg, "op 0 (relu): operand 0 (%1) is used before it is defined"),
	      "use before def: \"%s\"", e.msg);
	ir_graph_free(G);

	/* an operand that is the result of an op not in the list */
	begin();
	x = input(IR_F32, SHAPE(2));
	ir_op *lost = ir_op_new(G, IR_OP_NEG, (ir_value *[]){x}, 1, 1);
	lost->results[0]->rank = 1;
	lost->results[0]->dims[0] = 2;
	r = mk(IR_OP_RELU, OPS(lost->results[0]), IR_F32, SHAPE(2));
	ir_graph_add_output(G, r->results[0], "y");
	expect_verify_error("operand from a detached op", "is used before it is defined");

	/* wrong arity */
	begin();
	x = input(IR_F32, SHAPE(1, 1, 2, 2));
	c = mk(IR_OP_CONV, OPS(x), IR_F32, SHAPE(1, 1, 2, 2));
	ir_graph_add_output(G, c->results[0], "y");
	expect_verify_error("conv with 1 operand", "op 0 (conv): takes 2 to 6 operands, not 1");
	begin();
	x = input(IR_F32, SHAPE(2));
	ir_op *ad = mk(IR_OP_ADD, OPS(x, x, x), IR_F32, SHAPE(2));
	ir_graph_add_output(G, ad->results[0], "y");
	expect_verify_error("add with 3 operands", "takes 2 operands, not 3");
	begin();
	x = input(IR_F32, SHAPE(2));
	ir_op *rl = ir_op_new(G, IR_OP_RELU, (ir_value *[]){x}, 1, 2);
	ir_op_append(G, rl);
	ir_graph_add_output(G, rl->results[0], "y");
	expect_verify_error("relu with 2 results", "has 2 results, not 1");

	/* a missing required operand, an absent optional one is fine */
	begin();
	x = input(IR_F32, SHAPE(2));
	ad = mk(IR_OP_ADD, OPS(x, NULL), IR_F32, SHAPE(2));
	ir_graph_add_output(G, ad->results[0], "y");
	expect_verify_error("missing operand", "operand 1 is missing");

	/* no outputs; an output that is never defined */
	begin();
	x = input(IR_F32, SHAPE(2));
	mk(IR_OP_RELU, OPS(x), IR_F32, SHAPE(2));
	expect_verify_error("no outputs", "the graph has no outputs");
	begin();
	x = input(IR_F32, SHAPE(2));
	lost = ir_op_new(G, IR_OP_NEG, (ir_value *[]){x}, 1, 1);
	ir_graph_add_output(G, lost->results[0], "y");
	expect_verify_error("undefined output", "graph output 0 (value #1) is not defined");

	/* a value defined twice */
	begin();
	x = input(IR_F32, SHAPE(2));
	r = mk(IR_OP_RELU, OPS(x), IR_F32, SHAPE(2));
	ir_op *r2 = mk(IR_OP_NEG, OPS(x), IR_F32, SHAPE(2));
	r2->results[0] = r->results[0];
	ir_graph_add_output(G, r->results[0], "y");
	expect_verify_error("defined twice", "op 1 (neg): result 0 (%0) is defined twice");

	/* an elided constant without a hash */
	begin();
	x = input(IR_F32, SHAPE(2));
	ir_value *k = ir_graph_add_const(G, NULL, IR_F32, SHAPE(2), NULL, false, 0);
	ad = mk(IR_OP_ADD, OPS(x, k), IR_F32, SHAPE(2));
	ir_graph_add_output(G, ad->results[0], "y");
	expect_verify_error("constant without data or hash", "constant %c0 has neither data nor a hash");

	/* an elided constant with a hash verifies */
	begin();
	x = input(IR_F32, SHAPE(2));
	k = ir_graph_add_const(G, NULL, IR_F32, SHAPE(2), NULL, false, 0x77);
	ad = mk(IR_OP_ADD, OPS(x, k), IR_F32, SHAPE(2));
	ir_graph_add_output(G, ad->results[0], "y");
	CHECK(ir_graph_verify(G, &e) == 0, "elided constant: %s", e.msg);
	ir_graph_free(G);

	/* a constant used but not in the graph's list */
	begin();
	x = input(IR_F32, SHAPE(2));
	k = ir_value_new(G, IR_F32, SHAPE(2));
	k->is_const = true;
	ad = mk(IR_OP_ADD, OPS(x, k), IR_F32, SHAPE(2));
	ir_graph_add_output(G, ad->results[0], "y");
	expect_verify_error("unregistered constant", "operand 1 (value #1) is used before it is defined");

	/* a bool constant holding 2 */
	begin();
	x = input(IR_BOOL, SHAPE(2));
	k = cnst(IR_BOOL, SHAPE(2), (uint8_t[]){1, 2});
	ir_op *cc = mk(IR_OP_CONCAT, OPS(x, k), IR_BOOL, SHAPE(4));
	ir_op_set_int(G, cc, "axis", 0);
	ir_graph_add_output(G, cc->results[0], "y");
	expect_verify_error("bool payload", "holds 2, not 0 or 1");

	/* a broken op count */
	begin();
	x = input(IR_F32, SHAPE(2));
	r = mk(IR_OP_RELU, OPS(x), IR_F32, SHAPE(2));
	ir_graph_add_output(G, r->results[0], "y");
	G->nops = 5;
	expect_verify_error("op count", "the op list has 1 ops but its count is 5");

	/* a result whose def does not point back */
	begin();
	x = input(IR_F32, SHAPE(2));
	r = mk(IR_OP_RELU, OPS(x), IR_F32, SHAPE(2));
	r->results[0]->def = NULL;
	ir_graph_add_output(G, r->results[0], "y");
	expect_verify_error("def link", "does not name this op as its definer");

	/* split with results matching its sizes verifies; wrong sizes do not */
	begin();
	x = input(IR_F32, SHAPE(5));
	ir_op *sp = ir_op_new(G, IR_OP_SPLIT, (ir_value *[]){x}, 1, 2);
	sp->results[0]->rank = sp->results[1]->rank = 1;
	sp->results[0]->dims[0] = 2;
	sp->results[1]->dims[0] = 3;
	ir_op_set_int(G, sp, "axis", 0);
	seti(sp, "split", INTS(2, 3));
	ir_op_append(G, sp);
	ir_graph_add_output(G, sp->results[1], "y");
	CHECK(ir_graph_verify(G, &e) == 0, "split: %s", e.msg);
	sp->results[1]->dims[0] = 4;
	rc = ir_graph_verify(G, &e);
	CHECK(rc != 0 && strstr(e.msg, "result 1 has type f32[4], expected f32[3]"), "split sizes: \"%s\"", e.msg);
	CHECK(sp->results[1]->dims[0] == 4, "verify changed a split result");
	ir_graph_free(G);
	G = NULL;
	end_group();
}

/* ---- conv speed -------------------------------------------------------------------------- */

/* CPU time of this thread: other processes on a busy machine do not count. */
static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void
time_conv(int64_t C, int64_t M, int64_t H, int64_t K, int64_t S)
{
	int64_t P = K / 2, OH = (H + 2 * P - K) / S + 1;
	begin();
	ir_value *x = input(IR_F32, SHAPE(1, C, H, H));
	float *wd = randv(M * C * K * K), *xd = randv(C * H * H);
	float *yd = malloc((size_t)(M * OH * OH) * sizeof *yd);
	ir_value *w = cnst(IR_F32, SHAPE(M, C, K, K), wd);
	ir_op *op = mk(IR_OP_CONV, OPS(x, w, NULL), IR_F32, SHAPE(1, M, OH, OH));
	conv_attrs(op, S, S, P, P, P, P, 1, 1, 1);
	ir_err e = {{0}};
	double best = 1e30;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now();
		if (ir_interp_op(op, IN(xd, wd, NULL), (void *const[]){yd}, &e) != 0) {
			printf("conv timing: %s\n", e.msg);
			break;
		}
		double t = now() - t0;
		if (t < best)
			best = t;
	}
	double flops = 2.0 * (double)ir_op_macs(op);
	printf("conv %lldx%lld %lld->%lld at %lldx%lld stride %lld: %.2f ms CPU, %.2f GFLOP/s\n", (long long)K,
	       (long long)K, (long long)C, (long long)M, (long long)H, (long long)H, (long long)S, best * 1e3,
	       flops / best * 1e-9);
	free(wd);
	free(xd);
	free(yd);
	ir_graph_free(G);
	G = NULL;
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
	test_elementwise();
	test_unary();
	test_conv();
	test_pool();
	test_norm();
	test_linalg();
	test_movement();
	test_cast();
	test_resize();
	test_run();
	test_oom();
	test_verify();
	if (verbose) {
		time_conv(64, 64, 56, 3, 1);
		time_conv(256, 64, 56, 1, 1);
		time_conv(128, 128, 28, 3, 1);
		time_conv(512, 512, 7, 3, 1);
		time_conv(3, 64, 224, 7, 2);
	}
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
