/*
 * fuse_preact.c - a per-channel scale_shift of a conv's result becomes the
 * conv's second result (the pre-activation pattern of ResNetV2).
 *
 *   %6 = conv(%5, %w, _, %3)                 %6, %7 = conv(%5, %w, _, %3, %s, %t)
 *   %7 = scale_shift(%6, %s, %t) {act}  =>        {post_act = "relu"}
 *
 * In ResNetV2 every residual sum feeds the next block's shortcut (the sum)
 * and, through BatchNorm + ReLU, its first conv; this makes the conv that
 * computes the sum also write post_act(sum*s + t), each kernel task from
 * the part of the sum it has just written, instead of a separate pass.
 *
 * Legal because result 1 is computed from result 0 exactly as the
 * scale_shift computed it from its operand, and the conv's other readers
 * still see result 0.  Only a scale_shift without a residual, with s and t
 * per channel ([C], not an SE gate's [N,C]) and defined before the conv,
 * and only into a conv that has no second result yet (the conv's
 * activation, if any, stays on result 0, which the scale_shift read).
 * Run it after fuse-epilogue: once a conv has two results its epilogue
 * takes no further fusion.
 *
 * Not in the -O pipelines: on this project's machine (Zen 5, AVX-512) the
 * fused form measured slower at one thread (resnetv2_50 51.5-53.5 ms
 * against 50.0-51.7 ms, interleaved) and the same at two, and its workspace
 * is 11 % larger (both results live at once).  The separate scale_shift
 * reads a sum that is still in L2/L3 (0.02-0.12 ms each, 1.1 ms for all
 * 17); inside the conv the extra output stream of each task cost more
 * (docs/passes.md).  It is here for targets where memory bandwidth is the
 * limit: `--passes` with it added.
 */
#include "passes.h"

#include <math.h>
#include <string.h>

static bool
fuse_post(ir_graph *g, ir_op *ss)
{
	ir_value *x = ss->operands[0], *s = ss->operands[1];
	ir_value *t = ss->noperands > 2 ? ss->operands[2] : NULL;
	ir_op *conv = x->def;
	if (!conv || conv->kind != IR_OP_CONV || conv->nresults != 1 || x->dtype != IR_F32)
		return false;
	if (ss->noperands > 3 && ss->operands[3])
		return false; /* a residual: the scale_shift is its own epilogue */
	if (s->rank != 1 || (t && t->rank != 1))
		return false; /* per image and channel (an SE gate) */
	if (pass_pos(s) >= pass_pos(x) || (t && pass_pos(t) >= pass_pos(x)))
		return false;
	ir_value **ops = ir_alloc(g, 6 * sizeof *ops);
	for (int i = 0; i < 4; i++)
		ops[i] = i < conv->noperands ? conv->operands[i] : NULL;
	ops[4] = s;
	ops[5] = t;
	conv->operands = ops;
	conv->noperands = t ? 6 : 5;
	ir_value **res = ir_alloc(g, 2 * sizeof *res);
	ir_value *z = ir_value_new(g, IR_F32, x->rank, x->dims);
	z->name = ss->results[0]->name;
	z->def = conv;
	z->def_index = 1;
	res[0] = x;
	res[1] = z;
	conv->results = res;
	conv->nresults = 2;
	const char *act = ir_op_string(ss, "act", NULL);
	if (act) {
		ir_op_set_string(g, conv, "post_act", act);
		if (strcmp(act, "clip") == 0) {
			ir_op_set_float(g, conv, "post_act_min", ir_op_float(ss, "act_min", -INFINITY));
			ir_op_set_float(g, conv, "post_act_max", ir_op_float(ss, "act_max", INFINITY));
		}
	}
	ir_value_replace_uses(g, ss->results[0], z);
	ir_op_remove(g, ss);
	return true;
}

int
pass_fuse_preact(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	(void)e;
	pass_number_ops(g);
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind == IR_OP_SCALE_SHIFT)
			fuse_post(g, op);
	}
	ir_graph_compute_uses(g);
	return 0;
}
