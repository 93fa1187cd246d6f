/*
 * llvm.c - the code generator: IR graph -> LLVM module -> object file.
 *
 * Every op is lowered (lower.c) to a call of a kernel written in plain C:
 * a descriptor of int64 words holding every shape and attribute, and the
 * list of buffers it reads and writes.  This file builds one LLVM module:
 *
 *   - the kernels' bitcode, compiled by clang at build time for the target's
 *     vector flavour (AVX-512, AVX2, baseline x86-64, AArch64 NEON) and
 *     embedded in resc, linked in with internal linkage;
 *   - each constant (weights, already packed by the lowering) as a private
 *     read-only global, 64-byte aligned;
 *   - for each op, its descriptor as a private constant and a wrapper
 *     "opN(desc, ptrs, t0, t1)" that calls the kernel with that descriptor,
 *     marked always-inline, so that after -O3 every kernel is specialised
 *     to its call site's shapes (the PyTorch Glow CPU backend's approach);
 *   - NAME_run(), which checks its arguments, sets up the workspace, and
 *     calls each wrapper through the runtime's resc_rt_parallel_for (or
 *     directly when the op is a single task);
 *   - NAME_workspace_size().
 *
 * Generated code has no mutable globals: all state is in the caller's
 * buffers and workspace, so concurrent calls with distinct workspaces are
 * safe.  Everything is emitted in graph order, so the output is
 * deterministic.
 */
#include "backend.h"
#include "be_elf.h"
#include "be_lower.h"
#include "passes.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <ctype.h>
#include <errno.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Kernel bitcode per vector flavour, one entry per kernel source file
 * (conv, gemm, ...), ending with {0} (generated at build time: bin2c,
 * kernels_bc.c). */
