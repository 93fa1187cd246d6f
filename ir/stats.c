/*
 * stats.c - counts that `resc inspect` reports: MACs, parameters, bytes of
 * weights, the op histogram.  The compiler's own decisions use the same
 * functions, so the report cannot disagree with what is compiled.
 */
#include "ir.h"

#include <string.h>

int64_t
ir_op_macs(const ir_op *op)
{
	const ir_value *y = op->nresults ? op->results[0] : NULL;
	if (!y)
		return 0;
	switch (op->kind) {
	case IR_OP_CONV: {
		/* every output element: C/group * KH * KW multiply-adds */
		const ir_value *w = op->operands[1];
		int64_t per = 1;
		for (int i = 1; i < w->rank; i++)
			per *= w->dims[i];
		return ir_value_numel(y) * per;
	}
	case IR_OP_GEMM: {
		const ir_value *a = op->operands[0];
		int64_t k = ir_op_int(op, "transA", 0) ? a->dims[0] : a->dims[1];
		return ir_value_numel(y) * k;
	}
	case IR_OP_MATMUL: {
		const ir_value *a = op->operands[0];
		int64_t k = a->rank ? a->dims[a->rank - 1] : 1;
		return ir_value_numel(y) * k;
	}
	case IR_OP_FC:          /* y [N,M], one dot product of length C each */
		return ir_value_numel(y) * op->operands[1]->dims[1];
	case IR_OP_SE_GATE:     /* per image: R*C, then C*R */
		return op->operands[0]->dims[0] * 2 * ir_value_numel(op->operands[1]);
	default:
		return 0;
	}
}

void
ir_graph_stats(const ir_graph *g, ir_stats *s)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < g->nconsts; i++) {
		const ir_value *c = g->consts[i];
		if (c->dtype == IR_F32 || c->dtype == IR_F64)
			s->params += ir_value_numel(c);
		s->weights_bytes += (int64_t)ir_value_nbytes(c);
	}
	for (const ir_op *op = g->first; op; op = op->next) {
		s->macs += ir_op_macs(op);
		s->op_counts[op->kind]++;
		s->nops++;
	}
}
