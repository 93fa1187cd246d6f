/*
 * interp.c - the reference interpreter: every IR op as plain C loops.
 *
 * What.  ir_interp_op() evaluates one op on dense row-major buffers whose
 * types are the op's operand and result types.  ir_interp_run() runs a
 * whole graph: it verifies it, gives every op result its own malloc'd
 * buffer, and frees each buffer as soon as the last op that reads it has
 * run, so that even resnet152 holds only a few activations at a time.
 *
 * Why.  This file is docs/ir.md written as code.  The frontend folds
 * constants with it, the const_fold pass evaluates with it, the pass manager
 * checks every pass against it, and the native backend is tested against
 * it.  So each kernel is the most direct loop nest that computes the
 * documented formula (ONNX's, where the doc defers to ONNX): no threads,
 * no fused ops, and values in their logical NCHW order whatever layout
 * they carry (a blocked layout, passes/layout.c, says how compiled code
 * stores the value, not what it is).  Where a choice had to be made
 * (rounding, NaN, out-of-range casts) it is written down beside the loop.
 * The model tests run this on resnet152 at 224x224, so the loop nests of
 * conv, gemm and matmul are ordered to make the innermost loop contiguous and
 * branch-free, which the compiler turns into vector code; that is the only
 * concession to speed.
 *
 * Invariants.
 * - ir_interp_op trusts shapes: the op must be well typed (ir_op_infer
 *   accepts it and its results have the types it computes); ir_interp_run
 *   establishes that by verifying the graph first.  What the type checker
 *   cannot see is checked here: dtypes without a kernel, missing or
 *   malformed attributes, and data-dependent errors (gather indices out of
 *   range, integer division by zero).
 * - Accumulation: conv, gemm and matmul accumulate in f32 like the backends;
 *   sums over many elements (softmax, pooling means, reductions) in double.
 * - Integer arithmetic wraps (two's complement) instead of invoking C's
 *   undefined behaviour; float to integer casts truncate toward zero and
 *   saturate, NaN becoming 0.
 * - Nothing here allocates from the graph arena: ir_interp_run mallocs and
 *   frees its buffers, and every path out of it frees all of them.
 */
#include "ir.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef long long ll;

/*
 * Test hook for fault injection, like ir.c's ir_fail_alloc_at: set to N > 0,
 * the Nth allocation from then on fails (and the hook disarms itself).  Not
 * in ir.h; the unit test declares it.
 */
long ir_interp_fail_alloc_at;

static bool
inject_failure(void)
{
	return ir_interp_fail_alloc_at > 0 && --ir_interp_fail_alloc_at == 0;
}

static void *
xmalloc(size_t n)
{
	return inject_failure() ? NULL : malloc(n ? n : 1);
}

static void *
xcalloc(size_t n, size_t size)
{
	return inject_failure() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

static const char *
opname(const ir_op *op)
{
	return (unsigned)op->kind < IR_NOPKINDS ? ir_opinfos[op->kind].name : "?";
}

static int64_t
numel(int rank, const int64_t *d)
{
	int64_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= d[i];
	return n;
}

/* ---- attributes, checked --------------------------------------------------- */

static int
attr_int(const ir_op *op, const char *name, int64_t *v, ir_err *e)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (!a || a->kind != IR_ATTR_INT)
		return ir_errf(e, "%s: missing int attribute '%s'", opname(op), name);
	*v = a->i;
	return 0;
}

static int
attr_float(const ir_op *op, const char *name, float *v, ir_err *e)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (!a || (a->kind != IR_ATTR_FLOAT && a->kind != IR_ATTR_INT))
		return ir_errf(e, "%s: missing float attribute '%s'", opname(op), name);
	*v = ir_op_float(op, name, 0);
	return 0;
}

/*
 * The fused epilogue of conv and gemm (passes/fuse_epilogue.c), in place
 * over n elements: y = act(y + residual), act named by attribute `name`
 * ("act", or a conv's "post_act") with its bounds in name_min/name_max.
 * The same order of operations as the kernels' epilogue
 * (backend/kernels/rk.h).
 */
static int
apply_act(const ir_op *op, const char *name, float *y, const float *res, int64_t n, ir_err *e)
{
	char kmin[32], kmax[32];
	snprintf(kmin, sizeof kmin, "%s_min", name);
	snprintf(kmax, sizeof kmax, "%s_max", name);
	const char *act = ir_op_string(op, name, NULL);
	float lo = -INFINITY, hi = INFINITY;
	int kind = 0;
	if (act && strcmp(act, "relu") == 0)
		kind = 1;
	else if (act && strcmp(act, "clip") == 0) {
		kind = 2;
		lo = ir_op_float(op, kmin, -INFINITY);
		hi = ir_op_float(op, kmax, INFINITY);
	} else if (act)
		return ir_errf(e, "%s: unknown fused activation \"%.40s\"", opname(op), act);
	for (int64_t i = 0; i < n; i++) {
		float v = res ? y[i] + res[i] : y[i];
		if (kind == 1)
			v = v < 0 ? 0.0f : v;          /* NaN stays NaN, as relu */
		else if (kind == 2) {
			v = v < lo ? lo : v;
			v = v > hi ? hi : v;
		}
		y[i] = v;
	}
	return 0;
}

static int
apply_epilogue(const ir_op *op, float *y, const float *res, int64_t n, ir_err *e)
{
	return apply_act(op, "act", y, res, n, e);
}

/* A list of exactly n ints. */
static int
attr_ints(const ir_op *op, const char *name, int n, const int64_t **v, ir_err *e)
{
	int got;
	*v = ir_op_ints(op, name, &got);
	if (!*v || got != n)
		return ir_errf(e, "%s: attribute '%s' must be a list of %d ints", opname(op), name, n);
	return 0;
}

static int
attr_string(const ir_op *op, const char *name, const char **s, ir_err *e)
{
	*s = ir_op_string(op, name, NULL);
	if (!*s)
		return ir_errf(e, "%s: missing string attribute '%s'", opname(op), name);
	return 0;
}

/* ---- dtype checks --------------------------------------------------------- */

/* Every present operand and every result is f32. */
static int
need_f32(const ir_op *op, ir_err *e)
{
	for (int i = 0; i < op->noperands; i++)
		if (op->operands[i] && op->operands[i]->dtype != IR_F32)
			return ir_errf(e, "%s: unsupported dtype %s", opname(op),
			               ir_dtype_name(op->operands[i]->dtype));
	for (int i = 0; i < op->nresults; i++)
		if (op->results[i]->dtype != IR_F32)
			return ir_errf(e, "%s: unsupported dtype %s", opname(op),
			               ir_dtype_name(op->results[i]->dtype));
	return 0;
}

/* Every operand and the result share one dtype among f32, i32, i64. */
static int
need_arith(const ir_op *op, ir_err *e)
{
	ir_dtype t = op->results[0]->dtype;
	if (t != IR_F32 && t != IR_I32 && t != IR_I64)
		return ir_errf(e, "%s: unsupported dtype %s", opname(op), ir_dtype_name(t));
	for (int i = 0; i < op->noperands; i++)
		if (op->operands[i]->dtype != t)
			return ir_errf(e, "%s: operand %d has dtype %s, the result %s", opname(op), i,
			               ir_dtype_name(op->operands[i]->dtype), ir_dtype_name(t));
	return 0;
}

/* Data movement: the result has operand 0's dtype, whatever it is. */
static int
need_same_dtype(const ir_op *op, ir_err *e)
{
	ir_dtype t = op->operands[0]->dtype;
	if ((unsigned)t >= IR_NDTYPES)
		return ir_errf(e, "%s: invalid dtype", opname(op));
	for (int i = 0; i < op->nresults; i++)
		if (op->results[i]->dtype != t)
			return ir_errf(e, "%s: result dtype %s differs from operand dtype %s", opname(op),
			               ir_dtype_name(op->results[i]->dtype), ir_dtype_name(t));
	return 0;
}

/* ---- strided copies and broadcasting ----------------------------------------- */

/*
 * The elementwise and data-movement kernels walk their result in row-major
 * order one "row" (the innermost axis) at a time.  An operand is described
 * by its element strides along the result's axes: 0 along an axis it is
 * broadcast over, negative for a slice running backwards.  row_offset()
 * gives the operand offset at the start of a row.
 */
static int64_t
row_offset(int rank, const int64_t *dims, const int64_t *st, int64_t row)
{
	int64_t off = 0;
	for (int i = rank - 2; i >= 0; i--) {
		off += (row % dims[i]) * st[i];
		row /= dims[i];
	}
	return off;
}

/* Number of rows and their length for a result of rank/dims (rank 0: one
 * row of one element). */
static void
rows_of(int rank, const int64_t *dims, int64_t *nrows, int64_t *len)
{
	*len = rank ? dims[rank - 1] : 1;
	*nrows = rank ? numel(rank - 1, dims) : 1;
}

/* Element strides of v read as if broadcast to rank/dims (numpy rules). */
static void
bcast_strides(const ir_value *v, int rank, const int64_t *dims, int64_t *st)
{
	int64_t s = 1;
	for (int i = rank - 1; i >= 0; i--) {
		int j = i - (rank - v->rank);
		if (j < 0) {
			st[i] = 0;
			continue;
		}
		st[i] = v->dims[j] == 1 ? 0 : s;
		s *= v->dims[j];
	}
}

/* Dense row-major element strides of a shape. */
static void
dense_strides(int rank, const int64_t *dims, int64_t *st)
{
	int64_t s = 1;
	for (int i = rank - 1; i >= 0; i--) {
		st[i] = s;
		s *= dims[i];
	}
}

/*
 * dst (dense, shape rank/dims) = src read with element strides st.  Works
 * on any dtype by element size; memcpy of a constant size compiles to a
 * plain load and store and keeps the code free of type punning.
 */