struct bin2c_blob {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct bin2c_blob resc_kbc_avx512[], resc_kbc_avx2[], resc_kbc_x86[], resc_kbc_aarch64[];

bool
be_valid_name(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

const char *
be_host_triple(void)
{
	static char buf[128];
	if (!buf[0]) {
		char *t = LLVMGetDefaultTargetTriple();
		snprintf(buf, sizeof buf, "%s", t);
		LLVMDisposeMessage(t);
	}
	return buf;
}

/* ---- target selection --------------------------------------------------- */

typedef struct target {
	char triple[128];
	char cpu[64];
	char *features;                 /* malloc'd */
	const struct bin2c_blob *kbc;   /* kernel bitcode of the matching flavour */
	const char *flavour;
} target;

static bool
has_feature(const char *features, const char *f)
{
	size_t n = strlen(f);
	for (const char *p = features; p && (p = strstr(p, f)); p += n)
		if ((p == features || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
			return true;
	return false;
}

/* The vector flavour a named x86 CPU supports (no C API asks LLVM this). */
static const char *
x86_cpu_flavour(const char *cpu)
{
	static const char *avx512[] = {"x86-64-v4", "skylake-avx512", "cascadelake", "cooperlake",
		"cannonlake", "icelake-client", "icelake-server", "tigerlake", "sapphirerapids",
		"graniterapids", "emeraldrapids", "rocketlake", "znver4", "znver5", NULL};
	static const char *avx2[] = {"x86-64-v3", "haswell", "broadwell", "skylake", "alderlake",
		"raptorlake", "meteorlake", "arrowlake", "znver1", "znver2", "znver3", "gracemont", NULL};
	for (int i = 0; avx512[i]; i++)
		if (strcmp(cpu, avx512[i]) == 0)
			return "avx512";
	for (int i = 0; avx2[i]; i++)
		if (strcmp(cpu, avx2[i]) == 0)
			return "avx2";
	return "x86";
}

static int
pick_target(const be_options *o, target *t, ir_err *e)
{
	char *host = LLVMGetDefaultTargetTriple();
	char *norm = LLVMNormalizeTargetTriple(o->triple ? o->triple : host);
	snprintf(t->triple, sizeof t->triple, "%s", norm);
	LLVMDisposeMessage(norm);
	bool is_host = !o->triple || strcmp(t->triple, host) == 0 ||
	               (strncmp(t->triple, "x86_64", 6) == 0 && strncmp(host, "x86_64", 6) == 0 &&
	                strstr(t->triple, "linux") && strstr(host, "linux"));
	LLVMDisposeMessage(host);

	bool native = !o->cpu || strcmp(o->cpu, "native") == 0;
	if (native && !is_host)
		native = false;
	if (native) {
		char *c = LLVMGetHostCPUName(), *f = LLVMGetHostCPUFeatures();
		snprintf(t->cpu, sizeof t->cpu, "%s", c);
		t->features = strdup(f);
		LLVMDisposeMessage(c);
		LLVMDisposeMessage(f);
	} else {
		const char *cpu = o->cpu && strcmp(o->cpu, "native") != 0 ? o->cpu : "generic";
		if (strcmp(cpu, "generic") == 0 && strncmp(t->triple, "x86_64", 6) == 0)
			cpu = "x86-64";
		snprintf(t->cpu, sizeof t->cpu, "%s", cpu);
		t->features = strdup(o->features ? o->features : "");
	}
	if (!t->features)
		return ir_errf(e, "out of memory");
	if (o->features && native) {
		size_t n = strlen(t->features) + strlen(o->features) + 2;
		char *f = malloc(n);
		if (!f)
			return ir_errf(e, "out of memory");
		snprintf(f, n, "%s,%s", t->features, o->features);
		free(t->features);
		t->features = f;
	}

	if (strncmp(t->triple, "x86_64", 6) == 0) {
		const char *fl;
		if (native || (o->features && *o->features))
			fl = has_feature(t->features, "+avx512f") && !has_feature(t->features, "-avx512f") ? "avx512"
			   : has_feature(t->features, "+avx2") && has_feature(t->features, "+fma") ? "avx2" : "x86";
		else
			fl = x86_cpu_flavour(t->cpu);
		if (!native && o->features && !*o->features)
			fl = x86_cpu_flavour(t->cpu);
		t->flavour = fl;
		t->kbc = strcmp(fl, "avx512") == 0 ? resc_kbc_avx512
		       : strcmp(fl, "avx2") == 0 ? resc_kbc_avx2 : resc_kbc_x86;
	} else if (strncmp(t->triple, "aarch64", 7) == 0) {
		t->flavour = "aarch64";
		t->kbc = resc_kbc_aarch64;
	} else {
		return ir_errf(e, "unsupported target '%s' (x86_64 and aarch64 are supported)", t->triple);
	}
	return 0;
}

static void
init_llvm(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	LLVMInitializeX86TargetInfo();
	LLVMInitializeX86Target();
	LLVMInitializeX86TargetMC();
	LLVMInitializeX86AsmPrinter();
	LLVMInitializeAArch64TargetInfo();
	LLVMInitializeAArch64Target();
	LLVMInitializeAArch64TargetMC();
	LLVMInitializeAArch64AsmPrinter();
	/* developer aid: RESC_LLVM_ARGS="-time-passes" etc. */
	const char *a = getenv("RESC_LLVM_ARGS");
	if (a && *a) {
		static char buf[1024];
		const char *argv[32] = {"resc"};
		int argc = 1;
		snprintf(buf, sizeof buf, "%s", a);
		for (char *p = strtok(buf, " "); p && argc < 32; p = strtok(NULL, " "))
			argv[argc++] = p;
		LLVMParseCommandLineOptions(argc, argv, NULL);
	}
}

/* ---- stage timing (RESC_TIME_BACKEND=1 in the environment) -------------- */

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct stopwatch {
	bool on;
	double t0, last, c0, clast;
} stopwatch;

static void
sw_start(stopwatch *w)
{
	const char *s = getenv("RESC_TIME_BACKEND");
	w->on = s && *s && strcmp(s, "0") != 0;
	w->t0 = w->last = now_s();
	w->c0 = w->clast = cpu_s();
}

static void
sw_lap(stopwatch *w, const char *what)
{
	if (!w->on)
		return;
	double t = now_s(), c = cpu_s();
	fprintf(stderr, "resc backend: %-28s %8.3f s wall %8.3f s cpu\n", what, t - w->last, c - w->clast);
	w->last = t;
	w->clast = c;
}

/* ---- module construction ------------------------------------------------ */

typedef struct cg {
	ir_graph *g;
	const be_options *o;
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMBuilderRef b;
	LLVMTypeRef i8, i32, i64, ptr, voidt, task_ty;
	LLVMValueRef parallel_for, rt_alloc, rt_free;
	LLVMValueRef *cglobals;     /* per constant (by index), lazily created */
	int ncalls, nwrappers;
	/* ELF objects: the constants of at least BLOB_MIN bytes are left out of
	 * the module and appended to the object as one section (elf.c); the
	 * module refers to them as offsets from blob, an external symbol */
	bool use_blob;
	LLVMValueRef blob;          /* i8 placeholder until finish_blob */
	struct blob_entry {
		ir_value *v;            /* a constant in the section */
		uint64_t off;           /* its offset there */
	} *bent;                    /* in section order */
	int nb, capb;
	uint64_t blob_size;
	char blob_sym[300];
} cg;

enum { BLOB_MIN = 1024, BLOB_ALIGN = 64 };

/* Places v in the weight section: a constant expression for its address. */
static LLVMValueRef
blob_const(cg *c, ir_value *v, ir_err *e)
{
	if (c->nb == c->capb) {
		int cap = c->capb ? 2 * c->capb : 64;
		struct blob_entry *b = realloc(c->bent, (size_t)cap * sizeof *b);
		if (!b)
			return ir_errf(e, "out of memory"), NULL;
		c->bent = b;
		c->capb = cap;
	}
	if (!c->blob) {
		c->blob = LLVMAddGlobal(c->mod, c->i8, "resc.blob.tmp");
		LLVMSetLinkage(c->blob, LLVMExternalLinkage);
		LLVMSetVisibility(c->blob, LLVMHiddenVisibility);
	}
	uint64_t off = (c->blob_size + BLOB_ALIGN - 1) & ~(uint64_t)(BLOB_ALIGN - 1);
	c->bent[c->nb++] = (struct blob_entry){v, off};
	c->blob_size = off + ir_value_nbytes(v);
	LLVMValueRef idx = LLVMConstInt(c->i64, off, 0);
	return LLVMConstGEP2(c->i8, c->blob, &idx, 1);
}

/*
 * Gives the weight section's symbol its final type ([size x i8], so that
 * LLVM knows its extent) and name: NAME.weights.data, external and hidden
 * (the section defines it in this object; it is not exported from a
 * shared object).
 */
static void
finish_blob(cg *c)
{
	if (!c->blob)
		return;
	snprintf(c->blob_sym, sizeof c->blob_sym, "%s.weights.data", c->o->name);
	LLVMTypeRef ty = LLVMArrayType2(c->i8, c->blob_size);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, ty, c->blob_sym);
	LLVMSetLinkage(gv, LLVMExternalLinkage);
	LLVMSetVisibility(gv, LLVMHiddenVisibility);
	LLVMSetAlignment(gv, BLOB_ALIGN);
	LLVMSetGlobalConstant(gv, 1);
	LLVMReplaceAllUsesWith(c->blob, gv);
	LLVMDeleteGlobal(c->blob);
	c->blob = gv;
}

static LLVMValueRef
const_global(cg *c, ir_value *v, ir_err *e)
{
	if (v->aux >= 0 && c->cglobals[v->aux])
		return c->cglobals[v->aux];
	if (!v->data) {
		ir_errf(e, "constant %s has no data (elided and not in the constant store)",
		        v->name ? v->name : "");
		return NULL;
	}
	size_t nb = ir_value_nbytes(v);
	if (c->use_blob && nb >= BLOB_MIN) {
		LLVMValueRef p = blob_const(c, v, e);
		if (p)
			c->cglobals[v->aux] = p;
		return p;
	}
	LLVMValueRef init = LLVMConstStringInContext2(c->ctx, v->data, nb, 1);
	char name[32];
	snprintf(name, sizeof name, "w%d", (int)v->aux);
	LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
	LLVMSetAlignment(gv, 64);
	c->cglobals[v->aux] = gv;
	return gv;
}

/* Declares or finds an external function. */
static LLVMValueRef
declare(cg *c, const char *name, LLVMTypeRef fty)
{
	LLVMValueRef f = LLVMGetNamedFunction(c->mod, name);
	if (!f)
		f = LLVMAddFunction(c->mod, name, fty);
	return f;
}

/* Emits descriptor and wrapper for one lowered call; returns the wrapper. */
static LLVMValueRef
emit_wrapper(cg *c, const be_call *call, int k, ir_err *e)
{
	/* declared here, defined when link_kernels brings in its file */
	LLVMValueRef kern = declare(c, call->kernel, c->task_ty);
	LLVMValueRef words[BE_MAX_DESC];
	int nd = call->ndesc ? call->ndesc : 1;
	for (int i = 0; i < nd; i++)
		words[i] = LLVMConstInt(c->i64, (unsigned long long)(call->ndesc ? call->desc[i] : 0), 0);
	LLVMValueRef init = LLVMConstArray2(c->i64, words, (uint64_t)nd);
	char name[32];
	snprintf(name, sizeof name, "desc%d", k);
	LLVMValueRef desc = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
	LLVMSetInitializer(desc, init);
	LLVMSetGlobalConstant(desc, 1);
	LLVMSetLinkage(desc, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(desc, LLVMGlobalUnnamedAddr);
	LLVMSetAlignment(desc, 8);

	snprintf(name, sizeof name, "op%d", k);
	LLVMValueRef w = LLVMAddFunction(c->mod, name, c->task_ty);
	LLVMSetLinkage(w, LLVMInternalLinkage);
	LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(c->ctx, w, "entry");
	LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
	LLVMPositionBuilderAtEnd(b, bb);
	LLVMValueRef args[4] = {desc, LLVMGetParam(w, 1), LLVMGetParam(w, 2), LLVMGetParam(w, 3)};
	LLVMValueRef call_inst = LLVMBuildCall2(b, c->task_ty, kern, args, 4, "");
	unsigned ai = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
	LLVMAddCallSiteAttribute(call_inst, LLVMAttributeFunctionIndex,
	                         LLVMCreateEnumAttribute(c->ctx, ai, 0));
	LLVMBuildRetVoid(b);
	LLVMDisposeBuilder(b);
	return w;
}

/*
 * Finding an earlier call with the same kernel and descriptor: an open
 * addressing table over a hash of both (a 20,000-op chain must not be
 * quadratic).
 */
typedef struct call_hashes {
	const be_call *calls;
	int *slot;      /* call index + 1, 0 = empty */
	uint64_t *h;    /* per call */
	size_t cap;
} call_hashes;

static uint64_t
call_hash(const be_call *c)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = c->kernel; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ (uint64_t)c->ndesc) * 1099511628211ull;
	for (int i = 0; i < c->ndesc; i++) {
		h ^= (uint64_t)c->desc[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
		h *= 0xff51afd7ed558ccdull;
	}
	return h ^ (h >> 29);
}

static bool
call_same(const be_call *a, const be_call *b)
{
	return a->ndesc == b->ndesc && strcmp(a->kernel, b->kernel) == 0 &&
	       memcmp(a->desc, b->desc, (size_t)a->ndesc * sizeof a->desc[0]) == 0;
}

static void
call_hashes_free(call_hashes *t)
{
	if (!t)
		return;
	free(t->slot);
	free(t->h);
	free(t);
}

static call_hashes *
call_hashes_new(const be_call *calls, int n)
{
	call_hashes *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->calls = calls;
	t->cap = 16;
	while (t->cap < 2 * (size_t)n)
		t->cap *= 2;
	t->slot = calloc(t->cap, sizeof *t->slot);
	t->h = calloc((size_t)n + 1, sizeof *t->h);
	if (!t->slot || !t->h) {
		call_hashes_free(t);
		return NULL;
	}
	for (int i = 0; i < n; i++)
		t->h[i] = call_hash(&calls[i]);
	return t;
}

/* The first earlier call identical to call i, or -1 (then i is recorded). */
static int
find_same_call(const be_call *calls, int i, call_hashes *t)
{
	size_t m = t->cap - 1;
	for (size_t s = (size_t)t->h[i] & m;; s = (s + 1) & m) {
		int j = t->slot[s] - 1;
		if (j < 0) {
			t->slot[s] = i + 1;
			return -1;
		}
		if (t->h[j] == t->h[i] && call_same(&calls[j], &calls[i]))
			return j;
	}
}

/* ---- tools' hooks: progress and per-op profiling (be_options) ---------- */

static void
hook_progress(const be_options *o, const char *stage, int i, int n)
{
	if (o->progress)
		o->progress(stage, i, n);
}

/* With o->profile: a call of resc_rt_profile_begin/end(op) (runtime/profile.c). */
static void
hook_profile(cg *c, const char *fn, int op)
{
	if (!c->o->profile)
		return;
	LLVMTypeRef fty = LLVMFunctionType(c->voidt, &c->i32, 1, 0);
	LLVMValueRef arg = LLVMConstInt(c->i32, (unsigned long long)op, 0);
	LLVMBuildCall2(c->b, fty, declare(c, fn, fty), &arg, 1, "");
}

static bool
value_is_output(const ir_graph *g, const ir_value *v, int *which)
{
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == v) {
			*which = i;
			return true;
		}
	return false;
}

/*
 * On entry to NAME_run, before any kernel reads them: the constants of at
 * least ADOPT_MIN bytes go to resc_rt_adopt_weights (runtime/weights.c),
 * which moves them from the executable's file mapping to anonymous memory
 * on the first call.
 */
enum { ADOPT_MIN = 64 << 10 };

static int
adopt_weights(cg *c, const be_call *calls, int ncalls, ir_err *e)
{
	int cap = 0, n = 0;
	for (int i = 0; i < ncalls; i++)
		cap += calls[i].nptrs;
	LLVMValueRef *ptrs = calloc((size_t)cap + 1, sizeof *ptrs);
	LLVMValueRef *sizes = calloc((size_t)cap + 1, sizeof *sizes);
	if (!ptrs || !sizes) {
		free(ptrs);
		free(sizes);
		return ir_errf(e, "out of memory");
	}
	for (int i = 0; i < ncalls; i++)
		for (int j = 0; j < calls[i].nptrs; j++) {
			ir_value *v = calls[i].ptrs[j];
			if (!v || !v->is_const || ir_value_nbytes(v) < ADOPT_MIN)
				continue;
			bool seen = v->aux >= 0 && c->cglobals[v->aux] != NULL;
			LLVMValueRef gv = const_global(c, v, e);
			if (!gv) {
				free(ptrs);
				free(sizes);
				return -1;
			}
			if (seen)
				continue;
			ptrs[n] = gv;
			sizes[n++] = LLVMConstInt(c->i64, (unsigned long long)ir_value_nbytes(v), 0);
		}
	if (n > 0) {
		char name[300];
		LLVMValueRef arr[3];
		LLVMValueRef inits[3] = {LLVMConstArray2(c->ptr, ptrs, (uint64_t)n),
		                         LLVMConstArray2(c->i64, sizes, (uint64_t)n),
		                         LLVMConstInt(c->i32, 0, 0)};
		const char *what[3] = {"weights", "weight_sizes", "weights_adopted"};
		for (int q = 0; q < 3; q++) {
			snprintf(name, sizeof name, "%s.%s", c->o->name, what[q]);
			arr[q] = LLVMAddGlobal(c->mod, LLVMTypeOf(inits[q]), name);
			LLVMSetInitializer(arr[q], inits[q]);
			LLVMSetLinkage(arr[q], LLVMPrivateLinkage);
			LLVMSetGlobalConstant(arr[q], q < 2);
		}
		LLVMTypeRef pt[4] = {c->ptr, c->ptr, c->i64, c->ptr};
		LLVMValueRef fn = declare(c, "resc_rt_adopt_weights", LLVMFunctionType(c->voidt, pt, 4, 0));
		LLVMValueRef args[4] = {arr[0], arr[1], LLVMConstInt(c->i64, (unsigned long long)n, 0), arr[2]};
		LLVMBuildCall2(c->b, LLVMGlobalGetValueType(fn), fn, args, 4, "");
	}
	free(ptrs);
	free(sizes);
	return 0;
}

static int
build_module(cg *c, int64_t ws_size, ir_err *e)
{
	ir_graph *g = c->g;
	LLVMBuilderRef b = c->b;
	char fname[256];

	/* the generated API takes and returns plain NCHW buffers */
	for (int i = 0; i < g->ninputs + g->noutputs; i++) {
		const ir_value *v = i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs];
		if (v->layout != IR_LAYOUT_PLAIN)
			return ir_errf(e, "graph %s %d has a blocked layout; the generated API takes plain tensors",
			               i < g->ninputs ? "input" : "output", i < g->ninputs ? i : i - g->ninputs);
	}
	/* the ops, lowered; lowering may add constants (packed weights) */
	int nops = 0;
	for (ir_op *op = g->first; op; op = op->next)
		nops++;
	be_call *calls = calloc((size_t)nops + 1, sizeof *calls);
	if (!calls)
		return ir_errf(e, "out of memory");
	int k = 0;
	for (ir_op *op = g->first; op; op = op->next, k++) {
		hook_progress(c->o, "lowering op", k + 1, nops);
		if (be_lower_op(g, op, &calls[k], e) != 0) {
			char msg[sizeof e->msg];
			snprintf(msg, sizeof msg, "%s", e->msg);
			ir_errf(e, "op %d \"%s\" (%s): %s", k, op->loc ? op->loc : "",
			        ir_opinfos[op->kind].name, msg);
			free(calls);
			return -1;
		}
	}
	c->ncalls = k;
	c->cglobals = calloc((size_t)g->nconsts + 1, sizeof *c->cglobals);
	if (!c->cglobals) {
		free(calls);
		return ir_errf(e, "out of memory");
	}
	for (int i = 0; i < g->nconsts; i++)
		g->consts[i]->aux = i;

	/* NAME_workspace_size */
	snprintf(fname, sizeof fname, "%s_workspace_size", c->o->name);
	LLVMValueRef wsf = LLVMAddFunction(c->mod, fname, LLVMFunctionType(c->i64, NULL, 0, 0));
	LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->ctx, wsf, "entry"));
	LLVMBuildRet(b, LLVMConstInt(c->i64, (unsigned long long)ws_size, 0));

	/* NAME_run */
	LLVMTypeRef run_params[3] = {c->ptr, c->ptr, c->ptr};
	snprintf(fname, sizeof fname, "%s_run", c->o->name);
	LLVMValueRef run = LLVMAddFunction(c->mod, fname, LLVMFunctionType(c->i32, run_params, 3, 0));
	LLVMValueRef pin = LLVMGetParam(run, 0), pout = LLVMGetParam(run, 1), pws = LLVMGetParam(run, 2);
	LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c->ctx, run, "entry");
	LLVMBasicBlockRef einval = LLVMAppendBasicBlockInContext(c->ctx, run, "einval");
	LLVMPositionBuilderAtEnd(b, einval);
	LLVMBuildRet(b, LLVMConstInt(c->i32, (unsigned long long)-1, 1));

	LLVMPositionBuilderAtEnd(b, entry);
	int maxp = 1;
	for (int i = 0; i < k; i++)
		if (calls[i].nptrs > maxp)
			maxp = calls[i].nptrs;
	LLVMTypeRef arrty = LLVMArrayType2(c->ptr, (uint64_t)maxp);
	LLVMValueRef arr = LLVMBuildAlloca(b, arrty, "ptrs");
	LLVMSetAlignment(arr, 16);

	/* argument checks: NULL arrays or NULL entries give -1 */
	LLVMValueRef null = LLVMConstPointerNull(c->ptr);
	LLVMValueRef bad = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntEQ, pin, null, ""),
	                               LLVMBuildICmp(b, LLVMIntEQ, pout, null, ""), "");
	LLVMBasicBlockRef ok0 = LLVMAppendBasicBlockInContext(c->ctx, run, "args");
	LLVMBuildCondBr(b, g->ninputs || g->noutputs ? bad : LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0),
	                einval, ok0);
	LLVMPositionBuilderAtEnd(b, ok0);
	LLVMValueRef *inp = calloc((size_t)g->ninputs + 1, sizeof *inp);
	LLVMValueRef *outp = calloc((size_t)g->noutputs + 1, sizeof *outp);
	/* linp/loutp: the same, loaded in the current part (the calls below) */
	LLVMValueRef *linp = calloc((size_t)g->ninputs + 1, sizeof *linp);
	LLVMValueRef *loutp = calloc((size_t)g->noutputs + 1, sizeof *loutp);
	LLVMValueRef *wrappers = calloc((size_t)k + 1, sizeof *wrappers);
	call_hashes *hashes = call_hashes_new(calls, k);
	if (!inp || !outp || !linp || !loutp || !wrappers || !hashes) {
		free(calls);
		free(inp);
		free(outp);
		free(linp);
		free(loutp);
		free(wrappers);
		call_hashes_free(hashes);
		return ir_errf(e, "out of memory");
	}
	LLVMValueRef anybad = LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0);
	for (int i = 0; i < g->ninputs; i++) {
		LLVMValueRef idx = LLVMConstInt(c->i64, (unsigned long long)i, 0);
		LLVMValueRef p = LLVMBuildGEP2(b, c->ptr, pin, &idx, 1, "");
		inp[i] = LLVMBuildLoad2(b, c->ptr, p, "in");
		anybad = LLVMBuildOr(b, anybad, LLVMBuildICmp(b, LLVMIntEQ, inp[i], null, ""), "");
	}
	for (int i = 0; i < g->noutputs; i++) {
		LLVMValueRef idx = LLVMConstInt(c->i64, (unsigned long long)i, 0);
		LLVMValueRef p = LLVMBuildGEP2(b, c->ptr, pout, &idx, 1, "");
		outp[i] = LLVMBuildLoad2(b, c->ptr, p, "out");
		anybad = LLVMBuildOr(b, anybad, LLVMBuildICmp(b, LLVMIntEQ, outp[i], null, ""), "");
	}
	LLVMBasicBlockRef ok1 = LLVMAppendBasicBlockInContext(c->ctx, run, "ws");
	LLVMBuildCondBr(b, anybad, einval, ok1);
	LLVMPositionBuilderAtEnd(b, ok1);

	/* workspace: the caller's (64-byte aligned), or allocated here */
	LLVMValueRef ws = pws, owned = NULL;
	if (ws_size > 0) {
		LLVMBasicBlockRef balloc = LLVMAppendBasicBlockInContext(c->ctx, run, "alloc");
		LLVMBasicBlockRef balign = LLVMAppendBasicBlockInContext(c->ctx, run, "align");
		LLVMBasicBlockRef bnomem = LLVMAppendBasicBlockInContext(c->ctx, run, "nomem");
		LLVMBasicBlockRef bmis = LLVMAppendBasicBlockInContext(c->ctx, run, "misaligned");
		LLVMBasicBlockRef bbody = LLVMAppendBasicBlockInContext(c->ctx, run, "body");
		LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, pws, null, ""), balloc, balign);

		LLVMPositionBuilderAtEnd(b, balloc);
		LLVMValueRef sz = LLVMConstInt(c->i64, (unsigned long long)ws_size, 0);
		LLVMValueRef m = LLVMBuildCall2(b, LLVMGlobalGetValueType(c->rt_alloc), c->rt_alloc, &sz, 1, "");
		LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, m, null, ""), bnomem, bbody);

		LLVMPositionBuilderAtEnd(b, bnomem);
		LLVMBuildRet(b, LLVMConstInt(c->i32, (unsigned long long)-3, 1));

		LLVMPositionBuilderAtEnd(b, balign);
		LLVMValueRef low = LLVMBuildAnd(b, LLVMBuildPtrToInt(b, pws, c->i64, ""),
		                                LLVMConstInt(c->i64, 63, 0), "");
		LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, low, LLVMConstInt(c->i64, 0, 0), ""), bmis, bbody);

		LLVMPositionBuilderAtEnd(b, bmis);
		LLVMBuildRet(b, LLVMConstInt(c->i32, (unsigned long long)-2, 1));

		LLVMPositionBuilderAtEnd(b, bbody);
		ws = LLVMBuildPhi(b, c->ptr, "wsp");
		LLVMValueRef vals[2] = {m, pws};
		LLVMBasicBlockRef from[2] = {balloc, balign};
		LLVMAddIncoming(ws, vals, from, 2);
		owned = LLVMBuildPhi(b, LLVMInt1TypeInContext(c->ctx), "owned");
		LLVMValueRef ov[2] = {LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 1, 0),
		                      LLVMConstInt(LLVMInt1TypeInContext(c->ctx), 0, 0)};
		LLVMAddIncoming(owned, ov, from, 2);
	}

	int rc = adopt_weights(c, calls, k, e); /* on failure no call is emitted */

	/*
	 * The calls.  A graph of more than PART_MIN ops gets them in a chain of
	 * internal, never-inlined functions of PART_OPS calls each, called in
	 * order from NAME_run with (inputs, outputs, workspace): LLVM's
	 * function passes are superlinear in a function's size, and one
	 * function with 20,000 calls took more than 10 minutes to optimise.
	 */
	enum { PART_MIN = 512, PART_OPS = 256 };
	const bool parts = k > PART_MIN;
	LLVMValueRef fin = pin, fout = pout, fws = ws; /* in the current function */
	LLVMValueRef *pinp = inp, *poutp = outp;        /* loaded there, lazily in a part */
	LLVMBasicBlockRef runbb = NULL;
	LLVMTypeRef part_ty = LLVMFunctionType(c->voidt, run_params, 3, 0);
	for (int i = 0; i < k && rc == 0; i++) {
		be_call *call = &calls[i];
		if (parts && i % PART_OPS == 0) {
			if (runbb) /* end the previous part */
				LLVMBuildRetVoid(b);
			else
				runbb = LLVMGetInsertBlock(b);
			char pname[300];
			snprintf(pname, sizeof pname, "%s_part%d", c->o->name, i / PART_OPS);
			LLVMValueRef pf = LLVMAddFunction(c->mod, pname, part_ty);
			LLVMSetLinkage(pf, LLVMInternalLinkage);
			unsigned ni = LLVMGetEnumAttributeKindForName("noinline", 8);
			LLVMAddAttributeAtIndex(pf, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, ni, 0));
			LLVMPositionBuilderAtEnd(b, runbb);
			LLVMValueRef pargs[3] = {pin, pout, ws ? ws : null};
			LLVMBuildCall2(b, part_ty, pf, pargs, 3, "");
			LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->ctx, pf, "entry"));
			fin = LLVMGetParam(pf, 0);
			fout = LLVMGetParam(pf, 1);
			fws = LLVMGetParam(pf, 2);
			arr = LLVMBuildAlloca(b, arrty, "ptrs");
			LLVMSetAlignment(arr, 16);
			memset(linp, 0, (size_t)g->ninputs * sizeof *linp);
			memset(loutp, 0, (size_t)g->noutputs * sizeof *loutp);
			pinp = linp;
			poutp = loutp;
		}
		/*
		 * Calls with the same kernel and descriptor (the repeated blocks of
		 * a residual stage) share one specialised wrapper: LLVM optimises
		 * and code-generates each distinct shape once.
		 */
		int same = find_same_call(calls, i, hashes);
		LLVMValueRef w = same >= 0 ? wrappers[same] : emit_wrapper(c, call, i, e);
		if (!w) {
			rc = -1;
			break;
		}
		wrappers[i] = w;
		if (same < 0)
			c->nwrappers++;
		for (int j = 0; j < call->nptrs; j++) {
			ir_value *v = call->ptrs[j];
			LLVMValueRef p;
			int which;
			if (!v) {
				p = null;
			} else if (v->is_const) {
				p = const_global(c, v, e);
				if (!p) {
					rc = -1;
					break;
				}
			} else if (v->is_input) {
				int q = 0;
				while (q < g->ninputs && g->inputs[q] != v)
					q++;
				if (q == g->ninputs)
					ir_die("input value not in graph inputs");
				if (!pinp[q]) {
					LLVMValueRef idx = LLVMConstInt(c->i64, (unsigned long long)q, 0);
					pinp[q] = LLVMBuildLoad2(b, c->ptr, LLVMBuildGEP2(b, c->ptr, fin, &idx, 1, ""), "in");
				}
				p = pinp[q];
			} else if (value_is_output(g, v, &which)) {
				if (!poutp[which]) {
					LLVMValueRef idx = LLVMConstInt(c->i64, (unsigned long long)which, 0);
					poutp[which] = LLVMBuildLoad2(b, c->ptr, LLVMBuildGEP2(b, c->ptr, fout, &idx, 1, ""), "out");
				}
				p = poutp[which];
			} else {
				if (v->mem_offset < 0)
					ir_die("value without a workspace slot");
				LLVMValueRef off = LLVMConstInt(c->i64, (unsigned long long)v->mem_offset, 0);
				p = LLVMBuildGEP2(b, c->i8, fws, &off, 1, "");
			}
			LLVMValueRef idx[2] = {LLVMConstInt(c->i64, 0, 0), LLVMConstInt(c->i64, (unsigned long long)j, 0)};
			LLVMBuildStore(b, p, LLVMBuildGEP2(b, arrty, arr, idx, 2, ""));
		}
		if (rc)
			break;
		hook_profile(c, "resc_rt_profile_begin", i);
		if (call->ntasks <= 1) {
			LLVMValueRef args[4] = {null, arr, LLVMConstInt(c->i64, 0, 0), LLVMConstInt(c->i64, 1, 0)};
			LLVMBuildCall2(b, c->task_ty, w, args, 4, "");
		} else {
			LLVMValueRef args[4] = {w, null, arr, LLVMConstInt(c->i64, (unsigned long long)call->ntasks, 0)};
			LLVMBuildCall2(b, LLVMGlobalGetValueType(c->parallel_for), c->parallel_for, args, 4, "");
		}
		hook_profile(c, "resc_rt_profile_end", i);
	}
	if (runbb) { /* end the last part; back to NAME_run */
		LLVMBuildRetVoid(b);
		LLVMPositionBuilderAtEnd(b, runbb);
	}

	/* outputs that no op wrote: graph inputs, constants, repeated values */
	for (int i = 0; i < g->noutputs && rc == 0; i++) {
		ir_value *v = g->outputs[i];
		int first = i;
		value_is_output(g, v, &first);
		LLVMValueRef src = NULL;
		if (v->is_const)
			src = const_global(c, v, e);
		else if (v->is_input) {
			for (int q = 0; q < g->ninputs; q++)
				if (g->inputs[q] == v)
					src = inp[q];
		} else if (first != i)
			src = outp[first];
		else
			continue;
		if (!src) {
			rc = -1;
			break;
		}
		LLVMBuildMemCpy(b, outp[i], 4, src, 4,
		                LLVMConstInt(c->i64, (unsigned long long)ir_value_nbytes(v), 0));
	}

	if (rc == 0) {
		if (owned) {
			LLVMBasicBlockRef bfree = LLVMAppendBasicBlockInContext(c->ctx, run, "free");
			LLVMBasicBlockRef bret = LLVMAppendBasicBlockInContext(c->ctx, run, "ret");
			LLVMBuildCondBr(b, owned, bfree, bret);
			LLVMPositionBuilderAtEnd(b, bfree);
			LLVMBuildCall2(b, LLVMGlobalGetValueType(c->rt_free), c->rt_free, &ws, 1, "");
			LLVMBuildBr(b, bret);
			LLVMPositionBuilderAtEnd(b, bret);
		}
		LLVMBuildRet(b, LLVMConstInt(c->i32, 0, 0));
	}
	free(inp);
	free(outp);
	free(linp);
	free(loutp);
	free(wrappers);
	call_hashes_free(hashes);
	free(calls);
	return rc;
}

