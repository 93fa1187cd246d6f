/*
 * const_fold.c - evaluates every op whose operands are all constants with
 * the reference interpreter and replaces its results by constants.
 *
 * The frontend already folds while importing; this pass catches what other
 * passes expose (e.g. weight reshapes and transposes after a rewrite).
 * Legal because the interpreter defines the semantics.  Constants whose data
 * is not available (elided in textual IR without a store) are left alone.
 */
#include "passes.h"

#include <stdlib.h>

int
pass_const_fold(ir_graph *g, const pass_options *o, ir_err *e)
{
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		bool all = true;
		for (int i = 0; i < op->noperands && all; i++) {
			ir_value *v = op->operands[i];
			all = !v || (v->is_const && v->data);
		}
		if (!all)
			continue;
		const void *in[64];
		void *out[64];
		if (op->noperands > 64 || op->nresults > 64)
			continue;
		for (int i = 0; i < op->noperands; i++)
			in[i] = op->operands[i] ? op->operands[i]->data : NULL;
		for (int i = 0; i < op->nresults; i++)
			out[i] = ir_alloc(g, ir_value_nbytes(op->results[i]) + 1);
		if (ir_interp_op(op, in, out, e) != 0)
			return -1;
		for (int i = 0; i < op->nresults; i++) {
			ir_value *r = op->results[i];
			ir_value *c = ir_graph_add_const(g, NULL, r->dtype, r->rank, r->dims, out[i], false, 0);
			ir_value_replace_uses(g, r, c);
		}
		ir_op_remove(g, op);
	}
	return 0;
}
