/*
 * lower_grouped_conv.c - chooses how each convolution maps onto the
 * vector lanes, by a small cost model, and records the choice in the IR.
 *
 *   %y = conv(%x, %w, %b) {group = 32, ...}      (4 output channels a group)
 *     =>
 *   %y = conv(%x, %w, %b) {algo = "pixel", group = 32, ...}
 *
 * Three forms (docs/passes.md has the measurements):
 *
 *   block      (the default, no attribute; kernels/conv.c): a vector holds
 *              16 output channels of one group; each tap broadcasts an input
 *              pixel and does one FMA per 16 weights.  A group with Mg < 16
 *              output channels leaves 16 - Mg lanes of every FMA idle
 *              (ResNeXt-50's first stage has 4 a group: a quarter of the
 *              lanes do work).
 *   pixel      (conv.c) a vector holds consecutive output pixels of one
 *              row; each tap loads them and multiplies by a broadcast
 *              weight, so no lane depends on the group's width.  The pixels
 *              of a vector are consecutive inputs at row stride 1 (one
 *              load) or every other input at stride 2 (two loads and a
 *              shuffle); it loads a weight per FMA, so it runs slower per
 *              lane than blocks: 63-65 % of the FMA peak at stride 1 against
 *              95 % for full blocks (AVX2), and at stride 2 1.09 times the
 *              speed of half-full blocks (groups of 8, AVX-512).
 *   depthwise  (kernels/dwconv.c) one input and one output channel per
 *              group (group = C = M) and constant weights: on NCHW16c values
 *              a vector holds 16 channels of one pixel and so does a tap's
 *              weight, every lane useful at any stride; on plain values the
 *              backend runs it as pixel vectors (a plain depthwise kernel
 *              measured no faster).  Always chosen: 1.4-6 times the speed
 *              of the best other form on MobileNetV2's depthwise convs.  A
 *              channel multiplier (M = k*C) is not taken: such convs follow
 *              the rules for groups of k outputs.
 *
 * The model for the others: the block form's useful fraction is EFF_BLOCK x
 * Mg / (16 x ceil(Mg / 16)); the pixel form's is EFF_PIXEL at row stride 1,
 * EFF_PIXEL_S2 at stride 2 (the blocks' predicted 0.475 for groups of 8
 * times the measured ratio); the conv gets "pixel" when that is larger.
 * With these numbers that is Mg <= 10 at stride 1 (ResNeXt's groups of 4
 * and 8, convs with very few outputs) and Mg <= 8 at stride 2 (ResNeXt-50's
 * strided conv of its second stage); groups of 16 or more stay blocks.
 * "Groups packed block-diagonally", another form one could build, does not
 * help this kernel: 16 lanes of k groups of 16/k channels need k times the
 * input channels per FMA, the same number of FMAs as k blocks of 16/k
 * useful lanes.  The backend falls back to the block form where it cannot
 * honour "pixel" (weights that are not constants, input channels split into
 * cache-sized chunks); the result is the same either way.
 *
 * Legal because the attribute only picks the loop order of the same sums:
 * every form adds the products of each output in the same order (bias,
 * channel, kernel row, kernel column, residual), so the result is
 * bit-identical.
 */
#include "passes.h"

#include <string.h>

/* Measured fractions of the FMA peak (docs/passes.md, bench/micro). */
#define EFF_BLOCK 0.95
#define EFF_PIXEL 0.65    /* stride 1 along the row */
#define EFF_PIXEL_S2 0.52 /* stride 2: two loads and a shuffle per input vector */
enum { BLOCK = 16 };

static bool
wants_pixel(const ir_op *op)
{
	const ir_value *w = op->operands[1], *y = op->results[0];
	int ns;
	const int64_t *st = ir_op_ints(op, "strides", &ns);
	int64_t group = ir_op_int(op, "group", 1);
	if (w->rank != 4 || y->rank != 4 || !st || ns != 2 || (st[1] != 1 && st[1] != 2) ||
	    group < 1 || y->dims[1] % group || !w->is_const)
		return false;
	int64_t mg = y->dims[1] / group;
	double block = EFF_BLOCK * (double)mg / (double)(BLOCK * ((mg + BLOCK - 1) / BLOCK));
	return (st[1] == 1 ? EFF_PIXEL : EFF_PIXEL_S2) > block;
}

/* One input and one output channel per group, constant weights, one result:
 * rk_dwconv2d (kernels/dwconv.c) applies.  A channel multiplier (M = k*C)
 * is left to the rules above: the depthwise kernel does not take it. */
static bool
is_depthwise(const ir_op *op)
{
	const ir_value *x = op->operands[0], *w = op->operands[1], *y = op->results[0];
	int64_t group = ir_op_int(op, "group", 1);
	return op->nresults == 1 && x->rank == 4 && w->rank == 4 && y->rank == 4 && w->is_const &&
	       group == x->dims[1] && y->dims[1] == group && w->dims[1] == 1;
}

int
pass_lower_grouped_conv(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	(void)e;
	for (ir_op *op = g->first; op; op = op->next) {
		if (op->kind != IR_OP_CONV || ir_op_string(op, "algo", NULL))
			continue;
		if (is_depthwise(op))
			ir_op_set_string(g, op, "algo", "depthwise");
		else if (wants_pixel(op))
			ir_op_set_string(g, op, "algo", "pixel");
	}
	return 0;
}
