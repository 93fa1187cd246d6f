/*
 * conv.c - 2-D convolution, NCHW or NCHW16c activations, packed weights.
 *
 * The micro-kernel computes a tile of RK_R output pixels along one output
 * row times nb blocks of 16 output channels, in RK_R x nb x 16/RK_V vector
 * accumulators that stay in registers: for every input channel and kernel
 * tap it loads the nb x 16 weights of the tap (one contiguous vector block
 * per output block of the packed weights, [G][nob][Cg][KH][KW][16]),
 * broadcasts the RK_R input pixels the tap reads and does RK_R x nb x
 * 16/RK_V FMAs.  nb is 2 with AVX-512 (NBMAX; each broadcast then feeds two
 * FMAs, 28 accumulators), 1 with AVX2 (one block is already two vectors);
 * on small planes (rows of at most 8 pixels, rk_conv2d_q) 4 with AVX-512
 * in tiles of at most QR = 6 pixels.
 * The epilogue (bias as the accumulators' initial value, residual,
 * activation) is applied while the tile is written out transposed: nb x 16
 * output planes, RK_R contiguous floats each.
 *
 * Borders without tests: each task's rectangle of the output is split into
 * the interior columns [oxlo, oxhi), done in row tiles (RK_R pixels along a
 * row: every kx tap reads inside the row; the kernel rows ky that fall
 * outside are skipped for the whole tile), the border columns over the
 * interior rows [oylo, oyhi), done in column tiles (RK_R pixels down a
 * column, the same micro-kernel with a pixel stride of SH*W: every ky is
 * inside, the kx that fall outside are skipped), and the corners, one pixel
 * at a time with both ranges clipped.  So every tile has one tap range for
 * all its pixels and the same branch-free inner loop; a padded 7x7 plane is
 * still mostly full tiles.  Rows are cut into balanced tiles (56 = 6x6 +
 * 4x5, not 9x6 + 2) when their length is a constant of the descriptor, and
 * into RK_R tiles plus 8, 4, 2, 1 when it depends on the task (conv_run).  Every output value is the sum over its valid taps in
 * the same order (channel, ky, kx) whatever tile computed it, so results do
 * not depend on the tiling or the task split.
 *
 * 1x1 stride-1 unpadded convolutions arrive flattened (H = OH = 1, W = OW
 * = H*W of the tensor): a GEMM walked as one long row, RK_R pixels at a time.
 *
 * Input channels may be summed in chunks (desc icb, chosen by the lowering
 * when a task's input slab and weights would not fit in cache); partial
 * sums wait in y between chunks, which is exact in f32.
 *
 * Groups with few output channels (ResNeXt's early stages) leave most lanes
 * of a 16-channel block idle; convs the lower-grouped-conv pass marked
 * algo = "pixel" (stride 1 or 2 along rows) use pixel-vector tiles in their
 * interior rows instead (conv_pv_tile: vectors of consecutive output
 * pixels, scalar weights), with the same FMA order.
 *
 * Weights that are not constants (wpacked = 0) take a plain loop nest: slow,
 * but correct for any model.
 *
 * Blocked layouts (xblk, yblk: NCHW16c, passes/layout.c) change only
 * addresses: input channel ic is lane ic%16 of its block's plane and a pixel
 * is 16 floats (xch_off, XPS); in a blocked output the tile's accumulator
 * vectors are the output's vectors, stored as they are (blk_off) instead of
 * through the transposing buffer, with the residual and partial sums read
 * the same way.  The FMAs and their order do not change, so the blocked and
 * plain forms give the same values.
 */
#include "rk.h"

#define NV (RK_BLOCK / RK_V)
/* Output blocks per tile: two with AVX-512 (16 lanes, so one vector per
 * block and pixel: two blocks make every broadcast input value feed two FMAs
 * and fill 28 of the 32 zmm registers), one elsewhere (AVX2 already holds a
 * block in two vectors). */
#define NBMAX (RK_V == 16 ? 2 : 1)
/* Four blocks per tile for small planes (rk_conv2d_q, AVX-512): a 7x7
 * plane's rows give tiles of at most 5-7 pixels, which with two blocks fill
 * 10-14 of the 28 accumulators and load two weight vectors per 5-7
 * broadcasts.  Four blocks of at most QR pixels: 24 accumulators, four
 * weight vectors, a broadcast register (29 of 32 zmm). */
#define NBQ (RK_V == 16 ? 4 : NBMAX)
#define QR (RK_V == 16 ? 6 : RK_R)
#define UNROLL _Pragma("GCC unroll 16")
/* The tap loops must stay loops: unrolled, LLVM keeps input values loaded
 * for one tap in registers for the next (pixel r at tap kx+1 is pixel r+1 at
 * tap kx), which spills the accumulators. */
#define NO_UNROLL _Pragma("GCC unroll 1")
#define ALWAYS_INLINE inline __attribute__((always_inline))

static inline float
act_apply(float v, int64_t act, float lo, float hi)
{
	if (act == RK_ACT_RELU)
		return v < 0.0f ? 0.0f : v;
	if (act == RK_ACT_CLIP)
		return v < lo ? lo : v > hi ? hi : v;
	return v;
}


/* The epilogue of a pixel-vector tile's accumulator r: the residual at
 * ro + off (read only when the descriptor has one: a test of the pointer
 * itself made LLVM emit masked loads, which on AMD take a microcode assist
 * when it is null) and the activation. */
static ALWAYS_INLINE rk_vf
epi_vec(const rk_conv_desc *restrict d, rk_vf r, const float *ro, int64_t off, float lo,
        float hi)
{
	if (d->has_res)
		r += rk_load(ro + off);
	return rk_act_vec(r, d->act, lo, hi);
}

/*
 * A pre-activation conv's second result (has_post; ptrs [5..7], rk.h):
 * z = post_act(y*s + t) for output channels [m0, m1) of image n over rows
 * [y0, y1) x columns [x0, x1), which the calling task has just finished
 * writing to y, so it reads them back from cache.  One loop for all five
 * tile kinds (partial sums go through y, so the tiles' registers do not
 * hold final sums everywhere).  Measured slower than a separate
 * scale_shift on resnetv2_50 at one thread (docs/passes.md, fuse-preact),
 * which is why only the opt-in pass makes such convs.
 */
