/*
 * resc.c - the compiler driver.
 *
 *     resc compile MODEL.onnx [-o OUT] [--emit KIND] ...
 *     resc run     MODEL.onnx [--interp] --input IN.pb ... --output OUT.pb ...
 *     resc inspect MODEL.onnx [--json]
 *
 * This is the only file that knows every layer: it reads the model with the
 * frontend, runs the pass pipeline, and hands the result to the backend or
 * the interpreter.  Options live in one table per subcommand, which both the
 * parser and --help read, so help cannot drift from what is accepted.
 *
 * Errors are one line on stderr, "resc: error: <file>: <what>", exit 1.
 * Output files are written to a temporary name and renamed into place, so a
 * failed run never leaves a partial file behind.
 */
#include "backend.h"
#include "frontend.h"
#include "ir.h"
#include "passes.h"
#include "resc_rt.h"
#include "ux.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RESC_VERSION "0.1.0"

/* ---- errors ------------------------------------------------------------- */

/*
 * Output files this run has already put in place.  fail() removes them, so a
 * run that fails late (the header after the object, the constant store after
 * the IR) leaves no output behind, not even a complete one without its pair.
 */
static const char **placed;
static int nplaced;

static void
placed_output(const char *path)
{
	const char **p = realloc(placed, (size_t)(nplaced + 1) * sizeof *p);
	if (p) {
		placed = p;
		placed[nplaced++] = path;
	}
}

