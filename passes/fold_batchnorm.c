/*
 * fold_batchnorm.c - folds inference-mode batchnorm into a neighbouring conv.
 *
 * batchnorm(x) = x * s + t per channel, with s = scale / sqrt(var + eps)
 * and t = bias - mean * s.
 *
 * conv -> batchnorm: when the conv's result has no other use (and is not a
 * graph output), scale each output channel's filter by s[m] and set the
 * bias to b[m] * s[m] + t[m].  Exact up to rounding.
 *
 * batchnorm -> conv: when the batchnorm's result feeds only the conv's
 * input and the conv has no padding, scale each input channel's taps by
 * s[c] and add sum over (c, kh, kw) of w[m,c,kh,kw] * t[c] to the bias.
 * With padding this would be wrong at the borders (the conv pads with zeros
 * *after* the shift), so padded convs are left alone.
 *
 * Every weight, bias and statistic must be a constant with data.  A
 * batchnorm that fits neither pattern (pre-activation networks and the
 * Residual Attention trunk have them) becomes scale_shift(x, s, t), the
 * same per-channel map, which fuse-epilogue can then extend with the
 * residual add and activation around it.
 */
#include "passes.h"

#include <math.h>
#include <string.h>

static bool
has_data(const ir_value *v)
{
	return v && v->is_const && v->data && v->dtype == IR_F32;
}

/* s and t of a batchnorm op, into arena arrays; false when not foldable. */
static bool
bn_affine(ir_graph *g, const ir_op *bn, float **s, float **t, int64_t *C)
{
	for (int i = 1; i < 5; i++)
		if (!has_data(bn->operands[i]))
			return false;
	*C = ir_value_numel(bn->operands[1]);
	const float *scale = bn->operands[1]->data, *bias = bn->operands[2]->data;
	const float *mean = bn->operands[3]->data, *var = bn->operands[4]->data;
	float eps = ir_op_float(bn, "epsilon", 1e-5f);
	*s = ir_alloc(g, (size_t)*C * sizeof(float));
	*t = ir_alloc(g, (size_t)*C * sizeof(float));
	for (int64_t c = 0; c < *C; c++) {
		double sc = (double)scale[c] / sqrt((double)var[c] + eps);
		(*s)[c] = (float)sc;
		(*t)[c] = (float)((double)bias[c] - (double)mean[c] * sc);
	}
	return true;
}

/* conv -> batchnorm */
static bool
fold_into_producer(ir_graph *g, ir_op *bn)
{
	ir_value *x = bn->operands[0];
	ir_op *conv = x->def;
	if (!conv || conv->kind != IR_OP_CONV || x->nuses != 1 || ir_is_output(g, x))
		return false;
	if (conv->nresults != 1)
		return false; /* a second result is computed from this one: it would change too */
	if (conv->noperands > 3 && conv->operands[3])
		return false; /* already has a fused residual: BN after the add is not per-conv */
	ir_value *w = conv->operands[1], *b = conv->noperands > 2 ? conv->operands[2] : NULL;
	if (!has_data(w) || (b && !has_data(b)))
		return false;
	float *s, *t;
	int64_t C;
	if (!bn_affine(g, bn, &s, &t, &C) || C != w->dims[0])
		return false;
	int64_t per = ir_value_numel(w) / C;
	float *nw = ir_alloc(g, ir_value_nbytes(w));
	float *nb = ir_alloc(g, (size_t)C * sizeof(float));
	const float *ow = w->data, *ob = b ? b->data : NULL;
	for (int64_t m = 0; m < C; m++) {
		for (int64_t k = 0; k < per; k++)
			nw[m * per + k] = ow[m * per + k] * s[m];
		nb[m] = (ob ? ob[m] : 0.0f) * s[m] + t[m];
	}
	int64_t bd[1] = {C};
	ir_value *nwv = ir_graph_add_const(g, w->name, IR_F32, w->rank, w->dims, nw, false, 0);
	ir_value *nbv = ir_graph_add_const(g, b ? b->name : NULL, IR_F32, 1, bd, nb, false, 0);
	if (conv->noperands < 3) {
		ir_value **ops = ir_alloc(g, 3 * sizeof *ops);
		ops[0] = conv->operands[0];
		conv->operands = ops;
		conv->noperands = 3;
	}
	conv->operands[1] = nwv;
	conv->operands[2] = nbv;
	ir_value_replace_uses(g, bn->results[0], x);
	ir_op_remove(g, bn);
	return true;
}

