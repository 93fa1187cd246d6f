/*
 * test_zoo_import.c - imports a zoo model and checks the interpreter against
 * PyTorch's reference output.
 *
 *     unit_test_zoo_import MODEL_DIR
 *
 * MODEL_DIR holds model.onnx and test_data_set_0/{input,output}_N.pb (the
 * ONNX test-data layout).  The inputs are passed as fe_options.input_values,
 * so a model with a symbolic batch takes the batch of the test data.  Passes
 * when every output satisfies max|got - want| <= 1e-4 * max|want|.  Without
 * an argument it skips (exit 0).
 */
#include "frontend.h"
#include "ir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
elem(const void *p, ir_dtype t, int64_t i)
{
	switch (t) {
	case IR_F32: return ((const float *)p)[i];
	case IR_F64: return ((const double *)p)[i];
	case IR_I8: return ((const int8_t *)p)[i];
	case IR_U8: return ((const uint8_t *)p)[i];
	case IR_I32: return ((const int32_t *)p)[i];
	case IR_I64: return (double)((const int64_t *)p)[i];
	default: return ((const uint8_t *)p)[i];
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		printf("skipped: no model folder given (usage: %s MODEL_DIR)\n", argv[0]);
		return 0;
	}
	const char *dir = argv[1];
	char path[4096];
	ir_err e;
	int rc = 1;

	/* inputs: test_data_set_0/input_N.pb while they exist */
	fe_tensor ins[16];
	int nin = 0;
	memset(ins, 0, sizeof ins);
	for (; nin < 16; nin++) {
		snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, nin);
		if (access(path, R_OK) != 0)
			break;
		if (fe_tensor_read(path, &ins[nin], &e)) {
			fprintf(stderr, "FAIL %s: %s: %s\n", dir, path, e.msg);
			return 1;
		}
	}

	fe_options o = {0};
	fe_info info = {0};
	o.input_values = ins;
	o.ninput_values = nin;
	o.info = &info;
	ir_graph *g;
	snprintf(path, sizeof path, "%s/model.onnx", dir);
	double t0 = now();
	if (fe_load_onnx(path, &o, &g, &e)) {
		fprintf(stderr, "FAIL %s: import: %s\n", dir, e.msg);
		fe_info_free(&info);
		for (int i = 0; i < nin; i++)
			fe_tensor_free(&ins[i]);
		return 1;
	}
	double t1 = now();
	printf("%s: opset %lld, %lld nodes -> %d ops, %d constants, imported in %.3f s\n",
	       dir, (long long)info.opset, (long long)info.nnodes, g->nops, g->nconsts, t1 - t0);
	fe_info_free(&info);

	/* integer inputs became constants; the others stay graph inputs in order */
	const void **in = calloc((size_t)g->ninputs + 1, sizeof *in);
	void **outs = calloc((size_t)g->noutputs + 1, sizeof *outs);
	int k = 0;
	for (int i = 0; i < nin; i++) {
		ir_dtype t = ins[i].dtype;
		if (t != IR_F32 && t != IR_F64)
			continue;
		if (k >= g->ninputs || ins[i].nbytes != ir_value_nbytes(g->inputs[k])) {
			fprintf(stderr, "FAIL %s: input %d does not match graph input %d\n", dir, i, k);
			goto out2;
		}
		in[k++] = ins[i].data;
	}
	if (k != g->ninputs) {
		fprintf(stderr, "FAIL %s: graph has %d inputs, test data %d float ones\n", dir, g->ninputs, k);
		goto out2;
	}
	for (int i = 0; i < g->noutputs; i++)
		outs[i] = malloc(ir_value_nbytes(g->outputs[i]) + 1);
	if (ir_interp_run(g, in, outs, &e)) {
		fprintf(stderr, "FAIL %s: interpreter: %s\n", dir, e.msg);
		goto out2;
	}
	double t2 = now();
	rc = 0;
	for (int i = 0; i < g->noutputs; i++) {
		fe_tensor want;
		snprintf(path, sizeof path, "%s/test_data_set_0/output_%d.pb", dir, i);
		if (fe_tensor_read(path, &want, &e)) {
			fprintf(stderr, "FAIL %s: %s: %s\n", dir, path, e.msg);
			rc = 1;
			continue;
		}
		ir_value *v = g->outputs[i];
		if (want.dtype != v->dtype || want.nbytes != ir_value_nbytes(v)) {
			fprintf(stderr, "FAIL %s: output %d is %s with %zu bytes, reference %s with %zu bytes\n",
			        dir, i, ir_dtype_name(v->dtype), ir_value_nbytes(v),
			        ir_dtype_name(want.dtype), want.nbytes);
			rc = 1;
		} else {
			double maxerr = 0, maxref = 0;
			int64_t n = ir_value_numel(v), worst = 0;
			for (int64_t j = 0; j < n; j++) {
				double a = elem(outs[i], v->dtype, j), b = elem(want.data, v->dtype, j);
				double d = fabs(a - b);
				if (!(d <= maxerr)) {
					maxerr = isnan(d) ? INFINITY : d;
					worst = j;
				}
				if (fabs(b) > maxref)
					maxref = fabs(b);
			}
			bool ok = maxerr <= 1e-4 * maxref;
			printf("%s output %d: max|got-want| = %.3g, max|want| = %.3g (element %lld) %s\n",
			       dir, i, maxerr, maxref, (long long)worst, ok ? "ok" : "MISMATCH");
			if (!ok)
				rc = 1;
		}
		fe_tensor_free(&want);
	}
	printf("%s: interpreter %.2f s: %s\n", dir, t2 - t1, rc ? "FAIL" : "PASS");
out2:
	for (int i = 0; i < g->noutputs; i++)
		free(outs[i]);
	free(outs);
	free(in);
	ir_graph_free(g);
	for (int i = 0; i < nin; i++)
		fe_tensor_free(&ins[i]);
	return rc;
}
