/*
 * move.c - data movement: copies, strided gathers (transpose, slice,
 * expand), concat/split, pad, gather, resize.
 *
 * All of them walk their result in row-major order from the task's first
 * element with an odometer over the (merged) axes, and move whole runs of
 * the innermost axis at once: a memcpy when the source run is contiguous, a
 * fill when it is a broadcast, a typed strided loop otherwise.  Elements
 * are moved by size (1, 2, 4 or 8 bytes), so one kernel serves every dtype.
 */
#include "rk.h"

/* ---- copy ------------------------------------------------------------------------ */

void
rk_copy(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_copy_desc *d = desc;
	const int64_t b0 = t0 * d->chunk, b1 = rk_min64(d->nbytes, t1 * d->chunk);
	if (b0 < b1)
		__builtin_memcpy((char *)ptrs[1] + b0, (const char *)ptrs[0] + b0, (size_t)(b1 - b0));
}

/* ---- strided gather ----------------------------------------------------------------- */

/* n elements of size es: dst[i] = src[i*s] (s in elements). */
static inline void
move_run(char *restrict dst, const char *restrict src, int64_t s, int64_t n, int64_t es)
{
	if (s == 1) {
		__builtin_memcpy(dst, src, (size_t)(n * es));
		return;
	}
	switch (es) {
	case 4:
		for (int64_t i = 0; i < n; i++)
			((uint32_t *)dst)[i] = ((const uint32_t *)src)[i * s];
		break;
	case 8:
		for (int64_t i = 0; i < n; i++)
			((uint64_t *)dst)[i] = ((const uint64_t *)src)[i * s];
		break;
	case 1:
		for (int64_t i = 0; i < n; i++)
			((uint8_t *)dst)[i] = ((const uint8_t *)src)[i * s];
		break;
	case 2:
		for (int64_t i = 0; i < n; i++)
			((uint16_t *)dst)[i] = ((const uint16_t *)src)[i * s];
		break;
	default:
		for (int64_t i = 0; i < n; i++)
			__builtin_memcpy(dst + i * es, src + i * s * es, (size_t)es);
		break;
	}
}

void
rk_strided(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_strided_desc *d = desc;
	const int64_t e0 = t0 * d->chunk, e1 = rk_min64(d->total, t1 * d->chunk);
	if (e0 >= e1)
		return;
	const int r = (int)d->rank;
	const int64_t es = d->esize;
	const char *x = (const char *)ptrs[0] + d->offset * es;
	char *y = ptrs[1];
	int64_t idx[RK_MAXRANK], rem = e0;
	for (int i = r - 1; i >= 0; i--) {
		idx[i] = rem % d->dims[i];
		rem /= d->dims[i];
	}
	const int64_t inner = d->dims[r - 1], s = d->strides[r - 1];
	for (int64_t e = e0; e < e1;) {
		const int64_t len = rk_min64(inner - idx[r - 1], e1 - e);
		int64_t off = 0;
		for (int i = 0; i < r; i++)
			off += idx[i] * d->strides[i];
		move_run(y + e * es, x + off * es, s, len, es);
		e += len;
		idx[r - 1] += len;
		for (int i = r - 1; i > 0 && idx[i] >= d->dims[i]; i--) {
			idx[i] = 0;
			idx[i - 1]++;
		}
	}
}

/* ---- concat / split ------------------------------------------------------------------- */

void
rk_concat(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_concat_desc *d = desc;
	const int64_t n = d->n, items = d->outer * n;
	const int64_t i0 = t0 * d->items_per_task, i1 = rk_min64(items, t1 * d->items_per_task);
	for (int64_t it = i0; it < i1; it++) {
		const int64_t o = it / n, k = it % n, nb = d->bytes[k];
		if (!nb)
			continue;
		if (d->split)
			__builtin_memcpy((char *)ptrs[1 + k] + o * nb,
			                 (const char *)ptrs[0] + o * d->rowbytes + d->off[k], (size_t)nb);
		else
			__builtin_memcpy((char *)ptrs[n] + o * d->rowbytes + d->off[k],
			                 (const char *)ptrs[k] + o * nb, (size_t)nb);
	}
}

/* ---- pad ------------------------------------------------------------------------------- */

/* Input index for output index o (begin pad b, size n), -1 for the fill. */
static inline int64_t
pad_source(int64_t o, int64_t b, int64_t n, int64_t mode)
{
	int64_t i = o - b;
	if (i >= 0 && i < n)
		return i;
	if (n <= 0)
		return -1;
	if (mode == RK_PAD_REFLECT) {
		while (i < 0 || i >= n) {
			if (n == 1)
				return 0;
			i = i < 0 ? -i : 2 * (n - 1) - i;
		}
		return i;
	}
	if (mode == RK_PAD_EDGE)
		return i < 0 ? 0 : n - 1;
	return -1;
}

