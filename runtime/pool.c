/*
 * pool.c - the thread pool behind resc_rt_parallel_for.
 *
 * What.  One process-wide pool of worker threads, created on the first
 * parallel_for that has work for them.  A parallel_for publishes its job
 * (task function, descriptor, buffers, task count) in a job slot, bumps a
 * generation counter, and then it and the workers hand themselves
 * contiguous ranges of tasks from the slot's atomic counter until none are
 * left.  The caller returns when the count of completed tasks reaches the
 * total.  It waits for work, never for workers: a worker that was asleep or
 * descheduled and arrives late finds nothing left and goes back to waiting,
 * so a busy or oversubscribed machine does not stall every call on its
 * slowest thread.  A ResNet-50 inference makes 60-180 calls, so a call
 * allocates nothing and, while the pool is warm, makes no system call:
 * workers spin on the generation for a while after a job (the next op
 * usually follows within microseconds), then yield, then sleep on a
 * condition variable.
 *
 * Concurrency guarantees.  The pool serves one parallel_for at a time: the
 * caller that wins a trylock on `busy` owns it for the call.  Any other
 * caller (another application thread running a network, or a task calling
 * parallel_for) does not wait for it: it runs its tasks on its own thread.
 * No call blocks on another caller's work and nothing can deadlock.  Task
 * functions compute the same results for any split of the task range (the
 * kernels guarantee it), so results do not depend on who ran what.
 *
 * Invariants.  Jobs alternate between two slots.  A worker that saw
 * generation g enters slot g&1 by incrementing its reader count and then
 * checks that the slot still holds job g; the owner, before rewriting a
 * slot (job g+2), marks it busy and then waits for its reader count to drop
 * to zero.  With seq_cst atomics on both sides (Dekker), either the owner
 * sees the reader or the reader sees the mark, so no worker ever reads a
 * half-written job.  Sleeping uses the same pattern (the sleeper announces
 * itself, then re-checks under the mutex; the waker publishes, then looks
 * for sleepers), so no wake-up is lost.  The thread count changes only
 * under `busy`: surplus workers are told to exit and are waited for; new
 * ones start from the current generation.
 */
#define _GNU_SOURCE
#include "resc_rt.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum {
	MAX_THREADS = 256,
	SPIN = 4000,          /* pauses before the owner, waiting for tasks, starts to yield */
	YIELDS = 200,         /* sched_yield()s before a waiting thread sleeps */
	CHUNKS_PER_THREAD = 4,
};

/*
 * A worker waiting for the next job spins for WORKER_SPIN_NS of time, not
 * a count of pauses: a pause takes about 140 cycles on recent Intel cores
 * and a few dozen on AMD's, and 4000 of them (0.2 ms on an Intel Xeon)
 * let the workers fall asleep within one resnet18 inference; waking them
 * again (a futex, and under a hypervisor an idle vCPU) made every other
 * run up to twice as slow when the process had idled before it
 * (docs/bench.md, "Bimodal timings").  2 ms of spinning after each job is the price, as with
 * ONNX Runtime's spinning pool.
 */
#define WORKER_SPIN_NS 2000000ull

static uint64_t
now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#define SLOT_BUSY UINT64_MAX

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

typedef struct job {
	resc_rt_task fn;
	const void *desc;
	void *const *ptrs;
	int64_t ntasks, grain;
	atomic_int_fast64_t next;   /* first task not yet handed out */
	atomic_int_fast64_t done;   /* tasks completed */
	atomic_uint_fast64_t id;    /* generation of the job held, SLOT_BUSY while written */
	atomic_int readers;         /* workers inside the slot */
} job;

typedef struct pool {
	pthread_mutex_t busy;       /* owned by the caller of the job in flight */
	pthread_mutex_t m;          /* sleeping and waking */
	pthread_cond_t wake;        /* workers wait here for a job or an exit order */
	pthread_cond_t finished;    /* the owner waits here for the last tasks */
	pthread_once_t once;
	atomic_int want;            /* configured thread count, the caller included */
	atomic_int nactive;         /* workers wanted: ids >= nactive exit */
	atomic_int alive;           /* worker threads running */
	atomic_bool started;
	atomic_uint_fast64_t gen;   /* generation of the latest job */
	job slot[2];
	atomic_int sleepers;
	atomic_int owner_sleeping;
} pool;

static pool P = {
	.busy = PTHREAD_MUTEX_INITIALIZER,
	.m = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.finished = PTHREAD_COND_INITIALIZER,
	.once = PTHREAD_ONCE_INIT,
};

