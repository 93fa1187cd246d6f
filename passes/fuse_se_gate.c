/*
 * fuse_se_gate.c - squeeze-and-excitation gates become two fused ops.
 *
 *   %p = globalavgpool(%x)                 %p = globalavgpool(%x)
 *   %h = relu(fc1(%p))              =>     %g = se_gate(%p, W1, b1, W2, b2)
 *   %s = sigmoid(fc2(%h))                  %y = scale_shift(%x, %g, _)
 *   %y = mul(%x, %s broadcast)
 *
 * fc1 and fc2 are each a 1x1 conv (SE-ResNet as timm/Cadene write it), a
 * Gemm (nn.Linear, transB = 1) or a MatMul by a constant (bias-free
 * Linear); the relu may already be fused into fc1; reshapes, flattens and an
 * Expand may sit between the pieces (canonicalize has already turned
 * ReduceMean over H,W into globalavgpool and a pool's flatten into keepdims =
 * 0).  The weights are normalised to W1 [R,C] and W2 [C,R] (transposed where
 * the exporter stored them the other way), absent biases become zeros.  The
 * scale_shift then takes the block's residual add and relu in
 * fuse-epilogue, so an SE block's tail is one pass over memory.
 *
 * ResNeSt's split attention is the same excitation over the sum of a
 * grouped conv's K radix splits, with a softmax over the radix instead of
 * the sigmoid, and a weighted sum of the splits instead of the mul:
 *
 *   %a, %b = split(%x)                      %p = globalavgpool(%x)
 *   %u = add(%a, %b)                        %g = se_gate(%p, …) {radix = 2, groups = 1}
 *   … fc1, relu, fc2 of pool(%u) …    =>    %y = radix_combine(%x, %g) {radix = 2}
 *   %z = reshape, transpose, softmax, reshape
 *   %s, %t = split(%z)
 *   %y = add(mul(%s, %a), mul(%t, %b))
 *
 * (the pool of the sum is the sum of the pools, which se_gate adds up).
 *
 * Legal because every value between the pool and the mul has exactly one
 * reader and is not a graph output (nothing else sees the intermediates),
 * the pool reads the same tensor the mul scales, the gate is per (image,
 * channel) - the mul broadcasts it over H and W and nothing else - and the
 * fused ops compute the same functions (the dot products in double, so the
 * result is at least as accurate as the unfused graph's).
 */
#include "passes.h"

#include <string.h>

/* v is read once, by the chain being matched, and is not a graph output. */
static bool
private(const ir_graph *g, const ir_value *v)
{
	return v->nuses == 1 && !ir_is_output(g, v);
}

/* Is v [N,C] or [N,C,1,1]? */
static bool
per_channel(const ir_value *v, int64_t N, int64_t C)
{
	if (v->dims[0] != N || v->dims[1] != C)
		return false;
	return v->rank == 2 || (v->rank == 4 && v->dims[2] == 1 && v->dims[3] == 1);
}

static bool
f32_data(const ir_value *v)
{
	return v && v->is_const && v->data && v->dtype == IR_F32;
}

/* Skips single-use reshapes upward: the value a chain of reshapes starts from. */
static ir_value *
through_reshapes(const ir_graph *g, ir_value *v)
{
	while (v->def && v->def->kind == IR_OP_RESHAPE && private(g, v))
		v = v->def->operands[0];
	return v;
}

/* A fully connected layer: y = W x + b with W [out,in]. */
typedef struct fc {
	ir_value *in;       /* its input */
	const float *w;     /* [out][in] or, with wt, [in][out] */
	bool wt;
	const float *b;     /* [out] or NULL */
	int64_t nin, nout;
	const char *act;    /* fused activation or NULL */
} fc;

