/*
 * rk.h - the resc kernels: descriptors, entry points, vector configuration.
 *
 * Every kernel has the signature of be_lower.h:
 *
 *     void rk_NAME(const void *desc, void *const *ptrs, int64_t t0, int64_t t1);
 *
 * desc points to the kernel's descriptor struct below, made of int64_t only
 * (floats as bit patterns, rk_f32bits), so that the code generator can emit
 * it as an [n x i64] constant and LLVM can specialise the kernel on it.
 * Every shape, stride and attribute comes from the descriptor.  ptrs lists
 * the buffers in the order each descriptor's comment gives (inputs first,
 * then results; NULL for an absent optional buffer).  [t0, t1) is a
 * sub-range of [0, ntasks): a call writes exactly the part of the results
 * that those tasks own, so disjoint ranges may run concurrently in any
 * order, and the value of every result element does not depend on how the
 * range was split (results are bit-identical for any split).
 *
 * The sources are plain C11 with GCC/Clang vector extensions and builtins
 * only: no intrinsics headers, no libc headers (they are compiled
 * freestanding, also for targets whose C library headers are absent), no
 * globals, no allocation, nothing but __builtin_memcpy/memset and
 * __builtin math functions (which become libm calls: link with -lm).
 * Buffers need only their element alignment; packed constants are
 * 64-byte aligned in generated code but the kernels never rely on it.
 *
 * The same sources are compiled natively (resc_kernels_native, for tests)
 * and to LLVM bitcode per vector flavour (embedded in resc).
 */
#ifndef RESC_RK_H
#define RESC_RK_H

#include <stddef.h>
#include <stdint.h>

/* ---- vector configuration ---------------------------------------------- */

/* RK_V: f32 lanes of the target's vectors (RK_FORCE_V overrides, for tests). */
#if defined(RK_FORCE_V)
#define RK_V RK_FORCE_V
#elif defined(__AVX512F__)
#define RK_V 16
#elif defined(__AVX__)
#define RK_V 8
#else /* NEON, SSE, generic: 128-bit */
#define RK_V 4
#endif

/*
 * Convolution and gemm micro-kernels accumulate an RK_R x 16 tile (RK_R
 * output pixels or rows, 16 output channels or columns) in registers: 16/RK_V
 * vectors per pixel.  RK_R fills the register file: with AVX-512 the conv
 * kernel takes two such blocks per tile (28 of 32 zmm, conv.c NBMAX), 12 of
 * 16 ymm with AVX2 (2 for weights, 1 broadcast), 24 of 32 q registers with
 * NEON, 12 of 16 xmm with SSE.
 */
#if defined(RK_FORCE_R)
#define RK_R RK_FORCE_R
#elif RK_V == 16
#define RK_R 14
#elif RK_V == 8
#define RK_R 6
#elif defined(__aarch64__)
#define RK_R 6
#else
#define RK_R 3
#endif

enum {
	RK_BLOCK = 16,   /* output channels (conv) / columns (gemm) per packed block */
	RK_MAXRANK = 8,  /* dims of elementwise/movement descriptors */
	RK_MAXIN = 15,   /* operands of n-ary kernels (BE_MAX_PTRS - 1) */
	RK_SE_MAXR = 1024, /* hidden units of an se_gate (IR_SE_MAX_HIDDEN in ir.h) */
	RK_SE_MAXK = 64,   /* radix of an se_gate (IR_SE_MAX_RADIX in ir.h) */
	RK_SE_MAXC = 8192, /* channels K*C of an se_gate (IR_SE_MAX_CHANNELS in ir.h) */
	RK_FC_MAXC = 8192, /* input channels of an fc (IR_FC_MAX_CHANNELS in ir.h) */
};

typedef float rk_vf __attribute__((vector_size(RK_V * 4)));

static inline rk_vf
rk_load(const float *p)
{
	rk_vf v;
	__builtin_memcpy(&v, p, sizeof v);
	return v;
}

static inline void
rk_store(float *p, rk_vf v)
{
	__builtin_memcpy(p, &v, sizeof v);
}

static inline rk_vf
rk_splat(float s)
{
	return (rk_vf){0} + s;
}