/* Set on pool threads, and on a caller while it runs tasks: nested calls
 * of parallel_for run inline.  Initial-exec, so that reading it never calls
 * __tls_get_addr, also where the runtime is part of a dlopen'ed model (resc
 * run): LeakSanitizer's tracking of such dynamic TLS blocks crashed at exit
 * in the ASan build (zoo/native/se_resnext50_32x4d, 2026-11-29). */
static _Thread_local bool in_task __attribute__((tls_model("initial-exec")));

static int
default_threads(void)
{
	const char *s = getenv("RESC_NUM_THREADS");
	if (s && *s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (*end == 0 && v >= 1)
			return v > MAX_THREADS ? MAX_THREADS : (int)v;
	}
	int n = 0;
#ifdef CPU_COUNT
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
#endif
	if (n < 1) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c > 0 ? (int)c : 1;
	}
	return n > MAX_THREADS ? MAX_THREADS : n;
}

/* A child of fork() has none of the parent's workers: start over. */
static void
after_fork_child(void)
{
	pthread_mutex_init(&P.busy, NULL);
	pthread_mutex_init(&P.m, NULL);
	pthread_cond_init(&P.wake, NULL);
	pthread_cond_init(&P.finished, NULL);
	atomic_store(&P.nactive, 0);
	atomic_store(&P.alive, 0);
	atomic_store(&P.started, false);
	atomic_store(&P.sleepers, 0);
	atomic_store(&P.owner_sleeping, 0);
	for (int i = 0; i < 2; i++)
		atomic_store(&P.slot[i].readers, 0);
	in_task = false;
}

static void
init_once(void)
{
	atomic_store(&P.want, default_threads());
	pthread_atfork(NULL, NULL, after_fork_child);
}

static void
wake_owner(void)
{
	pthread_mutex_lock(&P.m);
	pthread_cond_broadcast(&P.finished);
	pthread_mutex_unlock(&P.m);
}

/* Runs chunks of job j until none are left. */
static void
work(job *j)
{
	const int64_t n = j->ntasks, g = j->grain;
	for (;;) {
		int64_t i = atomic_fetch_add_explicit(&j->next, g, memory_order_relaxed);
		if (i >= n)
			return;
		int64_t e = i + g < n ? i + g : n;
		j->fn(j->desc, j->ptrs, i, e);
		if (atomic_fetch_add(&j->done, e - i) + (e - i) == n && atomic_load(&P.owner_sleeping))
			wake_owner();
	}
}

typedef struct worker_arg {
	int id;
	uint64_t seen;
} worker_arg;

static void *
worker(void *arg)
{
	worker_arg *wa = arg;
	const int id = wa->id;
	uint64_t seen = wa->seen;
	free(wa);
	in_task = true;
	for (;;) {
		uint64_t g, t0 = now_ns();
		bool spinning = true;
		for (int spins = 0;; spins++) {
			g = atomic_load_explicit(&P.gen, memory_order_acquire);
			if (g != seen || id >= atomic_load_explicit(&P.nactive, memory_order_relaxed))
				break;
			if (spinning) {
				cpu_relax();
				/* the clock every 64 pauses (a vDSO call, tens of ns) */
				if ((spins & 63) == 63 && now_ns() - t0 > WORKER_SPIN_NS) {
					spinning = false;
					spins = 0;
				}
			} else if (spins < YIELDS) {
				sched_yield();
			} else {
				pthread_mutex_lock(&P.m);
				atomic_fetch_add(&P.sleepers, 1);
				while (atomic_load(&P.gen) == seen && id < atomic_load(&P.nactive))
					pthread_cond_wait(&P.wake, &P.m);
				atomic_fetch_sub(&P.sleepers, 1);
				pthread_mutex_unlock(&P.m);
				spins = 0;
				spinning = true;
				t0 = now_ns();
			}
		}
		if (id >= atomic_load(&P.nactive)) {
			atomic_fetch_sub(&P.alive, 1);
			wake_owner();
			return NULL;
		}
		seen = g;
		job *j = &P.slot[g & 1];
		atomic_fetch_add(&j->readers, 1);
		if (atomic_load(&j->id) == g)
			work(j);
		atomic_fetch_sub(&j->readers, 1);
	}
}