static void
copy_strided(void *dst, const void *src, size_t esz, int rank, const int64_t *dims,
             const int64_t *st)
{
	int64_t nrows, len;
	rows_of(rank, dims, &nrows, &len);
	int64_t ist = rank ? st[rank - 1] : 0;
	unsigned char *d = dst;
	const unsigned char *s = src;
	for (int64_t r = 0; r < nrows; r++, d += len * esz) {
		const unsigned char *p = s + row_offset(rank, dims, st, r) * (int64_t)esz;
		if (ist == 1) {
			memcpy(d, p, (size_t)len * esz);
			continue;
		}
		switch (esz) {
		case 1: for (int64_t j = 0; j < len; j++) memcpy(d + j, p + j * ist, 1); break;
		case 2: for (int64_t j = 0; j < len; j++) memcpy(d + 2 * j, p + 2 * j * ist, 2); break;
		case 4: for (int64_t j = 0; j < len; j++) memcpy(d + 4 * j, p + 4 * j * ist, 4); break;
		case 8: for (int64_t j = 0; j < len; j++) memcpy(d + 8 * j, p + 8 * j * ist, 8); break;
		default:
			for (int64_t j = 0; j < len; j++)
				memcpy(d + esz * j, p + (int64_t)esz * j * ist, esz);
		}
	}
}

/* ---- elementwise ------------------------------------------------------------ */

/* f32 max/min that propagate NaN from either side (numpy maximum/minimum). */
static inline float
fmax_nan(float a, float b)
{
	return (a != a || a > b) ? a : b;
}

static inline float
fmin_nan(float a, float b)
{
	return (a != a || a < b) ? a : b;
}

/*
 * One row of a binary op: o[j] = a[j*sa] OP b[j*sb].  Integer add, sub and
 * mul wrap (computed unsigned); division truncates toward zero as C does,
 * INT_MIN / -1 wraps to INT_MIN, and division by zero is an error.
 */
#define BINARY_ROW_INT(NAME, T, UT, TMIN)                                              \
	static int NAME(ir_opkind k, T *o, const T *a, int64_t sa, const T *b, int64_t sb, \
	                int64_t n)                                                         \
	{                                                                                  \
		for (int64_t j = 0; j < n; j++) {                                              \
			T x = a[j * sa], y = b[j * sb];                                            \
			switch (k) {                                                               \
			case IR_OP_ADD: case IR_OP_SUM: o[j] = (T)((UT)x + (UT)y); break;          \
			case IR_OP_SUB: o[j] = (T)((UT)x - (UT)y); break;                          \
			case IR_OP_MUL: o[j] = (T)((UT)x * (UT)y); break;                          \
			case IR_OP_DIV:                                                            \
				if (y == 0)                                                            \
					return -1;                                                         \
				o[j] = (x == TMIN && y == -1) ? x : x / y;                             \
				break;                                                                 \
			case IR_OP_MAX: o[j] = x > y ? x : y; break;                               \
			case IR_OP_MIN: o[j] = x < y ? x : y; break;                               \
			default: break;                                                            \
			}                                                                          \
		}                                                                              \
		return 0;                                                                      \
	}
BINARY_ROW_INT(binary_row_i32, int32_t, uint32_t, INT32_MIN)
BINARY_ROW_INT(binary_row_i64, int64_t, uint64_t, INT64_MIN)
#undef BINARY_ROW_INT

static void
binary_row_f32(ir_opkind k, float *o, const float *a, int64_t sa, const float *b,
               int64_t sb, int64_t n)
{
	switch (k) {
	case IR_OP_ADD: case IR_OP_SUM:
		for (int64_t j = 0; j < n; j++) o[j] = a[j * sa] + b[j * sb];
		break;
	case IR_OP_SUB:
		for (int64_t j = 0; j < n; j++) o[j] = a[j * sa] - b[j * sb];
		break;
	case IR_OP_MUL:
		for (int64_t j = 0; j < n; j++) o[j] = a[j * sa] * b[j * sb];
		break;
	case IR_OP_DIV:
		for (int64_t j = 0; j < n; j++) o[j] = a[j * sa] / b[j * sb];
		break;
	case IR_OP_MAX:
		for (int64_t j = 0; j < n; j++) o[j] = fmax_nan(a[j * sa], b[j * sb]);
		break;
	case IR_OP_MIN:
		for (int64_t j = 0; j < n; j++) o[j] = fmin_nan(a[j * sa], b[j * sb]);
		break;
	default:
		break;
	}
}

/*
 * out = a OP b with a read through strides sa and b through sb (both along
 * the result's axes, see bcast_strides).  out may be a itself (sa dense):
 * each element is read before it is written.
 */
static int
binary(const ir_op *op, ir_dtype t, void *out, const void *a, const int64_t *sa,
       const void *b, const int64_t *sb, int rank, const int64_t *dims, ir_err *e)
{
	int64_t nrows, len;
	rows_of(rank, dims, &nrows, &len);
	int64_t ia = rank ? sa[rank - 1] : 0, ib = rank ? sb[rank - 1] : 0;
	size_t esz = ir_dtype_size(t);
	for (int64_t r = 0; r < nrows; r++) {
		int64_t oa = row_offset(rank, dims, sa, r), ob = row_offset(rank, dims, sb, r);
		char *o = (char *)out + (size_t)(r * len) * esz;
		int rc = 0;
		switch (t) {
		case IR_F32:
			binary_row_f32(op->kind, (float *)o, (const float *)a + oa, ia,
			               (const float *)b + ob, ib, len);
			break;
		case IR_I32:
			rc = binary_row_i32(op->kind, (int32_t *)o, (const int32_t *)a + oa, ia,
			                    (const int32_t *)b + ob, ib, len);
			break;
		case IR_I64:
			rc = binary_row_i64(op->kind, (int64_t *)o, (const int64_t *)a + oa, ia,
			                    (const int64_t *)b + ob, ib, len);
			break;
		default:
			return ir_errf(e, "%s: unsupported dtype %s", opname(op), ir_dtype_name(t));
		}
		if (rc)
			return ir_errf(e, "%s: integer division by zero", opname(op));
	}
	return 0;
}

/* add sub mul div (two operands) and sum max min (one or more), broadcast. */
static int
run_elementwise(const ir_op *op, const void *const *in, void *out, ir_err *e)
{
	const ir_value *y = op->results[0];
	int64_t sy[IR_MAX_DIMS], sa[IR_MAX_DIMS], sb[IR_MAX_DIMS];
	if (need_arith(op, e))
		return -1;
	if (op->noperands == 1 || op->kind == IR_OP_SUM || op->kind == IR_OP_MAX ||
	    op->kind == IR_OP_MIN) {
		/* n-ary: out = operand 0 broadcast, then out = out OP operand i */
		bcast_strides(op->operands[0], y->rank, y->dims, sa);
		copy_strided(out, in[0], ir_dtype_size(y->dtype), y->rank, y->dims, sa);
		dense_strides(y->rank, y->dims, sy);
		for (int i = 1; i < op->noperands; i++) {
			bcast_strides(op->operands[i], y->rank, y->dims, sb);
			if (binary(op, y->dtype, out, out, sy, in[i], sb, y->rank, y->dims, e))
				return -1;
		}
		return 0;
	}
	bcast_strides(op->operands[0], y->rank, y->dims, sa);
	bcast_strides(op->operands[1], y->rank, y->dims, sb);
	return binary(op, y->dtype, out, in[0], sa, in[1], sb, y->rank, y->dims, e);
}

static float
sigmoid(float x)
{
	/* no overflow of exp for large |x| */
	if (x >= 0)
		return 1.0f / (1.0f + expf(-x));
	float z = expf(x);
	return z / (1.0f + z);
}

/* relu leakyrelu clip sigmoid tanh exp log sqrt abs neg identity dropout */
static int
run_unary(const ir_op *op, const void *in, void *out, ir_err *e)
{
	const ir_value *x = op->operands[0];
	int64_t n = ir_value_numel(x);

	if (op->kind == IR_OP_IDENTITY || op->kind == IR_OP_DROPOUT) {
		if (need_same_dtype(op, e))
			return -1;
		memcpy(out, in, ir_value_nbytes(x));
		return 0;
	}
	if ((op->kind == IR_OP_ABS || op->kind == IR_OP_NEG) && x->dtype != IR_F32) {
		if (need_arith(op, e))
			return -1;
		if (x->dtype == IR_I32) {
			const int32_t *a = in;
			int32_t *o = out;
			for (int64_t i = 0; i < n; i++) {
				/* wraps: abs and neg of INT32_MIN give INT32_MIN */
				uint32_t u = (uint32_t)a[i], m = 0u - u;
				o[i] = (int32_t)(op->kind == IR_OP_NEG || a[i] < 0 ? m : u);
			}
		} else {
			const int64_t *a = in;
			int64_t *o = out;
			for (int64_t i = 0; i < n; i++) {
				uint64_t u = (uint64_t)a[i], m = 0u - u;
				o[i] = (int64_t)(op->kind == IR_OP_NEG || a[i] < 0 ? m : u);
			}
		}
		return 0;
	}
	if (need_f32(op, e))
		return -1;
	const float *a = in;
	float *o = out;
	float alpha = 0, lo = 0, hi = 0;
	if (op->kind == IR_OP_LEAKYRELU && attr_float(op, "alpha", &alpha, e))
		return -1;
	if (op->kind == IR_OP_CLIP && (attr_float(op, "min", &lo, e) || attr_float(op, "max", &hi, e)))
		return -1;

	switch (op->kind) {
	case IR_OP_RELU:
		/* NaN stays NaN, as numpy's maximum(x, 0) */
		for (int64_t i = 0; i < n; i++) o[i] = a[i] < 0 ? 0.0f : a[i];
		break;
	case IR_OP_LEAKYRELU:
		for (int64_t i = 0; i < n; i++) o[i] = a[i] < 0 ? alpha * a[i] : a[i];
		break;
	case IR_OP_CLIP:
		/* min(max(x, lo), hi): NaN stays NaN; lo > hi gives hi, as numpy */
		for (int64_t i = 0; i < n; i++) {
			float v = a[i] < lo ? lo : a[i];
			o[i] = v > hi ? hi : v;
		}
		break;
	case IR_OP_SIGMOID:
		for (int64_t i = 0; i < n; i++) o[i] = sigmoid(a[i]);
		break;
	case IR_OP_TANH:
		for (int64_t i = 0; i < n; i++) o[i] = tanhf(a[i]);
		break;
	case IR_OP_EXP:
		for (int64_t i = 0; i < n; i++) o[i] = expf(a[i]);
		break;
	case IR_OP_LOG:
		for (int64_t i = 0; i < n; i++) o[i] = logf(a[i]);
		break;
	case IR_OP_SQRT:
		for (int64_t i = 0; i < n; i++) o[i] = sqrtf(a[i]);
		break;
	case IR_OP_ABS:
		for (int64_t i = 0; i < n; i++) o[i] = fabsf(a[i]);
		break;
	case IR_OP_NEG:
		for (int64_t i = 0; i < n; i++) o[i] = -a[i];
		break;
	default:
		return ir_errf(e, "%s: not a unary op", opname(op));
	}
	return 0;
}

