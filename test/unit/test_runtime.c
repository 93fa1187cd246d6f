/*
 * test_runtime.c - the run-time library: thread pool, allocation, errors.
 *
 * parallel_for must run every task index exactly once for any task count
 * and thread count, pass desc and ptrs through, survive concurrent callers
 * (the loser runs inline), nested calls and resizing while busy, and work
 * in a child after fork().  A watchdog turns a deadlock into a failure.
 * Prints one line per check and "N passed, M failed".
 */
#define _GNU_SOURCE
#include "resc_rt.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;

static void
result(const char *name, int ok)
{
	if (ok) {
		passed++;
		printf("ok    %s\n", name);
	} else {
		failed++;
		printf("FAIL  %s\n", name);
	}
	fflush(stdout);
}

static void
on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "FAIL  watchdog: a test hung (deadlock?)\n";
	ssize_t r = write(1, m, sizeof m - 1);
	(void)r;
	_exit(2);
}

/* ---- coverage ------------------------------------------------------------ */

typedef struct cover {
	int magic;
	int64_t n;
	atomic_int *hits;
	atomic_int bad;         /* ranges outside [0, n), empty ranges, wrong desc/ptrs */
	atomic_int calls;
} cover;

static void
cover_task(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	cover *c = ptrs[0];
	if (desc != &c->magic || ptrs[1] != (void *)c || t0 < 0 || t1 > c->n || t0 >= t1)
		atomic_fetch_add(&c->bad, 1);
	atomic_fetch_add(&c->calls, 1);
	for (int64_t i = t0; i < t1 && i < c->n; i++)
		if (i >= 0)
			atomic_fetch_add(&c->hits[i], 1);
}

/* Runs parallel_for over n tasks; returns 1 when every index ran once. */
static int
run_cover(int64_t n)
{
	cover c;
	memset(&c, 0, sizeof c);
	c.n = n;
	c.hits = calloc((size_t)(n > 0 ? n : 1), sizeof *c.hits);
	void *ptrs[2] = {&c, &c};
	resc_rt_parallel_for(cover_task, &c.magic, ptrs, n);
	int ok = atomic_load(&c.bad) == 0;
	for (int64_t i = 0; i < n; i++)
		ok = ok && atomic_load(&c.hits[i]) == 1;
	if (n <= 0)
		ok = ok && atomic_load(&c.calls) == 0;
	free(c.hits);
	return ok;
}

static void
test_coverage(void)
{
	static const int64_t counts[] = {0, 1, 2, 3, 5, 7, 8, 63, 64, 65, 1000, 100003};
	static const int threads[] = {1, 2, 3, 4, 8, 17};
	for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
		int got = resc_rt_set_num_threads(threads[t]);
		int ok = got == threads[t] && resc_rt_get_num_threads() == threads[t];
		for (size_t k = 0; k < sizeof counts / sizeof *counts; k++)
			for (int rep = 0; rep < 20; rep++)
				ok = ok && run_cover(counts[k]);
		char name[96];
		snprintf(name, sizeof name, "every task exactly once, %d threads", threads[t]);
		result(name, ok);
	}
	result("negative task count does nothing", run_cover(-5));
}

/* ---- the workers take part ---------------------------------------------------- */

enum { MAXSEEN = 64 };
static pthread_t seen_threads[MAXSEEN];
static atomic_int nseen;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static void
slow_task(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	(void)desc;
	(void)ptrs;
	pthread_t self = pthread_self();
	pthread_mutex_lock(&seen_lock);
	int known = 0;
	for (int i = 0; i < atomic_load(&nseen); i++)
		known |= pthread_equal(seen_threads[i], self);
	if (!known && atomic_load(&nseen) < MAXSEEN)
		seen_threads[atomic_fetch_add(&nseen, 1)] = self;
	pthread_mutex_unlock(&seen_lock);
	/* about 20 us of work per task */
	volatile double x = 0;
	for (int64_t t = t0; t < t1; t++)
		for (int i = 0; i < 20000; i++)
			x += i;
}

static void
test_participation(void)
{
	resc_rt_set_num_threads(2);
	void *ptrs[1] = {NULL};
	int ok = 0;
	/* on a loaded machine a worker may miss a job: a few tries */
	for (int tries = 0; tries < 20 && !ok; tries++) {
		atomic_store(&nseen, 0);
		resc_rt_parallel_for(slow_task, NULL, ptrs, 256);
		ok = atomic_load(&nseen) >= 2;
	}
	result("a worker thread runs tasks", ok);
}

/* ---- concurrent callers ----------------------------------------------------- */

typedef struct caller {
	int iters, ok;
	int64_t n;
} caller;

static void *
caller_main(void *arg)
{
	caller *c = arg;
	c->ok = 1;
	for (int i = 0; i < c->iters; i++)
		c->ok = c->ok && run_cover(c->n + i % 7);
	return NULL;
}

static void
test_concurrent(void)
{
	resc_rt_set_num_threads(3);
	enum { NC = 4 };
	pthread_t th[NC];
	caller c[NC];
	for (int i = 0; i < NC; i++) {
		c[i] = (caller){2000, 0, 10 + 37 * i};
		pthread_create(&th[i], NULL, caller_main, &c[i]);
	}
	int ok = 1;
	for (int i = 0; i < NC; i++) {
		pthread_join(th[i], NULL);
		ok = ok && c[i].ok;
	}
	result("4 application threads calling parallel_for at once", ok);
}

