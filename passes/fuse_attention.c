/*
 * fuse_attention.c - the Residual Attention combine becomes one op.
 *
 *   %s = sigmoid(%m)
 *   %a = add(%s, c)         =>     %y = sigmoid_mul(%m, %t) {offset = c}
 *   %y = mul(%a, %t)
 *
 * Residual Attention Networks gate each stage's trunk T with the soft mask
 * M as (1 + sigmoid(M)) * T; unfused that is three passes over the tensor
 * (and two intermediates), fused one.  The add's other operand must be a
 * constant scalar (any value c: the op keeps it as offset), add and mul in
 * either operand order, all three with the same shape (no broadcasting).
 *
 * Legal because sigmoid's and add's results have exactly one reader each
 * and are not graph outputs, and sigmoid_mul computes the same expression
 * in the same order.
 */
#include "passes.h"

static bool
private(const ir_graph *g, const ir_value *v)
{
	if (v->nuses != 1)
		return false;
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == v)
			return false;
	return true;
}

static bool
scalar_const(const ir_value *v, float *c)
{
	if (!v->is_const || !v->data || v->dtype != IR_F32 || ir_value_numel(v) != 1)
		return false;
	*c = *(const float *)v->data;
	return true;
}

static bool
fuse_one(ir_graph *g, ir_op *mul, ir_err *e)
{
	ir_value *y = mul->results[0];
	for (int i = 0; i < 2; i++) {
		ir_value *a = mul->operands[i], *t = mul->operands[1 - i];
		if (!ir_value_same_type(a, y) || !ir_value_same_type(t, y) || y->dtype != IR_F32)
			continue;
		ir_op *add = a->def;
		if (!add || add->kind != IR_OP_ADD || !private(g, a))
			continue;
		for (int j = 0; j < 2; j++) {
			ir_value *s = add->operands[j];
			float c;
			if (!scalar_const(add->operands[1 - j], &c) || !s->def ||
			    s->def->kind != IR_OP_SIGMOID || !private(g, s) || !ir_value_same_type(s, y))
				continue;
			ir_value *ops[2] = {s->def->operands[0], t};
			ir_op *f = ir_op_new(g, IR_OP_SIGMOID_MUL, ops, 2, 1);
			f->loc = mul->loc;
			ir_op_set_float(g, f, "offset", c);
			if (ir_op_infer(g, f, e) != 0)
				return false;
			ir_op_insert_before(g, f, mul);
			ir_value_replace_uses(g, y, f->results[0]);
			ir_op_remove(g, mul);
			return true;
		}
	}
	return false;
}

int
pass_fuse_attention(ir_graph *g, const pass_options *o, ir_err *e)
{
	ir_graph_compute_uses(g);
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind != IR_OP_MUL)
			continue;
		e->msg[0] = 0;
		if (fuse_one(g, op, e))
			ir_graph_compute_uses(g);
		else if (e->msg[0])
			return -1;
	}
	/* the sigmoid and add are dead now */
	return pass_dce(g, o, e);
}