/* softmax over one axis, stable: exp(x - max) / sum. */
static int
run_softmax(const ir_op *op, const float *x, float *y, ir_err *e)
{
	const ir_value *v = op->operands[0];
	int64_t axis;
	if (need_f32(op, e) || attr_int(op, "axis", &axis, e))
		return -1;
	if (axis < 0 || axis >= v->rank)
		return ir_errf(e, "softmax: axis %lld out of range", (ll)axis);
	int64_t outer = numel((int)axis, v->dims), n = v->dims[axis];
	int64_t inner = numel(v->rank - (int)axis - 1, v->dims + axis + 1);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < inner; i++) {
			const float *xp = x + o * n * inner + i;
			float *yp = y + o * n * inner + i;
			float m = -INFINITY;
			for (int64_t j = 0; j < n; j++)
				m = fmax_nan(m, xp[j * inner]);
			double sum = 0;
			for (int64_t j = 0; j < n; j++) {
				float z = expf(xp[j * inner] - m);
				yp[j * inner] = z;
				sum += z;
			}
			for (int64_t j = 0; j < n; j++)
				yp[j * inner] = (float)(yp[j * inner] / sum);
		}
	return 0;
}

/* (x - mean) / sqrt(var + eps) * scale + bias, per channel (axis 1). */
static int
run_batchnorm(const ir_op *op, const void *const *in, float *y, ir_err *e)
{
	const ir_value *v = op->operands[0];
	const float *x = in[0], *scale = in[1], *bias = in[2], *mean = in[3], *var = in[4];
	float eps;
	if (need_f32(op, e) || attr_float(op, "epsilon", &eps, e))
		return -1;
	int64_t N = v->dims[0], C = v->dims[1], S = numel(v->rank - 2, v->dims + 2);
	for (int64_t n = 0; n < N; n++)
		for (int64_t c = 0; c < C; c++) {
			float k = scale[c] / sqrtf(var[c] + eps), m = mean[c], b = bias[c];
			const float *xp = x + (n * C + c) * S;
			float *yp = y + (n * C + c) * S;
			for (int64_t i = 0; i < S; i++)
				yp[i] = (xp[i] - m) * k + b;
		}
	return 0;
}

/* ---- convolution and pooling ------------------------------------------------- */

/*
 * The output positions o in [0, n) whose input position o*stride + off lies
 * in [0, size): the half-open range [*lo, *hi), empty when *lo == *hi.
 */
static void
valid_range(int64_t n, int64_t stride, int64_t off, int64_t size, int64_t *lo, int64_t *hi)
{
	int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
	int64_t h = size - 1 - off >= 0 ? (size - 1 - off) / stride + 1 : 0;
	if (h > n)
		h = n;
	if (l > h)
		l = h;
	*lo = l;
	*hi = h;
}

/* Reads the conv/pool window attributes; pool ops have no dilations
 * (avgpool) or list them. */
static int
window_attrs(const ir_op *op, const int64_t **strides, const int64_t **pads,
             const int64_t **dil, ir_err *e)
{
	static const int64_t one[2] = {1, 1};
	if (attr_ints(op, "strides", 2, strides, e) || attr_ints(op, "pads", 4, pads, e))
		return -1;
	*dil = one;
	if (op->kind != IR_OP_AVGPOOL && attr_ints(op, "dilations", 2, dil, e))
		return -1;
	for (int i = 0; i < 2; i++)
		if ((*strides)[i] < 1 || (*dil)[i] < 1)
			return ir_errf(e, "%s: strides and dilations must be positive", opname(op));
	return 0;
}

/*
 * GCC at -O2 vectorizes a loop only when the vector width divides its trip
 * count (the "very cheap" cost model), which leaves the inner loops of conv,
 * gemm and matmul scalar.  VECTORIZE lets it vectorize them with a scalar
 * tail.  That changes no result: the loops it applies to are elementwise
 * (y[j] += a * x[j]), which vectorize without reassociating anything.
 * Clang vectorizes them at -O2 already.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define VECTORIZE __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define VECTORIZE
#endif

/*
 * y[i] += a * x[i * s] for i < n: the innermost loop of conv, gemm and
 * matmul.  Instrumented per element, as the sanitizers do it, such a loop
 * stays scalar (GCC adds ASan's checks before it vectorizes; UBSan's checks
 * on every index step block it too), which made the sanitizer build's
 * interpreter 5-10x slower than the regular one and its zoo tests too slow
 * to run (docs/security.md).  So the loop itself is uninstrumented and its
 * accesses are checked in two steps instead: each call's ranges must lie
 * inside the whole operand tensors (a span: a few compares per call), and
 * each span is checked addressable once, as a region, when it is made.
 * Together that is what per-access ASan would check.  Both steps are for
 * the ASan build only; the regular build keeps the bare loop.
 */
#if defined(__SANITIZE_ADDRESS__) /* GCC */
#define RESC_ASAN 1
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define RESC_ASAN 1
#endif
#endif
#if defined(RESC_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define UNINSTRUMENTED __attribute__((no_sanitize("address", "undefined")))
#elif defined(__GNUC__)
#define UNINSTRUMENTED __attribute__((always_inline)) /* rows are short: no call */
#else
#define UNINSTRUMENTED
#endif

typedef struct {
	uintptr_t lo, hi; /* the bytes [lo, hi) */
} span;

static span
span_of(const float *p, int64_t n)
{
	span r = {(uintptr_t)p, (uintptr_t)(p + n)};
#if defined(RESC_ASAN)
	void *bad = n > 0 ? __asan_region_is_poisoned((void *)p, (size_t)n * sizeof *p) : NULL;
	if (bad) {
		fprintf(stderr, "resc: internal error: interpreter operand of %lld floats at %p is not addressable\n",
		        (long long)n, (const void *)p);
		__asan_describe_address(bad);
		__sanitizer_print_stack_trace();
		abort();
	}
#endif
	return r;
}

static inline VECTORIZE UNINSTRUMENTED void
axpy_loop(float *restrict y, const float *restrict x, int64_t s, float a, int64_t n)
{
	if (s == 1)
		for (int64_t i = 0; i < n; i++)
			y[i] += a * x[i];
	else
		for (int64_t i = 0; i < n; i++)
			y[i] += a * x[i * s];
}

static inline VECTORIZE void
axpy_strided(span ys, float *y, span xs, const float *x, int64_t s, float a, int64_t n)
{
	if (n <= 0)
		return;
#if defined(RESC_ASAN)
	uintptr_t yb = (uintptr_t)y, xb = (uintptr_t)x;
	if (yb < ys.lo || yb > ys.hi || (ys.hi - yb) / sizeof *y < (uint64_t)n || xb < xs.lo ||
	    xb > xs.hi || (xs.hi - xb) / sizeof *x < (uint64_t)((n - 1) * s + 1))
		ir_die("interpreter: a row of %lld floats lies outside its operand", (long long)n);
#else
	(void)ys, (void)xs;
#endif
	axpy_loop(y, x, s, a, n);
}

static inline VECTORIZE void
axpy(span ys, float *y, span xs, const float *x, float a, int64_t n)
{
	axpy_strided(ys, y, xs, x, 1, a, n);
}

/* y = x*s + t over N x C planes of S elements; s and t (NULL: 0) per
 * channel, or per (n, c) when s_nc / t_nc. */
static void
affine_planes(const float *x, const float *s, bool s_nc, const float *t, bool t_nc, float *y,
              int64_t N, int64_t C, int64_t S)
{
	for (int64_t n = 0; n < N; n++)
		for (int64_t c = 0; c < C; c++) {
			int64_t p = n * C + c;
			float k = s[s_nc ? p : c];
			float b = t ? t[t_nc ? p : c] : 0.0f;
			for (int64_t i = 0; i < S; i++)
				y[p * S + i] = x[p * S + i] * k + b;
		}
}

/*
 * 2-D cross-correlation.  For each output plane: zero it, then for every
 * input channel and kernel tap add weight * (the shifted input) to the
 * plane, then add the bias.  The output rows and columns that read inside
 * the input depend only on the kernel row and column, so they are computed
 * once per conv; the inner loop over a row then has no bounds test and is
 * contiguous when the stride is 1.
 */