/* The plan-memory pass's workspace (its plan checked by the verifier when it
 * was made or read), or that of a plan made here for a pipeline without the
 * pass. */
static int64_t
workspace_size(ir_graph *g)
{
	return g->workspace >= 0 ? g->workspace : plan_memory(g, NULL);
}

/* The first kernel function (rk_, rki_) the module uses but does not
 * define, or NULL. */
static LLVMValueRef
undefined_kernel(LLVMModuleRef m)
{
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		const char *n = LLVMGetValueName(f);
		if (LLVMIsDeclaration(f) && LLVMGetFirstUse(f) &&
		    (strncmp(n, "rk_", 3) == 0 || strncmp(n, "rki_", 4) == 0))
			return f;
	}
	return NULL;
}

/*
 * Links in the kernel source files (one bitcode module each) that define a
 * kernel the module calls, and again for the kernels those call, until none
 * is missing; then makes them internal and target-neutral.  Each file is
 * loaded lazily (its symbol table only) to see what it defines, and parsed
 * in full only when linked: a model of eltwise ops does not read conv.c's
 * bitcode (0.4 of a tiny model's 0.5 s compile went to parsing it all).
 */
static int
link_kernels(cg *c, const target *t, ir_err *e)
{
	enum { MAXF = 32 };
	LLVMModuleRef lazy[MAXF] = {0};
	bool linked[MAXF] = {0};
	int nf = 0, rc = 0;
	while (t->kbc[nf].name)
		if (++nf == MAXF)
			ir_die("more than %d kernel bitcode files", MAXF);
	for (LLVMValueRef want; rc == 0 && (want = undefined_kernel(c->mod));) {
		const char *name = LLVMGetValueName(want);
		int k = -1;
		for (int i = 0; i < nf && k < 0; i++) {
			if (linked[i])
				continue;
			if (!lazy[i]) {
				/* the module owns the buffer from here on */
				LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange(
					(const char *)t->kbc[i].data, t->kbc[i].len, t->kbc[i].name, 0);
				if (LLVMGetBitcodeModuleInContext2(c->ctx, buf, &lazy[i])) {
					rc = ir_errf(e, "internal: cannot read the embedded kernel bitcode %s (%s)",
					             t->kbc[i].name, t->flavour);
					break;
				}
			}
			LLVMValueRef f = LLVMGetNamedFunction(lazy[i], name);
			if (f && !LLVMIsDeclaration(f))
				k = i;
		}
		if (rc)
			break;
		if (k < 0) {
			rc = ir_errf(e, "internal: kernel %s is missing from the kernel bitcode (%s)", name,
			             t->flavour);
			break;
		}
		LLVMSetTarget(lazy[k], LLVMGetTarget(c->mod));
		LLVMSetDataLayout(lazy[k], LLVMGetDataLayoutStr(c->mod));
		linked[k] = true;
		LLVMModuleRef km = lazy[k];
		lazy[k] = NULL;
		if (LLVMLinkModules2(c->mod, km)) /* destroys km */
			rc = ir_errf(e, "internal: cannot link the kernel bitcode %s", t->kbc[k].name);
	}
	for (int i = 0; i < nf; i++)
		if (lazy[i])
			LLVMDisposeModule(lazy[i]);
	if (rc)
		return rc;
	for (LLVMValueRef f = LLVMGetFirstFunction(c->mod); f; f = LLVMGetNextFunction(f)) {
		if (LLVMIsDeclaration(f))
			continue;
		const char *n = LLVMGetValueName(f);
		if (strncmp(n, "rk_", 3) == 0 || strncmp(n, "rki_", 4) == 0)
			LLVMSetLinkage(f, LLVMInternalLinkage);
		/* let the target machine's CPU and features apply */
		LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "target-cpu", 10);
		LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "target-features", 15);
		LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, "tune-cpu", 8);
	}
	for (LLVMValueRef gv = LLVMGetFirstGlobal(c->mod); gv; gv = LLVMGetNextGlobal(gv))
		if (!LLVMIsDeclaration(gv) && LLVMGetLinkage(gv) == LLVMExternalLinkage &&
		    strncmp(LLVMGetValueName(gv), "rk", 2) == 0)
			LLVMSetLinkage(gv, LLVMInternalLinkage);
	return 0;
}

