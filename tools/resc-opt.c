/*
 * resc-opt - reads textual IR, checks it, and prints it again.
 *
 *     resc-opt [options] [FILE.ir|-]
 *
 * The driver for IR-level tests (test/lit/): parse -> load constants ->
 * verify -> (passes) -> print.  main() is that pipeline as one flat list of
 * steps; a pass pipeline slots in between verify and print.
 *
 * Options live in one table (name, argument, help), which both the argument
 * parser and --help read, so the two cannot drift apart.  Every error is one
 * line, "resc-opt: error: <file>: <what>", and exit status 1.
 */
#include "ir.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "passes.h"

#ifndef RESC_VERSION
#define RESC_VERSION "0.1.0"
#endif

/* ---- options ------------------------------------------------------------ */

typedef enum opt_id {
	OPT_OUTPUT,
	OPT_PRINT_CONSTANTS,
	OPT_CONSTS,
	OPT_WRITE_CONSTS,
	OPT_VERIFY_ONLY,
	OPT_NO_VERIFY,
	OPT_PASSES,
	OPT_PRINT_AFTER_ALL,
	OPT_PRINT_AFTER,
	OPT_PRINT_BEFORE,
	OPT_DISABLE_PASS,
	OPT_STOP_AFTER,
	OPT_VERIFY_EACH,
	OPT_CHECK_NUMERICS,
	OPT_LIST_PASSES,
	OPT_HELP,
	OPT_VERSION,
} opt_id;

typedef struct opt_spec {
	opt_id id;
	const char *name;  /* long name, without "--" */
	char shortname;    /* 0 when none */
	const char *arg;   /* argument placeholder, NULL for a flag */
	const char *help;
} opt_spec;

static const opt_spec options[] = {
	{OPT_OUTPUT, "output", 'o', "FILE", "write the IR to FILE (atomically) instead of stdout"},
	{OPT_PRINT_CONSTANTS, "print-constants", 0, NULL, "print every constant's data instead of eliding big ones"},
	{OPT_CONSTS, "consts", 0, "FILE", "read elided constants from the store FILE (default: INPUT.consts when it exists)"},
	{OPT_WRITE_CONSTS, "write-consts", 0, "FILE", "write the constant store of the printed graph to FILE"},
	{OPT_VERIFY_ONLY, "verify-only", 0, NULL, "parse and verify only; print nothing, exit 0 when valid"},
	{OPT_NO_VERIFY, "no-verify", 0, NULL, "do not run the verifier"},
	{OPT_PASSES, "passes", 0, "LIST", "run these comma-separated passes, in order (see --list-passes)"},
	{OPT_PRINT_AFTER_ALL, "print-ir-after-all", 0, NULL, "print the IR to stderr after every pass"},
	{OPT_PRINT_AFTER, "print-ir-after", 0, "PASS", "print the IR to stderr after these passes (comma-separated)"},
	{OPT_PRINT_BEFORE, "print-ir-before", 0, "PASS", "print the IR to stderr before these passes"},
	{OPT_DISABLE_PASS, "disable-pass", 0, "PASS", "skip these passes (comma-separated)"},
	{OPT_STOP_AFTER, "stop-after", 0, "PASS", "stop after this pass"},
	{OPT_VERIFY_EACH, "verify-each", 0, NULL, "run the verifier after every pass"},
	{OPT_CHECK_NUMERICS, "check-numerics", 0, NULL, "run the interpreter on random inputs before and after each pass; fail on drift"},
	{OPT_LIST_PASSES, "list-passes", 0, NULL, "list the passes and exit"},
	{OPT_HELP, "help", 'h', NULL, "show this help and exit"},
	{OPT_VERSION, "version", 0, NULL, "show the version and exit"},
};
enum { NOPTIONS = sizeof options / sizeof options[0] };