static VECTORIZE int
run_conv(const ir_op *op, const void *const *in, void *const *out, ir_err *e)
{
	float *y = out[0];
	const ir_value *xv = op->operands[0], *wv = op->operands[1], *yv = op->results[0];
	const bool rows = ir_op_int(op, "row_sums", 0) != 0;
	if (op->nresults != (rows || (op->noperands > 4 && op->operands[4]) ? 2 : 1))
		return ir_errf(e, "conv: %d results do not match its operands (a second result needs a post scale or row_sums)", op->nresults);
	const float *x = in[0], *w = in[1], *bias = op->noperands > 2 ? in[2] : NULL;
	const int64_t *strides, *pads, *dil;
	int64_t group;
	if (need_f32(op, e) || window_attrs(op, &strides, &pads, &dil, e) ||
	    attr_int(op, "group", &group, e))
		return -1;
	int64_t N = xv->dims[0], C = xv->dims[1], H = xv->dims[2], W = xv->dims[3];
	int64_t M = wv->dims[0], CG = wv->dims[1], KH = wv->dims[2], KW = wv->dims[3];
	int64_t OH = yv->dims[2], OW = yv->dims[3];
	int64_t sh = strides[0], sw = strides[1];
	if (group < 1 || C != CG * group || M % group)
		return ir_errf(e, "conv: group %lld does not fit the channels", (ll)group);
	int64_t MG = M / group;

	/* kernel row kh reads input row oh*sh + offh[kh], valid for oh in [oh0, oh1) */
	int64_t *tab = xmalloc((size_t)(3 * (KH + KW) + 1) * sizeof *tab);
	if (!tab)
		return ir_errf(e, "out of memory");
	int64_t *offh = tab, *oh0 = offh + KH, *oh1 = oh0 + KH;
	int64_t *offw = oh1 + KH, *ow0 = offw + KW, *ow1 = ow0 + KW;
	for (int64_t kh = 0; kh < KH; kh++) {
		offh[kh] = kh * dil[0] - pads[0];
		valid_range(OH, sh, offh[kh], H, &oh0[kh], &oh1[kh]);
	}
	for (int64_t kw = 0; kw < KW; kw++) {
		offw[kw] = kw * dil[1] - pads[1];
		valid_range(OW, sw, offw[kw], W, &ow0[kw], &ow1[kw]);
	}

	span ys = span_of(y, N * M * OH * OW), xs = span_of(x, N * C * H * W);
	for (int64_t n = 0; n < N; n++)
	for (int64_t g = 0; g < group; g++)
	for (int64_t m = g * MG; m < (g + 1) * MG; m++) {
		float *restrict yp = y + (n * M + m) * OH * OW;
		for (int64_t i = 0; i < OH * OW; i++)
			yp[i] = 0;
		for (int64_t c = 0; c < CG; c++) {
			const float *xp = x + (n * C + g * CG + c) * H * W;
			const float *wp = w + (m * CG + c) * KH * KW;
			for (int64_t kh = 0; kh < KH; kh++)
			for (int64_t kw = 0; kw < KW; kw++) {
				float wt = wp[kh * KW + kw];
				int64_t r0 = oh0[kh], r1 = oh1[kh], c0 = ow0[kw], c1 = ow1[kw];
				if (r0 == r1 || c0 == c1)
					continue; /* the tap only ever reads padding */
				if (sh == 1 && sw == 1 && offw[kw] == 0 && c0 == 0 && c1 == OW && OW == W) {
					/* whole rows line up: one contiguous run */
					axpy(ys, yp + r0 * OW, xs, xp + (r0 + offh[kh]) * W, wt, (r1 - r0) * OW);
					continue;
				}
				for (int64_t oh = r0; oh < r1; oh++) {
					const float *xr = xp + (oh * sh + offh[kh]) * W + offw[kw];
					float *yr = yp + oh * OW;
					if (sw == 1)
						axpy(ys, yr + c0, xs, xr + c0, wt, c1 - c0);
					else
						axpy_strided(ys, yr + c0, xs, xr + c0 * sw, sw, wt, c1 - c0);
				}
			}
		}
		if (bias)
			for (int64_t i = 0; i < OH * OW; i++)
				yp[i] += bias[m];
	}
	free(tab);
	if (apply_epilogue(op, y, op->noperands > 3 ? in[3] : NULL, ir_value_numel(yv), e))
		return -1;
	if (op->nresults < 2)
		return 0;
	if (rows) {
		/* row sums of the result (passes/fuse_se_mean.c), in double */
		float *z = out[1];
		for (int64_t p = 0; p < N * M * OH; p++) {
			double a = 0;
			for (int64_t ox = 0; ox < OW; ox++)
				a += y[p * OW + ox];
			z[p] = (float)a;
		}
		return 0;
	}
	/* the second result of a pre-activation conv: post_act(y*s + t) per
	 * channel, as scale_shift computes it */
	const float *pt = op->noperands > 5 && op->operands[5] ? in[5] : NULL;
	affine_planes(y, in[4], false, pt, false, out[1], N, M, OH * OW);
	return apply_act(op, "post_act", out[1], NULL, ir_value_numel(yv), e);
}

/*
 * maxpool: the maximum over the window positions inside the input (padding
 * never wins; NaN propagates).  avgpool, as PyTorch: the window is first
 * clipped to the padded input [-pad_begin, size + pad_end), which gives the
 * count_include_pad divisor, then to the input, which gives the other one.
 * So with ceil_mode the part of the last window past the end padding is never
 * counted.  The output size is the result type's.
 */
static int
run_pool(const ir_op *op, const float *x, float *y, ir_err *e)
{
	const ir_value *xv = op->operands[0], *yv = op->results[0];
	const int64_t *kernel, *strides, *pads, *dil;
	int64_t cip = 0;
	bool maxp = op->kind == IR_OP_MAXPOOL;
	if (need_f32(op, e) || attr_ints(op, "kernel", 2, &kernel, e) ||
	    window_attrs(op, &strides, &pads, &dil, e) ||
	    (!maxp && attr_int(op, "count_include_pad", &cip, e)))
		return -1;
	int64_t NC = xv->dims[0] * xv->dims[1], H = xv->dims[2], W = xv->dims[3];
	int64_t OH = yv->dims[2], OW = yv->dims[3];
	int64_t KH = kernel[0], KW = kernel[1], sh = strides[0], sw = strides[1];

	for (int64_t p = 0; p < NC; p++) {
		const float *xp = x + p * H * W;
		float *yp = y + p * OH * OW;
		for (int64_t oh = 0; oh < OH; oh++)
			for (int64_t ow = 0; ow < OW; ow++) {
				int64_t h0 = oh * sh - pads[0], w0 = ow * sw - pads[1];
				if (maxp) {
					float m = -INFINITY;
					for (int64_t kh = 0; kh < KH; kh++) {
						int64_t ih = h0 + kh * dil[0];
						if (ih < 0 || ih >= H)
							continue;
						for (int64_t kw = 0; kw < KW; kw++) {
							int64_t iw = w0 + kw * dil[1];
							if (iw >= 0 && iw < W)
								m = fmax_nan(xp[ih * W + iw], m);
						}
					}
					yp[oh * OW + ow] = m;
					continue;
				}
				int64_t h1 = h0 + KH, w1 = w0 + KW;
				if (h1 > H + pads[2]) h1 = H + pads[2];
				if (w1 > W + pads[3]) w1 = W + pads[3];
				int64_t padded = (h1 - h0) * (w1 - w0);
				if (h0 < 0) h0 = 0;
				if (w0 < 0) w0 = 0;
				if (h1 > H) h1 = H;
				if (w1 > W) w1 = W;
				double sum = 0;
				for (int64_t ih = h0; ih < h1; ih++)
					for (int64_t iw = w0; iw < w1; iw++)
						sum += xp[ih * W + iw];
				int64_t cnt = cip ? padded : (h1 - h0) * (w1 - w0);
				yp[oh * OW + ow] = cnt > 0 ? (float)(sum / (double)cnt) : 0.0f;
			}
	}
	return 0;
}

static int
run_globalavgpool(const ir_op *op, const float *x, float *y, ir_err *e)
{
	const ir_value *v = op->operands[0];
	if (need_f32(op, e))
		return -1;
	int64_t NC = v->dims[0] * v->dims[1], S = numel(v->rank - 2, v->dims + 2);
	for (int64_t p = 0; p < NC; p++) {
		double sum = 0;
		for (int64_t i = 0; i < S; i++)
			sum += x[p * S + i];
		y[p] = (float)(sum / (double)S);
	}
	return 0;
}

/* scale_shift: y = act(x*s + t + r), s and t per channel or per (n, c). */
static int
run_scale_shift(const ir_op *op, const void *const *in, float *y, ir_err *e)
{
	const ir_value *xv = op->operands[0], *sv = op->operands[1];
	const ir_value *tv = op->noperands > 2 ? op->operands[2] : NULL;
	const float *x = in[0], *s = in[1], *t = tv ? in[2] : NULL;
	const float *r = op->noperands > 3 && op->operands[3] ? in[3] : NULL;
	if (need_f32(op, e))
		return -1;
	int64_t N = xv->dims[0], C = xv->dims[1], S = numel(xv->rank - 2, xv->dims + 2);
	affine_planes(x, s, sv->rank == 2, t, tv && tv->rank == 2, y, N, C, S);
	return apply_epilogue(op, y, r, ir_value_numel(xv), e);
}

/* fc: y[n,m] = act(b[m] + sum_c w[m,c] * mean_hw(x[n,c])); means as
 * globalavgpool computes them (in double), dot products in double. */
static int
run_fc(const ir_op *op, const void *const *in, float *y, ir_err *e)
{
	const ir_value *xv = op->operands[0], *wv = op->operands[1];
	const float *x = in[0], *w = in[1], *b = op->noperands > 2 && op->operands[2] ? in[2] : NULL;
	if (need_f32(op, e))
		return -1;
	int64_t N = xv->dims[0], C = xv->dims[1], S = numel(xv->rank - 2, xv->dims + 2), M = wv->dims[0];
	float *mean = xmalloc((size_t)(C ? C : 1) * sizeof *mean);
	if (!mean)
		return ir_errf(e, "out of memory");
	for (int64_t n = 0; n < N; n++) {
		for (int64_t c = 0; c < C; c++) {
			double sum = 0;
			for (int64_t i = 0; i < S; i++)
				sum += x[(n * C + c) * S + i];
			mean[c] = (float)(sum / (double)S);
		}
		for (int64_t m = 0; m < M; m++) {
			double a = b ? b[m] : 0.0;
			for (int64_t c = 0; c < C; c++)
				a += (double)w[m * C + c] * mean[c];
			y[n * M + m] = (float)a;
		}
	}
	free(mean);
	return apply_epilogue(op, y, NULL, N * M, e);
}

/* sigmoid_mul: y = (offset + sigmoid(m)) * t */
static int
run_sigmoid_mul(const ir_op *op, const void *const *in, float *y, ir_err *e)
{
	const float *m = in[0], *t = in[1];
	float off;
	if (need_f32(op, e) || attr_float(op, "offset", &off, e))
		return -1;
	for (int64_t i = 0, n = ir_value_numel(op->results[0]); i < n; i++)
		y[i] = (off + sigmoid(m[i])) * t[i];
	return 0;
}

