/*
 * dce.c - dead code elimination: removes ops none of whose results is used
 * (by another op or as a graph output), then constants nothing reads.
 *
 * One backward sweep suffices: walking from the last op to the first, an
 * op's users have all been visited (and removed if dead) before the op
 * itself, so use counts are final when it is looked at.
 */
#include "passes.h"

int
pass_dce(ir_graph *g, const pass_options *o, ir_err *e)
{
	ir_graph_compute_uses(g);
	for (ir_op *op = g->last, *prev; op; op = prev) {
		prev = op->prev;
		bool used = false;
		for (int i = 0; i < op->nresults; i++)
			used |= op->results[i]->nuses > 0;
		if (used)
			continue;
		for (int i = 0; i < op->noperands; i++)
			if (op->operands[i])
				op->operands[i]->nuses--;
		ir_op_remove(g, op);
	}
	ir_graph_drop_unused_consts(g);
	return 0;
}
