/*
 * fuzz_model.c - libFuzzer target: one input is one .onnx file, taken
 * through everything resc does to an untrusted model before object
 * emission: fe_load_onnx (protobuf, checks, import, folding, shape
 * inference, verification), the -O3 pass pipeline with the verifier after
 * every pass, the memory planner, and the backend down to LLVM IR
 * (be_compile --emit llvm at -O0: lowering, kernel linking, module build and
 * LLVM's verifier; object emission is left out for speed).
 *
 * A crash, a sanitizer report, an abort (ir_die: an internal invariant
 * failed) or a timeout is a bug; a clean error is the expected outcome for
 * almost every input.  Built by -DRESC_FUZZ=ON with clang-19; run by
 * `make fuzz` (docs/security.md).  The model is written into a private
 * folder that also holds "w.bin" (4 KiB), so inputs can exercise external
 * data that is allowed as well as the cases that are not.
 *
 * RESC_FUZZ_NO_BACKEND=1 in the environment stops after the passes (faster).
 */
#include "backend.h"
#include "frontend.h"
#include "ir.h"
#include "passes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], model_path[96], out_path[96];
static int no_backend;

static void
cleanup(void)
{
	char p[128];
	unlink(model_path);
	unlink(out_path);
	snprintf(p, sizeof p, "%s/w.bin", dir);
	unlink(p);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof dir, "/tmp/resc-fuzz-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(model_path, sizeof model_path, "%s/model.onnx", dir);
	snprintf(out_path, sizeof out_path, "%s/out.ll", dir);
	char p[128];
	snprintf(p, sizeof p, "%s/w.bin", dir);
	FILE *f = fopen(p, "wb");
	if (!f)
		abort();
	for (int i = 0; i < 1024; i++) {
		float v = (float)(i % 17) * 0.125f - 1.0f;
		fwrite(&v, sizeof v, 1, f);
	}
	fclose(f);
	atexit(cleanup);
	no_backend = getenv("RESC_FUZZ_NO_BACKEND") != NULL;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(model_path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);

	ir_graph *g = NULL;
	ir_err e = {{0}};
	fe_options o = {0};
	fe_info info;
	o.info = &info;
	/* small limits keep each run quick; what they refuse is tested elsewhere */
	o.max_nodes = 2000;
	o.max_tensor_bytes = 16 << 20;
	o.max_model_bytes = 4 << 20;
	int rc = fe_load_onnx(model_path, &o, &g, &e);
	fe_info_free(&info);
	if (rc != 0) {
		if (g || !e.msg[0] || strchr(e.msg, '\n'))
			abort(); /* the error contract: *out NULL, one non-empty line */
		return 0;
	}
	jmp_buf jb;
	g->oom = &jb;
	if (setjmp(jb) == 0) {
		pass_manager pm = {0};
		pm.opts.opt_level = 3;
		pm.verify_each = true;
		if (pass_run_pipeline(g, pass_default_pipeline(3), &pm, &e) == 0) {
			int64_t lb = 0;
			plan_memory(g, &lb);
			if (!no_backend) {
				be_options bo = {0};
				bo.name = "net";
				bo.triple = "x86_64-unknown-linux-gnu";
				bo.cpu = "x86-64-v3";
				bo.opt_level = 0;
				bo.emit = BE_EMIT_LLVM;
				bo.pic = true;
				be_compile(g, &bo, out_path, &e);
			}
		}
	}
	ir_graph_free(g);
	return 0;
}