static ALWAYS_INLINE void
conv_post(const rk_conv_desc *restrict d, void *const *ptrs, int64_t n, int64_t m0, int64_t m1,
          int64_t y0, int64_t y1, int64_t x0, int64_t x1)
{
	const float *restrict y = ptrs[4], *restrict s = ptrs[5], *restrict t = ptrs[6];
	float *restrict z = ptrs[7];
	const float lo = rk_bitsf32(d->post_lo), hi = rk_bitsf32(d->post_hi);
	const int64_t plane = d->OH * d->OW;
	for (int64_t m = m0; m < m1; m++) {
		const float k = s[m], b = d->has_post_shift ? t[m] : 0.0f;
		const rk_vf kv = rk_splat(k), bv = rk_splat(b);
		for (int64_t oy = y0; oy < y1; oy++) {
			const int64_t o = (n * d->M + m) * plane + oy * d->OW;
			/* whole vectors, then the rest */
			int64_t ox = x0;
			for (; ox + RK_V <= x1; ox += RK_V)
				rk_store(z + o + ox, rk_act_vec(rk_load(y + o + ox) * kv + bv, d->post_act, lo, hi));
			for (; ox < x1; ox++)
				z[o + ox] = act_apply(y[o + ox] * k + b, d->post_act, lo, hi);
		}
	}
}

/*
 * A conv's row sums (has_rows; ptrs [5], rk.h): z[n][m][r] = the sum of row
 * r (row_w pixels) of output plane m, for channels [m0, m1) of image n and
 * the whole rows among plane pixels [p0, p1), which the calling task has
 * just written to y (the lowering gives every task whole rows).  In f32,
 * in partial sums added up at the end of the row: in NCHW16c a block's 16
 * channels at once (lane = channel) in four sums of every fourth pixel, in
 * NCHW in 2 x RK_V lanes of pixels.  The order depends only on the layout,
 * never on the task split.  For the
 * squeeze of an SE gate (passes/fuse_se_mean.c): the pool's pass over y
 * becomes this read of what the task has just written, still in cache.
 */
static ALWAYS_INLINE void
conv_rows(const rk_conv_desc *restrict d, void *const *ptrs, int64_t n, int64_t m0, int64_t m1,
          int64_t p0, int64_t p1)
{
	const float *restrict y = ptrs[4];
	float *restrict z = ptrs[5];
	const int64_t plane = d->OH * d->OW, rw = d->row_w, R = plane / rw;
	const int64_t r0 = p0 / rw, r1 = p1 / rw;
	if (d->yblk) {
		for (int64_t m = m0; m < m1; m += RK_BLOCK) {
			const float *yb = y + (n * d->M + m) * plane;
			for (int64_t r = r0; r < r1; r++) {
				/* four partial sums (pixels p mod 4): four chains of
				 * dependent adds instead of one */
				rk_vf acc[4][NV];
				UNROLL for (int q = 0; q < 4; q++)
					UNROLL for (int k = 0; k < NV; k++)
						acc[q][k] = rk_splat(0.0f);
				const float *yr = yb + r * rw * RK_BLOCK;
				int64_t p = 0;
				for (; p + 4 <= rw; p += 4)
					UNROLL for (int q = 0; q < 4; q++)
						UNROLL for (int k = 0; k < NV; k++)
							acc[q][k] += rk_load(yr + (p + q) * RK_BLOCK + k * RK_V);
				for (int q = 0; p < rw; p++, q++)
					UNROLL for (int k = 0; k < NV; k++)
						acc[q][k] += rk_load(yr + p * RK_BLOCK + k * RK_V);
				float t[RK_BLOCK] __attribute__((aligned(64)));
				UNROLL for (int k = 0; k < NV; k++)
					rk_store(t + k * RK_V, (acc[0][k] + acc[1][k]) + (acc[2][k] + acc[3][k]));
				for (int64_t j = 0; j < RK_BLOCK && m + j < m1; j++)
					z[(n * d->M + m + j) * R + r] = t[j];
			}
		}
		return;
	}
	for (int64_t m = m0; m < m1; m++) {
		const float *yp = y + (n * d->M + m) * plane;
		for (int64_t r = r0; r < r1; r++) {
			const float *yr = yp + r * rw;
			rk_vf acc[2] = {rk_splat(0.0f), rk_splat(0.0f)};
			int64_t p = 0;
			for (; p + 2 * RK_V <= rw; p += 2 * RK_V) {
				acc[0] += rk_load(yr + p);
				acc[1] += rk_load(yr + p + RK_V);
			}
			for (; p + RK_V <= rw; p += RK_V)
				acc[0] += rk_load(yr + p);
			float t[RK_V] __attribute__((aligned(64)));
			rk_store(t, acc[0] + acc[1]);
			float s = 0.0f;
			for (int k = 0; k < RK_V; k++)
				s += t[k];
			for (; p < rw; p++)
				s += yr[p];
			z[(n * d->M + m) * R + r] = s;
		}
	}
}

/* Offset of input channel ic (of the image and group) from xg: a plane
 * each in NCHW, its block's plane and its lane in NCHW16c. */
static ALWAYS_INLINE int64_t
xch_off(const rk_conv_desc *restrict d, int64_t ic, int64_t HW)
{
	return d->xblk ? (ic / RK_BLOCK) * HW * RK_BLOCK + ic % RK_BLOCK : ic * HW;
}

/* In a blocked output, offset of accumulator vector k of a pixel (lanes
 * k*RK_V.. of the tile's channels) from the tile's first block. */
static ALWAYS_INLINE int64_t
blk_off(int k, int64_t plane)
{
	return (int64_t)(k * RK_V / RK_BLOCK) * plane * RK_BLOCK + (k * RK_V) % RK_BLOCK;
}

/*
 * One tile: n pixels (a constant at every call site, <= RK_R) x one block of
 * 16 output channels, all with the same tap ranges [kylo, kyhi) x [kxlo,
 * kxhi).  Pixel r reads input offset xoff + r*ps (+ tap offsets) of each
 * channel plane and writes output offset r*ops from yo (ro for the
 * residual): a row tile has ps = SW, ops = 1; a column tile ps = SH*W,
 * ops = OW.  xg: input of the image and group; wb: packed weights of the
 * block; bv: bias vectors.
 */
