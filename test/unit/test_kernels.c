/*
 * test_kernels.c - every kernel against the reference interpreter.
 *
 * Each case builds a one-op graph with the IR API (graph inputs with seeded
 * random data, constants for weights), evaluates the op with ir_interp_op,
 * lowers it with be_lower_op and runs the native kernel that
 * be_kernel_lookup names over its task range in several ways: all at once,
 * task by task in reverse order, in random pieces in random order, and
 * through the runtime's thread pool.  Every way must give bit-identical
 * results (the kernels promise results independent of the split; outputs
 * are prefilled with different garbage each time, so an element nobody
 * writes shows up too), and the results must match the interpreter: exactly
 * for data movement and integer ops, within 1e-5 * max|ref| for float
 * arithmetic.  Prints one line per case and "N passed, M failed".
 */
#include "be_lower.h"
#include "ir.h"
#include "resc_rt.h"
#include "rk.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static float
frand(void)
{
	return (float)((rng() >> 40) & 0xffffff) / (float)(1 << 23) - 1.0f;
}

/* ---- a one-op test case ------------------------------------------------------ */

enum { MAXBUF = 64 };

typedef struct tcase {
	ir_graph *g;
	ir_value *vals[MAXBUF];
	void *data[MAXBUF];
	int n;
} tcase;

static tcase T;

static void
tc_begin(void)
{
	T.g = ir_graph_new("t");
	T.n = 0;
}

static void
tc_end(void)
{
	for (int i = 0; i < T.n; i++)
		free(T.data[i]);
	ir_graph_free(T.g);
	T.g = NULL;
	T.n = 0;
}

static void
fill_random(ir_value *v, void *p)
{
	int64_t n = ir_value_numel(v);
	for (int64_t i = 0; i < n; i++) {
		switch (v->dtype) {
		case IR_F32: ((float *)p)[i] = frand(); break;
		case IR_F64: ((double *)p)[i] = frand() * 3.0; break;
		case IR_I8: ((int8_t *)p)[i] = (int8_t)(rng() & 0xff); break;
		case IR_U8: ((uint8_t *)p)[i] = (uint8_t)(rng() & 0xff); break;
		case IR_I32: ((int32_t *)p)[i] = (int32_t)(rng() % 41) - 20; break;
		case IR_I64: ((int64_t *)p)[i] = (int64_t)(rng() % 41) - 20; break;
		case IR_BOOL: ((uint8_t *)p)[i] = (uint8_t)(rng() & 1); break;
		default: break;
		}
	}
}

static ir_value *
mk(bool cnst, ir_dtype t, int rank, const int64_t *dims)
{
	ir_value *tmp = ir_value_new(T.g, t, rank, dims);
	size_t nb = ir_value_nbytes(tmp);
	void *p = calloc(1, nb ? nb : 1);
	fill_random(tmp, p);
	char name[32];
	snprintf(name, sizeof name, "v%d", T.n);
	ir_value *v;
	if (cnst) {
		v = ir_graph_add_const(T.g, name, t, rank, dims, p, true, 0);
		free(p);
		return v;
	}
	v = ir_graph_add_input(T.g, name, t, rank, dims);
	if (T.n >= MAXBUF)
		abort();
	T.vals[T.n] = v;
	T.data[T.n++] = p;
	return v;
}

#define END ((int64_t)-1)

/* A value with dims given as an END-terminated list (all converted to int64_t). */
static ir_value *
mk_list(bool cnst, ir_dtype t, const int64_t *d)
{
	int r = 0;
	while (d[r] >= 0)
		r++;
	return mk(cnst, t, r, d);
}

#define in(t, ...) mk_list(false, t, (int64_t[]){__VA_ARGS__})
#define cst(t, ...) mk_list(true, t, (int64_t[]){__VA_ARGS__})

static void *
data_of(const ir_value *v)
{
	if (!v)
		return NULL;
	if (v->is_const)
		return v->data;
	for (int i = 0; i < T.n; i++)
		if (T.vals[i] == v)
			return T.data[i];
	return NULL;
}

static ir_op *
op_new(ir_opkind k, int nres, int nin, ...)
{
	ir_value *ops[RK_MAXIN + 2];
	va_list ap;
	va_start(ap, nin);
	for (int i = 0; i < nin; i++)
		ops[i] = va_arg(ap, ir_value *);
	va_end(ap);
	ir_op *op = ir_op_new(T.g, k, ops, nin, nres);
	return op;
}

static void
set_result(ir_op *op, int i, ir_dtype t, int rank, const int64_t *dims)
{
	ir_value *v = op->results[i];
	v->dtype = t;
	v->rank = rank;
	for (int k = 0; k < rank; k++)
		v->dims[k] = dims[k];
}

#define ints(op, name, n, ...) \
	ir_op_set_ints(T.g, op, name, (int64_t[]){__VA_ARGS__}, n)

#define I(...) __VA_ARGS__

/* ---- running and comparing ------------------------------------------------------ */

static bool
compare(const ir_value *v, const void *ref, const void *got, bool exact, char *msg, size_t msz)
{
	int64_t n = ir_value_numel(v);
	if (v->dtype != IR_F32 && v->dtype != IR_F64) {
		size_t es = ir_dtype_size(v->dtype);
		for (int64_t i = 0; i < n; i++)
			if (memcmp((const char *)ref + i * es, (const char *)got + i * es, es) != 0) {
				snprintf(msg, msz, "element %lld differs", (long long)i);
				return false;
			}
		return true;
	}
	double maxref = 0;
	for (int64_t i = 0; i < n; i++) {
		double r = v->dtype == IR_F32 ? ((const float *)ref)[i] : ((const double *)ref)[i];
		if (isfinite(r) && fabs(r) > maxref)
			maxref = fabs(r);
	}
	double tol = exact ? 0 : 1e-5 * maxref + 1e-30;
	for (int64_t i = 0; i < n; i++) {
		double r = v->dtype == IR_F32 ? ((const float *)ref)[i] : ((const double *)ref)[i];
		double g = v->dtype == IR_F32 ? ((const float *)got)[i] : ((const double *)got)[i];
		bool ok;
		if (isnan(r) || isnan(g))
			ok = isnan(r) && isnan(g);
		else if (isinf(r) || isinf(g) || exact)
			ok = r == g;
		else
			ok = fabs(r - g) <= tol;
		if (!ok) {
			snprintf(msg, msz, "element %lld: got %.9g, expected %.9g (tol %.3g)", (long long)i, g, r, tol);
			return false;
		}
	}
	return true;
}

static void
result(const char *name, bool ok, const char *msg)
{
	if (ok) {
		passed++;
		printf("ok    %s\n", name);
	} else {
		failed++;
		printf("FAIL  %s: %s\n", name, msg);
	}
	fflush(stdout);
}