/* Spins, then yields, then sleeps until done(arg) (owner only). */
static void
owner_wait(bool (*done)(void *), void *arg)
{
	for (int spins = 0; !done(arg); spins++) {
		if (spins < SPIN) {
			cpu_relax();
		} else if (spins < SPIN + YIELDS) {
			sched_yield();
		} else {
			pthread_mutex_lock(&P.m);
			atomic_store(&P.owner_sleeping, 1);
			while (!done(arg))
				pthread_cond_wait(&P.finished, &P.m);
			atomic_store(&P.owner_sleeping, 0);
			pthread_mutex_unlock(&P.m);
			return;
		}
	}
}

static bool
job_done(void *arg)
{
	job *j = arg;
	return atomic_load(&j->done) >= j->ntasks;
}

static bool
alive_is(void *arg)
{
	return atomic_load(&P.alive) <= *(int *)arg;
}

static void
wake_workers(void)
{
	if (atomic_load(&P.sleepers) > 0) {
		pthread_mutex_lock(&P.m);
		pthread_cond_broadcast(&P.wake);
		pthread_mutex_unlock(&P.m);
	}
}

/* Grows or shrinks the pool to want-1 workers (owner, no job in flight). */
static void
resize(void)
{
	int target = atomic_load(&P.want) - 1;
	if (target < atomic_load(&P.alive)) {
		atomic_store(&P.nactive, target);
		pthread_mutex_lock(&P.m);
		pthread_cond_broadcast(&P.wake);
		pthread_mutex_unlock(&P.m);
		owner_wait(alive_is, &target);
	}
	while (atomic_load(&P.alive) < target) {
		worker_arg *wa = malloc(sizeof *wa);
		if (!wa)
			break;
		wa->id = atomic_load(&P.alive);
		wa->seen = atomic_load(&P.gen);
		atomic_store(&P.nactive, wa->id + 1);
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&t, &at, worker, wa);
		pthread_attr_destroy(&at);
		if (rc != 0) {
			free(wa);
			atomic_store(&P.nactive, atomic_load(&P.alive));
			break;
		}
		atomic_fetch_add(&P.alive, 1);
	}
	atomic_store(&P.started, true);
}

void
resc_rt_parallel_for(resc_rt_task fn, const void *desc, void *const *ptrs, int64_t ntasks)
{
	if (ntasks <= 0)
		return;
	if (ntasks == 1 || in_task) {
		fn(desc, ptrs, 0, ntasks);
		return;
	}
	pthread_once(&P.once, init_once);
	if (atomic_load(&P.want) <= 1 || pthread_mutex_trylock(&P.busy) != 0) {
		fn(desc, ptrs, 0, ntasks);
		return;
	}
	if (!atomic_load(&P.started))
		resize();
	int nw = atomic_load(&P.alive);
	if (nw == 0) {
		pthread_mutex_unlock(&P.busy);
		fn(desc, ptrs, 0, ntasks);
		return;
	}

	/* the slot of the next generation, once late readers of its last job left */
	uint64_t g = atomic_load(&P.gen) + 1;
	job *j = &P.slot[g & 1];
	atomic_store(&j->id, SLOT_BUSY);
	for (int spins = 0; atomic_load(&j->readers) > 0; spins++) {
		if (spins < SPIN)
			cpu_relax();
		else
			sched_yield();
	}
	int64_t parts = (int64_t)(nw + 1) * CHUNKS_PER_THREAD;
	j->fn = fn;
	j->desc = desc;
	j->ptrs = ptrs;
	j->ntasks = ntasks;
	j->grain = ntasks >= parts ? ntasks / parts : 1;
	atomic_store_explicit(&j->next, 0, memory_order_relaxed);
	atomic_store_explicit(&j->done, 0, memory_order_relaxed);
	atomic_store(&j->id, g);
	atomic_store(&P.gen, g);
	wake_workers();

	in_task = true;
	work(j);
	in_task = false;
	owner_wait(job_done, j);
	pthread_mutex_unlock(&P.busy);
}

int
resc_rt_set_num_threads(int n)
{
	pthread_once(&P.once, init_once);
	if (in_task)
		return resc_rt_get_num_threads();
	pthread_mutex_lock(&P.busy);
	atomic_store(&P.want, n >= 1 ? (n > MAX_THREADS ? MAX_THREADS : n) : default_threads());
	if (atomic_load(&P.started))
		resize();
	int r = atomic_load(&P.started) ? atomic_load(&P.alive) + 1 : atomic_load(&P.want);
	pthread_mutex_unlock(&P.busy);
	return r;
}

int
resc_rt_get_num_threads(void)
{
	pthread_once(&P.once, init_once);
	return atomic_load(&P.started) ? atomic_load(&P.alive) + 1 : atomic_load(&P.want);
}
