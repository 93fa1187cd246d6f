/*
 * eltwise.c - elementwise kernels: unary functions, broadcasting n-ary
 * arithmetic, batch normalisation, softmax, casts.
 *
 * These are plain loops written so that the compiler vectorises them (and,
 * once the descriptor is a constant, specialises the op and stride
 * switches away).  Each element is computed by the same expression whatever
 * the task split, with the interpreter's conventions: max/min propagate NaN,
 * relu and clip keep NaN, integer arithmetic wraps, softmax sums in double,
 * casts saturate float to integer (NaN to 0) and wrap integer narrowing.
 */
#include "rk.h"

/* NaN-propagating max/min (numpy maximum/minimum). */
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

static inline float
sigmoid(float x)
{
	return rk_sigmoid(x);
}

/* max with lo, then min with hi (lo > hi gives hi; NaN stays NaN) */
static inline float
clip_f(float x, float lo, float hi)
{
	const float v = x < lo ? lo : x;
	return v > hi ? hi : v;
}

/* ---- unary ------------------------------------------------------------------ */

/* The loops below may run in place (a == o: the memory plan gives a
 * unary op's result its operand's buffer, ir_inplace_operand), so a and o
 * are not restrict; each loop has an in-place twin that reads o itself, so
 * that LLVM vectorises it without a run-time overlap test (which a == o
 * fails, falling back to scalar code). */
#define UNARY_LOOP(T, EXPR)                                                     \
	do {                                                                        \
		if ((const void *)a == (const void *)o)                                 \
			for (int64_t i = 0; i < n; i++) {                                   \
				const T v = o[i];                                               \
				o[i] = (EXPR);                                                  \
			}                                                                   \
		else                                                                    \
			for (int64_t i = 0; i < n; i++) {                                   \
				const T v = a[i];                                               \
				o[i] = (EXPR);                                                  \
			}                                                                   \
	} while (0)

#define UNARY_INT(T, UT)                                                        \
	do {                                                                        \
		const T *a = (const T *)ptrs[0] + i0;                                   \
		T *o = (T *)ptrs[1] + i0;                                               \
		if (d->op == RK_U_NEG)                                                  \
			UNARY_LOOP(T, (T)(0u - (UT)v));                                     \
		else if (d->op == RK_U_ABS)                                             \
			UNARY_LOOP(T, (T)(v < 0 ? 0u - (UT)v : (UT)v));                     \
		else                                                                    \
			UNARY_LOOP(T, v);                                                   \
	} while (0)

void
rk_unary(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_unary_desc *d = desc;
	const int64_t i0 = t0 * d->chunk, i1 = rk_min64(d->n, t1 * d->chunk);
	if (i0 >= i1)
		return;
	const int64_t n = i1 - i0;
	if (d->dtype == RK_I32) {
		UNARY_INT(int32_t, uint32_t);
		return;
	}
	if (d->dtype == RK_I64) {
		UNARY_INT(int64_t, uint64_t);
		return;
	}
	const float *a = (const float *)ptrs[0] + i0;
	float *o = (float *)ptrs[1] + i0;
	const float alpha = rk_bitsf32(d->alpha), lo = rk_bitsf32(d->lo), hi = rk_bitsf32(d->hi);
	switch (d->op) {
	case RK_U_RELU:
		UNARY_LOOP(float, v < 0 ? 0.0f : v);
		break;
	case RK_U_LEAKYRELU:
		UNARY_LOOP(float, v < 0 ? alpha * v : v);
		break;
	case RK_U_CLIP:
		UNARY_LOOP(float, clip_f(v, lo, hi));
		break;
	case RK_U_SIGMOID:
		UNARY_LOOP(float, sigmoid(v));
		break;
	case RK_U_TANH:
		UNARY_LOOP(float, __builtin_tanhf(v));
		break;
	case RK_U_EXP:
		UNARY_LOOP(float, __builtin_expf(v));
		break;
	case RK_U_LOG:
		UNARY_LOOP(float, __builtin_logf(v));
		break;
	case RK_U_SQRT:
		UNARY_LOOP(float, __builtin_sqrtf(v));
		break;
	case RK_U_ABS:
		UNARY_LOOP(float, __builtin_fabsf(v));
		break;
	case RK_U_NEG:
		UNARY_LOOP(float, -v);
		break;
	default:
		UNARY_LOOP(float, v);
		break;
	}
}

/* ---- broadcasting n-ary arithmetic ----------------------------------------------- */

/*
 * One run: o[i] = A(i) OP B(i), A at pa with stride sa, B at pb with stride
 * sb; the common stride patterns get loops of their own.
 */
