/*
 * passes.c - the pass table and the pass manager.
 *
 * The table is the one place a pass is registered: its name (for
 * --passes, --print-ir-after, --disable-pass ...), its function and a line
 * of help.  The default pipelines for each -O level are lists of names from
 * the same table.
 */
#include "passes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const pass_info pass_table[] = {
	{"canonicalize", pass_canonicalize, "drop identity and dropout ops"},
	{"const-fold", pass_const_fold, "evaluate ops whose operands are all constants"},
	{"fold-batchnorm", pass_fold_batchnorm, "fold batchnorm into the neighbouring conv's weights and bias"},
	{"fuse-se-gate", pass_fuse_se_gate, "squeeze-and-excitation gates become se_gate + scale_shift"},
	{"fuse-attention", pass_fuse_attention, "the Residual Attention combine (c + sigmoid(m)) * t becomes sigmoid_mul"},
	{"fuse-pool-fc", pass_fuse_pool_fc, "global average pool + classifier Gemm/MatMul become one fc"},
	{"fuse-epilogue", pass_fuse_epilogue, "fold residual add and relu/clip into the producing conv or gemm"},
	{"fuse-se-mean", pass_fuse_se_mean, "an SE gate's channel mean summed by the producing conv (row sums) instead of a pool"},
	{"fuse-preact", pass_fuse_preact, "a conv's per-channel scale_shift becomes its second result (not in -O: slower here)"},
	{"subsample-conv", pass_subsample_conv, "strided 1x1 convs read a strided slice and run at stride 1"},
	{"lower-grouped-conv", pass_lower_grouped_conv, "choose each conv's vector form (channel blocks or pixel vectors) by a cost model"},
	{"layout", pass_layout, "activations between convs in the blocked layout NCHW16c (after the fusions)"},
	{"dce", pass_dce, "remove ops and constants nothing uses"},
	{"plan-memory", pass_plan_memory, "give every intermediate tensor its workspace offset (last; other passes drop the plan)"},
	{NULL, NULL, NULL},
};

const pass_info *
pass_find(const char *name)
{
	for (const pass_info *p = pass_table; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

const char *
pass_default_pipeline(int opt_level)
{
	if (opt_level <= 0)
		return "canonicalize,dce,plan-memory";
	return "canonicalize,const-fold,fold-batchnorm,fuse-se-gate,fuse-attention,fuse-pool-fc,fuse-epilogue,fuse-se-mean,subsample-conv,lower-grouped-conv,layout,dce,plan-memory";
}

/* Is name in the comma-separated list? */
static bool
in_list(const char *list, const char *name)
{
	if (!list)
		return false;
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		if (!c)
			break;
		p = c + 1;
	}
	return false;
}

/* ---- numerics ------------------------------------------------------------ */

typedef struct numerics {
	void **inputs;
	float **ref;        /* reference outputs, f32 only (others compared exactly) */
	size_t *outbytes;
	int nin, nout;
} numerics;

static void
numerics_free(numerics *nm)
{
	for (int i = 0; i < nm->nin; i++)
		free(nm->inputs[i]);
	for (int i = 0; i < nm->nout; i++)
		free(nm->ref[i]);
	free(nm->inputs);
	free(nm->ref);
	free(nm->outbytes);
	memset(nm, 0, sizeof *nm);
}

/* Runs g on nm's inputs; outs receive fresh buffers. */
static int
numerics_run(ir_graph *g, numerics *nm, void **outs, ir_err *e)
{
	if (g->noutputs != nm->nout)
		return ir_errf(e, "the pass changed the number of outputs");
	for (int i = 0; i < nm->nout; i++) {
		if (ir_value_nbytes(g->outputs[i]) != nm->outbytes[i])
			return ir_errf(e, "the pass changed the type of output %d", i);
		outs[i] = malloc(nm->outbytes[i] ? nm->outbytes[i] : 1);
		if (!outs[i])
			return ir_errf(e, "out of memory");
	}
	return ir_interp_run(g, (const void *const *)nm->inputs, outs, e);
}

static int
numerics_init(ir_graph *g, numerics *nm, ir_err *e)
{
	nm->nin = g->ninputs;
	nm->nout = g->noutputs;
	nm->inputs = calloc((size_t)nm->nin + 1, sizeof *nm->inputs);
	nm->ref = calloc((size_t)nm->nout + 1, sizeof *nm->ref);
	nm->outbytes = calloc((size_t)nm->nout + 1, sizeof *nm->outbytes);
	if (!nm->inputs || !nm->ref || !nm->outbytes)
		return ir_errf(e, "out of memory");
	uint64_t s = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < nm->nin; i++) {
		ir_value *v = g->inputs[i];
		size_t nb = ir_value_nbytes(v);
		nm->inputs[i] = calloc(nb ? nb : 1, 1);
		if (!nm->inputs[i])
			return ir_errf(e, "out of memory");
		if (v->dtype == IR_F32) {
			float *f = nm->inputs[i];
			for (int64_t k = 0; k < ir_value_numel(v); k++) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				f[k] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
			}
		}
	}
	for (int i = 0; i < nm->nout; i++)
		nm->outbytes[i] = ir_value_nbytes(g->outputs[i]);
	return numerics_run(g, nm, (void **)nm->ref, e);
}

/*
 * The graph's printed text, the interpreter's whole input (elided
 * constants print their content hash), so that check-numerics reruns the
 * interpreter only after a pass that changed something: most passes of the
 * pipeline find nothing to do on a given model, and on the zoo's large
 * models one interpreter run takes about a second.  NULL when out of memory
 * (the caller then reruns).
 */
