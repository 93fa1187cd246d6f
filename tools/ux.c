/*
 * ux.c - progress, DOT, bench/profile and the HTML report (see ux.h).
 *
 * Everything here reads the compiler's own data: the graph after the pass
 * pipeline, ir_op_macs (as `resc inspect`), plan_memory's offsets (as the
 * generated code uses them), and timings of the generated code itself,
 * built once plainly and once with a call of the runtime's profiling hooks
 * around each op (be_options.profile, runtime/profile.c).
 */
#include "ux.h"
#include "passes.h"
#include "resc_rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- progress ------------------------------------------------------------ */

static struct {
	bool on, shown;
	const char *stage;
	double last;
} P;

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void
ux_progress_enable(bool on)
{
	static bool registered;
	P.on = on && isatty(2);
	if (P.on && !registered) {
		atexit(ux_progress_done); /* the last stage's line goes when resc ends */
		registered = true;
	}
}

bool
ux_progress_on(void)
{
	return P.on;
}

void
ux_progress(const char *stage, int i, int n)
{
	if (!P.on)
		return;
	double t = now_s();
	/* redraw on a new stage, the last step, or every 50 ms */
	if (P.stage == stage && i != n && t - P.last < 0.05)
		return;
	P.stage = stage;
	P.last = t;
	if (n > 0)
		fprintf(stderr, "\r\033[Kresc: %s %d/%d", stage, i, n);
	else
		fprintf(stderr, "\r\033[Kresc: %s", stage);
	fflush(stderr);
	P.shown = true;
}

