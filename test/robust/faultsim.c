/*
 * faultsim.c - allocation-failure injection walked over whole imports, in
 * the manner of SQLite's do_faultsim_test.
 *
 *     robust_faultsim MODEL.onnx...
 *
 * For each model: count the allocations that loading it (fe_load_onnx) and
 * running the -O3 pass pipeline make, then for N = 1, 2, ... that count run
 * the same work again with the Nth allocation failing (ir_fault_set).  Each
 * run must fail with a one-line message containing "out of memory" (the
 * graph's out-of-memory longjmp lands here for the passes), must leave *out
 * NULL, and must leak nothing: the heap in use (mallinfo2) after the run is
 * what it was before.  Under the sanitizer build LeakSanitizer checks the
 * same at exit.  A run that succeeds although its Nth allocation failed
 * means a failure was swallowed: also an error.
 */
#include "frontend.h"
#include "ir.h"
#include "passes.h"

#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* One import + pipeline with fault point n (0: none).  0: success, 1: failed
 * cleanly ("out of memory", one line), -1: a problem (printed). */
static int
attempt(const char *path, long n, long *count)
{
	ir_graph *g = NULL;
	ir_err e = {{0}};
	fe_options o = {0};
	fe_info info;
	o.info = &info;
	ir_fault_set(n ? n : LONG_MAX); /* LONG_MAX: count only */
	int rc = fe_load_onnx(path, &o, &g, &e);
	fe_info_free(&info);
	const char *where = "import";
	if (rc == 0) {
		if (!g) {
			printf("FAIL %s N=%ld: success without a graph\n", path, n);
			return -1;
		}
		jmp_buf jb;
		g->oom = &jb;
		if (setjmp(jb) != 0) {
			snprintf(e.msg, sizeof e.msg, "out of memory");
			rc = -1;
		} else {
			pass_manager pm = {0};
			pm.opts.opt_level = 3;
			rc = pass_run_pipeline(g, pass_default_pipeline(3), &pm, &e);
		}
		where = "passes";
		ir_graph_free(g);
		g = NULL;
	} else if (g) {
		printf("FAIL %s N=%ld: failure but *out is set\n", path, n);
		return -1;
	}
	*count = ir_fault_count();
	ir_fault_set(0);
	if (rc == 0)
		return 0;
	if (!strstr(e.msg, "out of memory") || strchr(e.msg, '\n')) {
		printf("FAIL %s N=%ld (%s): message is not one line with 'out of memory': %s\n", path, n, where, e.msg);
		return -1;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	/*
	 * glibc's per-thread cache keeps freed chunks that mallinfo2 still
	 * counts as in use, so the before/after comparison would see its
	 * filling up as leaks: run with the cache off (re-executing once).
	 */
	const char *tun = getenv("GLIBC_TUNABLES");
	if (!tun || !strstr(tun, "glibc.malloc.tcache_count=0")) {
		setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
		execv("/proc/self/exe", argv);
		perror("faultsim: re-exec");
		return 1;
	}
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		const char *path = argv[i];
		long total = 0, cnt;
		/* warm up once (lazy one-time allocations in libc and protobuf-c) */
		if (attempt(path, 0, &total) != 0) {
			printf("FAIL %s: does not load without fault injection\n", path);
			bad++;
			continue;
		}
		attempt(path, 0, &total);
		int nbad = 0;
		long nfailed = 0;
		/* FAULTSIM_ONLY=N: just that fault point (to run it under valgrind) */
		long only = getenv("FAULTSIM_ONLY") ? atol(getenv("FAULTSIM_ONLY")) : 0;
		for (long n = only ? only : 1; n <= (only ? only : total) && nbad < 10; n++) {
			size_t before = heap_in_use();
			int r = attempt(path, n, &cnt);
			size_t after = heap_in_use();
			if (r < 0) {
				nbad++;
			} else if (r == 0) {
				printf("FAIL %s N=%ld: allocation %ld failed but the run succeeded\n", path, n, n);
				nbad++;
			} else {
				nfailed++;
			}
			if (after != before) {
				printf("FAIL %s N=%ld: heap in use %zu -> %zu bytes (leak)\n", path, n, before, after);
				nbad++;
			}
		}
		printf("%s %s: %ld allocations, %ld injected failures all clean\n",
		       nbad ? "FAIL" : "ok  ", path, total, nfailed);
		bad += nbad;
	}
	printf("%s\n", bad ? "FAILED" : "all passed");
	return bad ? 1 : 0;
}
