/*
 * pool.c - max/average pooling and sum/mean reductions.
 *
 * Pooling works one output row at a time.  Max pooling takes the max down
 * the window's rows first (whole input rows, vectorised) into a column
 * buffer, then along each window's columns of it (maxpool_row).  Average
 * pooling does the columns whose whole window is inside the input ([oxlo,
 * oxhi), from the descriptor) tap by tap over the row (a contiguous loop
 * when the stride is 1, which vectorises), the border columns one by one
 * with clipped windows, each window in the interpreter's order (rows, then
 * columns), summed in double and divided in double.  Max propagates NaN.
 *
 * Reductions sum in double, either one result element at a time (the
 * innermost axis is reduced: contiguous runs summed in RK_LANES partial
 * sums, added in order at the end) or one result row at a time (the
 * innermost axis is kept: whole input rows are added in row-major order of
 * the reduced indices, like the interpreter).  Either way the order is fixed
 * by the shape alone, not by the task split.
 */
#include "rk.h"

static inline float
fmax_nan(float a, float b)
{
	return (a != a || a > b) ? a : b;
}

enum { POOL_CHUNK = 128 };

/* Input columns a max-pooling row keeps in its column buffer (2 KiB). */
enum { MAXPOOL_COLS = 512 };

/*
 * One output row of max pooling, in two passes over a chunk of the input
 * row's columns: the max down the window's rows into t (contiguous, so it
 * vectorises), then the max along each window's columns of t.  Columns in
 * the padding are -inf in t, which no value beats (-inf itself, or NaN,
 * wins as it would have), so border windows need no clipping.  The result
 * is the window's max with NaN propagation, as in the interpreter; only the
 * order in which equal values meet differs (the sign of a zero max).
 */
static void
maxpool_row(const rk_pool_desc *d, const float *restrict xp, float *restrict yr, int64_t oy)
{
	const int64_t W = d->W, SW = d->SW, DW = d->DW, PL = d->PL, KW = d->KW;
	const int64_t iy0 = oy * d->SH - d->PT;
	const int64_t kylo = rk_max64(0, rk_ceildiv(-iy0, d->DH));
	const int64_t kyhi = rk_min64(d->KH, rk_floordiv(d->H - 1 - iy0, d->DH) + 1);
	const int64_t span = (KW - 1) * DW + 1; /* input columns of one window */
	/* output columns per chunk: their windows' columns fit in t (a window
	 * too wide for t gets one output per chunk and the slow path below) */
	const int64_t per = span <= MAXPOOL_COLS ? (MAXPOOL_COLS - span) / SW + 1 : 0;
	float t[MAXPOOL_COLS];
	if (per < 1) {
		for (int64_t ox = 0; ox < d->OW; ox++) {
			float m = -__builtin_inff();
			for (int64_t ky = kylo; ky < kyhi; ky++) {
				const float *xr = xp + (iy0 + ky * d->DH) * W;
				for (int64_t kx = 0; kx < KW; kx++) {
					const int64_t ix = ox * SW - PL + kx * DW;
					if (ix >= 0 && ix < W)
						m = fmax_nan(xr[ix], m);
				}
			}
			yr[ox] = m;
		}
		return;
	}
	for (int64_t o0 = 0; o0 < d->OW; o0 += per) {
		const int64_t o1 = rk_min64(d->OW, o0 + per);
		const int64_t i0 = o0 * SW - PL, n = (o1 - 1 - o0) * SW + span;
		/* t[j] is input column i0 + j; [a, b) of t lies inside the row */
		const int64_t a = rk_min64(n, rk_max64(0, -i0)), b = rk_max64(a, rk_min64(n, W - i0));
		for (int64_t j = 0; j < a; j++)
			t[j] = -__builtin_inff();
		for (int64_t j = b; j < n; j++)
			t[j] = -__builtin_inff();
		if (kyhi > kylo) {
			const float *restrict xr = xp + (iy0 + kylo * d->DH) * W + i0;
			for (int64_t j = a; j < b; j++)
				t[j] = xr[j];
			for (int64_t ky = kylo + 1; ky < kyhi; ky++) {
				xr = xp + (iy0 + ky * d->DH) * W + i0;
				for (int64_t j = a; j < b; j++)
					t[j] = fmax_nan(xr[j], t[j]);
			}
		} else {
			for (int64_t j = a; j < b; j++)
				t[j] = -__builtin_inff();
		}
		for (int64_t ox = o0; ox < o1; ox++) {
			const float *tw = t + (ox - o0) * SW;
			float m = tw[0];
			for (int64_t kx = 1; kx < KW; kx++)
				m = fmax_nan(tw[kx * DW], m);
			yr[ox] = m;
		}
	}
}

/*
 * An average pool's window along one axis for output o (stride S, leading
 * pad P, kernel K, input size, trailing pad PE): the input range [*lo, *hi)
 * it covers, and (returned) its extent within the explicitly padded input,
 * the count_include_pad divisor's factor.
 */
