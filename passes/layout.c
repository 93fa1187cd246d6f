/*
 * layout.c - activations between convolutions in the blocked layout NCHW16c.
 *
 *   %1 = conv(%0, %w1, %b1) {…} : f32[1,64,56,56]
 *   %2 = conv(%1, %w2, %b2, %r) {…} : f32[1,256,56,56]
 *     =>
 *   %1 = conv(%0, %w1, %b1) {…} : f32[1,64,56,56] nchw16c
 *   %2 = conv(%1, %w2, %b2, %r) {…} : f32[1,256,56,56] nchw16c
 *
 * In NCHW16c ([N][C/16][H][W][16]) the 16 output channels a conv kernel
 * computes for one pixel are one vector in memory, so a tile's results are
 * stored as they are instead of being transposed into 16 planes, and the
 * input a tile reads for 16 channels is one contiguous run instead of 16
 * runs a plane apart (docs/passes.md has the measurements).  16 is the
 * kernels' block of output channels (RK_BLOCK) for every target: one zmm
 * register with AVX-512, two ymm with AVX2, four q with NEON.
 *
 * What it matches: every f32[N,C,H,W] value with C a multiple of 16 that an
 * op able to write it blocked defines (a conv with constant weights, one
 * result and whole blocks of 16 channels per group, or a depthwise one,
 * algo "depthwise", whose kernel maps channel c to channel c; max and average
 * pooling; a slice or resize over H and W; scale_shift; radix_combine; an
 * elementwise op whose operands all have its type) and that only ops able to read it blocked use (such a conv,
 * as its input or its residual; the others above; globalavgpool and fc,
 * which write plain), and that is not a graph output.  The value's type keeps its logical shape; the
 * layout says how compiled code stores it.  Then, to a fixpoint, a value is
 * put back to plain where an op needs two values in the same layout and the
 * other stays plain (a conv's residual and result, and a depthwise conv's
 * input too; a pool's or slice's operand and result).  So no reorder op is ever needed: a conv reads a
 * plain graph input and writes blocked (ResNet's stem), fc reads blocked and
 * writes a plain output, and a value next to an op without a blocked kernel
 * stays plain.  The interpreter ignores layouts, so check-numerics sees the
 * same values.
 *
 * Legal because every op involved computes the same values in either
 * layout (the kernels index by layout; the sums keep their order), and
 * every buffer keeps its size (whole blocks only).
 */
#include "passes.h"

#include <string.h>

enum { BLOCK = 16, MAX_TIED = 16 };

/* An elementwise op of one type (ir_same_shape_eltwise) with few enough operands for tie(). */
static bool
eltwise_ok(const ir_op *op)
{
	return ir_same_shape_eltwise(op) && op->noperands < MAX_TIED;
}

/* A conv whose kernels take blocked values: packed (constant) weights, one
 * result or a second one of row sums (fuse-se-mean; they stay plain, being
 * [N,M,OH]), not a pre-activation conv's second result. */
static bool
conv_ok(const ir_op *op)
{
	return op->kind == IR_OP_CONV &&
	       (op->nresults == 1 || (op->nresults == 2 && ir_op_int(op, "row_sums", 0))) &&
	       ir_op_int(op, "group", 1) >= 1 &&
	       op->noperands > 1 && op->operands[1] && op->operands[1]->is_const &&
	       op->operands[1]->data;
}

/* A depthwise conv with its own kernel (algo "depthwise", lower-grouped-conv;
 * the verifier checks group = C = M): channel c in, channel c out, so x, the
 * residual and y are blocked together (tie) and C % 16 == 0 is all it needs
 * (candidate checks it on each value).  Not with row sums (rk_dwconv2d
 * has none; fuse-se-mean runs before lower-grouped-conv in the pipelines,
 * which then leaves such a conv unmarked). */
static bool
dw_ok(const ir_op *op)
{
	const char *algo = ir_op_string(op, "algo", NULL);
	return conv_ok(op) && op->nresults == 1 && algo && strcmp(algo, "depthwise") == 0;
}

/* Whole blocks of channels per group in v (a conv's input or output), so
 * that every group starts a block (ResNeXt's wider stages, ResNeSt's radix
 * convs; not the groups of 4 and 8, which use pixel vectors). */
static bool
group_blocks(const ir_op *op, const ir_value *v)
{
	int64_t G = ir_op_int(op, "group", 1);
	return v && v->rank == 4 && G >= 1 && v->dims[1] % (G * BLOCK) == 0;
}

/* A slice that keeps every channel (the subsampled input of subsample-conv). */
static bool
slice_ok(const ir_op *op)
{
	int ns, nt;
	const int64_t *st = ir_op_ints(op, "starts", &ns), *sp = ir_op_ints(op, "steps", &nt);
	return op->kind == IR_OP_SLICE && st && sp && ns == 4 && nt == 4 && st[1] == 0 && sp[1] == 1 &&
	       op->operands[0]->rank == 4 && op->results[0]->dims[1] == op->operands[0]->dims[1];
}