/*
 * Deletes the internal functions nothing refers to (the kernels this model
 * does not use, and their helpers), so that the optimiser never sees them.
 */
static void
drop_dead_functions(LLVMModuleRef m)
{
	bool changed = true;
	while (changed) {
		changed = false;
		for (LLVMValueRef f = LLVMGetFirstFunction(m), next; f; f = next) {
			next = LLVMGetNextFunction(f);
			LLVMLinkage l = LLVMGetLinkage(f);
			if ((l == LLVMInternalLinkage || l == LLVMPrivateLinkage) && !LLVMGetFirstUse(f)) {
				LLVMDeleteFunction(f);
				changed = true;
			}
		}
	}
}

/*
 * Writes path atomically: put() writes the contents to a temporary file
 * beside it (true when every write succeeded), which is renamed over path,
 * or removed on any failure, so no partial output is ever left.
 */
static int
write_atomic(const char *path, bool (*put)(FILE *, const void *), const void *arg, ir_err *e)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return ir_errf(e, "cannot write %s: %s", tmp, strerror(errno));
	bool ok = put(f, arg);
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		remove(tmp);
		return ir_errf(e, "cannot write %s", path);
	}
	return 0;
}

typedef struct bytes {
	const void *data;
	size_t n;
} bytes;

static bool
put_bytes(FILE *f, const void *arg)
{
	const bytes *b = arg;
	return fwrite(b->data, 1, b->n, f) == b->n;
}