/* Lanes p[0], p[2], ..., p[2*(RK_V-1)]: RK_V pixels of a row at stride 2,
 * from two loads and a shuffle of the even lanes.  The second load starts
 * one float early (at p + RK_V - 1, whose odd lanes are the even floats from
 * p[RK_V] on), so nothing past p[2*RK_V - 2], the last pixel, is read: a
 * vector of pixels that ends at the end of a row or buffer stays inside it. */
static inline rk_vf
rk_load_even(const float *p)
{
	const rk_vf a = rk_load(p), b = rk_load(p + RK_V - 1);
#if RK_V == 16
	return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31);
#elif RK_V == 8
	return __builtin_shufflevector(a, b, 0, 2, 4, 6, 9, 11, 13, 15);
#elif RK_V == 4
	return __builtin_shufflevector(a, b, 0, 2, 5, 7);
#else
#error "rk_load_even: RK_V must be 4, 8 or 16"
#endif
}

/* Floats travel in descriptors as their bit pattern. */
static inline int64_t
rk_f32bits(float f)
{
	uint32_t u;
	__builtin_memcpy(&u, &f, 4);
	return (int64_t)u;
}

static inline float
rk_bitsf32(int64_t b)
{
	uint32_t u = (uint32_t)b;
	float f;
	__builtin_memcpy(&f, &u, 4);
	return f;
}

/* ---- integer helpers ------------------------------------------------------ */

static inline int64_t
rk_min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static inline int64_t
rk_max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* Floor and ceiling of a / b for b > 0. */
static inline int64_t
rk_floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static inline int64_t
rk_ceildiv(int64_t a, int64_t b)
{
	return -rk_floordiv(-a, b);
}

/*
 * Taps [*lo, *hi) of a kernel axis (size K, stride S, pad P, dilation D) that
 * read inside an input axis of `size` for output position o (convolutions
 * and pools clip their borders with it).
 */
static inline void
rk_tap_range(int64_t o, int64_t S, int64_t P, int64_t D, int64_t K, int64_t size, int64_t *lo,
             int64_t *hi)
{
	const int64_t i0 = o * S - P;
	int64_t l = rk_max64(0, rk_ceildiv(-i0, D)), h = rk_min64(K, rk_floordiv(size - 1 - i0, D) + 1);
	*lo = l;
	*hi = h > l ? h : l;
}

/*
 * Sums of floats in double in RK_LANES independent partial sums, added in
 * order at the end: one chain of dependent adds takes 4 cycles an element
 * (2.5 ms for resnet50's 2048x1000 classifier, 7.6 ms for se_resnet50's SE
 * gates); the lanes vectorise.  The order is fixed by n alone, so results
 * do not depend on the task split.  rk_lanes_add may be called on several
 * runs before rk_lanes_total.
 */
enum { RK_LANES = 8 };

static inline void
rk_lanes_add(double *restrict acc, const float *restrict a, int64_t n)
{
	int64_t i = 0;
	for (; i + RK_LANES <= n; i += RK_LANES)
		for (int l = 0; l < RK_LANES; l++)
			acc[l] += (double)a[i + l];
	for (int l = 0; i < n; i++, l++)
		acc[l] += (double)a[i];
}

static inline double
rk_lanes_total(const double *acc)
{
	double s = 0;
	for (int l = 0; l < RK_LANES; l++)
		s += acc[l];
	return s;
}

/*
 * e^x for x <= 0, without a libm call so that loops over it vectorise:
 * x = n ln2 + r with |r| <= ln2/2 (ln2 in two parts, so n ln2 is exact),
 * e^r by its degree-7 Taylor polynomial in Horner form (relative error
 * under 3e-8 on that interval), times 2^n built from the exponent bits.
 * Below -87.3 (where 2^n would leave the normal range) the result is the
 * smallest normal float instead of a denormal or zero: a relative
 * difference of 1 in a value under 1.2e-38.
 */
static inline float
rk_exp_neg(float x)
{
	x = x < -87.3365f ? -87.3365f : x;
	const float n = __builtin_floorf(x * 1.44269504f + 0.5f);
	float r = x - n * 0.693359375f;
	r = r - n * -2.12194440e-4f;
	float p = 1.98412698e-4f;
	p = p * r + 1.38888889e-3f;
	p = p * r + 8.33333333e-3f;
	p = p * r + 4.16666667e-2f;
	p = p * r + 1.66666667e-1f;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	/* (NaN: p is NaN already; keep the conversion defined) */
	const uint32_t bits = (uint32_t)((int32_t)(n == n ? n : 0.0f) + 127) << 23;
	float scale;
	__builtin_memcpy(&scale, &bits, 4);
	return p * scale;
}