#define RUN(T, EXPR)                                                            \
	do {                                                                        \
		/* in place (po is pa or pb, ir_inplace_operand): read through po */   \
		if (sa == 1 && po == pa)                                                \
			for (int64_t i = 0; i < len; i++) {                                 \
				const T x = po[i], y = pb[i * sb];                              \
				po[i] = (EXPR);                                                 \
			}                                                                   \
		else if (sb == 1 && po == pb)                                           \
			for (int64_t i = 0; i < len; i++) {                                 \
				const T x = pa[i * sa], y = po[i];                              \
				po[i] = (EXPR);                                                 \
			}                                                                   \
		else if (sa == 1 && sb == 1)                                            \
			for (int64_t i = 0; i < len; i++) {                                 \
				const T x = pa[i], y = pb[i];                                   \
				po[i] = (EXPR);                                                 \
			}                                                                   \
		else if (sa == 1 && sb == 0) {                                          \
			const T y = pb[0];                                                  \
			for (int64_t i = 0; i < len; i++) {                                 \
				const T x = pa[i];                                              \
				po[i] = (EXPR);                                                 \
			}                                                                   \
		} else if (sa == 0 && sb == 1) {                                        \
			const T x = pa[0];                                                  \
			for (int64_t i = 0; i < len; i++) {                                 \
				const T y = pb[i];                                              \
				po[i] = (EXPR);                                                 \
			}                                                                   \
		} else                                                                  \
			for (int64_t i = 0; i < len; i++) {                                 \
				const T x = pa[i * sa], y = pb[i * sb];                         \
				po[i] = (EXPR);                                                 \
			}                                                                   \
	} while (0)

static void
run_f32(int64_t op, float *po, const float *pa, int64_t sa, const float *pb, int64_t sb, int64_t len)
{
	switch (op) {
	case RK_B_ADD: RUN(float, x + y); break;
	case RK_B_SUB: RUN(float, x - y); break;
	case RK_B_MUL: RUN(float, x * y); break;
	case RK_B_DIV: RUN(float, x / y); break;
	case RK_B_MAX: RUN(float, fmax_nan(x, y)); break;
	case RK_B_MIN: RUN(float, fmin_nan(x, y)); break;
	default: break;
	}
}

#define RUN_INT(NAME, T, UT, TMIN)                                                      \
	static void NAME(int64_t op, T *po, const T *pa, int64_t sa, const T *pb, int64_t sb, \
	                 int64_t len)                                                       \
	{                                                                                   \
		switch (op) {                                                                   \
		case RK_B_ADD: RUN(T, (T)((UT)x + (UT)y)); break;                               \
		case RK_B_SUB: RUN(T, (T)((UT)x - (UT)y)); break;                               \
		case RK_B_MUL: RUN(T, (T)((UT)x * (UT)y)); break;                               \
		case RK_B_DIV: RUN(T, y == 0 ? (T)0 : (x == TMIN && y == -1) ? x : x / y); break; \
		case RK_B_MAX: RUN(T, x > y ? x : y); break;                                    \
		case RK_B_MIN: RUN(T, x < y ? x : y); break;                                    \
		default: break;                                                                 \
		}                                                                               \
	}
RUN_INT(run_i32, int32_t, uint32_t, INT32_MIN)
RUN_INT(run_i64, int64_t, uint64_t, INT64_MIN)

