/*
 * resc_rt.h - the run-time library of code compiled by resc (libresc_rt.a).
 *
 * Generated code calls it through this small C ABI; applications call it
 * to size the thread pool, to allocate a workspace and to name error codes.
 * It needs only libc, libm and pthreads.
 *
 * Concurrency: every function may be called from any thread at any time.
 * resc_rt_parallel_for never deadlocks: a call made while the pool serves
 * another caller (a second application thread, or a task that itself calls
 * parallel_for) runs its tasks on the calling thread instead.  The results
 * of generated code do not depend on which thread ran which task.
 */
#ifndef RESC_RT_H
#define RESC_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes returned by generated NAME_run() (0 is success). */
enum {
	RESC_RT_EINVAL = -1, /* a NULL pointer argument */
	RESC_RT_EALIGN = -2, /* the workspace is not 64-byte aligned */
	RESC_RT_ENOMEM = -3, /* the workspace could not be allocated */
};

/* A task range: fn(desc, ptrs, t0, t1) does the tasks [t0, t1). */
typedef void (*resc_rt_task)(const void *desc, void *const *ptrs, int64_t t0, int64_t t1);

/*
 * Runs fn over the tasks [0, ntasks), split into contiguous ranges over the
 * thread pool (the calling thread takes part), and returns when all are
 * done.  ntasks <= 1, a pool of one thread, or a pool busy with another
 * caller: fn(desc, ptrs, 0, ntasks) on the calling thread.  The pool is
 * created on first use; no call allocates memory after that.
 */
void resc_rt_parallel_for(resc_rt_task fn, const void *desc, void *const *ptrs, int64_t ntasks);

/*
 * Threads used by parallel_for, the calling thread included.  The default
 * is the environment variable RESC_NUM_THREADS when it holds a positive
 * number, else the number of online CPUs.  set: n >= 1 sets the count, n <= 0
 * restores the default; waits for a parallel_for in progress; returns the
 * count now in effect (lower than asked when threads could not be created).
 */
int resc_rt_set_num_threads(int n);
int resc_rt_get_num_threads(void);

/* n bytes, 64-byte aligned (for a workspace); NULL on failure.  n == 0 gives
 * a valid pointer.  Free with resc_rt_free (NULL is ignored). */
void *resc_rt_alloc(size_t n);
void resc_rt_free(void *p);

/* A static, one-line description of a return code of NAME_run(). */
const char *resc_rt_strerror(int code);

/*
 * Called by generated NAME_run() on entry (once per model and process: the
 * first call does the work under a lock, later ones return after one atomic
 * load of *done).  The weights of a compiled model are read-only data of the
 * executable, so the system maps them from the file's page cache; on Linux
 * this moves the n large ones, p[i] .. p[i] + size[i] (whole pages only), to
 * private anonymous memory with the same contents: each piece is copied into
 * a fresh mapping, made read-only, and moved over the old pages with
 * mremap(), so the bytes never change under a reader.  Why: on the Zen 5
 * development VM, one run in two to four of a model whose weights were
 * file-backed took 2-3x its time whenever another process was busy, and none
 * did once they were anonymous (docs/embedding.md).  Peak memory grows by
 * at most 2 MiB during the move; resident size after it is the same.
 * RESC_ADOPT_WEIGHTS=0 in the environment keeps the file mapping.  Does
 * nothing elsewhere than Linux, and leaves a piece mapped from the file when
 * a system call fails.
 */
void resc_rt_adopt_weights(const void *const *p, const int64_t *size, int64_t n, int32_t *done);

/*
 * Profiling (code compiled with per-op profiling, `resc bench --profile`):
 * such code calls begin/end around op i of NAME_run, which add the time in
 * between to ns_per_op[i] of the buffer last given to reset (which zeroes
 * it; NULL stops recording).  One profiled call at a time.
 */
void resc_rt_profile_reset(int64_t *ns_per_op, int nops);
void resc_rt_profile_begin(int32_t op);
void resc_rt_profile_end(int32_t op);

#ifdef __cplusplus
}
#endif
#endif