static int
write_file(const char *path, const void *data, size_t n, ir_err *e)
{
	bytes b = {data, n};
	return write_atomic(path, put_bytes, &b, e);
}

/* The object LLVM emitted with the weight section added (elf.c). */
typedef struct object_out {
	const cg *c;
	const be_elf_edit *ed;
} object_out;

/* The edited object, then each constant at its offset in the section, then
 * the new section tables; zeros in the gaps. */
static bool
put_object(FILE *f, const void *arg)
{
	const cg *c = ((const object_out *)arg)->c;
	const be_elf_edit *ed = ((const object_out *)arg)->ed;
	uint64_t at = ed->nobj; /* bytes written */
	bool ok = fwrite(ed->obj, 1, ed->nobj, f) == ed->nobj;
	for (int i = 0; i <= c->nb && ok; i++) {
		uint64_t to = i < c->nb ? ed->data_off + c->bent[i].off : ed->tail_off;
		for (; at < to && ok; at++) /* alignment gaps: under BLOB_ALIGN bytes each */
			ok = putc(0, f) != EOF;
		if (i < c->nb && ok) {
			size_t nb = ir_value_nbytes(c->bent[i].v);
			ok = fwrite(c->bent[i].v->data, 1, nb, f) == nb;
			at += nb;
		}
	}
	return ok && fwrite(ed->tail, 1, ed->ntail, f) == ed->ntail;
}

