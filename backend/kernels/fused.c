/*
 * fused.c - kernels of the ops the fusion passes make (docs/passes.md):
 * scale_shift (a per-channel affine map with the conv epilogue's residual
 * and activation: unfoldable batchnorm, and the scaling of a
 * squeeze-and-excitation gate), se_gate (the excitation's two small
 * fully connected layers), sigmoid_mul (the Residual Attention combine) and
 * fc (the classifier over the global average pool).
 */
#include "rk.h"

/* sum of a[0..n) in lanes (rk.h) */
static double
dsum(const float *restrict a, int64_t n)
{
	double acc[RK_LANES] = {0};
	rk_lanes_add(acc, a, n);
	return rk_lanes_total(acc);
}

/* sum of a[i] * b[i] over [0, n), in the same lanes */
static double
ddot(const float *restrict a, const float *restrict b, int64_t n)
{
	double acc[RK_LANES] = {0};
	int64_t i = 0;
	for (; i + RK_LANES <= n; i += RK_LANES)
		for (int l = 0; l < RK_LANES; l++)
			acc[l] += (double)a[i + l] * (double)b[i + l];
	for (int l = 0; i < n; i++, l++)
		acc[l] += (double)a[i] * (double)b[i];
	return rk_lanes_total(acc);
}

/* Eight floats and eight doubles (RK_LANES), for loops that LLVM would
 * otherwise vectorise across the wrong index (with gathers). */
typedef float rk_f8 __attribute__((vector_size(32)));
typedef double rk_d8 __attribute__((vector_size(64)));
_Static_assert(RK_LANES == 8, "rk_d8 holds the RK_LANES partial sums");

/* eight floats from p as doubles (a macro: a function returning a 64-byte
 * vector has an ABI of its own where vectors are narrower, -Wpsabi) */
#define load_d8(p)                                                              \
	({                                                                          \
		rk_f8 v_;                                                               \
		__builtin_memcpy(&v_, (p), sizeof v_);                                  \
		__builtin_convertvector(v_, rk_d8);                                     \
	})

/* ddot of four rows a, a + lda, a + 2*lda, a + 3*lda with b, into r[4]:
 * the same sums as four ddot calls (lane l takes the elements l mod 8, the
 * tail from lane 0 on, the lanes added in order), but four chains of
 * dependent adds overlap and b is loaded once for them */
static void
ddot4(const float *restrict a, int64_t lda, const float *restrict b, int64_t n, double *r)
{
	rk_d8 acc[4] = {(rk_d8){0}, (rk_d8){0}, (rk_d8){0}, (rk_d8){0}};
	int64_t i = 0;
	for (; i + RK_LANES <= n; i += RK_LANES) {
		const rk_d8 bv = load_d8(b + i);
		for (int q = 0; q < 4; q++)
			acc[q] += load_d8(a + q * lda + i) * bv;
	}
	for (int l = 0; i < n; i++, l++)
		for (int q = 0; q < 4; q++)
			acc[q][l] += (double)a[q * lda + i] * (double)b[i];
	for (int q = 0; q < 4; q++) {
		double t = 0;
		for (int l = 0; l < RK_LANES; l++)
			t += acc[q][l];
		r[q] = t;
	}
}

static inline float
sigmoid(float x)
{
	return rk_sigmoid(x);
}

static inline float
ss_apply(float x, float k, float b, const float *r, int64_t i, int64_t act, float lo, float hi)
{
	float v = x * k + b;
	if (r)
		v += r[i];
	if (act == RK_ACT_RELU)
		v = v < 0.0f ? 0.0f : v;
	else if (act == RK_ACT_CLIP)
		v = v < lo ? lo : v > hi ? hi : v;
	return v;
}

/* One plane: y = act(x*k + b + r), a loop LLVM vectorises. */
static inline void
plane(const float *x, const float *r, float *y, int64_t S, float k, float b, int64_t act,
      float lo, float hi)
{
	for (int64_t i = 0; i < S; i++)
		y[i] = ss_apply(x[i], k, b, r, i, act, lo, hi);
}

/* The same in place (y is x: the memory plan's in-place reuse,
 * ir_inplace_operand): one pointer, so that LLVM's run-time overlap check,
 * which an exact overlap fails, does not send it to the scalar loop. */
static inline void
plane_inplace(const float *restrict r, float *restrict y, int64_t S, float k, float b,
              int64_t act, float lo, float hi)
{
	for (int64_t i = 0; i < S; i++)
		y[i] = ss_apply(y[i], k, b, r, i, act, lo, hi);
}