static char *
graph_text(ir_graph *g, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	ir_print_opts po = {0};
	ir_graph_print(f, g, &po);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Largest difference relative to max |ref| over all outputs. */
static double
numerics_drift(ir_graph *g, numerics *nm, ir_err *e, bool *failed)
{
	void **outs = calloc((size_t)nm->nout + 1, sizeof *outs);
	double worst = 0;
	*failed = false;
	if (!outs || numerics_run(g, nm, outs, e) != 0) {
		*failed = true;
	} else {
		for (int i = 0; i < nm->nout; i++) {
			if (g->outputs[i]->dtype != IR_F32) {
				if (memcmp(outs[i], nm->ref[i], nm->outbytes[i]) != 0)
					worst = INFINITY;
				continue;
			}
			const float *a = outs[i], *r = nm->ref[i];
			double md = 0, mr = 0;
			for (size_t k = 0; k < nm->outbytes[i] / 4; k++) {
				double d = fabs((double)a[k] - r[k]);
				if (!(d <= md))
					md = isnan(d) ? INFINITY : d;
				if (fabs(r[k]) > mr)
					mr = fabs(r[k]);
			}
			double rel = mr > 0 ? md / mr : md;
			if (rel > worst)
				worst = rel;
		}
	}
	for (int i = 0; outs && i < nm->nout; i++)
		free(outs[i]);
	free(outs);
	return worst;
}

void
pass_number_ops(ir_graph *g)
{
	int64_t i = 0;
	for (ir_op *op = g->first; op; op = op->next, i++)
		for (int r = 0; r < op->nresults; r++)
			op->results[r]->aux = i;
}

/* ---- the manager --------------------------------------------------------- */

int
pass_run_pipeline(ir_graph *g, const char *pipeline, const pass_manager *pm, ir_err *e)
{
	const pass_info *list[256];
	int n = 0;
	char name[64];

	for (const char *p = pipeline; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == 0 || len >= sizeof name)
			return ir_errf(e, "bad pass list '%s'", pipeline);
		memcpy(name, p, len);
		name[len] = 0;
		const pass_info *pi = pass_find(name);
		if (!pi)
			return ir_errf(e, "unknown pass '%s' (see --list-passes)", name);
		if (n == (int)(sizeof list / sizeof list[0]))
			return ir_errf(e, "too many passes");
		list[n++] = pi;
		p = c ? c + 1 : p + len;
	}
	FILE *dump = pm->dump ? pm->dump : stderr;
	ir_print_opts po = {0};
	numerics nm = {0};
	double tol = pm->numerics_tol > 0 ? pm->numerics_tol : 1e-4;
	if (pm->check_numerics && numerics_init(g, &nm, e) != 0) {
		numerics_free(&nm);
		return -1;
	}

	char *text = NULL;      /* the graph as last checked, with check-numerics */
	size_t textlen = 0;
	if (pm->check_numerics)
		text = graph_text(g, &textlen);

	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		const pass_info *pi = list[i];
		if (in_list(pm->disable, pi->name))
			continue;
		if (in_list(pm->print_before, pi->name)) {
			fprintf(dump, "# IR before %s\n", pi->name);
			ir_graph_print(dump, g, &po);
		}
		/* a plan describes the graph as it is: any other pass drops it
		 * (plan-memory, last in the pipelines, makes it again) */
		if (pi->fn != pass_plan_memory && g->workspace >= 0)
			ir_plan_clear(g);
		if (pi->fn(g, &pm->opts, e) != 0) {
			char msg[sizeof e->msg];
			snprintf(msg, sizeof msg, "%s", e->msg);
			ir_errf(e, "pass %s: %s", pi->name, msg);
			rc = -1;
			break;
		}
		if (pm->verify_each && ir_graph_verify(g, e) != 0) {
			char msg[sizeof e->msg];
			snprintf(msg, sizeof msg, "%s", e->msg);
			ir_errf(e, "after pass %s, the IR does not verify: %s", pi->name, msg);
			rc = -1;
			break;
		}
		if (pm->print_after_all || in_list(pm->print_after, pi->name)) {
			fprintf(dump, "# IR after %s\n", pi->name);
			ir_graph_print(dump, g, &po);
		}
		if (pm->check_numerics) {
			size_t len = 0;
			char *now = graph_text(g, &len);
			bool same = now && text && len == textlen && memcmp(now, text, len) == 0;
			free(text);
			text = now;
			textlen = len;
			if (same) {
				if (!pm->quiet)
					fprintf(stderr, "check-numerics: after %-16s unchanged\n", pi->name);
				goto next;
			}
			bool failed;
			double d = numerics_drift(g, &nm, e, &failed);
			if (failed) {
				char msg[sizeof e->msg];
				snprintf(msg, sizeof msg, "%s", e->msg);
				ir_errf(e, "after pass %s, the interpreter fails: %s", pi->name, msg);
				rc = -1;
				break;
			}
			if (!pm->quiet)
				fprintf(stderr, "check-numerics: after %-16s max relative difference %.3g\n", pi->name, d);
			if (!(d <= tol)) {
				ir_errf(e, "check-numerics: pass %s changes the results (max relative difference %.3g > %.3g)",
				        pi->name, d, tol);
				rc = -1;
				break;
			}
		}
	next:
		if (pm->stop_after && strcmp(pm->stop_after, pi->name) == 0)
			break;
	}
	free(text);
	numerics_free(&nm);
	return rc;
}