static int
write_object(const cg *c, const char *path, const void *obj, size_t n, ir_err *e)
{
	be_elf_edit ed;
	if (be_elf_add_section(obj, n, c->blob_sym, ".rodata.resc_weights", c->blob_size, BLOB_ALIGN,
	                       &ed, e) != 0)
		return -1;
	if (!ed.obj) /* nothing refers to the section */
		return write_file(path, obj, n, e);
	object_out out = {c, &ed};
	int rc = write_atomic(path, put_object, &out, e);
	free(ed.obj);
	free(ed.tail);
	return rc;
}

/* Whether LLVM writes ELF objects for the triple (not Mach-O or COFF). */
static bool
triple_is_elf(const char *triple)
{
	static const char *other[] = {"apple", "darwin", "macos", "ios", "windows", "win32",
		"mingw", "cygwin", "msvc", "uefi", NULL};
	for (int i = 0; other[i]; i++)
		if (strstr(triple, other[i]))
			return false;
	return true;
}

int
be_compile(ir_graph *g, const be_options *o, const char *path, ir_err *e)
{
	target t = {0};
	int rc = -1;
	stopwatch sw;
	sw_start(&sw);

	if (!be_valid_name(o->name))
		return ir_errf(e, "--name '%s' is not a C identifier", o->name ? o->name : "");
	if (pick_target(o, &t, e) != 0) {
		free(t.features);
		return -1;
	}
	init_llvm();

	char *err = NULL;
	LLVMTargetRef T;
	if (LLVMGetTargetFromTriple(t.triple, &T, &err)) {
		ir_errf(e, "target '%s': %s", t.triple, err);
		LLVMDisposeMessage(err);
		free(t.features);
		return -1;
	}
	/*
	 * -O3 runs LLVM's O3 IR pipeline but generates machine code at the
	 * default level: on resnet50 that is 1.5 s of a 13 s compile less, and
	 * the code measured no slower (docs/backend.md).
	 */
	static const LLVMCodeGenOptLevel lv[4] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
		LLVMCodeGenLevelDefault, LLVMCodeGenLevelDefault};
	LLVMTargetMachineRef tm = LLVMCreateTargetMachine(T, t.triple, t.cpu, t.features,
		lv[o->opt_level & 3], LLVMRelocPIC, LLVMCodeModelDefault);
	if (!tm) {
		free(t.features);
		return ir_errf(e, "cannot create a target machine for %s (cpu %s)", t.triple, t.cpu);
	}

	cg c = {0};
	c.g = g;
	c.o = o;
	c.ctx = LLVMContextCreate();
	c.mod = LLVMModuleCreateWithNameInContext(o->name, c.ctx);
	LLVMSetTarget(c.mod, t.triple);
	LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
	LLVMSetModuleDataLayout(c.mod, td);
	LLVMDisposeTargetData(td);
	c.b = LLVMCreateBuilderInContext(c.ctx);
	c.i8 = LLVMInt8TypeInContext(c.ctx);
	c.i32 = LLVMInt32TypeInContext(c.ctx);
	c.i64 = LLVMInt64TypeInContext(c.ctx);
	c.ptr = LLVMPointerTypeInContext(c.ctx, 0);
	c.voidt = LLVMVoidTypeInContext(c.ctx);
	LLVMTypeRef tp[4] = {c.ptr, c.ptr, c.i64, c.i64};
	c.task_ty = LLVMFunctionType(c.voidt, tp, 4, 0);
	LLVMTypeRef pf[4] = {c.ptr, c.ptr, c.ptr, c.i64};
	c.parallel_for = declare(&c, "resc_rt_parallel_for", LLVMFunctionType(c.voidt, pf, 4, 0));
	c.rt_alloc = declare(&c, "resc_rt_alloc", LLVMFunctionType(c.ptr, &c.i64, 1, 0));
	c.rt_free = declare(&c, "resc_rt_free", LLVMFunctionType(c.voidt, &c.ptr, 1, 0));

	sw_lap(&sw, "setup");
	int64_t ws = workspace_size(g);
	sw_lap(&sw, "memory plan");
	c.use_blob = o->emit == BE_EMIT_OBJ && triple_is_elf(t.triple);
	if (build_module(&c, ws, e) != 0)
		goto out;
	finish_blob(&c);
	sw_lap(&sw, "lowering + module build");
	if (sw.on)
		fprintf(stderr, "resc backend: %d calls, %d distinct kernel specialisations\n",
		        c.ncalls, c.nwrappers);
	if (link_kernels(&c, &t, e) != 0)
		goto out;
	sw_lap(&sw, "kernel bitcode parse+link");
	drop_dead_functions(c.mod);

	if (LLVMVerifyModule(c.mod, LLVMReturnStatusAction, &err)) {
		ir_errf(e, "internal: generated module does not verify: %.300s", err);
		LLVMDisposeMessage(err);
		goto out;
	}
	LLVMDisposeMessage(err);
	err = NULL;
	sw_lap(&sw, "verify");

	char pipeline[32];
	snprintf(pipeline, sizeof pipeline, "default<O%d>", o->opt_level & 3);
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	hook_progress(o, "LLVM optimisation", 0, 0);
	LLVMErrorRef lerr = LLVMRunPasses(c.mod, pipeline, tm, po);
	LLVMDisposePassBuilderOptions(po);
	if (lerr) {
		char *m = LLVMGetErrorMessage(lerr);
		ir_errf(e, "internal: LLVM passes failed: %s", m);
		LLVMDisposeErrorMessage(m);
		goto out;
	}
	sw_lap(&sw, "LLVM optimisation");

	if (o->emit == BE_EMIT_LLVM) {
		char *s = LLVMPrintModuleToString(c.mod);
		rc = write_file(path, s, strlen(s), e);
		LLVMDisposeMessage(s);
	} else {
		LLVMMemoryBufferRef mb = NULL;
		hook_progress(o, "codegen", 0, 0);
		if (LLVMTargetMachineEmitToMemoryBuffer(tm, c.mod,
		        o->emit == BE_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile, &err, &mb)) {
			ir_errf(e, "internal: code generation failed: %s", err);
			LLVMDisposeMessage(err);
			goto out;
		}
		sw_lap(&sw, "codegen");
		if (c.blob)
			rc = write_object(&c, path, LLVMGetBufferStart(mb), LLVMGetBufferSize(mb), e);
		else
			rc = write_file(path, LLVMGetBufferStart(mb), LLVMGetBufferSize(mb), e);
		LLVMDisposeMemoryBuffer(mb);
	}
	sw_lap(&sw, "write");