static ALWAYS_INLINE void
conv_tile(const rk_conv_desc *restrict d, const float *restrict xg, const float *restrict wb,
          const rk_vf *bv, float *yo, const float *ro, int64_t mvalid,
          int64_t xoff, int64_t ps, int64_t ops, int64_t kylo, int64_t kyhi, int64_t kxlo,
          int64_t kxhi, int64_t c0, int64_t c1, const int n, const int nb)
{
	const int64_t W = d->W, HW = d->H * d->W, KW = d->KW, DW = d->DW, DH = d->DH;
	const int64_t wic = d->KH * KW * RK_BLOCK, plane = d->OH * d->OW;
	const int64_t wbs = d->Cg * wic; /* from one packed block to the next */
	const int nk = nb * NV;          /* accumulator vectors per pixel */
	/* blocked layouts: a pixel is RK_BLOCK floats apart, and yo/ro point
	 * at (block, pixel) with the next block a plane of blocks further */
	const int64_t XPS = d->xblk ? RK_BLOCK : 1, YPS = d->yblk ? RK_BLOCK : 1;
	float tmp[RK_R][NBQ * RK_BLOCK] __attribute__((aligned(64)));
	rk_vf acc[RK_R][NBQ * NV];
	/* the conditions below test the descriptor first: a constant in generated
	 * code, so each specialisation keeps only the branches its shape takes
	 * (half the code and compile time of a 3x3 conv) */
	if (d->icb >= d->Cg || (c0 == 0 && !(d->has_res && ro))) {
		UNROLL for (int r = 0; r < n; r++)
			UNROLL for (int k = 0; k < nk; k++)
				acc[r][k] = bv[k];
	} else if (d->yblk) {
		/* a chunk after the first continues from y; the first, with a
		 * residual, starts from bias + residual (as below) */
		const float *src = c0 == 0 ? ro : yo;
		UNROLL for (int r = 0; r < n; r++)
			UNROLL for (int k = 0; k < nk; k++)
				acc[r][k] = (c0 == 0 ? bv[k] : rk_splat(0.0f)) +
				            rk_load(src + blk_off(k, plane) + r * ops * RK_BLOCK);
	} else if (c0 == 0) {
		/* the first of several chunks, with a residual: it starts the sums
		 * (bias + residual), so that no element of the residual is read
		 * after its place in y holds a partial sum (y may be the
		 * residual's buffer: passes/plan_memory.c) */
		for (int64_t m = 0; m < nb * RK_BLOCK; m++)
			UNROLL for (int r = 0; r < n; r++)
				tmp[r][m] = m < mvalid ? ro[m * plane + r * ops] : 0.0f;
		UNROLL for (int r = 0; r < n; r++)
			UNROLL for (int k = 0; k < nk; k++)
				acc[r][k] = bv[k] + rk_load(&tmp[r][k * RK_V]);
	} else {
		/* a later chunk of input channels: continue from the partial sums */
		for (int64_t m = 0; m < nb * RK_BLOCK; m++)
			UNROLL for (int r = 0; r < n; r++)
				tmp[r][m] = m < mvalid ? yo[m * plane + r * ops] : 0.0f;
		UNROLL for (int r = 0; r < n; r++)
			UNROLL for (int k = 0; k < nk; k++)
				acc[r][k] = rk_load(&tmp[r][k * RK_V]);
	}

	if (d->KH == 1 && d->KW == 1) {
		/* one tap (1x1 convolutions): a plain loop over the channels; a
		 * padded border pixel may have none */
		if (kyhi == kylo || kxhi == kxlo)
			goto epilogue;
		const int64_t o = xoff + kylo * DH * W + kxlo * DW;
		const float *restrict xc = xg + c0 * HW + o;
		const float *restrict wc = wb + c0 * wic + (kylo * KW + kxlo) * RK_BLOCK;
		if (d->xblk) /* channel ic at its block's plane and lane */
			for (int64_t ic = c0; ic < c1; ic++, wc += wic) {
				const float *restrict xb = xg + xch_off(d, ic, HW) + o * RK_BLOCK;
				rk_vf w[NBQ * NV];
				UNROLL for (int q = 0; q < nb; q++)
					UNROLL for (int j = 0; j < NV; j++)
						w[q * NV + j] = rk_load(wc + q * wbs + j * RK_V);
				UNROLL for (int r = 0; r < n; r++) {
					const float v = xb[r * ps * RK_BLOCK];
					UNROLL for (int k = 0; k < nk; k++)
						acc[r][k] += w[k] * v;
				}
			}
		else if (ps == 1) /* contiguous pixels: constant offsets (what specialisation gives) */
			for (int64_t ic = c0; ic < c1; ic++, xc += HW, wc += wic) {
				rk_vf w[NBQ * NV];
				UNROLL for (int q = 0; q < nb; q++)
					UNROLL for (int j = 0; j < NV; j++)
						w[q * NV + j] = rk_load(wc + q * wbs + j * RK_V);
				UNROLL for (int r = 0; r < n; r++) {
					const float v = xc[r];
					UNROLL for (int k = 0; k < nk; k++)
						acc[r][k] += w[k] * v;
				}
			}
		else
			for (int64_t ic = c0; ic < c1; ic++, xc += HW, wc += wic) {
				rk_vf w[NBQ * NV];
				UNROLL for (int q = 0; q < nb; q++)
					UNROLL for (int j = 0; j < NV; j++)
						w[q * NV + j] = rk_load(wc + q * wbs + j * RK_V);
				UNROLL for (int r = 0; r < n; r++) {
					const float v = xc[r * ps];
					UNROLL for (int k = 0; k < nk; k++)
						acc[r][k] += w[k] * v;
				}
			}
	} else
	for (int64_t ic = c0; ic < c1; ic++) {
		const float *restrict xc = xg + xch_off(d, ic, HW);
		const float *restrict wc = wb + ic * wic;
		NO_UNROLL for (int64_t ky = kylo; ky < kyhi; ky++) {
			const int64_t roff = xoff + ky * DH * W;
			const float *restrict wk = wc + ky * KW * RK_BLOCK;
			NO_UNROLL for (int64_t kx = kxlo; kx < kxhi; kx++) {
				rk_vf w[NBQ * NV];
				UNROLL for (int q = 0; q < nb; q++)
					UNROLL for (int j = 0; j < NV; j++)
						w[q * NV + j] = rk_load(wk + q * wbs + kx * RK_BLOCK + j * RK_V);
				const int64_t o = roff + kx * DW;
				UNROLL for (int r = 0; r < n; r++) {
					const float v = xc[(o + r * ps) * XPS];
					UNROLL for (int k = 0; k < nk; k++)
						acc[r][k] += w[k] * v;
				}
			}
		}
	}

	/* epilogue: transpose through a small buffer into mvalid planes; the
	 * residual and activation only after the last chunk */
epilogue:;
	const int64_t act = c1 == d->Cg ? d->act : RK_ACT_NONE;
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	if (d->yblk) {
		/* blocked output: every accumulator is a vector of y as it is */
		UNROLL for (int r = 0; r < n; r++)
			UNROLL for (int k = 0; k < nk; k++) {
				const int64_t off = blk_off(k, plane) + r * ops * YPS;
				rk_vf a = acc[r][k];
				if (d->has_res && ro && d->icb >= d->Cg)
					a += rk_load(ro + off);
				rk_store(yo + off, rk_act_vec(a, act, lo, hi));
			}
		return;
	}
	UNROLL for (int r = 0; r < n; r++)
		UNROLL for (int k = 0; k < nk; k++)
			rk_store(&tmp[r][k * RK_V], acc[r][k]);
	if (d->has_res && ro && d->icb >= d->Cg) {
		for (int64_t m = 0; m < mvalid; m++) {
			float *yp = yo + m * plane;
			const float *rp = ro + m * plane;
			UNROLL for (int r = 0; r < n; r++)
				yp[r * ops] = act_apply(tmp[r][m] + rp[r * ops], act, lo, hi);
		}
	} else if (act != RK_ACT_NONE) {
		for (int64_t m = 0; m < mvalid; m++) {
			float *yp = yo + m * plane;
			UNROLL for (int r = 0; r < n; r++)
				yp[r * ops] = act_apply(tmp[r][m], act, lo, hi);
		}
	} else {
		for (int64_t m = 0; m < mvalid; m++) {
			float *yp = yo + m * plane;
			UNROLL for (int r = 0; r < n; r++)
				yp[r * ops] = tmp[r][m];
		}
	}
}

