/*
 * test_hostile.c - fe_load_onnx on the malformed models of
 * test/hostile/make_hostile.py.
 *
 *     unit_test_hostile DIR [NAME...]
 *
 * DIR holds the generated models and expected.txt ("NAME<TAB>EXPECTATION"
 * per line; see make_hostile.py).  Each model is loaded in a child process
 * with a time limit, so a crash or a hang is reported as a failure of that
 * model instead of ending the run.  Checks: the status, a non-empty one-line
 * message on failure, the expected text in it.  Without DIR it skips.
 */
#include "frontend.h"
#include "ir.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { TIME_LIMIT_S = 60 };

typedef struct result {
	int rc;
	double seconds;
	char msg[sizeof(((ir_err *)0)->msg)];
} result;

/* Loads path in a child; 0 when the child reported, -1 on crash/hang. */
static int
run_one(const char *path, result *r, char *why, size_t nwhy)
{
	int fd[2];
	if (pipe(fd) != 0) {
		snprintf(why, nwhy, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, nwhy, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		alarm(TIME_LIMIT_S);
		result res;
		memset(&res, 0, sizeof res);
		ir_graph *g = NULL;
		ir_err e;
		fe_info info;
		fe_options o = {0};
		o.info = &info;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		res.rc = fe_load_onnx(path, &o, &g, &e);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		res.seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
		if (res.rc == 0) {
			snprintf(res.msg, sizeof res.msg, "%d ops", g ? g->nops : -1);
			if (!g)
				res.rc = 2;
		} else {
			snprintf(res.msg, sizeof res.msg, "%s", e.msg);
			if (g)
				res.rc = 3; /* failure must leave *out NULL */
		}
		ir_graph_free(g);
		fe_info_free(&info);
		ssize_t w = write(fd[1], &res, sizeof res);
		_exit(w == (ssize_t)sizeof res ? 0 : 1);
	}
	close(fd[1]);
	size_t got = 0;
	while (got < sizeof *r) {
		ssize_t n = read(fd[0], (char *)r + got, sizeof *r - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st)) {
		snprintf(why, nwhy, "%s (signal %d)",
		         WTERMSIG(st) == SIGALRM ? "hung" : "crashed", WTERMSIG(st));
		return -1;
	}
	if (got != sizeof *r || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, nwhy, "child exited with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		printf("skipped: no directory given (usage: %s DIR [NAME...]; "
		       "make one with test/hostile/make_hostile.py DIR)\n", argv[0]);
		return 0;
	}
	const char *dir = argv[1];
	char path[4096];
	snprintf(path, sizeof path, "%s/expected.txt", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("FAIL: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* read it all first: the children share the file offset */
	char *text = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? 2 * cap : 65536;
			char *t = realloc(text, cap);
			if (!t) {
				printf("FAIL: out of memory\n");
				free(text);
				fclose(f);
				return 1;
			}
			text = t;
		}
		size_t n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	text[len] = 0;
	fclose(f);
	fflush(stdout);

	int npass = 0, nfail = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!line[0] || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab) {
			printf("FAIL: bad expectation line '%s'\n", line);
			nfail++;
			continue;
		}
		*tab = 0;
		const char *name = line, *want = tab + 1;
		if (argc > 2) {
			bool sel = false;
			for (int i = 2; i < argc; i++)
				sel |= strcmp(argv[i], name) == 0;
			if (!sel)
				continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, name);
		result r;
		char why[256];
		memset(&r, 0, sizeof r);
		if (run_one(path, &r, why, sizeof why)) {
			printf("FAIL %s: %s\n", name, why);
			nfail++;
			continue;
		}
		const char *problem = NULL;
		if (r.rc == 2)
			problem = "returned 0 without a graph";
		else if (r.rc == 3)
			problem = "returned -1 but set *out";
		else if (strcmp(want, "ok") == 0) {
			if (r.rc != 0)
				problem = "expected success";
		} else if (strcmp(want, "*") == 0) {
			/* anything but a crash */
		} else if (r.rc == 0) {
			problem = "expected failure";
		} else if (strcmp(want, "!") != 0 && !strstr(r.msg, want)) {
			problem = "message lacks the expected text";
		}
		if (!problem && r.rc != 0 && (!r.msg[0] || strchr(r.msg, '\n')))
			problem = "message is empty or has several lines";
		if (!problem && r.seconds > 10)
			problem = "too slow";
		if (problem) {
			printf("FAIL %s: %s (want '%s'): rc %d, %.2f s: %s\n", name, problem, want, r.rc,
			       r.seconds, r.msg);
			nfail++;
		} else {
			printf("ok   %-32s %.3f s  %s\n", name, r.seconds, r.msg);
			npass++;
		}
	}
	free(text);
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