/* The logistic function, 1 / (1 + e^-x), branch-free (vectorises): e^-|x|
 * never overflows. */
static inline float
rk_sigmoid(float x)
{
	const float z = rk_exp_neg(x < 0 ? x : -x);
	const float s = 1.0f / (1.0f + z);
	return x >= 0 ? s : z * s;
}

/* Element types: same codes and order as ir_dtype (lower.c checks). */
enum { RK_F32, RK_F64, RK_I8, RK_U8, RK_I32, RK_I64, RK_BOOL, RK_NDTYPES };

/* Fused epilogue activations (conv, gemm). */
enum { RK_ACT_NONE, RK_ACT_RELU, RK_ACT_CLIP };

typedef int32_t rk_vi __attribute__((vector_size(RK_V * 4)));

/* a where the lane of m is set, b elsewhere */
static inline rk_vf
rk_select(rk_vi m, rk_vf a, rk_vf b)
{
	return (rk_vf)(((rk_vi)a & m) | ((rk_vi)b & ~m));
}

/* An epilogue activation on a vector, as the scalar one (v < 0 ? 0 : v;
 * v < lo ? lo : v > hi ? hi : v), NaN and -0 included. */
static inline __attribute__((always_inline)) rk_vf
rk_act_vec(rk_vf v, int64_t act, float lo, float hi)
{
	if (act == RK_ACT_RELU)
		return rk_select(v < 0.0f, rk_splat(0.0f), v);
	if (act == RK_ACT_CLIP)
		return rk_select(v < lo, rk_splat(lo), rk_select(v > hi, rk_splat(hi), v));
	return v;
}

/* ---- rk_conv2d ----------------------------------------------------------- */

/*
 * 2-D convolution (cross-correlation), NCHW f32, with a fused epilogue:
 *     y = act(conv(x, w) + bias + residual)
 * ptrs: [0] x [N][C][H][W], [1] w, [2] bias [M] or NULL, [3] residual
 * (y's shape) or NULL, [4] y [N][M][OH][OW]; with has_post (a
 * pre-activation conv's second result, passes/fuse_epilogue.c) also [5]
 * post scale s [M], [6] post shift t [M] or NULL, [7] z (y's shape):
 *     z = post_act(y * s + t)     per output channel,
 * computed by each task over the part of y it owns, right after it.  With
 * has_rows (a conv's row_sums result, passes/fuse_se_mean.c) instead [5]
 * z [N][M][rows]: the sum of each row of each output plane (rows of
 * row_w pixels: OH x OW, or the H x W of a flattened 1x1 conv), summed by
 * the task that wrote the row (the lowering gives every task whole rows),
 * left to right in f32, after the epilogue.
 * w is packed (wpacked = 1) as [G][nob][Cg][KH][KW][16]: per group, output
 * channels in blocks of 16, zero beyond Mg; or plain [M][Cg][KH][KW]
 * (wpacked = 0, a slow generic path for weights that are not constants).
 * A 1x1, stride-1, unpadded convolution is described with H = OH = 1 and
 * W = OW = H*W of the tensor: one long row.
 * Tasks: t = (((n*G + g)*ntob + tob)*nty + ty)*ntx + tx; task (n, g, tob,
 * ty, tx) computes blocks [tob*tob_sz, +tob_sz) x rows [ty*ty_sz, +ty_sz)
 * x columns [tx*tx_sz, +tx_sz) (clipped) of image n, group g.
 * [oxlo, oxhi) x [oylo, oyhi): the output columns and rows whose every tap
 * reads inside the input (the interior; the rest is the border).
 * A task sums its input channels in chunks of icb (partial sums kept in y
 * between chunks), so that its input slab and weights stay in cache.
 * pv: interior rows in vectors of consecutive pixels (for groups with few
 * output channels, which would leave most lanes of a 16-channel block idle).
 */