/* conv_tile with a run-time n in 1..RK_R (1..QR for four blocks) and nb in
 * 1, NBMAX, NBQ, dispatched to constants (cases over the limit are never
 * taken and compile to nothing). */
#define RK_TILE_MAXN(NB) ((NB) > NBMAX ? QR : RK_R)
#define RK_TILE_CASE(k, NB)                                                          \
	case k:                                                                         \
		if ((k) <= RK_TILE_MAXN(NB))                                                \
			conv_tile(d, xg, wb, bv, yo, ro, mvalid, xoff, ps, ops, kylo, kyhi,     \
			          kxlo, kxhi, c0, c1, (k) <= RK_TILE_MAXN(NB) ? (k) : 1, NB);    \
		break;
#define RK_TILE_SWITCH(NB)                                                           \
	switch (n) {                                                                    \
	RK_TILE_CASE(1, NB)                                                  \
	RK_TILE_CASE(2, NB)                                                  \
	RK_TILE_CASE(3, NB)                                                  \
	RK_TILE_CASE(4, NB)                                                  \
	RK_TILE_CASE(5, NB)                                                  \
	RK_TILE_CASE(6, NB)                                                  \
	RK_TILE_CASE(7, NB)                                                  \
	RK_TILE_CASE(8, NB)                                                  \
	RK_TILE_CASE(9, NB)                                                  \
	RK_TILE_CASE(10, NB)                                                 \
	RK_TILE_CASE(11, NB)                                                 \
	RK_TILE_CASE(12, NB)                                                 \
	RK_TILE_CASE(13, NB)                                                 \
	RK_TILE_CASE(14, NB)                                                 \
	RK_TILE_CASE(15, NB)                                                 \
	RK_TILE_CASE(16, NB)                                                 \
	default:                                                                        \
		break;                                                                      \
	}
#if RK_R > 16
#error "RK_R > 16 needs more cases"
#endif

static ALWAYS_INLINE void
conv_tile_n(const rk_conv_desc *restrict d, const float *restrict xg, const float *restrict wb,
            const rk_vf *bv, float *yo, const float *ro, int64_t mvalid,
            int64_t xoff, int64_t ps, int64_t ops, int64_t kylo, int64_t kyhi, int64_t kxlo,
            int64_t kxhi, int64_t c0, int64_t c1, int64_t n, int nb)
{
	if (NBQ > NBMAX && nb == NBQ)
		RK_TILE_SWITCH(NBQ)
	else if (NBMAX == 2 && nb == 2)
		RK_TILE_SWITCH(NBMAX)
	else
		RK_TILE_SWITCH(1)
}

/* One tile of a constant n pixels, either block count. */
static ALWAYS_INLINE void
conv_tile_nb(const rk_conv_desc *restrict d, const float *restrict xg, const float *restrict wb,
             const rk_vf *bv, float *yo, const float *ro, int64_t mvalid,
             int64_t xoff, int64_t ps, int64_t ops, int64_t kylo, int64_t kyhi, int64_t kxlo,
             int64_t kxhi, int64_t c0, int64_t c1, const int n, int nb)
{
	if (NBQ > NBMAX && nb == NBQ)
		conv_tile(d, xg, wb, bv, yo, ro, mvalid, xoff, ps, ops, kylo, kyhi, kxlo, kxhi, c0, c1,
		          n <= QR ? n : 1, NBQ);
	else if (NBMAX == 2 && nb == 2)
		conv_tile(d, xg, wb, bv, yo, ro, mvalid, xoff, ps, ops, kylo, kyhi, kxlo, kxhi, c0, c1, n,
		          NBMAX);
	else
		conv_tile(d, xg, wb, bv, yo, ro, mvalid, xoff, ps, ops, kylo, kyhi, kxlo, kxhi, c0, c1, n,
		          1);
}

/*
 * A run of len pixels with one tap range: output offset q, input offset xoff,
 * consecutive pixels ops apart in the output and ps in the input.  When len
 * is L (a constant of the descriptor: the run length of every task but the
 * first or last), balanced tiles of at most two sizes (56 = 4 x 14, 7 = 7);
 * otherwise RK_R-pixel tiles and the remainder in tiles of 8, 4, 2 and 1, so
 * a length known only at run time instantiates five tile sizes, not RK_R
 * (AVX-512: 14 sizes of a 28-accumulator tile were most of a model's code
 * and compile time).
 */