out:
	free(c.cglobals);
	free(c.bent);
	LLVMDisposeBuilder(c.b);
	LLVMDisposeModule(c.mod);
	LLVMContextDispose(c.ctx);
	LLVMDisposeTargetMachine(tm);
	free(t.features);
	sw_lap(&sw, "cleanup");
	if (sw.on)
		fprintf(stderr, "resc backend: %-28s %8.3f s wall %8.3f s cpu\n", "total",
		        now_s() - sw.t0, cpu_s() - sw.c0);
	return rc;
}

/* ---- the header --------------------------------------------------------- */

static void
upper(char *dst, const char *s, size_t n)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++)
		dst[i] = (char)toupper((unsigned char)s[i]);
	dst[i] = 0;
}

static void
c_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\%03o", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
io_macros(FILE *f, const char *U, const char *kind, int i, const char *name, const ir_value *v)
{
	fprintf(f, "#define %s_%s%d_NAME ", U, kind, i);
	c_string(f, name);
	fprintf(f, "\n#define %s_%s%d_RANK %d\n#define %s_%s%d_SHAPE {", U, kind, i, v->rank, U, kind, i);
	for (int d = 0; d < v->rank; d++)
		fprintf(f, "%s%lld", d ? ", " : "", (long long)v->dims[d]);
	fprintf(f, "}\n#define %s_%s%d_SIZE %lld /* elements */\n", U, kind, i, (long long)ir_value_numel(v));
}

