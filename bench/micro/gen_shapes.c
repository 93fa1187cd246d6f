/*
 * gen_shapes.c - lowers the convolutions (and gemms) of optimised IR files
 * with the real backend lowering (be_lower_op) and writes the distinct
 * calls as C: constant descriptors, flattened wrappers that inline the
 * kernel (as the code generator does), and a table for conv_bench.c.
 *
 *     gen_shapes OUT_DIR TAG=FILE.ir...
 *
 * Weights whose data is elided get zeros (only their packed layout matters
 * here).  A call is identified by its descriptor minus the epilogue fields
 * (act, has_res), so every model's use of a shape is counted once per layer.
 */
#include "be_lower.h"
#include "rk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAXSHAPES = 512, MAXMODELS = 8 };

typedef struct shape {
	be_call call;
	int64_t key[BE_MAX_DESC];
	int nkey;
	int count[MAXMODELS];
	int64_t macs;
	int64_t bytes[BE_MAX_PTRS];
	char where[160];
} shape;

static shape S[MAXSHAPES];
static int nshapes;

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc(n + 1);
	if (fread(p, 1, n, f) != (size_t)n)
		n = 0;
	p[n] = 0;
	fclose(f);
	*len = n;
	return p;
}

/* descriptor words without the epilogue, for deduplication */
static int
make_key(const be_call *c, int64_t *key)
{
	memcpy(key, c->desc, c->ndesc * sizeof *key);
	if (strncmp(c->kernel, "rk_conv2d", 9) == 0) {
		rk_conv_desc *d = (rk_conv_desc *)key;
		d->act = d->act_lo = d->act_hi = d->has_res = d->has_bias = 0;
	} else if (strcmp(c->kernel, "rk_dwconv2d") == 0) {
		rk_dwconv_desc *d = (rk_dwconv_desc *)key;
		d->act = d->act_lo = d->act_hi = d->has_res = d->has_bias = 0;
	} else {
		rk_gemm_desc *d = (rk_gemm_desc *)key;
		d->act = d->act_lo = d->act_hi = 0;
	}
	/* the entry point: a string hash of its name */
	uint64_t h = 1469598103934665603ull;
	for (const char *p = c->kernel; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	key[c->ndesc] = (int64_t)(h >> 1);
	return c->ndesc + 1;
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gen_shapes OUT_DIR TAG=FILE.ir...\n");
		return 2;
	}
	const char *tags[MAXMODELS];
	int nmodels = 0;
	for (int a = 2; a < argc && nmodels < MAXMODELS; a++) {
		char *eq = strchr(argv[a], '=');
		if (!eq) {
			fprintf(stderr, "bad argument %s\n", argv[a]);
			return 2;
		}
		*eq = 0;
		tags[nmodels] = argv[a];
		size_t len;
		char *text = slurp(eq + 1, &len);
		if (!text) {
			fprintf(stderr, "cannot read %s\n", eq + 1);
			return 1;
		}
		ir_graph *g;
		ir_err e;
		if (ir_graph_parse(text, len, NULL, &g, &e)) {
			fprintf(stderr, "%s: %s\n", eq + 1, e.msg);
			return 1;
		}
		for (ir_op *op = g->first; op; op = op->next) {
			if (op->kind != IR_OP_CONV && op->kind != IR_OP_GEMM)
				continue;
			for (int i = 0; i < op->noperands; i++) {
				ir_value *v = op->operands[i];
				if (v && v->is_const && !v->data)
					v->data = ir_alloc(g, ir_value_nbytes(v));
			}
			shape *s = &S[nshapes];
			memset(s, 0, sizeof *s);
			if (be_lower_op(g, op, &s->call, &e)) {
				fprintf(stderr, "%s: %s\n", op->loc ? op->loc : "?", e.msg);
				return 1;
			}
			s->nkey = make_key(&s->call, s->key);
			int k;
			for (k = 0; k < nshapes; k++)
				if (S[k].nkey == s->nkey && !memcmp(S[k].key, s->key, s->nkey * sizeof *s->key))
					break;
			if (k < nshapes) {
				S[k].count[nmodels]++;
				continue;
			}
			if (nshapes + 1 >= MAXSHAPES) {
				fprintf(stderr, "too many shapes\n");
				return 1;
			}
			s->count[nmodels] = 1;
			for (int i = 0; i < s->call.nptrs; i++)
				s->bytes[i] = s->call.ptrs[i] ? (int64_t)ir_value_nbytes(s->call.ptrs[i]) : 0;
			if (strcmp(s->call.kernel, "rk_dwconv2d") == 0) {
				const rk_dwconv_desc *d = (const rk_dwconv_desc *)s->call.desc;
				s->macs = d->N * d->C * d->OH * d->OW * d->KH * d->KW;
				snprintf(s->where, sizeof s->where,
				         "%s dwconv C%-4lld %3lldx%-3lld -> %3lldx%-3lld k%lldx%lld s%lld", tags[nmodels],
				         (long long)d->C, (long long)d->H, (long long)d->W, (long long)d->OH,
				         (long long)d->OW, (long long)d->KH, (long long)d->KW, (long long)d->SH);
			} else if (op->kind == IR_OP_CONV) {
				const rk_conv_desc *d = (const rk_conv_desc *)s->call.desc;
				s->macs = d->N * d->M * d->OH * d->OW * d->Cg * d->KH * d->KW;
				snprintf(s->where, sizeof s->where,
				         "%s conv C%-4lld %3lldx%-3lld -> M%-4lld %3lldx%-3lld k%lldx%lld s%lld g%lld",
				         tags[nmodels], (long long)d->C, (long long)op->operands[0]->dims[2],
				         (long long)op->operands[0]->dims[3], (long long)d->M,
				         (long long)op->results[0]->dims[2], (long long)op->results[0]->dims[3],
				         (long long)d->KH, (long long)d->KW, (long long)d->SH, (long long)d->G);
			} else {
				const rk_gemm_desc *d = (const rk_gemm_desc *)s->call.desc;
				s->macs = d->M * d->N * d->K;
				snprintf(s->where, sizeof s->where, "%s gemm M%lld N%lld K%lld", tags[nmodels],
				         (long long)d->M, (long long)d->N, (long long)d->K);
			}
			nshapes++;
		}
		/* the graph is leaked: the process is short-lived */
		free(text);
		nmodels++;
	}

	char path[4096];
	for (int kind = 0; kind < 3; kind++) {
		static const char *const kns[] = {"rk_conv2d", "rk_gemm", "rk_dwconv2d"};
		static const char *const files[] = {"conv", "gemm", "dwconv"};
		const char *kn = kns[kind];
		snprintf(path, sizeof path, "%s/shapes_%s.inc", argv[1], files[kind]);
		FILE *f = fopen(path, "w");
		if (!f) {
			perror(path);
			return 1;
		}
		fprintf(f, "/* generated by gen_shapes */\n");
		for (int k = 0; k < nshapes; k++) {
			if (strncmp(S[k].call.kernel, kn, strlen(kn)))
				continue;
			fprintf(f, "static const int64_t D%d[] = {", k);
			for (int i = 0; i < S[k].call.ndesc; i++)
				fprintf(f, "%s%lldLL", i ? "," : "", (long long)S[k].call.desc[i]);
			fprintf(f, "};\n__attribute__((flatten)) void W%d(const void *d, void *const *p, int64_t t0, int64_t t1)"
			           " { %s(D%d, p, t0, t1); }\n", k, S[k].call.kernel, k);
		}
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/shapes_table.inc", argv[1]);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	fprintf(f, "/* generated by gen_shapes */\n#define NMODELS %d\n", nmodels);
	fprintf(f, "static const char *const model_tags[] = {");
	for (int m = 0; m < nmodels; m++)
		fprintf(f, "\"%s\",", tags[m]);
	fprintf(f, "};\n");
	for (int k = 0; k < nshapes; k++)
		fprintf(f, "void W%d(const void *, void *const *, int64_t, int64_t);\n", k);
	fprintf(f, "static const bench_shape shapes[] = {\n");
	for (int k = 0; k < nshapes; k++) {
		const shape *s = &S[k];
		fprintf(f, "\t{W%d, \"%s\", %lldLL, %lldLL, %d, {", k, s->where, (long long)s->call.ntasks,
		        (long long)s->macs, s->call.nptrs);
		for (int i = 0; i < s->call.nptrs; i++)
			fprintf(f, "%lldLL,", (long long)s->bytes[i]);
		fprintf(f, "}, {");
		for (int m = 0; m < nmodels; m++)
			fprintf(f, "%d,", s->count[m]);
		fprintf(f, "}},\n");
	}
	fprintf(f, "};\n");
	fclose(f);
	fprintf(stderr, "gen_shapes: %d distinct calls\n", nshapes);
	return 0;
}