void
rk_pad(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_pad_desc *d = desc;
	const int r = (int)d->rank;
	const int64_t es = d->esize, OW = d->odims[r - 1], IW = d->idims[r - 1], pw = d->pb[r - 1];
	const int64_t q0 = t0 * d->rows_per_task, q1 = rk_min64(d->nrows, t1 * d->rows_per_task);
	const char *x = ptrs[0];
	char *y = ptrs[1];
	int64_t ist[RK_MAXRANK], s = 1;
	for (int i = r - 1; i >= 0; i--) {
		ist[i] = s;
		s *= d->idims[i];
	}
	char fill[8];
	__builtin_memcpy(fill, &d->value, 8);
	/* the columns that come straight from the input row */
	int64_t c0 = pw > 0 ? pw : 0, c1 = pw + IW < OW ? pw + IW : OW;
	if (c1 < c0)
		c1 = c0;
	for (int64_t q = q0; q < q1; q++) {
		int64_t off = 0, rem = q;
		int inside = 1;
		for (int i = r - 2; i >= 0; i--) {
			const int64_t o = rem % d->odims[i];
			rem /= d->odims[i];
			const int64_t src = pad_source(o, d->pb[i], d->idims[i], d->mode);
			if (src < 0)
				inside = 0;
			off += src * ist[i];
		}
		char *yr = y + q * OW * es;
		if (!inside) {
			for (int64_t j = 0; j < OW; j++)
				__builtin_memcpy(yr + j * es, fill, (size_t)es);
			continue;
		}
		const char *xr = x + off * es;
		for (int64_t j = 0; j < c0; j++) {
			const int64_t src = pad_source(j, pw, IW, d->mode);
			__builtin_memcpy(yr + j * es, src < 0 ? fill : xr + src * es, (size_t)es);
		}
		if (c1 > c0)
			__builtin_memcpy(yr + c0 * es, xr + (c0 - pw) * es, (size_t)((c1 - c0) * es));
		for (int64_t j = c1; j < OW; j++) {
			const int64_t src = pad_source(j, pw, IW, d->mode);
			__builtin_memcpy(yr + j * es, src < 0 ? fill : xr + src * es, (size_t)es);
		}
	}
}

/* ---- gather ------------------------------------------------------------------------------ */

void
rk_gather(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_gather_desc *d = desc;
	const int64_t items = d->outer * d->nidx;
	const int64_t i0 = t0 * d->items_per_task, i1 = rk_min64(items, t1 * d->items_per_task);
	const int64_t row = d->inner * d->esize, A = d->A;
	const char *x = ptrs[0];
	char *y = ptrs[2];
	for (int64_t it = i0; it < i1; it++) {
		const int64_t o = it / d->nidx, j = it % d->nidx;
		int64_t k = d->idx_dtype == RK_I64 ? ((const int64_t *)ptrs[1])[j]
		                                   : ((const int32_t *)ptrs[1])[j];
		char *dst = y + it * row;
		if (k < -A || k >= A) {
			__builtin_memset(dst, 0, (size_t)row);
			continue;
		}
		if (k < 0)
			k += A;
		__builtin_memcpy(dst, x + (o * A + k) * row, (size_t)row);
	}
}

/* ---- resize -------------------------------------------------------------------------------- */

enum { RESIZE_MAXC = 1 << (RK_MAXRANK - 1) };


/* The taps of output coordinate o on an axis with `taps` taps from table
 * position tab: input indices *i0, *i1 and the weight *w of *i1 (0: *i0
 * alone; no taps: the identity). */
static inline void
resize_taps(const int64_t *tix, const float *twt, int64_t taps, int64_t tab, int64_t o, int64_t *i0,
            int64_t *i1, float *w)
{
	*i0 = *i1 = o;
	*w = 0;
	if (taps == 1) {
		*i0 = *i1 = tix[tab + o];
	} else if (taps == 2) {
		*i0 = tix[tab + 2 * o];
		*i1 = tix[tab + 2 * o + 1];
		*w = twt[tab + 2 * o + 1];
	}
}

/* rk_resize on NCHW16c (blk): rows (n, c/16, oy) of 16-lane pixels; only H
 * and W have taps.  The arithmetic of the plain path's fast case, lane by
 * lane. */
static void
resize_blk(const rk_resize_desc *d, const float *x, const int64_t *tix, const float *twt, float *y,
           int64_t q0, int64_t q1)
{
	const int64_t H = d->idims[2], W = d->idims[3], OH = d->odims[2], OW = d->odims[3];
	const int64_t lt = d->taps[3], lb = d->tab[3];
	for (int64_t q = q0; q < q1; q++) {
		const int64_t oy = q % OH, plane = q / OH; /* (n, c/16) planes are not resized */
		int64_t i0, i1;
		float w;
		resize_taps(tix, twt, d->taps[2], d->tab[2], oy, &i0, &i1, &w);
		const float *xa = x + ((plane * H + i0) * W) * 16, *xb = x + ((plane * H + i1) * W) * 16;
		float *yr = y + (q * OW) * 16;
		for (int64_t ox = 0; ox < OW; ox++) {
			int64_t j0, j1;
			float wl;
			resize_taps(tix, twt, lt, lb, ox, &j0, &j1, &wl);
			for (int l = 0; l < 16; l += RK_V) {
				rk_vf v0 = rk_load(xa + j0 * 16 + l), v1 = rk_load(xa + j1 * 16 + l);
				if (w != 0) {
					v0 = (1 - w) * v0 + w * rk_load(xb + j0 * 16 + l);
					v1 = (1 - w) * v1 + w * rk_load(xb + j1 * 16 + l);
				}
				rk_store(yr + ox * 16 + l, wl != 0 ? (1 - wl) * v0 + wl * v1 : v0);
			}
		}
	}
}

