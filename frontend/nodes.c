/*
 * nodes.c - one importer per ONNX operator.
 *
 * An importer reads the node's inputs and attributes, normalises them into
 * the IR's explicit form (docs/ir.md: every attribute present, axes
 * non-negative, auto_pad resolved into pads, opset differences removed),
 * creates the IR ops with fe_op/fe_emit, and defines the node's outputs with
 * fe_out.  fe_emit folds ops whose operands are all constant, so shape
 * arithmetic (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) becomes
 * constants that later importers read with fe_const_ints.
 *
 * Operators that do nothing at inference (Identity, Dropout, a Reshape to the
 * same shape, ...) define their output as their input; the graph-output
 * code adds an identity op where such an alias ends up as a graph output.
 *
 * Opset differences handled here: Clip min/max (attributes < 11, inputs
 * after), Softmax (coerced 2-D before 13), Squeeze/Unsqueeze/Split/ReduceSum
 * axes or sizes (attributes < 13, inputs after), ReduceMean axes (input from
 * 18), Slice (attributes < 10), Pad (attributes < 11, axes input at 18),
 * Split num_outputs (18), Resize (10: asymmetric; 11-18 full; 18 axes),
 * Upsample (7: scales attribute, 9: input), Reshape allowzero (14),
 * BatchNormalization spatial (< 9) and training_mode (14), Shape start/end
 * (15).
 */
#include "fe_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bound on strides, pads and dilations: far beyond any real model, small
 * enough that sizes computed from them never overflow. */
#define SPATIAL_MAX ((int64_t)1 << 31)

/* ---- helpers -------------------------------------------------------------- */

static int
norm_axis(fe_ctx *c, int64_t axis, int rank, const char *what, int64_t *out)
{
	if (axis < -rank || axis >= rank)
		return fe_err(c, "%s %lld out of range for rank %d", what, (ll)axis, rank);
	*out = axis < 0 ? axis + rank : axis;
	return 0;
}

/* Normalises a list of axes and checks for repeats, keeping the order. */
static int
norm_axes_ordered(fe_ctx *c, const int64_t *in, int n, int rank, int64_t *out)
{
	bool seen[IR_MAX_DIMS + 1] = {0};
	for (int i = 0; i < n; i++) {
		if (norm_axis(c, in[i], rank, "axis", &out[i]))
			return -1;
		if (seen[out[i]])
			return fe_err(c, "axis %lld is repeated", (ll)in[i]);
		seen[out[i]] = true;
	}
	return 0;
}

/* Normalises, checks for repeats, and sorts a list of axes. */
static int
norm_axes(fe_ctx *c, const int64_t *in, int n, int rank, int64_t *out)
{
	if (norm_axes_ordered(c, in, n, rank, out))
		return -1;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && out[j] < out[j - 1]; j--) {
			int64_t t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return 0;
}

static const char *
dims_s(fe_ctx *c, int rank, const int64_t *d)
{
	char buf[200];
	size_t k = (size_t)snprintf(buf, sizeof buf, "[");
	for (int i = 0; i < rank && k < sizeof buf; i++)
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%lld", i ? "," : "", (ll)d[i]);
	if (k < sizeof buf)
		snprintf(buf + k, sizeof buf - k, "]");
	return ir_strdup(c->g, buf);
}

/* An attribute that became an input at opset since must not be given. */
static int
moved_attr(fe_ctx *c, const Onnx__NodeProto *n, const char *name, int64_t since)
{
	if (c->opset >= since && fe_attr(n, name))
		return fe_err(c, "'%s' is an input, not an attribute, since opset %lld", name, (ll)since);
	return 0;
}

/* Emits op and defines output 0 as its result. */
static int
emit_out(fe_ctx *c, const Onnx__NodeProto *n, ir_op *op)
{
	if (fe_emit(c, op))
		return -1;
	fe_out(c, n, 0, op->results[0]);
	return 0;
}

/* An attribute of exactly 2 ints in [lo, SPATIAL_MAX], or the default. */
static int
attr_pair(fe_ctx *c, const Onnx__NodeProto *n, const char *name, int64_t dflt, int64_t lo, int64_t out[2])
{
	const int64_t *v;
	int len;
	bool has;
	if (fe_attr_ints(c, n, name, 8, &v, &len, &has))
		return -1;
	out[0] = out[1] = dflt;
	if (!has)
		return 0;
	if (len != 2)
		return fe_err(c, "attribute '%s' must have 2 entries, not %d", name, len);
	for (int i = 0; i < 2; i++) {
		if (v[i] < lo)
			return fe_err(c, "%s must be %s, not %lld", name, lo > 0 ? "positive" : "non-negative", (ll)v[i]);
		if (v[i] > SPATIAL_MAX)
			return fe_err(c, "%s value %lld is too large", name, (ll)v[i]);
		out[i] = v[i];
	}
	return 0;
}

/* (k-1)*d+1 for two axes. */
static int
eff_kernel(fe_ctx *c, const int64_t k[2], const int64_t d[2], int64_t keff[2])
{
	for (int i = 0; i < 2; i++) {
		int64_t span;
		if (k[i] < 1 || ir_mul_overflows(k[i] - 1, d[i], &span) || span > SPATIAL_MAX * SPATIAL_MAX)
			return fe_err(c, "kernel size %lld with dilation %lld is out of range", (ll)k[i], (ll)d[i]);
		keff[i] = span + 1;
	}
	return 0;
}

/*
 * pads [top, left, bottom, right] from pads/auto_pad.  SAME_* pads so that
 * out = ceil(in / stride); *same is set for them (pooling then uses floor).
 */
static int
resolve_pads(fe_ctx *c, const Onnx__NodeProto *n, const int64_t in[2], const int64_t keff[2],
             const int64_t st[2], int64_t pads[4], bool *same)
{
	const char *ap;
	const int64_t *pv;
	int np;
	bool has;
	*same = false;
	if (fe_attr_string(c, n, "auto_pad", "NOTSET", &ap) || fe_attr_ints(c, n, "pads", 16, &pv, &np, &has))
		return -1;
	memset(pads, 0, 4 * sizeof *pads);
	if (has) {
		if (np != 4)
			return fe_err(c, "attribute 'pads' must have 4 entries, not %d", np);
		for (int i = 0; i < 4; i++) {
			if (pv[i] < 0)
				return fe_err(c, "pads must be non-negative, not %lld", (ll)pv[i]);
			if (pv[i] > SPATIAL_MAX)
				return fe_err(c, "pads value %lld is too large", (ll)pv[i]);
		}
	}
	if (strcmp(ap, "NOTSET") == 0 || !*ap) {
		if (has)
			memcpy(pads, pv, 4 * sizeof *pads);
		return 0;
	}
	bool nonzero = has && (pv[0] || pv[1] || pv[2] || pv[3]);
	if (strcmp(ap, "VALID") == 0) {
		if (nonzero)
			return fe_err(c, "auto_pad VALID with non-zero pads");
		return 0;
	}
	bool upper = strcmp(ap, "SAME_UPPER") == 0;
	if (!upper && strcmp(ap, "SAME_LOWER") != 0)
		return fe_err(c, "unsupported auto_pad '%s'", fe_q(c, ap));
	if (nonzero)
		return fe_err(c, "auto_pad %s with non-zero pads", ap);
	*same = true;
	for (int i = 0; i < 2; i++) {
		int64_t out = (in[i] + st[i] - 1) / st[i];
		int64_t total = (out - 1) * st[i] + keff[i] - in[i];
		if (total < 0)
			total = 0;
		int64_t small = total / 2, big = total - small;
		pads[i] = upper ? small : big;
		pads[i + 2] = upper ? big : small;
	}
	return 0;
}