/*
 * se_gate {radix = K, groups = G}: h = relu(w1 m' + b1) with m' the sum of
 * m's K radix groups; z = w2 h + b2, whose channel (g, r, c') (G groups of
 * K radix entries of C/G) gives gate channel r*C + g*C/G + c'; K = 1:
 * sigmoid(z), else a softmax over r.  Dot products in double.
 */
static int
run_se_gate(const ir_op *op, const void *const *in, float *y, ir_err *e)
{
	const float *m = in[0], *w1 = in[1], *b1 = in[2], *w2 = in[3], *b2 = in[4];
	if (need_f32(op, e))
		return -1;
	int64_t K = ir_op_int(op, "radix", 1), G = ir_op_int(op, "groups", 1);
	int64_t N = op->operands[0]->dims[0], KC = op->operands[0]->dims[1], C = KC / K, Cg = C / G;
	int64_t R = op->operands[1]->dims[0];
	const ir_value *mv = op->operands[0];
	const int64_t rows = mv->rank == 3 ? mv->dims[2] : 0, P = ir_op_int(op, "pixels", 1);
	float *h = xmalloc((size_t)(R + C + K + (rows ? KC : 0)) * sizeof *h), *ms = h + R, *z = ms + C;
	if (!h)
		return ir_errf(e, "out of memory");
	for (int64_t n = 0; n < N; n++) {
		const float *mn = m + n * KC;
		if (rows) {
			/* row sums (a conv's row_sums result): their sum over the
			 * rows, in double, divided by the pixels is the mean */
			float *mean = z + K;
			for (int64_t c = 0; c < KC; c++) {
				double a = 0;
				for (int64_t r = 0; r < rows; r++)
					a += m[(n * KC + c) * rows + r];
				mean[c] = (float)(a / (double)P);
			}
			mn = mean;
		}
		for (int64_t c = 0; c < C; c++) {
			float a = mn[c];
			for (int64_t r = 1; r < K; r++)
				a += mn[r * C + c];
			ms[c] = a;
		}
		for (int64_t j = 0; j < R; j++) {
			double a = b1[j];
			for (int64_t c = 0; c < C; c++)
				a += (double)w1[j * C + c] * ms[c];
			h[j] = a < 0 ? 0.0f : (float)a;
		}
		for (int64_t c = 0; c < C; c++) {
			int64_t g = c / Cg, cc = c % Cg;
			float mx = -INFINITY;
			for (int64_t r = 0; r < K; r++) {
				int64_t row = (g * K + r) * Cg + cc;
				double a = b2[row];
				for (int64_t j = 0; j < R; j++)
					a += (double)w2[row * R + j] * h[j];
				z[r] = (float)a;
				mx = z[r] > mx ? z[r] : mx;
			}
			if (K == 1) {
				y[n * KC + c] = sigmoid(z[0]);
				continue;
			}
			double sum = 0;
			for (int64_t r = 0; r < K; r++)
				sum += exp((double)z[r] - mx);
			for (int64_t r = 0; r < K; r++)
				y[n * KC + r * C + c] = (float)(exp((double)z[r] - mx) / sum);
		}
	}
	free(h);
	return 0;
}

/* radix_combine: y[n,c] = sum over r of g[n,r*C+c] * x[n,r*C+c] */
static int
run_radix_combine(const ir_op *op, const void *const *in, float *y, ir_err *e)
{
	const ir_value *xv = op->operands[0];
	const float *x = in[0], *g = in[1];
	if (need_f32(op, e))
		return -1;
	int64_t K = ir_op_int(op, "radix", 1);
	int64_t N = xv->dims[0], KC = xv->dims[1], C = KC / K, S = numel(xv->rank - 2, xv->dims + 2);
	for (int64_t n = 0; n < N; n++)
		for (int64_t c = 0; c < C; c++) {
			float *yp = y + (n * C + c) * S;
			for (int64_t i = 0; i < S; i++) {
				float a = g[n * KC + c] * x[(n * KC + c) * S + i];
				for (int64_t r = 1; r < K; r++)
					a += g[n * KC + r * C + c] * x[(n * KC + r * C + c) * S + i];
				yp[i] = a;
			}
		}
	return 0;
}

/* reducesum / reducemean over the listed axes, accumulated in double. */
static int
run_reduce(const ir_op *op, const float *x, float *y, ir_err *e)
{
	const ir_value *v = op->operands[0];
	int naxes;
	const int64_t *axes = ir_op_ints(op, "axes", &naxes);
	if (need_f32(op, e))
		return -1;
	if (!axes || naxes < 1)
		return ir_errf(e, "%s: attribute 'axes' must be a non-empty list of ints", opname(op));
	bool red[IR_MAX_DIMS] = {0};
	for (int i = 0; i < naxes; i++) {
		if (axes[i] < 0 || axes[i] >= v->rank)
			return ir_errf(e, "%s: axis %lld out of range", opname(op), (ll)axes[i]);
		red[axes[i]] = true;
	}
	/* element strides into the result along the input's axes, 0 on reduced ones */
	int64_t st[IR_MAX_DIMS], s = 1, count = 1;
	for (int i = v->rank - 1; i >= 0; i--) {
		st[i] = red[i] ? 0 : s;
		if (red[i])
			count *= v->dims[i];
		else
			s *= v->dims[i];
	}
	int64_t nout = s;
	double *acc = xcalloc((size_t)(nout ? nout : 1), sizeof *acc);
	if (!acc)
		return ir_errf(e, "out of memory");
	int64_t nrows, len;
	rows_of(v->rank, v->dims, &nrows, &len);
	int64_t ist = v->rank ? st[v->rank - 1] : 0;
	for (int64_t r = 0; r < nrows; r++) {
		double *ap = acc + row_offset(v->rank, v->dims, st, r);
		const float *xp = x + r * len;
		for (int64_t j = 0; j < len; j++)
			ap[j * ist] += xp[j];
	}
	bool mean = op->kind == IR_OP_REDUCEMEAN;
	for (int64_t i = 0; i < nout; i++)
		y[i] = (float)(mean ? (count ? acc[i] / (double)count : NAN) : acc[i]);
	free(acc);
	return 0;
}

/* ---- linear algebra ------------------------------------------------------------ */

/*
 * y[M,N] = a[M,K] * b[K,N] for dense row-major matrices, in i-k-j order so
 * that the inner loop runs along rows of b and y.
 */
static VECTORIZE void
matmul2d(float *restrict y, const float *a, const float *b, int64_t M, int64_t K, int64_t N)
{
	span ys = span_of(y, M * N), bs = span_of(b, K * N);
	for (int64_t i = 0; i < M; i++) {
		float *restrict yr = y + i * N;
		for (int64_t j = 0; j < N; j++)
			yr[j] = 0;
		for (int64_t k = 0; k < K; k++)
			axpy(ys, yr, bs, b + k * N, a[i * K + k], N);
	}
}

/*
 * alpha * op(A) * op(B) + beta * C, C broadcast to [M,N] (rank 0, 1 or 2).
 * With B transposed (the usual fully connected layer) each result is a dot
 * product of two contiguous rows; otherwise i-k-j order as in matmul2d.
 */
static VECTORIZE int
run_gemm(const ir_op *op, const void *const *in, float *y, ir_err *e)
{
	const ir_value *av = op->operands[0], *cv = op->noperands > 2 ? op->operands[2] : NULL;
	const float *a = in[0], *b = in[1], *c = cv ? in[2] : NULL;
	int64_t ta, tb;
	float alpha, beta;
	if (need_f32(op, e) || attr_int(op, "transA", &ta, e) || attr_int(op, "transB", &tb, e) ||
	    attr_float(op, "alpha", &alpha, e) || attr_float(op, "beta", &beta, e))
		return -1;
	int64_t M = op->results[0]->dims[0], N = op->results[0]->dims[1];
	int64_t K = av->dims[ta ? 0 : 1];
	/* A(i,k) and B(k,j) as element offsets */
	int64_t ai = ta ? 1 : K, ak = ta ? M : 1;
	span ys = span_of(y, M * N), bs = span_of(b, K * N);
	for (int64_t i = 0; i < M; i++) {
		float *restrict yr = y + i * N;
		if (tb) {
			for (int64_t j = 0; j < N; j++) {
				const float *br = b + j * K;
				float s = 0;
				for (int64_t k = 0; k < K; k++)
					s += a[i * ai + k * ak] * br[k];
				yr[j] = s;
			}
		} else {
			for (int64_t j = 0; j < N; j++)
				yr[j] = 0;
			for (int64_t k = 0; k < K; k++) {
				axpy(ys, yr, bs, b + k * N, a[i * ai + k * ak], N);
			}
		}
	}
	/* C's strides along M and N: 0 where it is broadcast */
	int64_t cm = 0, cn = 0;
	if (cv && cv->rank == 2) {
		cm = cv->dims[0] == 1 ? 0 : cv->dims[1];
		cn = cv->dims[1] == 1 ? 0 : 1;
	} else if (cv && cv->rank == 1) {
		cn = cv->dims[0] == 1 ? 0 : 1;
	}
	for (int64_t i = 0; i < M; i++)
		for (int64_t j = 0; j < N; j++) {
			float v = alpha * y[i * N + j];
			if (c)
				v += beta * c[i * cm + j * cn];
			y[i * N + j] = v;
		}
	return apply_epilogue(op, y, NULL, M * N, e);
}

/*
 * numpy matmul: a 1-D a is [1,K] and a 1-D b is [K,1] (the added axis is
 * dropped from the result); batch axes broadcast.
 */
