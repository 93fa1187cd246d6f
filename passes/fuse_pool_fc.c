/*
 * fuse_pool_fc.c - the global average pool and the classifier become one
 * fully connected layer over the spatial mean.
 *
 *   %p = globalavgpool(%x) {keepdims = 0}       %y = fc(%x, W, b)
 *   %y = gemm(%p, %B, %C) {transB = 1}    =>
 *
 * The classifier of every family member (after canonicalize has folded the
 * Flatten into the pool) is a Gemm with alpha = beta = 1 and transA = 0, or
 * a MatMul, by constant weights; W is normalised to [M,C] (transposed when
 * B is stored [C,M]) and the bias C must be one value per output ([M] or
 * [1,M]).  The pool's result must have no other reader and not be a graph
 * output.  Legal because fc computes b + W mean(x) over the same means the
 * pool computes (in double) with the dot products in double, at least as
 * accurate as the unfused pair; it saves the pool's pass and a buffer.
 */
#include "passes.h"

static bool
f32_data(const ir_value *v)
{
	return v && v->is_const && v->data && v->dtype == IR_F32;
}

static bool
fuse_one(ir_graph *g, ir_op *op, ir_err *e)
{
	ir_value *p = op->operands[0];
	ir_op *pool = p->def;
	if (!pool || pool->kind != IR_OP_GLOBALAVGPOOL || ir_op_int(pool, "keepdims", 1) != 0 ||
	    p->nuses != 1 || p->rank != 2)
		return false;
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == p)
			return false;
	ir_value *bm = op->operands[1], *c = NULL;
	bool wt; /* B stored [C,M] */
	if (op->kind == IR_OP_GEMM) {
		c = op->noperands > 2 ? op->operands[2] : NULL;
		if (ir_op_int(op, "transA", 0) || ir_op_float(op, "alpha", 1) != 1.0f ||
		    (c && ir_op_float(op, "beta", 1) != 1.0f) || ir_op_attr(op, "act"))
			return false;
		wt = ir_op_int(op, "transB", 0) == 0;
	} else {
		wt = true;
	}
	if (!f32_data(bm) || bm->rank != 2 || (c && !f32_data(c)))
		return false;
	int64_t C = p->dims[1], M = wt ? bm->dims[1] : bm->dims[0];
	if ((wt ? bm->dims[0] : bm->dims[1]) != C || C > IR_FC_MAX_CHANNELS)
		return false;
	if (c && !(c->rank == 1 && c->dims[0] == M) && !(c->rank == 2 && c->dims[0] == 1 && c->dims[1] == M))
		return false;

	ir_value *w = bm;
	if (wt) {
		float *d = ir_alloc(g, (size_t)(M * C) * sizeof *d);
		const float *s = bm->data;
		for (int64_t m = 0; m < M; m++)
			for (int64_t k = 0; k < C; k++)
				d[m * C + k] = s[k * M + m];
		int64_t dims[2] = {M, C};
		w = ir_graph_add_const(g, bm->name, IR_F32, 2, dims, d, false, 0);
	}
	ir_value *b = c;
	if (c && c->rank == 2) {
		int64_t dims[1] = {M};
		b = ir_graph_add_const(g, c->name, IR_F32, 1, dims, c->data, true, 0);
	}
	ir_value *ops[3] = {pool->operands[0], w, b};
	ir_op *fc = ir_op_new(g, IR_OP_FC, ops, b ? 3 : 2, 1);
	fc->loc = op->loc;
	if (ir_op_infer(g, fc, e) != 0)
		return false;
	if (!ir_value_same_type(fc->results[0], op->results[0]))
		return false; /* unreachable: the shapes were checked */
	ir_op_insert_before(g, fc, op);
	ir_value_replace_uses(g, op->results[0], fc->results[0]);
	ir_op_remove(g, op);
	ir_op_remove(g, pool);
	return true;
}

int
pass_fuse_pool_fc(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	ir_graph_compute_uses(g);
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind != IR_OP_GEMM && op->kind != IR_OP_MATMUL)
			continue;
		e->msg[0] = 0;
		if (fuse_one(g, op, e))
			ir_graph_compute_uses(g);
		else if (e->msg[0])
			return -1;
	}
	return 0;
}