/* One plane of 16-channel pixels (NCHW16c): y = act(x*k + b + r) with the
 * lane's scale and shift, as ss_apply, in vectors (16/RK_V per pixel).
 * x == y (in place) is fine: each pixel is read before it is written. */
enum { SS_NV = 16 / RK_V };

static inline void
plane_blk(const float *x, const float *r, float *y, int64_t S, const float *k, const float *b,
          int64_t act, float lo, float hi)
{
	rk_vf kv[SS_NV], bv[SS_NV];
	for (int j = 0; j < SS_NV; j++) {
		kv[j] = rk_load(k + j * RK_V);
		bv[j] = rk_load(b + j * RK_V);
	}
	for (int64_t i = 0; i < S; i++)
		for (int j = 0; j < SS_NV; j++) {
			const int64_t o = i * 16 + j * RK_V;
			rk_vf v = rk_load(x + o) * kv[j] + bv[j];
			if (r)
				v += rk_load(r + o);
			rk_store(y + o, rk_act_vec(v, act, lo, hi));
		}
}

/* scale_shift on NCHW16c x, r, y: tasks over block planes (n, C/16). */
static void
scale_shift_blk(const rk_scale_shift_desc *d, void *const *ptrs, int64_t t0, int64_t t1)
{
	const int64_t CB = d->C / 16, P = d->N * CB, S = d->S;
	const int64_t p0 = t0 * d->planes_per_task, p1 = rk_min64(P, t1 * d->planes_per_task);
	const float *x = ptrs[0], *s = ptrs[1], *t = ptrs[2], *r = ptrs[3];
	float *y = ptrs[4];
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	for (int64_t p = p0; p < p1; p++) {
		const int64_t n = p / CB, c0 = (p % CB) * 16;
		const float *k = s + (d->s_nc ? n * d->C : 0) + c0;
		static const float zeros[16];
		const float *b = d->has_t ? t + (d->t_nc ? n * d->C : 0) + c0 : zeros;
		const int64_t o = p * S * 16;
		if (d->has_res)
			plane_blk(x + o, r + o, y + o, S, k, b, d->act, lo, hi);
		else
			plane_blk(x + o, 0, y + o, S, k, b, d->act, lo, hi);
	}
}

void
rk_scale_shift(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_scale_shift_desc *d = desc;
	const int64_t P = d->N * d->C, S = d->S, C = d->C;
	const int64_t p0 = t0 * d->planes_per_task, p1 = rk_min64(P, t1 * d->planes_per_task);
	const float *x = ptrs[0], *s = ptrs[1], *t = ptrs[2], *r = ptrs[3];
	float *y = ptrs[4];
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	if (d->blk) {
		scale_shift_blk(d, ptrs, t0, t1);
		return;
	}
	for (int64_t p = p0; p < p1; p++) {
		const int64_t c = p % C;
		const float k = s[d->s_nc ? p : c];
		const float b = d->has_t ? t[d->t_nc ? p : c] : 0.0f;
		/* separate calls per case so each inner loop is branch-free */
		if (x == y && d->has_res)
			plane_inplace(r + p * S, y + p * S, S, k, b, d->act, lo, hi);
		else if (x == y)
			plane_inplace(0, y + p * S, S, k, b, d->act, lo, hi);
		else if (d->has_res)
			plane(x + p * S, r + p * S, y + p * S, S, k, b, d->act, lo, hi);
		else
			plane(x + p * S, 0, y + p * S, S, k, b, d->act, lo, hi);
	}
}

