/*
 * fuse_se_mean.c - an SE gate's squeeze is summed in the producing conv's
 * epilogue instead of a separate global average pool.
 *
 *   %x = conv(%a, %w, %b) {…}                  %x, %s = conv(%a, %w, %b) {…, row_sums = 1}
 *   %p = globalavgpool(%x) : f32[N,C,1,1]   =>   : f32[N,C,H,W], f32[N,C,H]
 *   %g = se_gate(%p, …)                         %g = se_gate(%s, …) {pixels = H*W}
 *
 * The pool is a pass over the whole conv result (the largest tensor of an
 * SE block) right after the conv wrote it.  A conv with row_sums = 1 also
 * writes, per output channel, the sum of each output row (after bias,
 * residual and activation), each kernel task over the rows it has just
 * written, still in its cache; se_gate adds a channel's H row sums (in
 * double) and divides by the pixels.  Row sums rather than one sum per
 * channel because the conv's tasks split the plane: every row is one
 * task's, so no two tasks add into one element, and the order of the
 * additions does not depend on how the tasks are spread over threads
 * (backend/kernels/conv.c, conv_rows).
 *
 * Legal because the mean is the same function of the conv's result
 * (summed in another order: the values differ in the last bits, as any
 * reassociation does; check-numerics compares), and only when every reader
 * of the pool is an se_gate reading it as its input, the pool's result is
 * not a graph output (nothing else sees the means, [N,C,1,1] or [N,C]), and the
 * conv has no second result yet (a pre-activation conv's).  ResNeSt's
 * split attention pools the radix conv's result the same way (its
 * se_gate adds up the radix groups of the means).  Runs after
 * fuse-epilogue: a conv with two results takes no further fusion, and the
 * sums must be of the conv's final result.
 */
#include "passes.h"

static bool
fuse_one(ir_graph *g, ir_op *pool)
{
	ir_value *x = pool->operands[0], *p = pool->results[0];
	ir_op *conv = x->def;
	if (!conv || conv->kind != IR_OP_CONV || conv->nresults != 1 || x->dtype != IR_F32 ||
	    x->rank != 4 || x->dims[2] < 1 || x->dims[3] < 1 || x->dims[1] > IR_SE_MAX_CHANNELS ||
	    (p->rank != 4 && p->rank != 2) || ir_is_output(g, p) || !p->users || !p->users[0])
		return false;
	for (ir_op *const *u = p->users; *u; u++) {
		const ir_op *gate = *u;
		if (gate->kind != IR_OP_SE_GATE || ir_op_attr(gate, "pixels"))
			return false;
		for (int i = 1; i < gate->noperands; i++)
			if (gate->operands[i] == p)
				return false;
	}
	const int64_t dims[3] = {x->dims[0], x->dims[1], x->dims[2]};
	ir_value *s = ir_value_new(g, IR_F32, 3, dims);
	s->def = conv;
	s->def_index = 1;
	ir_value **res = ir_alloc(g, 2 * sizeof *res);
	res[0] = x;
	res[1] = s;
	conv->results = res;
	conv->nresults = 2;
	ir_op_set_int(g, conv, "row_sums", 1);
	for (ir_op *const *u = p->users; *u; u++) {
		(*u)->operands[0] = s;
		ir_op_set_int(g, *u, "pixels", x->dims[2] * x->dims[3]);
	}
	ir_op_remove(g, pool);
	return true;
}

int
pass_fuse_se_mean(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	(void)e;
	ir_graph_compute_uses(g);
	bool changed = false;
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind == IR_OP_GLOBALAVGPOOL)
			changed |= fuse_one(g, op);
	}
	if (changed)
		ir_graph_compute_uses(g);
	return 0;
}