/* ---- elementwise ------------------------------------------------------------ */

static int
imp_unary(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	if (fe_in_req(c, n, 0, "X", &x))
		return -1;
	return emit_out(c, n, fe_op(c, k, &x, 1, 1));
}

static int
imp_leakyrelu(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	float alpha;
	if (fe_in_req(c, n, 0, "X", &x) || fe_attr_float(c, n, "alpha", 0.01f, &alpha))
		return -1;
	ir_op *op = fe_op(c, IR_OP_LEAKYRELU, &x, 1, 1);
	ir_op_set_float(c->g, op, "alpha", alpha);
	return emit_out(c, n, op);
}

static int
imp_clip(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	float lo = -INFINITY, hi = INFINITY;
	if (fe_in_req(c, n, 0, "X", &x))
		return -1;
	if (moved_attr(c, n, "min", 11) || moved_attr(c, n, "max", 11))
		return -1;
	if (c->opset < 11) {
		if (fe_attr_float(c, n, "min", -INFINITY, &lo) || fe_attr_float(c, n, "max", INFINITY, &hi))
			return -1;
	} else {
		ir_value *vmin = fe_in(c, n, 1), *vmax = fe_in(c, n, 2);
		double d;
		if (vmin) {
			if (fe_const_scalar(c, vmin, "min", &d))
				return -1;
			lo = (float)d;
		}
		if (vmax) {
			if (fe_const_scalar(c, vmax, "max", &d))
				return -1;
			hi = (float)d;
		}
	}
	if (isnan(lo) || isnan(hi))
		return fe_err(c, "min and max must not be NaN");
	ir_op *op = fe_op(c, IR_OP_CLIP, &x, 1, 1);
	ir_op_set_float(c->g, op, "min", lo);
	ir_op_set_float(c->g, op, "max", hi);
	return emit_out(c, n, op);
}

static int
imp_binary(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *ab[2];
	if (fe_in_req(c, n, 0, "A", &ab[0]) || fe_in_req(c, n, 1, "B", &ab[1]))
		return -1;
	return emit_out(c, n, fe_op(c, k, ab, 2, 1));
}

static int
imp_nary(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	if (n->n_input == 0)
		return fe_err(c, "needs at least one input");
	ir_value **in = ir_alloc(c->g, n->n_input * sizeof *in);
	for (size_t i = 0; i < n->n_input; i++)
		if (fe_in_req(c, n, i, "data", &in[i]))
			return -1;
	if (n->n_input > (size_t)INT32_MAX)
		return fe_err(c, "too many inputs");
	return emit_out(c, n, fe_op(c, k, in, (int)n->n_input, 1));
}

static int
imp_softmax(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	int64_t axis;
	if (fe_in_req(c, n, 0, "input", &x) || fe_attr_int(c, n, "axis", c->opset < 13 ? 1 : -1, &axis))
		return -1;
	if (x->rank < 1)
		return fe_err(c, "input must have rank 1 or more");
	if (norm_axis(c, axis, x->rank, "axis", &axis))
		return -1;
	if (c->opset >= 13 || axis == x->rank - 1) {
		ir_op *op = fe_op(c, IR_OP_SOFTMAX, &x, 1, 1);
		ir_op_set_int(c->g, op, "axis", axis);
		return emit_out(c, n, op);
	}
	/* opset < 13: softmax over the flattened axes [axis, rank) */
	int64_t d2[2] = {1, 1};
	for (int i = 0; i < x->rank; i++)
		d2[i >= axis] *= x->dims[i];
	ir_value *flat, *y;
	if (fe_reshape(c, x, 2, d2, &flat))
		return -1;
	ir_op *op = fe_op(c, IR_OP_SOFTMAX, &flat, 1, 1);
	ir_op_set_int(c->g, op, "axis", 1);
	if (fe_emit(c, op) || fe_reshape(c, op->results[0], x->rank, x->dims, &y))
		return -1;
	fe_out(c, n, 0, y);
	return 0;
}

/* ---- convolution, normalisation, pooling ---------------------------------------- */

static int
imp_conv(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *in[3];
	int64_t group, st[2], dil[2], keff[2], pads[4];
	const int64_t *ks;
	int nks;
	bool has_ks, same;
	if (fe_in_req(c, n, 0, "X", &in[0]) || fe_in_req(c, n, 1, "W", &in[1]))
		return -1;
	in[2] = fe_in(c, n, 2);
	ir_value *x = in[0], *w = in[1];
	if (x->rank != 4 || w->rank != 4)
		return fe_err(c, "only 2-D Conv is supported (input %s, weight %s)",
		              dims_s(c, x->rank, x->dims), dims_s(c, w->rank, w->dims));
	if (fe_attr_int(c, n, "group", 1, &group) || attr_pair(c, n, "strides", 1, 1, st) ||
	    attr_pair(c, n, "dilations", 1, 1, dil) || fe_attr_ints(c, n, "kernel_shape", 8, &ks, &nks, &has_ks))
		return -1;
	if (has_ks && (nks != 2 || ks[0] != w->dims[2] || ks[1] != w->dims[3]))
		return fe_err(c, "kernel_shape does not match the weight %s", dims_s(c, w->rank, w->dims));
	if (eff_kernel(c, &w->dims[2], dil, keff) || resolve_pads(c, n, &x->dims[2], keff, st, pads, &same))
		return -1;
	ir_op *op = fe_op(c, IR_OP_CONV, in, 3, 1);
	ir_op_set_ints(c->g, op, "strides", st, 2);
	ir_op_set_ints(c->g, op, "pads", pads, 4);
	ir_op_set_ints(c->g, op, "dilations", dil, 2);
	ir_op_set_int(c->g, op, "group", group);
	return emit_out(c, n, op);
}

static int
imp_batchnorm(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	static const char *const names[] = {"X", "scale", "B", "input_mean", "input_var"};
	ir_value *in[5];
	int64_t spatial, training;
	float eps;
	for (int i = 0; i < 5; i++)
		if (fe_in_req(c, n, (size_t)i, names[i], &in[i]))
			return -1;
	if (fe_attr_int(c, n, "spatial", 1, &spatial) || fe_attr_int(c, n, "training_mode", 0, &training) ||
	    fe_attr_float(c, n, "epsilon", 1e-5f, &eps))
		return -1;
	if (spatial == 0)
		return fe_err(c, "spatial = 0 is not supported");
	if (training)
		return fe_err(c, "training mode is not supported");
	for (size_t j = 1; j < n->n_output; j++)
		if (fe_out_used(c, n, j))
			return fe_err(c, "training-mode output %zu ('%s') is not supported", j, fe_q(c, n->output[j]));
	ir_op *op = fe_op(c, IR_OP_BATCHNORM, in, 5, 1);
	ir_op_set_float(c->g, op, "epsilon", eps);
	return emit_out(c, n, op);
}

