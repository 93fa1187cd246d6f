/*
 * canonicalize.c - removes ops that do nothing at inference time and puts
 * the rest in the one form later passes match.
 *
 * identity(x) and dropout(x) (the frontend only imports Dropout's first
 * output, and inference-mode dropout is the identity) are replaced by x in
 * every use, graph outputs included.  Legal because both are exact copies.
 *
 * reshape(x) to x's own shape is x; reshape(reshape(x)) is one reshape of x.
 * Legal because a reshape only relabels a dense row-major buffer.
 *
 * reducemean over every spatial axis (axes 2..rank-1, as exporters write
 * the squeeze of squeeze-and-excitation) is globalavgpool, with the same
 * keepdims.  Both average the same elements in the same order.
 *
 * add(x, 0) and add(0, x), with a constant zero that broadcasts to x's shape
 * (ResNeSt's sum over the radix splits starts from 0), are x: x + 0 == x
 * for every float but -0, and -0 + 0 == +0 compares equal.
 *
 * avgpool with a 1x1 kernel, stride 1 and no padding (ResNeSt's avg_down
 * where the stride is 1) is x.  avgpool whose window is the whole unpadded
 * input is globalavgpool: the same elements, summed in the same order.
 *
 * pad(x) with zeros on H and W only, read by nothing but a conv or by an
 * avgpool with count_include_pad = 1 (or with no padding of its own) and
 * ceil_mode = 0, becomes padding of that op (ResNeSt pads before its
 * strided avgpool): a conv pads with zeros, and an avgpool counting its
 * padding averages the same zeros.
 *
 * globalavgpool(x) [N,C,1,1] followed by a reshape to [N,C] (a Flatten before
 * the classifier or an SE gate's Gemm) is globalavgpool {keepdims = 0}: the
 * two buffers hold the same N*C floats in the same order.  Only when the
 * pool's result has no other reader and is not a graph output.
 */
#include "passes.h"

#include <string.h>

static void
drop(ir_graph *g, ir_op *op, ir_value *by)
{
	ir_value_replace_uses(g, op->results[0], by);
	ir_op_remove(g, op);
}

/* reducemean over axes 2..rank-1 -> globalavgpool; true when rewritten */
static bool
mean_to_pool(ir_graph *g, ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	int n;
	const int64_t *axes = ir_op_ints(op, "axes", &n);
	if (x->dtype != IR_F32 || x->rank < 3 || !axes || n != x->rank - 2)
		return false;
	for (int i = 0; i < n; i++)
		if (axes[i] != i + 2)
			return false;
	int64_t keep = ir_op_int(op, "keepdims", 1);
	ir_op *p = ir_op_new(g, IR_OP_GLOBALAVGPOOL, &x, 1, 1);
	p->loc = op->loc;
	if (!keep) {
		if (x->rank != 4)
			return false; /* keepdims = 0 is defined for [N,C,H,W] only */
		ir_op_set_int(g, p, "keepdims", 0);
	}
	if (ir_op_infer(g, p, e) != 0)
		return false;
	ir_op_insert_before(g, p, op);
	drop(g, op, p->results[0]);
	return true;
}

/* Is v a constant whose every element is +0 or -0? */
static bool
all_zero(const ir_value *v)
{
	if (!v->is_const || !v->data || v->dtype != IR_F32)
		return false;
	const float *p = v->data;
	for (int64_t i = 0, n = ir_value_numel(v); i < n; i++)
		if (p[i] != 0.0f)
			return false;
	return true;
}

/* add(x, 0) -> x when x already has the result's type */
static bool
add_zero(ir_graph *g, ir_op *op)
{
	for (int i = 0; i < 2; i++) {
		ir_value *x = op->operands[i], *z = op->operands[1 - i];
		if (ir_value_same_type(x, op->results[0]) && all_zero(z) &&
		    !((x->is_input || x->is_const) && ir_is_output(g, op->results[0]))) {
			drop(g, op, x);
			return true;
		}
	}
	return false;
}

/* avgpool that is the identity or a global average */
static bool
simplify_avgpool(ir_graph *g, ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	int nk, ns, np;
	const int64_t *k = ir_op_ints(op, "kernel", &nk), *st = ir_op_ints(op, "strides", &ns);
	const int64_t *pads = ir_op_ints(op, "pads", &np);
	if (x->rank != 4 || x->dtype != IR_F32 || !k || nk != 2 || !st || ns != 2 || !pads || np != 4)
		return false;
	for (int i = 0; i < 4; i++)
		if (pads[i])
			return false;
	if (k[0] == 1 && k[1] == 1 && st[0] == 1 && st[1] == 1 && ir_value_same_type(x, y) &&
	    !(x->is_input && ir_is_output(g, y))) {
		drop(g, op, x);
		return true;
	}
	if (k[0] == x->dims[2] && k[1] == x->dims[3] && y->dims[2] == 1 && y->dims[3] == 1) {
		ir_op *p = ir_op_new(g, IR_OP_GLOBALAVGPOOL, &x, 1, 1);
		p->loc = op->loc;
		if (ir_op_infer(g, p, e) != 0)
			return false;
		ir_op_insert_before(g, p, op);
		drop(g, op, p->results[0]);
		return true;
	}
	return false;
}