static inline int64_t
avg_window(int64_t o, int64_t S, int64_t P, int64_t K, int64_t size, int64_t PE, int64_t *lo,
           int64_t *hi)
{
	int64_t a = o * S - P, b = a + K;
	if (b > size + PE)
		b = size + PE;
	*lo = rk_max64(a, 0);
	*hi = rk_min64(b, size);
	return b - a;
}

static void
avgpool_row(const rk_pool_desc *d, const float *restrict xp, float *restrict yr, int64_t oy)
{
	const int64_t W = d->W, SW = d->SW, PL = d->PL;
	int64_t h0, h1;
	const int64_t hpad = avg_window(oy, d->SH, d->PT, d->KH, d->H, d->PB, &h0, &h1);
	/* interior columns: the window is whole along the row */
	for (int64_t c0 = d->oxlo; c0 < d->oxhi; c0 += POOL_CHUNK) {
		const int64_t n = rk_min64(POOL_CHUNK, d->oxhi - c0);
		double s[POOL_CHUNK];
		for (int64_t i = 0; i < n; i++)
			s[i] = 0;
		for (int64_t ih = h0; ih < h1; ih++) {
			const float *restrict xr = xp + ih * W + c0 * SW - PL;
			for (int64_t kx = 0; kx < d->KW; kx++) {
				if (SW == 1)
					for (int64_t i = 0; i < n; i++)
						s[i] += xr[i + kx];
				else
					for (int64_t i = 0; i < n; i++)
						s[i] += xr[i * SW + kx];
			}
		}
		const int64_t cnt = (d->cip ? hpad : h1 - h0) * d->KW;
		for (int64_t i = 0; i < n; i++)
			yr[c0 + i] = cnt > 0 ? (float)(s[i] / (double)cnt) : 0.0f;
	}
	for (int64_t ox = 0; ox < d->OW; ox++) {
		if (ox == d->oxlo && d->oxhi > d->oxlo)
			ox = d->oxhi;
		if (ox >= d->OW)
			break;
		int64_t w0, w1;
		const int64_t wpad = avg_window(ox, SW, PL, d->KW, W, d->PR, &w0, &w1);
		double s = 0;
		for (int64_t ih = h0; ih < h1; ih++)
			for (int64_t iw = w0; iw < w1; iw++)
				s += xp[ih * W + iw];
		const int64_t cnt = d->cip ? hpad * wpad : (h1 - h0) * (w1 - w0);
		yr[ox] = cnt > 0 ? (float)(s / (double)cnt) : 0.0f;
	}
}


/*
 * Max pooling of NCHW16c planes (blk): every pixel is 16 channels, so a
 * window's max is taken 16 channels at a time, directly, taps clipped to
 * the input.  Same result as maxpool_row per channel (NaN propagates; the
 * order in which taps meet is row by row, as there).
 */
static void
maxpool_blk(const rk_pool_desc *d, const float *restrict xp, float *restrict yp)
{
	for (int64_t oy = 0; oy < d->OH; oy++) {
		const int64_t iy0 = oy * d->SH - d->PT;
		const int64_t kylo = rk_max64(0, rk_ceildiv(-iy0, d->DH));
		const int64_t kyhi = rk_min64(d->KH, rk_floordiv(d->H - 1 - iy0, d->DH) + 1);
		for (int64_t ox = 0; ox < d->OW; ox++) {
			const int64_t ix0 = ox * d->SW - d->PL;
			const int64_t kxlo = rk_max64(0, rk_ceildiv(-ix0, d->DW));
			const int64_t kxhi = rk_min64(d->KW, rk_floordiv(d->W - 1 - ix0, d->DW) + 1);
			for (int l = 0; l < 16; l += RK_V) {
				rk_vf m = rk_splat(-__builtin_inff());
				for (int64_t ky = kylo; ky < kyhi; ky++)
					for (int64_t kx = kxlo; kx < kxhi; kx++) {
						rk_vf v = rk_load(xp + ((iy0 + ky * d->DH) * d->W + ix0 + kx * d->DW) * 16 + l);
						/* fmax_nan(v, m) lane by lane: v where v is NaN or v > m */
						m = rk_select((v != v) | (v > m), v, m);
					}
				rk_store(yp + (oy * d->OW + ox) * 16 + l, m);
			}
		}
	}
}

/*
 * Average pooling of NCHW16c planes (blk): avgpool_row's windows, counts
 * and double sums (row by row, then along the row), 16 lanes at a time.
 */
static void
avgpool_blk(const rk_pool_desc *d, const float *restrict xp, float *restrict yp)
{
	for (int64_t oy = 0; oy < d->OH; oy++) {
		int64_t h0, h1;
		const int64_t hpad = avg_window(oy, d->SH, d->PT, d->KH, d->H, d->PB, &h0, &h1);
		for (int64_t ox = 0; ox < d->OW; ox++) {
			int64_t w0, w1;
			const int64_t wpad = avg_window(ox, d->SW, d->PL, d->KW, d->W, d->PR, &w0, &w1);
			double s[16] = {0};
			for (int64_t ih = h0; ih < h1; ih++)
				for (int64_t iw = w0; iw < w1; iw++)
					for (int l = 0; l < 16; l++)
						s[l] += xp[(ih * d->W + iw) * 16 + l];
			const int64_t cnt = d->cip ? hpad * wpad : (h1 - h0) * (w1 - w0);
			for (int l = 0; l < 16; l++)
				yp[(oy * d->OW + ox) * 16 + l] = cnt > 0 ? (float)(s[l] / (double)cnt) : 0.0f;
		}
	}
}

