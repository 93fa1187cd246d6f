/*
 * subsample_conv.c - a strided 1x1 convolution reads its input through a
 * slice, so that the convolution itself runs at stride 1.
 *
 *   %y = conv(%x, %w, %b, %r) {strides = [2, 2], pads = [0, 0, 0, 0], ...}
 *     =>
 *   %s = slice(%x) {starts = [0, 0, 0, 0], steps = [1, 1, 2, 2]}
 *   %y = conv(%s, %w, %b, %r) {strides = [1, 1], pads = [0, 0, 0, 0], ...}
 *
 * Every downsampling shortcut of ResNet, ResNeXt, SE-ResNet, ResNeSt and
 * the attention networks is a 1x1 convolution with stride 2.  At stride 1
 * and without padding the backend walks the whole plane as one long row of
 * contiguous pixels (a GEMM); at stride 2 it reads every other pixel of
 * every other row, so half of each cache line and every other row it pulls
 * in are wasted, and it measured 40-53 % of the FMA peak against 75-87 %
 * for the stride-1 shapes (docs/bench.md).  The slice costs one copy of
 * C x OH x OW floats, against M multiply-adds per copied float in the conv;
 * it is done when M >= MIN_OUTPUTS, so the copy is at most a few per cent of
 * the conv's work.
 *
 * Legal because a 1x1 convolution with no padding, stride (sh, sw) reads
 * exactly input pixel (oy*sh, ox*sw) for output pixel (oy, ox), which is
 * element (oy, ox) of the slice with steps (sh, sw); dilation does not
 * matter with one tap.  The same products are summed in the same order, so
 * the result is bit-identical.  The epilogue (bias, residual, activation)
 * stays on the conv.
 */
#include "passes.h"

enum { MIN_OUTPUTS = 32 };

static bool
rewrite_one(ir_graph *g, ir_op *op)
{
	ir_value *x = op->operands[0], *w = op->operands[1], *y = op->results[0];
	int ns, np;
	const int64_t *st = ir_op_ints(op, "strides", &ns), *pads = ir_op_ints(op, "pads", &np);
	if (x->rank != 4 || w->rank != 4 || y->rank != 4 || !st || ns != 2 || (pads && np != 4))
		return false;
	if (w->dims[2] != 1 || w->dims[3] != 1 || (st[0] == 1 && st[1] == 1) || st[0] < 1 || st[1] < 1)
		return false;
	for (int i = 0; pads && i < 4; i++)
		if (pads[i] != 0)
			return false;
	if (y->dims[1] < MIN_OUTPUTS || ir_op_int(op, "group", 1) != 1)
		return false;
	/* the shapes inference gave the conv: one output pixel per strided input pixel */
	if (y->dims[0] != x->dims[0] || y->dims[2] != (x->dims[2] - 1) / st[0] + 1 ||
	    y->dims[3] != (x->dims[3] - 1) / st[1] + 1)
		return false;

	const int64_t starts[4] = {0, 0, 0, 0}, steps[4] = {1, 1, st[0], st[1]};
	const int64_t dims[4] = {x->dims[0], x->dims[1], y->dims[2], y->dims[3]};
	const int64_t one[2] = {1, 1};
	ir_op *sl = ir_op_new(g, IR_OP_SLICE, &x, 1, 1);
	ir_value *s = sl->results[0];
	s->dtype = x->dtype;
	s->rank = 4;
	for (int i = 0; i < 4; i++)
		s->dims[i] = dims[i];
	ir_op_set_ints(g, sl, "starts", starts, 4);
	ir_op_set_ints(g, sl, "steps", steps, 4);
	sl->loc = op->loc;
	ir_op_insert_before(g, sl, op);
	op->operands[0] = s;
	ir_op_set_ints(g, op, "strides", one, 2);
	return true;
}

int
pass_subsample_conv(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	(void)e;
	bool changed = false;
	for (ir_op *op = g->first; op; op = op->next)
		if (op->kind == IR_OP_CONV)
			changed |= rewrite_one(g, op);
	if (changed)
		ir_graph_compute_uses(g);
	return 0;
}