void
rk_resize(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_resize_desc *d = desc;
	if (d->blk) {
		resize_blk(d, ptrs[0], ptrs[1], ptrs[2], ptrs[3], t0 * d->rows_per_task,
		           rk_min64(d->nrows, t1 * d->rows_per_task));
		return;
	}
	const float *x = ptrs[0];
	const int64_t *tix = ptrs[1];
	const float *twt = ptrs[2];
	float *y = ptrs[3];
	const int r = (int)d->rank, last = r - 1;
	const int64_t OW = d->odims[last];
	const int64_t q0 = t0 * d->rows_per_task, q1 = rk_min64(d->nrows, t1 * d->rows_per_task);
	int64_t ist[RK_MAXRANK], s = 1;
	for (int i = r - 1; i >= 0; i--) {
		ist[i] = s;
		s *= d->idims[i];
	}
	const int64_t lt = d->taps[last], lb = d->tab[last];
	for (int64_t q = q0; q < q1; q++) {
		/* corners over the outer axes: offsets, and the weight per split */
		int64_t off[RESIZE_MAXC];
		float wsplit[RK_MAXRANK];
		int nc = 1, ns = 0;
		off[0] = 0;
		int64_t o_of[RK_MAXRANK], rem = q;
		for (int i = last - 1; i >= 0; i--) {
			o_of[i] = rem % d->odims[i];
			rem /= d->odims[i];
		}
		for (int i = 0; i < last; i++) {
			int64_t i0, i1;
			float w;
			resize_taps(tix, twt, d->taps[i], d->tab[i], o_of[i], &i0, &i1, &w);
			if (w == 0) {
				for (int c = 0; c < nc; c++)
					off[c] += i0 * ist[i];
			} else {
				/* split: the earlier axes stay the high bits */
				for (int c = nc - 1; c >= 0; c--) {
					off[2 * c + 1] = off[c] + i1 * ist[i];
					off[2 * c] = off[c] + i0 * ist[i];
				}
				nc *= 2;
				wsplit[ns++] = w;
			}
		}
		float *restrict yr = y + q * OW;
		if (ns <= 1) {
			/* at most one split outer axis (the image rows): the same
			 * arithmetic as below, without the corner loops (attention56's
			 * 256x56x56 upsample took 9 ms through them, now well under 1) */
			const float *restrict xa = x + off[0], *restrict xb = x + off[ns ? 1 : 0];
			const float w = ns ? wsplit[0] : 0.0f;
			if (lt == 2)
				for (int64_t ox = 0; ox < OW; ox++) {
					const int64_t j0 = tix[lb + 2 * ox], j1 = tix[lb + 2 * ox + 1];
					const float wl = twt[lb + 2 * ox + 1];
					/* every table index is inside the axis (lowering
					 * clamps them), so j1 is read even when wl is 0 */
					float v0 = xa[j0], v1 = xa[j1];
					if (ns) {
						v0 = (1 - w) * v0 + w * xb[j0];
						v1 = (1 - w) * v1 + w * xb[j1];
					}
					yr[ox] = wl != 0 ? (1 - wl) * v0 + wl * v1 : v0;
				}
			else
				for (int64_t ox = 0; ox < OW; ox++) {
					const int64_t j0 = lt == 1 ? tix[lb + ox] : ox;
					yr[ox] = ns ? (1 - w) * xa[j0] + w * xb[j0] : xa[j0];
				}
			continue;
		}
		for (int64_t ox = 0; ox < OW; ox++) {
			int64_t j0, j1;
			float wl;
			resize_taps(tix, twt, lt, lb, ox, &j0, &j1, &wl);
			float v0[RESIZE_MAXC], v1[RESIZE_MAXC];
			for (int c = 0; c < nc; c++) {
				v0[c] = x[off[c] + j0];
				v1[c] = wl != 0 ? x[off[c] + j1] : 0.0f;
			}
			/* interpolate along the split axes in order: the first is the
			 * highest bit of the corner index */
			int h = nc;
			for (int k = 0; k < ns; k++) {
				h /= 2;
				const float w = wsplit[k];
				for (int c = 0; c < h; c++) {
					v0[c] = (1 - w) * v0[c] + w * v0[c + h];
					v1[c] = (1 - w) * v1[c] + w * v1[c + h];
				}
			}
			yr[ox] = wl != 0 ? (1 - wl) * v0[0] + wl * v1[0] : v0[0];
		}
	}
}
