/*
 * gemm.c - batched matrix products (Gemm and MatMul) with bias and epilogue.
 *
 * The micro-kernel holds a tile of nr rows x 16 columns of the result
 * (16/RK_V vectors per row, nr <= RK_R) in registers: per k it loads the 16
 * values of B's row k (one contiguous block of the packed B, or of B itself
 * when its rows are contiguous; gathered otherwise), broadcasts A(m, k) for
 * the nr rows and does nr x 16/RK_V FMAs.  Results are row-major, so the
 * tile is stored without transposition.  A single-row product (a fully
 * connected layer at batch 1) takes 4 column blocks per tile instead, so
 * that enough independent FMA chains hide the latency.
 *
 * Every result element is the FMA sum over k = 0..K-1 in order, then
 * alpha*sum + beta*C, then the activation, whichever tile computed it.
 */
#include "rk.h"

#define NV (RK_BLOCK / RK_V)
#define UNROLL _Pragma("GCC unroll 16")
#define ALWAYS_INLINE inline __attribute__((always_inline))

enum { B_PACKED, B_CONTIG, B_GATHER };

/*
 * nr rows from m0 (A at a + m0*sam), nbw blocks of 16 columns from block nb
 * (B at b: the batch's B, or the packed B), result at y (the batch's Y).
 */
static ALWAYS_INLINE void
gemm_tile(const rk_gemm_desc *restrict d, const float *restrict a, const float *restrict b,
          const float *restrict c, float *restrict y, int64_t m0, int64_t nb, const int nr,
          const int nbw, const int mode)
{
	const int64_t K = d->K, N = d->N, sam = d->sam, sak = d->sak, sbk = d->sbk, sbn = d->sbn;
	rk_vf acc[RK_R][4][NV];
	UNROLL for (int r = 0; r < nr; r++)
		UNROLL for (int q = 0; q < nbw; q++)
			UNROLL for (int j = 0; j < NV; j++)
				acc[r][q][j] = (rk_vf){0};
	const float *restrict ar = a + m0 * sam;
	const int64_t n0 = nb * RK_BLOCK;
	for (int64_t k = 0; k < K; k++) {
		rk_vf w[4][NV];
		UNROLL for (int q = 0; q < nbw; q++) {
			if (mode == B_PACKED) {
				const float *bp = b + ((nb + q) * K + k) * RK_BLOCK;
				UNROLL for (int j = 0; j < NV; j++)
					w[q][j] = rk_load(bp + j * RK_V);
			} else if (mode == B_CONTIG) {
				const float *bp = b + k * sbk + n0 + q * RK_BLOCK;
				UNROLL for (int j = 0; j < NV; j++)
					w[q][j] = rk_load(bp + j * RK_V);
			} else {
				float t[RK_BLOCK] __attribute__((aligned(64)));
				for (int64_t j = 0; j < RK_BLOCK; j++) {
					const int64_t col = n0 + q * RK_BLOCK + j;
					t[j] = col < N ? b[k * sbk + col * sbn] : 0.0f;
				}
				UNROLL for (int j = 0; j < NV; j++)
					w[q][j] = rk_load(t + j * RK_V);
			}
		}
		UNROLL for (int r = 0; r < nr; r++) {
			const float v = ar[r * sam + k * sak];
			UNROLL for (int q = 0; q < nbw; q++)
				UNROLL for (int j = 0; j < NV; j++)
					acc[r][q][j] += w[q][j] * v;
		}
	}

	const float alpha = rk_bitsf32(d->alpha), beta = rk_bitsf32(d->beta);
	const float lo = rk_bitsf32(d->act_lo), hi = rk_bitsf32(d->act_hi);
	UNROLL for (int r = 0; r < nr; r++) {
		const int64_t m = m0 + r;
		UNROLL for (int q = 0; q < nbw; q++) {
			float t[RK_BLOCK] __attribute__((aligned(64)));
			UNROLL for (int j = 0; j < NV; j++)
				rk_store(t + j * RK_V, acc[r][q][j]);
			const int64_t cb = n0 + q * RK_BLOCK;
			const int64_t nv = rk_min64(RK_BLOCK, N - cb);
			float *restrict yr = y + m * N + cb;
			for (int64_t j = 0; j < nv; j++) {
				float v = alpha * t[j];
				if (c)
					v += beta * c[m * d->scm + (cb + j) * d->scn];
				if (d->act == RK_ACT_RELU)
					v = v < 0.0f ? 0.0f : v;
				else if (d->act == RK_ACT_CLIP) {
					v = v < lo ? lo : v;
					v = v > hi ? hi : v;
				}
				yr[j] = v;
			}
		}
	}
}