static ALWAYS_INLINE void
conv_run(const rk_conv_desc *restrict d, const float *restrict xg, const float *restrict wb,
         const rk_vf *bv, float *yb, const float *rb, int64_t mvalid, int64_t q,
         int64_t xoff, int64_t len, int64_t L, int64_t ps, int64_t ops, int64_t kylo, int64_t kyhi,
         int64_t kxlo, int64_t kxhi, int64_t c0, int64_t c1, int nb)
{
	const int64_t YPS = d->yblk ? RK_BLOCK : 1; /* q counts pixels */
	const int R = nb > NBMAX ? QR : RK_R;       /* the longest tile */
	if (len == L) {
		const int64_t nt = (L + R - 1) / R, base = nt ? L / nt : 0, extra = nt ? L % nt : 0;
		for (int64_t i = 0; i < nt; i++) {
			const int64_t nr = base + (i < extra);
			conv_tile_n(d, xg, wb, bv, yb + q * YPS, rb ? rb + q * YPS : 0, mvalid, xoff, ps, ops,
			            kylo, kyhi, kxlo, kxhi, c0, c1, nr, nb);
			q += nr * ops;
			xoff += nr * ps;
		}
		return;
	}
#define RK_RUN_TILE(k)                                                                           \
	do {                                                                                         \
		conv_tile_nb(d, xg, wb, bv, yb + q * YPS, rb ? rb + q * YPS : 0, mvalid, xoff, ps, ops, \
		             kylo, kyhi, kxlo, kxhi, c0, c1, k, nb);                                      \
		q += (k) * ops;                                                                          \
		xoff += (k) * ps;                                                                        \
	} while (0)
	/* R is a constant once nb is (every entry point fixes it) */
	for (; len >= R; len -= R)
		RK_RUN_TILE(R);
	/* len < R <= RK_R <= 16 */
	if (R > 8 && (len & 8))
		RK_RUN_TILE(R > 8 ? 8 : 1);
	if (R > 4 && (len & 4))
		RK_RUN_TILE(R > 4 ? 4 : 1);
	if (R > 2 && (len & 2))
		RK_RUN_TILE(R > 2 ? 2 : 1);
	if (len & 1)
		RK_RUN_TILE(1);
#undef RK_RUN_TILE
}

/* RK_V consecutive output pixels' inputs from p at row stride SW (1 or 2:
 * at 2 the even lanes of two loads, rk_load_even). */
static ALWAYS_INLINE rk_vf
pv_load(const float *p, int64_t SW)
{
	return SW == 2 ? rk_load_even(p) : rk_load(p);
}

/*
 * Pixel-vector tile, for groups of few output channels (algo "pixel") at
 * stride 1 or 2 along the row: nm output channels x nv vectors of RK_V
 * consecutive output pixels of one row, all inside the interior.  Per
 * channel and tap it loads nv input vectors (pv_load) and broadcasts nm
 * weights (scalars read from the packed block), so no lane is wasted on
 * channels the group does not have and the results go straight to the
 * output rows.  Same FMA order as conv_tile.
 * yo/ro: output/residual at (channel m0 of the block, oy, first pixel).
 */
static ALWAYS_INLINE void
conv_pv_tile(const rk_conv_desc *restrict d, const float *restrict xg, const float *restrict wb,
             const float *bias, float *yo, const float *ro, int64_t m0,
             int64_t xoff, int64_t kylo, int64_t kyhi, const int nm, const int nv)
{
	const int64_t W = d->W, HW = d->H * d->W, KH = d->KH, KW = d->KW, DW = d->DW, DH = d->DH;
	const int64_t plane = d->OH * d->OW;
	rk_vf acc[4][2];
	UNROLL for (int m = 0; m < nm; m++)
		UNROLL for (int v = 0; v < nv; v++)
			acc[m][v] = rk_splat(bias[m0 + m]);
	for (int64_t ic = 0; ic < d->Cg; ic++) {
		NO_UNROLL for (int64_t ky = kylo; ky < kyhi; ky++) {
			const float *restrict xr = xg + ic * HW + xoff + ky * DH * W;
			const float *restrict wk = wb + (ic * KH + ky) * KW * RK_BLOCK + m0;
			NO_UNROLL for (int64_t kx = 0; kx < KW; kx++) {
				rk_vf xv[2];
				UNROLL for (int v = 0; v < nv; v++)
					xv[v] = pv_load(xr + kx * DW + v * RK_V * d->SW, d->SW);
				UNROLL for (int m = 0; m < nm; m++) {
					const float w = wk[kx * RK_BLOCK + m];
					UNROLL for (int v = 0; v < nv; v++)
						acc[m][v] += xv[v] * w;
				}
			}
		}
	}
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	UNROLL for (int m = 0; m < nm; m++)
		UNROLL for (int v = 0; v < nv; v++)
			rk_store(yo + m * plane + v * RK_V,
			         epi_vec(d, acc[m][v], ro, m * plane + v * RK_V, lo, hi));
}

/* The pixel-vector tiles of an output row segment [a, a + w) of the
 * interior; returns the pixels done (a multiple of RK_V). */
static ALWAYS_INLINE int64_t
conv_pv_row(const rk_conv_desc *restrict d, const float *restrict xg, const float *restrict wb,
            const float *bias, float *yb, const float *rb, int64_t mvalid,
            int64_t oy, int64_t a, int64_t w, int64_t kylo, int64_t kyhi)
{
	int64_t done = 0;
	while (w - done >= RK_V) {
		const int two = w - done >= 2 * RK_V;
		const int64_t q = oy * d->OW + a + done;
		const int64_t xoff = (oy * d->SH - d->PT) * d->W + (a + done) * d->SW - d->PL;
		for (int64_t m0 = 0; m0 < mvalid; m0 += 4) {
			const int64_t nm = mvalid - m0 < 4 ? mvalid - m0 : 4;
			float *yo = yb + m0 * d->OH * d->OW + q;
			const float *ro = rb ? rb + m0 * d->OH * d->OW + q : 0;
#define RK_PV(NM)                                                                                  \
	if (two)                                                                                       \
		conv_pv_tile(d, xg, wb, bias, yo, ro, m0, xoff, kylo, kyhi, NM, 2);                         \
	else                                                                                           \
		conv_pv_tile(d, xg, wb, bias, yo, ro, m0, xoff, kylo, kyhi, NM, 1);
			switch (nm) {
			case 1: RK_PV(1) break;
			case 2: RK_PV(2) break;
			case 3: RK_PV(3) break;
			default: RK_PV(4) break;
			}
#undef RK_PV
		}
		done += (two ? 2 : 1) * RK_V;
	}
	return done;
}