int
be_write_header(ir_graph *g, const be_options *o, const char *path, ir_err *e)
{
	if (!be_valid_name(o->name))
		return ir_errf(e, "--name '%s' is not a C identifier", o->name ? o->name : "");
	char U[256];
	upper(U, o->name, sizeof U);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return ir_errf(e, "out of memory");
	int64_t ws = workspace_size(g);

	fprintf(f, "/* Generated by resc: the C API of the compiled network '%s'. */\n", o->name);
	fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", U, U);
	fprintf(f, "/*\n * Inputs and outputs are dense row-major float32 tensors (NCHW for images),\n"
	           " * with the shapes below, fixed at compile time (resc compile --batch N and\n"
	           " * --input-shape NAME=DIMS compile other sizes).  Compiled for:\n");
	for (int i = 0; i < g->ninputs + g->noutputs; i++) {
		bool in = i < g->ninputs;
		const ir_value *v = in ? g->inputs[i] : g->outputs[i - g->ninputs];
		const char *nm = in ? g->input_names[i] : g->output_names[i - g->ninputs];
		fprintf(f, " *   %s %d '", in ? "input " : "output", in ? i : i - g->ninputs);
		for (; nm && *nm; nm++) /* no comment end inside a comment */
			fputc(*nm == '*' || (unsigned char)*nm < 0x20 || (unsigned char)*nm > 0x7e ? '?' : *nm, f);
		fputs("' ", f);
		for (int d = 0; d < v->rank; d++)
			fprintf(f, "%s%lld", d ? "x" : "", (long long)v->dims[d]);
		fputs(v->rank ? "\n" : "scalar\n", f);
	}
	fprintf(f, " */\n");
	fprintf(f, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n", U, g->ninputs, U, g->noutputs);
	for (int i = 0; i < g->ninputs; i++)
		io_macros(f, U, "INPUT", i, g->input_names[i], g->inputs[i]);
	for (int i = 0; i < g->noutputs; i++)
		io_macros(f, U, "OUTPUT", i, g->output_names[i], g->outputs[i]);
	fprintf(f, "#define %s_WORKSPACE_SIZE %lld /* bytes */\n\n", U, (long long)ws);
	fprintf(f, "/* Bytes of scratch memory one call of %s_run needs (64-byte aligned). */\n", o->name);
	fprintf(f, "size_t %s_workspace_size(void);\n\n", o->name);
	fprintf(f,
	        "/*\n"
	        " * Runs the network.  inputs[i] points to %s_INPUTi_SIZE floats, outputs[i]\n"
	        " * to %s_OUTPUTi_SIZE floats.  workspace is NULL (the call allocates and\n"
	        " * frees its own) or %s_workspace_size() bytes, 64-byte aligned, which the\n"
	        " * call uses instead: then it makes no heap allocation.  Concurrent calls\n"
	        " * are safe when each has its own workspace and outputs.\n"
	        " * Returns 0, or -1 for a NULL argument, -2 for a misaligned workspace,\n"
	        " * -3 when the workspace cannot be allocated (resc_rt_strerror() names them).\n"
	        " * On Linux the first call moves the large weights from the executable's\n"
	        " * file mapping to anonymous memory (resc_rt_adopt_weights() in resc_rt.h;\n"
	        " * RESC_ADOPT_WEIGHTS=0 in the environment keeps the file mapping).\n"
	        " */\n", U, U, o->name);
	fprintf(f, "int %s_run(const float *const *inputs, float *const *outputs, void *workspace);\n\n", o->name);
	fprintf(f, "#ifdef __cplusplus\n}\n#endif\n#endif\n");
	if (fclose(f) != 0) {
		free(buf);
		return ir_errf(e, "out of memory");
	}
	int rc = write_file(path, buf, len, e);
	free(buf);
	return rc;
}