static int
imp_pool(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	const int64_t *ks;
	int nks;
	bool has, same, maxp = k == IR_OP_MAXPOOL;
	int64_t kernel[2], st[2], dil[2] = {1, 1}, keff[2], pads[4], ceil_mode, cip = 0;
	if (fe_in_req(c, n, 0, "X", &x))
		return -1;
	if (x->rank != 4)
		return fe_err(c, "only 2-D %s is supported (input %s)", maxp ? "MaxPool" : "AveragePool",
		              dims_s(c, x->rank, x->dims));
	if (fe_attr_ints(c, n, "kernel_shape", 8, &ks, &nks, &has))
		return -1;
	if (!has)
		return fe_err(c, "missing attribute 'kernel_shape'");
	if (nks != 2)
		return fe_err(c, "attribute 'kernel_shape' must have 2 entries, not %d", nks);
	for (int i = 0; i < 2; i++) {
		if (ks[i] < 1 || ks[i] > SPATIAL_MAX)
			return fe_err(c, "kernel_shape value %lld is out of range", (ll)ks[i]);
		kernel[i] = ks[i];
	}
	if (attr_pair(c, n, "strides", 1, 1, st) || attr_pair(c, n, "dilations", 1, 1, dil) ||
	    fe_attr_int(c, n, "ceil_mode", 0, &ceil_mode) ||
	    (!maxp && fe_attr_int(c, n, "count_include_pad", 0, &cip)))
		return -1;
	if (!maxp && (dil[0] != 1 || dil[1] != 1))
		return fe_err(c, "dilations are not supported");
	if (eff_kernel(c, kernel, dil, keff) || resolve_pads(c, n, &x->dims[2], keff, st, pads, &same))
		return -1;
	if (same)
		ceil_mode = 0;
	if (maxp && fe_out_used(c, n, 1))
		return fe_err(c, "the Indices output is not supported");
	ir_op *op = fe_op(c, k, &x, 1, 1);
	ir_op_set_ints(c->g, op, "kernel", kernel, 2);
	ir_op_set_ints(c->g, op, "strides", st, 2);
	ir_op_set_ints(c->g, op, "pads", pads, 4);
	ir_op_set_int(c->g, op, "ceil_mode", ceil_mode != 0);
	if (maxp)
		ir_op_set_ints(c->g, op, "dilations", dil, 2);
	else
		ir_op_set_int(c->g, op, "count_include_pad", cip != 0);
	return emit_out(c, n, op);
}

static int
imp_reduce(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	int64_t keep, noop, axes[IR_MAX_DIMS];
	int na = 0;
	if (fe_in_req(c, n, 0, "data", &x) || fe_attr_int(c, n, "keepdims", 1, &keep) ||
	    fe_attr_int(c, n, "noop_with_empty_axes", 0, &noop))
		return -1;
	bool as_input = (k == IR_OP_REDUCESUM && c->opset >= 13) || (k == IR_OP_REDUCEMEAN && c->opset >= 18);
	const int64_t *raw = NULL;
	if (moved_attr(c, n, "axes", k == IR_OP_REDUCESUM ? 13 : 18))
		return -1;
	if (as_input) {
		ir_value *va = fe_in(c, n, 1);
		int64_t *v;
		if (va) {
			if (fe_const_ints(c, va, "axes", IR_MAX_DIMS, &v, &na))
				return -1;
			raw = v;
		}
	} else {
		if (fe_attr_ints(c, n, "axes", IR_MAX_DIMS, &raw, &na, NULL))
			return -1;
	}
	if (na == 0) {
		if (noop || x->rank == 0) {
			fe_out(c, n, 0, x);
			return 0;
		}
		for (int i = 0; i < x->rank; i++)
			axes[na++] = i;
	} else if (norm_axes(c, raw, na, x->rank, axes)) {
		return -1;
	}
	ir_op *op = fe_op(c, k, &x, 1, 1);
	ir_op_set_ints(c->g, op, "axes", axes, na);
	ir_op_set_int(c->g, op, "keepdims", keep != 0);
	return emit_out(c, n, op);
}

/* ---- linear algebra ----------------------------------------------------------- */

static int
imp_gemm(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *in[3];
	float alpha, beta;
	int64_t ta, tb;
	if (fe_in_req(c, n, 0, "A", &in[0]) || fe_in_req(c, n, 1, "B", &in[1]) ||
	    fe_attr_float(c, n, "alpha", 1.0f, &alpha) || fe_attr_float(c, n, "beta", 1.0f, &beta) ||
	    fe_attr_int(c, n, "transA", 0, &ta) || fe_attr_int(c, n, "transB", 0, &tb))
		return -1;
	in[2] = fe_in(c, n, 2);
	ir_op *op = fe_op(c, IR_OP_GEMM, in, 3, 1);
	ir_op_set_float(c->g, op, "alpha", alpha);
	ir_op_set_float(c->g, op, "beta", beta);
	ir_op_set_int(c->g, op, "transA", ta != 0);
	ir_op_set_int(c->g, op, "transB", tb != 0);
	return emit_out(c, n, op);
}

/* ---- shapes ------------------------------------------------------------------ */

static int
imp_flatten(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x, *y;
	int64_t axis;
	if (fe_in_req(c, n, 0, "input", &x) || fe_attr_int(c, n, "axis", 1, &axis))
		return -1;
	if (axis < -x->rank || axis > x->rank)
		return fe_err(c, "axis %lld out of range for rank %d", (ll)axis, x->rank);
	if (axis < 0)
		axis += x->rank;
	int64_t d2[2] = {1, 1};
	for (int i = 0; i < x->rank; i++)
		d2[i >= axis] *= x->dims[i];
	if (fe_reshape(c, x, 2, d2, &y))
		return -1;
	fe_out(c, n, 0, y);
	return 0;
}

/* Axes from the attribute (opset < 13) or input 1; *given says whether any. */
static int
axes_arg(fe_ctx *c, const Onnx__NodeProto *n, int maxn, const int64_t **axes, int *na, bool *given)
{
	if (moved_attr(c, n, "axes", 13))
		return -1;
	if (c->opset < 13)
		return fe_attr_ints(c, n, "axes", maxn, axes, na, given);
	ir_value *v = fe_in(c, n, 1);
	*given = v != NULL;
	*axes = NULL;
	*na = 0;
	if (!v)
		return 0;
	int64_t *a;
	if (fe_const_ints(c, v, "axes", maxn, &a, na))
		return -1;
	*axes = a;
	return 0;
}