void
rk_eltwise(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_eltwise_desc *d = desc;
	const int64_t e0 = t0 * d->chunk, e1 = rk_min64(d->total, t1 * d->chunk);
	if (e0 >= e1)
		return;
	const int r = (int)d->rank, nin = (int)d->nin;
	const int64_t es = d->dtype == RK_I64 ? 8 : 4;
	char *const y = ptrs[nin];
	int64_t idx[RK_MAXRANK];
	int64_t rem = e0;
	for (int i = r - 1; i >= 0; i--) {
		idx[i] = rem % d->dims[i];
		rem /= d->dims[i];
	}
	const int64_t inner = d->dims[r - 1];
	for (int64_t e = e0; e < e1;) {
		const int64_t len = rk_min64(inner - idx[r - 1], e1 - e);
		char *po = y + e * es;
		/* operands 0 and 1 into y, then y OP operand k */
		int64_t off[2] = {0, 0};
		for (int k = 0; k < 2 && k < nin; k++)
			for (int i = 0; i < r; i++)
				off[k] += idx[i] * d->strides[k][i];
		if (nin == 1) {
			/* a one-operand sum/max/min: the broadcast copy */
			const int64_t s = d->strides[0][r - 1];
			const char *pa = (const char *)ptrs[0] + off[0] * es;
			if (es == 4)
				for (int64_t i = 0; i < len; i++)
					((int32_t *)po)[i] = ((const int32_t *)pa)[i * s];
			else
				for (int64_t i = 0; i < len; i++)
					((int64_t *)po)[i] = ((const int64_t *)pa)[i * s];
		} else {
			const int64_t sa = d->strides[0][r - 1], sb = d->strides[1][r - 1];
			if (d->dtype == RK_F32)
				run_f32(d->op, (float *)po, (const float *)ptrs[0] + off[0], sa,
				        (const float *)ptrs[1] + off[1], sb, len);
			else if (d->dtype == RK_I32)
				run_i32(d->op, (int32_t *)po, (const int32_t *)ptrs[0] + off[0], sa,
				        (const int32_t *)ptrs[1] + off[1], sb, len);
			else
				run_i64(d->op, (int64_t *)po, (const int64_t *)ptrs[0] + off[0], sa,
				        (const int64_t *)ptrs[1] + off[1], sb, len);
		}
		for (int k = 2; k < nin; k++) {
			int64_t ok = 0;
			for (int i = 0; i < r; i++)
				ok += idx[i] * d->strides[k][i];
			const int64_t sb = d->strides[k][r - 1];
			if (d->dtype == RK_F32)
				run_f32(d->op, (float *)po, (const float *)po, 1, (const float *)ptrs[k] + ok, sb, len);
			else if (d->dtype == RK_I32)
				run_i32(d->op, (int32_t *)po, (const int32_t *)po, 1, (const int32_t *)ptrs[k] + ok, sb, len);
			else
				run_i64(d->op, (int64_t *)po, (const int64_t *)po, 1, (const int64_t *)ptrs[k] + ok, sb, len);
		}
		e += len;
		idx[r - 1] += len;
		for (int i = r - 1; i > 0 && idx[i] >= d->dims[i]; i--) {
			idx[i] = 0;
			idx[i - 1]++;
		}
	}
}

/* ---- batch normalisation ----------------------------------------------------------- */

void
rk_batchnorm(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_bn_desc *d = desc;
	const int64_t P = d->N * d->C, S = d->S, C = d->C;
	const int64_t p0 = t0 * d->planes_per_task, p1 = rk_min64(P, t1 * d->planes_per_task);
	const float *x = ptrs[0];
	float *y = ptrs[5];
	const float eps = rk_bitsf32(d->eps);
	for (int64_t p = p0; p < p1; p++) {
		const int64_t c = p % C;
		float k, m, b;
		if (d->folded) {
			const float *st = ptrs[1];
			k = st[c];
			m = st[C + c];
			b = st[2 * C + c];
		} else {
			const float *scale = ptrs[1], *bias = ptrs[2], *mean = ptrs[3], *var = ptrs[4];
			k = scale[c] / __builtin_sqrtf(var[c] + eps);
			m = mean[c];
			b = bias[c];
		}
		const float *restrict xp = x + p * S;
		float *restrict yp = y + p * S;
		for (int64_t i = 0; i < S; i++)
			yp[i] = (xp[i] - m) * k + b;
	}
}

/* ---- softmax ------------------------------------------------------------------------ */

enum { SM_CHUNK = 256 };

void
rk_softmax(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_softmax_desc *d = desc;
	const int64_t L = d->L, inner = d->inner;
	const int64_t units = d->outer * d->ninner_t;
	const int64_t u0 = t0 * d->units_per_task, u1 = rk_min64(units, t1 * d->units_per_task);
	const float *x = ptrs[0];
	float *y = ptrs[1];
	for (int64_t u = u0; u < u1; u++) {
		const int64_t o = u / d->ninner_t, it = u % d->ninner_t;
		if (inner == 1) {
			const float *restrict xp = x + o * L;
			float *restrict yp = y + o * L;
			float m = -__builtin_inff();
			for (int64_t j = 0; j < L; j++)
				m = fmax_nan(m, xp[j]);
			double sum = 0;
			for (int64_t j = 0; j < L; j++) {
				const float z = __builtin_expf(xp[j] - m);
				yp[j] = z;
				sum += z;
			}
			for (int64_t j = 0; j < L; j++)
				yp[j] = (float)(yp[j] / sum);
			continue;
		}
		const int64_t i0 = it * d->inner_chunk;
		const int64_t n = rk_min64(rk_min64(inner, i0 + d->inner_chunk) - i0, SM_CHUNK);
		const float *restrict xp = x + o * L * inner + i0;
		float *restrict yp = y + o * L * inner + i0;
		float m[SM_CHUNK];
		double s[SM_CHUNK];
		for (int64_t i = 0; i < n; i++) {
			m[i] = -__builtin_inff();
			s[i] = 0;
		}
		for (int64_t j = 0; j < L; j++)
			for (int64_t i = 0; i < n; i++)
				m[i] = fmax_nan(m[i], xp[j * inner + i]);
		for (int64_t j = 0; j < L; j++)
			for (int64_t i = 0; i < n; i++) {
				const float z = __builtin_expf(xp[j * inner + i] - m[i]);
				yp[j * inner + i] = z;
				s[i] += z;
			}
		for (int64_t j = 0; j < L; j++)
			for (int64_t i = 0; i < n; i++)
				yp[j * inner + i] = (float)(yp[j * inner + i] / s[i]);
	}
}