void
ux_progress_done(void)
{
	if (P.shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	P.shown = false;
	P.stage = NULL;
}

/* ---- shapes ---------------------------------------------------------------- */

int
ux_parse_shape(const char *spec, fe_input_shape *out, char *err, size_t nerr)
{
	memset(out, 0, sizeof *out);
	const char *eq = strrchr(spec, '=');
	if (!eq || eq == spec) {
		snprintf(err, nerr, "--input-shape: '%s' is not NAME=DIMS (e.g. input=1x3x320x320)", spec);
		return -1;
	}
	char *name = strndup(spec, (size_t)(eq - spec));
	if (!name) {
		snprintf(err, nerr, "out of memory");
		return -1;
	}
	out->name = name;
	const char *p = eq + 1;
	while (*p) {
		char *end;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (end == p || errno || v < 1 || v > (1LL << 31) || out->rank == IR_MAX_DIMS ||
		    (*end && *end != 'x' && *end != 'X' && *end != ',')) {
			snprintf(err, nerr, "--input-shape: '%s' is not NAME=DIMS with positive dims "
			         "separated by x, at most %d (e.g. input=1x3x320x320)", spec, IR_MAX_DIMS);
			return -1;
		}
		out->dims[out->rank++] = v;
		p = end;
		if (*p) {
			p++;
			if (!*p) {
				snprintf(err, nerr, "--input-shape: '%s' ends in a separator", spec);
				return -1;
			}
		}
	}
	if (out->rank == 0) {
		snprintf(err, nerr, "--input-shape: '%s' gives no dims", spec);
		return -1;
	}
	return 0;
}

void
ux_shape_str(const ir_value *v, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = 0;
	if (v->rank == 0)
		snprintf(buf, n, "scalar");
	for (int d = 0; d < v->rank && k < n; d++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? "x" : "", (long long)v->dims[d]);
}

/* ---- op labels ------------------------------------------------------------- */

typedef struct sbuf {
	char *p;
	size_t n, k;
} sbuf;

static void
sb_printf(sbuf *b, const char *fmt, ...)
{
	if (b->k >= b->n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(b->p + b->k, b->n - b->k, fmt, ap);
	va_end(ap);
	if (r > 0)
		b->k += (size_t)r;
	if (b->k >= b->n)
		b->k = b->n - 1;
}

static void
act_label(sbuf *b, const ir_op *op)
{
	const char *act = ir_op_string(op, "act", NULL);
	if (!act)
		return;
	if (strcmp(act, "clip") == 0)
		sb_printf(b, " clip[%g,%g]", ir_op_float(op, "act_min", -INFINITY), ir_op_float(op, "act_max", INFINITY));
	else
		sb_printf(b, " %s", act);
}

static void
pair_label(sbuf *b, const ir_op *op, const char *attr, const char *pre, bool skip_ones)
{
	int n;
	const int64_t *v = ir_op_ints(op, attr, &n);
	if (!v || n == 0)
		return;
	bool ones = true, same = true;
	for (int i = 0; i < n; i++) {
		ones &= v[i] == 1;
		same &= v[i] == v[0];
	}
	if (skip_ones && ones)
		return;
	if (same) {
		sb_printf(b, "%s%lld", pre, (long long)v[0]);
		return;
	}
	sb_printf(b, "%s", pre);
	for (int i = 0; i < n; i++)
		sb_printf(b, "%s%lld", i ? "x" : "", (long long)v[i]);
}

void
ux_op_label(const ir_op *op, char *buf, size_t n)
{
	sbuf b = {buf, n, 0};
	buf[0] = 0;
	const char *name = ir_opinfos[op->kind].name;
	switch (op->kind) {
	case IR_OP_CONV: {
		const ir_value *w = op->operands[1];
		sb_printf(&b, "conv");
		if (w->rank == 4)
			sb_printf(&b, " %lldx%lld", (long long)w->dims[2], (long long)w->dims[3]);
		pair_label(&b, op, "strides", " /s", false);
		pair_label(&b, op, "dilations", " d", true);
		int64_t grp = ir_op_int(op, "group", 1);
		if (grp > 1)
			sb_printf(&b, " g%lld", (long long)grp);
		if (op->noperands > 2 && op->operands[2])
			sb_printf(&b, " +bias");
		if (op->noperands > 3 && op->operands[3])
			sb_printf(&b, " +residual");
		act_label(&b, op);
		break;
	}
	case IR_OP_MAXPOOL:
	case IR_OP_AVGPOOL: {
		sb_printf(&b, "%s", name);
		int k;
		const int64_t *ks = ir_op_ints(op, "kernel", &k);
		if (ks && k == 2)
			sb_printf(&b, " %lldx%lld", (long long)ks[0], (long long)ks[1]);
		pair_label(&b, op, "strides", " /s", false);
		break;
	}
	case IR_OP_GEMM:
	case IR_OP_FC:
		sb_printf(&b, "%s", op->kind == IR_OP_FC ? "fc (avgpool+linear)" : name);
		if (op->noperands > 2 && op->operands[2])
			sb_printf(&b, " +bias");
		act_label(&b, op);
		break;
	case IR_OP_SCALE_SHIFT:
		sb_printf(&b, "scale_shift");
		if (op->noperands > 2 && op->operands[2])
			sb_printf(&b, " +shift");
		if (op->noperands > 3 && op->operands[3])
			sb_printf(&b, " +residual");
		act_label(&b, op);
		break;
	case IR_OP_SE_GATE: {
		int64_t r = ir_op_int(op, "radix", 1);
		if (r > 1)
			sb_printf(&b, "se_gate (fc relu fc rsoftmax, radix %lld)", (long long)r);
		else
			sb_printf(&b, "se_gate (fc relu fc sigmoid)");
		break;
	}
	case IR_OP_SIGMOID_MUL:
		sb_printf(&b, "sigmoid_mul ((%g+sigmoid(m))*t)", ir_op_float(op, "offset", 0));
		break;
	case IR_OP_RADIX_COMBINE:
		sb_printf(&b, "radix_combine (radix %lld)", (long long)ir_op_int(op, "radix", 0));
		break;
	case IR_OP_CLIP:
		sb_printf(&b, "clip[%g,%g]", ir_op_float(op, "min", -INFINITY), ir_op_float(op, "max", INFINITY));
		break;
	default:
		sb_printf(&b, "%s", name);
		act_label(&b, op);
		break;
	}
}

/* Bytes of the constant operands of op (its weights). */
static int64_t
op_weight_bytes(const ir_op *op)
{
	int64_t s = 0;
	for (int i = 0; i < op->noperands; i++)
		if (op->operands[i] && op->operands[i]->is_const)
			s += (int64_t)ir_value_nbytes(op->operands[i]);
	return s;
}

static void
bytes_str(int64_t n, char *buf, size_t len)
{
	if (n >= (1 << 20))
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
	else if (n >= 1024)
		snprintf(buf, len, "%.1f KiB", n / 1024.0);
	else
		snprintf(buf, len, "%lld B", (long long)n);
}

/* "resnet50/model.onnx" for DIR/resnet50/model.onnx, else the file name. */
void
ux_model_name(const char *path, char *buf, size_t n)
{
	const char *b = strrchr(path, '/');
	if (!b) {
		snprintf(buf, n, "%s", path);
		return;
	}
	if (strcmp(b + 1, "model.onnx") == 0) {
		const char *p = b;
		while (p > path && p[-1] != '/')
			p--;
		snprintf(buf, n, "%s", p);
		return;
	}
	snprintf(buf, n, "%s", b + 1);
}

/* ---- DOT ------------------------------------------------------------------- */

static void
dot_str(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c >= 0x20)
			fputc(c, f);
	}
}

/* The last n characters of a long source name ("...layer4/layer4.2/conv3/Conv"). */
static const char *
short_loc(const char *loc, char *buf, size_t n)
{
	size_t l = strlen(loc);
	if (l + 1 <= n)
		return loc;
	snprintf(buf, n, "...%s", loc + l - (n - 4));
	return buf;
}

static const char *
op_colour(const ir_op *op)
{
	switch (op->kind) {
	case IR_OP_CONV: return "#cfe2ff";
	case IR_OP_GEMM: case IR_OP_FC: case IR_OP_MATMUL: return "#ffe8b0";
	case IR_OP_MAXPOOL: case IR_OP_AVGPOOL: case IR_OP_GLOBALAVGPOOL: return "#d8f0d0";
	case IR_OP_SE_GATE: case IR_OP_SIGMOID_MUL: case IR_OP_RADIX_COMBINE: case IR_OP_SCALE_SHIFT:
		return "#ead8f5";
	default:
		return ir_opinfos[op->kind].flags & F_MOVE ? "#ffffff" : "#eeeeee";
	}
}