/* batchnorm -> conv (unpadded) */
static bool
fold_into_consumer(ir_graph *g, ir_op *bn)
{
	ir_value *y = bn->results[0];
	if (y->nuses != 1 || ir_is_output(g, y) || !y->users[0])
		return false;
	ir_op *conv = y->users[0];
	if (conv->kind != IR_OP_CONV || conv->operands[0] != y)
		return false;
	int np;
	const int64_t *pads = ir_op_ints(conv, "pads", &np);
	for (int i = 0; i < np; i++)
		if (pads[i] != 0)
			return false;
	ir_value *w = conv->operands[1], *b = conv->noperands > 2 ? conv->operands[2] : NULL;
	if (!has_data(w) || (b && !has_data(b)) || (conv->noperands > 3 && conv->operands[3]))
		return false;
	float *s, *t;
	int64_t C;
	if (!bn_affine(g, bn, &s, &t, &C))
		return false;
	int64_t M = w->dims[0], Cg = w->dims[1], K = w->dims[2] * w->dims[3];
	int64_t G = ir_op_int(conv, "group", 1), Mg = M / G;
	if (Cg * G != C)
		return false;
	float *nw = ir_alloc(g, ir_value_nbytes(w));
	float *nb = ir_alloc(g, (size_t)M * sizeof(float));
	const float *ow = w->data, *ob = b ? b->data : NULL;
	for (int64_t m = 0; m < M; m++) {
		int64_t grp = m / Mg;
		double acc = ob ? ob[m] : 0.0;
		for (int64_t c = 0; c < Cg; c++) {
			int64_t cc = grp * Cg + c;
			for (int64_t k = 0; k < K; k++) {
				int64_t i = (m * Cg + c) * K + k;
				nw[i] = ow[i] * s[cc];
				acc += (double)ow[i] * t[cc];
			}
		}
		nb[m] = (float)acc;
	}
	int64_t bd[1] = {M};
	ir_value *nwv = ir_graph_add_const(g, w->name, IR_F32, w->rank, w->dims, nw, false, 0);
	ir_value *nbv = ir_graph_add_const(g, b ? b->name : NULL, IR_F32, 1, bd, nb, false, 0);
	if (conv->noperands < 3) {
		ir_value **ops = ir_alloc(g, 3 * sizeof *ops);
		ops[0] = conv->operands[0];
		ops[1] = conv->operands[1];
		conv->operands = ops;
		conv->noperands = 3;
	}
	conv->operands[0] = bn->operands[0];
	conv->operands[1] = nwv;
	conv->operands[2] = nbv;
	ir_op_remove(g, bn);
	return true;
}

int
pass_fold_batchnorm(ir_graph *g, const pass_options *o, ir_err *e)
{
	ir_graph_compute_uses(g);
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind != IR_OP_BATCHNORM || op->operands[0]->rank != 4)
			continue;
		if (fold_into_producer(g, op) || fold_into_consumer(g, op))
			ir_graph_compute_uses(g);
	}
	/* what is left: a per-channel scale and shift */
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		float *s, *t;
		int64_t C;
		if (op->kind != IR_OP_BATCHNORM || op->operands[0]->rank < 2 ||
		    !bn_affine(g, op, &s, &t, &C) || C != op->operands[0]->dims[1])
			continue;
		int64_t d[1] = {C};
		ir_value *ops[3] = {
			op->operands[0],
			ir_graph_add_const(g, op->operands[1]->name, IR_F32, 1, d, s, false, 0),
			ir_graph_add_const(g, op->operands[2]->name, IR_F32, 1, d, t, false, 0),
		};
		ir_op *ss = ir_op_new(g, IR_OP_SCALE_SHIFT, ops, 3, 1);
		ss->loc = op->loc;
		if (ir_op_infer(g, ss, e) != 0)
			return -1;
		ir_op_insert_before(g, ss, op);
		ir_value_replace_uses(g, op->results[0], ss->results[0]);
		ir_op_remove(g, op);
	}
	return 0;
}