void
rk_se_gate(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_se_gate_desc *d = desc;
	const int64_t C = d->C, R = d->R, K = d->K, KC = K * C, Cg = C / d->G;
	const float *m = ptrs[0], *w1 = ptrs[1], *b1 = ptrs[2], *w2 = ptrs[3], *b2 = ptrs[4];
	float *gate = ptrs[5];
	float h[RK_SE_MAXR], ms[RK_SE_MAXC];
	for (int64_t t = t0; t < t1; t++) {
		const int64_t n = t; /* one task per image */
		const float *mn = m + n * KC;
		if (d->rows > 0) {
			/* row sums: the means first, each channel's sums in double
			 * in RK_LANES lanes (dsum) */
			const float *mr = m + n * KC * d->rows;
			for (int64_t c = 0; c < KC; c++)
				ms[c] = (float)(dsum(mr + c * d->rows, d->rows) / (double)d->pixels);
			mn = ms;
		}
		if (K > 1) {
			/* m' = the sum of the radix groups, into ms[0, C) (in place
			 * when mn is ms: entry c reads only entries c + r*C) */
			for (int64_t c = 0; c < C; c++) {
				float v = mn[c];
				for (int64_t r = 1; r < K; r++)
					v += mn[r * C + c];
				ms[c] = v;
			}
			mn = ms;
		}
		/* h = relu(w1 m' + b1): four rows of w1 at a time, so that four
		 * chains of dependent adds overlap and m' is loaded once for
		 * them; each row's sum in RK_LANES lanes (rk.h) */
		int64_t j = 0;
		for (; j + 4 <= R; j += 4) {
			double r4[4];
			ddot4(w1 + j * C, C, mn, C, r4);
			for (int q = 0; q < 4; q++) {
				const double a = b1[j + q] + r4[q];
				h[j + q] = a < 0 ? 0.0f : (float)a;
			}
		}
		for (; j < R; j++) {
			const double a = b1[j] + ddot(w1 + j * C, mn, C);
			h[j] = a < 0 ? 0.0f : (float)a;
		}
		int64_t c = 0;
		if (K == 1) {
			/* the sigmoid gate: row c of w2 for gate channel c, four at a time */
			for (; c + 4 <= C; c += 4) {
				double r4[4];
				ddot4(w2 + c * R, R, h, R, r4);
				for (int q = 0; q < 4; q++)
					gate[n * KC + c + q] = sigmoid((float)(b2[c + q] + r4[q]));
			}
		}
		for (; c < C; c++) {
			const int64_t g = c / Cg, cc = c % Cg;
			float z[RK_SE_MAXK], mx = -__builtin_inff();
			for (int64_t r = 0; r < K; r++) {
				const int64_t row = (g * K + r) * Cg + cc;
				z[r] = (float)(b2[row] + ddot(w2 + row * R, h, R));
				mx = z[r] > mx ? z[r] : mx;
			}
			if (K == 1) {
				gate[n * KC + c] = sigmoid(z[0]);
				continue;
			}
			double sum = 0;
			for (int64_t r = 0; r < K; r++)
				sum += __builtin_exp((double)z[r] - mx);
			for (int64_t r = 0; r < K; r++)
				gate[n * KC + r * C + c] = (float)(__builtin_exp((double)z[r] - mx) / sum);
		}
	}
}

void
rk_sigmoid_mul(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_sigmoid_mul_desc *d = desc;
	const float *m = ptrs[0], *t = ptrs[1];
	float *y = ptrs[2];
	const float off = rk_bitsf32(d->offset);
	const int64_t i0 = t0 * d->chunk, i1 = rk_min64(d->n, t1 * d->chunk);
	/* in place (y is m or t, ir_inplace_operand): read through y, so that
	 * LLVM vectorises without a run-time overlap test (which fails then) */
	if (y == m)
		for (int64_t i = i0; i < i1; i++)
			y[i] = (off + sigmoid(y[i])) * t[i];
	else if (y == t)
		for (int64_t i = i0; i < i1; i++)
			y[i] = (off + sigmoid(m[i])) * y[i];
	else
		for (int64_t i = i0; i < i1; i++)
			y[i] = (off + sigmoid(m[i])) * t[i];
}

/*
 * The channel means of nb NCHW16c blocks of S pixels, each lane summed in
 * double in pixel order (as the plain path and the interpreter sum each
 * channel).  In explicit vectors, four blocks at a time (eight chains of
 * adds): written as loops over lanes, LLVM vectorised across the blocks
 * with gathers and scatters, and the classifier's means took 50 us a task.
 */
static void
blk_means(const float *x, int64_t nb, int64_t S, float *mean)
{
	int64_t cb = 0;
	for (; cb + 4 <= nb; cb += 4) {
		const float *xb = x + cb * S * 16;
		rk_d8 s[4][2];
		for (int q = 0; q < 4; q++)
			s[q][0] = s[q][1] = (rk_d8){0};
		for (int64_t i = 0; i < S; i++)
			for (int q = 0; q < 4; q++)
				for (int h = 0; h < 2; h++)
					s[q][h] += load_d8(xb + (q * S + i) * 16 + h * 8);
		for (int q = 0; q < 4; q++)
			for (int h = 0; h < 2; h++) {
				const rk_f8 m = __builtin_convertvector(s[q][h] / (double)S, rk_f8);
				__builtin_memcpy(mean + (cb + q) * 16 + h * 8, &m, sizeof m);
			}
	}
	for (; cb < nb; cb++) {
		const float *xb = x + cb * S * 16;
		rk_d8 s[2] = {(rk_d8){0}, (rk_d8){0}};
		for (int64_t i = 0; i < S; i++)
			for (int h = 0; h < 2; h++)
				s[h] += load_d8(xb + i * 16 + h * 8);
		for (int h = 0; h < 2; h++) {
			const rk_f8 m = __builtin_convertvector(s[h] / (double)S, rk_f8);
			__builtin_memcpy(mean + cb * 16 + h * 8, &m, sizeof m);
		}
	}
}