/*
 * Flattened 1x1 convolutions in pixel vectors (rk_conv2d_flat_v, which the
 * lowering picks for planes of 128 pixels or more: the block tiles ran at
 * 60-90 % of peak there, these at 83-100 %; with 64 input channels the
 * block tiles' transposing epilogue weighed as much as a third of the
 * FMAs).  A tile is PXM
 * output channels x nv <= PXP vectors of RK_V consecutive pixels: per input
 * channel nv vector loads of the input row and PXM weights broadcast from
 * the packed block, and the accumulators are whole runs of output rows, so
 * the epilogue is vector loads and stores.  Same FMA order as conv_tile
 * (bias, then the input channels in order): results are bit-identical to
 * rk_conv2d_flat's.
 */
#if RK_V == 16
#define PXM 8 /* 24 accumulators + 3 input vectors of 32 zmm */
#else
#define PXM 4 /* 12 + 3 of 16 ymm (AVX2); NEON and SSE likewise */
#endif
#define PXP 3

static ALWAYS_INLINE void
flat_v_tile(const rk_conv_desc *restrict d, const float *restrict xs, const float *restrict wk,
            const float *restrict bias, float *yo, const float *ro, const int nv,
            int64_t skip)
{
	const int64_t HW = d->W; /* flat: the plane is one row */
	rk_vf acc[PXM][PXP];
	UNROLL for (int m = 0; m < PXM; m++)
		UNROLL for (int v = 0; v < nv; v++)
			acc[m][v] = rk_splat(d->has_bias ? bias[m] : 0.0f);
	for (int64_t ic = 0; ic < d->Cg; ic++) {
		rk_vf xv[PXP];
		UNROLL for (int v = 0; v < nv; v++)
			xv[v] = rk_load(xs + ic * HW + v * RK_V);
		UNROLL for (int m = 0; m < PXM; m++) {
			const float w = wk[ic * RK_BLOCK + m];
			UNROLL for (int v = 0; v < nv; v++)
				acc[m][v] += xv[v] * w;
		}
	}
	/* the epilogue in whole vectors (a scalar loop here, vectorised by
	 * LLVM, took a third of a model's code generation time) */
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	UNROLL for (int m = 0; m < PXM; m++)
		UNROLL for (int v = 0; v < nv; v++) {
			float *yp = yo + m * HW + v * RK_V;
			if (skip == 0) {
				rk_store(yp, epi_vec(d, acc[m][v], ro, m * HW + v * RK_V, lo, hi));
			} else {
				/* only the lanes from skip on are this tile's: the residual
				 * before them may be another task's output already (y can
				 * be the residual's buffer, passes/plan_memory.c) */
				float t[RK_V] __attribute__((aligned(64)));
				rk_vf a = acc[m][v];
				if (d->has_res) {
					for (int64_t i = 0; i < RK_V; i++)
						t[i] = i < skip ? 0.0f : ro[m * HW + i];
					a += rk_load(t);
				}
				rk_store(t, rk_act_vec(a, d->act, lo, hi));
				for (int64_t i = skip; i < RK_V; i++)
					yp[i] = t[i];
			}
		}
}

/* rk_conv2d_flat_v's tasks: the lowering guarantees a flat conv (H = OH =
 * 1) of at least RK_V pixels, packed weights and full blocks (Mg a
 * multiple of 16); it sums every input channel in one pass.  Per task,
 * pixel tiles outermost so that the tile's
 * input (Cg x PXP vectors) stays in cache while every block of the task is
 * computed from it.  Tiles of PXP vectors, then of one; the last r < RK_V
 * pixels are the last lanes of a vector that ends at the task's end (it
 * reads pixels before the task, which is harmless, and stores only its r
 * lanes), so there are only two tile shapes to compile. */
static ALWAYS_INLINE void
conv_flat_v(const rk_conv_desc *restrict d, void *const *ptrs, int64_t t0, int64_t t1)
{
	const float *x = ptrs[0], *w = ptrs[1], *b = ptrs[2], *res = ptrs[3];
	float *y = ptrs[4];
	const int64_t HW = d->W, wblock = d->Cg * RK_BLOCK;
	for (int64_t t = t0; t < t1; t++) {
		int64_t q = t;
		const int64_t tx = q % d->ntx;
		q /= d->ntx;
		const int64_t tob = q % d->ntob;
		q /= d->ntob;
		const int64_t g = q % d->G, n = q / d->G;
		const int64_t ob0 = tob * d->tob_sz, ob1 = rk_min64(d->nob, ob0 + d->tob_sz);
		const int64_t x0 = tx * d->tx_sz, x1 = rk_min64(d->OW, x0 + d->tx_sz);
		const float *xg = x + (n * d->C + g * d->Cg) * HW;
		const int64_t c0 = (n * d->M + g * d->Mg) * HW; /* the group's first output plane */
		for (int64_t p = x0; p < x1;) {
			const int three = x1 - p >= PXP * RK_V;
			/* a tile of one vector that would run past x1 starts RK_V
			 * pixels before it and skips its first lanes */
			const int64_t skip = three || x1 - p >= RK_V ? 0 : RK_V - (x1 - p);
			const int64_t a = p - skip;
			for (int64_t ob = ob0; ob < ob1; ob++)
				for (int64_t m0 = 0; m0 < RK_BLOCK; m0 += PXM) {
					const int64_t oc = ob * RK_BLOCK + m0; /* within the group */
					const float *wk = w + (g * d->nob + ob) * wblock + m0;
					const float *bias = b ? b + g * d->Mg + oc : 0;
					float *yo = y + c0 + oc * HW + a;
					const float *ro = res ? res + c0 + oc * HW + a : 0;
					if (three)
						flat_v_tile(d, xg + a, wk, bias, yo, ro, PXP, 0);
					else
						flat_v_tile(d, xg + a, wk, bias, yo, ro, 1, skip);
				}
			p = a + (three ? PXP : 1) * RK_V;
		}
		if (d->has_post)
			conv_post(d, ptrs, n, g * d->Mg + ob0 * RK_BLOCK,
			          g * d->Mg + rk_min64(d->Mg, ob1 * RK_BLOCK), 0, 1, x0, x1);
		if (d->has_rows)
			conv_rows(d, ptrs, n, g * d->Mg + ob0 * RK_BLOCK,
			          g * d->Mg + rk_min64(d->Mg, ob1 * RK_BLOCK), x0, x1);
	}
}

