/*
 * conv_bench.c - times one kernel call per distinct conv/gemm shape
 * (depthwise convs included) of the models given to gen_shapes (see
 * Makefile), against a measured FMA peak.
 *
 *     conv_bench [-t THREADS] [-s SECONDS] [FILTER]
 *
 * Each shape's kernel is inlined with its constant descriptor (shapes_*.inc,
 * as in generated code), run over all its tasks on one thread (or through
 * the runtime's pool with -t), min time over repeats.  The table shows
 * GFLOP/s (2 flops per MAC), the fraction of the measured peak, and each
 * shape's count per model; the footer sums count x time per model: the
 * models' conv+gemm time as this benchmark sees it (warm caches).  With
 * COLD=1 in the environment every repetition is preceded (untimed) by
 * writing 256 MiB, so weights and activations come from memory, as a whole
 * model's weights do.
 */
#include "rk.h"
#include "resc_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bench_shape {
	void (*fn)(const void *, void *const *, int64_t, int64_t);
	const char *what;
	int64_t ntasks, macs;
	int nptrs;
	int64_t bytes[16];
	int count[8];
} bench_shape;

#include "shapes_table.inc"

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* 12 independent FMA chains of RK_V lanes: the core's peak (2 FMA pipes x
 * 4-cycle latency needs >= 8 chains). */
__attribute__((noinline)) static float
fma_loop(int64_t iters, float s)
{
	rk_vf a[12], m = rk_splat(0.999999f), c = rk_splat(1e-7f);
	for (int i = 0; i < 12; i++)
		a[i] = rk_splat(s + i);
	for (int64_t k = 0; k < iters; k++) {
		_Pragma("GCC unroll 12") for (int i = 0; i < 12; i++)
			a[i] = a[i] * m + c;
		__asm__ volatile("" : "+x"(a[0]), "+x"(a[1]), "+x"(a[2]), "+x"(a[3]));
	}
	rk_vf t = a[0];
	for (int i = 1; i < 12; i++)
		t += a[i];
	float r = 0;
	for (int i = 0; i < RK_V; i++)
		r += t[i];
	return r;
}

static double
peak_gflops(int reps)
{
	double best = 0;
	const int64_t iters = 2000000;
	for (int rep = 0; rep < reps; rep++) {
		double t = now();
		volatile float r = fma_loop(iters, (float)rep);
		(void)r;
		t = now() - t;
		double g = 2.0 * RK_V * 12 * iters / t * 1e-9;
		if (g > best)
			best = g;
	}
	return best;
}

static void *
buffer(int64_t bytes)
{
	if (!bytes)
		return NULL;
	float *p = resc_rt_alloc((size_t)bytes);
	uint32_t s = 12345u + (uint32_t)bytes;
	for (int64_t i = 0; i < bytes / 4; i++) {
		s = s * 1664525u + 1013904223u;
		p[i] = (float)(s >> 8) / (1 << 24) - 0.5f;
	}
	return p;
}

typedef struct result {
	double best;
	int ran;
} result;

static float *cold;
static size_t cold_n;
static volatile float sink;

int
main(int argc, char **argv)
{
	int threads = 1;
	double secs = 0.25;
	const char *filter = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			secs = atof(argv[++i]);
		else
			filter = argv[i];
	}
	resc_rt_set_num_threads(threads);
	if (getenv("COLD")) {
		cold_n = (size_t)64 << 20;
		cold = calloc(cold_n, sizeof *cold);
	}
	/* the machine may be shared: the peak is the best of probes taken
	 * before, between and after the shapes */
	double peak = peak_gflops(5);
	const int n = sizeof shapes / sizeof shapes[0];
	static result res[sizeof shapes / sizeof shapes[0]];
	for (int k = 0; k < n; k++) {
		const bench_shape *s = &shapes[k];
		if (filter && !strstr(s->what, filter))
			continue;
		void *p[16] = {0};
		for (int i = 0; i < s->nptrs; i++)
			p[i] = buffer(s->bytes[i]);
		double best = 1e30, start = now();
		for (int rep = 0; rep < 3 || (now() - start < secs && rep < 10000); rep++) {
			if (cold) {
				/* evict the caches: the model's weights come from memory */
				for (size_t i = 0; i < cold_n; i += 16)
					cold[i] += 1.0f;
				sink += cold[rep % cold_n];
			}
			double t = now();
			if (threads > 1)
				resc_rt_parallel_for(s->fn, NULL, p, s->ntasks);
			else
				s->fn(NULL, p, 0, s->ntasks);
			t = now() - t;
			if (t < best)
				best = t;
		}
		res[k].best = best;
		res[k].ran = 1;
		for (int i = 0; i < s->nptrs; i++)
			resc_rt_free(p[i]);
		double pk = peak_gflops(1);
		if (pk > peak)
			peak = pk;
	}
	double pk = peak_gflops(5);
	if (pk > peak)
		peak = pk;

	printf("RK_V %d RK_R %d  FMA peak %.1f GFLOP/s per core (%d thread%s: %.1f)\n", RK_V, RK_R,
	       peak, threads, threads > 1 ? "s" : "", peak * threads);
	printf("%-62s %6s %8s %8s %6s  counts(", "shape", "tasks", "us", "GFLOP/s", "%peak");
	for (int m = 0; m < NMODELS; m++)
		printf("%s%s", m ? " " : "", model_tags[m]);
	printf(")\n");
	double total[NMODELS] = {0}, flops[NMODELS] = {0};
	for (int k = 0; k < n; k++) {
		const bench_shape *s = &shapes[k];
		if (!res[k].ran)
			continue;
		const double best = res[k].best, gf = 2.0 * s->macs / best * 1e-9;
		printf("%-62s %6lld %8.1f %8.1f %5.0f%%  ", s->what, (long long)s->ntasks, best * 1e6, gf,
		       100.0 * gf / (peak * threads));
		for (int m = 0; m < NMODELS; m++) {
			printf("%s%d", m ? " " : "", s->count[m]);
			total[m] += s->count[m] * best;
			flops[m] += s->count[m] * 2.0 * s->macs;
		}
		printf("\n");
	}
	for (int m = 0; m < NMODELS; m++)
		if (total[m] > 0)
			printf("%-16s conv+gemm %8.2f ms  %6.1f GFLOP/s  %3.0f%% of peak\n", model_tags[m],
			       total[m] * 1e3, flops[m] / total[m] * 1e-9,
			       100.0 * flops[m] / total[m] * 1e-9 / (peak * threads));
	return 0;
}