static bool
match_fc(const ir_graph *g, ir_value *y, fc *f)
{
	ir_op *op = y->def;
	if (!op || !private(g, y) || y->dtype != IR_F32)
		return false;
	memset(f, 0, sizeof *f);
	f->act = ir_op_string(op, "act", NULL);
	if (op->kind == IR_OP_CONV && op->nresults == 1) {
		ir_value *w = op->operands[1], *b = op->noperands > 2 ? op->operands[2] : NULL;
		int n;
		const int64_t *st = ir_op_ints(op, "strides", &n), *pads = ir_op_ints(op, "pads", &n);
		if (!f32_data(w) || (b && !f32_data(b)) || (op->noperands > 3 && op->operands[3]) ||
		    w->dims[2] != 1 || w->dims[3] != 1 || ir_op_int(op, "group", 1) != 1 ||
		    !st || st[0] != 1 || st[1] != 1 || !pads || pads[0] || pads[1] || pads[2] || pads[3])
			return false;
		f->in = op->operands[0];
		f->w = w->data;
		f->b = b ? b->data : NULL;
		f->nout = w->dims[0];
		f->nin = w->dims[1];
		return f->in->rank == 4 && f->in->dims[2] == 1 && f->in->dims[3] == 1;
	}
	if (op->kind == IR_OP_GEMM) {
		ir_value *bm = op->operands[1], *c = op->noperands > 2 ? op->operands[2] : NULL;
		if (ir_op_int(op, "transA", 0) || ir_op_float(op, "alpha", 1) != 1.0f ||
		    (c && ir_op_float(op, "beta", 1) != 1.0f) || !f32_data(bm) || (c && !f32_data(c)))
			return false;
		bool tb = ir_op_int(op, "transB", 0) != 0;
		f->in = op->operands[0];
		f->w = bm->data;
		f->wt = !tb;
		f->nout = tb ? bm->dims[0] : bm->dims[1];
		f->nin = tb ? bm->dims[1] : bm->dims[0];
		if (c && !(c->rank == 1 && c->dims[0] == f->nout) &&
		    !(c->rank == 2 && c->dims[0] == 1 && c->dims[1] == f->nout))
			return false; /* a per-row C is not a bias */
		f->b = c ? c->data : NULL;
		return true;
	}
	if (op->kind == IR_OP_MATMUL) {
		ir_value *bm = op->operands[1];
		if (!f32_data(bm) || bm->rank != 2 || op->operands[0]->rank != 2)
			return false;
		f->in = op->operands[0];
		f->w = bm->data;
		f->wt = true;
		f->nin = bm->dims[0];
		f->nout = bm->dims[1];
		return true;
	}
	return false;
}

/* W as a new [out,in] constant, b as a new [out] constant (zeros if absent). */
static void
fc_consts(ir_graph *g, const fc *f, ir_value **w, ir_value **b)
{
	float *wd = ir_alloc(g, (size_t)(f->nout * f->nin) * sizeof *wd);
	float *bd = ir_alloc(g, (size_t)f->nout * sizeof *bd);
	for (int64_t o = 0; o < f->nout; o++) {
		for (int64_t i = 0; i < f->nin; i++)
			wd[o * f->nin + i] = f->wt ? f->w[i * f->nout + o] : f->w[o * f->nin + i];
		bd[o] = f->b ? f->b[o] : 0.0f;
	}
	int64_t wdims[2] = {f->nout, f->nin}, bdims[1] = {f->nout};
	*w = ir_graph_add_const(g, NULL, IR_F32, 2, wdims, wd, false, 0);
	*b = ir_graph_add_const(g, NULL, IR_F32, 1, bdims, bd, false, 0);
}

/* mul(x, gate) -> scale_shift(x, se_gate(...)); true when rewritten. */
static bool
fuse_one(ir_graph *g, ir_op *mul, ir_err *e)
{
	ir_value *y = mul->results[0];
	for (int side = 0; side < 2; side++) {
		ir_value *x = mul->operands[side], *gv = mul->operands[1 - side];
		if (x->dtype != IR_F32 || x->rank != 4 || !ir_value_same_type(x, y) || x == gv)
			continue;
		int64_t N = x->dims[0], C = x->dims[1];

		/* the gate: sigmoid, then reshapes and at most one expand to x's shape */
		ir_value *v = gv;
		if (!per_channel(v, N, C) && !ir_value_same_type(v, x))
			continue;
		bool expanded = false;
		while (v->def && private(g, v) &&
		       (v->def->kind == IR_OP_RESHAPE || (v->def->kind == IR_OP_EXPAND && !expanded))) {
			if (v->def->kind == IR_OP_EXPAND) {
				expanded = true;
				if (!per_channel(v->def->operands[0], N, C) || v->def->operands[0]->rank != 4)
					break;
			}
			v = v->def->operands[0];
		}
		if (!per_channel(v, N, C) || !v->def || v->def->kind != IR_OP_SIGMOID || !private(g, v))
			continue; /* not a per-channel gate (e.g. an elementwise mul) */
		if (ir_value_same_type(gv, x) && !expanded)
			continue;

		/* excitation: fc2(relu(fc1(pool))) */
		fc f1, f2;
		ir_value *z = v->def->operands[0];
		if (!per_channel(z, N, C) || !match_fc(g, z, &f2) || f2.act || f2.nout != C)
			continue;
		ir_value *h = f2.in;
		if (h->def && h->def->kind == IR_OP_RELU && private(g, h)) {
			if (!match_fc(g, h->def->operands[0], &f1) || f1.act)
				continue;
		} else if (!match_fc(g, h, &f1) || !f1.act || strcmp(f1.act, "relu") != 0) {
			continue;
		}
		if (f1.nout != f2.nin || f1.nin != C || f1.nout > IR_SE_MAX_HIDDEN ||
		    C > IR_SE_MAX_CHANNELS)
			continue;

		/* squeeze: the pool of the same x */
		ir_value *p = through_reshapes(g, f1.in);
		if (!p->def || p->def->kind != IR_OP_GLOBALAVGPOOL || p->def->operands[0] != x ||
		    !per_channel(p, N, C))
			continue;

		ir_value *ops[5] = {p};
		fc_consts(g, &f1, &ops[1], &ops[2]);
		fc_consts(g, &f2, &ops[3], &ops[4]);
		ir_op *gate = ir_op_new(g, IR_OP_SE_GATE, ops, 5, 1);
		gate->loc = v->def->loc;
		ir_value *sops[3] = {x, NULL, NULL};
		if (ir_op_infer(g, gate, e) != 0)
			return false;
		sops[1] = gate->results[0];
		ir_op *ss = ir_op_new(g, IR_OP_SCALE_SHIFT, sops, 3, 1);
		ss->loc = mul->loc;
		if (ir_op_infer(g, ss, e) != 0)
			return false;
		ir_op_insert_before(g, gate, mul);
		ir_op_insert_before(g, ss, mul);
		ir_value_replace_uses(g, y, ss->results[0]);
		ir_op_remove(g, mul);
		return true;
	}
	return false;
}