static int
run_matmul(const ir_op *op, const void *const *in, float *y, ir_err *e)
{
	const ir_value *av = op->operands[0], *bv = op->operands[1], *yv = op->results[0];
	if (need_f32(op, e))
		return -1;
	int64_t M = av->rank >= 2 ? av->dims[av->rank - 2] : 1, K = av->dims[av->rank - 1];
	int64_t N = bv->rank >= 2 ? bv->dims[bv->rank - 1] : 1;
	/* batch shape: the result's dims without the trailing matrix axes */
	int brank = yv->rank - (av->rank >= 2) - (bv->rank >= 2);
	if (brank < 0)
		return ir_errf(e, "matmul: result rank %d does not fit the operands", yv->rank);
	const int64_t *bdims = yv->dims;
	/* batch strides in whole matrices; 0 where an operand is broadcast */
	int64_t sa[IR_MAX_DIMS], sb[IR_MAX_DIMS];
	int64_t ma = 1, mb = 1;
	for (int i = brank - 1; i >= 0; i--) {
		int ja = i - (brank - (av->rank - 2)), jb = i - (brank - (bv->rank - 2));
		int64_t da = ja >= 0 ? av->dims[ja] : 1, db = jb >= 0 ? bv->dims[jb] : 1;
		sa[i] = da == 1 ? 0 : ma;
		sb[i] = db == 1 ? 0 : mb;
		ma *= da;
		mb *= db;
	}
	int64_t nbatch = numel(brank, bdims);
	const float *a = in[0], *b = in[1];
	for (int64_t t = 0; t < nbatch; t++) {
		int64_t oa = 0, ob = 0, rem = t;
		for (int i = brank - 1; i >= 0; i--) {
			int64_t idx = rem % bdims[i];
			rem /= bdims[i];
			oa += idx * sa[i];
			ob += idx * sb[i];
		}
		matmul2d(y + t * M * N, a + oa * M * K, b + ob * K * N, M, K, N);
	}
	return 0;
}

/* ---- data movement ---------------------------------------------------------------- */

static int
run_transpose(const ir_op *op, const void *x, void *y, ir_err *e)
{
	const ir_value *xv = op->operands[0], *yv = op->results[0];
	const int64_t *perm;
	int64_t xs[IR_MAX_DIMS], st[IR_MAX_DIMS];
	if (need_same_dtype(op, e) || attr_ints(op, "perm", xv->rank, &perm, e))
		return -1;
	dense_strides(xv->rank, xv->dims, xs);
	for (int i = 0; i < xv->rank; i++) {
		if (perm[i] < 0 || perm[i] >= xv->rank)
			return ir_errf(e, "transpose: perm entry %lld out of range", (ll)perm[i]);
		st[i] = xs[perm[i]];
	}
	copy_strided(y, x, ir_dtype_size(xv->dtype), yv->rank, yv->dims, st);
	return 0;
}

static int
run_expand(const ir_op *op, const void *x, void *y, ir_err *e)
{
	const ir_value *yv = op->results[0];
	int64_t st[IR_MAX_DIMS];
	if (need_same_dtype(op, e))
		return -1;
	bcast_strides(op->operands[0], yv->rank, yv->dims, st);
	copy_strided(y, x, ir_dtype_size(yv->dtype), yv->rank, yv->dims, st);
	return 0;
}

/* Result element i along axis d is input element starts[d] + i*steps[d]. */
static int
run_slice(const ir_op *op, const void *x, void *y, ir_err *e)
{
	const ir_value *xv = op->operands[0], *yv = op->results[0];
	const int64_t *starts, *steps;
	int64_t xs[IR_MAX_DIMS], st[IR_MAX_DIMS], off = 0;
	if (need_same_dtype(op, e) || attr_ints(op, "starts", xv->rank, &starts, e) ||
	    attr_ints(op, "steps", xv->rank, &steps, e))
		return -1;
	if (ir_value_numel(yv) == 0)
		return 0;
	dense_strides(xv->rank, xv->dims, xs);
	for (int d = 0; d < xv->rank; d++) {
		int64_t last = starts[d] + (yv->dims[d] - 1) * steps[d];
		if (starts[d] < 0 || starts[d] >= xv->dims[d] || last < 0 || last >= xv->dims[d])
			return ir_errf(e, "slice: axis %d reads outside the input", d);
		off += starts[d] * xs[d];
		st[d] = steps[d] * xs[d];
	}
	size_t esz = ir_dtype_size(xv->dtype);
	copy_strided(y, (const char *)x + off * (int64_t)esz, esz, yv->rank, yv->dims, st);
	return 0;
}

/* Concatenation and splitting both see their tensors as [outer, n*inner]. */
static int
run_concat(const ir_op *op, const void *const *in, void *y, ir_err *e)
{
	const ir_value *yv = op->results[0];
	int64_t axis;
	if (attr_int(op, "axis", &axis, e))
		return -1;
	if (axis < 0 || axis >= yv->rank)
		return ir_errf(e, "concat: axis %lld out of range", (ll)axis);
	for (int i = 0; i < op->noperands; i++)
		if (op->operands[i]->dtype != yv->dtype)
			return ir_errf(e, "concat: operand dtypes differ");
	size_t esz = ir_dtype_size(yv->dtype);
	int64_t outer = numel((int)axis, yv->dims);
	size_t inner = (size_t)numel(yv->rank - (int)axis - 1, yv->dims + axis + 1) * esz;
	size_t orow = (size_t)yv->dims[axis] * inner, pos = 0;
	for (int i = 0; i < op->noperands; i++) {
		size_t irow = (size_t)op->operands[i]->dims[axis] * inner;
		for (int64_t o = 0; o < outer; o++)
			memcpy((char *)y + (size_t)o * orow + pos, (const char *)in[i] + (size_t)o * irow, irow);
		pos += irow;
	}
	return 0;
}

static int
run_split(const ir_op *op, const void *x, void *const *out, ir_err *e)
{
	const ir_value *xv = op->operands[0];
	int64_t axis;
	if (need_same_dtype(op, e) || attr_int(op, "axis", &axis, e))
		return -1;
	if (axis < 0 || axis >= xv->rank)
		return ir_errf(e, "split: axis %lld out of range", (ll)axis);
	size_t esz = ir_dtype_size(xv->dtype);
	int64_t outer = numel((int)axis, xv->dims);
	size_t inner = (size_t)numel(xv->rank - (int)axis - 1, xv->dims + axis + 1) * esz;
	size_t irow = (size_t)xv->dims[axis] * inner, pos = 0;
	for (int i = 0; i < op->nresults; i++) {
		size_t orow = (size_t)op->results[i]->dims[axis] * inner;
		if (pos + orow > irow)
			return ir_errf(e, "split: results exceed the input");
		for (int64_t o = 0; o < outer; o++)
			memcpy((char *)out[i] + (size_t)o * orow, (const char *)x + (size_t)o * irow + pos, orow);
		pos += orow;
	}
	return 0;
}

/* ---- casts ----------------------------------------------------------------------- */

/* Float to integer: truncate toward zero, saturate to [lo, hi], NaN to 0. */
static int64_t
float_to_int(double d, int64_t lo, int64_t hi)
{
	if (d != d)
		return 0;
	if (d <= (double)lo)
		return lo;
	if (d >= (double)hi)
		return hi;
	return (int64_t)d;
}

/*
 * Element i of src (dtype st) converted to dtype dt at element i of dst.
 * Floats go through double, integers and bools through int64 (so i64 values
 * above 2^53 survive integer-to-integer casts); integer to narrower integer
 * wraps; anything to bool is x != 0.
 */
static void
convert(void *dst, ir_dtype dt, int64_t di, const void *src, ir_dtype st, int64_t si)
{
	bool isf = st == IR_F32 || st == IR_F64;
	double f = 0;
	int64_t v = 0;
	switch (st) {
	case IR_F32:  f = ((const float *)src)[si]; break;
	case IR_F64:  f = ((const double *)src)[si]; break;
	case IR_I8:   v = ((const int8_t *)src)[si]; break;
	case IR_U8:   v = ((const uint8_t *)src)[si]; break;
	case IR_I32:  v = ((const int32_t *)src)[si]; break;
	case IR_I64:  v = ((const int64_t *)src)[si]; break;
	case IR_BOOL: v = ((const uint8_t *)src)[si] != 0; break;
	default: break;
	}
	switch (dt) {
	case IR_F32:  ((float *)dst)[di] = isf ? (float)f : (float)v; break;
	case IR_F64:  ((double *)dst)[di] = isf ? f : (double)v; break;
	case IR_I8:   ((int8_t *)dst)[di] = (int8_t)(isf ? float_to_int(f, INT8_MIN, INT8_MAX) : (int64_t)(uint8_t)v); break;
	case IR_U8:   ((uint8_t *)dst)[di] = (uint8_t)(isf ? float_to_int(f, 0, UINT8_MAX) : v); break;
	case IR_I32:  ((int32_t *)dst)[di] = (int32_t)(isf ? float_to_int(f, INT32_MIN, INT32_MAX) : (int64_t)(uint32_t)v); break;
	case IR_I64:  ((int64_t *)dst)[di] = isf ? float_to_int(f, INT64_MIN, INT64_MAX) : v; break;
	case IR_BOOL: ((uint8_t *)dst)[di] = isf ? f != 0 : v != 0; break;
	default: break;
	}
}

static int
run_cast(const ir_op *op, const void *x, void *y, ir_err *e)
{
	ir_dtype st = op->operands[0]->dtype, dt = op->results[0]->dtype;
	if ((unsigned)st >= IR_NDTYPES || (unsigned)dt >= IR_NDTYPES)
		return ir_errf(e, "cast: invalid dtype");
	int64_t n = ir_value_numel(op->operands[0]);
	if (st == dt) {
		memcpy(y, x, ir_value_nbytes(op->operands[0]));
		return 0;
	}
	for (int64_t i = 0; i < n; i++)
		convert(y, dt, i, x, st, i);
	return 0;
}

/* ---- pad -------------------------------------------------------------------------- */

/*
 * Input index read for output index o along an axis of size n with begin
 * pad b, or -1 for the constant value.  reflect mirrors without repeating
 * the edge (pads < n, checked by shape inference); edge repeats it.
 * Negative pads crop, which needs no special case.
 */