typedef struct opts {
	const char *input;        /* NULL or "-": stdin */
	const char *output;       /* NULL: stdout */
	const char *consts;
	const char *write_consts;
	bool print_constants;
	bool verify_only;
	bool no_verify;
	const char *passes;
	pass_manager pm;
} opts;

static _Noreturn void __attribute__((format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("resc-opt: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
usage(FILE *f)
{
	fputs("usage: resc-opt [options] [FILE.ir|-]\n"
	      "Reads textual resc IR (stdin when no file or '-'), verifies it and prints it.\n"
	      "\noptions:\n", f);
	for (int i = 0; i < NOPTIONS; i++) {
		const opt_spec *s = &options[i];
		char left[64];
		int n = 0;
		if (s->shortname)
			n = snprintf(left, sizeof left, "-%c, ", s->shortname);
		snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", s->name,
		         s->arg ? " " : "", s->arg ? s->arg : "");
		fprintf(f, "  %-24s %s\n", left, s->help);
	}
}

static void
set_option(opts *o, const opt_spec *s, const char *arg)
{
	switch (s->id) {
	case OPT_OUTPUT:          o->output = arg; break;
	case OPT_PRINT_CONSTANTS: o->print_constants = true; break;
	case OPT_CONSTS:          o->consts = arg; break;
	case OPT_WRITE_CONSTS:    o->write_consts = arg; break;
	case OPT_VERIFY_ONLY:     o->verify_only = true; break;
	case OPT_NO_VERIFY:       o->no_verify = true; break;
	case OPT_PASSES:          o->passes = arg; break;
	case OPT_PRINT_AFTER_ALL: o->pm.print_after_all = true; break;
	case OPT_PRINT_AFTER:     o->pm.print_after = arg; break;
	case OPT_PRINT_BEFORE:    o->pm.print_before = arg; break;
	case OPT_DISABLE_PASS:    o->pm.disable = arg; break;
	case OPT_STOP_AFTER:      o->pm.stop_after = arg; break;
	case OPT_VERIFY_EACH:     o->pm.verify_each = true; break;
	case OPT_CHECK_NUMERICS:  o->pm.check_numerics = true; break;
	case OPT_LIST_PASSES:
		for (const pass_info *p = pass_table; p->name; p++)
			printf("%-16s %s\n", p->name, p->summary);
		exit(0);
	case OPT_HELP:
		usage(stdout);
		exit(0);
	case OPT_VERSION:
		printf("resc-opt %s\n", RESC_VERSION);
		exit(0);
	}
}

/* --name, --name=ARG, --name ARG, -x, -xARG, -x ARG; one positional input. */
static void
parse_args(int argc, char **argv, opts *o)
{
	bool only_files = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
			if (o->input)
				die("unexpected argument '%s' (one input file at most)", a);
			o->input = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_files = true;
			continue;
		}
		const opt_spec *s = NULL;
		const char *arg = NULL;
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			for (int k = 0; k < NOPTIONS; k++)
				if (strlen(options[k].name) == len && memcmp(options[k].name, name, len) == 0)
					s = &options[k];
			if (!s)
				die("unknown option '%.*s' (see --help)", (int)(len + 2), a);
			if (eq && !s->arg)
				die("option '--%s' takes no argument", s->name);
			if (eq)
				arg = eq + 1;
		} else {
			for (int k = 0; k < NOPTIONS; k++)
				if (options[k].shortname && options[k].shortname == a[1])
					s = &options[k];
			if (!s || (!s->arg && a[2]))
				die("unknown option '%s' (see --help)", a);
			if (a[2])
				arg = a + 2;
		}
		if (s->arg && !arg) {
			if (i + 1 >= argc)
				die("option '--%s' needs an argument (%s)", s->name, s->arg);
			arg = argv[++i];
		}
		set_option(o, s, arg);
	}
}

/* ---- files -------------------------------------------------------------- */