static int
imp_squeeze(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x, *y;
	const int64_t *raw;
	int na;
	bool given;
	int64_t axes[IR_MAX_DIMS], dims[IR_MAX_DIMS];
	if (fe_in_req(c, n, 0, "data", &x) || axes_arg(c, n, IR_MAX_DIMS, &raw, &na, &given))
		return -1;
	bool drop[IR_MAX_DIMS] = {0};
	if (na == 0) {
		for (int i = 0; i < x->rank; i++)
			drop[i] = x->dims[i] == 1;
	} else {
		if (norm_axes(c, raw, na, x->rank, axes))
			return -1;
		for (int i = 0; i < na; i++) {
			if (x->dims[axes[i]] != 1)
				return fe_err(c, "cannot squeeze axis %lld of size %lld", (ll)axes[i], (ll)x->dims[axes[i]]);
			drop[axes[i]] = true;
		}
	}
	int r = 0;
	for (int i = 0; i < x->rank; i++)
		if (!drop[i])
			dims[r++] = x->dims[i];
	if (fe_reshape(c, x, r, dims, &y))
		return -1;
	fe_out(c, n, 0, y);
	return 0;
}

static int
imp_unsqueeze(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x, *y;
	const int64_t *raw;
	int na;
	bool given;
	int64_t axes[IR_MAX_DIMS], dims[IR_MAX_DIMS];
	if (fe_in_req(c, n, 0, "data", &x) || axes_arg(c, n, IR_MAX_DIMS, &raw, &na, &given))
		return -1;
	if (!given || na == 0)
		return fe_err(c, "axes are required");
	int r = x->rank + na;
	if (r > IR_MAX_DIMS)
		return fe_err(c, "result rank %d exceeds %d", r, IR_MAX_DIMS);
	if (norm_axes(c, raw, na, r, axes))
		return -1;
	bool ins[IR_MAX_DIMS] = {0};
	for (int i = 0; i < na; i++)
		ins[axes[i]] = true;
	for (int i = 0, j = 0; i < r; i++)
		dims[i] = ins[i] ? 1 : x->dims[j++];
	if (fe_reshape(c, x, r, dims, &y))
		return -1;
	fe_out(c, n, 0, y);
	return 0;
}

static int
imp_reshape(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x, *vs, *y;
	int64_t *shape, allowzero, dims[IR_MAX_DIMS];
	int ns;
	if (fe_in_req(c, n, 0, "data", &x) || fe_in_req(c, n, 1, "shape", &vs) ||
	    fe_attr_int(c, n, "allowzero", 0, &allowzero))
		return -1;
	if (fe_const_ints(c, vs, "shape", 64, &shape, &ns))
		return -1;
	if (ns > IR_MAX_DIMS)
		return fe_err(c, "shape has rank %d (at most %d)", ns, IR_MAX_DIMS);
	int neg = -1;
	int64_t known = 1;
	for (int i = 0; i < ns; i++) {
		int64_t s = shape[i];
		if (s == 0 && !allowzero) {
			if (i >= x->rank)
				return fe_err(c, "shape %s copies axis %d, which the input %s does not have",
				              dims_s(c, ns, shape), i, dims_s(c, x->rank, x->dims));
			s = x->dims[i];
		} else if (s == -1) {
			if (neg >= 0)
				return fe_err(c, "shape %s has more than one -1", dims_s(c, ns, shape));
			neg = i;
			dims[i] = -1;
			continue;
		} else if (s < -1) {
			return fe_err(c, "shape %s has a negative size", dims_s(c, ns, shape));
		}
		dims[i] = s;
		if (ir_mul_overflows(known, s, &known))
			return fe_err(c, "shape %s is too large", dims_s(c, ns, shape));
	}
	int64_t numel = ir_value_numel(x);
	if (neg >= 0) {
		if (known == 0 || numel % known != 0)
			return fe_err(c, "cannot reshape %s to %s", dims_s(c, x->rank, x->dims), dims_s(c, ns, shape));
		dims[neg] = numel / known;
	}
	if (fe_reshape(c, x, ns, dims, &y))
		return -1;
	fe_out(c, n, 0, y);
	return 0;
}

static int
imp_transpose(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	const int64_t *pv;
	int np;
	bool has;
	int64_t perm[IR_MAX_DIMS];
	if (fe_in_req(c, n, 0, "data", &x) || fe_attr_ints(c, n, "perm", 64, &pv, &np, &has))
		return -1;
	if (has && np != x->rank)
		return fe_err(c, "perm has %d entries for an input of rank %d", np, x->rank);
	bool ident = true;
	for (int i = 0; i < x->rank; i++) {
		perm[i] = has ? pv[i] : x->rank - 1 - i;
		ident &= perm[i] == i;
	}
	if (ident) {
		fe_out(c, n, 0, x);
		return 0;
	}
	ir_op *op = fe_op(c, IR_OP_TRANSPOSE, &x, 1, 1);
	ir_op_set_ints(c->g, op, "perm", perm, x->rank);
	return emit_out(c, n, op);
}

static int
imp_concat(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	int64_t axis;
	if (!fe_attr(n, "axis"))
		return fe_err(c, "missing attribute 'axis'");
	if (fe_attr_int(c, n, "axis", 0, &axis))
		return -1;
	if (n->n_input == 0 || n->n_input > (size_t)INT32_MAX)
		return fe_err(c, "needs at least one input");
	ir_value **in = ir_alloc(c->g, n->n_input * sizeof *in);
	for (size_t i = 0; i < n->n_input; i++)
		if (fe_in_req(c, n, i, "inputs", &in[i]))
			return -1;
	if (norm_axis(c, axis, in[0]->rank, "axis", &axis))
		return -1;
	if (n->n_input == 1) {
		fe_out(c, n, 0, in[0]);
		return 0;
	}
	ir_op *op = fe_op(c, IR_OP_CONCAT, in, (int)n->n_input, 1);
	ir_op_set_int(c->g, op, "axis", axis);
	return emit_out(c, n, op);
}

static int
imp_split(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	int64_t axis, nout_attr;
	const int64_t *sizes = NULL;
	int ns = 0;
	bool given = false;
	if (fe_in_req(c, n, 0, "input", &x) || fe_attr_int(c, n, "axis", 0, &axis) ||
	    fe_attr_int(c, n, "num_outputs", 0, &nout_attr))
		return -1;
	if (n->n_output == 0 || n->n_output > 65536)
		return fe_err(c, "has %zu outputs", n->n_output);
	int nout = (int)n->n_output;
	if (norm_axis(c, axis, x->rank, "axis", &axis))
		return -1;
	if (moved_attr(c, n, "split", 13))
		return -1;
	if (c->opset < 13) {
		if (fe_attr_ints(c, n, "split", 65536, &sizes, &ns, &given))
			return -1;
	} else {
		ir_value *v = fe_in(c, n, 1);
		int64_t *s;
		if (v) {
			if (fe_const_ints(c, v, "split", 65536, &s, &ns))
				return -1;
			sizes = s;
			given = true;
		}
	}
	int64_t dim = x->dims[axis];
	int64_t *sz = ir_alloc(c->g, (size_t)nout * sizeof *sz);
	if (given && ns > 0) {
		if (ns != nout)
			return fe_err(c, "split has %d sizes for %d outputs", ns, nout);
		memcpy(sz, sizes, (size_t)ns * sizeof *sz);
	} else if (nout_attr) {
		if (nout_attr != nout)
			return fe_err(c, "num_outputs is %lld but the node has %d outputs", (ll)nout_attr, nout);
		int64_t chunk = (dim + nout - 1) / nout;
		int64_t last = dim - chunk * (nout - 1);
		if (last < 0)
			return fe_err(c, "cannot split %lld into %d outputs", (ll)dim, nout);
		for (int i = 0; i < nout; i++)
			sz[i] = i == nout - 1 ? last : chunk;
	} else {
		if (dim % nout)
			return fe_err(c, "cannot split %lld evenly into %d outputs", (ll)dim, nout);
		for (int i = 0; i < nout; i++)
			sz[i] = dim / nout;
	}
	ir_op *op = fe_op(c, IR_OP_SPLIT, &x, 1, nout);
	ir_op_set_int(c->g, op, "axis", axis);
	ir_op_set_ints(c->g, op, "split", sz, nout);
	if (fe_emit(c, op))
		return -1;
	for (int i = 0; i < nout; i++)
		fe_out(c, n, (size_t)i, op->results[i]);
	return 0;
}