/* A resize of H and W only (the Residual Attention mask's upsampling). */
static bool
resize_ok(const ir_op *op)
{
	int n;
	const float *sc = ir_op_floats(op, "scales", &n);
	return op->kind == IR_OP_RESIZE && op->noperands == 1 && op->operands[0]->rank == 4 && sc &&
	       n == 4 && sc[0] == 1.0f && sc[1] == 1.0f;
}

/* Whether op's kernel can write its result v blocked. */
static bool
def_ok(const ir_op *op)
{
	return (conv_ok(op) && (group_blocks(op, op->results[0]) || dw_ok(op))) || op->kind == IR_OP_MAXPOOL ||
	       op->kind == IR_OP_AVGPOOL || op->kind == IR_OP_RADIX_COMBINE || slice_ok(op) || resize_ok(op) ||
	       op->kind == IR_OP_SCALE_SHIFT || eltwise_ok(op);
}

/* Whether op's kernel can read operand slot i blocked. */
static bool
use_ok(const ir_op *op, int i)
{
	if (dw_ok(op))
		return i == 0 || i == 3;
	if (conv_ok(op))
		return (i == 0 && group_blocks(op, op->operands[0])) ||
		       (i == 3 && group_blocks(op, op->results[0]));
	if (op->kind == IR_OP_SCALE_SHIFT)
		return i == 0 || i == 3;
	if (op->kind == IR_OP_MAXPOOL || op->kind == IR_OP_AVGPOOL || op->kind == IR_OP_RADIX_COMBINE ||
	    slice_ok(op) || resize_ok(op) || op->kind == IR_OP_FC || op->kind == IR_OP_GLOBALAVGPOOL)
		return i == 0;
	return eltwise_ok(op);
}

static bool
candidate(const ir_graph *g, const ir_value *v)
{
	if (!v || v->is_input || v->is_const || !v->def || v->dtype != IR_F32 || v->rank != 4 ||
	    v->dims[1] % BLOCK || ir_is_output(g, v) || !def_ok(v->def))
		return false;
	for (ir_op *const *u = v->users; *u; u++) { /* distinct users, NULL-terminated */
		const ir_op *op = *u;
		for (int i = 0; i < op->noperands; i++)
			if (op->operands[i] == v && !use_ok(op, i))
				return false;
	}
	return true;
}

static bool
blk(const ir_value *v)
{
	return v && v->layout == IR_LAYOUT_NCHWC;
}

/* Puts the values of v[0..n) (NULLs skipped) back to plain unless all
 * have one layout. */
static bool
same_layout(ir_value *const *v, int n)
{
	int nb = 0, np = 0;
	for (int i = 0; i < n; i++)
		if (v[i])
			blk(v[i]) ? nb++ : np++;
	if (!nb || !np)
		return false;
	for (int i = 0; i < n; i++)
		if (v[i]) {
			v[i]->layout = IR_LAYOUT_PLAIN;
			v[i]->block = 0;
		}
	return true;
}

/* The values op needs in one layout: it maps their elements one to one. */
static bool
tie(ir_op *op)
{
	ir_value *v[MAX_TIED];
	int n = 0;
	if (op->kind == IR_OP_CONV && (op->noperands > 3 || dw_ok(op))) {
		if (dw_ok(op)) /* its kernel reads x and writes y in one layout */
			v[n++] = op->operands[0];
		if (op->noperands > 3)
			v[n++] = op->operands[3];
	} else if (op->kind == IR_OP_MAXPOOL || op->kind == IR_OP_AVGPOOL || op->kind == IR_OP_SLICE ||
	           op->kind == IR_OP_RESIZE || op->kind == IR_OP_RADIX_COMBINE) {
		v[n++] = op->operands[0];
	} else if (op->kind == IR_OP_SCALE_SHIFT) {
		v[n++] = op->operands[0];
		if (op->noperands > 3)
			v[n++] = op->operands[3];
	} else if (eltwise_ok(op)) {
		for (int i = 0; i < op->noperands; i++)
			v[n++] = op->operands[i];
	} else {
		return false;
	}
	v[n++] = op->results[0];
	return same_layout(v, n);
}

int
pass_layout(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	(void)e;
	ir_graph_compute_uses(g);
	bool any = false;
	for (ir_op *op = g->first; op; op = op->next)
		for (int i = 0; i < op->nresults; i++) {
			ir_value *v = op->results[i];
			if (!blk(v) && candidate(g, v)) {
				v->layout = IR_LAYOUT_NCHWC;
				v->block = BLOCK;
				any = true;
			}
		}
	for (bool again = any; again;) {
		again = false;
		for (ir_op *op = g->first; op; op = op->next)
			again |= tie(op);
	}
	return 0;
}