/* Dispatch of nr (1..RK_R) to a constant, so the tile's loops unroll. */
#define NRC(k) ((k) <= RK_R ? (k) : 1)
#define RK_GEMM_NR(mode)                                                   \
	switch (nr) {                                                          \
	case 1: gemm_tile(d, a, bb, c, yb, m, nb, 1, 1, mode); break;          \
	case 2: gemm_tile(d, a, bb, c, yb, m, nb, NRC(2), 1, mode); break; \
	case 3: gemm_tile(d, a, bb, c, yb, m, nb, NRC(3), 1, mode); break; \
	case 4: gemm_tile(d, a, bb, c, yb, m, nb, NRC(4), 1, mode); break; \
	case 5: gemm_tile(d, a, bb, c, yb, m, nb, NRC(5), 1, mode); break; \
	case 6: gemm_tile(d, a, bb, c, yb, m, nb, NRC(6), 1, mode); break; \
	case 7: gemm_tile(d, a, bb, c, yb, m, nb, NRC(7), 1, mode); break; \
	case 8: gemm_tile(d, a, bb, c, yb, m, nb, NRC(8), 1, mode); break; \
	case 9: gemm_tile(d, a, bb, c, yb, m, nb, NRC(9), 1, mode); break; \
	case 10: gemm_tile(d, a, bb, c, yb, m, nb, NRC(10), 1, mode); break; \
	case 11: gemm_tile(d, a, bb, c, yb, m, nb, NRC(11), 1, mode); break; \
	case 12: gemm_tile(d, a, bb, c, yb, m, nb, NRC(12), 1, mode); break; \
	case 13: gemm_tile(d, a, bb, c, yb, m, nb, NRC(13), 1, mode); break; \
	case 14: gemm_tile(d, a, bb, c, yb, m, nb, NRC(14), 1, mode); break; \
	case 15: gemm_tile(d, a, bb, c, yb, m, nb, NRC(15), 1, mode); break; \
	case 16: gemm_tile(d, a, bb, c, yb, m, nb, NRC(16), 1, mode); break; \
	default: break;                                                        \
	}

#if RK_R > 16
#error "RK_R > 16 needs more cases"
#endif

void
rk_gemm(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	const rk_gemm_desc *d = desc;
	const float *A = ptrs[0], *B = ptrs[1], *c = ptrs[2];
	float *Y = ptrs[3];
	const int64_t M = d->M, N = d->N;
	for (int64_t t = t0; t < t1; t++) {
		int64_t q = t;
		const int64_t tn = q % d->ntn;
		q /= d->ntn;
		const int64_t tm = q % d->ntm;
		const int64_t bi = q / d->ntm;
		int64_t aoff = 0, boff = 0, rem = bi;
		for (int64_t i = d->nbd - 1; i >= 0; i--) {
			const int64_t ix = rem % d->bdims[i];
			rem /= d->bdims[i];
			aoff += ix * d->bsa[i];
			boff += ix * d->bsb[i];
		}
		const float *a = A + aoff;
		const float *bb = d->bpacked ? B : B + boff;
		float *yb = Y + bi * M * N;
		const int64_t m0 = tm * d->tm_sz, m1 = rk_min64(M, m0 + d->tm_sz);
		const int64_t nb0 = tn * d->tn_sz, nb1 = rk_min64(d->nnb, nb0 + d->tn_sz);
		if (m0 >= m1 || nb0 >= nb1)
			continue;

		if (M == 1) {
			/* one row: 4 blocks per tile for independent FMA chains */
			const int64_t m = 0;
			int64_t nb = nb0;
			if (d->bpacked) {
				for (; nb + 4 <= nb1; nb += 4)
					gemm_tile(d, a, bb, c, yb, m, nb, 1, 4, B_PACKED);
				for (; nb < nb1; nb++)
					gemm_tile(d, a, bb, c, yb, m, nb, 1, 1, B_PACKED);
			} else if (d->sbn == 1) {
				for (; nb + 4 <= nb1 && (nb + 4) * RK_BLOCK <= N; nb += 4)
					gemm_tile(d, a, bb, c, yb, m, nb, 1, 4, B_CONTIG);
				for (; nb < nb1 && (nb + 1) * RK_BLOCK <= N; nb++)
					gemm_tile(d, a, bb, c, yb, m, nb, 1, 1, B_CONTIG);
				for (; nb < nb1; nb++)
					gemm_tile(d, a, bb, c, yb, m, nb, 1, 1, B_GATHER);
			} else {
				for (; nb < nb1; nb++)
					gemm_tile(d, a, bb, c, yb, m, nb, 1, 1, B_GATHER);
			}
			continue;
		}

		for (int64_t nb = nb0; nb < nb1; nb++) {
			const int full = (nb + 1) * RK_BLOCK <= N;
			for (int64_t m = m0; m < m1; m += RK_R) {
				const int64_t nr = rk_min64(RK_R, m1 - m);
				if (d->bpacked) {
					if (nr == RK_R)
						gemm_tile(d, a, bb, c, yb, m, nb, RK_R, 1, B_PACKED);
					else
						RK_GEMM_NR(B_PACKED)
				} else if (d->sbn == 1 && full) {
					if (nr == RK_R)
						gemm_tile(d, a, bb, c, yb, m, nb, RK_R, 1, B_CONTIG);
					else
						RK_GEMM_NR(B_CONTIG)
				} else {
					RK_GEMM_NR(B_GATHER)
				}
			}
		}
	}
}