/* Slice parameter i: attribute (opset < 10) or input.  NULL when absent. */
static int
slice_arg(fe_ctx *c, const Onnx__NodeProto *n, const char *name, size_t input, const int64_t **v, int *len)
{
	*v = NULL;
	*len = 0;
	if (moved_attr(c, n, name, 10))
		return -1;
	if (c->opset < 10)
		return fe_attr_ints(c, n, name, 64, v, len, NULL);
	ir_value *val = fe_in(c, n, input);
	int64_t *p;
	if (!val)
		return 0;
	if (fe_const_ints(c, val, name, 64, &p, len))
		return -1;
	*v = p;
	return 0;
}

static int
imp_slice(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	const int64_t *st, *en, *ax, *sp;
	int nst, nen, nax, nsp;
	if (fe_in_req(c, n, 0, "data", &x) || slice_arg(c, n, "starts", 1, &st, &nst) ||
	    slice_arg(c, n, "ends", 2, &en, &nen) || slice_arg(c, n, "axes", 3, &ax, &nax) ||
	    slice_arg(c, n, "steps", 4, &sp, &nsp))
		return -1;
	if (!st || !en)
		return fe_err(c, "starts and ends are required");
	if (nst != nen || (ax && nax != nst) || (sp && nsp != nst))
		return fe_err(c, "starts, ends, axes and steps must have the same length");
	int r = x->rank;
	int64_t starts[IR_MAX_DIMS], steps[IR_MAX_DIMS], counts[IR_MAX_DIMS];
	bool done[IR_MAX_DIMS] = {0};
	for (int i = 0; i < r; i++) {
		starts[i] = 0;
		steps[i] = 1;
		counts[i] = x->dims[i];
	}
	for (int i = 0; i < nst; i++) {
		int64_t a = ax ? ax[i] : i;
		if (norm_axis(c, a, r, "axis", &a))
			return -1;
		if (done[a])
			return fe_err(c, "axis %lld is repeated", (ll)a);
		done[a] = true;
		int64_t step = sp ? sp[i] : 1, d = x->dims[a], s = st[i], e = en[i];
		if (step == 0)
			return fe_err(c, "step on axis %lld is zero", (ll)a);
		if (s < 0)
			s += d;
		if (e < 0)
			e += d;
		int64_t cnt;
		if (step > 0) {
			s = s < 0 ? 0 : s > d ? d : s;
			e = e < 0 ? 0 : e > d ? d : e;
			cnt = e <= s ? 0 : (e - s - 1) / step + 1;
		} else {
			s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
			e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
			if (e >= s)
				cnt = 0;
			else if (step == INT64_MIN)
				cnt = 1;
			else
				cnt = (s - e - 1) / -step + 1;
		}
		starts[a] = cnt ? s : 0;
		steps[a] = step;
		counts[a] = cnt;
	}
	bool ident = true;
	for (int i = 0; i < r; i++)
		ident &= starts[i] == 0 && steps[i] == 1 && counts[i] == x->dims[i];
	if (ident) {
		fe_out(c, n, 0, x);
		return 0;
	}
	ir_op *op = fe_op(c, IR_OP_SLICE, &x, 1, 1);
	ir_op_set_ints(c->g, op, "starts", starts, r);
	ir_op_set_ints(c->g, op, "steps", steps, r);
	fe_set_type(op, 0, x->dtype, r, counts);
	return emit_out(c, n, op);
}

static int
imp_pad(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	const char *mode;
	float value = 0;
	const int64_t *pv = NULL;
	int np = 0, r;
	int64_t pads[2 * IR_MAX_DIMS] = {0};
	if (fe_in_req(c, n, 0, "data", &x) || fe_attr_string(c, n, "mode", "constant", &mode))
		return -1;
	r = x->rank;
	if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge"))
		return fe_err(c, "mode '%s' is not supported", fe_q(c, mode));
	int64_t axes[IR_MAX_DIMS];
	int na = r;
	for (int i = 0; i < r; i++)
		axes[i] = i;
	if (moved_attr(c, n, "pads", 11) || moved_attr(c, n, "value", 11))
		return -1;
	if (c->opset < 11) {
		bool has;
		if (fe_attr_ints(c, n, "pads", 2 * IR_MAX_DIMS, &pv, &np, &has) ||
		    fe_attr_float(c, n, "value", 0.0f, &value))
			return -1;
		if (!has)
			return fe_err(c, "missing attribute 'pads'");
	} else {
		ir_value *vp, *vv = fe_in(c, n, 2), *va = fe_in(c, n, 3);
		int64_t *p;
		if (fe_in_req(c, n, 1, "pads", &vp) || fe_const_ints(c, vp, "pads", 2 * IR_MAX_DIMS, &p, &np))
			return -1;
		pv = p;
		if (vv) {
			double d;
			if (fe_const_scalar(c, vv, "constant_value", &d))
				return -1;
			value = (float)d;
		}
		if (va) {
			int64_t *a;
			/* pads follow the given order of the axes */
			if (fe_const_ints(c, va, "axes", IR_MAX_DIMS, &a, &na) || norm_axes_ordered(c, a, na, r, axes))
				return -1;
		}
	}
	if (np != 2 * na)
		return fe_err(c, "pads has %d entries, expected %d", np, 2 * na);
	bool zero = true;
	for (int i = 0; i < na; i++) {
		pads[axes[i]] = pv[i];
		pads[axes[i] + r] = pv[i + na];
		zero &= pv[i] == 0 && pv[i + na] == 0;
	}
	if (zero) {
		fe_out(c, n, 0, x);
		return 0;
	}
	ir_op *op = fe_op(c, IR_OP_PAD, &x, 1, 1);
	ir_op_set_ints(c->g, op, "pads", pads, 2 * r);
	ir_op_set_string(c->g, op, "mode", mode);
	ir_op_set_float(c->g, op, "value", value);
	return emit_out(c, n, op);
}

/* ---- resize ------------------------------------------------------------------- */

/*
 * Creates the IR resize of x.  Exactly one of scales/sizes is non-NULL, with
 * one entry per axis of x.  Output sizes are floor(in * scale) for scales;
 * for sizes the scales become out / in.
 */