/* ---- ResNeSt split attention ---------------------------------------------- */

enum { MAXK = IR_SE_MAX_RADIX };

/*
 * The leaves of the tree of adds rooted at v (inner adds must be private);
 * false when there are more than MAXK or an add broadcasts.
 */
static bool
add_leaves(const ir_graph *g, ir_value *v, bool root, ir_value **out, int *n)
{
	ir_op *op = v->def;
	if (op && op->kind == IR_OP_ADD && (root || private(g, v)) &&
	    ir_value_same_type(op->operands[0], v) && ir_value_same_type(op->operands[1], v))
		return add_leaves(g, op->operands[0], false, out, n) &&
		       add_leaves(g, op->operands[1], false, out, n);
	if (*n >= MAXK)
		return false;
	out[(*n)++] = v;
	return true;
}

/* v is result i of a split along axis 1 into k equal parts: the split op */
static ir_op *
radix_split(const ir_value *v, int k)
{
	ir_op *s = v->def;
	if (!s || s->kind != IR_OP_SPLIT || s->nresults != k || ir_op_int(s, "axis", -1) != 1)
		return NULL;
	for (int i = 0; i < k; i++)
		if (!ir_value_same_type(s->results[i], s->results[0]))
			return NULL;
	return s;
}

static bool
fuse_split_attention(ir_graph *g, ir_op *root, ir_err *e)
{
	ir_value *leaf[MAXK], *u[MAXK];
	int k = 0, ku = 0;
	if (!add_leaves(g, root->results[0], true, leaf, &k) || k < 2)
		return false;

	/* leaves: mul(a_r, x_r), x_r split r of X, a_r split r of the gate */
	ir_op *S = NULL, *T = NULL;
	ir_value *xs[MAXK] = {0};
	for (int i = 0; i < k; i++) {
		ir_op *m = leaf[i]->def;
		if (!m || m->kind != IR_OP_MUL || !private(g, leaf[i]))
			return false;
		/* x has the product's shape; a is the per-channel weight */
		int side = ir_value_same_type(m->operands[0], leaf[i]) ? 0 : 1;
		ir_value *x = m->operands[side], *a = m->operands[1 - side];
		ir_op *sx = radix_split(x, k), *sa = radix_split(a, k);
		if (!sx || !sa || (S && sx != S) || (T && sa != T) || x->def_index != a->def_index ||
		    xs[x->def_index] || !ir_value_same_type(x, leaf[i]) || x->rank != 4 || x->nuses != 2)
			return false;
		S = sx;
		T = sa;
		xs[x->def_index] = x;
	}
	ir_value *X = S->operands[0];
	int64_t N = X->dims[0], C = xs[0]->dims[1];
	if (!per_channel(T->results[0], N, C))
		return false;

	/* the gate: reshape [N,G,K,C/G], transpose [0,2,1,3], softmax 1, reshape */
	ir_value *v = T->operands[0];
	if (!private(g, v) || !v->def || v->def->kind != IR_OP_RESHAPE)
		return false;
	ir_value *sm = v->def->operands[0];
	if (!private(g, sm) || !sm->def || sm->def->kind != IR_OP_SOFTMAX ||
	    ir_op_int(sm->def, "axis", -1) != 1)
		return false;
	ir_value *tr = sm->def->operands[0];
	int np;
	const int64_t *perm = tr->def ? ir_op_ints(tr->def, "perm", &np) : NULL;
	if (!private(g, tr) || !tr->def || tr->def->kind != IR_OP_TRANSPOSE || !perm || np != 4 ||
	    perm[0] != 0 || perm[1] != 2 || perm[2] != 1 || perm[3] != 3)
		return false;
	ir_value *r1 = tr->def->operands[0];
	if (!private(g, r1) || !r1->def || r1->def->kind != IR_OP_RESHAPE || r1->rank != 4 ||
	    r1->dims[0] != N || r1->dims[2] != k || r1->dims[1] * r1->dims[3] != C)
		return false;
	int64_t G = r1->dims[1];

	/* the excitation */
	fc f1, f2;
	ir_value *z = r1->def->operands[0];
	if (!per_channel(z, N, k * C) || !match_fc(g, z, &f2) || f2.act || f2.nout != k * C)
		return false;
	ir_value *h = f2.in;
	if (h->def && h->def->kind == IR_OP_RELU && private(g, h)) {
		if (!match_fc(g, h->def->operands[0], &f1) || f1.act)
			return false;
	} else if (!match_fc(g, h, &f1) || !f1.act || strcmp(f1.act, "relu") != 0) {
		return false;
	}
	if (f1.nout != f2.nin || f1.nin != C || f1.nout > IR_SE_MAX_HIDDEN ||
	    k * C > IR_SE_MAX_CHANNELS)
		return false;

	/* the squeeze: the pool of the sum of the splits */
	ir_value *p = through_reshapes(g, f1.in);
	if (!p->def || p->def->kind != IR_OP_GLOBALAVGPOOL || !per_channel(p, N, C) || !private(g, p))
		return false;
	if (!add_leaves(g, p->def->operands[0], false, u, &ku) || ku != k)
		return false;
	bool seen[MAXK] = {0};
	for (int i = 0; i < k; i++) {
		if (u[i]->def != S || seen[u[i]->def_index])
			return false;
		seen[u[i]->def_index] = true;
	}

	ir_op *pool = ir_op_new(g, IR_OP_GLOBALAVGPOOL, &X, 1, 1);
	pool->loc = p->def->loc;
	if (ir_op_infer(g, pool, e) != 0)
		return false;
	ir_value *ops[5] = {pool->results[0]};
	fc_consts(g, &f1, &ops[1], &ops[2]);
	fc_consts(g, &f2, &ops[3], &ops[4]);
	ir_op *gate = ir_op_new(g, IR_OP_SE_GATE, ops, 5, 1);
	gate->loc = sm->def->loc;
	ir_op_set_int(g, gate, "radix", k);
	ir_op_set_int(g, gate, "groups", G);
	if (ir_op_infer(g, gate, e) != 0)
		return false;
	ir_value *cops[2] = {X, gate->results[0]};
	ir_op *comb = ir_op_new(g, IR_OP_RADIX_COMBINE, cops, 2, 1);
	comb->loc = root->loc;
	ir_op_set_int(g, comb, "radix", k);
	if (ir_op_infer(g, comb, e) != 0)
		return false;
	if (!ir_value_same_type(comb->results[0], root->results[0]))
		return false;
	ir_op_insert_before(g, pool, root);
	ir_op_insert_before(g, gate, root);
	ir_op_insert_before(g, comb, root);
	ir_value_replace_uses(g, root->results[0], comb->results[0]);
	ir_op_remove(g, root);
	return true;
}

int
pass_fuse_se_gate(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	ir_graph_compute_uses(g);
	for (ir_op *op = g->first, *next; op; op = next) {
		next = op->next;
		if (op->kind != IR_OP_MUL && op->kind != IR_OP_ADD)
			continue;
		e->msg[0] = 0;
		bool done = op->kind == IR_OP_MUL ? fuse_one(g, op, e) : fuse_split_attention(g, op, e);
		if (done)
			ir_graph_compute_uses(g);
		else if (e->msg[0])
			return -1;
	}
	/* the excitation chains are dead now */
	return pass_dce(g, o, e);
}