typedef struct rk_conv_desc {
	int64_t N, G, C, H, W;
	int64_t M, OH, OW;
	int64_t Cg, Mg, nob;
	int64_t KH, KW, SH, SW, PT, PL, DH, DW;
	int64_t wpacked, has_bias, has_res;
	int64_t act, act_lo, act_hi;        /* RK_ACT_*, clip bounds as f32 bits */
	int64_t tob_sz, ty_sz, tx_sz;
	int64_t ntob, nty, ntx;
	int64_t oxlo, oxhi, oylo, oyhi;
	int64_t icb;                        /* input channels per chunk (<= Cg) */
	int64_t pv;                         /* 1: pixel-vector tiles (algo "pixel", SW 1 or 2, icb = Cg) */
	int64_t has_post, has_post_shift;   /* the second result z (ptrs [5..7]) */
	int64_t post_act, post_lo, post_hi; /* its activation, as act */
	/* blocked layouts (NCHW16c: [N][C/16][H][W][16], passes/layout.c): xblk
	 * for x, yblk for y and the residual; only with G = 1, packed weights,
	 * C (xblk) or M (yblk) a multiple of 16, no pixel vectors (pv, flat_v)
	 * and no second result */
	int64_t xblk, yblk;
	int64_t has_rows, row_w;            /* row sums z (ptrs [5]) of rows of row_w pixels */
} rk_conv_desc;

/* ---- rk_dwconv2d ---------------------------------------------------------- */

/*
 * Depthwise 2-D convolution (group = C = M: output channel c reads input
 * channel c only; kernels/dwconv.c) on NCHW16c values, with rk_conv2d's
 * epilogue:
 *     y = act(conv(x, w) + bias + residual)
 * ptrs: [0] x [N][C/16][H][W][16], [1] w packed [C/16][KH][KW][16], [2]
 * bias [C] or NULL, [3] residual (y's shape, NCHW16c) or NULL, [4] y
 * [N][C/16][OH][OW][16]; C a multiple of 16.
 * Tasks: t = (n*ncb + cb)*nty + ty: blocks of 16 channels [cb*cb_sz,
 * +cb_sz) x output rows [ty*ty_sz, +ty_sz) of image n.
 * [oxlo, oxhi) x [oylo, oyhi): the interior, as in rk_conv_desc.
 */
typedef struct rk_dwconv_desc {
	int64_t N, C, H, W, OH, OW;
	int64_t KH, KW, SH, SW, PT, PL, DH, DW;
	int64_t has_bias, has_res;
	int64_t act, act_lo, act_hi;        /* RK_ACT_*, clip bounds as f32 bits */
	int64_t oxlo, oxhi, oylo, oyhi;
	int64_t cb_sz, ncb, ty_sz, nty;
} rk_dwconv_desc;

/* ---- rk_gemm --------------------------------------------------------------- */

/*
 * Batched matrix product with bias and epilogue (Gemm and MatMul):
 *     Y[b][m][n] = act(alpha * sum_k A[b](m,k) * B[b](k,n) + beta * C(m,n))
 * ptrs: [0] A, [1] B, [2] C or NULL, [3] Y (dense [batch][M][N]).
 * A[b](m,k) = A[aoff(b) + m*sam + k*sak]; B[b](k,n) = B[boff(b) + k*sbk +
 * n*sbn] unless bpacked, when B is [nnb][K][16] (blocks of 16 columns, zero
 * padded; no batch); C(m,n) = C[m*scm + n*scn] (0 strides broadcast).
 * Batch: nbd dims bdims[] (row-major), offsets aoff/boff from bsa/bsb.
 * Tasks: t = (b*ntm + tm)*ntn + tn: rows [tm*tm_sz, +tm_sz) x column
 * blocks [tn*tn_sz, +tn_sz) of batch b.
 */
typedef struct rk_gemm_desc {
	int64_t M, N, K, nnb;
	int64_t nbd, bdims[6], bsa[6], bsb[6];
	int64_t sam, sak, bpacked, sbk, sbn;
	int64_t has_c, scm, scn;
	int64_t alpha, beta;                /* f32 bits */
	int64_t act, act_lo, act_hi;
	int64_t tm_sz, tn_sz, ntm, ntn;
} rk_gemm_desc;

/* ---- rk_batchnorm ------------------------------------------------------------ */

/*
 * Inference batch normalisation over x [N][C][S] (S = spatial product).
 * folded = 1: ptrs [0] x, [1] st [2][C] (scale' then shift', precomputed:
 * y = x*scale' + shift'), [2..4] NULL, [5] y.
 * folded = 0: ptrs [0] x, [1] scale, [2] bias, [3] mean, [4] var, [5] y:
 * y = (x - mean) / sqrt(var + eps) * scale + bias.
 * Tasks: planes (n, c) [t*planes_per_task, +planes_per_task).
 */