/* ---- nested calls ---------------------------------------------------------- */

static atomic_int nested_bad;

static void
nested_task(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	(void)desc;
	(void)ptrs;
	for (int64_t i = t0; i < t1; i++)
		if (!run_cover(50))
			atomic_fetch_add(&nested_bad, 1);
}

static void
test_nested(void)
{
	resc_rt_set_num_threads(4);
	void *ptrs[1] = {NULL};
	resc_rt_parallel_for(nested_task, NULL, ptrs, 16);
	result("parallel_for inside a task runs inline", atomic_load(&nested_bad) == 0);
}

static void
resize_task(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	(void)desc;
	(void)ptrs;
	(void)t0;
	(void)t1;
	resc_rt_set_num_threads(2);
}

/* ---- resizing while another thread runs -------------------------------------- */

static atomic_int stop_flag;

static void *
spinner(void *arg)
{
	caller *c = arg;
	c->ok = 1;
	while (!atomic_load(&stop_flag))
		c->ok = c->ok && run_cover(c->n);
	return NULL;
}

static void
test_resize(void)
{
	caller c = {0, 0, 333};
	pthread_t th;
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, spinner, &c);
	int ok = 1;
	for (int i = 0; i < 200; i++) {
		int want = 1 + i % 5;
		int got = resc_rt_set_num_threads(want);
		ok = ok && got == want;
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	result("set_num_threads while another thread runs parallel_for", ok && c.ok);

	void *ptrs[1] = {NULL};
	resc_rt_set_num_threads(3);
	resc_rt_parallel_for(resize_task, NULL, ptrs, 8);
	result("set_num_threads inside a task returns without deadlock", resc_rt_get_num_threads() >= 1);
}

/* ---- fork --------------------------------------------------------------------- */

static void
test_fork(void)
{
	resc_rt_set_num_threads(3);
	int ok = run_cover(1000);
	pid_t p = fork();
	if (p == 0) {
		int r = run_cover(1000) && run_cover(77);
		_exit(r ? 0 : 1);
	}
	int st = 0;
	waitpid(p, &st, 0);
	result("parallel_for in a child after fork", ok && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- allocation and errors ----------------------------------------------------- */

static void
test_alloc(void)
{
	int ok = 1;
	for (size_t n = 0; n < 5000; n += 97) {
		unsigned char *p = resc_rt_alloc(n);
		ok = ok && p && ((uintptr_t)p & 63) == 0;
		if (p)
			memset(p, 0xab, n);
		resc_rt_free(p);
	}
	result("resc_rt_alloc is 64-byte aligned (sizes 0..5000)", ok);
	result("resc_rt_alloc of SIZE_MAX fails cleanly", resc_rt_alloc(SIZE_MAX) == NULL);
	resc_rt_free(NULL);
	result("resc_rt_free(NULL)", 1);
	ok = strcmp(resc_rt_strerror(0), "success") == 0 &&
	     strstr(resc_rt_strerror(RESC_RT_EINVAL), "NULL") != NULL &&
	     strstr(resc_rt_strerror(RESC_RT_EALIGN), "aligned") != NULL &&
	     strstr(resc_rt_strerror(RESC_RT_ENOMEM), "memory") != NULL &&
	     strcmp(resc_rt_strerror(12345), "unknown error") == 0 &&
	     RESC_RT_EINVAL == -1 && RESC_RT_EALIGN == -2 && RESC_RT_ENOMEM == -3;
	result("resc_rt_strerror names every code", ok);
}

/* ---- overhead (information, not pass/fail) --------------------------------------- */

static void
noop_task(const void *desc, void *const *ptrs, int64_t t0, int64_t t1)
{
	(void)desc;
	(void)ptrs;
	(void)t0;
	(void)t1;
}

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void
overhead(void)
{
	void *ptrs[1] = {NULL};
	for (int th = 1; th <= 4; th *= 2) {
		resc_rt_set_num_threads(th);
		resc_rt_parallel_for(noop_task, NULL, ptrs, 64);
		int n = 20000;
		double t0 = now();
		for (int i = 0; i < n; i++)
			resc_rt_parallel_for(noop_task, NULL, ptrs, 64);
		double t = now() - t0;
		printf("info  parallel_for of 64 empty tasks, %d threads: %.2f us per call\n", th, t / n * 1e6);
	}
}

int
main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(120);
	/* the default thread count comes from the environment */
	setenv("RESC_NUM_THREADS", "3", 1);
	result("RESC_NUM_THREADS sets the default", resc_rt_get_num_threads() == 3);
	result("ntasks 1 before the pool exists", run_cover(1));
	test_coverage();
	result("set_num_threads(0) restores the default", resc_rt_set_num_threads(0) == 3);
	setenv("RESC_NUM_THREADS", "junk", 1);
	int def = resc_rt_set_num_threads(0);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	result("a malformed RESC_NUM_THREADS falls back to the CPUs", def >= 1 && def <= (cpus > 0 ? cpus : 1));
	test_participation();
	test_concurrent();
	test_nested();
	test_resize();
	test_fork();
	test_alloc();
	overhead();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