static int
make_resize(fe_ctx *c, const Onnx__NodeProto *n, ir_value *x, const char *mode, const char *coord,
            const char *nearest, const float *scales, const int64_t *sizes)
{
	int r = x->rank;
	int64_t out[IR_MAX_DIMS];
	float sc[IR_MAX_DIMS];
	for (int i = 0; i < r; i++) {
		int64_t in = x->dims[i];
		if (scales) {
			if (!(scales[i] > 0) || isinf(scales[i]))
				return fe_err(c, "scale %g on axis %d must be positive and finite", scales[i], i);
			double o = floor((double)in * (double)scales[i]);
			if (o > (double)((int64_t)1 << 50))
				return fe_err(c, "scale %g on axis %d gives a too large output", scales[i], i);
			out[i] = (int64_t)o;
			sc[i] = scales[i];
		} else {
			if (sizes[i] < 1 || sizes[i] > ((int64_t)1 << 50))
				return fe_err(c, "size %lld on axis %d is out of range", (ll)sizes[i], i);
			out[i] = sizes[i];
			if (in == 0)
				return fe_err(c, "cannot resize the empty axis %d", i);
			sc[i] = (float)out[i] / (float)in;
		}
		if (out[i] < 1 && in > 0)
			return fe_err(c, "scale %g gives an empty output on axis %d", sc[i], i);
	}
	ir_op *op = fe_op(c, IR_OP_RESIZE, &x, 1, 1);
	ir_op_set_string(c->g, op, "mode", mode);
	ir_op_set_string(c->g, op, "coord", coord);
	ir_op_set_string(c->g, op, "nearest_mode", nearest);
	ir_op_set_floats(c->g, op, "scales", sc, r);
	fe_set_type(op, 0, x->dtype, r, out);
	return emit_out(c, n, op);
}

/* Upsample and Resize-10 round "simple": floor when enlarging, else ceil. */
static const char *
simple_nearest(const float *scales, int r)
{
	for (int i = 0; i < r; i++)
		if (scales[i] > 1)
			return "floor";
	return "ceil";
}

static int
check_mode(fe_ctx *c, const char *mode, const char **irmode)
{
	if (strcmp(mode, "nearest") == 0)
		*irmode = "nearest";
	else if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0)
		*irmode = "linear";
	else
		return fe_err(c, "mode '%s' is not supported", fe_q(c, mode));
	return 0;
}

static int
imp_upsample(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	const char *mode, *irmode;
	const float *scales;
	int ns;
	if (fe_in_req(c, n, 0, "X", &x) || fe_attr_string(c, n, "mode", "nearest", &mode) || check_mode(c, mode, &irmode))
		return -1;
	if (moved_attr(c, n, "scales", 9))
		return -1;
	if (c->opset < 9) {
		bool has;
		if (fe_attr_floats(c, n, "scales", IR_MAX_DIMS, &scales, &ns, &has))
			return -1;
		if (!has)
			return fe_err(c, "missing attribute 'scales'");
	} else {
		ir_value *v;
		float *s;
		if (fe_in_req(c, n, 1, "scales", &v) || fe_const_floats(c, v, "scales", IR_MAX_DIMS, &s, &ns))
			return -1;
		scales = s;
	}
	if (ns != x->rank)
		return fe_err(c, "scales has %d entries for an input of rank %d", ns, x->rank);
	return make_resize(c, n, x, irmode, "asymmetric", simple_nearest(scales, ns), scales, NULL);
}

static int
imp_resize(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	const char *mode, *irmode, *coord, *nearest, *policy;
	int64_t antialias;
	if (fe_in_req(c, n, 0, "X", &x) || fe_attr_string(c, n, "mode", "nearest", &mode))
		return -1;
	if (strcmp(mode, "cubic") == 0)
		return fe_err(c, "mode 'cubic' is not supported");
	if (check_mode(c, mode, &irmode))
		return -1;
	if (strcmp(mode, "bilinear") == 0)
		return fe_err(c, "mode 'bilinear' is not supported");
	if (c->opset < 11) {
		ir_value *v;
		float *s;
		int ns;
		if (fe_in_req(c, n, 1, "scales", &v) || fe_const_floats(c, v, "scales", IR_MAX_DIMS, &s, &ns))
			return -1;
		if (ns != x->rank)
			return fe_err(c, "scales has %d entries for an input of rank %d", ns, x->rank);
		return make_resize(c, n, x, irmode, "asymmetric", simple_nearest(s, ns), s, NULL);
	}
	if (fe_attr_string(c, n, "coordinate_transformation_mode", "half_pixel", &coord) ||
	    fe_attr_string(c, n, "nearest_mode", "round_prefer_floor", &nearest) ||
	    fe_attr_int(c, n, "antialias", 0, &antialias) ||
	    fe_attr_string(c, n, "keep_aspect_ratio_policy", "stretch", &policy))
		return -1;
	static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
	                                     "asymmetric", "tf_half_pixel_for_nearest", NULL};
	static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL};
	bool ok = false;
	for (int i = 0; coords[i]; i++)
		ok |= strcmp(coord, coords[i]) == 0;
	if (!ok)
		return fe_err(c, "coordinate_transformation_mode '%s' is not supported", fe_q(c, coord));
	ok = false;
	for (int i = 0; nearests[i]; i++)
		ok |= strcmp(nearest, nearests[i]) == 0;
	if (!ok)
		return fe_err(c, "nearest_mode '%s' is not supported", fe_q(c, nearest));
	if (antialias)
		return fe_err(c, "antialias is not supported");
	if (strcmp(policy, "stretch") != 0)
		return fe_err(c, "keep_aspect_ratio_policy '%s' is not supported", fe_q(c, policy));

	/* axes (opset 18): scales/sizes cover only these */
	const int64_t *rawax;
	int nax;
	bool hasax;
	int64_t axes[IR_MAX_DIMS];
	if (fe_attr_ints(c, n, "axes", IR_MAX_DIMS, &rawax, &nax, &hasax))
		return -1;
	if (!hasax) {
		nax = x->rank;
		for (int i = 0; i < nax; i++)
			axes[i] = i;
	} else if (norm_axes_ordered(c, rawax, nax, x->rank, axes)) {
		return -1;
	}
	ir_value *vs = fe_in(c, n, 2), *vz = fe_in(c, n, 3);
	bool has_scales = vs && ir_value_numel(vs) > 0, has_sizes = vz && ir_value_numel(vz) > 0;
	if (has_scales && has_sizes)
		return fe_err(c, "give scales or sizes, not both");
	if (!has_scales && !has_sizes)
		return fe_err(c, "needs scales or sizes");
	float scales[IR_MAX_DIMS];
	int64_t sizes[IR_MAX_DIMS];
	for (int i = 0; i < x->rank; i++) {
		scales[i] = 1.0f;
		sizes[i] = x->dims[i];
	}
	if (has_scales) {
		float *s;
		int ns;
		if (fe_const_floats(c, vs, "scales", IR_MAX_DIMS, &s, &ns))
			return -1;
		if (ns != nax)
			return fe_err(c, "scales has %d entries, expected %d", ns, nax);
		for (int i = 0; i < nax; i++)
			scales[axes[i]] = s[i];
		return make_resize(c, n, x, irmode, coord, nearest, scales, NULL);
	}
	int64_t *z;
	int nz;
	if (fe_const_ints(c, vz, "sizes", IR_MAX_DIMS, &z, &nz))
		return -1;
	if (nz != nax)
		return fe_err(c, "sizes has %d entries, expected %d", nz, nax);
	for (int i = 0; i < nax; i++)
		sizes[axes[i]] = z[i];
	return make_resize(c, n, x, irmode, coord, nearest, NULL, sizes);
}