typedef struct rk_bn_desc {
	int64_t N, C, S, folded, eps, planes_per_task;
} rk_bn_desc;

/* ---- rk_unary ------------------------------------------------------------------ */

enum {
	RK_U_COPY, RK_U_RELU, RK_U_LEAKYRELU, RK_U_CLIP, RK_U_SIGMOID, RK_U_TANH,
	RK_U_EXP, RK_U_LOG, RK_U_SQRT, RK_U_ABS, RK_U_NEG,
};

/*
 * y[i] = f(x[i]) for i < n; dtype RK_F32 (all ops), RK_I32/RK_I64 (abs,
 * neg, copy).  ptrs: [0] x, [1] y.  Tasks: elements [t*chunk, +chunk).
 */
typedef struct rk_unary_desc {
	int64_t op, dtype, n, chunk;
	int64_t alpha, lo, hi;              /* leakyrelu alpha, clip bounds (f32 bits) */
} rk_unary_desc;

/* ---- rk_eltwise ------------------------------------------------------------------ */

enum { RK_B_ADD, RK_B_SUB, RK_B_MUL, RK_B_DIV, RK_B_MAX, RK_B_MIN };

/*
 * Broadcasting n-ary elementwise: y = x0 op x1 op x2 ... (left to right).
 * The result is dense with dims[rank] (adjacent dims merged by the
 * lowering); operand k's element at index i is xk[sum_d i_d*strides[k][d]]
 * (stride 0 on broadcast axes).  dtype RK_F32, RK_I32 or RK_I64 (integer
 * division truncates; x/0 gives 0 and INT_MIN/-1 wraps).
 * ptrs: [0..nin) operands, [nin] y.  Tasks: elements [t*chunk, +chunk).
 */
typedef struct rk_eltwise_desc {
	int64_t op, dtype, nin, rank, total, chunk;
	int64_t dims[RK_MAXRANK];
	int64_t strides[RK_MAXIN][RK_MAXRANK];
} rk_eltwise_desc;

/* ---- rk_softmax ----------------------------------------------------------------- */

/*
 * Softmax over the middle axis of x viewed as [outer][L][inner] (max and
 * exp in f32, the sum in double, as the interpreter).
 * ptrs: [0] x, [1] y.  Units u = o*ninner_t + it: outer row o, inner
 * positions [it*inner_chunk, +inner_chunk); task t: units
 * [t*units_per_task, +units_per_task).
 */
typedef struct rk_softmax_desc {
	int64_t outer, L, inner, inner_chunk, ninner_t, units_per_task;
} rk_softmax_desc;

/* ---- rk_pool ---------------------------------------------------------------------- */

enum { RK_POOL_MAX, RK_POOL_AVG };

/*
 * Max or average pooling over planes x [P][H][W] -> y [P][OH][OW]
 * (P = N*C).  avg divisor: count_include_pad ? window clipped to the
 * explicitly padded input : window clipped to the input.
 * ptrs: [0] x, [1] y.  Tasks: planes [t*planes_per_task, +planes_per_task).
 */
typedef struct rk_pool_desc {
	int64_t kind, P, H, W, OH, OW;
	int64_t KH, KW, SH, SW, PT, PL, PB, PR, DH, DW;
	int64_t cip, planes_per_task;
	int64_t oxlo, oxhi;                 /* columns whose whole window is inside */
	int64_t blk;                        /* x and y NCHW16c: P = N*C/16 planes of 16-lane pixels */
} rk_pool_desc;

/* ---- rk_reduce -------------------------------------------------------------------- */

/*
 * Sum or mean (mean = 1: divide by the reduced count) over the axes with
 * red[d] = 1 of x with dims[rank] (adjacent dims with equal flags merged;
 * flags alternate).  The result holds the kept axes in order.
 * ptrs: [0] x, [1] y.  Tasks: result elements (innermost axis reduced) or
 * result rows of the innermost kept axis (otherwise),
 * [t*chunk, +chunk).
 */
typedef struct rk_reduce_desc {
	int64_t rank, mean, count, nout, chunk;
	int64_t dims[RK_MAXRANK], red[RK_MAXRANK];
} rk_reduce_desc;

