/*
 * concurrency.c - two promises of generated code:
 *   1. two threads calling net_run at once, each with its own workspace and
 *      outputs, get the same results as one thread alone (no shared mutable
 *      state in generated code);
 *   2. a run with a caller-provided workspace makes no heap allocation: this
 *      program interposes malloc/calloc/realloc/free (under ASan: installs
 *      ASan's allocation hook) and counts calls made while net_run runs.
 * Build: cc -I. concurrency.c net.o $(resc config --cflags --libs) -o conc
 * Run:   ./conc   (exit 0 and "2 passed, 0 failed" on success)
 */
#define _GNU_SOURCE
#include "net.h"
#include "resc_rt.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if NET_NUM_INPUTS != 1 || NET_NUM_OUTPUTS != 1
#error "one input and one output expected"
#endif

/* ---- malloc interposition ---------------------------------------------- */

static atomic_int counting;
static atomic_long nalloc;

#ifdef __SANITIZE_ADDRESS__
/* ASan owns malloc (scripts/sanitize links the runtime with it): count
 * through its allocation hook instead of interposing. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static void
count_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	if (atomic_load(&counting))
		atomic_fetch_add(&nalloc, 1);
}

static void
count_free(const volatile void *p)
{
	(void)p;
}

__attribute__((constructor)) static void
install_hooks(void)
{
	__sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *
malloc(size_t n)
{
	if (atomic_load(&counting))
		atomic_fetch_add(&nalloc, 1);
	return __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	if (atomic_load(&counting))
		atomic_fetch_add(&nalloc, 1);
	return __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	if (atomic_load(&counting))
		atomic_fetch_add(&nalloc, 1);
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}
#endif

/* ---- the test ----------------------------------------------------------- */

typedef struct job {
	const float *in;
	float *out;
	void *ws;
	int iters, rc;
} job;

static void *
worker(void *arg)
{
	job *j = arg;
	for (int i = 0; i < j->iters && j->rc == 0; i++) {
		const float *in[1] = {j->in};
		float *out[1] = {j->out};
		j->rc = net_run(in, out, j->ws);
	}
	return NULL;
}

int
main(void)
{
	int passed = 0, failed = 0;
	size_t isz = NET_INPUT0_SIZE, osz = NET_OUTPUT0_SIZE;
	float *x[2], *ref[2], *y[2];
	void *ws[2];
	for (int t = 0; t < 2; t++) {
		x[t] = malloc(isz * sizeof(float));
		ref[t] = malloc(osz * sizeof(float));
		y[t] = malloc(osz * sizeof(float));
		ws[t] = resc_rt_alloc(net_workspace_size() + 64);
		if (!x[t] || !ref[t] || !y[t] || !ws[t])
			return 1;
		unsigned s = 12345u + 777u * (unsigned)t;
		for (size_t i = 0; i < isz; i++) {
			s = s * 1103515245u + 12345u;
			x[t][i] = (float)((s >> 9) & 0xffff) / 65536.0f - 0.5f;
		}
		const float *in[1] = {x[t]};
		float *out[1] = {ref[t]};
		if (net_run(in, out, ws[t]) != 0)
			return 1;
	}

	/* 1: concurrent runs agree with the single-threaded references */
	job j[2];
	pthread_t th[2];
	for (int t = 0; t < 2; t++) {
		j[t] = (job){x[t], y[t], ws[t], 50, 0};
		pthread_create(&th[t], NULL, worker, &j[t]);
	}
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	int ok = j[0].rc == 0 && j[1].rc == 0 &&
	         memcmp(y[0], ref[0], osz * sizeof(float)) == 0 &&
	         memcmp(y[1], ref[1], osz * sizeof(float)) == 0;
	printf("concurrent runs with two workspaces match: %s\n", ok ? "ok" : "FAILED");
	ok ? passed++ : failed++;

	/* 2: no heap allocation with a caller-provided workspace */
	const float *in[1] = {x[0]};
	float *out[1] = {y[0]};
	atomic_store(&nalloc, 0);
	atomic_store(&counting, 1);
	int rc = 0;
	for (int i = 0; i < 20; i++)
		rc |= net_run(in, out, ws[0]);
	atomic_store(&counting, 0);
	long n = atomic_load(&nalloc);
	printf("heap allocations during 20 runs with a workspace: %ld: %s\n", n, n == 0 && rc == 0 ? "ok" : "FAILED");
	(n == 0 && rc == 0) ? passed++ : failed++;

	/* 3: bad arguments give negative codes, not crashes */
	int e1 = net_run(NULL, out, ws[0]);
	int e2 = net_run(in, NULL, ws[0]);
	const float *nullin[1] = {NULL};
	int e3 = net_run(nullin, out, ws[0]);
	int e4 = net_workspace_size() ? net_run(in, out, (char *)ws[0] + 1) : -2;
	ok = e1 < 0 && e2 < 0 && e3 < 0 && e4 == -2;
	printf("bad arguments rejected (%d %d %d %d): %s\n", e1, e2, e3, e4, ok ? "ok" : "FAILED");
	ok ? passed++ : failed++;

	for (int t = 0; t < 2; t++) {
		free(x[t]);
		free(ref[t]);
		free(y[t]);
		resc_rt_free(ws[t]);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