static int64_t
pad_source(int64_t o, int64_t b, int64_t n, int mode)
{
	int64_t i = o - b;
	if (i >= 0 && i < n)
		return i;
	switch (mode) {
	case 1: /* reflect */
		while (i < 0 || i >= n) {
			if (n == 1)
				return 0;
			i = i < 0 ? -i : 2 * (n - 1) - i;
		}
		return i;
	case 2: /* edge */
		return i < 0 ? 0 : n - 1;
	default:
		return -1;
	}
}

static int
run_pad(const ir_op *op, const void *x, void *y, ir_err *e)
{
	const ir_value *xv = op->operands[0], *yv = op->results[0];
	const int64_t *pads;
	const char *mstr;
	float value;
	int mode;
	if (need_same_dtype(op, e) || attr_ints(op, "pads", 2 * xv->rank, &pads, e) ||
	    attr_string(op, "mode", &mstr, e) || attr_float(op, "value", &value, e))
		return -1;
	if (strcmp(mstr, "constant") == 0)
		mode = 0;
	else if (strcmp(mstr, "reflect") == 0)
		mode = 1;
	else if (strcmp(mstr, "edge") == 0)
		mode = 2;
	else
		return ir_errf(e, "pad: unsupported mode \"%.64s\"", mstr);
	for (int d = 0; d < xv->rank; d++)
		if (mode && xv->dims[d] == 0 && yv->dims[d] > 0)
			return ir_errf(e, "pad: %s padding of the empty axis %d", mstr, d);

	size_t esz = ir_dtype_size(xv->dtype);
	union { double d; int64_t i; unsigned char b[8]; } fill = {0};
	convert(&fill, xv->dtype, 0, &value, IR_F32, 0);
	int r = yv->rank;
	int64_t xs[IR_MAX_DIMS], idx[IR_MAX_DIMS] = {0};
	dense_strides(r, xv->dims, xs);
	int64_t n = ir_value_numel(yv);
	unsigned char *dp = y;
	for (int64_t k = 0; k < n; k++, dp += esz) {
		int64_t off = 0;
		for (int d = 0; d < r && off >= 0; d++) {
			int64_t i = pad_source(idx[d], pads[d], xv->dims[d], mode);
			off = i < 0 ? -1 : off + i * xs[d];
		}
		if (off < 0)
			memcpy(dp, fill.b, esz);
		else
			memcpy(dp, (const unsigned char *)x + (size_t)off * esz, esz);
		for (int d = r - 1; d >= 0; d--) {
			if (++idx[d] < yv->dims[d])
				break;
			idx[d] = 0;
		}
	}
	return 0;
}

/* ---- gather ----------------------------------------------------------------------- */

static int
run_gather(const ir_op *op, const void *const *in, void *y, ir_err *e)
{
	const ir_value *xv = op->operands[0], *iv = op->operands[1];
	int64_t axis;
	if (need_same_dtype(op, e) || attr_int(op, "axis", &axis, e))
		return -1;
	if (iv->dtype != IR_I32 && iv->dtype != IR_I64)
		return ir_errf(e, "gather: indices have dtype %s, expected i32 or i64", ir_dtype_name(iv->dtype));
	if (axis < 0 || axis >= xv->rank)
		return ir_errf(e, "gather: axis %lld out of range", (ll)axis);
	size_t esz = ir_dtype_size(xv->dtype);
	int64_t outer = numel((int)axis, xv->dims), n = xv->dims[axis];
	size_t inner = (size_t)numel(xv->rank - (int)axis - 1, xv->dims + axis + 1) * esz;
	int64_t nidx = ir_value_numel(iv);
	unsigned char *dp = y;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < nidx; j++, dp += inner) {
			int64_t k = iv->dtype == IR_I64 ? ((const int64_t *)in[1])[j]
			                                : ((const int32_t *)in[1])[j];
			if (k < -n || k >= n)
				return ir_errf(e, "gather: index %lld out of range for an axis of size %lld",
				               (ll)k, (ll)n);
			if (k < 0)
				k += n;
			memcpy(dp, (const unsigned char *)in[0] + ((size_t)(o * n + k)) * inner, inner);
		}
	return 0;
}

/* ---- resize ----------------------------------------------------------------------- */

/*
 * Resize is separable: nearest picks one input index per output index along
 * each axis, linear blends two.  So the kernel resizes one axis at a time,
 * [outer, in, inner] -> [outer, out, inner], skipping axes whose mapping is
 * the identity.  Per axis, with x the output index, s the scale and
 * L = s * in the (fractional) resized length, as ONNX's reference defines
 * the source coordinate:
 *   half_pixel                 (x + 0.5) / s - 0.5
 *   pytorch_half_pixel         L > 1 ? (x + 0.5) / s - 0.5 : 0
 *   align_corners              L == 1 ? 0 : x * (in - 1) / (L - 1)
 *   asymmetric                 x / s
 *   tf_half_pixel_for_nearest  (x + 0.5) / s
 * nearest rounds it (round_prefer_floor/ceil break .5 ties down/up; floor;
 * ceil) and clamps to [0, in-1]; linear takes floor(c) and floor(c)+1, both
 * clamped, weighted by c - floor(c).  Coordinates are computed in double.
 * The scale attribute is f32; when it equals out/in rounded to f32 (the
 * frontend stores out/in when ONNX gave sizes) the exact ratio out/in is
 * used, so that sizes-based resizes map exactly as ONNX's reference does.
 */
typedef struct resize_tap {
	int64_t i0, i1; /* input indices */
	float w;        /* weight of i1; 0 for nearest */
} resize_tap;

static double
resize_coord(const char *coord, int64_t x, double s, int64_t in)
{
	double L = s * (double)in;
	if (strcmp(coord, "half_pixel") == 0)
		return ((double)x + 0.5) / s - 0.5;
	if (strcmp(coord, "pytorch_half_pixel") == 0)
		return L > 1 ? ((double)x + 0.5) / s - 0.5 : 0.0;
	if (strcmp(coord, "align_corners") == 0)
		return L == 1 ? 0.0 : (double)x * (double)(in - 1) / (L - 1);
	if (strcmp(coord, "asymmetric") == 0)
		return (double)x / s;
	/* tf_half_pixel_for_nearest */
	return ((double)x + 0.5) / s;
}

static int64_t
clamp_index(double c, int64_t in)
{
	if (c != c || c < 0)
		return 0;
	if (c > (double)(in - 1))
		return in - 1;
	return (int64_t)c;
}

static int
run_resize(const ir_op *op, const float *x, float *y, ir_err *e)
{
	const ir_value *xv = op->operands[0], *yv = op->results[0];
	const char *mode, *coord, *nmode;
	int nscales;
	if (need_f32(op, e) || attr_string(op, "mode", &mode, e) || attr_string(op, "coord", &coord, e) ||
	    attr_string(op, "nearest_mode", &nmode, e))
		return -1;
	const float *scales = ir_op_floats(op, "scales", &nscales);
	if (!scales || nscales != xv->rank)
		return ir_errf(e, "resize: attribute 'scales' must be a list of %d floats", xv->rank);
	bool linear = strcmp(mode, "linear") == 0;
	if (!linear && strcmp(mode, "nearest") != 0)
		return ir_errf(e, "resize: unsupported mode \"%.64s\"", mode);
	static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
	                                     "asymmetric", "tf_half_pixel_for_nearest"};
	bool known = false;
	for (size_t i = 0; i < sizeof coords / sizeof *coords; i++)
		known |= strcmp(coord, coords[i]) == 0;
	if (!known)
		return ir_errf(e, "resize: unsupported coord \"%.64s\"", coord);
	int nm = strcmp(nmode, "round_prefer_floor") == 0 ? 0 : strcmp(nmode, "round_prefer_ceil") == 0 ? 1 :
	         strcmp(nmode, "floor") == 0 ? 2 : strcmp(nmode, "ceil") == 0 ? 3 : -1;
	if (nm < 0)
		return ir_errf(e, "resize: unsupported nearest_mode \"%.64s\"", nmode);

	int r = xv->rank;
	int64_t cur[IR_MAX_DIMS];         /* shape of the data so far */
	memcpy(cur, xv->dims, (size_t)r * sizeof *cur);
	const float *src = x;
	float *tmp = NULL;                /* owned intermediate, if any */
	resize_tap *taps = NULL;
	int rc = 0;

	/* the axes that change, so the last of them can write into y */
	int last = -1;
	resize_tap **tab = xcalloc((size_t)(r ? r : 1), sizeof *tab);
	if (!tab)
		return ir_errf(e, "out of memory");
	for (int d = 0; d < r; d++) {
		int64_t in = xv->dims[d], out = yv->dims[d];
		if (out == 0 || in == 0) {
			if (out != 0)
				rc = ir_errf(e, "resize: axis %d is empty in the input but not in the result", d);
			continue;
		}
		taps = xmalloc((size_t)out * sizeof *taps);
		if (!taps) {
			rc = ir_errf(e, "out of memory");
			break;
		}
		double s = scales[d];
		double exact = (double)out / (double)in;
		if ((float)exact == scales[d])
			s = exact;
		bool ident = out == in;
		for (int64_t o = 0; o < out; o++) {
			double c = resize_coord(coord, o, s, in);
			resize_tap t = {0, 0, 0};
			if (linear) {
				double f = floor(c);
				t.i0 = clamp_index(f, in);
				t.i1 = clamp_index(f + 1, in);
				t.w = t.i0 == t.i1 ? 0.0f : (float)(c - f);
			} else {
				double k;
				switch (nm) {
				case 0: k = c == floor(c) + 0.5 ? floor(c) : round(c); break;
				case 1: k = c == floor(c) + 0.5 ? ceil(c) : round(c); break;
				case 2: k = floor(c); break;
				default: k = ceil(c); break;
				}
				t.i0 = t.i1 = clamp_index(k, in);
			}
			taps[o] = t;
			if (t.i0 != o || t.w != 0)
				ident = false;
		}
		if (ident) {
			free(taps);
			taps = NULL;
			continue;
		}
		tab[d] = taps;
		taps = NULL;
		last = d;
	}
	if (rc || ir_value_numel(yv) == 0)
		goto done;
	if (last < 0) {
		memcpy(y, x, ir_value_nbytes(xv));
		goto done;
	}
	for (int d = 0; d <= last; d++) {
		if (!tab[d])
			continue;
		int64_t in = cur[d], out = yv->dims[d];
		int64_t outer = numel(d, cur), inner = numel(r - d - 1, cur + d + 1);
		float *dst = y;
		if (d != last) {
			dst = xmalloc((size_t)(outer * out * inner) * sizeof *dst);
			if (!dst) {
				rc = ir_errf(e, "out of memory");
				goto done;
			}
		}
		for (int64_t o = 0; o < outer; o++)
			for (int64_t k = 0; k < out; k++) {
				resize_tap t = tab[d][k];
				const float *a = src + (o * in + t.i0) * inner, *b = src + (o * in + t.i1) * inner;
				float *dp = dst + (o * out + k) * inner;
				if (t.w == 0)
					memcpy(dp, a, (size_t)inner * sizeof *dp);
				else
					for (int64_t j = 0; j < inner; j++)
						dp[j] = (1 - t.w) * a[j] + t.w * b[j];
			}
		free(tmp);
		tmp = d != last ? dst : NULL;
		src = dst;
		cur[d] = out;
	}