/* ---- data movement ------------------------------------------------------------------ */

/* Byte copy: ptrs [0] x, [1] y; tasks: bytes [t*chunk, +chunk). */
typedef struct rk_copy_desc {
	int64_t nbytes, chunk;
} rk_copy_desc;

/*
 * Strided gather into a dense result (transpose, slice, expand): element
 * i of y (dims[rank]) is x[offset + sum_d i_d*strides[d]] (strides may be
 * negative or 0).  esize: bytes per element (1, 2, 4 or 8).
 * ptrs: [0] x, [1] y.  Tasks: elements [t*chunk, +chunk).
 */
typedef struct rk_strided_desc {
	int64_t esize, rank, total, chunk, offset;
	int64_t dims[RK_MAXRANK], strides[RK_MAXRANK];
} rk_strided_desc;

/*
 * Concatenation (split = 0) or split (split = 1) along an axis, as rows:
 * the big tensor is [outer][rowbytes]; piece k is [outer][bytes[k]] at byte
 * column off[k] of each row.  concat ptrs: [0..n) pieces, [n] y; split
 * ptrs: [0] x, [1..n] pieces.  Tasks: items (row o, piece k), item =
 * o*n + k, [t*items_per_task, +items_per_task).
 */
typedef struct rk_concat_desc {
	int64_t split, n, outer, rowbytes, items_per_task;
	int64_t bytes[RK_MAXIN], off[RK_MAXIN];
} rk_concat_desc;

enum { RK_PAD_CONSTANT, RK_PAD_REFLECT, RK_PAD_EDGE };

/*
 * Pad (and crop, for negative pads): y dims odims[rank], x dims idims[rank];
 * y element o reads x at o - pb[d] per axis, mapped by mode when outside
 * (constant: value; reflect; edge).  value: the fill element's bytes.
 * ptrs: [0] x, [1] y.  Tasks: rows of y (all axes but the last),
 * [t*rows_per_task, +rows_per_task).
 */
typedef struct rk_pad_desc {
	int64_t esize, rank, mode, value, nrows, rows_per_task;
	int64_t idims[RK_MAXRANK], odims[RK_MAXRANK], pb[RK_MAXRANK];
} rk_pad_desc;

/*
 * Gather along an axis: x is [outer][A][inner], indices [nidx] (RK_I32 or
 * RK_I64, negative counts from the end; out-of-range gives zeros), y is
 * [outer][nidx][inner].  ptrs: [0] x, [1] indices, [2] y.
 * Tasks: items (o, k) = o*nidx + k, [t*items_per_task, +items_per_task).
 */
typedef struct rk_gather_desc {
	int64_t esize, outer, A, nidx, inner, idx_dtype, items_per_task;
} rk_gather_desc;

/* Cast between any two RK_* dtypes: ptrs [0] x, [1] y; tasks by chunk. */
typedef struct rk_cast_desc {
	int64_t from, to, n, chunk;
} rk_cast_desc;

/*
 * Resize (nearest or linear, f32), separable per axis with tables made at
 * compile time.  For axis d, output coordinate o takes taps[d] (1 or 2)
 * input indices idx[tab[d] + o*taps[d] + j] (i64, in range) with weights
 * wt[tab[d] + o*taps[d] + j] (f32).  y element = sum over the taps of every
 * axis of the product of weights times x at those indices.
 * ptrs: [0] x, [1] idx table, [2] weight table, [3] y.
 * Tasks: rows of y (all axes but the last), [t*rows_per_task, +...).
 */
typedef struct rk_resize_desc {
	int64_t rank, nrows, rows_per_task;
	int64_t idims[RK_MAXRANK], odims[RK_MAXRANK], taps[RK_MAXRANK], tab[RK_MAXRANK];
	int64_t blk;    /* NCHW16c: dims [N][C/16][H][W], every element 16 lanes; N, C/16 not resized */
} rk_resize_desc;

/* ---- fused ops (kernels/fused.c) ------------------------------------------- */

/*
 * scale_shift: y = act(x*s + t + r) over x [N][C][S]; s and t per channel
 * (s_nc/t_nc = 0: [C]) or per image and channel (1: [N][C]); has_t = 0 for
 * no shift.  ptrs: [0] x, [1] s, [2] t or NULL, [3] r or NULL, [4] y.  r may
 * be y itself (in place): every element is read before it is written, by
 * the same task.  Tasks: planes (n, c) [t*planes_per_task, +planes_per_task).
 */