void
rk_fc(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_fc_desc *d = desc;
	const int64_t C = d->C, S = d->S, M = d->M;
	const float *x = ptrs[0], *w = ptrs[1], *b = ptrs[2];
	float *y = ptrs[3];
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	float mean[RK_FC_MAXC];
	for (int64_t t = t0; t < t1; t++) {
		const int64_t n = t / d->nmb, mb = t % d->nmb;
		const float *xn = x + n * C * S;
		if (d->xblk) /* [C/16][S][16]: a block's 16 channels side by side */
			blk_means(xn, C / 16, S, mean);
		else
			for (int64_t c = 0; c < C; c++)
				mean[c] = (float)(dsum(xn + c * S, S) / (double)S);
		const int64_t m0 = mb * d->mpt, m1 = rk_min64(M, m0 + d->mpt);
		for (int64_t m = m0; m < m1;) {
			/* four rows of w at a time where four are left (ddot4) */
			double r[4];
			const int nq = m1 - m >= 4 ? 4 : 1;
			if (nq == 4)
				ddot4(w + m * C, C, mean, C, r);
			else
				r[0] = ddot(w + m * C, mean, C);
			for (int q = 0; q < nq; q++, m++) {
				float v = (float)((d->has_b ? b[m] : 0.0) + r[q]);
				if (d->act == RK_ACT_RELU)
					v = v < 0.0f ? 0.0f : v;
				else if (d->act == RK_ACT_CLIP)
					v = v < lo ? lo : v > hi ? hi : v;
				y[n * M + m] = v;
			}
		}
	}
}

/* radix_combine on NCHW16c: block plane p = (n, cb) of y from block planes
 * (n, r*C/16 + cb) of x, each lane with its own gate; the plain path's
 * arithmetic in vectors. */
static void
radix_combine_blk(const rk_radix_combine_desc *d, const float *x, const float *g, float *y,
                  int64_t t0, int64_t t1)
{
	const int64_t C = d->C, K = d->K, S = d->S, KC = K * C, CB = C / 16;
	const int64_t p0 = t0 * d->planes_per_task, p1 = rk_min64(d->N * CB, t1 * d->planes_per_task);
	for (int64_t p = p0; p < p1; p++) {
		const int64_t n = p / CB, cb = p % CB;
		float *yp = y + p * S * 16;
		for (int j = 0; j < 16; j += RK_V) {
			const rk_vf g0 = rk_load(g + n * KC + cb * 16 + j);
			const float *x0 = x + (n * K * CB + cb) * S * 16 + j;
			for (int64_t i = 0; i < S; i++)
				rk_store(yp + i * 16 + j, g0 * rk_load(x0 + i * 16));
		}
		for (int64_t r = 1; r < K; r++)
			for (int j = 0; j < 16; j += RK_V) {
				const rk_vf gr = rk_load(g + n * KC + r * C + cb * 16 + j);
				const float *xr = x + (n * K * CB + r * CB + cb) * S * 16 + j;
				for (int64_t i = 0; i < S; i++)
					rk_store(yp + i * 16 + j, rk_load(yp + i * 16 + j) + gr * rk_load(xr + i * 16));
			}
	}
}

void
rk_radix_combine(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_radix_combine_desc *d = desc;
	const int64_t C = d->C, K = d->K, S = d->S, KC = K * C, P = d->N * C;
	const int64_t p0 = t0 * d->planes_per_task, p1 = rk_min64(P, t1 * d->planes_per_task);
	const float *x = ptrs[0], *g = ptrs[1];
	float *y = ptrs[2];
	if (d->blk) {
		radix_combine_blk(d, x, g, y, t0, t1);
		return;
	}
	for (int64_t p = p0; p < p1; p++) {
		const int64_t n = p / C, c = p % C;
		float *restrict yp = y + p * S;
		const float *restrict x0 = x + (n * KC + c) * S;
		const float g0 = g[n * KC + c];
		for (int64_t i = 0; i < S; i++)
			yp[i] = g0 * x0[i];
		for (int64_t r = 1; r < K; r++) {
			const float *restrict xr = x + (n * KC + r * C + c) * S;
			const float gr = g[n * KC + r * C + c];
			for (int64_t i = 0; i < S; i++)
				yp[i] += gr * xr[i];
		}
	}
}