/* Plain weights [M][Cg][KH][KW]: one output element at a time. */
static void
conv_generic(const rk_conv_desc *d, void *const *ptrs, int64_t t0, int64_t t1)
{
	const float *x = ptrs[0], *w = ptrs[1], *b = ptrs[2], *res = ptrs[3];
	float *y = ptrs[4];
	const int64_t plane = d->OH * d->OW, HW = d->H * d->W;
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	for (int64_t t = t0; t < t1; t++) {
		int64_t q = t;
		const int64_t tx = q % d->ntx;
		q /= d->ntx;
		const int64_t ty = q % d->nty;
		q /= d->nty;
		const int64_t tob = q % d->ntob;
		q /= d->ntob;
		const int64_t g = q % d->G, n = q / d->G;
		const int64_t m0 = tob * d->tob_sz * RK_BLOCK, m1 = rk_min64(d->Mg, m0 + d->tob_sz * RK_BLOCK);
		const int64_t y0 = ty * d->ty_sz, y1 = rk_min64(d->OH, y0 + d->ty_sz);
		const int64_t x0 = tx * d->tx_sz, x1 = rk_min64(d->OW, x0 + d->tx_sz);
		const float *xg = x + (n * d->C + g * d->Cg) * HW;
		for (int64_t m = m0; m < m1; m++) {
			const int64_t oc = g * d->Mg + m;
			const float *wm = w + oc * d->Cg * d->KH * d->KW;
			for (int64_t oy = y0; oy < y1; oy++)
				for (int64_t ox = x0; ox < x1; ox++) {
					float s = b ? b[oc] : 0.0f;
					for (int64_t ic = 0; ic < d->Cg; ic++)
						for (int64_t ky = 0; ky < d->KH; ky++) {
							const int64_t iy = oy * d->SH - d->PT + ky * d->DH;
							if (iy < 0 || iy >= d->H)
								continue;
							for (int64_t kx = 0; kx < d->KW; kx++) {
								const int64_t ix = ox * d->SW - d->PL + kx * d->DW;
								if (ix < 0 || ix >= d->W)
									continue;
								s += xg[ic * HW + iy * d->W + ix] *
								     wm[(ic * d->KH + ky) * d->KW + kx];
							}
						}
					const int64_t yi = (n * d->M + oc) * plane + oy * d->OW + ox;
					if (res)
						s += res[yi];
					y[yi] = act_apply(s, d->act, lo, hi);
				}
		}
		if (d->has_post)
			conv_post(d, ptrs, n, g * d->Mg + m0, g * d->Mg + m1, y0, y1, x0, x1);
		if (d->has_rows && y1 > y0)
			conv_rows(d, ptrs, n, g * d->Mg + m0, g * d->Mg + m1, y0 * d->OW + x0,
			          (y1 - 1) * d->OW + x1);
	}
}