typedef struct rk_scale_shift_desc {
	int64_t N, C, S, s_nc, has_t, t_nc, has_res, act, act_lo, act_hi, planes_per_task;
	int64_t blk;                        /* x, r, y NCHW16c: tasks over N*C/16 block planes */
} rk_scale_shift_desc;

/*
 * se_gate {radix K, groups G}: h = relu(w1 m' + b1) with m' [C] the sum of
 * the K radix groups of m [N][K*C]; z = w2 h + b2 ([K*C], channel (g, r, c')
 * of G groups of K radix entries of C/G); gate channel r*C + g*C/G + c' is
 * sigmoid(z) for K = 1, else the softmax over r.  w1 [R][C], b1 [R], w2
 * [K*C][R], b2 [K*C]; dot products in double, as the interpreter does.
 * ptrs: [0] m, [1] w1, [2] b1, [3] w2, [4] b2, [5] g [N][K*C].  With rows
 * > 0, m is [N][K*C][rows], row sums whose sum (in double) divided by
 * pixels is the mean (a conv's row_sums result).
 * Tasks: images (the hidden vector is every gate channel's input; lower.c
 * says why the channels are not split over tasks).
 */
typedef struct rk_se_gate_desc {
	int64_t N, C, R, K, G;
	int64_t rows, pixels;
} rk_se_gate_desc;

/*
 * radix_combine: y[n][c] = sum_r g[n][r*C+c] * x[n][r*C+c] over planes of S
 * (ResNeSt's split attention).  ptrs: [0] x [N][K*C][S], [1] g [N][K*C],
 * [2] y [N][C][S].  Tasks: planes (n, c) [t*planes_per_task, +...).
 */
typedef struct rk_radix_combine_desc {
	int64_t N, C, K, S, planes_per_task;
	int64_t blk;                        /* x, y NCHW16c (C a multiple of 16): tasks over N*C/16 block planes */
} rk_radix_combine_desc;

/*
 * sigmoid_mul: y = (offset + sigmoid(m)) * t elementwise over n floats (the
 * Residual Attention combine).  ptrs: [0] m, [1] t, [2] y.  Tasks: chunks
 * of `chunk` elements.
 */
typedef struct rk_sigmoid_mul_desc {
	int64_t n, chunk, offset;
} rk_sigmoid_mul_desc;

/*
 * fc: y[n][m] = act(b[m] + sum_c w[m][c] * mean(x[n][c][0..S))), the
 * classifier over the global average pool; means and dot products in
 * double.  ptrs: [0] x [N][C][S], [1] w [M][C], [2] b or NULL, [3] y [N][M].
 * Tasks: (n, block of mpt outputs); each task recomputes the C means of its
 * image (C*S adds, a few percent of its M/ntasks*C multiply-adds).
 */
typedef struct rk_fc_desc {
	int64_t N, C, S, M, mpt, nmb, has_b, act, act_lo, act_hi;
	int64_t xblk;                       /* x is NCHW16c: [N][C/16][S][16] */
} rk_fc_desc;

/* ---- the kernel list ----------------------------------------------------------------- */

#define RK_KERNELS(X) \
	X(rk_conv2d) \
	X(rk_conv2d_p) \
	X(rk_conv2d_q) \
	X(rk_conv2d_flat) \
	X(rk_conv2d_flat_p) \
	X(rk_conv2d_flat_v) \
	X(rk_dwconv2d) \
	X(rk_gemm) \
	X(rk_batchnorm) \
	X(rk_unary) \
	X(rk_eltwise) \
	X(rk_softmax) \
	X(rk_pool) \
	X(rk_reduce) \
	X(rk_copy) \
	X(rk_strided) \
	X(rk_concat) \
	X(rk_pad) \
	X(rk_gather) \
	X(rk_cast) \
	X(rk_resize) \
	X(rk_scale_shift) \
	X(rk_se_gate) \
	X(rk_sigmoid_mul) \
	X(rk_fc) \
	X(rk_radix_combine)

#define X(name) void name(const void *desc, void *const *ptrs, int64_t t0, int64_t t1);
RK_KERNELS(X)
#undef X

#endif
