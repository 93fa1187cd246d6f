/*
 * profile.c - per-op timing hooks for code compiled with profiling
 * (be_options.profile; `resc bench --profile`).
 *
 * Such code calls resc_rt_profile_begin(i) and resc_rt_profile_end(i)
 * around op i of NAME_run.  The time in between is added to the i-th
 * entry of the buffer given to resc_rt_profile_reset.  The hooks keep one
 * start time, so only one profiled call may run at a time; ordinary
 * (unprofiled) code never calls them.
 */
#include "resc_rt.h"

#include <time.h>

static int64_t *prof_ns;
static int prof_n;
static int64_t prof_t0;

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
resc_rt_profile_reset(int64_t *ns_per_op, int nops)
{
	prof_ns = ns_per_op;
	prof_n = ns_per_op ? nops : 0;
	for (int i = 0; i < prof_n; i++)
		prof_ns[i] = 0;
}

void
resc_rt_profile_begin(int32_t op)
{
	(void)op;
	prof_t0 = now_ns();
}

void
resc_rt_profile_end(int32_t op)
{
	int64_t t = now_ns();
	if (op >= 0 && op < prof_n)
		prof_ns[op] += t - prof_t0;
}