done:
	free(tmp);
	for (int d = 0; d < r; d++)
		free(tab[d]);
	free(tab);
	return rc;
}

/* ---- one op ---------------------------------------------------------------------- */

int
ir_interp_op(const ir_op *op, const void *const *in, void *const *out, ir_err *e)
{
	if (!op || (unsigned)op->kind >= IR_NOPKINDS)
		return ir_errf(e, "interpreter: invalid op kind");
	const ir_opinfo *info = &ir_opinfos[op->kind];
	if (op->noperands < info->min_operands ||
	    (info->max_operands >= 0 && op->noperands > info->max_operands) ||
	    (info->nresults >= 0 ? op->nresults != info->nresults : op->nresults < 1))
		return ir_errf(e, "%s: wrong number of operands or results", info->name);
	for (int i = 0; i < op->noperands; i++) {
		bool optional = i >= info->min_operands && info->max_operands >= 0;
		if (!op->operands[i] && !optional)
			return ir_errf(e, "%s: operand %d is missing", info->name, i);
		if (op->operands[i] && !in[i])
			return ir_errf(e, "%s: no data for operand %d", info->name, i);
	}
	for (int i = 0; i < op->nresults; i++)
		if (!op->results[i] || !out[i])
			return ir_errf(e, "%s: no buffer for result %d", info->name, i);

	switch (op->kind) {
	case IR_OP_CONV:
		return run_conv(op, in, out, e);
	case IR_OP_BATCHNORM:
		return run_batchnorm(op, in, out[0], e);
	case IR_OP_RELU: case IR_OP_LEAKYRELU: case IR_OP_CLIP: case IR_OP_SIGMOID:
	case IR_OP_TANH: case IR_OP_EXP: case IR_OP_LOG: case IR_OP_SQRT: case IR_OP_ABS:
	case IR_OP_NEG: case IR_OP_IDENTITY: case IR_OP_DROPOUT:
		return run_unary(op, in[0], out[0], e);
	case IR_OP_SOFTMAX:
		return run_softmax(op, in[0], out[0], e);
	case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV:
	case IR_OP_SUM: case IR_OP_MAX: case IR_OP_MIN:
		return run_elementwise(op, in, out[0], e);
	case IR_OP_MAXPOOL: case IR_OP_AVGPOOL:
		return run_pool(op, in[0], out[0], e);
	case IR_OP_GLOBALAVGPOOL:
		return run_globalavgpool(op, in[0], out[0], e);
	case IR_OP_REDUCEMEAN: case IR_OP_REDUCESUM:
		return run_reduce(op, in[0], out[0], e);
	case IR_OP_GEMM:
		return run_gemm(op, in, out[0], e);
	case IR_OP_MATMUL:
		return run_matmul(op, in, out[0], e);
	case IR_OP_RESHAPE:
		if (need_same_dtype(op, e))
			return -1;
		if (ir_value_nbytes(op->operands[0]) != ir_value_nbytes(op->results[0]))
			return ir_errf(e, "reshape: element counts differ");
		memcpy(out[0], in[0], ir_value_nbytes(op->results[0]));
		return 0;
	case IR_OP_TRANSPOSE:
		return run_transpose(op, in[0], out[0], e);
	case IR_OP_CONCAT:
		return run_concat(op, in, out[0], e);
	case IR_OP_SPLIT:
		return run_split(op, in[0], out, e);
	case IR_OP_SLICE:
		return run_slice(op, in[0], out[0], e);
	case IR_OP_PAD:
		return run_pad(op, in[0], out[0], e);
	case IR_OP_RESIZE:
		return run_resize(op, in[0], out[0], e);
	case IR_OP_EXPAND:
		return run_expand(op, in[0], out[0], e);
	case IR_OP_GATHER:
		return run_gather(op, in, out[0], e);
	case IR_OP_CAST:
		return run_cast(op, in[0], out[0], e);
	case IR_OP_SCALE_SHIFT:
		return run_scale_shift(op, in, out[0], e);
	case IR_OP_SE_GATE:
		return run_se_gate(op, in, out[0], e);
	case IR_OP_SIGMOID_MUL:
		return run_sigmoid_mul(op, in, out[0], e);
	case IR_OP_FC:
		return run_fc(op, in, out[0], e);
	case IR_OP_RADIX_COMBINE:
		return run_radix_combine(op, in, out[0], e);
	default:
		return ir_errf(e, "%s: the interpreter has no kernel for this op", info->name);
	}
}

/* ---- the whole graph --------------------------------------------------------------- */

/* Rewrites e as `op P "loc" (kind): msg`, dropping msg's own "kind: " prefix. */
static int
op_error(const ir_op *op, int pos, ir_err *e)
{
	char msg[sizeof e->msg];
	const char *name = opname(op), *m = e->msg;
	size_t n = strlen(name);
	if (strncmp(m, name, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
		m += n + 2;
	snprintf(msg, sizeof msg, "%s", m);
	if (op->loc)
		return ir_errf(e, "op %d \"%.200s\" (%s): %s", pos, op->loc, name, msg);
	return ir_errf(e, "op %d (%s): %s", pos, name, msg);
}

/*
 * Buffers are indexed by value id.  last[id] is the position of the last op
 * that reads the value (INT_MAX for graph outputs, -1 for none); an op's
 * result buffer is freed right after that op has run.  Inputs and constants
 * are read in place and never freed.
 */
int
ir_interp_run(ir_graph *g, const void *const *inputs, void *const *outputs, ir_err *e)
{
	if (ir_graph_verify(g, e) != 0)
		return -1;

	size_t nv = (size_t)g->next_value_id;
	int maxin = 1, maxout = 1, rc = -1;
	const void **buf = xcalloc(nv + 1, sizeof *buf);  /* current data of each value */
	void **owned = xcalloc(nv + 1, sizeof *owned);     /* what we malloc'd, to free */
	int *last = xmalloc((nv + 1) * sizeof *last);
	const void **in = NULL;
	void **out = NULL;
	if (!buf || !owned || !last) {
		ir_errf(e, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nv; i++)
		last[i] = -1;

	int pos = 0;
	for (ir_op *op = g->first; op; op = op->next, pos++) {
		for (int i = 0; i < op->noperands; i++)
			if (op->operands[i])
				last[op->operands[i]->id] = pos;
		if (op->noperands > maxin)
			maxin = op->noperands;
		if (op->nresults > maxout)
			maxout = op->nresults;
	}
	for (int i = 0; i < g->noutputs; i++)
		last[g->outputs[i]->id] = INT_MAX;
	for (int i = 0; i < g->ninputs; i++)
		buf[g->inputs[i]->id] = inputs[i];
	for (int i = 0; i < g->nconsts; i++) {
		ir_value *c = g->consts[i];
		if (!c->data && last[c->id] >= 0) {
			ir_errf(e, "constant %%c%d data not available", i);
			goto done;
		}
		buf[c->id] = c->data;
	}
	in = xmalloc((size_t)maxin * sizeof *in);
	out = xmalloc((size_t)maxout * sizeof *out);
	if (!in || !out) {
		ir_errf(e, "out of memory");
		goto done;
	}

	pos = 0;
	for (ir_op *op = g->first; op; op = op->next, pos++) {
		for (int i = 0; i < op->noperands; i++) {
			ir_value *v = op->operands[i];
			in[i] = v ? buf[v->id] : NULL;
		}
		for (int i = 0; i < op->nresults; i++) {
			ir_value *v = op->results[i];
			size_t nb = ir_value_nbytes(v);
			owned[v->id] = xmalloc(nb);
			if (!owned[v->id]) {
				ir_errf(e, "out of memory");
				goto done;
			}
			buf[v->id] = out[i] = owned[v->id];
		}
		if (ir_interp_op(op, in, out, e) != 0) {
			if (strcmp(e->msg, "out of memory") != 0)
				op_error(op, pos, e);
			goto done;
		}
		/* free what no later op reads: operands at their last use, unused results */
		for (int i = 0; i < op->noperands; i++) {
			ir_value *v = op->operands[i];
			if (v && last[v->id] == pos && owned[v->id]) {
				free(owned[v->id]);
				owned[v->id] = NULL;
				buf[v->id] = NULL;
			}
		}
		for (int i = 0; i < op->nresults; i++) {
			ir_value *v = op->results[i];
			if (last[v->id] < 0) {
				free(owned[v->id]);
				owned[v->id] = NULL;
				buf[v->id] = NULL;
			}
		}
	}
	for (int i = 0; i < g->noutputs; i++) {
		size_t nb = ir_value_nbytes(g->outputs[i]);
		if (nb)
			memcpy(outputs[i], buf[g->outputs[i]->id], nb);
	}
	rc = 0;
done:
	if (owned)
		for (size_t i = 0; i < nv; i++)
			free(owned[i]);
	free(owned);
	free(buf);
	free(last);
	free(in);
	free(out);
	return rc;
}
