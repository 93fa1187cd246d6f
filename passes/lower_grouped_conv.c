/*
 * lower_grouped_conv.c - chooses how each convolution maps onto the
 * vector lanes, by a small cost model, and records the choice in the IR.
 *
 *   %y = conv(%x, %w, %b) {group = 32, ...}      (4 output channels a group)
 *     =>
 *   %y = conv(%x, %w, %b) {algo = "pixel", group = 32, ...}
 *
 * The conv kernel has two forms (backend/kernels/conv.c):
 *
 *   block  (the default, no attribute): a vector holds 16 output channels
 *          of one group; each tap broadcasts an input pixel and does one FMA
 *          per 16 weights.  A group with Mg < 16 output channels leaves
 *          16 - Mg lanes of every FMA idle (ResNeXt-50's first stage has 4
 *          a group: a quarter of the lanes do work).
 *   pixel  a vector holds consecutive output pixels of one row; each tap
 *          loads them and multiplies by a broadcast weight, so no lane
 *          depends on the group's width.  It needs unit stride along the
 *          row (the pixels of a vector are consecutive inputs), and it
 *          loads a weight per FMA, so it runs slower per lane: 63-65 % of
 *          the FMA peak against 95 % for the block form (docs/bench.md,
 *          bench/micro).
 *
 * The model: the block form's useful fraction is EFF_BLOCK x Mg / (16 x
 * ceil(Mg / 16)); the pixel form's is EFF_PIXEL; the conv gets "pixel"
 * when that is larger and the stride along the row is 1.  With the
 * measured efficiencies that is Mg <= 10 (ResNeXt's groups of 4 and 8,
 * depthwise convs, convs with very few outputs); groups of 16 or more
 * stay blocks.  "Groups packed block-diagonally", the third form one could
 * build, does not help this kernel: 16 lanes of k groups of 16/k channels
 * need k times the input channels per FMA, the same number of FMAs as k
 * blocks of 16/k useful lanes.  The backend falls back to the block form
 * where it cannot honour "pixel" (weights that are not constants, input
 * channels split into cache-sized chunks); the result is the same either
 * way.
 *
 * Legal because the attribute only picks the loop order of the same sums:
 * both forms add the products of each output in the same order (channel,
 * kernel row, kernel column), so the result is bit-identical.
 */
#include "passes.h"

#include <string.h>

/* Measured fractions of the FMA peak (docs/bench.md, 2026-11-29). */
#define EFF_BLOCK 0.95
#define EFF_PIXEL 0.65
enum { BLOCK = 16 };

static bool
wants_pixel(const ir_op *op)
{
	const ir_value *w = op->operands[1], *y = op->results[0];
	int ns;
	const int64_t *st = ir_op_ints(op, "strides", &ns);
	int64_t group = ir_op_int(op, "group", 1);
	if (w->rank != 4 || y->rank != 4 || !st || ns != 2 || st[1] != 1 || group < 1 ||
	    y->dims[1] % group || !w->is_const)
		return false;
	int64_t mg = y->dims[1] / group;
	double block = EFF_BLOCK * (double)mg / (double)(BLOCK * ((mg + BLOCK - 1) / BLOCK));
	return EFF_PIXEL > block;
}

int
pass_lower_grouped_conv(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	(void)e;
	for (ir_op *op = g->first; op; op = op->next)
		if (op->kind == IR_OP_CONV && !ir_op_string(op, "algo", NULL) && wants_pixel(op))
			ir_op_set_string(g, op, "algo", "pixel");
	return 0;
}