void
ux_write_dot(FILE *f, const ir_graph *g, const char *title)
{
	int64_t cbytes = 0;
	for (int i = 0; i < g->nconsts; i++)
		cbytes += (int64_t)ir_value_nbytes(g->consts[i]);
	char cb[32], label[512], shape[128], lb[64];
	bytes_str(cbytes, cb, sizeof cb);
	fprintf(f, "digraph resc {\n  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\"");
	dot_str(f, title);
	fprintf(f, "\\n%d ops, %d constants (%s, not drawn: each op lists its weights)\"];\n", g->nops, g->nconsts, cb);
	fprintf(f, "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n"
	           "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n");
	for (int i = 0; i < g->ninputs; i++) {
		ux_shape_str(g->inputs[i], shape, sizeof shape);
		fprintf(f, "  in%d [shape=ellipse, fillcolor=\"#c8f7c5\", label=\"graph input ", i);
		dot_str(f, g->input_names[i]);
		fprintf(f, "\\n%s %s\"];\n", ir_dtype_name(g->inputs[i]->dtype), shape);
	}
	for (const ir_op *op = g->first; op; op = op->next) {
		ux_op_label(op, label, sizeof label);
		fprintf(f, "  op%d [fillcolor=\"%s\", label=\"", op->id, op_colour(op));
		dot_str(f, label);
		if (op->loc && *op->loc) {
			fputs("\\n", f);
			dot_str(f, short_loc(op->loc, lb, 40));
		}
		int64_t wb = op_weight_bytes(op);
		if (wb) {
			bytes_str(wb, cb, sizeof cb);
			fprintf(f, "\\nweights %s", cb);
		}
		fprintf(f, "\"];\n");
	}
	for (int i = 0; i < g->noutputs; i++) {
		ux_shape_str(g->outputs[i], shape, sizeof shape);
		fprintf(f, "  out%d [shape=ellipse, fillcolor=\"#fde2c8\", label=\"graph output ", i);
		dot_str(f, g->output_names[i]);
		fprintf(f, "\\n%s %s\"];\n", ir_dtype_name(g->outputs[i]->dtype), shape);
	}
	/* edges: producer (op or graph input) -> consumer, with the shape */
	for (const ir_op *op = g->first; op; op = op->next) {
		for (int j = 0; j < op->noperands; j++) {
			const ir_value *v = op->operands[j];
			if (!v || v->is_const)
				continue;
			bool dup = false; /* the same value twice into one op: one edge */
			for (int q = 0; q < j; q++)
				dup |= op->operands[q] == v;
			if (dup)
				continue;
			ux_shape_str(v, shape, sizeof shape);
			if (v->def) {
				fprintf(f, "  op%d -> op%d [label=\"%s\"];\n", v->def->id, op->id, shape);
			} else {
				for (int i = 0; i < g->ninputs; i++)
					if (g->inputs[i] == v)
						fprintf(f, "  in%d -> op%d [label=\"%s\"];\n", i, op->id, shape);
			}
		}
	}
	for (int i = 0; i < g->noutputs; i++) {
		const ir_value *v = g->outputs[i];
		ux_shape_str(v, shape, sizeof shape);
		if (v->def)
			fprintf(f, "  op%d -> out%d [label=\"%s\"];\n", v->def->id, i, shape);
		else
			for (int k = 0; k < g->ninputs; k++)
				if (g->inputs[k] == v)
					fprintf(f, "  in%d -> out%d [label=\"%s\"];\n", k, i, shape);
	}
	fprintf(f, "}\n");
}

/* ---- native code: compile to a shared object and load it -------------------- */

typedef int (*run_fn)(const float *const *, float *const *, void *);

typedef struct native {
	void *h;
	run_fn run;
	size_t (*ws_size)(void);
	int (*set_threads)(int);
	void *(*alloc)(size_t);
	void (*free)(void *);
	void (*profile_reset)(int64_t *, int);
} native;

static void *
sym(void *h, const char *name, const char *model)
{
	void *p = dlsym(h, name);
	if (!p)
		fail(model, "the compiled model has no %s", name);
	return p;
}

static void
native_build(ux_job *j, bool profile, native *n)
{
	be_options bo = j->bo;
	bo.name = "net";
	bo.emit = BE_EMIT_OBJ;
	bo.pic = true;
	bo.profile = profile;
	bo.progress = ux_progress_on() ? ux_progress : NULL;
	n->h = load_native(j->g, &bo, j->model);
	/* the shared object has its own copy of the runtime: use its functions
	 * (no dlclose: its pool threads live on; see run_native in resc.c) */
	n->run = (run_fn)sym(n->h, "net_run", j->model);
	n->ws_size = (size_t (*)(void))sym(n->h, "net_workspace_size", j->model);
	n->set_threads = (int (*)(int))sym(n->h, "resc_rt_set_num_threads", j->model);
	n->alloc = (void *(*)(size_t))sym(n->h, "resc_rt_alloc", j->model);
	n->free = (void (*)(void *))sym(n->h, "resc_rt_free", j->model);
	n->profile_reset = (void (*)(int64_t *, int))sym(n->h, "resc_rt_profile_reset", j->model);
}

typedef struct buffers {
	const float **in;
	float **out;
	void *ws;
} buffers;

