/*
 * fuse_epilogue.c - folds what follows a conv or gemm into its epilogue.
 *
 *   %1 = conv(%x, %w, %b)            %3 = conv(%x, %w, %b, %r) {act = "relu"}
 *   %2 = add(%1, %r)          =>
 *   %3 = relu(%2)
 *
 * and likewise conv -> relu, conv -> clip, gemm -> relu, gemm -> clip.  The
 * kernels apply y = act(conv + bias + residual) while the accumulators are
 * still in registers (backend/kernels/rk.h), so each fusion removes a whole
 * pass over the tensor.  scale_shift (an unfolded batchnorm, an SE gate's
 * scaling) takes a residual and an activation the same way.
 *
 * Legal because:
 *   - the conv's (gemm's) result has exactly one reader, the add or the
 *     activation, and is not a graph output: nobody sees the value before
 *     the epilogue;
 *   - the add has no broadcasting (both operands have the result's type), so
 *     it is an elementwise add of a tensor shaped like the conv's result;
 *   - the residual is defined before the conv in program order (an input, a
 *     constant, or an earlier op), so the fused conv can read it where the
 *     conv stands; when both of an add's operands are convs (a downsampling
 *     block) the later one absorbs the add;
 *   - the residual is not a graph output: the memory planner may then run
 *     the fused conv in place over the residual's buffer;
 *   - an activation is fused only into an op that has none yet, and an add
 *     only into a conv without an activation (act(a) + r is not act(a + r)).
 * Floating-point results match the unfused graph up to the order of one
 * addition (bias, then residual), as the interpreter computes it too.
 */
#include "passes.h"

#include <math.h>
#include <string.h>

/*
 * The op defining v when its epilogue is still free: conv and scale_shift
 * take a residual (operand 3) and an activation, gemm and fc an activation.
 */
static ir_op *
open_producer(const ir_graph *g, const ir_value *v, bool want_residual)
{
	ir_op *p = v->def;
	if (!p || v->nuses != 1 || ir_is_output(g, v) || ir_op_attr(p, "act") || p->nresults != 1)
		return NULL;
	if (p->kind == IR_OP_CONV || p->kind == IR_OP_SCALE_SHIFT)
		return p;
	if ((p->kind == IR_OP_GEMM || p->kind == IR_OP_FC) && !want_residual)
		return p;
	return NULL;
}

/* add(conv, r) -> conv(..., r) */
static bool
fuse_add(ir_graph *g, ir_op *add)
{
	ir_value *y = add->results[0];
	if (y->dtype != IR_F32)
		return false;
	for (int i = 0; i < 2; i++)
		if (!ir_value_same_type(add->operands[i], y))
			return false; /* broadcasting */
	/* prefer the conv that comes later: the other operand is then ready */
	ir_op *best = NULL;
	ir_value *res = NULL;
	for (int i = 0; i < 2; i++) {
		ir_value *c = add->operands[i], *r = add->operands[1 - i];
		ir_op *conv = open_producer(g, c, true);
		if (!conv || c == r || (conv->noperands > 3 && conv->operands[3]))
			continue;
		if (ir_is_output(g, r) || pass_pos(r) >= pass_pos(c))
			continue;
		if (!best || pass_pos(c) > pass_pos(best->results[0])) {
			best = conv;
			res = r;
		}
	}
	if (!best)
		return false;
	if (best->noperands < 4) {
		ir_value **ops = ir_alloc(g, 4 * sizeof *ops);
		for (int i = 0; i < 4; i++)
			ops[i] = i < best->noperands ? best->operands[i] : NULL;
		best->operands = ops;
		best->noperands = 4;
	}
	best->operands[3] = res;
	ir_value *c = best->results[0];
	ir_value_replace_uses(g, y, c);
	ir_op_remove(g, add);
	return true;
}

/* conv/gemm -> relu/clip */
static bool
fuse_act(ir_graph *g, ir_op *act)
{
	ir_value *x = act->operands[0];
	ir_op *p = open_producer(g, x, false);
	if (!p || x->dtype != IR_F32)
		return false;
	if (act->kind == IR_OP_RELU) {
		ir_op_set_string(g, p, "act", "relu");
	} else {
		float lo = ir_op_float(act, "min", -INFINITY), hi = ir_op_float(act, "max", INFINITY);
		if (isnan(lo) || isnan(hi))
			return false;
		ir_op_set_string(g, p, "act", "clip");
		ir_op_set_float(g, p, "act_min", lo);
		ir_op_set_float(g, p, "act_max", hi);
	}
	ir_value_replace_uses(g, act->results[0], x);
	ir_op_remove(g, act);
	return true;
}

int
pass_fuse_epilogue(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	(void)e;
	/* residual adds first: an activation must come after the add */
	ir_graph_compute_uses(g);
	pass_number_ops(g);
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind == IR_OP_ADD)
			fuse_add(g, op);
	}
	/* uses changed only by moving an add's readers to its conv, and the conv
	 * results had one use each: recount once */
	ir_graph_compute_uses(g);
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind == IR_OP_RELU || op->kind == IR_OP_CLIP)
			fuse_act(g, op);
	}
	return 0;
}
