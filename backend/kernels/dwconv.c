/*
 * dwconv.c - depthwise 2-D convolution (group = C = M) on NCHW16c values.
 *
 * A depthwise conv has one input channel per output channel, so conv.c's
 * channel-block tiles, which sum over input channels with 16 output
 * channels to a vector, fill one lane of sixteen.  In the blocked layout
 * (passes/layout.c) a vector holds 16 channels of one pixel (16/RK_V vectors
 * per pixel), and so does the weight of a tap (packed [C/16][KH][KW][16] by
 * the lowering): a tile is up to RK_R output pixels along a row, and per tap
 * it does one weight load and, per pixel and vector, one input load and one
 * FMA, every lane useful at any stride or dilation.  On MobileNetV2's shapes
 * that is 1.4-6 times the speed of conv.c's best form (docs/passes.md; the
 * most on small planes, where conv.c's pixel vectors do not fit).  Depthwise
 * convs on NCHW values take conv.c's pixel vectors instead: a plain form of
 * this kernel (vectors of pixels of a row, a broadcast weight per tap)
 * measured no faster than those, and slower on planes narrower than a few
 * vectors, where the pixels outside whole vectors go one lane at a time.
 *
 * Borders as in conv.c, without tests in the inner loop: per output row the
 * kernel rows that fall outside are skipped for the whole row (tap_range),
 * the interior columns [oxlo, oxhi) use every kernel column, and each border
 * column is done alone with its columns clipped.  Each output is bias, then
 * the products of its valid taps in (ky, kx) order, then the residual, then
 * the activation, whichever tile computes it; tasks own whole rows of whole
 * blocks, so results do not depend on the task split.  The residual of an
 * element is read right before the element is written, by the same task (y
 * may be the residual's buffer: passes/plan_memory.c).
 */
#include "rk.h"

#define NV (RK_BLOCK / RK_V)
#define UNROLL _Pragma("GCC unroll 16")
#define NO_UNROLL _Pragma("GCC unroll 1")
#define ALWAYS_INLINE inline __attribute__((always_inline))

/*
 * n pixels (a constant, <= RK_R) of one output row of one block, from
 * output column ox, all with taps [kylo, kyhi) x [kxlo, kxhi).  xb, wb, yb,
 * rb: the block's input plane, packed weights, output and residual planes
 * (pixels of 16 floats).
 */
static ALWAYS_INLINE void
dw_blk_tile(const rk_dwconv_desc *restrict d, const float *restrict xb, const float *restrict wb,
            const rk_vf *bv, float *yb, const float *rb, int64_t oy, int64_t ox, int64_t kylo,
            int64_t kyhi, int64_t kxlo, int64_t kxhi, const int n)
{
	const int64_t W = d->W, KW = d->KW, SW = d->SW, DW = d->DW;
	rk_vf acc[RK_R][NV];
	UNROLL for (int r = 0; r < n; r++)
		UNROLL for (int j = 0; j < NV; j++)
			acc[r][j] = bv[j];
	const int64_t ix0 = ox * SW - d->PL;
	NO_UNROLL for (int64_t ky = kylo; ky < kyhi; ky++) {
		/* offsets in integers first: at a border, the row's offset for
		 * tap 0 lies before the plane */
		const int64_t xo = (oy * d->SH - d->PT + ky * d->DH) * W + ix0;
		const float *restrict wk = wb + ky * KW * RK_BLOCK;
		NO_UNROLL for (int64_t kx = kxlo; kx < kxhi; kx++) {
			rk_vf w[NV];
			UNROLL for (int j = 0; j < NV; j++)
				w[j] = rk_load(wk + kx * RK_BLOCK + j * RK_V);
			const float *restrict xp = xb + (xo + kx * DW) * RK_BLOCK;
			UNROLL for (int r = 0; r < n; r++)
				UNROLL for (int j = 0; j < NV; j++)
					acc[r][j] += rk_load(xp + r * SW * RK_BLOCK + j * RK_V) * w[j];
		}
	}
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	const int64_t o = (oy * d->OW + ox) * RK_BLOCK;
	UNROLL for (int r = 0; r < n; r++)
		UNROLL for (int j = 0; j < NV; j++) {
			const int64_t off = o + r * RK_BLOCK + j * RK_V;
			rk_vf a = acc[r][j];
			if (d->has_res)
				a += rk_load(rb + off);
			rk_store(yb + off, rk_act_vec(a, d->act, lo, hi));
		}
}