static void
buffers_make(const ir_graph *g, const native *n, buffers *b, const char *model)
{
	b->in = calloc((size_t)g->ninputs + 1, sizeof *b->in);
	b->out = calloc((size_t)g->noutputs + 1, sizeof *b->out);
	if (!b->in || !b->out)
		fail(NULL, "out of memory");
	uint64_t s = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < g->ninputs; i++) {
		size_t nb = ir_value_nbytes(g->inputs[i]);
		float *p = malloc(nb + 4);
		if (!p)
			fail(NULL, "out of memory");
		for (size_t k = 0; k < nb / 4; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			p[k] = (float)((double)(s >> 40) / (double)(1 << 24) * 2.0 - 1.0);
		}
		b->in[i] = p;
	}
	for (int i = 0; i < g->noutputs; i++)
		if (!(b->out[i] = malloc(ir_value_nbytes(g->outputs[i]) + 4)))
			fail(NULL, "out of memory");
	b->ws = n->alloc(n->ws_size());
	if (!b->ws)
		fail(model, "cannot allocate the workspace (%zu bytes)", n->ws_size());
}

static void
buffers_free(const ir_graph *g, const native *n, buffers *b)
{
	for (int i = 0; i < g->ninputs; i++)
		free((void *)b->in[i]);
	for (int i = 0; i < g->noutputs; i++)
		free(b->out[i]);
	free(b->in);
	free(b->out);
	n->free(b->ws);
	memset(b, 0, sizeof *b);
}