/* Runs the kernel over [0, n) in one of several ways. */
static void
run_kernel(be_kernel_fn fn, const int64_t *desc, void *const *ptrs, int64_t n, int way)
{
	switch (way) {
	case 0:
		fn(desc, ptrs, 0, n);
		break;
	case 1:
		for (int64_t t = n - 1; t >= 0; t--)
			fn(desc, ptrs, t, t + 1);
		break;
	case 2: {
		/* up to 6 random pieces in random order */
		int64_t cut[8];
		int k = 1 + (int)(rng() % 5);
		if (k > n)
			k = (int)n;
		cut[0] = 0;
		for (int i = 1; i < k; i++)
			cut[i] = (int64_t)(rng() % (uint64_t)(n + 1));
		cut[k] = n;
		for (int i = 1; i < k; i++)
			for (int j = i + 1; j < k; j++)
				if (cut[j] < cut[i]) {
					int64_t t = cut[i];
					cut[i] = cut[j];
					cut[j] = t;
				}
		int order[8];
		for (int i = 0; i < k; i++)
			order[i] = i;
		for (int i = k - 1; i > 0; i--) {
			int j = (int)(rng() % (uint64_t)(i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < k; i++)
			fn(desc, ptrs, cut[order[i]], cut[order[i] + 1]);
		break;
	}
	default:
		resc_rt_parallel_for((resc_rt_task)fn, desc, ptrs, n);
		break;
	}
}

/* The entry point that must give bit-identical results to `kernel` on the
 * same descriptor (conv.c's entry points differ only in how they tile), or
 * NULL. */
static const char *
twin_kernel(const char *kernel)
{
	static const char *const twins[][2] = {
		{"rk_conv2d_p", "rk_conv2d"},
		{"rk_conv2d_q", "rk_conv2d"},
		{"rk_conv2d_flat_p", "rk_conv2d_flat"},
		{"rk_conv2d_flat_v", "rk_conv2d_flat"},
	};
	for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++)
		if (strcmp(kernel, twins[i][0]) == 0)
			return twins[i][1];
	return NULL;
}

/* Between NCHW and NCHW16c (the layout pass's blocked layout): to = true
 * writes src [N][C][H][W] to dst [N][C/16][H][W][16], false the reverse. */
static void
reorder16(const ir_value *v, const float *src, float *dst, bool to)
{
	const int64_t N = v->dims[0], C = v->dims[1], S = v->dims[2] * v->dims[3];
	for (int64_t n = 0; n < N; n++)
		for (int64_t c = 0; c < C; c++)
			for (int64_t i = 0; i < S; i++) {
				int64_t p = (n * C + c) * S + i, b = ((n * (C / 16) + c / 16) * S + i) * 16 + c % 16;
				if (to)
					dst[b] = src[p];
				else
					dst[p] = src[b];
			}
}

static bool
blocked(const ir_value *v)
{
	return v && v->layout == IR_LAYOUT_NCHWC;
}

/* Checks op: infers its types, runs the interpreter and the kernel (and
 * its twin, way 5).  Operands and results with a blocked layout go to the
 * kernel reordered (the interpreter works on the logical order). */
static void
check_ex(const char *name, ir_op *op, bool exact)
{
	ir_err e;
	char msg[600] = "";
	if (ir_op_infer(T.g, op, &e) != 0) {
		snprintf(msg, sizeof msg, "test setup: ir_op_infer: %s", e.msg);
		result(name, false, msg);
		return;
	}
	ir_op_append(T.g, op);
	const void *inp[RK_MAXIN + 2];
	void *ref[RK_MAXIN + 2], *got[RK_MAXIN + 2], *first[RK_MAXIN + 2];
	float *blk_in[RK_MAXIN + 2] = {0}, *logical = NULL;
	for (int i = 0; i < op->noperands; i++) {
		inp[i] = data_of(op->operands[i]);
		if (blocked(op->operands[i])) {
			blk_in[i] = malloc(ir_value_nbytes(op->operands[i]));
			reorder16(op->operands[i], inp[i], blk_in[i], true);
		}
	}
	for (int i = 0; i < op->nresults; i++) {
		size_t nb = ir_value_nbytes(op->results[i]);
		ref[i] = calloc(1, nb + 1);
		got[i] = malloc(nb + 1);
		first[i] = malloc(nb + 1);
	}
	bool ok = true;
	if (ir_interp_op(op, inp, ref, &e) != 0) {
		snprintf(msg, sizeof msg, "interpreter: %s", e.msg);
		ok = false;
	}
	be_call call;
	be_kernel_fn fn = NULL;
	if (ok && be_lower_op(T.g, op, &call, &e) != 0) {
		snprintf(msg, sizeof msg, "be_lower_op: %s", e.msg);
		ok = false;
	}
	if (ok && !(fn = be_kernel_lookup(call.kernel))) {
		snprintf(msg, sizeof msg, "no kernel %s", call.kernel);
		ok = false;
	}
	if (ok && call.ntasks < 1) {
		snprintf(msg, sizeof msg, "ntasks %lld", (long long)call.ntasks);
		ok = false;
	}
	void *ptrs[BE_MAX_PTRS];
	const char *twin = ok ? twin_kernel(call.kernel) : NULL;
	/* way 6: in place, result 0 in the buffer of the operand the memory
	 * plan may give it (ir_inplace_operand) */
	const int inpl = ir_inplace_operand(op);
	for (int way = 0; ok && way < 7; way++) {
		if (way == 1 && call.ntasks > 512)
			continue;
		if (way == 5 && !twin)
			continue;
		if (way == 6 && inpl < 0)
			continue;
		for (int i = 0; i < op->nresults; i++)
			memset(got[i], way & 1 ? 0xff : 0x7f, ir_value_nbytes(op->results[i]) + 1);
		for (int j = 0; j < call.nptrs; j++) {
			ir_value *v = call.ptrs[j];
			ptrs[j] = NULL;
			if (!v)
				continue;
			for (int i = 0; i < op->nresults; i++)
				if (op->results[i] == v)
					ptrs[j] = got[i];
			for (int i = 0; !ptrs[j] && i < op->noperands; i++)
				if (op->operands[i] == v && blk_in[i])
					ptrs[j] = blk_in[i];
			if (!ptrs[j])
				ptrs[j] = data_of(v);
			if (!ptrs[j]) {
				snprintf(msg, sizeof msg, "kernel buffer %d has no data", j);
				ok = false;
			}
		}
		if (!ok)
			break;
		if (way == 6) {
			/* the operand's data where the result goes; both pointers there */
			ir_value *r = op->operands[inpl];
			memcpy(got[0], blk_in[inpl] ? (void *)blk_in[inpl] : data_of(r), ir_value_nbytes(r));
			for (int j = 0; j < call.nptrs; j++)
				if (call.ptrs[j] == r)
					ptrs[j] = got[0];
			resc_rt_set_num_threads(2);
		}
		if (way >= 3 && way < 6)
			resc_rt_set_num_threads(way == 3 ? 2 : 3);
		if (way == 5) {
			be_kernel_fn tf = be_kernel_lookup(twin);
			if (!tf) {
				snprintf(msg, sizeof msg, "no kernel %s", twin);
				ok = false;
				break;
			}
			tf(call.desc, ptrs, 0, call.ntasks);
		} else {
			run_kernel(fn, call.desc, ptrs, call.ntasks, way);
		}
		for (int i = 0; ok && i < op->nresults; i++) {
			size_t nb = ir_value_nbytes(op->results[i]);
			if (((unsigned char *)got[i])[nb] != (way & 1 ? 0xff : 0x7f)) {
				snprintf(msg, sizeof msg, "way %d wrote past result %d", way, i);
				ok = false;
			} else if (way == 0) {
				memcpy(first[i], got[i], nb);
				char m2[400];
				const void *cmp = got[i];
				if (blocked(op->results[i])) {
					free(logical);
					logical = malloc(nb);
					reorder16(op->results[i], got[i], logical, false);
					cmp = logical;
				}
				if (!compare(op->results[i], ref[i], cmp, exact, m2, sizeof m2)) {
					snprintf(msg, sizeof msg, "result %d (%s, %lld tasks): %s", i, call.kernel,
					         (long long)call.ntasks, m2);
					ok = false;
				}
			} else if (memcmp(first[i], got[i], nb) != 0) {
				int64_t k = 0;
				while (((unsigned char *)first[i])[k] == ((unsigned char *)got[i])[k])
					k++;
				if (way == 5)
					snprintf(msg, sizeof msg, "%s differs from %s at byte %lld", twin,
					         call.kernel, (long long)k);
				else if (way == 6)
					snprintf(msg, sizeof msg,
					         "%s in place (result %d over operand %d) differs at byte %lld",
					         call.kernel, i, inpl, (long long)k);
				else
					snprintf(msg, sizeof msg,
					         "split %d of %lld tasks differs from the whole run at byte %lld", way,
					         (long long)call.ntasks, (long long)k);
				ok = false;
			}
		}
	}
	for (int i = 0; i < op->nresults; i++) {
		free(ref[i]);
		free(got[i]);
		free(first[i]);
	}
	for (int i = 0; i < op->noperands; i++)
		free(blk_in[i]);
	free(logical);
	result(name, ok, msg);
}

static void
set_blocked(ir_value *v)
{
	v->layout = IR_LAYOUT_NCHWC;
	v->block = 16;
}

static void
check(const char *name, ir_op *op, bool exact)
{
	check_ex(name, op, exact);
}

/* ---- convolution ------------------------------------------------------------------ */

/* the positional conv_cfg literals below leave the last fields false */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct conv_cfg {
	int64_t N, C, H, W, M, KH, KW, sh, sw, pt, pl, pb, pr, dh, dw, group;
	bool bias, wconst;
	bool pixel; /* algo "pixel" (lower-grouped-conv's pixel-vector form) */
	bool depthwise; /* algo "depthwise" (rk_dwconv2d where it applies) */
} conv_cfg;

static ir_op *
conv_op(const conv_cfg *c)
{
	ir_value *x = in(IR_F32, c->N, c->C, c->H, c->W, END);
	ir_value *w = c->wconst ? cst(IR_F32, c->M, c->C / c->group, c->KH, c->KW, END)
	                        : in(IR_F32, c->M, c->C / c->group, c->KH, c->KW, END);
	ir_value *b = c->bias ? cst(IR_F32, c->M, END) : NULL;
	ir_op *op = op_new(IR_OP_CONV, 1, 3, x, w, b);
	ints(op, "strides", 2, c->sh, c->sw);
	ints(op, "pads", 4, c->pt, c->pl, c->pb, c->pr);
	ints(op, "dilations", 2, c->dh, c->dw);
	ir_op_set_int(T.g, op, "group", c->group);
	if (c->pixel)
		ir_op_set_string(T.g, op, "algo", "pixel");
	if (c->depthwise)
		ir_op_set_string(T.g, op, "algo", "depthwise");
	return op;
}

/* A residual for conv c: an input of the result's shape, blocked or not. */
static ir_value *
conv_residual(const conv_cfg *c, bool blocked)
{
	int64_t OH = (c->H + c->pt + c->pb - (c->KH - 1) * c->dh - 1) / c->sh + 1;
	int64_t OW = (c->W + c->pl + c->pr - (c->KW - 1) * c->dw - 1) / c->sw + 1;
	ir_value *r = in(IR_F32, c->N, c->M, OH, OW, END);
	if (blocked)
		set_blocked(r);
	return r;
}

/* Gives conv_op's op conv_residual as its fourth operand: the interpreter
 * applies the epilogue itself (act(conv + bias + residual)). */
static void
conv_add_residual(ir_op *op, const conv_cfg *c, bool blocked)
{
	ir_value **ops = ir_alloc(T.g, 4 * sizeof *ops);
	for (int i = 0; i < 3; i++)
		ops[i] = op->operands[i];
	ops[3] = conv_residual(c, blocked);
	op->operands = ops;
	op->noperands = 4;
}

static void
conv_case(const char *what, conv_cfg c)
{
	char name[256];
	snprintf(name, sizeof name,
	         "conv %s: N%lld C%lld %lldx%lld -> M%lld k%lldx%lld s%lld,%lld p%lld,%lld,%lld,%lld d%lld,%lld g%lld%s%s",
	         what, (long long)c.N, (long long)c.C, (long long)c.H, (long long)c.W, (long long)c.M,
	         (long long)c.KH, (long long)c.KW, (long long)c.sh, (long long)c.sw, (long long)c.pt,
	         (long long)c.pl, (long long)c.pb, (long long)c.pr, (long long)c.dh, (long long)c.dw,
	         (long long)c.group, c.bias ? " bias" : "", c.wconst ? "" : " (weights not constant)");
	if (c.pixel)
		snprintf(name + strlen(name), sizeof name - strlen(name), " algo pixel");
	tc_begin();
	check(name, conv_op(&c), false);
	tc_end();
}

static void
conv_epilogue_case(const char *what, conv_cfg c, bool res, int act, float lo, float hi)
{
	char name[256];
	snprintf(name, sizeof name, "conv epilogue %s:%s%s", what, res ? " +residual" : "",
	         act == RK_ACT_RELU ? " relu" : act == RK_ACT_CLIP ? " clip" : "");
	tc_begin();
	ir_op *op = conv_op(&c);
	if (act == RK_ACT_RELU)
		ir_op_set_string(T.g, op, "act", "relu");
	else if (act == RK_ACT_CLIP) {
		ir_op_set_string(T.g, op, "act", "clip");
		ir_op_set_float(T.g, op, "act_min", lo);
		ir_op_set_float(T.g, op, "act_max", hi);
	}
	if (res)
		conv_add_residual(op, &c, false);
	check(name, op, false);
	tc_end();
}

/* A pre-activation conv (passes/fuse_epilogue.c): the second result
 * post_act(y*s + t) next to y = act(conv + bias + residual). */
static void
conv_post_case(const char *what, conv_cfg c, bool res, bool shift, int post_act)
{
	char name[256];
	snprintf(name, sizeof name, "conv post %s:%s%s%s", what, res ? " +residual" : "",
	         shift ? " +shift" : "",
	         post_act == RK_ACT_RELU ? " relu" : post_act == RK_ACT_CLIP ? " clip" : "");
	tc_begin();
	ir_op *op1 = conv_op(&c);
	ir_value *r = res ? conv_residual(&c, false) : NULL;
	ir_value *ps = cst(IR_F32, c.M, END), *pt = shift ? cst(IR_F32, c.M, END) : NULL;
	ir_op *op = op_new(IR_OP_CONV, 2, shift ? 6 : 5, op1->operands[0], op1->operands[1],
	                   op1->operands[2], r, ps, pt);
	op->attrs = op1->attrs;
	op->nattrs = op1->nattrs;
	if (post_act == RK_ACT_RELU)
		ir_op_set_string(T.g, op, "post_act", "relu");
	else if (post_act == RK_ACT_CLIP) {
		ir_op_set_string(T.g, op, "post_act", "clip");
		ir_op_set_float(T.g, op, "post_act_min", -0.25f);
		ir_op_set_float(T.g, op, "post_act_max", 0.5f);
	}
	check(name, op, false);
	tc_end();
}

static void
test_conv(void)
{
	/* name, N C H W M KH KW sh sw pt pl pb pr dh dw group bias wconst */
	conv_case("3x3", (conv_cfg){1, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	conv_case("3x3 wide", (conv_cfg){1, 8, 9, 61, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	conv_case("1x1 flat", (conv_cfg){1, 64, 7, 9, 48, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false, true});
	conv_case("1x1 flat big", (conv_cfg){1, 64, 28, 28, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true});
	conv_case("1x1 s2", (conv_cfg){2, 24, 15, 13, 40, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, true, true});
	conv_case("1x1 padded", (conv_cfg){1, 5, 6, 7, 17, 1, 1, 1, 1, 1, 2, 0, 1, 1, 1, 1, true, true});
	conv_case("3x3 s2 odd", (conv_cfg){1, 12, 15, 13, 20, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true, true});
	conv_case("7x7 s2 stem", (conv_cfg){1, 3, 32, 30, 16, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, false, true});
	conv_case("3x3 d2", (conv_cfg){1, 8, 12, 12, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, true, true});
	conv_case("3x3 d(2,3) s(1,2)", (conv_cfg){1, 4, 11, 17, 8, 3, 3, 1, 2, 1, 3, 2, 0, 2, 3, 1, true, true});
	conv_case("asym pads", (conv_cfg){1, 6, 10, 11, 19, 3, 4, 1, 1, 0, 1, 2, 3, 1, 1, 1, true, true});
	conv_case("5x5 pad 4", (conv_cfg){1, 3, 6, 7, 5, 5, 5, 1, 1, 4, 4, 4, 4, 1, 1, 1, true, true});
	conv_case("1x17 (KW > 16)", (conv_cfg){1, 3, 5, 30, 9, 1, 17, 1, 1, 0, 8, 0, 8, 1, 1, 1, true, true});
	conv_case("1x19 s3 d2", (conv_cfg){1, 2, 3, 60, 4, 1, 19, 1, 3, 0, 5, 0, 7, 1, 2, 1, false, true});
	conv_case("tiny input", (conv_cfg){1, 4, 2, 2, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	/* four blocks per tile (rk_conv2d_q): 7x7 planes, odd sizes, a 5x5 kernel */
	conv_case("7x7 four blocks", (conv_cfg){1, 24, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	conv_case("5x3 four blocks 5x5", (conv_cfg){2, 8, 5, 3, 128, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, false, true});
	conv_case("6x7 four blocks s(1,2) d2", (conv_cfg){1, 16, 9, 13, 64, 3, 3, 1, 2, 2, 2, 2, 2, 2, 1, 1, true, true});
	conv_case("1x1 input 3x3", (conv_cfg){1, 4, 1, 1, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	conv_case("groups 2", (conv_cfg){1, 16, 10, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true, true});
	conv_case("groups 8 (4 per group)", (conv_cfg){2, 32, 9, 9, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, true, true});
	conv_case("groups 32 s2", (conv_cfg){1, 64, 12, 12, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 32, false, true});
	conv_case("depthwise", (conv_cfg){1, 24, 11, 13, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 24, true, true});
	conv_case("depthwise x2 s2", (conv_cfg){1, 8, 14, 14, 16, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 8, true, true});
	conv_case("groups 32 wide (pixel vectors)", (conv_cfg){1, 128, 6, 40, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32, true, true, true});
	conv_case("groups 32 wide", (conv_cfg){1, 128, 6, 40, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32, true, true});
	conv_case("groups 16 wide (8 per group)", (conv_cfg){2, 64, 5, 45, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16, true, true, true});
	conv_case("groups 4 (6 per group) wide", (conv_cfg){1, 24, 4, 70, 24, 3, 3, 1, 1, 0, 2, 2, 1, 1, 2, 4, false, true, true});
	conv_case("depthwise wide", (conv_cfg){1, 8, 5, 37, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, true, true, true});
	conv_case("groups 32 1x1 wide", (conv_cfg){1, 64, 3, 50, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 32, true, true});
	conv_case("batch 3", (conv_cfg){3, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	conv_case("big 3x3", (conv_cfg){1, 64, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	conv_case("7x7 plane 512", (conv_cfg){1, 128, 7, 7, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	for (int w = 1; w <= 17; w++) {
		char what[32];
		snprintf(what, sizeof what, "row width %d", w);
		conv_case(what, (conv_cfg){1, 3, 3, w, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	}
	conv_case("plain weights", (conv_cfg){1, 8, 9, 9, 12, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2, true, false});
	conv_case("plain weights 1x1", (conv_cfg){2, 8, 5, 5, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false, false});

	conv_cfg e1 = {1, 16, 10, 12, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true};
	conv_epilogue_case("3x3", e1, true, RK_ACT_NONE, 0, 0);
	conv_epilogue_case("3x3", e1, true, RK_ACT_RELU, 0, 0);
	conv_epilogue_case("3x3", e1, false, RK_ACT_RELU, 0, 0);
	conv_epilogue_case("3x3", e1, false, RK_ACT_CLIP, -0.5f, 0.75f);
	conv_cfg e2 = {1, 32, 7, 7, 40, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false, true};
	conv_epilogue_case("1x1 flat", e2, true, RK_ACT_RELU, 0, 0);
	/* pixel vectors for 1x1 (rk_conv2d_flat_v): segments of 192 pixels over
	 * tasks, groups, no bias, a row that leaves pixels over */
	conv_cfg e5 = {1, 64, 56, 56, 256, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true};
	conv_epilogue_case("1x1 flat, pixel vectors, segments", e5, true, RK_ACT_RELU, 0, 0);
	conv_cfg e6 = {2, 32, 10, 13, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, false, true};
	conv_epilogue_case("1x1 flat, pixel vectors, groups 2", e6, true, RK_ACT_CLIP, -0.5f, 0.5f);
	conv_epilogue_case("1x1 flat, pixel vectors, groups 2", e6, false, RK_ACT_NONE, 0, 0);
	conv_cfg e4 = {1, 24, 5, 41, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, true, true, true};
	conv_epilogue_case("groups 4 (pixel vectors)", e4, true, RK_ACT_RELU, 0, 0);
	conv_epilogue_case("groups 4 (pixel vectors)", e4, false, RK_ACT_CLIP, -0.25f, 0.5f);
	conv_cfg e3 = {1, 8, 9, 9, 12, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2, true, false};
	conv_epilogue_case("plain weights", e3, true, RK_ACT_CLIP, 0.0f, 6.0f);
	/* rows too wide for the cache: input channels in chunks of 16, the
	 * residual read by the first chunk */
	conv_cfg e7 = {1, 64, 4, 2000, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true};
	conv_epilogue_case("3x3 input channel chunks", e7, true, RK_ACT_RELU, 0, 0);
	conv_epilogue_case("3x3 input channel chunks", e7, false, RK_ACT_NONE, 0, 0);

	/* the second result of a pre-activation conv, in every entry point:
	 * pixel vectors (e5, e6), flat block tiles (e2; pairs with 64 outputs),
	 * 3x3 with borders (e1), input channel chunks (512 channels), pixel
	 * tiles of groups (e4), plain weights (e3) */
	conv_post_case("1x1 flat, pixel vectors, segments", e5, true, true, RK_ACT_RELU);
	conv_post_case("1x1 flat, pixel vectors, groups 2", e6, false, false, RK_ACT_CLIP);
	conv_post_case("1x1 flat", e2, true, true, RK_ACT_RELU);
	conv_post_case("1x1 flat pairs", (conv_cfg){1, 32, 5, 9, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true},
	               true, true, RK_ACT_NONE);
	conv_post_case("3x3", e1, true, true, RK_ACT_RELU);
	conv_post_case("3x3 chunks", e7, true, true, RK_ACT_RELU);
	conv_post_case("3x3 s2 pairs", (conv_cfg){2, 16, 11, 11, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, false, true},
	               false, true, RK_ACT_RELU);
	conv_post_case("groups 4 (pixel vectors)", e4, true, false, RK_ACT_RELU);
	conv_post_case("plain weights", e3, true, true, RK_ACT_CLIP);

	/* NCHW16c (passes/layout.c): x, y (and the residual) blocked, each alone
	 * and both, over the tile kinds: 3x3 with borders, flat 1x1 (pairs of
	 * blocks), strided, the 7x7 stem from a plain input, a 7x7 plane,
	 * input channel chunks (the residual and partial sums read blocked) */
	const struct {
		const char *what;
		conv_cfg c;
	} bc[] = {
		{"3x3", {1, 32, 10, 12, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}},
		{"1x1 flat pairs", {2, 32, 7, 9, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true}},
		{"1x1 flat big", {1, 64, 28, 28, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true}},
		{"3x3 s2", {1, 16, 15, 13, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, false, true}},
		{"7x7 plane", {1, 128, 7, 7, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}},
		/* four blocks per tile (rk_conv2d_q): rows of at most 8 pixels */
		{"7x7 plane, four blocks", {1, 64, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}},
		{"14x14 -> 7x7 s2, four blocks", {2, 32, 14, 13, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, false, true}},
		{"8-pixel rows, four blocks", {1, 16, 5, 8, 192, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}},
		{"chunks", {1, 64, 4, 2000, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}},
		{"groups 2 of 16 -> 32", {1, 32, 9, 11, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true, true}},
		{"groups 4 of 16, 1x1", {2, 64, 6, 6, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 4, false, true}},
		{"groups 2 s2", {1, 32, 12, 12, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, true, true}},
	};
	for (size_t i = 0; i < sizeof bc / sizeof bc[0]; i++)
		for (int mode = 1; mode < 8; mode++) {
			/* bits: 1 x blocked, 2 y blocked, 4 residual + relu */
			bool xb = mode & 1, yb = mode & 2, res = mode & 4;
			if (res && !yb && !xb)
				continue;
			char name[200];
			snprintf(name, sizeof name, "conv nchw16c %s:%s%s%s", bc[i].what, xb ? " x" : "",
			         yb ? " y" : "", res ? " +residual relu" : "");
			tc_begin();
			conv_cfg c = bc[i].c;
			ir_op *op = conv_op(&c);
			ir_op_set_string(T.g, op, "act", "relu");
			if (res)
				conv_add_residual(op, &c, yb);
			if (xb)
				set_blocked(op->operands[0]);
			if (yb)
				set_blocked(op->results[0]);
			check(name, op, false);
			tc_end();
		}
	/* the stem: a plain 3-channel input into a blocked result */
	tc_begin();
	ir_op *stem = conv_op(&(conv_cfg){1, 3, 32, 30, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, true, true});
	set_blocked(stem->results[0]);
	check("conv nchw16c 7x7 s2 stem: plain x, blocked y", stem, false);
	tc_end();
}

/* A conv's row sums (row_sums = 1, passes/fuse_se_mean.c) in every entry
 * point and layout: the tasks must own whole rows (flat 1x1 segments are
 * cut at row ends), and the sums come after bias, residual and act. */
static void
test_conv_rows(void)
{
	const struct {
		const char *what;
		conv_cfg c;
		bool blk; /* x and y NCHW16c */
	} rc[] = {
		{"1x1 flat, pixel vectors, segments", {1, 64, 56, 56, 256, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true}},
		{"1x1 flat, pixel vectors, groups 2", {2, 32, 10, 13, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, false, true}},
		{"1x1 flat", {1, 32, 7, 7, 40, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false, true}},
		{"1x1 flat pairs, segments", {1, 64, 56, 56, 256, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true}, true},
		{"1x1 flat pairs", {2, 32, 7, 9, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true}, true},
		{"3x3 rows over tasks", {1, 16, 30, 12, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}},
		{"3x3 rows over tasks", {1, 32, 30, 12, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}, true},
		{"3x3 s2", {2, 16, 11, 11, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, false, true}},
		{"7x7 four blocks", {1, 32, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}, true},
		{"3x3 chunks", {1, 64, 4, 2000, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true}},
		{"groups 4 (pixel vectors)", {1, 24, 5, 41, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, true, true, true}},
		{"radix groups of 32", {1, 64, 14, 14, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true, true}, true},
		{"plain weights", {1, 8, 9, 9, 12, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2, true, false}},
	};
	for (size_t i = 0; i < sizeof rc / sizeof rc[0]; i++)
		for (int res = 0; res < 2; res++) {
			char name[200];
			snprintf(name, sizeof name, "conv row sums %s%s%s", rc[i].what,
			         rc[i].blk ? " nchw16c" : "", res ? " +residual relu" : "");
			tc_begin();
			conv_cfg c = rc[i].c;
			ir_op *op1 = conv_op(&c);
			ir_value *r = res ? conv_residual(&c, false) : NULL;
			ir_op *op = op_new(IR_OP_CONV, 2, res ? 4 : 3, op1->operands[0], op1->operands[1],
			                   op1->operands[2], r);
			op->attrs = op1->attrs;
			op->nattrs = op1->nattrs;
			ir_op_set_int(T.g, op, "row_sums", 1);
			if (res)
				ir_op_set_string(T.g, op, "act", "relu");
			if (rc[i].blk) {
				set_blocked(op->operands[0]);
				set_blocked(op->results[0]);
				if (r)
					set_blocked(r);
			}
			check(name, op, false);
			tc_end();
		}
}

/*
 * Depthwise convs (algo "depthwise", group = C = M): rk_dwconv2d on NCHW16c
 * (x, residual and y blocked together, as the layout pass ties them), conv.c's
 * pixel vectors on NCHW (at stride 1 and 2 along the row, channel blocks at
 * other strides), with every epilogue; weights that are not constants take
 * the generic conv path.  The case fails if the lowering picked another
 * kernel than the one it is about.
 */
static void
dw_case(const char *what, conv_cfg c, bool res, int act, bool blk)
{
	char name[300];
	c.depthwise = true;
	c.group = c.C;
	c.M = c.C;
	snprintf(name, sizeof name,
	         "dwconv %s: N%lld C%lld %lldx%lld k%lldx%lld s%lld,%lld p%lld,%lld,%lld,%lld d%lld,%lld%s%s%s%s%s",
	         what, (long long)c.N, (long long)c.C, (long long)c.H, (long long)c.W, (long long)c.KH,
	         (long long)c.KW, (long long)c.sh, (long long)c.sw, (long long)c.pt, (long long)c.pl,
	         (long long)c.pb, (long long)c.pr, (long long)c.dh, (long long)c.dw, c.bias ? " bias" : "",
	         res ? " +residual" : "", act == RK_ACT_RELU ? " relu" : act == RK_ACT_CLIP ? " clip" : "",
	         blk ? " nchw16c" : "", c.wconst ? "" : " (weights not constant)");
	tc_begin();
	ir_op *op = conv_op(&c);
	if (act == RK_ACT_RELU)
		ir_op_set_string(T.g, op, "act", "relu");
	else if (act == RK_ACT_CLIP) {
		ir_op_set_string(T.g, op, "act", "clip");
		ir_op_set_float(T.g, op, "act_min", -0.5f);
		ir_op_set_float(T.g, op, "act_max", 0.75f);
	}
	if (res)
		conv_add_residual(op, &c, blk);
	if (blk) {
		set_blocked(op->operands[0]);
		set_blocked(op->results[0]);
	}
	/* the kernel the case is about: a lowering that quietly took another
	 * path would pass the numerical check without testing rk_dwconv2d */
	ir_err e;
	be_call call;
	const char *want = c.wconst && blk ? "rk_dwconv2d" : "rk_conv2d";
	if (ir_op_infer(T.g, op, &e) == 0 && be_lower_op(T.g, op, &call, &e) == 0 &&
	    strcmp(call.kernel, want) != 0) {
		char msg[160];
		snprintf(msg, sizeof msg, "lowered to %s, expected %s", call.kernel, want);
		result(name, false, msg);
		tc_end();
		return;
	}
	check(name, op, false);
	tc_end();
}

/* Runs op's kernel once over all its tasks; blocked operands are reordered
 * from their logical data and a blocked result back into y (logical). */
static bool
run_logical(ir_op *op, float *y, char *msg, size_t msz)
{
	ir_err e;
	be_call call;
	be_kernel_fn fn;
	if (be_lower_op(T.g, op, &call, &e) != 0 || !(fn = be_kernel_lookup(call.kernel))) {
		snprintf(msg, msz, "lowering: %s", e.msg);
		return false;
	}
	void *ptrs[BE_MAX_PTRS];
	float *tmp[BE_MAX_PTRS] = {0};
	ir_value *res = op->results[0];
	for (int j = 0; j < call.nptrs; j++) {
		ir_value *v = call.ptrs[j];
		ptrs[j] = v == res ? (blocked(res) ? (tmp[j] = malloc(ir_value_nbytes(res))) : (void *)y)
		                   : data_of(v);
		if (v && v != res && blocked(v)) {
			tmp[j] = malloc(ir_value_nbytes(v));
			reorder16(v, data_of(v), tmp[j], true);
			ptrs[j] = tmp[j];
		}
	}
	fn(call.desc, ptrs, 0, call.ntasks);
	for (int j = 0; j < call.nptrs; j++) {
		if (call.ptrs[j] == res && blocked(res))
			reorder16(res, tmp[j], y, false);
		free(tmp[j]);
	}
	return true;
}

/* The depthwise kernel on NCHW16c against conv.c's channel blocks on the
 * same op made plain, bit for bit: lower-grouped-conv's legality rests on
 * every form adding each output's products in the same order. */
static void
dw_bitwise_case(const char *what, conv_cfg c, bool res, int act)
{
	char name[200], msg[600] = "";
	snprintf(name, sizeof name, "dwconv %s: rk_dwconv2d (nchw16c) = rk_conv2d (plain), bit for bit%s%s",
	         what, res ? ", residual" : "", act == RK_ACT_CLIP ? ", clip" : "");
	c.depthwise = true;
	c.group = c.M = c.C;
	tc_begin();
	ir_op *op = conv_op(&c);
	if (act == RK_ACT_CLIP) {
		ir_op_set_string(T.g, op, "act", "clip");
		ir_op_set_float(T.g, op, "act_min", -0.5f);
		ir_op_set_float(T.g, op, "act_max", 0.75f);
	}
	ir_err e;
	bool ok = ir_op_infer(T.g, op, &e) == 0;
	if (ok && res) {
		ir_value **ops = ir_alloc(T.g, 4 * sizeof *ops);
		for (int k = 0; k < 3; k++)
			ops[k] = op->operands[k];
		ops[3] = mk(false, IR_F32, 4, op->results[0]->dims);
		op->operands = ops;
		op->noperands = 4;
	}
	size_t nb = ok ? ir_value_nbytes(op->results[0]) : 0;
	float *a = malloc(nb + 1), *b = malloc(nb + 1);
	/* plain, channel blocks */
	ir_op_set_string(T.g, op, "algo", "block");
	ok = ok && run_logical(op, a, msg, sizeof msg);
	/* blocked, the depthwise kernel */
	ir_op_set_string(T.g, op, "algo", "depthwise");
	set_blocked(op->operands[0]);
	set_blocked(op->results[0]);
	if (res)
		set_blocked(op->operands[3]);
	ok = ok && run_logical(op, b, msg, sizeof msg);
	if (ok && memcmp(a, b, nb) != 0) {
		size_t k = 0;
		while (a[k] == b[k] || (a[k] != a[k] && b[k] != b[k]))
			k++;
		snprintf(msg, sizeof msg, "element %zu: %.9g against %.9g", k, (double)b[k], (double)a[k]);
		ok = false;
	}
	free(a);
	free(b);
	result(name, ok, msg);
	tc_end();
}

static void
test_dwconv(void)
{
	/* N C H W M KH KW sh sw pt pl pb pr dh dw group bias wconst (M, group: C) */
	const struct {
		const char *what;
		conv_cfg c;
	} dc[] = {
		{"3x3 s1", {1, 16, 14, 14, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, true, true}},
		{"3x3 s1 wide rows", {2, 32, 5, 75, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, true, true}},
		{"3x3 s2", {1, 32, 15, 13, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, false, true}},
		{"3x3 s2 wide rows", {1, 16, 6, 71, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, true, true}},
		{"5x5 s2", {1, 48, 13, 9, 0, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 0, true, true}},
		{"3x3 d2", {1, 16, 12, 40, 0, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0, true, true}},
		{"3x3 d2 s2", {1, 16, 11, 45, 0, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 0, false, true}},
		{"7x7 plane", {1, 48, 7, 7, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, true, true}},
		{"7x7 kernel", {1, 16, 13, 9, 0, 7, 7, 1, 1, 3, 3, 3, 3, 1, 1, 0, true, true}},
		{"asym pads s(1,3)", {1, 16, 10, 23, 0, 3, 4, 1, 3, 0, 1, 2, 3, 1, 1, 0, true, true}},
		{"unpadded 1x1 input", {1, 32, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, true, true}},
		{"larger than the input", {1, 16, 2, 3, 0, 3, 3, 1, 1, 2, 2, 2, 2, 1, 1, 0, true, true}},
		{"big (tasks)", {2, 64, 56, 56, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, true, true}},
	};
	for (size_t i = 0; i < sizeof dc / sizeof dc[0]; i++)
		for (int blk = 0; blk < 2; blk++) {
			dw_case(dc[i].what, dc[i].c, false, RK_ACT_NONE, blk);
			dw_case(dc[i].what, dc[i].c, true, RK_ACT_RELU, blk);
			dw_case(dc[i].what, dc[i].c, true, RK_ACT_CLIP, blk);
			dw_case(dc[i].what, dc[i].c, false, RK_ACT_CLIP, blk);
		}
	dw_bitwise_case("3x3 s1", dc[1].c, true, RK_ACT_CLIP);
	dw_bitwise_case("5x5 s2", dc[4].c, false, RK_ACT_NONE);
	dw_bitwise_case("3x3 d2 s2", dc[6].c, true, RK_ACT_NONE);
	/* channels that are not whole blocks: plain only */
	dw_case("C 24", (conv_cfg){1, 24, 11, 37, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, true, true}, true,
	        RK_ACT_RELU, false);
	dw_case("C 3 s2", (conv_cfg){2, 3, 9, 40, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, true, true}, false,
	        RK_ACT_CLIP, false);
	/* weights that are not constants: the generic conv path */
	dw_case("plain weights", (conv_cfg){1, 16, 9, 9, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, true, false},
	        true, RK_ACT_CLIP, false);

	/* the pixel form at stride 2 (conv.c, algo "pixel"): groups of 4 and
	 * 8, odd widths, the residual and both activations */
	conv_cfg p4 = {1, 32, 9, 75, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, true, true, true};
	conv_cfg p8 = {2, 64, 7, 57, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, true, true, true};
	conv_cfg p8d = {1, 32, 8, 69, 32, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2, 4, false, true, true};
	conv_case("groups 8 (4 per group) s2 pixel", p4);
	conv_case("groups 8 (8 per group) s2 pixel", p8);
	conv_case("groups 4 (8 per group) s(1,2) d2 pixel", p8d);
	conv_epilogue_case("groups 8 (4 per group) s2 pixel", p4, true, RK_ACT_RELU, 0, 0);
	conv_epilogue_case("groups 8 (8 per group) s2 pixel", p8, true, RK_ACT_CLIP, -0.25f, 0.5f);
	conv_epilogue_case("groups 8 (8 per group) s2 pixel", p8, false, RK_ACT_RELU, 0, 0);
}

/* ---- other float ops ------------------------------------------------------------------ */

static void
unary_case(const char *name, ir_opkind k, ir_dtype t, bool special)
{
	tc_begin();
	ir_value *x = in(t, 3, 7, 33, END);
	if (special && t == IR_F32) {
		float *p = data_of(x);
		p[0] = NAN;
		p[1] = INFINITY;
		p[2] = -INFINITY;
		p[3] = -0.0f;
		p[4] = 100.0f;
		p[5] = -100.0f;
		for (int i = 6; i < 3 * 7 * 33; i++)
			p[i] *= 8;
	}
	if (t == IR_I32)
		((int32_t *)data_of(x))[0] = INT32_MIN;
	if (t == IR_I64)
		((int64_t *)data_of(x))[0] = INT64_MIN;
	ir_op *op = op_new(k, 1, 1, x);
	if (k == IR_OP_LEAKYRELU)
		ir_op_set_float(T.g, op, "alpha", 0.1f);
	if (k == IR_OP_CLIP) {
		ir_op_set_float(T.g, op, "min", -0.5f);
		ir_op_set_float(T.g, op, "max", 2.0f);
	}
	check(name, op, false);
	tc_end();
}

static void
test_unary(void)
{
	static const struct { const char *name; ir_opkind k; } u[] = {
		{"relu", IR_OP_RELU}, {"leakyrelu", IR_OP_LEAKYRELU}, {"clip", IR_OP_CLIP},
		{"sigmoid", IR_OP_SIGMOID}, {"tanh", IR_OP_TANH}, {"exp", IR_OP_EXP}, {"log", IR_OP_LOG},
		{"sqrt", IR_OP_SQRT}, {"abs", IR_OP_ABS}, {"neg", IR_OP_NEG},
	};
	for (size_t i = 0; i < sizeof u / sizeof *u; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s f32", u[i].name);
		unary_case(name, u[i].k, IR_F32, true);
	}
	unary_case("abs i32", IR_OP_ABS, IR_I32, false);
	unary_case("neg i32", IR_OP_NEG, IR_I32, false);
	unary_case("abs i64", IR_OP_ABS, IR_I64, false);
	unary_case("neg i64", IR_OP_NEG, IR_I64, false);
	/* clip with lo > hi and infinite bounds */
	tc_begin();
	ir_value *x = in(IR_F32, 100, END);
	ir_op *op = op_new(IR_OP_CLIP, 1, 1, x);
	ir_op_set_float(T.g, op, "min", 0.5f);
	ir_op_set_float(T.g, op, "max", -0.5f);
	check("clip lo > hi", op, true);
	tc_end();
	tc_begin();
	x = in(IR_F32, 100, END);
	op = op_new(IR_OP_CLIP, 1, 1, x);
	ir_op_set_float(T.g, op, "min", -INFINITY);
	ir_op_set_float(T.g, op, "max", 0.25f);
	check("clip -inf", op, true);
	tc_end();
	/* big: many tasks */
	tc_begin();
	x = in(IR_F32, 4, 64, 32, 32, END);
	check("relu big", op_new(IR_OP_RELU, 1, 1, x), true);
	tc_end();
	tc_begin();
	x = in(IR_F32, 2, 64, 32, 32, END);
	check("sigmoid big", op_new(IR_OP_SIGMOID, 1, 1, x), false);
	tc_end();
}

/* scale_shift (per channel or per image and channel, residual, act) and se_gate */
static void
test_fused(void)
{
	static const char *acts[] = {NULL, "relu", "clip"};
	for (int v = 0; v < 12; v++) {
		bool nc = v & 1, shift = v & 2, res = v & 4;
		const char *act = acts[v % 3];
		char name[128];
		snprintf(name, sizeof name, "scale_shift%s%s%s%s%s", nc ? " per-image" : "",
		         shift ? " shift" : "", res ? " residual" : "", act ? " " : "", act ? act : "");
		tc_begin();
		ir_value *x = v == 11 ? in(IR_F32, 2, 64, 28, 28, END) : in(IR_F32, 2, 6, 5, 7, END);
		int64_t N = x->dims[0], C = x->dims[1];
		ir_value *sv = nc ? in(IR_F32, N, C, END) : cst(IR_F32, C, END);
		ir_value *tv = shift ? (nc ? in(IR_F32, N, C, END) : cst(IR_F32, C, END)) : NULL;
		ir_value *rv = res ? in(IR_F32, N, C, x->dims[2], x->dims[3], END) : NULL;
		ir_op *op = rv ? op_new(IR_OP_SCALE_SHIFT, 1, 4, x, sv, tv, rv)
		               : op_new(IR_OP_SCALE_SHIFT, 1, 3, x, sv, tv);
		if (act)
			ir_op_set_string(T.g, op, "act", act);
		if (act && act[0] == 'c') {
			ir_op_set_float(T.g, op, "act_min", -0.25f);
			ir_op_set_float(T.g, op, "act_max", 0.5f);
		}
		check(name, op, false);
		tc_end();
	}
	for (int i = 0; i < 2; i++) {
		tc_begin();
		ir_value *m = i ? in(IR_F32, 1, 64, 56, 56, END) : in(IR_F32, 2, 3, 5, 7, END);
		ir_value *t = i ? in(IR_F32, 1, 64, 56, 56, END) : in(IR_F32, 2, 3, 5, 7, END);
		ir_op *op = op_new(IR_OP_SIGMOID_MUL, 1, 2, m, t);
		ir_op_set_float(T.g, op, "offset", i ? 1.0f : -0.5f);
		check(i ? "sigmoid_mul big" : "sigmoid_mul", op, false);
		tc_end();
	}
	static const int64_t fcs[][4] = {{1, 2048, 49, 1000}, {2, 64, 9, 10}, {3, 5, 1, 130}};
	for (int i = 0; i < 3; i++) {
		int64_t N = fcs[i][0], C = fcs[i][1], S = fcs[i][2], M = fcs[i][3];
		char name[64];
		snprintf(name, sizeof name, "fc N%lld C%lld S%lld M%lld%s", (long long)N, (long long)C,
		         (long long)S, (long long)M, i == 1 ? " relu" : i == 2 ? " no bias" : "");
		tc_begin();
		ir_value *x = in(IR_F32, N, C, S, 1, END);
		ir_value *w = cst(IR_F32, M, C, END);
		ir_op *op = i == 2 ? op_new(IR_OP_FC, 1, 2, x, w) : op_new(IR_OP_FC, 1, 3, x, w, cst(IR_F32, M, END));
		if (i == 1)
			ir_op_set_string(T.g, op, "act", "relu");
		check(name, op, false);
		tc_end();
	}
	/* split attention: se_gate with a radix, radix_combine */
	static const int64_t sa[][5] = {{1, 64, 32, 2, 1}, {2, 24, 8, 4, 2}, {1, 128, 64, 2, 4}};
	for (int i = 0; i < 3; i++) {
		int64_t N = sa[i][0], C = sa[i][1], R = sa[i][2], K = sa[i][3], G = sa[i][4];
		char name[96];
		snprintf(name, sizeof name, "se_gate radix %lld groups %lld N%lld C%lld R%lld", (long long)K,
		         (long long)G, (long long)N, (long long)C, (long long)R);
		tc_begin();
		ir_value *m = in(IR_F32, N, K * C, 1, 1, END);
		ir_op *op = op_new(IR_OP_SE_GATE, 1, 5, m, cst(IR_F32, R, C, END), cst(IR_F32, R, END),
		                   cst(IR_F32, K * C, R, END), cst(IR_F32, K * C, END));
		ir_op_set_int(T.g, op, "radix", K);
		ir_op_set_int(T.g, op, "groups", G);
		check(name, op, false);
		tc_end();
		snprintf(name, sizeof name, "radix_combine radix %lld N%lld C%lld", (long long)K, (long long)N,
		         (long long)C);
		tc_begin();
		ir_value *x = in(IR_F32, N, K * C, 9, 7, END), *g = in(IR_F32, N, K * C, END);
		op = op_new(IR_OP_RADIX_COMBINE, 1, 2, x, g);
		ir_op_set_int(T.g, op, "radix", K);
		check(name, op, false);
		tc_end();
	}
	/* w1 and w2 rows four at a time (rk_se_gate): C and R not multiples
	 * of four or of the lanes leave tails */
	static const int64_t se[][3] = {{1, 64, 4}, {2, 256, 16}, {1, 2048, 128}, {3, 24, 1}, {2, 30, 7}};
	for (int i = 0; i < 5; i++) {
		int64_t N = se[i][0], C = se[i][1], R = se[i][2];
		char name[64];
		snprintf(name, sizeof name, "se_gate N%lld C%lld R%lld%s", (long long)N, (long long)C,
		         (long long)R, i == 1 ? " (pooled [N,C,1,1])" : "");
		tc_begin();
		ir_value *m = i == 1 ? in(IR_F32, N, C, 1, 1, END) : in(IR_F32, N, C, END);
		ir_op *op = op_new(IR_OP_SE_GATE, 1, 5, m, cst(IR_F32, R, C, END), cst(IR_F32, R, END),
		                   cst(IR_F32, C, R, END), cst(IR_F32, C, END));
		check(name, op, false);
		tc_end();
	}
	/* over a conv's row sums [N,C,rows] (fuse-se-mean), with and without a radix */
	static const int64_t sr[][5] = {{1, 64, 4, 7, 1}, {2, 256, 16, 56, 1}, {1, 32, 8, 5, 2}};
	for (int i = 0; i < 3; i++) {
		int64_t N = sr[i][0], C = sr[i][1], R = sr[i][2], rows = sr[i][3], K = sr[i][4];
		char name[96];
		snprintf(name, sizeof name, "se_gate row sums N%lld C%lld R%lld rows %lld radix %lld",
		         (long long)N, (long long)C, (long long)R, (long long)rows, (long long)K);
		tc_begin();
		ir_value *m = in(IR_F32, N, K * C, rows, END);
		ir_op *op = op_new(IR_OP_SE_GATE, 1, 5, m, cst(IR_F32, R, C, END), cst(IR_F32, R, END),
		                   cst(IR_F32, K * C, R, END), cst(IR_F32, K * C, END));
		ir_op_set_int(T.g, op, "pixels", rows * (rows + 3));
		if (K > 1)
			ir_op_set_int(T.g, op, "radix", K);
		check(name, op, false);
		tc_end();
	}
}

static void
test_batchnorm(void)
{
	for (int variant = 0; variant < 3; variant++) {
		tc_begin();
		ir_value *x = variant == 2 ? in(IR_F32, 2, 64, 40, 40, END) : in(IR_F32, 2, 8, 5, 7, END);
		int64_t C = x->dims[1];
		ir_value *p[4];
		for (int i = 0; i < 4; i++)
			p[i] = variant == 1 ? in(IR_F32, C, END) : cst(IR_F32, C, END);
		float *var = data_of(p[3]);
		for (int64_t i = 0; i < C; i++)
			var[i] = fabsf(var[i]) + 0.1f;
		ir_op *op = op_new(IR_OP_BATCHNORM, 1, 5, x, p[0], p[1], p[2], p[3]);
		ir_op_set_float(T.g, op, "epsilon", 1e-5f);
		check(variant == 0 ? "batchnorm folded" : variant == 1 ? "batchnorm parameters not constant"
		                                                     : "batchnorm big",
		      op, false);
		tc_end();
	}
	tc_begin();
	ir_value *x = in(IR_F32, 3, 5, END);
	ir_value *p[4];
	for (int i = 0; i < 4; i++)
		p[i] = cst(IR_F32, 5, END);
	float *var = data_of(p[3]);
	for (int i = 0; i < 5; i++)
		var[i] = fabsf(var[i]);
	ir_op *op = op_new(IR_OP_BATCHNORM, 1, 5, x, p[0], p[1], p[2], p[3]);
	ir_op_set_float(T.g, op, "epsilon", 1e-3f);
	check("batchnorm rank 2", op, false);
	tc_end();
}

static void
softmax_case(const char *name, int axis, int rank, const int64_t *dims)
{
	tc_begin();
	ir_value *x = mk(false, IR_F32, rank, dims);
	float *p = data_of(x);
	for (int64_t i = 0; i < ir_value_numel(x); i++)
		p[i] *= 10;
	ir_op *op = op_new(IR_OP_SOFTMAX, 1, 1, x);
	ir_op_set_int(T.g, op, "axis", axis);
	check(name, op, false);
	tc_end();
}

static void
test_softmax(void)
{
	softmax_case("softmax last axis", 1, 2, (int64_t[]){3, 1000});
	softmax_case("softmax middle axis", 1, 3, (int64_t[]){2, 5, 300});
	softmax_case("softmax axis 0", 0, 2, (int64_t[]){7, 9});
	softmax_case("softmax many rows", 2, 3, (int64_t[]){64, 49, 49});
	softmax_case("softmax inner 3", 1, 3, (int64_t[]){4, 6, 3});
}

/* ---- elementwise with broadcasting ---------------------------------------------------- */

static void
elt_case(const char *name, ir_opkind k, ir_dtype t, int nin, const int64_t *const *shapes,
         const int *ranks, bool nan)
{
	tc_begin();
	ir_value *x[RK_MAXIN + 1];
	for (int i = 0; i < nin; i++) {
		x[i] = mk(i % 2 == 1 && ranks[i] <= 1 && t == IR_F32, t, ranks[i], shapes[i]);
		if (t != IR_F32 && k == IR_OP_DIV && i > 0) {
			/* no division by zero */
			int64_t n = ir_value_numel(x[i]);
			for (int64_t j = 0; j < n; j++) {
				if (t == IR_I32 && ((int32_t *)data_of(x[i]))[j] == 0)
					((int32_t *)data_of(x[i]))[j] = -1;
				if (t == IR_I64 && ((int64_t *)data_of(x[i]))[j] == 0)
					((int64_t *)data_of(x[i]))[j] = 7;
			}
		}
		if (nan && t == IR_F32 && ir_value_numel(x[i]) > 3) {
			float *p = data_of(x[i]);
			p[i] = NAN;
			p[3] = INFINITY;
		}
	}
	if (t == IR_I32 && ir_value_numel(x[0]) > 0)
		((int32_t *)data_of(x[0]))[0] = INT32_MIN;
	ir_op *op = ir_op_new(T.g, k, x, nin, 1);
	check(name, op, t != IR_F32 || k != IR_OP_DIV ? true : false);
	tc_end();
}

static void
test_eltwise(void)
{
	static const int64_t s2345[] = {2, 3, 4, 5}, s5[] = {5}, s311[] = {3, 1, 1}, s1315[] = {1, 3, 1, 5},
	                     s2141[] = {2, 1, 4, 1}, s0[] = {0}, s345[] = {3, 4, 5}, sbig[] = {2, 64, 28, 28},
	                     sc[] = {64, 1, 1}, s1[] = {1}, s2140[] = {2, 1, 4, 0};
	static const struct { const char *name; ir_opkind k; } ops[] = {
		{"add", IR_OP_ADD}, {"sub", IR_OP_SUB}, {"mul", IR_OP_MUL}, {"div", IR_OP_DIV},
		{"max", IR_OP_MAX}, {"min", IR_OP_MIN},
	};
	static const struct { const char *name; ir_dtype t; } types[] = {
		{"f32", IR_F32}, {"i32", IR_I32}, {"i64", IR_I64},
	};
	for (size_t ti = 0; ti < 3; ti++)
		for (size_t oi = 0; oi < sizeof ops / sizeof *ops; oi++) {
			char name[128];
			const int64_t *sh[2];
			int rk[2];
#define ELT(desc, a, ra, b, rb, nan)                                                        \
	do {                                                                                    \
		snprintf(name, sizeof name, "%s %s %s", ops[oi].name, types[ti].name, desc);       \
		sh[0] = a;                                                                          \
		rk[0] = ra;                                                                         \
		sh[1] = b;                                                                          \
		rk[1] = rb;                                                                         \
		elt_case(name, ops[oi].k, types[ti].t, 2, sh, rk, nan);                             \
	} while (0)
			ELT("same shape", s2345, 4, s2345, 4, true);
			ELT("[2,3,4,5] x [5]", s2345, 4, s5, 1, false);
			ELT("[5] x [2,3,4,5]", s5, 1, s2345, 4, false);
			ELT("[2,3,4,5] x [3,1,1]", s2345, 4, s311, 3, false);
			ELT("[1,3,1,5] x [2,1,4,1]", s1315, 4, s2141, 4, true);
			ELT("scalar", s345, 3, s0, 0, false);
			if (ti == 0) {
				ELT("big same shape", sbig, 4, sbig, 4, false);
				ELT("big per channel", sbig, 4, sc, 3, false);
				ELT("[1] x [3,4,5]", s1, 1, s345, 3, false);
				ELT("empty", s2140, 4, s2140, 4, false);
			}
#undef ELT
		}
	/* n-ary */
	static const struct { const char *name; ir_opkind k; } nops[] = {
		{"sum", IR_OP_SUM}, {"max", IR_OP_MAX}, {"min", IR_OP_MIN},
	};
	for (size_t oi = 0; oi < 3; oi++) {
		char name[128];
		const int64_t *sh[4] = {s2345, s5, s311, s2345};
		int rk[4] = {4, 1, 3, 4};
		snprintf(name, sizeof name, "%s of 4 broadcast", nops[oi].name);
		elt_case(name, nops[oi].k, IR_F32, 4, sh, rk, true);
		const int64_t *sh1[1] = {s345};
		int rk1[1] = {3};
		snprintf(name, sizeof name, "%s of 1", nops[oi].name);
		elt_case(name, nops[oi].k, IR_F32, 1, sh1, rk1, false);
		const int64_t *sh3[3] = {s5, s311, s1};
		int rk3[3] = {1, 3, 1};
		snprintf(name, sizeof name, "%s of 3 all broadcast", nops[oi].name);
		elt_case(name, nops[oi].k, IR_F32, 3, sh3, rk3, false);
	}
	{
		const int64_t *sh[3] = {s2345, s5, s2345};
		int rk[3] = {4, 1, 4};
		elt_case("max i64 of 3", IR_OP_MAX, IR_I64, 3, sh, rk, false);
		elt_case("min i32 of 3", IR_OP_MIN, IR_I32, 3, sh, rk, false);
	}
}

/* ---- pooling and reductions ------------------------------------------------------------------ */

static void
pool_case(const char *what, bool maxp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
          int64_t kw, int64_t sh, int64_t sw, int64_t pt, int64_t pl, int64_t pb, int64_t pr,
          int64_t dh, int64_t dw, int64_t ceil, int64_t cip)
{
	char name[200];
	snprintf(name, sizeof name, "%s %s", maxp ? "maxpool" : "avgpool", what);
	tc_begin();
	ir_value *x = in(IR_F32, N, C, H, W, END);
	if (maxp)
		((float *)data_of(x))[5] = NAN;
	ir_op *op = op_new(maxp ? IR_OP_MAXPOOL : IR_OP_AVGPOOL, 1, 1, x);
	ints(op, "kernel", 2, kh, kw);
	ints(op, "strides", 2, sh, sw);
	ints(op, "pads", 4, pt, pl, pb, pr);
	ir_op_set_int(T.g, op, "ceil_mode", ceil);
	if (maxp)
		ints(op, "dilations", 2, dh, dw);
	else
		ir_op_set_int(T.g, op, "count_include_pad", cip);
	check(name, op, maxp);
	tc_end();
}

static void
test_pool(void)
{
	pool_case("3x3 s2 p1 (resnet)", true, 1, 8, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0);
	pool_case("2x2 s2", true, 2, 3, 9, 10, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0, 0);
	pool_case("3x3 s2 ceil", true, 1, 4, 10, 11, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0);
	pool_case("3x3 d2 asym", true, 1, 4, 13, 12, 3, 3, 1, 2, 1, 2, 0, 1, 2, 2, 0, 0);
	pool_case("3x3 s1 p1", true, 1, 5, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
	pool_case("5x1", true, 1, 2, 9, 4, 5, 1, 1, 1, 2, 0, 2, 0, 1, 1, 0, 0);
	/* rows wider than maxpool_row's column buffer (512): chunks of output
	 * columns, and windows wider than the buffer (its one-by-one path) */
	pool_case("3x3 s2 p1 row of 1200", true, 1, 2, 5, 1200, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0);
	pool_case("1x3 s1 d3 row of 700", true, 1, 1, 2, 700, 1, 3, 1, 1, 0, 3, 0, 3, 1, 3, 0, 0);
	pool_case("1x600 s7 p3", true, 1, 2, 3, 650, 1, 600, 1, 7, 0, 3, 0, 3, 1, 1, 0, 0);
	pool_case("1x1 s3", true, 1, 2, 7, 20, 1, 1, 3, 3, 0, 0, 0, 0, 1, 1, 0, 0);
	for (int cip = 0; cip <= 1; cip++) {
		char w[64];
		snprintf(w, sizeof w, "3x3 s2 p1 cip%d", cip);
		pool_case(w, false, 1, 8, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, cip);
		snprintf(w, sizeof w, "3x3 s2 p1 ceil cip%d", cip);
		pool_case(w, false, 1, 4, 10, 11, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, cip);
		snprintf(w, sizeof w, "2x2 s2 (resnet-d) cip%d", cip);
		pool_case(w, false, 2, 16, 14, 14, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, cip);
		snprintf(w, sizeof w, "3x3 s1 p(0,1,2,1) cip%d", cip);
		pool_case(w, false, 1, 3, 6, 7, 3, 3, 1, 1, 0, 1, 2, 1, 1, 1, 0, cip);
		snprintf(w, sizeof w, "7x7 global-ish cip%d", cip);
		pool_case(w, false, 1, 30, 7, 7, 7, 7, 1, 1, 0, 0, 0, 0, 1, 1, 0, cip);
	}
}

static void
reduce_case(const char *name, ir_opkind k, int rank, const int64_t *dims, int naxes, const int64_t *axes,
            int keep)
{
	tc_begin();
	ir_value *x = mk(false, IR_F32, rank, dims);
	ir_op *op = op_new(k, 1, 1, x);
	if (k != IR_OP_GLOBALAVGPOOL) {
		ir_op_set_ints(T.g, op, "axes", axes, naxes);
		ir_op_set_int(T.g, op, "keepdims", keep);
	}
	check(name, op, false);
	tc_end();
}

static void
test_reduce(void)
{
	reduce_case("globalavgpool", IR_OP_GLOBALAVGPOOL, 4, (int64_t[]){2, 64, 7, 7}, 0, NULL, 0);
	reduce_case("globalavgpool big", IR_OP_GLOBALAVGPOOL, 4, (int64_t[]){1, 256, 56, 56}, 0, NULL, 0);
	reduce_case("globalavgpool 3d", IR_OP_GLOBALAVGPOOL, 3, (int64_t[]){2, 5, 9}, 0, NULL, 0);
	reduce_case("reducemean [2,3]", IR_OP_REDUCEMEAN, 4, (int64_t[]){2, 6, 5, 7}, 2, (int64_t[]){2, 3}, 1);
	reduce_case("reducesum [1]", IR_OP_REDUCESUM, 4, (int64_t[]){2, 6, 5, 7}, 1, (int64_t[]){1}, 0);
	reduce_case("reducemean [0,2]", IR_OP_REDUCEMEAN, 4, (int64_t[]){3, 6, 5, 7}, 2, (int64_t[]){0, 2}, 0);
	reduce_case("reducesum all", IR_OP_REDUCESUM, 3, (int64_t[]){3, 4, 5}, 3, (int64_t[]){0, 1, 2}, 1);
	reduce_case("reducesum size-1 axis", IR_OP_REDUCESUM, 3, (int64_t[]){3, 1, 5}, 1, (int64_t[]){1}, 0);
	reduce_case("reducemean [1] inner 300", IR_OP_REDUCEMEAN, 3, (int64_t[]){2, 9, 300}, 1, (int64_t[]){1}, 1);
	reduce_case("reducemean [0,3] of 5-d", IR_OP_REDUCEMEAN, 5, (int64_t[]){2, 3, 1, 4, 5}, 2, (int64_t[]){0, 3}, 0);
	reduce_case("reducemean empty axis", IR_OP_REDUCEMEAN, 2, (int64_t[]){3, 0}, 1, (int64_t[]){1}, 0);
}

/* ---- gemm / matmul ---------------------------------------------------------------------------- */

static void
gemm_case(const char *what, int64_t M, int64_t N, int64_t K, int ta, int tb, float alpha, float beta,
          int crank, const int64_t *cdims, bool bconst)
{
	char name[200];
	snprintf(name, sizeof name, "gemm %s: M%lld N%lld K%lld%s%s a%g b%g C rank %d%s", what, (long long)M,
	         (long long)N, (long long)K, ta ? " tA" : "", tb ? " tB" : "", alpha, beta, crank,
	         bconst ? "" : " (B not constant)");
	tc_begin();
	ir_value *a = ta ? in(IR_F32, K, M, END) : in(IR_F32, M, K, END);
	ir_value *b = tb ? mk(bconst, IR_F32, 2, (int64_t[]){N, K}) : mk(bconst, IR_F32, 2, (int64_t[]){K, N});
	ir_value *c = crank >= 0 ? mk(true, IR_F32, crank, cdims) : NULL;
	ir_op *op = op_new(IR_OP_GEMM, 1, c ? 3 : 2, a, b, c);
	ir_op_set_int(T.g, op, "transA", ta);
	ir_op_set_int(T.g, op, "transB", tb);
	ir_op_set_float(T.g, op, "alpha", alpha);
	ir_op_set_float(T.g, op, "beta", beta);
	check(name, op, false);
	tc_end();
}

static void
matmul_case(const char *name, int ra, const int64_t *da, int rb, const int64_t *db, bool bconst)
{
	tc_begin();
	ir_value *a = mk(false, IR_F32, ra, da);
	ir_value *b = mk(bconst, IR_F32, rb, db);
	check(name, op_new(IR_OP_MATMUL, 1, 2, a, b), false);
	tc_end();
}

static void
test_gemm(void)
{
	for (int ta = 0; ta <= 1; ta++)
		for (int tb = 0; tb <= 1; tb++)
			for (int bc = 0; bc <= 1; bc++) {
				gemm_case("", 13, 37, 21, ta, tb, 1.0f, 1.0f, 1, (int64_t[]){37}, bc);
				gemm_case("", 6, 16, 8, ta, tb, 0.5f, -2.0f, 2, (int64_t[]){6, 16}, bc);
			}
	gemm_case("fc", 1, 1000, 512, 0, 1, 1.0f, 1.0f, 1, (int64_t[]){1000}, true);
	gemm_case("fc B not const", 1, 200, 64, 0, 1, 1.0f, 1.0f, 1, (int64_t[]){200}, false);
	gemm_case("fc B rows", 1, 200, 64, 0, 0, 1.0f, 1.0f, 1, (int64_t[]){200}, false);
	gemm_case("fc batch 2", 2, 1000, 256, 0, 1, 1.0f, 1.0f, 2, (int64_t[]){1, 1000}, true);
	gemm_case("no C", 7, 33, 19, 0, 0, 2.0f, 1.0f, -1, NULL, true);
	gemm_case("C [M,1]", 7, 33, 19, 0, 0, 1.0f, 0.5f, 2, (int64_t[]){7, 1}, false);
	gemm_case("C scalar", 7, 33, 19, 1, 1, 1.0f, 3.0f, 0, (int64_t[]){0}, true);
	gemm_case("C [1]", 9, 15, 4, 0, 0, 1.0f, 1.0f, 1, (int64_t[]){1}, true);
	gemm_case("big", 100, 130, 300, 0, 1, 1.0f, 1.0f, 1, (int64_t[]){130}, true);
	gemm_case("K 1", 5, 20, 1, 0, 0, 1.0f, 1.0f, -1, NULL, true);

	matmul_case("matmul 2d", 2, (int64_t[]){13, 21}, 2, (int64_t[]){21, 37}, false);
	matmul_case("matmul 2d B const", 2, (int64_t[]){13, 21}, 2, (int64_t[]){21, 37}, true);
	matmul_case("matmul batched B const", 4, (int64_t[]){2, 3, 9, 16}, 2, (int64_t[]){16, 20}, true);
	matmul_case("matmul batch broadcast", 4, (int64_t[]){2, 1, 9, 16}, 3, (int64_t[]){3, 16, 20}, false);
	matmul_case("matmul attention-like", 3, (int64_t[]){4, 49, 32}, 3, (int64_t[]){4, 32, 49}, false);
	matmul_case("matmul 1-d a", 1, (int64_t[]){16}, 3, (int64_t[]){2, 16, 20}, false);
	matmul_case("matmul 1-d b", 3, (int64_t[]){2, 5, 16}, 1, (int64_t[]){16}, false);
	matmul_case("matmul 1-d b const", 2, (int64_t[]){5, 16}, 1, (int64_t[]){16}, true);
	matmul_case("matmul both 1-d", 1, (int64_t[]){40}, 1, (int64_t[]){40}, false);
}

/* ---- data movement ------------------------------------------------------------------------------ */

static void
test_move(void)
{
	static const ir_dtype dts[] = {IR_F32, IR_I64, IR_U8, IR_BOOL, IR_F64, IR_I32, IR_I8};
	char name[160];
	/* reshape / identity / dropout */
	for (size_t i = 0; i < 3; i++) {
		tc_begin();
		ir_value *x = in(dts[i], 2, 3, 20, END);
		ir_op *op = op_new(IR_OP_RESHAPE, 1, 1, x);
		set_result(op, 0, dts[i], 2, (int64_t[]){6, 20});
		snprintf(name, sizeof name, "reshape %s", ir_dtype_name(dts[i]));
		check(name, op, true);
		tc_end();
	}
	tc_begin();
	check("identity", op_new(IR_OP_IDENTITY, 1, 1, in(IR_F32, 4, 64, 56, 56, END)), true);
	tc_end();
	tc_begin();
	check("dropout i64", op_new(IR_OP_DROPOUT, 1, 1, in(IR_I64, 7, 5, END)), true);
	tc_end();

	/* transpose */
	static const int64_t perms[][4] = {{0, 2, 3, 1}, {3, 2, 1, 0}, {0, 1, 3, 2}, {1, 0, 2, 3}, {0, 1, 2, 3}};
	for (size_t p = 0; p < 5; p++)
		for (size_t i = 0; i < 3; i++) {
			tc_begin();
			ir_value *x = in(dts[i], 2, 5, 6, 7, END);
			ir_op *op = op_new(IR_OP_TRANSPOSE, 1, 1, x);
			ir_op_set_ints(T.g, op, "perm", perms[p], 4);
			snprintf(name, sizeof name, "transpose [%lld,%lld,%lld,%lld] %s", (long long)perms[p][0],
			         (long long)perms[p][1], (long long)perms[p][2], (long long)perms[p][3],
			         ir_dtype_name(dts[i]));
			check(name, op, true);
			tc_end();
		}
	tc_begin();
	{
		ir_value *x = in(IR_F32, 1, 64, 56, 56, END);
		ir_op *op = op_new(IR_OP_TRANSPOSE, 1, 1, x);
		ints(op, "perm", 4, I((int64_t)0, (int64_t)2, (int64_t)3, (int64_t)1));
		check("transpose big NCHW->NHWC", op, true);
	}
	tc_end();

	/* concat / split */
	for (int axis = 0; axis < 3; axis++)
		for (size_t i = 0; i < 3; i++) {
			tc_begin();
			int64_t d0[3] = {2, 3, 4}, d1[3] = {2, 3, 4}, d2[3] = {2, 3, 4};
			d1[axis] = 5;
			d2[axis] = 1;
			ir_value *a = mk(false, dts[i], 3, d0), *b = mk(false, dts[i], 3, d1), *c = mk(true, dts[i], 3, d2);
			ir_op *op = op_new(IR_OP_CONCAT, 1, 3, a, b, c);
			ir_op_set_int(T.g, op, "axis", axis);
			snprintf(name, sizeof name, "concat axis %d %s", axis, ir_dtype_name(dts[i]));
			check(name, op, true);
			tc_end();

			tc_begin();
			int64_t dx[3] = {6, 7, 8};
			ir_value *x = mk(false, dts[i], 3, dx);
			op = op_new(IR_OP_SPLIT, 3, 1, x);
			ir_op_set_int(T.g, op, "axis", axis);
			int64_t sp[3] = {1, dx[axis] - 4, 3};
			ir_op_set_ints(T.g, op, "split", sp, 3);
			snprintf(name, sizeof name, "split axis %d %s", axis, ir_dtype_name(dts[i]));
			check(name, op, true);
			tc_end();
		}
	tc_begin();
	{
		ir_value *a = in(IR_F32, 1, 256, 28, 28, END), *b = in(IR_F32, 1, 128, 28, 28, END);
		ir_op *op = op_new(IR_OP_CONCAT, 1, 2, a, b);
		ir_op_set_int(T.g, op, "axis", 1);
		check("concat big channels", op, true);
	}
	tc_end();

	/* slice */
	static const struct { int64_t starts[3], steps[3], out[3]; } sl[] = {
		{{0, 1, 2}, {1, 1, 1}, {6, 5, 4}},
		{{5, 6, 7}, {-1, -2, -3}, {6, 4, 3}},
		{{1, 0, 1}, {2, 3, 2}, {3, 3, 4}},
		{{2, 2, 2}, {1, 1, 1}, {0, 3, 3}},
	};
	for (size_t s = 0; s < sizeof sl / sizeof *sl; s++)
		for (size_t i = 0; i < 2; i++) {
			tc_begin();
			ir_value *x = in(dts[i], 6, 7, 8, END);
			ir_op *op = op_new(IR_OP_SLICE, 1, 1, x);
			ir_op_set_ints(T.g, op, "starts", sl[s].starts, 3);
			ir_op_set_ints(T.g, op, "steps", sl[s].steps, 3);
			set_result(op, 0, dts[i], 3, sl[s].out);
			snprintf(name, sizeof name, "slice %zu %s", s, ir_dtype_name(dts[i]));
			check(name, op, true);
			tc_end();
		}

	/* expand */
	for (size_t i = 0; i < 4; i++) {
		tc_begin();
		ir_value *x = in(dts[i], 3, 1, END);
		ir_op *op = op_new(IR_OP_EXPAND, 1, 1, x);
		set_result(op, 0, dts[i], 3, (int64_t[]){2, 3, 40});
		snprintf(name, sizeof name, "expand [3,1]->[2,3,40] %s", ir_dtype_name(dts[i]));
		check(name, op, true);
		tc_end();
	}
	tc_begin();
	{
		ir_value *x = in(IR_F32, 1, 64, 1, 1, END);
		ir_op *op = op_new(IR_OP_EXPAND, 1, 1, x);
		set_result(op, 0, IR_F32, 4, (int64_t[]){2, 64, 28, 28});
		check("expand big", op, true);
	}
	tc_end();

	/* pad */
	static const char *const modes[] = {"constant", "reflect", "edge"};
	static const int64_t padsets[][6] = {{1, 2, 0, 0, 3, 1}, {0, -1, 2, 1, 1, -2}, {2, 2, 2, 2, 2, 2}};
	for (int m = 0; m < 3; m++)
		for (int ps = 0; ps < 3; ps++)
			for (size_t i = 0; i < 2; i++) {
				tc_begin();
				ir_value *x = in(dts[i], 4, 5, 6, END);
				ir_op *op = op_new(IR_OP_PAD, 1, 1, x);
				ir_op_set_ints(T.g, op, "pads", padsets[ps], 6);
				ir_op_set_string(T.g, op, "mode", modes[m]);
				ir_op_set_float(T.g, op, "value", 2.5f);
				snprintf(name, sizeof name, "pad %s set %d %s", modes[m], ps, ir_dtype_name(dts[i]));
				check(name, op, true);
				tc_end();
			}
	tc_begin();
	{
		ir_value *x = in(IR_F32, 1, 64, 56, 56, END);
		ir_op *op = op_new(IR_OP_PAD, 1, 1, x);
		ints(op, "pads", 8, I((int64_t)0, (int64_t)0, (int64_t)1, (int64_t)1, (int64_t)0, (int64_t)0,
		                      (int64_t)1, (int64_t)1));
		ir_op_set_string(T.g, op, "mode", "constant");
		ir_op_set_float(T.g, op, "value", 0.0f);
		check("pad big", op, true);
	}
	tc_end();

	/* gather */
	for (int axis = 0; axis < 3; axis++)
		for (int it = 0; it < 2; it++) {
			tc_begin();
			ir_value *x = in(IR_F32, 5, 6, 7, END);
			ir_value *idx = it ? in(IR_I32, 2, 3, END) : cst(IR_I64, 4, END);
			int64_t n = ir_value_numel(idx), A = x->dims[axis];
			for (int64_t j = 0; j < n; j++) {
				int64_t v = (int64_t)(rng() % (uint64_t)(2 * A)) - A;
				if (it)
					((int32_t *)data_of(idx))[j] = (int32_t)v;
				else
					((int64_t *)data_of(idx))[j] = v;
			}
			ir_op *op = op_new(IR_OP_GATHER, 1, 2, x, idx);
			ir_op_set_int(T.g, op, "axis", axis);
			snprintf(name, sizeof name, "gather axis %d %s indices", axis, it ? "i32" : "i64");
			check(name, op, true);
			tc_end();
		}
	tc_begin();
	{
		ir_value *x = in(IR_I64, 4, END);
		ir_value *idx = cst(IR_I64, END);
		((int64_t *)data_of(idx))[0] = -1;
		ir_op *op = op_new(IR_OP_GATHER, 1, 2, x, idx);
		ir_op_set_int(T.g, op, "axis", 0);
		check("gather scalar index (shape arithmetic)", op, true);
	}
	tc_end();

	/* cast: all pairs */
	for (size_t a = 0; a < 7; a++)
		for (size_t b = 0; b < 7; b++) {
			tc_begin();
			ir_value *x = in(dts[a], 3, 50, END);
			if (dts[a] == IR_F32) {
				float *p = data_of(x);
				float sp[] = {NAN, INFINITY, -INFINITY, 1e10f, -1e10f, 300.7f, -129.5f, 255.9f, 3e9f, -0.9f};
				for (int i = 0; i < 150; i++)
					p[i] = i < 10 ? sp[i] : p[i] * 400;
			} else if (dts[a] == IR_F64) {
				double *p = data_of(x);
				double sp[] = {NAN, 1e300, -1e300, 9.3e18, -9.3e18, 2147483648.5, -2147483649.0, 255.5};
				for (int i = 0; i < 150; i++)
					p[i] = i < 8 ? sp[i] : p[i] * 1000;
			} else if (dts[a] == IR_I64) {
				int64_t *p = data_of(x);
				p[0] = INT64_MIN;
				p[1] = INT64_MAX;
				p[2] = ((int64_t)1 << 53) + 1;
				p[3] = 300;
				p[4] = -200;
				p[5] = 70000;
			} else if (dts[a] == IR_I32) {
				int32_t *p = data_of(x);
				p[0] = INT32_MIN;
				p[1] = 16777217;
				p[2] = 300;
			}
			ir_op *op = op_new(IR_OP_CAST, 1, 1, x);
			set_result(op, 0, dts[b], 2, (int64_t[]){3, 50});
			snprintf(name, sizeof name, "cast %s -> %s", ir_dtype_name(dts[a]), ir_dtype_name(dts[b]));
			check(name, op, true);
			tc_end();
		}
	tc_begin();
	{
		ir_value *x = in(IR_F32, 1, 64, 56, 56, END);
		ir_op *op = op_new(IR_OP_CAST, 1, 1, x);
		set_result(op, 0, IR_I32, 4, x->dims);
		check("cast big f32 -> i32", op, true);
	}
	tc_end();
}

/* ---- resize ----------------------------------------------------------------------------------------- */

static void
resize_case(const char *mode, const char *coord, const char *nmode, int rank, const int64_t *in_dims,
            const int64_t *out_dims, const float *scales)
{
	char name[200];
	snprintf(name, sizeof name, "resize %s %s %s [%lld,%lld]->[%lld,%lld]", mode, coord, nmode,
	         (long long)in_dims[rank - 2], (long long)in_dims[rank - 1], (long long)out_dims[rank - 2],
	         (long long)out_dims[rank - 1]);
	tc_begin();
	ir_value *x = mk(false, IR_F32, rank, in_dims);
	ir_op *op = op_new(IR_OP_RESIZE, 1, 1, x);
	ir_op_set_string(T.g, op, "mode", mode);
	ir_op_set_string(T.g, op, "coord", coord);
	ir_op_set_string(T.g, op, "nearest_mode", nmode);
	ir_op_set_floats(T.g, op, "scales", scales, rank);
	set_result(op, 0, IR_F32, rank, out_dims);
	check(name, op, strcmp(mode, "nearest") == 0);
	tc_end();
}

static void
test_resize(void)
{
	static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
	                                     "tf_half_pixel_for_nearest"};
	static const char *const nmodes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
	int64_t i4[4] = {1, 3, 5, 6}, up[4] = {1, 3, 10, 12}, down[4] = {1, 3, 2, 3}, odd[4] = {1, 3, 7, 13};
	float sup[4] = {1, 1, 2, 2}, sdown[4] = {1, 1, 0.4f, 0.5f}, sodd[4] = {1, 1, 1.4f, 13.0f / 6.0f};
	for (int c = 0; c < 5; c++) {
		resize_case("linear", coords[c], "round_prefer_floor", 4, i4, up, sup);
		resize_case("linear", coords[c], "round_prefer_floor", 4, i4, down, sdown);
		resize_case("linear", coords[c], "round_prefer_floor", 4, i4, odd, sodd);
		for (int n = 0; n < 4; n++) {
			resize_case("nearest", coords[c], nmodes[n], 4, i4, up, sup);
			resize_case("nearest", coords[c], nmodes[n], 4, i4, odd, sodd);
		}
	}
	int64_t a3[3] = {4, 5, 6}, b3[3] = {6, 3, 9};
	float s3[3] = {1.5f, 0.6f, 1.5f};
	resize_case("linear", "half_pixel", "floor", 3, a3, b3, s3);
	resize_case("nearest", "asymmetric", "floor", 3, a3, b3, s3);
	int64_t big_in[4] = {1, 64, 28, 28}, big_out[4] = {1, 64, 56, 56};
	resize_case("linear", "half_pixel", "floor", 4, big_in, big_out, sup);
	resize_case("nearest", "asymmetric", "floor", 4, big_in, big_out, sup);
}

/* ---- native speed of the conv layers of resnet50 (not pass/fail) --------------------------------------- */

#include <time.h>

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void
bench_conv(const char *what, conv_cfg c)
{
	tc_begin();
	ir_op *op = conv_op(&c);
	ir_err e;
	if (ir_op_infer(T.g, op, &e) != 0) {
		printf("bench %s: %s\n", what, e.msg);
		tc_end();
		return;
	}
	ir_op_append(T.g, op);
	be_call call;
	if (be_lower_op(T.g, op, &call, &e) != 0) {
		printf("bench %s: %s\n", what, e.msg);
		tc_end();
		return;
	}
	be_kernel_fn fn = be_kernel_lookup(call.kernel);
	ir_value *y = op->results[0];
	float *out = malloc(ir_value_nbytes(y));
	void *ptrs[BE_MAX_PTRS] = {0};
	for (int j = 0; j < call.nptrs; j++)
		ptrs[j] = call.ptrs[j] == y ? out : data_of(call.ptrs[j]);
	double flops = 2.0 * (double)ir_op_macs(op);
	fn(call.desc, ptrs, 0, call.ntasks);
	/* best of many calls: the machine may be shared */
	double best = 1e30, end = now() + 0.5;
	while (now() < end) {
		double t0 = now();
		fn(call.desc, ptrs, 0, call.ntasks);
		double t = now() - t0;
		if (t < best)
			best = t;
	}
	printf("bench %-28s %8.3f ms  %6.1f GFLOP/s (1 thread, %lld tasks)\n", what, best * 1e3,
	       flops / best / 1e9, (long long)call.ntasks);
	free(out);
	tc_end();
}

/* Times an already built op (1 thread, best call); bytes = its traffic. */
static void
bench_op(const char *what, ir_op *op)
{
	ir_err e;
	if (ir_op_infer(T.g, op, &e) != 0) {
		printf("bench %s: %s\n", what, e.msg);
		return;
	}
	ir_op_append(T.g, op);
	be_call call;
	if (be_lower_op(T.g, op, &call, &e) != 0) {
		printf("bench %s: %s\n", what, e.msg);
		return;
	}
	be_kernel_fn fn = be_kernel_lookup(call.kernel);
	void *ptrs[BE_MAX_PTRS] = {0}, *outs[8] = {0};
	double bytes = 0;
	for (int j = 0; j < call.nptrs; j++) {
		ir_value *v = call.ptrs[j];
		if (!v)
			continue;
		bytes += (double)ir_value_nbytes(v);
		ptrs[j] = data_of(v);
		for (int i = 0; i < op->nresults; i++)
			if (op->results[i] == v)
				ptrs[j] = outs[i] = malloc(ir_value_nbytes(v) + 1);
	}
	fn(call.desc, ptrs, 0, call.ntasks);
	double best = 1e30, end = now() + 0.3;
	while (now() < end) {
		double t0 = now();
		fn(call.desc, ptrs, 0, call.ntasks);
		double t = now() - t0;
		if (t < best)
			best = t;
	}
	double fl = 2.0 * (double)ir_op_macs(op);
	printf("bench %-28s %8.3f ms  %6.1f GB/s%s", what, best * 1e3, bytes / best / 1e9, fl > 0 ? "" : "\n");
	if (fl > 0)
		printf("  %6.1f GFLOP/s\n", fl / best / 1e9);
	for (int i = 0; i < 8; i++)
		free(outs[i]);
}

static void
bench_others(void)
{
	tc_begin();
	bench_op("relu [1,256,56,56]", op_new(IR_OP_RELU, 1, 1, in(IR_F32, 1, 256, 56, 56, END)));
	tc_end();
	tc_begin();
	bench_op("add [1,256,56,56] same", op_new(IR_OP_ADD, 1, 2, in(IR_F32, 1, 256, 56, 56, END),
	                                          in(IR_F32, 1, 256, 56, 56, END)));
	tc_end();
	tc_begin();
	bench_op("mul [1,256,56,56] x [256,1,1]", op_new(IR_OP_MUL, 1, 2, in(IR_F32, 1, 256, 56, 56, END),
	                                                 in(IR_F32, 256, 1, 1, END)));
	tc_end();
	tc_begin();
	{
		ir_value *x = in(IR_F32, 1, 256, 56, 56, END), *p[4];
		for (int i = 0; i < 4; i++)
			p[i] = cst(IR_F32, 256, END);
		float *var = data_of(p[3]);
		for (int i = 0; i < 256; i++)
			var[i] = fabsf(var[i]) + 0.1f;
		ir_op *op = op_new(IR_OP_BATCHNORM, 1, 5, x, p[0], p[1], p[2], p[3]);
		ir_op_set_float(T.g, op, "epsilon", 1e-5f);
		bench_op("batchnorm [1,256,56,56]", op);
	}
	tc_end();
	tc_begin();
	{
		ir_op *op = op_new(IR_OP_MAXPOOL, 1, 1, in(IR_F32, 1, 64, 112, 112, END));
		ints(op, "kernel", 2, 3, 3);
		ints(op, "strides", 2, 2, 2);
		ints(op, "pads", 4, 1, 1, 1, 1);
		ints(op, "dilations", 2, 1, 1);
		ir_op_set_int(T.g, op, "ceil_mode", 0);
		bench_op("maxpool 3x3 s2 [1,64,112,112]", op);
	}
	tc_end();
	tc_begin();
	bench_op("globalavgpool [1,2048,7,7]", op_new(IR_OP_GLOBALAVGPOOL, 1, 1, in(IR_F32, 1, 2048, 7, 7, END)));
	tc_end();
	tc_begin();
	{
		ir_op *op = op_new(IR_OP_GEMM, 1, 3, in(IR_F32, 1, 2048, END), cst(IR_F32, 1000, 2048, END),
		                   cst(IR_F32, 1000, END));
		ir_op_set_int(T.g, op, "transA", 0);
		ir_op_set_int(T.g, op, "transB", 1);
		ir_op_set_float(T.g, op, "alpha", 1.0f);
		ir_op_set_float(T.g, op, "beta", 1.0f);
		bench_op("gemm fc 1x2048 -> 1000", op);
	}
	tc_end();
	tc_begin();
	{
		ir_op *op = op_new(IR_OP_GEMM, 1, 2, in(IR_F32, 256, 512, END), cst(IR_F32, 512, 512, END));
		ir_op_set_int(T.g, op, "transA", 0);
		ir_op_set_int(T.g, op, "transB", 0);
		ir_op_set_float(T.g, op, "alpha", 1.0f);
		ir_op_set_float(T.g, op, "beta", 1.0f);
		bench_op("gemm 256x512x512", op);
	}
	tc_end();
	tc_begin();
	{
		ir_op *op = op_new(IR_OP_SOFTMAX, 1, 1, in(IR_F32, 8, 1000, END));
		ir_op_set_int(T.g, op, "axis", 1);
		bench_op("softmax [8,1000]", op);
	}
	tc_end();
	tc_begin();
	{
		ir_op *op = op_new(IR_OP_TRANSPOSE, 1, 1, in(IR_F32, 1, 256, 56, 56, END));
		ints(op, "perm", 4, 0, 2, 3, 1);
		bench_op("transpose NCHW->NHWC 256x56x56", op);
	}
	tc_end();
	tc_begin();
	{
		ir_op *op = op_new(IR_OP_CONCAT, 1, 2, in(IR_F32, 1, 256, 28, 28, END), in(IR_F32, 1, 256, 28, 28, END));
		ir_op_set_int(T.g, op, "axis", 1);
		bench_op("concat 2x[1,256,28,28] axis 1", op);
	}
	tc_end();
}

static void
bench(void)
{
	bench_others();
	bench_conv("3x3 64->64 56x56", (conv_cfg){1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	bench_conv("1x1 256->64 56x56", (conv_cfg){1, 256, 56, 56, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true});
	bench_conv("1x1 64->256 56x56", (conv_cfg){1, 64, 56, 56, 256, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true});
	bench_conv("3x3 s2 128 56->28", (conv_cfg){1, 128, 56, 56, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true, true});
	bench_conv("3x3 128->128 28x28", (conv_cfg){1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	bench_conv("3x3 256->256 14x14", (conv_cfg){1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	bench_conv("7x7 s2 3->64 224", (conv_cfg){1, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, true, true});
	bench_conv("3x3 512->512 7x7", (conv_cfg){1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true});
	bench_conv("1x1 1024->256 14x14", (conv_cfg){1, 1024, 14, 14, 256, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true});
	bench_conv("1x1 s2 256->512 56->28", (conv_cfg){1, 256, 56, 56, 512, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, true, true});
	bench_conv("3x3 g32 128 56x56", (conv_cfg){1, 128, 56, 56, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32, true, true});
}

/* The other kernels that take NCHW16c values (passes/layout.c). */
static void
test_blocked(void)
{
	char name[128];
	/* max pooling, the stem's and a padded odd one; NaN, -inf in the input */
	for (int k = 0; k < 2; k++) {
		tc_begin();
		ir_value *x = k ? in(IR_F32, 2, 32, 9, 11, END) : in(IR_F32, 1, 64, 20, 20, END);
		((float *)data_of(x))[5] = NAN;
		((float *)data_of(x))[70] = -INFINITY;
		ir_op *op = op_new(IR_OP_MAXPOOL, 1, 1, x);
		ints(op, "kernel", 2, 3, 3);
		ints(op, "strides", 2, 2, k ? 1 : 2);
		ints(op, "pads", 4, 1, 1, k ? 0 : 1, k ? 2 : 1);
		ints(op, "dilations", 2, 1, 1);
		ir_op_set_int(T.g, op, "ceil_mode", 0);
		set_blocked(x);
		set_blocked(op->results[0]);
		check(k ? "maxpool nchw16c padded" : "maxpool nchw16c 3x3 s2", op, true);
		tc_end();
	}
	/* average pooling: ResNeSt's avd layer (3x3 s2 padded, pads counted or
	 * not) and its 2x2 s2 downsample */
	for (int k = 0; k < 3; k++) {
		tc_begin();
		ir_value *x = in(IR_F32, 1, 32, 9, 10, END);
		ir_op *op = op_new(IR_OP_AVGPOOL, 1, 1, x);
		ints(op, "kernel", 2, k == 2 ? 2 : 3, k == 2 ? 2 : 3);
		ints(op, "strides", 2, 2, 2);
		ints(op, "pads", 4, k == 2 ? 0 : 1, k == 2 ? 0 : 1, k == 2 ? 0 : 1, k == 2 ? 0 : 1);
		ir_op_set_int(T.g, op, "ceil_mode", 0);
		ir_op_set_int(T.g, op, "count_include_pad", k == 1);
		set_blocked(x);
		set_blocked(op->results[0]);
		snprintf(name, sizeof name, "avgpool nchw16c %s", k == 2 ? "2x2 s2" : k ? "3x3 s2 count pads" : "3x3 s2");
		check(name, op, false);
		tc_end();
	}
	/* radix_combine: ResNeSt's split attention, radix 2 */
	tc_begin();
	{
		ir_value *x = in(IR_F32, 2, 64, 5, 6, END), *g = in(IR_F32, 2, 64, END);
		ir_op *op = op_new(IR_OP_RADIX_COMBINE, 1, 2, x, g);
		ir_op_set_int(T.g, op, "radix", 2);
		set_blocked(x);
		set_result(op, 0, IR_F32, 4, (int64_t[]){2, 32, 5, 6});
		set_blocked(op->results[0]);
		check("radix_combine nchw16c", op, false);
	}
	tc_end();
	/* scale_shift: per channel or per image (an SE gate), shift, residual, act, in place */
	for (int v = 0; v < 6; v++) {
		tc_begin();
		ir_value *x = in(IR_F32, 2, 48, 5, 7, END);
		ir_value *sv = v & 1 ? in(IR_F32, 2, 48, END) : cst(IR_F32, 48, END);
		ir_value *tv = v & 2 ? cst(IR_F32, 48, END) : NULL;
		ir_value *rv = v >= 2 ? in(IR_F32, 2, 48, 5, 7, END) : NULL;
		ir_op *op = rv ? op_new(IR_OP_SCALE_SHIFT, 1, 4, x, sv, tv, rv) : op_new(IR_OP_SCALE_SHIFT, 1, 3, x, sv, tv);
		ir_op_set_string(T.g, op, "act", v == 5 ? "clip" : "relu");
		ir_op_set_float(T.g, op, "act_min", -0.25f);
		ir_op_set_float(T.g, op, "act_max", 0.5f);
		set_blocked(x);
		if (rv)
			set_blocked(rv);
		set_blocked(op->results[0]);
		snprintf(name, sizeof name, "scale_shift nchw16c%s%s%s", v & 1 ? " per-image" : "",
		         v & 2 ? " shift" : "", rv ? " residual" : "");
		check(name, op, false);
		tc_end();
	}
	/* resize: the attention mask's 2x linear upsample, and nearest */
	for (int k = 0; k < 2; k++) {
		tc_begin();
		ir_value *x = in(IR_F32, 1, 32, 7, 6, END);
		ir_op *op = op_new(IR_OP_RESIZE, 1, 1, x);
		ir_op_set_string(T.g, op, "mode", k ? "nearest" : "linear");
		ir_op_set_string(T.g, op, "coord", k ? "asymmetric" : "half_pixel");
		ir_op_set_string(T.g, op, "nearest_mode", "floor");
		ir_op_set_floats(T.g, op, "scales", (float[]){1, 1, 2, 2}, 4);
		set_result(op, 0, IR_F32, 4, (int64_t[]){1, 32, 14, 12});
		set_blocked(x);
		set_blocked(op->results[0]);
		check(k ? "resize nchw16c nearest" : "resize nchw16c linear", op, false);
		tc_end();
	}
	/* global average pool into a plain [N,C,1,1]; fc over a blocked input */
	tc_begin();
	ir_value *x = in(IR_F32, 2, 64, 7, 5, END);
	ir_op *op = op_new(IR_OP_GLOBALAVGPOOL, 1, 1, x);
	set_blocked(x);
	check("globalavgpool nchw16c", op, false);
	tc_end();
	tc_begin();
	x = in(IR_F32, 2, 80, 7, 7, END);
	op = op_new(IR_OP_FC, 1, 3, x, cst(IR_F32, 10, 80, END), cst(IR_F32, 10, END));
	set_blocked(x);
	check("fc nchw16c input", op, false);
	tc_end();
	/* the strided slice of subsample-conv */
	tc_begin();
	x = in(IR_F32, 2, 32, 9, 8, END);
	op = op_new(IR_OP_SLICE, 1, 1, x);
	ir_op_set_ints(T.g, op, "starts", (int64_t[]){0, 0, 1, 0}, 4);
	ir_op_set_ints(T.g, op, "steps", (int64_t[]){1, 1, 2, 2}, 4);
	set_result(op, 0, IR_F32, 4, (int64_t[]){2, 32, 4, 4});
	set_blocked(x);
	set_blocked(op->results[0]);
	check("slice nchw16c subsample", op, true);
	tc_end();
	/* elementwise over one layout: add, sigmoid_mul */
	tc_begin();
	x = in(IR_F32, 1, 32, 6, 6, END);
	ir_value *x2 = in(IR_F32, 1, 32, 6, 6, END);
	op = op_new(IR_OP_SIGMOID_MUL, 1, 2, x, x2);
	ir_op_set_float(T.g, op, "offset", 1.0f);
	set_blocked(x);
	set_blocked(x2);
	set_blocked(op->results[0]);
	check("sigmoid_mul nchw16c", op, false);
	tc_end();
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
		bench();
		return 0;
	}
	if (be_kernel_lookup("rk_no_such_kernel") != NULL) {
		printf("FAIL  be_kernel_lookup of an unknown name\n");
		failed++;
	}
	test_conv();
	test_conv_rows();
	test_dwconv();
	test_unary();
	test_batchnorm();
	test_fused();
	test_softmax();
	test_eltwise();
	test_pool();
	test_reduce();
	test_gemm();
	test_move();
	test_resize();
	test_blocked();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