/* pad(x) -> conv/avgpool(x) {pads += ...}; true when rewritten */
static bool
fold_pad(ir_graph *g, ir_op *pad, ir_err *e)
{
	ir_value *x = pad->operands[0], *y = pad->results[0];
	int n;
	const int64_t *pp = ir_op_ints(pad, "pads", &n);
	const char *mode = ir_op_string(pad, "mode", "constant");
	if (x->rank != 4 || x->dtype != IR_F32 || !pp || n != 8 || strcmp(mode, "constant") != 0 ||
	    ir_op_float(pad, "value", 1.0f) != 0.0f || y->nuses != 1 || ir_is_output(g, y) || !y->users[0])
		return false;
	for (int i = 0; i < 8; i++)
		if (pp[i] < 0 || ((i % 4) < 2 && pp[i] != 0))
			return false; /* N and C unpadded, nothing cropped */
	ir_op *u = y->users[0];
	if (u->operands[0] != y)
		return false;
	int nk;
	const int64_t *op_pads = ir_op_ints(u, "pads", &nk);
	if (!op_pads || nk != 4)
		return false;
	if (u->kind == IR_OP_AVGPOOL) {
		int nkk;
		const int64_t *k = ir_op_ints(u, "kernel", &nkk);
		bool own = op_pads[0] || op_pads[1] || op_pads[2] || op_pads[3];
		if (ir_op_int(u, "ceil_mode", 0) != 0 || !k || nkk != 2 ||
		    (own && ir_op_int(u, "count_include_pad", 0) == 0))
			return false;
	} else if (u->kind != IR_OP_CONV) {
		return false;
	}
	/* pads [top, left, bottom, right] += pad's [H begin, W begin, H end, W end] */
	int64_t np[4] = {op_pads[0] + pp[2], op_pads[1] + pp[3], op_pads[2] + pp[6], op_pads[3] + pp[7]};
	int64_t old[4] = {op_pads[0], op_pads[1], op_pads[2], op_pads[3]};
	int64_t oldc = ir_op_int(u, "count_include_pad", 0);
	ir_op_set_ints(g, u, "pads", np, 4);
	if (u->kind == IR_OP_AVGPOOL)
		ir_op_set_int(g, u, "count_include_pad", 1);
	u->operands[0] = x;
	ir_value before = *u->results[0];
	ir_err tmp;
	if (ir_op_infer(g, u, &tmp) != 0 || !ir_value_same_type(u->results[0], &before)) {
		/* e.g. pads no longer smaller than the kernel: undo */
		ir_op_set_ints(g, u, "pads", old, 4);
		if (u->kind == IR_OP_AVGPOOL)
			ir_op_set_int(g, u, "count_include_pad", oldc);
		u->operands[0] = y;
		if (ir_op_infer(g, u, e) != 0)
			return false;
		return false;
	}
	ir_op_remove(g, pad);
	return true;
}

int
pass_canonicalize(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	ir_err tmp = {{0}};
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		switch (op->kind) {
		case IR_OP_IDENTITY:
		case IR_OP_DROPOUT:
			drop(g, op, op->operands[0]);
			break;
		case IR_OP_REDUCEMEAN:
			mean_to_pool(g, op, &tmp);
			break;
		case IR_OP_ADD:
			add_zero(g, op);
			break;
		case IR_OP_AVGPOOL:
			simplify_avgpool(g, op, &tmp);
			break;
		default:
			break;
		}
	}

	ir_graph_compute_uses(g);
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind == IR_OP_PAD && fold_pad(g, op, e))
			continue;
		if (op->kind != IR_OP_RESHAPE)
			continue;
		ir_value *x = op->operands[0], *y = op->results[0];
		if (ir_value_same_type(x, y) && !((x->is_input || x->is_const) && ir_is_output(g, y))) {
			drop(g, op, x); /* a graph output must stay a computed value */
			continue;
		}
		ir_op *p = x->def;
		if (p && p->kind == IR_OP_RESHAPE) {
			op->operands[0] = p->operands[0];
			if (--x->nuses == 0 && !ir_is_output(g, x))
				ir_op_remove(g, p);
			continue;
		}
		if (p && p->kind == IR_OP_GLOBALAVGPOOL && x->nuses == 1 && !ir_is_output(g, x) &&
		    x->rank == 4 && y->rank == 2 && y->dims[0] == x->dims[0] && y->dims[1] == x->dims[1] &&
		    !ir_op_attr(p, "keepdims")) {
			ir_op_set_int(g, p, "keepdims", 0);
			if (ir_op_infer(g, p, e) != 0)
				return -1;
			drop(g, op, x);
		}
	}
	return 0;
}