/* ---- data movement ----------------------------------------------------------------- */

static int
imp_expand(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x, *vs;
	int64_t *shape, out[IR_MAX_DIMS];
	int ns;
	if (fe_in_req(c, n, 0, "input", &x) || fe_in_req(c, n, 1, "shape", &vs) ||
	    fe_const_ints(c, vs, "shape", 64, &shape, &ns))
		return -1;
	if (ns > IR_MAX_DIMS)
		return fe_err(c, "shape has rank %d (at most %d)", ns, IR_MAX_DIMS);
	int r = ns > x->rank ? ns : x->rank;
	bool same = r == x->rank;
	for (int i = 0; i < r; i++) {
		int ia = i - (r - x->rank), ib = i - (r - ns);
		int64_t a = ia >= 0 ? x->dims[ia] : 1, b = ib >= 0 ? shape[ib] : 1;
		if (b < 0)
			return fe_err(c, "shape %s has a negative size", dims_s(c, ns, shape));
		if (a == b || b == 1)
			out[i] = a;
		else if (a == 1)
			out[i] = b;
		else
			return fe_err(c, "cannot expand %s to %s", dims_s(c, x->rank, x->dims), dims_s(c, ns, shape));
		same &= ia >= 0 && out[i] == x->dims[ia];
	}
	if (same) {
		fe_out(c, n, 0, x);
		return 0;
	}
	ir_op *op = fe_op(c, IR_OP_EXPAND, &x, 1, 1);
	fe_set_type(op, 0, x->dtype, r, out);
	return emit_out(c, n, op);
}

static int
imp_gather(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *in[2];
	int64_t axis;
	if (fe_in_req(c, n, 0, "data", &in[0]) || fe_in_req(c, n, 1, "indices", &in[1]) ||
	    fe_attr_int(c, n, "axis", 0, &axis))
		return -1;
	if (in[0]->rank < 1)
		return fe_err(c, "data must have rank 1 or more");
	if (norm_axis(c, axis, in[0]->rank, "axis", &axis))
		return -1;
	ir_value *idx = in[1];
	if (fe_is_const(idx) && (idx->dtype == IR_I64 || idx->dtype == IR_I32)) {
		int64_t d = in[0]->dims[axis], m = ir_value_numel(idx);
		for (int64_t i = 0; i < m; i++) {
			int64_t v = idx->dtype == IR_I64 ? ((const int64_t *)idx->data)[i] : ((const int32_t *)idx->data)[i];
			if (v < -d || v >= d)
				return fe_err(c, "index %lld out of range for axis %lld of size %lld", (ll)v, (ll)axis, (ll)d);
		}
	}
	ir_op *op = fe_op(c, IR_OP_GATHER, in, 2, 1);
	ir_op_set_int(c->g, op, "axis", axis);
	return emit_out(c, n, op);
}

static int
imp_cast(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	int64_t to;
	const char *tn;
	if (fe_in_req(c, n, 0, "input", &x))
		return -1;
	if (!fe_attr(n, "to"))
		return fe_err(c, "missing attribute 'to'");
	if (fe_attr_int(c, n, "to", 0, &to))
		return -1;
	int t = fe_onnx_dtype(to, &tn);
	if (t < 0)
		return fe_err(c, "cast to %s is not supported", tn);
	if ((ir_dtype)t == x->dtype) {
		fe_out(c, n, 0, x);
		return 0;
	}
	ir_op *op = fe_op(c, IR_OP_CAST, &x, 1, 1);
	fe_set_type(op, 0, (ir_dtype)t, x->rank, x->dims);
	return emit_out(c, n, op);
}

static int
imp_identity(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	if (fe_in_req(c, n, 0, "input", &x))
		return -1;
	fe_out(c, n, 0, x);
	return 0;
}

static int
imp_dropout(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x, *tm = fe_in(c, n, 2);
	if (fe_in_req(c, n, 0, "data", &x) || moved_attr(c, n, "ratio", 12))
		return -1;
	if (tm) {
		double d;
		if (fe_const_scalar(c, tm, "training_mode", &d))
			return -1;
		if (d != 0)
			return fe_err(c, "training mode is not supported");
	}
	if (fe_out_used(c, n, 1))
		return fe_err(c, "the mask output is not supported");
	fe_out(c, n, 0, x);
	return 0;
}

/* ---- constants ------------------------------------------------------------------------- */

static void *
arena_alloc(void *actx, size_t n)
{
	return ir_alloc((ir_graph *)actx, n);
}

static int
imp_constant(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	const Onnx__AttributeProto *a = NULL;
	int nvals = 0;
	for (size_t i = 0; i < n->n_attribute; i++) {
		const char *nm = n->attribute[i]->name;
		if (strncmp(nm, "value", 5) == 0 || strcmp(nm, "sparse_value") == 0) {
			a = n->attribute[i];
			nvals++;
		}
	}
	if (nvals != 1)
		return fe_err(c, "needs exactly one value attribute, not %d", nvals);
	ir_value *v;
	int64_t cnt;
	if (strcmp(a->name, "value") == 0) {
		if (!a->t)
			return fe_err(c, "attribute 'value' must be a tensor");
		fe_dense d;
		ir_err sub;
		if (fe_decode_tensor(a->t, "value", c->dir, c->max_tensor_bytes, arena_alloc, c->g, &d, &sub))
			return fe_err(c, "%s", sub.msg);
		v = ir_graph_add_const(c->g, NULL, d.t, d.rank, d.dims, d.data, false, 0);
	} else if (strcmp(a->name, "value_float") == 0) {
		float f;
		if (fe_attr_float(c, n, "value_float", 0, &f))
			return -1;
		v = ir_graph_add_const(c->g, NULL, IR_F32, 0, NULL, &f, true, 0);
	} else if (strcmp(a->name, "value_int") == 0) {
		int64_t i;
		if (fe_attr_int(c, n, "value_int", 0, &i))
			return -1;
		v = ir_graph_add_const(c->g, NULL, IR_I64, 0, NULL, &i, true, 0);
	} else if (strcmp(a->name, "value_floats") == 0) {
		const float *f;
		int len;
		if (fe_attr_floats(c, n, "value_floats", INT32_MAX, &f, &len, NULL))
			return -1;
		cnt = len;
		v = ir_graph_add_const(c->g, NULL, IR_F32, 1, &cnt, f, true, 0);
	} else if (strcmp(a->name, "value_ints") == 0) {
		const int64_t *i;
		int len;
		if (fe_attr_ints(c, n, "value_ints", INT32_MAX, &i, &len, NULL))
			return -1;
		cnt = len;
		v = ir_graph_add_const(c->g, NULL, IR_I64, 1, &cnt, i, true, 0);
	} else if (strcmp(a->name, "sparse_value") == 0) {
		return fe_err(c, "sparse constants are not supported");
	} else if (strcmp(a->name, "value_string") == 0 || strcmp(a->name, "value_strings") == 0) {
		return fe_err(c, "string constants are not supported");
	} else {
		return fe_err(c, "unknown attribute '%s'", fe_q(c, a->name));
	}
	fe_out(c, n, 0, v);
	return 0;
}