static void
run_checked(const native *n, const buffers *b, const char *model)
{
	int rc = n->run(b->in, b->out, b->ws);
	if (rc != 0)
		fail(model, "net_run failed: %s", resc_rt_strerror(rc));
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

typedef struct timing {
	double median_ms, min_ms, mean_ms;
	int iters, threads;
	int64_t *op_ns;        /* per op, summed over the profiled runs; NULL without */
	int profiled_iters;
	int nops;
} timing;

static int
default_iters(const ir_graph *g)
{
	ir_stats st;
	ir_graph_stats(g, &st);
	/* about 2 s of work at ~20 GMAC/s, between 3 and 50 runs */
	double est = (double)st.macs / 20e9;
	int it = est > 0 ? (int)(2.0 / est) : 50;
	return it < 3 ? 3 : it > 50 ? 50 : it;
}

static void
measure(ux_job *j, timing *t)
{
	memset(t, 0, sizeof *t);
	int iters = j->iters > 0 ? j->iters : default_iters(j->g);
	t->iters = iters;
	t->nops = j->g->nops;

	native n;
	buffers b;
	native_build(j, false, &n);
	t->threads = n.set_threads(j->threads > 0 ? j->threads : 0);
	buffers_make(j->g, &n, &b, j->model);
	run_checked(&n, &b, j->model); /* warm up: pool, caches, page faults */
	run_checked(&n, &b, j->model);
	double *ms = calloc((size_t)iters, sizeof *ms);
	if (!ms)
		fail(NULL, "out of memory");
	double sum = 0;
	for (int i = 0; i < iters; i++) {
		double t0 = now_s();
		run_checked(&n, &b, j->model);
		ms[i] = (now_s() - t0) * 1e3;
		sum += ms[i];
	}
	qsort(ms, (size_t)iters, sizeof *ms, cmp_double);
	t->median_ms = iters % 2 ? ms[iters / 2] : 0.5 * (ms[iters / 2 - 1] + ms[iters / 2]);
	t->min_ms = ms[0];
	t->mean_ms = sum / iters;
	free(ms);
	buffers_free(j->g, &n, &b);
	n.set_threads(1); /* let its pool go idle while the next one runs */

	if (!j->profile)
		return;
	native p;
	buffers pb;
	native_build(j, true, &p);
	p.set_threads(t->threads);
	buffers_make(j->g, &p, &pb, j->model);
	t->op_ns = calloc((size_t)t->nops + 1, sizeof *t->op_ns);
	if (!t->op_ns)
		fail(NULL, "out of memory");
	run_checked(&p, &pb, j->model);
	p.profile_reset(t->op_ns, t->nops);
	for (int i = 0; i < iters; i++)
		run_checked(&p, &pb, j->model);
	p.profile_reset(NULL, 0);
	buffers_free(j->g, &p, &pb);
	t->profiled_iters = iters;
}

/* ---- bench ------------------------------------------------------------------ */

typedef struct oprow {
	const ir_op *op;
	int index;
	double ms;
} oprow;

static int
cmp_row_time(const void *a, const void *b)
{
	const oprow *x = a, *y = b;
	if (x->ms != y->ms)
		return x->ms > y->ms ? -1 : 1;
	return x->index - y->index;
}

static oprow *
op_rows(const ir_graph *g, const timing *t)
{
	oprow *rows = calloc((size_t)g->nops + 1, sizeof *rows);
	if (!rows)
		fail(NULL, "out of memory");
	int i = 0;
	for (const ir_op *op = g->first; op; op = op->next, i++) {
		rows[i].op = op;
		rows[i].index = i;
		rows[i].ms = t->op_ns && t->profiled_iters ? t->op_ns[i] / 1e6 / t->profiled_iters : 0;
	}
	return rows;
}

void
ux_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* resc bench --json: the same numbers, ops in graph order with their full source names. */
static void
bench_json(const ux_job *j, const ir_stats *st, const timing *t)
{
	const ir_graph *g = j->g;
	char buf[256];
	printf("{\"model\": ");
	ux_json_str(stdout, j->model);
	printf(", \"inputs\": [");
	for (int i = 0; i < g->ninputs; i++) {
		ux_shape_str(g->inputs[i], buf, sizeof buf);
		printf("%s{\"name\": ", i ? ", " : "");
		ux_json_str(stdout, g->input_names[i]);
		printf(", \"shape\": ");
		ux_json_str(stdout, buf);
		printf("}");
	}
	printf("], \"macs\": %lld, \"threads\": %d, \"iters\": %d, \"median_ms\": %.6f, "
	       "\"min_ms\": %.6f, \"mean_ms\": %.6f",
	       (long long)st->macs, t->threads, t->iters, t->median_ms, t->min_ms, t->mean_ms);
	if (j->profile) {
		printf(",\n \"profile\": {\"iters\": %d, \"ops\": [", t->profiled_iters);
		oprow *rows = op_rows(g, t);
		for (int i = 0; i < g->nops; i++) {
			const ir_op *op = rows[i].op;
			printf("%s\n  {\"index\": %d, \"kind\": ", i ? "," : "", i);
			ux_json_str(stdout, ir_opinfos[op->kind].name);
			ux_op_label(op, buf, sizeof buf);
			printf(", \"what\": ");
			ux_json_str(stdout, buf);
			ux_shape_str(op->results[0], buf, sizeof buf);
			printf(", \"output\": ");
			ux_json_str(stdout, buf);
			printf(", \"ms\": %.6f, \"macs\": %lld, \"source\": ", rows[i].ms,
			       (long long)ir_op_macs(op));
			ux_json_str(stdout, op->loc ? op->loc : "");
			printf("}");
		}
		free(rows);
		printf("]}");
	}
	printf("}\n");
}

int
ux_bench(ux_job *j)
{
	ir_graph *g = j->g;
	ir_stats st;
	ir_graph_stats(g, &st);
	timing t;
	measure(j, &t);
	if (j->json) {
		bench_json(j, &st, &t);
		free(t.op_ns);
		return 0;
	}
	char shape[128];
	printf("model      %s\n", j->model);
	for (int i = 0; i < g->ninputs; i++) {
		ux_shape_str(g->inputs[i], shape, sizeof shape);
		printf("input      %s %s\n", g->input_names[i], shape);
	}
	if (st.macs >= 100000000)
		printf("work       %.3f GMAC (%.3f GFLOP) per run\n", st.macs / 1e9, 2.0 * st.macs / 1e9);
	else
		printf("work       %.3f MMAC (%.3f MFLOP) per run\n", st.macs / 1e6, 2.0 * st.macs / 1e6);
	printf("threads    %d\n", t.threads);
	printf("latency    median %.3f ms, min %.3f ms, mean %.3f ms over %d runs (%.1f GFLOP/s at the median)\n",
	       t.median_ms, t.min_ms, t.mean_ms, t.iters,
	       t.median_ms > 0 ? 2.0 * st.macs / (t.median_ms * 1e6) : 0.0);
	if (!j->profile)
		return 0;

	oprow *rows = op_rows(g, &t);
	double total = 0;
	for (int i = 0; i < g->nops; i++)
		total += rows[i].ms;
	qsort(rows, (size_t)g->nops, sizeof *rows, cmp_row_time);
	printf("\nprofile    instrumented build, %d runs: ops take %.3f ms per run in total\n"
	       "           (%.3f ms over the plain build's median: the hooks and the gaps between ops)\n\n",
	       t.profiled_iters, total, total - t.median_ms);
	printf("%5s  %-44s %-18s %10s %7s %7s %9s  %s\n", "op", "what", "output", "ms", "share", "cum", "GFLOP/s",
	       "source");
	double cum = 0;
	char label[256];
	for (int i = 0; i < g->nops; i++) {
		const oprow *r = &rows[i];
		ux_op_label(r->op, label, sizeof label);
		ux_shape_str(r->op->results[0], shape, sizeof shape);
		int64_t macs = ir_op_macs(r->op);
		cum += r->ms;
		printf("%5d  %-44.44s %-18.18s %10.4f %6.2f%% %6.2f%%", r->index, label, shape, r->ms,
		       total > 0 ? 100 * r->ms / total : 0.0, total > 0 ? 100 * cum / total : 0.0);
		if (macs && r->ms > 0)
			printf(" %9.1f", 2.0 * macs / (r->ms * 1e6));
		else
			printf(" %9s", "");
		char lb[40];
		printf("  %s\n", r->op->loc ? short_loc(r->op->loc, lb, sizeof lb) : "");
	}
	free(rows);
	free(t.op_ns);
	return 0;
}

/* ---- report ------------------------------------------------------------------ */

static void
html_str(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* The SVG of g drawn by Graphviz's dot, without its XML prolog; NULL when
 * dot is missing or fails (the report says so). */
static char *
graph_svg(const ir_graph *g, const char *title)
{
	char dir[] = "/tmp/resc-report-XXXXXX";
	if (!mkdtemp(dir))
		return NULL;
	char dotp[sizeof dir + 16], svgp[sizeof dir + 16], cmd[3 * sizeof dir + 128];
	snprintf(dotp, sizeof dotp, "%s/g.dot", dir);
	snprintf(svgp, sizeof svgp, "%s/g.svg", dir);
	FILE *f = fopen(dotp, "w");
	char *svg = NULL;
	if (f) {
		ux_write_dot(f, g, title);
		if (fclose(f) == 0) {
			snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' -o '%s' 2>/dev/null", dotp, svgp);
			if (system(cmd) == 0 && (f = fopen(svgp, "rb"))) {
				fseek(f, 0, SEEK_END);
				long n = ftell(f);
				fseek(f, 0, SEEK_SET);
				svg = n > 0 ? malloc((size_t)n + 1) : NULL;
				if (svg && fread(svg, 1, (size_t)n, f) == (size_t)n) {
					svg[n] = 0;
				} else {
					free(svg);
					svg = NULL;
				}
				fclose(f);
			}
		}
	}
	remove(dotp);
	remove(svgp);
	rmdir(dir);
	if (svg) {
		char *s = strstr(svg, "<svg");
		if (!s) {
			free(svg);
			return NULL;
		}
		memmove(svg, s, strlen(s) + 1);
	}
	return svg;
}

static const char *CSS =
	"body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1400px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}"
	"th{background:#f4f4f4;position:sticky;top:0}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	".sum td{border:0;padding:1px 12px 1px 0}.graph{max-height:900px;overflow:auto;border:1px solid #ddd}"
	".layers{max-height:520px;overflow:auto}.bar{background:#4a90d9;height:10px;display:inline-block}"
	"nav a{margin-right:14px}.note{color:#666;font-size:12px}.row{display:flex;gap:48px;flex-wrap:wrap}"
	".row>div:first-child{max-width:620px}#layer-table td{white-space:nowrap}";

static void
ws_chart(FILE *f, ir_graph *g, int64_t ws)
{
	int nops = g->nops;
	int nv = g->next_value_id;
	int *first = malloc(sizeof(int) * (size_t)(nv + 1)), *last = malloc(sizeof(int) * (size_t)(nv + 1));
	ir_value **vals = calloc((size_t)nv + 1, sizeof *vals);
	if (!first || !last || !vals)
		fail(NULL, "out of memory");
	for (int i = 0; i < nv; i++)
		first[i] = last[i] = -1;
	int k = 0;
	for (ir_op *op = g->first; op; op = op->next, k++) {
		for (int r = 0; r < op->nresults; r++) {
			ir_value *v = op->results[r];
			if (v->id < nv && v->mem_offset >= 0) {
				first[v->id] = last[v->id] = k;
				vals[v->id] = v;
			}
		}
		for (int j = 0; j < op->noperands; j++) {
			ir_value *v = op->operands[j];
			if (v && v->id < nv && v->mem_offset >= 0 && first[v->id] >= 0)
				last[v->id] = k;
		}
	}
	const double W = 1100, H = 360, L = 70, T = 10, B = 40, R = 10;
	double pw = W - L - R, ph = H - T - B;
	double ymax = ws > 0 ? (double)ws : 1;
	fprintf(f, "<svg id=\"workspace-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	           "viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"10\">\n", W, H, W, H);
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#999\"/>\n", L, T, pw, ph);
	/* y ticks: offsets in MiB or KiB */
	for (int t = 0; t <= 5; t++) {
		double off = ymax * t / 5, y = T + ph - ph * t / 5;
		char lab[32];
		bytes_str((int64_t)off, lab, sizeof lab);
		fprintf(f, "<line x1=\"%.0f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		           "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L, L + pw, y, y, L - 4, y + 3, lab);
	}
	for (int t = 0; t <= 10 && nops > 0; t++) {
		int opi = (int)((double)nops * t / 10);
		double x = L + pw * opi / nops;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", x, T + ph + 14, opi);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">op (graph order): each bar is one tensor, "
	           "from the op that writes it to the last op that reads it</text>\n", L + pw / 2, H - 6);
	fprintf(f, "<text transform=\"translate(12,%.1f) rotate(-90)\" text-anchor=\"middle\">workspace offset</text>\n",
	        T + ph / 2);
	char shape[128], b1[32];
	for (int id = 0; id < nv; id++) {
		ir_value *v = vals[id];
		if (!v || nops == 0)
			continue;
		double x0 = L + pw * first[id] / nops, x1 = L + pw * (last[id] + 1) / nops;
		double y1 = T + ph - ph * (double)v->mem_offset / ymax;
		double y0 = T + ph - ph * (double)(v->mem_offset + (int64_t)ir_value_nbytes(v)) / ymax;
		ux_shape_str(v, shape, sizeof shape);
		bytes_str((int64_t)ir_value_nbytes(v), b1, sizeof b1);
		int hue = (id * 47) % 360;
		fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"hsl(%d,60%%,62%%)\" "
		           "stroke=\"hsl(%d,50%%,35%%)\" stroke-width=\"0.4\"><title>%%%d %s (%s), offset %lld, ops %d-%d",
		        x0, y0, x1 - x0 > 0.5 ? x1 - x0 : 0.5, y1 - y0 > 0.5 ? y1 - y0 : 0.5, hue, hue, id, shape, b1,
		        (long long)v->mem_offset, first[id], last[id]);
		if (v->def && v->def->loc) {
			fputs(", ", f);
			html_str(f, v->def->loc);
		}
		fprintf(f, "</title></rect>\n");
	}
	fprintf(f, "</svg>\n");
	free(first);
	free(last);
	free(vals);
}

int
ux_report(ux_job *j)
{
	ir_graph *g = j->g;
	ir_stats st;
	ir_graph_stats(g, &st);
	char base[512];
	ux_model_name(j->model, base, sizeof base);
	char title[600];
	snprintf(title, sizeof title, "%s (optimised, -O%d)", base, j->bo.opt_level);
	/* drawn before compiling: the lowering adds its packed weights to g's constants */
	char *svg = graph_svg(g, title);
	timing t;
	memset(&t, 0, sizeof t);
	if (j->profile)
		measure(j, &t);
	int64_t lb = 0, ws = plan_memory(g, &lb);

	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", j->out, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f)
		fail(j->out, "cannot write: %s", strerror(errno));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	           "<link rel=\"icon\" href=\"data:,\">\n<title>resc report: ");
	html_str(f, base);
	fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>resc report: ", CSS);
	html_str(f, base);
	fprintf(f, "</h1>\n<nav><a href=\"#ops\">op counts</a><a href=\"#graph\">graph</a>"
	           "<a href=\"#layers\">layers</a><a href=\"#workspace\">workspace</a></nav>\n");

	/* summary */
	char shape[128], b1[32], b2[32];
	fprintf(f, "<div class=\"row\"><div>\n<h2 id=\"summary\">Summary</h2>\n<table class=\"sum\">\n<tr><td>model</td><td>");
	html_str(f, j->model);
	fprintf(f, "</td></tr>\n<tr><td>producer</td><td>");
	html_str(f, j->info && j->info->producer ? j->info->producer : "?");
	fprintf(f, ", opset %lld, %lld ONNX nodes</td></tr>\n", j->info ? (long long)j->info->opset : 0LL,
	        j->info ? (long long)j->info->nnodes : 0LL);
	for (int i = 0; i < g->ninputs; i++) {
		ux_shape_str(g->inputs[i], shape, sizeof shape);
		fprintf(f, "<tr><td>input</td><td>");
		html_str(f, g->input_names[i]);
		fprintf(f, " %s %s (compiled for this shape)</td></tr>\n", ir_dtype_name(g->inputs[i]->dtype), shape);
	}
	for (int i = 0; i < g->noutputs; i++) {
		ux_shape_str(g->outputs[i], shape, sizeof shape);
		fprintf(f, "<tr><td>output</td><td>");
		html_str(f, g->output_names[i]);
		fprintf(f, " %s %s</td></tr>\n", ir_dtype_name(g->outputs[i]->dtype), shape);
	}
	bytes_str(st.weights_bytes, b1, sizeof b1);
	fprintf(f, "<tr><td>parameters</td><td>%lld (%s of constants)</td></tr>\n", (long long)st.params, b1);
	fprintf(f, "<tr><td>work</td><td>%.3f GMAC per run</td></tr>\n", st.macs / 1e9);
	bytes_str(ws, b1, sizeof b1);
	bytes_str(lb, b2, sizeof b2);
	fprintf(f, "<tr><td>workspace</td><td>%s; lower bound %s (%+.1f%%)</td></tr>\n", b1, b2,
	        lb ? 100.0 * (double)(ws - lb) / (double)lb : 0.0);
	fprintf(f, "<tr><td>pipeline</td><td>");
	for (const char *q = j->pipeline; *q; q++) {
		if (*q == ',')
			fputs(", ", f);
		else
			html_str(f, (char[]){*q, 0});
	}
	fprintf(f, "</td></tr>\n");
	if (j->profile)
		fprintf(f, "<tr><td>latency</td><td>median %.3f ms, min %.3f ms over %d runs, %d threads "
		           "(%.1f GFLOP/s)</td></tr>\n", t.median_ms, t.min_ms, t.iters, t.threads,
		        t.median_ms > 0 ? 2.0 * st.macs / (t.median_ms * 1e6) : 0.0);
	fprintf(f, "</table>\n</div><div>\n");

	/* op counts */
	fprintf(f, "<h2 id=\"ops\">Op counts: ONNX, imported, after the passes</h2>\n"
	           "<table><tr><th>op</th><th class=\"n\">ONNX</th><th class=\"n\">imported</th>"
	           "<th class=\"n\">after</th></tr>\n");
	for (int i = 0; j->info && i < j->info->ntypes; i++) {
		fprintf(f, "<tr><td>");
		html_str(f, j->info->types[i]);
		fprintf(f, "</td><td class=\"n\">%d</td><td></td><td></td></tr>\n", j->info->counts[i]);
	}
	for (int k = 0; k < IR_NOPKINDS; k++)
		if (j->imported.op_counts[k] || st.op_counts[k])
			fprintf(f, "<tr><td>%s</td><td></td><td class=\"n\">%d</td><td class=\"n\">%d</td></tr>\n",
			        ir_opinfos[k].name, j->imported.op_counts[k], st.op_counts[k]);
	fprintf(f, "<tr><th>total</th><th class=\"n\">%lld</th><th class=\"n\">%d</th><th class=\"n\">%d</th></tr>\n"
	           "</table>\n</div></div>\n", j->info ? (long long)j->info->nnodes : 0LL, j->imported.nops, st.nops);


	/* layers */
	oprow *rows = op_rows(g, &t);
	double total = 0, maxms = 0;
	for (int i = 0; i < g->nops; i++) {
		total += rows[i].ms;
		if (rows[i].ms > maxms)
			maxms = rows[i].ms;
	}
	fprintf(f, "<h2 id=\"layers\">Layers</h2>\n");
	if (j->profile)
		fprintf(f, "<p class=\"note\">Times per op from an instrumented build of the same code "
		           "(mean of %d runs, %d threads); the ops sum to %.3f ms per run.</p>\n",
		        t.profiled_iters, t.threads, total);
	else
		fprintf(f, "<p class=\"note\">No profile: run <code>resc report --profile</code> for the time per "
		           "layer.</p>\n");
	fprintf(f, "<div class=\"layers\"><table id=\"layer-table\"><tr><th class=\"n\">#</th><th>op</th><th>source</th>"
	           "<th>input</th><th>output</th><th class=\"n\">MACs</th><th class=\"n\">weights</th>");
	if (j->profile)
		fprintf(f, "<th class=\"n\">ms</th><th class=\"n\">share</th><th></th><th class=\"n\">GFLOP/s</th>");
	fprintf(f, "</tr>\n");
	char label[256];
	for (int i = 0; i < g->nops; i++) {
		const ir_op *op = rows[i].op;
		ux_op_label(op, label, sizeof label);
		fprintf(f, "<tr><td class=\"n\">%d</td><td>", i);
		html_str(f, label);
		fprintf(f, "</td><td>");
		html_str(f, op->loc ? op->loc : "");
		fprintf(f, "</td><td>");
		bool firstin = true;
		for (int q = 0; q < op->noperands; q++) {
			const ir_value *v = op->operands[q];
			if (!v || v->is_const)
				continue;
			ux_shape_str(v, shape, sizeof shape);
			fprintf(f, "%s%s", firstin ? "" : ", ", shape);
			firstin = false;
		}
		ux_shape_str(op->results[0], shape, sizeof shape);
		int64_t macs = ir_op_macs(op), wb = op_weight_bytes(op);
		if (wb)
			bytes_str(wb, b1, sizeof b1);
		else
			b1[0] = 0;
		fprintf(f, "</td><td>%s%s</td><td class=\"n\">", shape, op->nresults > 1 ? ", ..." : "");
		if (macs)
			fprintf(f, "%.3f M", macs / 1e6);
		fprintf(f, "</td><td class=\"n\">%s</td>", b1);
		if (j->profile) {
			double ms = rows[i].ms;
			fprintf(f, "<td class=\"n\">%.4f</td><td class=\"n\">%.2f%%</td>"
			           "<td><span class=\"bar\" style=\"width:%.0fpx\"></span></td><td class=\"n\">",
			        ms, total > 0 ? 100 * ms / total : 0.0, maxms > 0 ? 120 * ms / maxms : 0.0);
			if (macs && ms > 0)
				fprintf(f, "%.1f", 2.0 * macs / (ms * 1e6));
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table></div>\n");
	free(rows);
	free(t.op_ns);

	/* workspace */
	bytes_str(ws, b1, sizeof b1);
	bytes_str(lb, b2, sizeof b2);
	fprintf(f, "<h2 id=\"workspace\">Workspace plan</h2>\n<p class=\"note\">Every intermediate tensor at its "
	           "offset in the workspace (%s, lower bound %s), over the ops during which it is live. "
	           "Graph inputs, outputs and constants live outside the workspace. Hover a bar for the tensor.</p>\n",
	        b1, b2);
	ws_chart(f, g, ws);
	/* graph */
	fprintf(f, "<h2 id=\"graph\">The optimised graph</h2>\n");
	if (svg) {
		fprintf(f, "<p class=\"note\">One box per op after the passes; fused ops list what they absorbed. "
		           "Edges carry the tensor shapes; constants are listed in their op.</p>\n"
		           "<div class=\"graph\">\n%s</div>\n", svg);
	} else {
		fprintf(f, "<p class=\"note\">Graphviz's <code>dot</code> was not found or failed, so there is no "
		           "picture (Debian: <code>apt-get install graphviz</code>; "
		           "<code>resc compile --emit dot</code> writes the DOT text).</p>\n");
	}
	free(svg);
	fprintf(f, "<p class=\"note\">Generated by resc.</p>\n</body></html>\n");

	bool bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		remove(tmp);
		fail(j->out, "write failed");
	}
	if (rename(tmp, j->out) != 0) {
		int err = errno;
		remove(tmp);
		fail(j->out, "cannot rename into place: %s", strerror(err));
	}
	return 0;
}