/* ---- casts --------------------------------------------------------------------------- */

/* Float to integer: truncate toward zero, saturate, NaN to 0. */
static inline int64_t
float_to_int(double f, int64_t lo, int64_t hi)
{
	if (f != f)
		return 0;
	if (f <= (double)lo)
		return lo;
	if (f >= (double)hi)
		return hi;
	return (int64_t)f;
}

enum { CAST_BLOCK = 256 };

void
rk_cast(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_cast_desc *d = desc;
	const int64_t i0 = t0 * d->chunk, i1 = rk_min64(d->n, t1 * d->chunk);
	const int isf = d->from == RK_F32 || d->from == RK_F64;
	const void *src = ptrs[0];
	void *dst = ptrs[1];
	/* through a block of doubles (floats) or int64 (integers, bools) */
	double f[CAST_BLOCK];
	int64_t v[CAST_BLOCK];
	for (int64_t b0 = i0; b0 < i1; b0 += CAST_BLOCK) {
		const int64_t n = rk_min64(CAST_BLOCK, i1 - b0);
		switch (d->from) {
		case RK_F32: for (int64_t i = 0; i < n; i++) f[i] = ((const float *)src)[b0 + i]; break;
		case RK_F64: for (int64_t i = 0; i < n; i++) f[i] = ((const double *)src)[b0 + i]; break;
		case RK_I8: for (int64_t i = 0; i < n; i++) v[i] = ((const int8_t *)src)[b0 + i]; break;
		case RK_U8: for (int64_t i = 0; i < n; i++) v[i] = ((const uint8_t *)src)[b0 + i]; break;
		case RK_I32: for (int64_t i = 0; i < n; i++) v[i] = ((const int32_t *)src)[b0 + i]; break;
		case RK_I64: for (int64_t i = 0; i < n; i++) v[i] = ((const int64_t *)src)[b0 + i]; break;
		default: for (int64_t i = 0; i < n; i++) v[i] = ((const uint8_t *)src)[b0 + i] != 0; break;
		}
		switch (d->to) {
		case RK_F32:
			for (int64_t i = 0; i < n; i++)
				((float *)dst)[b0 + i] = isf ? (float)f[i] : (float)v[i];
			break;
		case RK_F64:
			for (int64_t i = 0; i < n; i++)
				((double *)dst)[b0 + i] = isf ? f[i] : (double)v[i];
			break;
		case RK_I8:
			for (int64_t i = 0; i < n; i++)
				((int8_t *)dst)[b0 + i] = (int8_t)(isf ? float_to_int(f[i], INT8_MIN, INT8_MAX)
				                                       : (int64_t)(uint8_t)v[i]);
			break;
		case RK_U8:
			for (int64_t i = 0; i < n; i++)
				((uint8_t *)dst)[b0 + i] = (uint8_t)(isf ? float_to_int(f[i], 0, UINT8_MAX) : v[i]);
			break;
		case RK_I32:
			for (int64_t i = 0; i < n; i++)
				((int32_t *)dst)[b0 + i] = (int32_t)(isf ? float_to_int(f[i], INT32_MIN, INT32_MAX)
				                                         : (int64_t)(uint32_t)v[i]);
			break;
		case RK_I64:
			for (int64_t i = 0; i < n; i++)
				((int64_t *)dst)[b0 + i] = isf ? float_to_int(f[i], INT64_MIN, INT64_MAX) : v[i];
			break;
		default:
			for (int64_t i = 0; i < n; i++)
				((uint8_t *)dst)[b0 + i] = isf ? f[i] != 0 : v[i] != 0;
			break;
		}
	}
}