static ALWAYS_INLINE void
conv_body(const rk_conv_desc *restrict d, void *const *ptrs, int64_t t0, int64_t t1,
          const int mode)
{
	if (!d->wpacked) {
		conv_generic(d, ptrs, t0, t1);
		return;
	}
	const float *x = ptrs[0], *w = ptrs[1], *b = ptrs[2], *res = ptrs[3];
	float *y = ptrs[4];
	const int64_t plane = d->OH * d->OW, HW = d->H * d->W;
	const int64_t wblock = d->Cg * d->KH * d->KW * RK_BLOCK;

	for (int64_t t = t0; t < t1; t++) {
		int64_t q = t;
		const int64_t tx = q % d->ntx;
		q /= d->ntx;
		const int64_t ty = q % d->nty;
		q /= d->nty;
		const int64_t tob = q % d->ntob;
		q /= d->ntob;
		const int64_t g = q % d->G, n = q / d->G;
		const int64_t ob0 = tob * d->tob_sz, ob1 = rk_min64(d->nob, ob0 + d->tob_sz);
		const int64_t y0 = ty * d->ty_sz, y1 = rk_min64(d->OH, y0 + d->ty_sz);
		const int64_t x0 = tx * d->tx_sz, x1 = rk_min64(d->OW, x0 + d->tx_sz);
		const float *xg = x + (n * d->C + g * d->Cg) * HW;

		/* the task's rectangle: interior columns, border columns, corners */
		const int64_t cx0 = rk_max64(x0, d->oxlo), cx1 = rk_max64(cx0, rk_min64(x1, d->oxhi));
		const int64_t ry0 = rk_max64(y0, d->oylo), ry1 = rk_max64(ry0, rk_min64(y1, d->oyhi));
		/* the task's output blocks, nb at a time: mode 0 one, 1 NBMAX (the
		 * _p entry points, which the lowering picks only for an even nob
		 * and tasks of pairs), 2 NBQ (_q: nob and the tasks' blocks
		 * multiples of four) */
		for (int64_t ob = ob0, obn; ob < ob1; ob = obn) {
			const int nb = mode == 2 ? NBQ : mode ? NBMAX : 1;
			obn = ob + nb;
			const int64_t mvalid = rk_min64(nb * RK_BLOCK, d->Mg - ob * RK_BLOCK);
			const int64_t oc0 = g * d->Mg + ob * RK_BLOCK;
			float bias[NBQ * RK_BLOCK] __attribute__((aligned(64))) = {0};
			if (b)
				for (int64_t m = 0; m < mvalid; m++)
					bias[m] = b[oc0 + m];
			rk_vf bv[NBQ * NV];
			for (int k = 0; k < nb * NV; k++)
				bv[k] = rk_load(bias + k * RK_V);
			const float *wb = w + (g * d->nob + ob) * wblock;
			float *yb = y + (n * d->M + oc0) * plane;
			const float *rb = res ? res + (n * d->M + oc0) * plane : 0;

			/* input channels in chunks that keep the task's working set in cache */
			for (int64_t c0 = 0; c0 < d->Cg; c0 += d->icb) {
			const int64_t c1 = rk_min64(d->Cg, c0 + d->icb);

			/* interior columns: row tiles, every kx inside, ky clipped per row */
			const int64_t wd = cx1 - cx0;
			const int64_t wfull = rk_min64(d->tx_sz, d->oxhi - d->oxlo);
			for (int64_t oy = y0; oy < y1 && wd > 0; oy++) {
				int64_t kylo, kyhi;
				rk_tap_range(oy, d->SH, d->PT, d->DH, d->KH, d->H, &kylo, &kyhi);
				int64_t a = cx0;
				if (!mode && d->pv) {
					/* few channels per group: pixel vectors first, the rest in row tiles */
					a += conv_pv_row(d, xg, wb, bias, yb, rb, mvalid, oy, a, wd, kylo, kyhi);
					const int64_t wr = cx1 - a, ntr = (wr + RK_R - 1) / RK_R;
					const int64_t br = ntr ? wr / ntr : 0, er = ntr ? wr % ntr : 0;
					for (int64_t i = 0; i < ntr; i++) {
						const int64_t nr = br + (i < er);
						const int64_t q = oy * d->OW + a;
						const int64_t xoff = (oy * d->SH - d->PT) * d->W + a * d->SW - d->PL;
						/* nb is 1 here: pixel-vector groups have <= 10 channels */
						conv_tile_n(d, xg, wb, bv, yb + q, rb ? rb + q : 0, mvalid, xoff, d->SW, 1,
						            kylo, kyhi, 0, d->KW, c0, c1, nr, 1);
						a += nr;
					}
					continue;
				}
				conv_run(d, xg, wb, bv, yb, rb, mvalid, oy * d->OW + a,
				         (oy * d->SH - d->PT) * d->W + a * d->SW - d->PL, wd, wfull, d->SW, 1,
				         kylo, kyhi, 0, d->KW, c0, c1, nb);
			}

			/* border columns: column tiles over the interior rows, kx clipped */
			const int64_t hd = ry1 - ry0;
			for (int64_t ox = x0; ox < x1; ox++) {
				if (ox == cx0 && cx1 > cx0)
					ox = cx1;
				if (ox >= x1)
					break;
				int64_t kxlo, kxhi;
				rk_tap_range(ox, d->SW, d->PL, d->DW, d->KW, d->W, &kxlo, &kxhi);
				/* L = -1: RK_R tiles and 8, 4, 2, 1 only (a border column is
				 * a small part of the work; the balanced sizes' 16-way
				 * dispatch here doubled the kernel's build time) */
				if (hd > 0)
					conv_run(d, xg, wb, bv, yb, rb, mvalid, ry0 * d->OW + ox,
					         (ry0 * d->SH - d->PT) * d->W + ox * d->SW - d->PL, hd, -1,
					         d->SH * d->W, d->OW, 0, d->KH, kxlo, kxhi, c0, c1, nb);
				/* corners: border rows of a border column, one pixel each */
				for (int64_t oy = y0; oy < y1; oy++) {
					if (oy == ry0 && ry1 > ry0)
						oy = ry1;
					if (oy >= y1)
						break;
					int64_t kylo, kyhi;
					rk_tap_range(oy, d->SH, d->PT, d->DH, d->KH, d->H, &kylo, &kyhi);
					const int64_t q = (oy * d->OW + ox) * (d->yblk ? RK_BLOCK : 1);
					const int64_t xoff = (oy * d->SH - d->PT) * d->W + ox * d->SW - d->PL;
					conv_tile_nb(d, xg, wb, bv, yb + q, rb ? rb + q : 0, mvalid, xoff, 1, 1, kylo,
					             kyhi, kxlo, kxhi, c0, c1, 1, nb);
				}
			}
			} /* chunks */
		}
		if (d->has_post)
			conv_post(d, ptrs, n, g * d->Mg + ob0 * RK_BLOCK,
			          g * d->Mg + rk_min64(d->Mg, ob1 * RK_BLOCK), y0, y1, x0, x1);
		if (d->has_rows && y1 > y0)
			conv_rows(d, ptrs, n, g * d->Mg + ob0 * RK_BLOCK,
			          g * d->Mg + rk_min64(d->Mg, ob1 * RK_BLOCK), y0 * d->OW + x0,
			          (y1 - 1) * d->OW + x1);
	}
}

/*
 * The entry points.  Each is the same body with some choices fixed, so that
 * the kernel's bitcode holds four smaller functions instead of one with every
 * tile variant (with AVX-512's two-block tiles, one function took clang three
 * minutes to compile and LLVM's inliner 40 % of a model's compile time):
 *
 *   rk_conv2d         one output block per tile
 *   rk_conv2d_p       NBMAX blocks per tile: nob even (lower.c)
 *   rk_conv2d_q       NBQ blocks per tile, at most QR pixels: small planes
 *                     (7x7), nob a multiple of four (lower.c)
 *   rk_conv2d_flat    flattened 1x1 convolutions (the lowering's "flat" case:
 *                     one long row, no padding, stride 1; most of a bottleneck
 *                     network's convs), on a copy of the descriptor whose shape
 *                     fields are pinned to what flat implies, so the function
 *                     lacks the border columns, corners, tap loops and pixel
 *                     vectors
 *   rk_conv2d_flat_p  both
 *   rk_conv2d_flat_v  flattened 1x1 convolutions of large planes, in pixel
 *                     vectors (flat_v_tile)
 */
void
rk_conv2d(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	conv_body(desc, ptrs, t0, t1, 0);
}

void
rk_conv2d_p(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	conv_body(desc, ptrs, t0, t1, 1);
}

void
rk_conv2d_q(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	conv_body(desc, ptrs, t0, t1, 2);
}

/* A copy of a flat conv's descriptor with the fields that flat implies
 * pinned to constants (the kernel is specialised on them). */
static ALWAYS_INLINE rk_conv_desc
flat_desc(const void *desc)
{
	rk_conv_desc f = *(const rk_conv_desc *)desc;
	f.H = f.OH = 1;
	f.KH = f.KW = f.SH = f.SW = f.DH = f.DW = 1;
	f.PT = f.PL = 0;
	f.oylo = 0;
	f.oyhi = 1;
	f.oxlo = 0;
	f.oxhi = f.OW;
	f.ty_sz = f.nty = 1;
	f.pv = 0;
	f.wpacked = 1;
	return f;
}

static ALWAYS_INLINE void
conv_flat(const void *desc, void *const *ptrs, int64_t t0, int64_t t1, const int mode)
{
	rk_conv_desc f = flat_desc(desc);
	conv_body(&f, ptrs, t0, t1, mode);
}

void
rk_conv2d_flat(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	conv_flat(desc, ptrs, t0, t1, 0);
}

void
rk_conv2d_flat_p(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	conv_flat(desc, ptrs, t0, t1, 1);
}

void
rk_conv2d_flat_v(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	rk_conv_desc f = flat_desc(desc);
	conv_flat_v(&f, ptrs, t0, t1);
}