/* A run of len interior pixels: RK_R-pixel tiles, then 8, 4, 2, 1 (five
 * tile sizes to compile, not RK_R). */
static ALWAYS_INLINE void
dw_blk_run(const rk_dwconv_desc *restrict d, const float *restrict xb, const float *restrict wb,
           const rk_vf *bv, float *yb, const float *rb, int64_t oy, int64_t ox, int64_t len,
           int64_t kylo, int64_t kyhi)
{
#define RK_DW_TILE(k)                                                                       \
	do {                                                                                    \
		dw_blk_tile(d, xb, wb, bv, yb, rb, oy, ox, kylo, kyhi, 0, d->KW, k);              \
		ox += (k);                                                                          \
	} while (0)
	for (; len >= RK_R; len -= RK_R)
		RK_DW_TILE(RK_R);
	if (RK_R > 8 && (len & 8))
		RK_DW_TILE(RK_R > 8 ? 8 : 1);
	if (RK_R > 4 && (len & 4))
		RK_DW_TILE(RK_R > 4 ? 4 : 1);
	if (RK_R > 2 && (len & 2))
		RK_DW_TILE(RK_R > 2 ? 2 : 1);
	if (len & 1)
		RK_DW_TILE(1);
#undef RK_DW_TILE
}

static void
dw_blocked(const rk_dwconv_desc *restrict d, void *const *ptrs, int64_t t0, int64_t t1)
{
	const float *x = ptrs[0], *w = ptrs[1], *b = ptrs[2], *res = ptrs[3];
	float *y = ptrs[4];
	const int64_t nblk = d->C / RK_BLOCK, HW = d->H * d->W, plane = d->OH * d->OW;
	const int64_t taps = d->KH * d->KW;
	for (int64_t t = t0; t < t1; t++) {
		const int64_t ty = t % d->nty, cb = t / d->nty % d->ncb, n = t / d->nty / d->ncb;
		const int64_t k0 = cb * d->cb_sz, k1 = rk_min64(nblk, k0 + d->cb_sz);
		const int64_t y0 = ty * d->ty_sz, y1 = rk_min64(d->OH, y0 + d->ty_sz);
		for (int64_t k = k0; k < k1; k++) {
			const float *xb = x + (n * nblk + k) * HW * RK_BLOCK;
			const float *wb = w + k * taps * RK_BLOCK;
			float *yb = y + (n * nblk + k) * plane * RK_BLOCK;
			const float *rb = res ? res + (n * nblk + k) * plane * RK_BLOCK : 0;
			rk_vf bv[NV];
			UNROLL for (int j = 0; j < NV; j++)
				bv[j] = d->has_bias ? rk_load(b + k * RK_BLOCK + j * RK_V) : rk_splat(0.0f);
			for (int64_t oy = y0; oy < y1; oy++) {
				int64_t kylo, kyhi;
				rk_tap_range(oy, d->SH, d->PT, d->DH, d->KH, d->H, &kylo, &kyhi);
				if (d->oxhi > d->oxlo)
					dw_blk_run(d, xb, wb, bv, yb, rb, oy, d->oxlo, d->oxhi - d->oxlo, kylo, kyhi);
				/* border columns, one pixel each */
				for (int64_t ox = 0; ox < d->OW; ox++) {
					if (ox == d->oxlo && d->oxhi > d->oxlo)
						ox = d->oxhi;
					if (ox >= d->OW)
						break;
					int64_t kxlo, kxhi;
					rk_tap_range(ox, d->SW, d->PL, d->DW, d->KW, d->W, &kxlo, &kxhi);
					dw_blk_tile(d, xb, wb, bv, yb, rb, oy, ox, kylo, kyhi, kxlo, kxhi, 1);
				}
			}
		}
	}
}

void
rk_dwconv2d(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	dw_blocked(desc, ptrs, t0, t1);
}
