/*
 * guard.c - generated code stays inside the caller's buffers.
 *
 * Runs a compiled model (net.o / net.h, one input and one output) with its
 * input, output and workspace each placed so that the buffer ends exactly
 * at a PROT_NONE guard page and starts right after another one: any read or
 * write past either end faults.  The input is mapped read-only, so a write
 * to it faults too.  The guarded run must give bit-identical outputs to a
 * run with ordinary buffers.  Then net_run's argument checks: NULL arrays,
 * NULL entries and a misaligned workspace give the documented negative codes
 * and leave the output untouched.
 *
 * Build: cc -I. guard.c net.o $(resc config --cflags --libs) -o guard
 * Run:   ./guard   (exit 0 and "N passed, 0 failed")
 */
#define _GNU_SOURCE
#include "net.h"
#include "resc_rt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if NET_NUM_INPUTS != 1 || NET_NUM_OUTPUTS != 1
#error "one input and one output expected"
#endif

static int npass, nfail;

static void
check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	ok ? npass++ : nfail++;
}

/*
 * n bytes whose last byte is the last byte before a PROT_NONE page and whose
 * first page is preceded by one (so the start is at most align-1 bytes past
 * a guard when n is a multiple of align).  prot: the buffer's protection.
 */
static void *
guarded(size_t n, size_t align, int prot)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (n + pg - 1) / pg * pg;
	if (body == 0)
		body = pg;
	unsigned char *base = mmap(NULL, body + 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	if (mprotect(base + pg, body, PROT_READ | PROT_WRITE) != 0) {
		perror("mprotect");
		exit(2);
	}
	unsigned char *p = base + pg + body - n;
	p = (unsigned char *)((uintptr_t)p & ~(uintptr_t)(align - 1));
	/* callers pass sizes that are multiples of align, so p + n is the guard */
	if (p + n != base + pg + body) {
		fprintf(stderr, "guarded: size %zu is not a multiple of %zu\n", n, align);
		exit(2);
	}
	(void)prot;
	return p;
}

static void
protect(void *p, size_t n, int prot)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(pg - 1);
	uintptr_t b = ((uintptr_t)p + n + pg - 1) & ~(uintptr_t)(pg - 1);
	if (mprotect((void *)a, b - a, prot) != 0) {
		perror("mprotect");
		exit(2);
	}
}

int
main(void)
{
	const size_t nin = NET_INPUT0_SIZE, nout = NET_OUTPUT0_SIZE;
	size_t ws = net_workspace_size();
	if (ws != NET_WORKSPACE_SIZE || ws % 64) {
		printf("FAIL workspace size %zu (header says %zu)\n", ws, (size_t)NET_WORKSPACE_SIZE);
		return 1;
	}

	/* reference: ordinary buffers, the call's own workspace */
	float *rin = malloc(nin * sizeof *rin), *rout = malloc(nout * sizeof *rout);
	if (!rin || !rout)
		return 2;
	uint32_t s = 12345;
	for (size_t i = 0; i < nin; i++) {
		s = s * 1664525u + 1013904223u;
		rin[i] = (float)((s >> 8) & 0xffff) / 65536.0f - 0.5f;
	}
	const float *rins[] = {rin};
	float *routs[] = {rout};
	check(net_run(rins, routs, NULL) == 0, "reference run");

	/* guarded: input read-only, output and workspace end at a guard page */
	float *gin = guarded(nin * sizeof *gin, sizeof(float), 0);
	memcpy(gin, rin, nin * sizeof *gin);
	protect(gin, nin * sizeof *gin, PROT_READ);
	float *gout = guarded(nout * sizeof *gout, sizeof(float), 0);
	memset(gout, 0xff, nout * sizeof *gout);
	void *gws = ws ? guarded(ws, 64, 0) : NULL;
	if (ws)
		memset(gws, 0xa5, ws);
	const float *gins[] = {gin};
	float *gouts[] = {gout};
	for (int rep = 0; rep < 2; rep++) {
		int rc = net_run(gins, gouts, ws ? gws : NULL);
		check(rc == 0, rep ? "guarded run again (dirty workspace)" : "guarded run");
	}
	check(memcmp(gout, rout, nout * sizeof *gout) == 0, "guarded output is bit-identical to the reference");

	/* the pointer arrays themselves against guard pages too */
	const float **pin = guarded(sizeof *pin, sizeof *pin, 0);
	float **pout = guarded(sizeof *pout, sizeof *pout, 0);
	*pin = gin;
	*pout = gout;
	check(net_run(pin, pout, ws ? gws : NULL) == 0, "pointer arrays against guard pages");

	/* argument checks: codes, and the output left alone */
	memset(gout, 0x7f, nout * sizeof *gout);
	const float *nullin[] = {NULL};
	float *nullout[] = {NULL};
	check(net_run(NULL, gouts, gws) == RESC_RT_EINVAL, "NULL inputs -> RESC_RT_EINVAL");
	check(net_run(gins, NULL, gws) == RESC_RT_EINVAL, "NULL outputs -> RESC_RT_EINVAL");
	check(net_run(nullin, gouts, gws) == RESC_RT_EINVAL, "NULL input entry -> RESC_RT_EINVAL");
	check(net_run(gins, nullout, gws) == RESC_RT_EINVAL, "NULL output entry -> RESC_RT_EINVAL");
	if (ws) {
		check(net_run(gins, gouts, (char *)gws - 1) == RESC_RT_EALIGN, "misaligned workspace -> RESC_RT_EALIGN");
		check(net_run(gins, gouts, (char *)gws + 32 - 64) == RESC_RT_EALIGN, "32-byte aligned workspace -> RESC_RT_EALIGN");
	}
	int untouched = 1;
	for (size_t i = 0; i < nout * sizeof *gout; i++)
		untouched &= ((unsigned char *)gout)[i] == 0x7f;
	check(untouched, "rejected calls leave the output untouched");
	check(resc_rt_strerror(RESC_RT_EINVAL) && resc_rt_strerror(-12345), "resc_rt_strerror on known and unknown codes");

	printf("%d passed, %d failed\n", npass, nfail);
	free(rin);
	free(rout);
	return nfail ? 1 : 0;
}