void
rk_pool(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_pool_desc *d = desc;
	const float *x = ptrs[0];
	float *y = ptrs[1];
	if (d->blk) {
		const int64_t p0 = t0 * d->planes_per_task, p1 = rk_min64(d->P, t1 * d->planes_per_task);
		for (int64_t p = p0; p < p1; p++) {
			if (d->kind == RK_POOL_MAX)
				maxpool_blk(d, x + p * d->H * d->W * 16, y + p * d->OH * d->OW * 16);
			else
				avgpool_blk(d, x + p * d->H * d->W * 16, y + p * d->OH * d->OW * 16);
		}
		return;
	}
	const int64_t p0 = t0 * d->planes_per_task, p1 = rk_min64(d->P, t1 * d->planes_per_task);
	for (int64_t p = p0; p < p1; p++) {
		const float *xp = x + p * d->H * d->W;
		float *yp = y + p * d->OH * d->OW;
		for (int64_t oy = 0; oy < d->OH; oy++) {
			if (d->kind == RK_POOL_MAX)
				maxpool_row(d, xp, yp + oy * d->OW, oy);
			else
				avgpool_row(d, xp, yp + oy * d->OW, oy);
		}
	}
}

/* ---- reductions ------------------------------------------------------------------ */

enum { RED_CHUNK = 256 };

void
rk_reduce(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_reduce_desc *d = desc;
	const float *x = ptrs[0];
	float *y = ptrs[1];
	const int r = (int)d->rank;
	int64_t st[RK_MAXRANK];
	int kept[RK_MAXRANK], redx[RK_MAXRANK], nk = 0, nr = 0;
	int64_t s = 1;
	for (int i = r - 1; i >= 0; i--) {
		st[i] = s;
		s *= d->dims[i];
	}
	for (int i = 0; i < r; i++) {
		if (d->red[i])
			redx[nr++] = i;
		else
			kept[nk++] = i;
	}
	const double cnt = (double)d->count;
	const int inner_red = d->red[r - 1] != 0;
	const int64_t L = inner_red ? 1 : d->dims[r - 1];
	const int64_t units = inner_red ? d->nout : (L ? d->nout / L : 0);
	const int64_t u0 = t0 * d->chunk, u1 = rk_min64(units, t1 * d->chunk);
	/* reduced axes other than the innermost (mode A), or all of them (mode B) */
	const int nodo = inner_red ? nr - 1 : nr;
	int64_t nodo_total = 1;
	for (int j = 0; j < nodo; j++)
		nodo_total *= d->dims[redx[j]];
	const int64_t run = inner_red ? d->dims[r - 1] : 0;

	for (int64_t u = u0; u < u1; u++) {
		/* base offset of the result element/row over the kept axes */
		int64_t base = 0, rem = u;
		for (int j = (inner_red ? nk : nk - 1) - 1; j >= 0; j--) {
			const int a = kept[j];
			base += (rem % d->dims[a]) * st[a];
			rem /= d->dims[a];
		}
		if (inner_red) {
			/* in lanes (rk.h): one dependent chain took 0.3 ms for an SE
			 * block's mean over 256x56x56 */
			double acc[RK_LANES] = {0};
			for (int64_t q = 0; q < nodo_total; q++) {
				int64_t off = base, rq = q;
				for (int j = nodo - 1; j >= 0; j--) {
					const int a = redx[j];
					off += (rq % d->dims[a]) * st[a];
					rq /= d->dims[a];
				}
				rk_lanes_add(acc, x + off, run);
			}
			const double sum = rk_lanes_total(acc);
			y[u] = (float)(d->mean ? (d->count ? sum / cnt : __builtin_nan("")) : sum);
		} else {
			for (int64_t c0 = 0; c0 < L; c0 += RED_CHUNK) {
				const int64_t n = rk_min64(RED_CHUNK, L - c0);
				double acc[RED_CHUNK];
				for (int64_t i = 0; i < n; i++)
					acc[i] = 0;
				for (int64_t q = 0; q < nodo_total; q++) {
					int64_t off = base + c0, rq = q;
					for (int j = nodo - 1; j >= 0; j--) {
						const int a = redx[j];
						off += (rq % d->dims[a]) * st[a];
						rq /= d->dims[a];
					}
					const float *restrict xp = x + off;
					for (int64_t i = 0; i < n; i++)
						acc[i] += xp[i];
				}
				float *restrict yp = y + u * L + c0;
				for (int64_t i = 0; i < n; i++)
					yp[i] = (float)(d->mean ? (d->count ? acc[i] / cnt : __builtin_nan("")) : acc[i]);
			}
		}
	}
}