/* Reads all of path ("-" or NULL: stdin) into a malloc'd buffer. */
static char *
read_all(const char *path, const char *shown, size_t *len)
{
	bool std = !path || strcmp(path, "-") == 0;
	FILE *f = std ? stdin : fopen(path, "rb");
	if (!f)
		die("%s: cannot open: %s", shown, strerror(errno));
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		die("%s: out of memory", shown);
	for (;;) {
		if (n == cap) {
			char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!nb)
				die("%s: out of memory", shown);
			buf = nb;
			cap *= 2;
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f))
		die("%s: read error", shown);
	if (!std)
		fclose(f);
	*len = n;
	return buf;
}

static bool
file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The default constant store: INPUT.consts beside a named input file. */
static char *
default_consts(const char *input)
{
	if (!input || strcmp(input, "-") == 0)
		return NULL;
	size_t n = strlen(input);
	char *p = malloc(n + 8);
	if (!p)
		die("out of memory");
	memcpy(p, input, n);
	memcpy(p + n, ".consts", 8);
	if (file_exists(p))
		return p;
	free(p);
	return NULL;
}

/* Prints g to path (atomically: PATH.tmp, then rename) or to stdout. */
static void
write_ir(ir_graph *g, const char *path, const ir_print_opts *po)
{
	if (!path) {
		static char buf[1 << 16];
		setvbuf(stdout, buf, _IOFBF, sizeof buf);
		ir_graph_print(stdout, g, po);
		if (fflush(stdout) != 0 || ferror(stdout))
			die("<stdout>: write failed: %s", strerror(errno));
		return;
	}
	size_t n = strlen(path);
	char *tmp = malloc(n + 5);
	if (!tmp)
		die("out of memory");
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp", 5);
	FILE *f = fopen(tmp, "w");
	if (!f)
		die("%s: cannot create: %s", tmp, strerror(errno));
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	ir_graph_print(f, g, po);
	bool bad = fflush(f) != 0 || ferror(f);
	int err = errno;
	if (fclose(f) != 0 && !bad) {
		bad = true;
		err = errno;
	}
	if (bad) {
		remove(tmp);
		die("%s: write failed: %s", path, strerror(err));
	}
	if (rename(tmp, path) != 0) {
		err = errno;
		remove(tmp);
		die("%s: cannot rename %s: %s", path, tmp, strerror(err));
	}
	free(tmp);
}

/* ---- the pipeline ------------------------------------------------------- */

int
main(int argc, char **argv)
{
	opts o = {0};
	ir_err e = {{0}};
	ir_graph *g = NULL;
	jmp_buf oom;

	parse_args(argc, argv, &o);
	const char *name = !o.input || strcmp(o.input, "-") == 0 ? "<stdin>" : o.input;

	/* parse */
	size_t len;
	char *text = read_all(o.input, name, &len);
	if (ir_graph_parse(text, len, NULL, &g, &e) != 0)
		die("%s: %s", name, e.msg);
	free(text);

	if (setjmp(oom) != 0)
		die("%s: out of memory", name);
	g->oom = &oom;

	/* constants from the store */
	char *dflt = o.consts ? NULL : default_consts(o.input);
	const char *consts = o.consts ? o.consts : dflt;
	if (consts && ir_consts_load(g, consts, &e) != 0)
		die("%s", e.msg); /* the message starts with the store's name */
	free(dflt);

	/* verify */
	if (!o.no_verify && ir_graph_verify(g, &e) != 0)
		die("%s: %s", name, e.msg);

	/* passes */
	if (o.passes && pass_run_pipeline(g, o.passes, &o.pm, &e) != 0)
		die("%s: %s", name, e.msg);

	/* print */
	if (!o.verify_only) {
		ir_print_opts po = {.print_constants = o.print_constants};
		write_ir(g, o.output, &po);
	}
	if (o.write_consts && ir_consts_write(o.write_consts, g, &e) != 0)
		die("%s", e.msg); /* the message starts with the store's name */

	ir_graph_free(g);
	return 0;
}
