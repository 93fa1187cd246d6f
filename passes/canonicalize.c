/*
 * canonicalize.c - removes ops that do nothing at inference time.
 *
 * identity(x) and dropout(x) (the frontend only imports Dropout's first
 * output, and inference-mode dropout is the identity) are replaced by x in
 * every use, graph outputs included.  Legal because both are exact copies.
 */
#include "passes.h"

int
pass_canonicalize(ir_graph *g, const pass_options *o, ir_err *e)
{
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind != IR_OP_IDENTITY && op->kind != IR_OP_DROPOUT)
			continue;
		ir_value_replace_uses(g, op->results[0], op->operands[0]);
		ir_op_remove(g, op);
	}
	return 0;
}