_Noreturn void
fail(const char *file, const char *fmt, ...)
{
	va_list ap;

	ux_progress_done();
	for (int i = 0; i < nplaced; i++)
		remove(placed[i]);
	fputs("resc: error: ", stderr);
	if (file)
		fprintf(stderr, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* The model being read, for the out-of-memory message. */
static const char *current_model;

/* ir_oom_hook: any allocation failure without a closer handler. */
static _Noreturn void
oom_exit(void)
{
	fail(current_model, "out of memory");
}

/* ---- options ------------------------------------------------------------ */

enum {
	O_HELP = 1, O_OUT, O_EMIT, O_NAME, O_TARGET, O_CPU, O_OPT, O_BATCH,
	O_PRINT_CONSTS, O_QUIET, O_INTERP, O_INPUT, O_OUTPUT, O_CHECK, O_JSON,
	O_WRITE_CONSTS, O_CFLAGS, O_LIBS, O_PASSES, O_PRINT_AFTER_ALL, O_PRINT_AFTER,
	O_PRINT_BEFORE, O_DISABLE_PASS, O_STOP_AFTER, O_VERIFY_EACH,
	O_INPUT_SHAPE, O_STAGE, O_THREADS, O_ITERS, O_PROFILE, /* tools/ux.c */
	O_MAX_NODES, O_MAX_TENSOR_BYTES, O_MAX_MODEL_BYTES,
};

typedef struct optdef {
	int id;
	const char *name;   /* "--emit"; "-O" matches -O0..-O3 */
	const char *arg;    /* metavariable, or NULL for a flag */
	const char *help;
} optdef;

typedef struct command {
	const char *name;
	const char *usage;
	const char *summary;
	const optdef *opts;
	int (*run)(int argc, char **argv);
} command;

static const optdef compile_opts[] = {
	{O_OUT, "-o", "FILE", "output file (default: stdout for text kinds, MODEL.o otherwise)"},
	{O_EMIT, "--emit", "KIND", "what to write: ir (imported IR), ir-opt, obj, shared, asm, llvm, header, dot (Graphviz)"},
	{O_STAGE, "--stage", "STAGE", "with --emit dot: the graph 'imported' or 'optimized' (default)"},
	{O_NAME, "--name", "NAME", "C prefix of the generated API (default: from the output file name)"},
	{O_TARGET, "--target", "TRIPLE", "target triple (default: the host's)"},
	{O_CPU, "--cpu", "CPU", "target CPU (default: native)"},
	{O_OPT, "-O", "0-3", "optimisation level (default: -O3)"},
	{O_BATCH, "--batch", "N", "batch size: axis 0 of the inputs, dynamic or fixed (default: the model's, 1 if dynamic)"},
	{O_INPUT_SHAPE, "--input-shape", "NAME=DIMS", "compile for this input shape, e.g. input=1x3x320x320 (repeatable)"},
	{O_PRINT_CONSTS, "--print-constants", NULL, "write every constant in IR output instead of eliding big ones"},
	{O_WRITE_CONSTS, "--write-consts", "FILE", "with --emit ir: write the constant store (default: OUT.consts when -o is given)"},
	{O_PASSES, "--passes", "LIST", "run exactly these comma-separated passes instead of the -O pipeline"},
	{O_PRINT_AFTER_ALL, "--print-ir-after-all", NULL, "print the IR to stderr after every pass"},
	{O_PRINT_AFTER, "--print-ir-after", "PASS", "print the IR to stderr after these passes (comma-separated)"},
	{O_PRINT_BEFORE, "--print-ir-before", "PASS", "print the IR to stderr before these passes"},
	{O_DISABLE_PASS, "--disable-pass", "PASS", "skip these passes (comma-separated)"},
	{O_STOP_AFTER, "--stop-after", "PASS", "stop the pipeline after this pass"},
	{O_VERIFY_EACH, "--verify-each", NULL, "run the IR verifier after every pass"},
	{O_QUIET, "--quiet", NULL, "no progress output"},
	{O_MAX_NODES, "--max-nodes", "N", "refuse models with more nodes (default: 100000)"},
	{O_MAX_TENSOR_BYTES, "--max-tensor-bytes", "SIZE", "refuse any tensor larger than this (default: 2G; K/M/G suffixes)"},
	{O_MAX_MODEL_BYTES, "--max-model-bytes", "SIZE", "refuse model files larger than this (default: 2G)"},
	{O_HELP, "--help", NULL, "show this help"},
	{0},
};

static const optdef run_opts[] = {
	{O_INTERP, "--interp", NULL, "run with the reference interpreter"},
	{O_INPUT, "--input", "FILE.pb", "an input TensorProto; one per graph input, in order"},
	{O_OUTPUT, "--output", "FILE.pb", "where to write an output TensorProto; one per graph output, in order"},
	{O_CHECK, "--check", "DIR", "run every test_data_set_*/ in DIR and compare with its output_*.pb"},
	{O_BATCH, "--batch", "N", "batch size for a dynamic batch axis (default: from the input)"},
	{O_INPUT_SHAPE, "--input-shape", "NAME=DIMS", "compile for this input shape, e.g. input=1x3x320x320 (repeatable)"},
	{O_OPT, "-O", "0-3", "optimisation level of the native code (default: -O3)"},
	{O_QUIET, "--quiet", NULL, "print only errors"},
	{O_MAX_NODES, "--max-nodes", "N", "refuse models with more nodes (default: 100000)"},
	{O_MAX_TENSOR_BYTES, "--max-tensor-bytes", "SIZE", "refuse any tensor larger than this (default: 2G; K/M/G suffixes)"},
	{O_MAX_MODEL_BYTES, "--max-model-bytes", "SIZE", "refuse model files larger than this (default: 2G)"},
	{O_HELP, "--help", NULL, "show this help"},
	{0},
};

static const optdef config_opts[] = {
	{O_CFLAGS, "--cflags", NULL, "compiler flags to include generated headers and resc_rt.h"},
	{O_LIBS, "--libs", NULL, "linker flags for generated objects (the runtime, pthreads, libm)"},
	{O_HELP, "--help", NULL, "show this help"},
	{0},
};

static const optdef inspect_opts[] = {
	{O_JSON, "--json", NULL, "print one JSON object instead of a table"},
	{O_BATCH, "--batch", "N", "batch size: axis 0 of the inputs, dynamic or fixed (default: the model's, 1 if dynamic)"},
	{O_INPUT_SHAPE, "--input-shape", "NAME=DIMS", "compile for this input shape, e.g. input=1x3x320x320 (repeatable)"},
	{O_OPT, "-O", "0-3", "the pass pipeline whose result 'after' shows (default: -O3)"},
	{O_MAX_NODES, "--max-nodes", "N", "refuse models with more nodes (default: 100000)"},
	{O_MAX_TENSOR_BYTES, "--max-tensor-bytes", "SIZE", "refuse any tensor larger than this (default: 2G; K/M/G suffixes)"},
	{O_MAX_MODEL_BYTES, "--max-model-bytes", "SIZE", "refuse model files larger than this (default: 2G)"},
	{O_HELP, "--help", NULL, "show this help"},
	{0},
};

static int cmd_compile(int, char **);
static int cmd_run(int, char **);
static int cmd_inspect(int, char **);
static int cmd_config(int, char **);
static int cmd_bench(int, char **);
static int cmd_report(int, char **);

/* resc bench and resc report (tools/ux.c) */
static const optdef bench_opts[] = {
	{O_THREADS, "--threads", "N", "threads of the runtime's pool (default: RESC_NUM_THREADS or every CPU)"},
	{O_ITERS, "--iters", "K", "timed runs (default: about 2 s of work, 3 to 50)"},
	{O_PROFILE, "--profile", NULL, "also time every op in an instrumented build, sorted, with GFLOP/s"},
	{O_JSON, "--json", NULL, "print one JSON object (with --profile: every op, in graph order)"},
	{O_DISABLE_PASS, "--disable-pass", "PASS", "skip these passes of the pipeline (comma-separated), to compare"},
	{O_BATCH, "--batch", "N", "batch size: axis 0 of the inputs, dynamic or fixed (default: the model's, 1 if dynamic)"},
	{O_INPUT_SHAPE, "--input-shape", "NAME=DIMS", "compile for this input shape, e.g. input=1x3x320x320 (repeatable)"},
	{O_OPT, "-O", "0-3", "optimisation level (default: -O3)"},
	{O_QUIET, "--quiet", NULL, "no progress output"},
	{O_HELP, "--help", NULL, "show this help"},
	{0},
};

static const optdef report_opts[] = {
	{O_OUT, "-o", "FILE", "the HTML file (default: MODEL.html in the current folder)"},
	{O_PROFILE, "--profile", NULL, "run the model to add the time per layer (compiles it twice)"},
	{O_THREADS, "--threads", "N", "with --profile: threads of the runtime's pool"},
	{O_ITERS, "--iters", "K", "with --profile: timed runs"},
	{O_BATCH, "--batch", "N", "batch size: axis 0 of the inputs, dynamic or fixed (default: the model's, 1 if dynamic)"},
	{O_INPUT_SHAPE, "--input-shape", "NAME=DIMS", "compile for this input shape, e.g. input=1x3x320x320 (repeatable)"},
	{O_OPT, "-O", "0-3", "optimisation level (default: -O3)"},
	{O_QUIET, "--quiet", NULL, "no progress output"},
	{O_HELP, "--help", NULL, "show this help"},
	{0},
};

static const command commands[] = {
	{"compile", "resc compile MODEL.onnx [options]",
	 "compile an ONNX model to IR or native code", compile_opts, cmd_compile},
	{"run", "resc run MODEL.onnx --interp --input IN.pb... --output OUT.pb...\n"
	        "       resc run MODEL.onnx --interp --check DIR",
	 "run a model on TensorProto inputs", run_opts, cmd_run},
	{"inspect", "resc inspect MODEL.onnx [--json]",
	 "summarise a model: ops, parameters, MACs, shapes", inspect_opts, cmd_inspect},
	{"config", "resc config [--cflags] [--libs]",
	 "print the flags to build and link generated code", config_opts, cmd_config},
	{"bench", "resc bench MODEL.onnx [--threads N] [--iters K] [--profile] [--json]",
	 "time the compiled model; with --profile, the time of every op", bench_opts, cmd_bench},
	{"report", "resc report MODEL.onnx [-o report.html] [--profile]",
	 "write one self-contained HTML page: graph, layers, workspace plan", report_opts, cmd_report},
	{0},
};

static void
print_opts(FILE *f, const optdef *o)
{
	for (; o->id; o++) {
		char lhs[64];
		if (o->id == O_OPT)
			snprintf(lhs, sizeof lhs, "-O0|-O1|-O2|-O3");
		else
			snprintf(lhs, sizeof lhs, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-24s %s\n", lhs, o->help);
	}
}

static void
usage_main(FILE *f)
{
	fprintf(f, "usage: resc COMMAND [options]\n\n"
	           "resc compiles ONNX models of the residual-network family ahead of time.\n\n"
	           "commands:\n");
	for (const command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n  resc COMMAND --help   options of one command\n"
	           "  resc --version        print the version\n");
}

static void
usage_cmd(FILE *f, const command *c)
{
	fprintf(f, "usage: %s\n\n%s.\n\noptions:\n", c->usage, c->summary);
	print_opts(f, c->opts);
}

/* Parsed arguments of any subcommand. */
typedef struct args {
	const command *cmd;
	const char *model;
	const char *out;
	const char *emit;
	const char *name;
	const char *target;
	const char *cpu;
	const char *check;
	const char *write_consts;
	int opt_level;
	int batch;
	fe_input_shape *shapes; int nshapes;   /* --input-shape */
	const char *stage;                     /* --stage */
	int threads, iters;
	bool profile;
	int64_t max_nodes, max_tensor_bytes, max_model_bytes; /* 0: the frontend's defaults */
	bool print_consts, quiet, interp, json, cflags, libs;
	const char *passes;
	pass_manager pm;
	const char **inputs; int ninputs;
	const char **outputs; int noutputs;
} args;

static int
parse_int(const char *s, const char *what, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		fail(NULL, "%s: '%s' is not an integer in [%ld, %ld]", what, s, lo, hi);
	return (int)v;
}

/* A byte count: digits with an optional K, M, G or T suffix (powers of 1024). */
static int64_t
parse_size(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int shift = 0;
	const char *u = end != s && *end && !end[1] ? strchr("KMGT", *end & ~0x20) : NULL;
	if (u) {
		shift = 10 * (int)(u - "KMGT" + 1);
		end++;
	}
	if (errno || end == s || *end || v < 1 || v > (LLONG_MAX >> shift))
		fail(NULL, "%s: '%s' is not a positive size (bytes, or with a K, M, G or T suffix)", what, s);
	return (int64_t)v << shift;
}

/* The lists parse_args allocates (one command per process): main frees them
 * when the command returns; a command that fails exits with them still
 * reachable from here. */
static void *arg_lists[3];
static size_t arg_lists_len; /* entries of each list */

static void
free_arg_lists(void)
{
	fe_input_shape *shapes = arg_lists[2];
	for (size_t i = 0; shapes && i < arg_lists_len; i++)
		free((char *)shapes[i].name); /* ux_parse_shape's copy */
	for (int i = 0; i < 3; i++) {
		free(arg_lists[i]);
		arg_lists[i] = NULL;
	}
}

static void
parse_args(const command *c, int argc, char **argv, args *a)
{
	memset(a, 0, sizeof *a);
	a->cmd = c;
	a->opt_level = 3;
	free_arg_lists();
	a->inputs = arg_lists[0] = calloc((size_t)argc + 1, sizeof *a->inputs);
	a->outputs = arg_lists[1] = calloc((size_t)argc + 1, sizeof *a->outputs);
	a->shapes = arg_lists[2] = calloc((size_t)argc + 1, sizeof *a->shapes);
	arg_lists_len = (size_t)argc + 1;
	if (!a->inputs || !a->outputs || !a->shapes)
		fail(NULL, "out of memory");

	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		if (s[0] != '-' || strcmp(s, "-") == 0) {
			if (a->model)
				fail(NULL, "unexpected argument '%s' (one model per run; see 'resc %s --help')", s, c->name);
			a->model = s;
			continue;
		}
		const optdef *o = NULL;
		const char *val = NULL;
		for (const optdef *d = c->opts; d->id; d++) {
			size_t n = strlen(d->name);
			if (d->id == O_OPT && strncmp(s, "-O", 2) == 0) {
				o = d;
				val = s + 2;
				break;
			}
			if (strncmp(s, d->name, n) == 0 && (s[n] == 0 || (s[n] == '=' && d->arg))) {
				o = d;
				if (s[n] == '=')
					val = s + n + 1;
				break;
			}
		}
		if (!o)
			fail(NULL, "unknown option '%s' for 'resc %s' (see 'resc %s --help')", s, c->name, c->name);
		if (o->arg && !val && o->id != O_OPT) {
			if (i + 1 >= argc)
				fail(NULL, "option '%s' needs an argument (%s)", o->name, o->arg);
			val = argv[++i];
		}
		switch (o->id) {
		case O_HELP: usage_cmd(stdout, c); exit(0);
		case O_OUT: a->out = val; break;
		case O_EMIT: a->emit = val; break;
		case O_NAME: a->name = val; break;
		case O_TARGET: a->target = val; break;
		case O_CPU: a->cpu = val; break;
		case O_OPT: a->opt_level = parse_int(val, "-O", 0, 3); break;
		case O_BATCH: a->batch = parse_int(val, "--batch", 1, 1 << 20); break;
		case O_PRINT_CONSTS: a->print_consts = true; break;
		case O_WRITE_CONSTS: a->write_consts = val; break;
		case O_QUIET: a->quiet = true; break;
		case O_INTERP: a->interp = true; break;
		case O_INPUT: a->inputs[a->ninputs++] = val; break;
		case O_OUTPUT: a->outputs[a->noutputs++] = val; break;
		case O_CHECK: a->check = val; break;
		case O_JSON: a->json = true; break;
		case O_CFLAGS: a->cflags = true; break;
		case O_LIBS: a->libs = true; break;
		case O_PASSES: a->passes = val; break;
		case O_PRINT_AFTER_ALL: a->pm.print_after_all = true; break;
		case O_PRINT_AFTER: a->pm.print_after = val; break;
		case O_PRINT_BEFORE: a->pm.print_before = val; break;
		case O_DISABLE_PASS: a->pm.disable = val; break;
		case O_STOP_AFTER: a->pm.stop_after = val; break;
		case O_VERIFY_EACH: a->pm.verify_each = true; break;
		case O_INPUT_SHAPE: {
			char msg[512];
			if (ux_parse_shape(val, &a->shapes[a->nshapes++], msg, sizeof msg) != 0)
				fail(NULL, "%s", msg);
			break;
		}
		case O_STAGE: a->stage = val; break;
		case O_THREADS: a->threads = parse_int(val, "--threads", 1, 4096); break;
		case O_ITERS: a->iters = parse_int(val, "--iters", 1, 1000000); break;
		case O_PROFILE: a->profile = true; break;
		case O_MAX_NODES: a->max_nodes = parse_int(val, "--max-nodes", 1, INT_MAX); break;
		case O_MAX_TENSOR_BYTES: a->max_tensor_bytes = parse_size(val, "--max-tensor-bytes"); break;
		case O_MAX_MODEL_BYTES: a->max_model_bytes = parse_size(val, "--max-model-bytes"); break;
		}
	}
	ux_progress_enable(!a->quiet);
	if (!a->model && c->run != cmd_config)
		fail(NULL, "no model given (usage: %s)", c->usage);
}

/* ---- loading ------------------------------------------------------------ */

static ir_graph *
load(const args *a, const fe_tensor *vals, int nvals, fe_info *info)
{
	ir_err e = {{0}};
	ir_graph *g = NULL;
	fe_options o = {0};
	o.batch = a->batch;
	o.input_values = vals;
	o.ninput_values = nvals;
	o.info = info;
	o.max_nodes = a->max_nodes;
	o.max_tensor_bytes = a->max_tensor_bytes;
	o.max_model_bytes = a->max_model_bytes;
	current_model = a->model;
	o.input_shapes = a->shapes;
	o.ninput_shapes = a->nshapes;
	ux_progress("parsing", 0, 0);
	if (fe_load_onnx(a->model, &o, &g, &e) != 0)
		fail(a->model, "%s", e.msg);
	ux_progress_done();
	return g;
}

/* Runs the pass pipeline of the -O level (or --passes). */
static void
optimize(const args *a, ir_graph *g)
{
	ir_err e = {{0}};
	pass_manager pm = a->pm;
	pm.opts.opt_level = a->opt_level;
	const char *pipeline = a->passes ? a->passes : pass_default_pipeline(a->opt_level);
	if (ux_progress_on() && !pm.stop_after) {
		/* pass by pass, to show progress; the same passes in the same order */
		char *pl = strdup(pipeline), *save = NULL;
		int n = 1, k = 0;
		if (!pl)
			fail(NULL, "out of memory");
		for (const char *q = pipeline; *q; q++)
			n += *q == ',';
		for (char *p = strtok_r(pl, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			char what[128];
			snprintf(what, sizeof what, "optimising (pass %d/%d: %.60s)", ++k, n, p);
			ux_progress(what, 0, 0);
			if (pass_run_pipeline(g, p, &pm, &e) != 0)
				fail(a->model, "%s", e.msg);
		}
		free(pl);
		ux_progress_done();
		return;
	}
	if (pass_run_pipeline(g, pipeline, &pm, &e) != 0)
		fail(a->model, "%s", e.msg);
}

/* ---- output files ------------------------------------------------------- */

/* Opens a temporary file beside path; commit_file renames it into place. */
static FILE *
open_tmp(const char *path, char *tmp, size_t ntmp)
{
	snprintf(tmp, ntmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f)
		fail(path, "cannot write: %s", strerror(errno));
	return f;
}

static void
commit_file(FILE *f, const char *tmp, const char *path)
{
	bool bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		remove(tmp);
		fail(path, "write failed");
	}
	if (rename(tmp, path) != 0) {
		int err = errno;
		remove(tmp);
		fail(path, "cannot rename into place: %s", strerror(err));
	}
	placed_output(path);
}

/* ---- compile ------------------------------------------------------------ */

/* The file name without folders and extension. */
static void
stem_of(const char *path, char *out, size_t n)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(out, n, "%s", base);
	char *dot = strrchr(out, '.');
	if (dot && dot != out)
		*dot = 0;
}

/* A C identifier made from a file stem: "resnet-50" -> "resnet_50". */
static void
name_from_stem(const char *stem, char *out, size_t n)
{
	size_t j = 0;
	if (!(stem[0] == '_' || (stem[0] >= 'a' && stem[0] <= 'z') || (stem[0] >= 'A' && stem[0] <= 'Z')))
		out[j++] = '_';
	for (size_t i = 0; stem[i] && j + 1 < n; i++) {
		char c = stem[i];
		bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		out[j++] = ok ? c : '_';
	}
	out[j] = 0;
}

/* Replaces the extension of path (or appends one). */
static void
with_ext(const char *path, const char *ext, char *out, size_t n)
{
	snprintf(out, n, "%s", path);
	char *slash = strrchr(out, '/'), *dot = strrchr(out, '.');
	if (dot && (!slash || dot > slash) && dot != out)
		*dot = 0;
	size_t l = strlen(out);
	snprintf(out + l, n - l, "%s", ext);
}

#ifndef RESC_BIN_TO_LIB
#define RESC_BIN_TO_LIB "../lib"
#endif
#ifndef RESC_BIN_TO_INC
#define RESC_BIN_TO_INC "../include"
#endif

/* true when dir/file exists; then canonicalises dir into out. */
static bool
dir_with(const char *dir, const char *file, char *out, size_t n)
{
	char path[2 * PATH_MAX + 32], real[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (stat(path, &st) != 0 || !realpath(dir, real))
		return false;
	snprintf(out, n, "%s", real);
	return true;
}

/*
 * Where libresc_rt.a and resc_rt.h are: beside this executable when it is
 * installed (PREFIX/bin/resc -> PREFIX/lib, PREFIX/include, found through
 * /proc/self/exe, so an installed tree can be moved), else the build tree,
 * else the configured install prefix.
 */
static void
runtime_dirs(char *lib, char *inc, size_t n)
{
	char exe[PATH_MAX], d[2 * PATH_MAX];
	ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (l > 0) {
		exe[l] = 0;
		char *sl = strrchr(exe, '/');
		if (sl) {
			*sl = 0;
			snprintf(d, sizeof d, "%s/%s", exe, RESC_BIN_TO_LIB);
			if (dir_with(d, "libresc_rt.a", lib, n)) {
				snprintf(d, sizeof d, "%s/%s", exe, RESC_BIN_TO_INC);
				if (dir_with(d, "resc_rt.h", inc, n))
					return;
			}
		}
	}
	if (dir_with(RESC_BUILD_LIBDIR, "libresc_rt.a", lib, n) &&
	    dir_with(RESC_BUILD_INCDIR, "resc_rt.h", inc, n))
		return;
	snprintf(lib, n, "%s", RESC_INSTALL_LIBDIR);
	snprintf(inc, n, "%s", RESC_INSTALL_INCDIR);
}

/* Links an object into a shared library with the whole runtime (so that
 * resc_rt_set_num_threads and the rest are callable through it); 0 or -1. */
static int
link_shared(const char *obj, const char *so, char *err, size_t nerr)
{
	char lib[PATH_MAX], inc[PATH_MAX], cmd[3 * PATH_MAX + 256], tmp[PATH_MAX + 32];
	runtime_dirs(lib, inc, sizeof lib);
	const char *cc = getenv("CC");
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", so, (long)getpid());
	snprintf(cmd, sizeof cmd, "'%s' -shared -o '%s' '%s' -Wl,--whole-archive '%s/libresc_rt.a' -Wl,--no-whole-archive -lpthread -lm",
	         cc && *cc ? cc : "cc", tmp, obj, lib);
	int rc = system(cmd);
	if (rc != 0) {
		remove(tmp);
		snprintf(err, nerr, "linking the shared object failed (%s)", cmd);
		return -1;
	}
	if (rename(tmp, so) != 0) {
		remove(tmp);
		snprintf(err, nerr, "cannot rename into place: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
backend_options(const args *a, const char *name, be_emit emit, be_options *bo)
{
	memset(bo, 0, sizeof *bo);
	bo->name = name;
	bo->triple = a->target;
	bo->cpu = a->cpu;
	bo->opt_level = a->opt_level;
	bo->emit = emit;
	bo->pic = true;
	bo->progress = ux_progress_on() ? ux_progress : NULL;
}

/* resc compile --emit dot [--stage imported|optimized] */
static int
compile_dot(const args *a)
{
	const char *stage = a->stage ? a->stage : "optimized";
	bool imported = strcmp(stage, "imported") == 0;
	if (!imported && strcmp(stage, "optimized") != 0 && strcmp(stage, "optimised") != 0)
		fail(NULL, "--stage: unknown stage '%s' (imported, optimized)", stage);
	ir_graph *g = load(a, NULL, 0, NULL);
	if (!imported)
		optimize(a, g);
	char base[PATH_MAX], title[PATH_MAX + 64];
	ux_model_name(a->model, base, sizeof base);
	if (imported)
		snprintf(title, sizeof title, "%s (imported)", base);
	else
		snprintf(title, sizeof title, "%s (optimised, -O%d)", base, a->opt_level);
	if (a->out && strcmp(a->out, "-") != 0) {
		char tmp[PATH_MAX + 32];
		FILE *f = open_tmp(a->out, tmp, sizeof tmp);
		ux_write_dot(f, g, title);
		commit_file(f, tmp, a->out);
	} else {
		ux_write_dot(stdout, g, title);
		fflush(stdout);
	}
	ir_graph_free(g);
	return 0;
}

static int
cmd_compile(int argc, char **argv)
{
	args a;
	parse_args(&commands[0], argc, argv, &a);
	const char *emit = a.emit ? a.emit : "obj";
	static const char *kinds[] = {"ir", "ir-opt", "obj", "shared", "asm", "llvm", "header", "dot", NULL};
	bool known = false;
	for (int i = 0; kinds[i]; i++)
		known |= strcmp(emit, kinds[i]) == 0;
	if (!known)
		fail(NULL, "--emit: unknown kind '%s' (ir, ir-opt, obj, shared, asm, llvm, header, dot)", emit);
	if (a.stage && strcmp(emit, "dot") != 0)
		fail(NULL, "--stage goes with --emit dot");
	if (strcmp(emit, "dot") == 0)
		return compile_dot(&a);
	bool text = strcmp(emit, "ir") == 0 || strcmp(emit, "ir-opt") == 0;
	bool to_stdout = !a.out || strcmp(a.out, "-") == 0;

	ir_graph *g = load(&a, NULL, 0, NULL);
	ir_err e = {{0}};
	if (strcmp(emit, "ir") != 0)
		optimize(&a, g);

	if (text) {
		ir_print_opts po = {0};
		po.print_constants = a.print_consts;
		if (!to_stdout) {
			char tmp[4096];
			FILE *f = open_tmp(a.out, tmp, sizeof tmp);
			ir_graph_print(f, g, &po);
			commit_file(f, tmp, a.out);
		} else {
			ir_graph_print(stdout, g, &po);
			fflush(stdout);
		}
		const char *store = a.write_consts;
		char def[4096];
		if (!store && !to_stdout) {
			snprintf(def, sizeof def, "%s.consts", a.out);
			store = def;
		}
		if (store && ir_consts_write(store, g, &e) != 0)
			fail(store, "%s", e.msg);
		ir_graph_free(g);
		return 0;
	}

	/* native output: pick the file names, then the C prefix */
	char out[PATH_MAX], hdr[PATH_MAX], stem[256], name[256];
	const char *ext = strcmp(emit, "shared") == 0 ? ".so" : strcmp(emit, "asm") == 0 ? ".s"
	                : strcmp(emit, "llvm") == 0 ? ".ll" : strcmp(emit, "header") == 0 ? ".h" : ".o";
	if (to_stdout && strcmp(emit, "header") != 0) {
		char ms[256];
		stem_of(a.model, ms, sizeof ms);
		snprintf(out, sizeof out, "%s%s", ms, ext);
	} else if (to_stdout) {
		snprintf(out, sizeof out, "-");
	} else {
		snprintf(out, sizeof out, "%s", a.out);
	}
	stem_of(strcmp(out, "-") ? out : a.model, stem, sizeof stem);
	name_from_stem(stem, name, sizeof name);
	if (a.name)
		snprintf(name, sizeof name, "%s", a.name);
	if (!be_valid_name(name))
		fail(NULL, "--name '%s' is not a C identifier", name);

	be_options bo;
	if (strcmp(emit, "header") == 0) {
		backend_options(&a, name, BE_EMIT_OBJ, &bo);
		if (strcmp(out, "-") == 0) {
			char tmpl[] = "/tmp/resc-XXXXXX.h";
			int fd = mkstemps(tmpl, 2);
			if (fd < 0)
				fail(NULL, "cannot create a temporary file: %s", strerror(errno));
			close(fd);
			if (be_write_header(g, &bo, tmpl, &e) != 0) {
				remove(tmpl);
				fail(a.model, "%s", e.msg);
			}
			FILE *f = fopen(tmpl, "r");
			int c;
			while (f && (c = fgetc(f)) != EOF)
				putchar(c);
			if (f)
				fclose(f);
			remove(tmpl);
		} else if (be_write_header(g, &bo, out, &e) != 0) {
			fail(a.model, "%s", e.msg);
		}
		ir_graph_free(g);
		return 0;
	}

	be_emit kind = strcmp(emit, "asm") == 0 ? BE_EMIT_ASM : strcmp(emit, "llvm") == 0 ? BE_EMIT_LLVM : BE_EMIT_OBJ;
	backend_options(&a, name, kind, &bo);
	with_ext(out, ".h", hdr, sizeof hdr);
	if (strcmp(emit, "shared") == 0) {
		char obj[PATH_MAX + 32], msg[PATH_MAX * 4];
		snprintf(obj, sizeof obj, "%s.%ld.o", out, (long)getpid());
		if (be_compile(g, &bo, obj, &e) != 0)
			fail(a.model, "%s", e.msg);
		int rc = link_shared(obj, out, msg, sizeof msg);
		remove(obj);
		if (rc != 0)
			fail(out, "%s", msg);
	} else if (be_compile(g, &bo, out, &e) != 0) {
		fail(a.model, "%s", e.msg);
	}
	placed_output(out);
	if ((kind == BE_EMIT_OBJ) && be_write_header(g, &bo, hdr, &e) != 0)
		fail(a.model, "%s", e.msg);
	ir_graph_free(g);
	return 0;
}

/*
 * Compiles g with bo (an object) into a shared object in a temporary folder,
 * loads it and removes the files; fails with the model's name on error.
 */
void *
load_native(ir_graph *g, const be_options *bo, const char *model)
{
	char dir[] = "/tmp/resc-XXXXXX";
	if (!mkdtemp(dir))
		fail(NULL, "cannot create a temporary folder: %s", strerror(errno));
	char obj[sizeof dir + 16], so[sizeof dir + 16], msg[PATH_MAX * 4];
	snprintf(obj, sizeof obj, "%s/net.o", dir);
	snprintf(so, sizeof so, "%s/net.so", dir);
	ir_err e = {{0}};
	int rc = be_compile(g, bo, obj, &e);
	ux_progress_done();
	if (rc == 0 && link_shared(obj, so, msg, sizeof msg) != 0) {
		ir_errf(&e, "%s", msg);
		rc = -1;
	}
	void *h = rc == 0 ? dlopen(so, RTLD_NOW | RTLD_LOCAL) : NULL;
	remove(obj);
	remove(so);
	rmdir(dir);
	if (rc != 0)
		fail(model, "%s", e.msg);
	if (!h)
		fail(model, "cannot load the compiled model: %s", dlerror());
	return h;
}

/* Compiles g into a temporary shared object and runs it once. */
static void
run_native(const args *a, ir_graph *g, const void **in, void **out)
{
	be_options bo;
	backend_options(a, "net", BE_EMIT_OBJ, &bo);
	void *h = load_native(g, &bo, a->model);
	int (*run)(const float *const *, float *const *, void *) =
		(int (*)(const float *const *, float *const *, void *))dlsym(h, "net_run");
	if (!run)
		fail(a->model, "compiled model has no net_run");
	int r = run((const float *const *)in, (float *const *)out, NULL);
	if (r != 0)
		fail(a->model, "net_run failed: %s", resc_rt_strerror(r));
	/*
	 * No dlclose: the shared object carries its own copy of the runtime,
	 * whose pool threads live on; unmapping their code would crash them.
	 * The process ends soon after, which releases everything.
	 */
}

/* ---- run ---------------------------------------------------------------- */

static void
print_type(FILE *f, ir_dtype t, int rank, const int64_t *dims)
{
	fprintf(f, "%s[", ir_dtype_name(t));
	for (int i = 0; i < rank; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)dims[i]);
	fputc(']', f);
}

/* Maps each graph input to the tensor given for it on the command line. */
static const fe_tensor *
tensor_for_input(const ir_graph *g, int i, const fe_info *info,
                 const fe_tensor *vals, int nvals)
{
	for (int j = 0; j < info->ninputs && j < nvals; j++)
		if (g->input_names[i] && strcmp(g->input_names[i], info->input_names[j]) == 0)
			return &vals[j];
	return i < nvals ? &vals[i] : NULL;
}

/* Runs the model once.  Returns the outputs (malloc'd) in *outs. */
static void
run_once(const args *a, const fe_tensor *vals, int nvals, fe_tensor **outs, int *nouts)
{
	fe_info info = {0};
	ir_graph *g = load(a, vals, nvals, &info);
	ir_err e = {{0}};

	const void **in = calloc((size_t)g->ninputs + 1, sizeof *in);
	void **out = calloc((size_t)g->noutputs + 1, sizeof *out);
	fe_tensor *res = calloc((size_t)g->noutputs + 1, sizeof *res);
	if (!in || !out || !res)
		fail(NULL, "out of memory");
	for (int i = 0; i < g->ninputs; i++) {
		const ir_value *v = g->inputs[i];
		const fe_tensor *t = tensor_for_input(g, i, &info, vals, nvals);
		if (!t)
			fail(a->model, "graph input %d '%s' has no --input", i, v->name ? v->name : "");
		bool same = t->dtype == v->dtype && t->rank == v->rank;
		for (int k = 0; same && k < v->rank; k++)
			same = t->dims[k] == v->dims[k];
		if (!same) {
			fprintf(stderr, "resc: error: %s: input '%s' is ", a->model, v->name ? v->name : "");
			print_type(stderr, t->dtype, t->rank, t->dims);
			fprintf(stderr, " but the model wants ");
			print_type(stderr, v->dtype, v->rank, v->dims);
			fputc('\n', stderr);
			exit(1);
		}
		in[i] = t->data;
	}
	for (int i = 0; i < g->noutputs; i++) {
		const ir_value *v = g->outputs[i];
		res[i].name = strdup(g->output_names[i] ? g->output_names[i] : "");
		res[i].dtype = v->dtype;
		res[i].rank = v->rank;
		memcpy(res[i].dims, v->dims, sizeof v->dims);
		res[i].nbytes = ir_value_nbytes(v);
		res[i].data = malloc(res[i].nbytes ? res[i].nbytes : 1);
		if (!res[i].data || !res[i].name)
			fail(NULL, "out of memory");
		out[i] = res[i].data;
	}
	if (!a->interp)
		optimize(a, g);
	if (a->interp) {
		if (ir_interp_run(g, in, out, &e) != 0)
			fail(a->model, "%s", e.msg);
	} else {
		run_native(a, g, in, out);
	}
	*outs = res;
	*nouts = g->noutputs;
	free(in);
	free(out);
	fe_info_free(&info);
	ir_graph_free(g);
}

static void
read_tensor(const char *path, fe_tensor *t)
{
	ir_err e = {{0}};
	if (fe_tensor_read(path, t, &e) != 0)
		fail(path, "%s", e.msg);
}

/* Largest |got - want| and max |want| over two f32 tensors. */
static void
compare(const fe_tensor *got, const fe_tensor *want, double *maxabs, double *maxref)
{
	*maxabs = 0;
	*maxref = 0;
	size_t n = got->nbytes / sizeof(float);
	const float *g = got->data, *w = want->data;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)g[i] - (double)w[i]);
		if (d > *maxabs || isnan(d))
			*maxabs = isnan(d) ? INFINITY : d;
		if (fabs(w[i]) > *maxref)
			*maxref = fabs(w[i]);
	}
}

static int
run_check(const args *a)
{
	int failures = 0, nsets = 0;
	for (int s = 0;; s++) {
		char dir[4096], path[4200];
		snprintf(dir, sizeof dir, "%s/test_data_set_%d", a->check, s);
		struct stat st;
		if (stat(dir, &st) != 0)
			break;
		nsets++;
		fe_tensor vals[64];
		int nvals = 0;
		for (; nvals < 64; nvals++) {
			snprintf(path, sizeof path, "%s/input_%d.pb", dir, nvals);
			if (stat(path, &st) != 0)
				break;
			read_tensor(path, &vals[nvals]);
		}
		fe_tensor *outs;
		int nouts;
		run_once(a, vals, nvals, &outs, &nouts);
		for (int i = 0; i < nouts; i++) {
			fe_tensor want;
			snprintf(path, sizeof path, "%s/output_%d.pb", dir, i);
			read_tensor(path, &want);
			if (want.nbytes != outs[i].nbytes || want.dtype != outs[i].dtype)
				fail(path, "reference has a different type or size than output %d", i);
			double maxabs = 0, maxref = 0;
			if (want.dtype == IR_F32) {
				compare(&outs[i], &want, &maxabs, &maxref);
			} else if (memcmp(want.data, outs[i].data, want.nbytes) != 0) {
				maxabs = INFINITY;
			}
			double rel = maxref > 0 ? maxabs / maxref : maxabs;
			bool ok = rel <= 1e-4;
			if (!ok)
				failures++;
			if (!a->quiet || !ok)
				printf("%s output %d: max abs err %.3g, max rel err %.3g (of max |ref| %.3g): %s\n",
				       dir, i, maxabs, rel, maxref, ok ? "ok" : "MISMATCH");
			fe_tensor_free(&want);
			fe_tensor_free(&outs[i]);
		}
		free(outs);
		for (int i = 0; i < nvals; i++)
			fe_tensor_free(&vals[i]);
	}
	if (nsets == 0)
		fail(a->check, "no test_data_set_*/ folders");
	return failures ? 1 : 0;
}

static int
cmd_run(int argc, char **argv)
{
	args a;
	parse_args(&commands[1], argc, argv, &a);
	if (a.check)
		return run_check(&a);
	/* A model without inputs runs as it is; otherwise run_once names the
	 * first input that has no --input. */
	fe_tensor *vals = calloc((size_t)a.ninputs + 1, sizeof *vals);
	if (!vals)
		fail(NULL, "out of memory");
	for (int i = 0; i < a.ninputs; i++)
		read_tensor(a.inputs[i], &vals[i]);
	fe_tensor *outs;
	int nouts;
	run_once(&a, vals, a.ninputs, &outs, &nouts);
	if (a.noutputs > nouts)
		fail(a.model, "%d --output files given but the model has %d outputs", a.noutputs, nouts);
	for (int i = 0; i < nouts; i++) {
		if (i < a.noutputs) {
			ir_err e = {{0}};
			if (fe_tensor_write(a.outputs[i], &outs[i], &e) != 0)
				fail(a.outputs[i], "%s", e.msg);
			placed_output(a.outputs[i]);
		} else if (!a.quiet) {
			printf("output %d '%s': ", i, outs[i].name);
			print_type(stdout, outs[i].dtype, outs[i].rank, outs[i].dims);
			putchar('\n');
		}
		fe_tensor_free(&outs[i]);
	}
	free(outs);
	for (int i = 0; i < a.ninputs; i++)
		fe_tensor_free(&vals[i]);
	free(vals);
	return 0;
}

/* ---- inspect ------------------------------------------------------------ */

static void
json_type(FILE *f, const ir_value *v)
{
	fputc('[', f);
	for (int i = 0; i < v->rank; i++)
		fprintf(f, "%s%lld", i ? ", " : "", (long long)v->dims[i]);
	fputc(']', f);
}

/* One op histogram as a JSON object. */
static void
json_hist(const ir_stats *st)
{
	bool first = true;
	putchar('{');
	for (int k = 0; k < IR_NOPKINDS; k++)
		if (st->op_counts[k]) {
			printf("%s\"%s\": %d", first ? "" : ", ", ir_opinfos[k].name, st->op_counts[k]);
			first = false;
		}
	putchar('}');
}

/*
 * The numbers come from the compiler's own code paths: the frontend's op
 * histogram, the pass pipeline of the -O level (as `resc compile` runs it)
 * and the backend's memory planner (as the generated code uses it).
 */
static int
cmd_inspect(int argc, char **argv)
{
	args a;
	parse_args(&commands[2], argc, argv, &a);
	fe_info info = {0};
	ir_graph *g = load(&a, NULL, 0, &info);
	ir_stats imp, st;
	ir_graph_stats(g, &imp);
	optimize(&a, g);
	ir_graph_stats(g, &st);
	int64_t lb = 0, ws = plan_memory(g, &lb);
	const char *pipeline = a.passes ? a.passes : pass_default_pipeline(a.opt_level);

	if (a.json) {
		printf("{\"model\": ");
		ux_json_str(stdout, a.model);
		printf(", \"opset\": %lld, \"producer\": ", (long long)info.opset);
		ux_json_str(stdout, info.producer ? info.producer : "");
		printf(", \"nodes\": %lld, \"ops_before\": {", (long long)info.nnodes);
		for (int i = 0; i < info.ntypes; i++) {
			printf("%s", i ? ", " : "");
			ux_json_str(stdout, info.types[i]);
			printf(": %d", info.counts[i]);
		}
		printf("}, \"ops_imported\": ");
		json_hist(&imp);
		printf(", \"ops_after\": ");
		json_hist(&st);
		printf(", \"pipeline\": ");
		ux_json_str(stdout, pipeline);
		printf(", \"params\": %lld, \"macs\": %lld, \"weights_bytes\": %lld",
		       (long long)st.params, (long long)st.macs, (long long)st.weights_bytes);
		printf(", \"workspace_bytes\": %lld, \"workspace_lower_bound_bytes\": %lld",
		       (long long)ws, (long long)lb);
		printf(", \"inputs\": [");
		for (int i = 0; i < g->ninputs; i++) {
			printf("%s{\"name\": ", i ? ", " : "");
			ux_json_str(stdout, g->input_names[i]);
			printf(", \"dtype\": \"%s\", \"shape\": ", ir_dtype_name(g->inputs[i]->dtype));
			json_type(stdout, g->inputs[i]);
			putchar('}');
		}
		printf("], \"outputs\": [");
		for (int i = 0; i < g->noutputs; i++) {
			printf("%s{\"name\": ", i ? ", " : "");
			ux_json_str(stdout, g->output_names[i]);
			printf(", \"dtype\": \"%s\", \"shape\": ", ir_dtype_name(g->outputs[i]->dtype));
			json_type(stdout, g->outputs[i]);
			putchar('}');
		}
		printf("]}\n");
	} else {
		printf("model      %s\n", a.model);
		printf("producer   %s, opset %lld, %lld nodes\n",
		       info.producer ? info.producer : "?", (long long)info.opset, (long long)info.nnodes);
		for (int i = 0; i < g->ninputs; i++) {
			printf("input      %-20s ", g->input_names[i]);
			print_type(stdout, g->inputs[i]->dtype, g->inputs[i]->rank, g->inputs[i]->dims);
			putchar('\n');
		}
		for (int i = 0; i < g->noutputs; i++) {
			printf("output     %-20s ", g->output_names[i]);
			print_type(stdout, g->outputs[i]->dtype, g->outputs[i]->rank, g->outputs[i]->dims);
			putchar('\n');
		}
		printf("params     %lld (%.1f MiB of constants)\n", (long long)st.params,
		       st.weights_bytes / 1048576.0);
		printf("MACs       %lld (%.2f G)\n", (long long)st.macs, st.macs / 1e9);
		printf("workspace  %lld bytes (%.2f MiB); lower bound %lld (%.2f MiB), %+.1f%%\n",
		       (long long)ws, ws / 1048576.0, (long long)lb, lb / 1048576.0,
		       lb ? 100.0 * (double)(ws - lb) / (double)lb : 0.0);
		printf("pipeline   %s\n", pipeline);
		printf("\n%-28s %8s %8s %8s\n", "", "ONNX", "imported", "after");
		for (int i = 0; i < info.ntypes; i++)
			printf("  %-26s %8d\n", info.types[i], info.counts[i]);
		for (int k = 0; k < IR_NOPKINDS; k++)
			if (imp.op_counts[k] || st.op_counts[k])
				printf("  %-26s %8s %8d %8d\n", ir_opinfos[k].name, "", imp.op_counts[k], st.op_counts[k]);
		printf("  %-26s %8lld %8d %8d\n", "total", (long long)info.nnodes, imp.nops, st.nops);
	}
	fe_info_free(&info);
	ir_graph_free(g);
	return 0;
}

/* ---- config ------------------------------------------------------------- */

static int
cmd_config(int argc, char **argv)
{
	args a;
	parse_args(&commands[3], argc, argv, &a);
	if (a.model)
		fail(NULL, "'resc config' takes no model");
	char lib[PATH_MAX], inc[PATH_MAX];
	runtime_dirs(lib, inc, sizeof lib);
	if (!a.cflags && !a.libs)
		a.cflags = a.libs = true;
	if (a.cflags)
		printf("-I%s%s", inc, a.libs ? " " : "\n");
	if (a.libs)
		printf("-L%s -lresc_rt -lpthread -lm%s\n", lib, RESC_RT_LINK_EXTRA);
	return 0;
}

/* ---- bench and report (tools/ux.c) -------------------------------------- */

static const command *
find_command(const char *name)
{
	for (const command *k = commands; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	ir_die("no command %s", name);
}

/* The model loaded and optimised as `resc compile` does it. */
static void
ux_job_init(const args *a, ux_job *j, fe_info *info)
{
	memset(j, 0, sizeof *j);
	j->model = a->model;
	j->g = load(a, NULL, 0, info);
	ir_graph_stats(j->g, &j->imported);
	optimize(a, j->g);
	j->info = info;
	j->pipeline = a->passes ? a->passes : pass_default_pipeline(a->opt_level);
	backend_options(a, "net", BE_EMIT_OBJ, &j->bo);
	j->out = a->out;
	j->threads = a->threads;
	j->iters = a->iters;
	j->profile = a->profile;
	j->quiet = a->quiet;
	j->json = a->json;
}

static int
cmd_bench(int argc, char **argv)
{
	args a;
	fe_info info = {0};
	ux_job j;
	parse_args(find_command("bench"), argc, argv, &a);
	ux_job_init(&a, &j, &info);
	int rc = ux_bench(&j);
	ir_graph_free(j.g);
	fe_info_free(&info);
	return rc;
}

static int
cmd_report(int argc, char **argv)
{
	args a;
	fe_info info = {0};
	ux_job j;
	char out[PATH_MAX];
	parse_args(find_command("report"), argc, argv, &a);
	ux_job_init(&a, &j, &info);
	if (!j.out) {
		stem_of(a.model, out, sizeof out - 8);
		strcat(out, ".html");
		j.out = out;
	}
	int rc = ux_report(&j);
	ir_graph_free(j.g);
	fe_info_free(&info);
	return rc;
}

/* `resc help --markdown`: docs/cli.md, from the same tables as --help. */
static void
md_text(const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", stdout);
		else
			putchar(*s);
	}
}

static void
usage_markdown(void)
{
	printf("# resc command-line reference\n\n"
	       "<!-- Generated by `resc help --markdown` from the option tables in tools/resc.c\n"
	       "     (the ones --help prints); the ux/cli-doc test fails when this file differs. -->\n\n"
	       "`resc COMMAND [options]` compiles ONNX models of the residual-network family\n"
	       "ahead of time. Errors are one line, `resc: error: <file>: <what>`, with exit\n"
	       "status 1. `resc COMMAND --help` prints the options of one command,\n"
	       "`resc --version` the version.\n\n| command | what it does |\n|---|---|\n");
	for (const command *c = commands; c->name; c++) {
		printf("| [`%s`](#resc-%s) | ", c->name, c->name);
		md_text(c->summary);
		printf(" |\n");
	}
	for (const command *c = commands; c->name; c++) {
		printf("\n## resc %s\n\n", c->name);
		md_text(c->summary);
		printf(".\n\n```\n%s\n```\n\n| option | meaning |\n|---|---|\n", c->usage);
		for (const optdef *o = c->opts; o->id; o++) {
			if (o->id == O_OPT)
				printf("| `-O0` `-O1` `-O2` `-O3` | ");
			else
				printf("| `%s%s%s` | ", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
			md_text(o->help);
			printf(" |\n");
		}
	}
}

/* ---- main --------------------------------------------------------------- */

/* RESC_FAULT_REPORT: how many allocations were counted (to size a walk). */
static void
fault_report(void)
{
	fprintf(stderr, "resc: fault injection: %ld allocations counted\n", ir_fault_count());
}

int
main(int argc, char **argv)
{
	/*
	 * Fault injection for tests (docs/security.md): RESC_FAIL_ALLOC_AT=N
	 * fails the Nth counted allocation (the IR arena, the frontend and its
	 * protobuf allocator); every such failure must end in one line
	 * "resc: error: MODEL: out of memory" and exit 1.
	 */
	const char *fa = getenv("RESC_FAIL_ALLOC_AT");
	if (fa && *fa) {
		ir_fault_set(strtol(fa, NULL, 10));
		if (getenv("RESC_FAULT_REPORT"))
			atexit(fault_report);
	}
	ir_oom_hook = oom_exit;
	if (argc < 2) {
		usage_main(stderr);
		return 1;
	}
	const char *c = argv[1];
	if (strcmp(c, "help") == 0 && argc > 2 && strcmp(argv[2], "--markdown") == 0) {
		usage_markdown();
		return 0;
	}
	if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "help") == 0) {
		if (argc > 2)
			for (const command *k = commands; k->name; k++)
				if (strcmp(k->name, argv[2]) == 0) {
					usage_cmd(stdout, k);
					return 0;
				}
		usage_main(stdout);
		return 0;
	}
	if (strcmp(c, "--version") == 0) {
		printf("resc %s\n", RESC_VERSION);
		return 0;
	}
	for (const command *k = commands; k->name; k++)
		if (strcmp(k->name, c) == 0) {
			int rc = k->run(argc - 2, argv + 2);
			free_arg_lists();
			return rc;
		}
	fprintf(stderr, "resc: error: unknown command '%s' (see 'resc --help')\n", c);
	return 1;
}