static int
imp_shape(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k)
{
	ir_value *x;
	int64_t start, end;
	if (fe_in_req(c, n, 0, "data", &x))
		return -1;
	int r = x->rank;
	if (fe_attr_int(c, n, "start", 0, &start) || fe_attr_int(c, n, "end", r, &end))
		return -1;
	if (start < 0)
		start += r;
	if (end < 0)
		end += r;
	start = start < 0 ? 0 : start > r ? r : start;
	end = end < 0 ? 0 : end > r ? r : end;
	int64_t len = end > start ? end - start : 0;
	ir_value *v = ir_graph_add_const(c->g, NULL, IR_I64, 1, &len, x->dims + start, true, 0);
	fe_out(c, n, 0, v);
	return 0;
}

/* ---- the table ---------------------------------------------------------------------- */

typedef int (*import_fn)(fe_ctx *c, const Onnx__NodeProto *n, ir_opkind k);

/* How many inputs an operator takes: from opset since[i], at most max[i]
 * (-1: any number).  Inputs beyond that would be silently ignored, so they
 * are an error. */
typedef struct arity {
	int8_t since[3], max[3];
} arity;

#define IN(m) {{7}, {m}}
#define IN2(m1, s2, m2) {{7, s2}, {m1, m2}}
#define IN3(m1, s2, m2, s3, m3) {{7, s2, s3}, {m1, m2, m3}}

static const struct importer {
	const char *name;
	import_fn fn;
	ir_opkind kind;     /* for importers shared by several operators */
	arity in;
} importers[] = {
	{"Abs", imp_unary, IR_OP_ABS, IN(1)},
	{"Add", imp_binary, IR_OP_ADD, IN(2)},
	{"AveragePool", imp_pool, IR_OP_AVGPOOL, IN(1)},
	{"BatchNormalization", imp_batchnorm, IR_OP_BATCHNORM, IN(5)},
	{"Cast", imp_cast, IR_OP_CAST, IN(1)},
	{"Clip", imp_clip, IR_OP_CLIP, IN2(1, 11, 3)},
	{"Concat", imp_concat, IR_OP_CONCAT, IN(-1)},
	{"Constant", imp_constant, IR_OP_IDENTITY, IN(0)},
	{"Conv", imp_conv, IR_OP_CONV, IN(3)},
	{"Div", imp_binary, IR_OP_DIV, IN(2)},
	{"Dropout", imp_dropout, IR_OP_DROPOUT, IN2(1, 12, 3)},
	{"Exp", imp_unary, IR_OP_EXP, IN(1)},
	{"Expand", imp_expand, IR_OP_EXPAND, IN(2)},
	{"Flatten", imp_flatten, IR_OP_RESHAPE, IN(1)},
	{"Gather", imp_gather, IR_OP_GATHER, IN(2)},
	{"Gemm", imp_gemm, IR_OP_GEMM, IN(3)},
	{"GlobalAveragePool", imp_unary, IR_OP_GLOBALAVGPOOL, IN(1)},
	{"Identity", imp_identity, IR_OP_IDENTITY, IN(1)},
	{"LeakyRelu", imp_leakyrelu, IR_OP_LEAKYRELU, IN(1)},
	{"Log", imp_unary, IR_OP_LOG, IN(1)},
	{"MatMul", imp_binary, IR_OP_MATMUL, IN(2)},
	{"Max", imp_nary, IR_OP_MAX, IN(-1)},
	{"MaxPool", imp_pool, IR_OP_MAXPOOL, IN(1)},
	{"Min", imp_nary, IR_OP_MIN, IN(-1)},
	{"Mul", imp_binary, IR_OP_MUL, IN(2)},
	{"Neg", imp_unary, IR_OP_NEG, IN(1)},
	{"Pad", imp_pad, IR_OP_PAD, IN3(1, 11, 3, 18, 4)},
	{"ReduceMean", imp_reduce, IR_OP_REDUCEMEAN, IN2(1, 18, 2)},
	{"ReduceSum", imp_reduce, IR_OP_REDUCESUM, IN2(1, 13, 2)},
	{"Relu", imp_unary, IR_OP_RELU, IN(1)},
	{"Reshape", imp_reshape, IR_OP_RESHAPE, IN(2)},
	{"Resize", imp_resize, IR_OP_RESIZE, IN2(2, 11, 4)},
	{"Shape", imp_shape, IR_OP_IDENTITY, IN(1)},
	{"Sigmoid", imp_unary, IR_OP_SIGMOID, IN(1)},
	{"Slice", imp_slice, IR_OP_SLICE, IN2(1, 10, 5)},
	{"Softmax", imp_softmax, IR_OP_SOFTMAX, IN(1)},
	{"Split", imp_split, IR_OP_SPLIT, IN2(1, 13, 2)},
	{"Sqrt", imp_unary, IR_OP_SQRT, IN(1)},
	{"Squeeze", imp_squeeze, IR_OP_RESHAPE, IN2(1, 13, 2)},
	{"Sub", imp_binary, IR_OP_SUB, IN(2)},
	{"Sum", imp_nary, IR_OP_SUM, IN(-1)},
	{"Tanh", imp_unary, IR_OP_TANH, IN(1)},
	{"Transpose", imp_transpose, IR_OP_TRANSPOSE, IN(1)},
	{"Unsqueeze", imp_unsqueeze, IR_OP_RESHAPE, IN2(1, 13, 2)},
	{"Upsample", imp_upsample, IR_OP_RESIZE, IN2(1, 9, 2)},
};

#undef IN
#undef IN2
#undef IN3

static const struct importer *
find_importer(const char *op_type)
{
	for (size_t i = 0; i < sizeof importers / sizeof *importers; i++)
		if (strcmp(importers[i].name, op_type) == 0)
			return &importers[i];
	return NULL;
}

bool
fe_op_supported(const char *op_type)
{
	return op_type && find_importer(op_type) != NULL;
}

int
fe_import_node(fe_ctx *c, const Onnx__NodeProto *n)
{
	const struct importer *im = find_importer(n->op_type);
	if (!im)
		return fe_err(c, "unsupported operator '%s'", fe_q(c, n->op_type));
	if (n->n_output == 0)
		return fe_err(c, "node has no outputs");
	int max = im->in.max[0];
	for (int i = 1; i < 3 && im->in.since[i]; i++)
		if (c->opset >= im->in.since[i])
			max = im->in.max[i];
	size_t given = n->n_input;
	while (given > 0 && (!n->input[given - 1] || !*n->input[given - 1]))
		given--; /* trailing absent optional inputs */
	if (max >= 0 && given > (size_t)max)
		return fe_err(c, "has %zu inputs, but %s takes at most %d in opset %lld",
		              given, im->name, max, (ll)c->opset);
	return im->fn(c, n, im->kind);
}
