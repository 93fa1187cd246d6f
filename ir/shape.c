/*
 * shape.c - shape inference and legality checks for every IR op.
 *
 * ir_op_infer() reads an op's operand types and attributes, checks that they
 * are legal for the op (docs/ir.md is the contract), and writes the result
 * types.  The frontend calls it on each op it creates; the verifier calls it
 * on every op and compares, so it is deterministic and writes nothing but
 * the results' dtype/rank/dims, and those only on success.
 *
 * Ops whose result shape cannot be derived from operands and attributes
 * (reshape, expand, slice, cast, resize) take their result type from the
 * creator; for them ir_op_infer only checks that the given type is
 * consistent (same element count, broadcast-compatible, in range...).
 *
 * The IR may come from untrusted text (resc-opt), so nothing here trusts an
 * attribute: lengths, ranges and every product are checked, and arithmetic
 * that could overflow int64 is done with overflow checks or on values first
 * bounded by ATTR_MAX.  Messages are one line, "op: what", no prefix.
 */
#include "ir.h"

#include <math.h>
#include <string.h>

/* Bound on spatial attributes (strides, pads, dilations, kernel sizes) so
 * that sums of a dim and a few of them never overflow int64. */
#define ATTR_MAX ((int64_t)1 << 40)

typedef long long ll;

/* A result type being computed. */
typedef struct shp {
	ir_dtype t;
	int rank;
	int64_t d[IR_MAX_DIMS];
} shp;

static const char *
opname(const ir_op *op)
{
	return (unsigned)op->kind < IR_NOPKINDS ? ir_opinfos[op->kind].name : "?";
}

/* "[2,3,4]" into buf. */
static const char *
fmt_dims(char *buf, size_t n, int rank, const int64_t *d)
{
	size_t k = 0;
	if (rank < 0 || rank > IR_MAX_DIMS)
		rank = 0;
	k += (size_t)snprintf(buf + k, n - k, "[");
	for (int i = 0; i < rank && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (ll)d[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

#define DIMS(buf, v) fmt_dims(buf, sizeof buf, (v)->rank, (v)->dims)

/* ---- attribute access with checks -------------------------------------- */

static const ir_attr *
find_attr(const ir_op *op, const char *name)
{
	for (int i = 0; i < op->nattrs; i++)
		if (op->attrs[i].name && strcmp(op->attrs[i].name, name) == 0)
			return &op->attrs[i];
	return NULL;
}

static int
get_int(const ir_op *op, const char *name, int64_t *v, ir_err *e)
{
	const ir_attr *a = find_attr(op, name);
	if (!a)
		return ir_errf(e, "%s: missing attribute '%s'", opname(op), name);
	if (a->kind != IR_ATTR_INT)
		return ir_errf(e, "%s: attribute '%s' must be an int", opname(op), name);
	*v = a->i;
	return 0;
}

/* An int attribute that must be 0 or 1. */
static int
get_flag(const ir_op *op, const char *name, int64_t *v, ir_err *e)
{
	if (get_int(op, name, v, e))
		return -1;
	if (*v != 0 && *v != 1)
		return ir_errf(e, "%s: attribute '%s' must be 0 or 1, not %lld", opname(op), name, (ll)*v);
	return 0;
}

static int
get_float(const ir_op *op, const char *name, float *v, ir_err *e)
{
	const ir_attr *a = find_attr(op, name);
	if (!a)
		return ir_errf(e, "%s: missing attribute '%s'", opname(op), name);
	if (a->kind == IR_ATTR_FLOAT)
		*v = a->f;
	else if (a->kind == IR_ATTR_INT)
		*v = (float)a->i;
	else
		return ir_errf(e, "%s: attribute '%s' must be a float", opname(op), name);
	return 0;
}

/* A list of exactly n ints (n < 0: any length). */
static int
get_ints(const ir_op *op, const char *name, int n, const int64_t **v, int *len, ir_err *e)
{
	const ir_attr *a = find_attr(op, name);
	if (!a)
		return ir_errf(e, "%s: missing attribute '%s'", opname(op), name);
	if (a->kind != IR_ATTR_INTS || (a->n > 0 && !a->ints) || a->n < 0)
		return ir_errf(e, "%s: attribute '%s' must be a list of ints", opname(op), name);
	if (n >= 0 && a->n != n)
		return ir_errf(e, "%s: attribute '%s' must have %d entries, not %d",
		               opname(op), name, n, a->n);
	*v = a->ints;
	if (len)
		*len = a->n;
	return 0;
}

static int
get_floats(const ir_op *op, const char *name, int n, const float **v, ir_err *e)
{
	const ir_attr *a = find_attr(op, name);
	if (!a)
		return ir_errf(e, "%s: missing attribute '%s'", opname(op), name);
	if (a->kind != IR_ATTR_FLOATS || (a->n > 0 && !a->floats) || a->n < 0)
		return ir_errf(e, "%s: attribute '%s' must be a list of floats", opname(op), name);
	if (a->n != n)
		return ir_errf(e, "%s: attribute '%s' must have %d entries, not %d",
		               opname(op), name, n, a->n);
	*v = a->floats;
	return 0;
}

/* A string attribute that must be one of the NULL-terminated list. */
static int
get_choice(const ir_op *op, const char *name, const char *const *choices, ir_err *e)
{
	const ir_attr *a = find_attr(op, name);
	if (!a)
		return ir_errf(e, "%s: missing attribute '%s'", opname(op), name);
	if (a->kind != IR_ATTR_STRING || !a->s)
		return ir_errf(e, "%s: attribute '%s' must be a string", opname(op), name);
	for (int i = 0; choices[i]; i++)
		if (strcmp(a->s, choices[i]) == 0)
			return 0;
	return ir_errf(e, "%s: unsupported %s \"%.64s\"", opname(op), name, a->s);
}

/* Each of the n values in [lo, hi]. */
static int
check_range(const ir_op *op, const char *name, const int64_t *v, int n,
            int64_t lo, int64_t hi, ir_err *e)
{
	for (int i = 0; i < n; i++)
		if (v[i] < lo || v[i] > hi) {
			if (hi == ATTR_MAX && v[i] >= lo)
				return ir_errf(e, "%s: %s value %lld is too large", opname(op), name, (ll)v[i]);
			return ir_errf(e, "%s: %s must be %s, not %lld", opname(op), name,
			               lo > 0 ? "positive" : "non-negative", (ll)v[i]);
		}
	return 0;
}

/* ---- operand checks ----------------------------------------------------- */

static ir_value *
opnd(const ir_op *op, int i)
{
	return i < op->noperands ? op->operands[i] : NULL;
}

/* dtype must be one of the set (a bit mask over ir_dtype). */
#define DT(t) (1u << (t))
#define DT_FLOAT DT(IR_F32)
#define DT_ARITH (DT(IR_F32) | DT(IR_I32) | DT(IR_I64))
#define DT_ANY ((1u << IR_NDTYPES) - 1)

static int
check_dtype(const ir_op *op, const ir_value *v, const char *what, unsigned set, ir_err *e)
{
	if ((unsigned)v->dtype >= IR_NDTYPES)
		return ir_errf(e, "%s: %s has an invalid dtype", opname(op), what);
	if (!(set & DT(v->dtype))) {
		const char *want = set == DT_FLOAT ? "f32" : set == DT_ARITH ? "f32, i32 or i64" :
		                   set == (DT(IR_I32) | DT(IR_I64)) ? "i32 or i64" : "another dtype";
		return ir_errf(e, "%s: %s has dtype %s, expected %s", opname(op), what,
		               ir_dtype_name(v->dtype), want);
	}
	return 0;
}

/* A type is well formed: valid dtype, rank 0..IR_MAX_DIMS, dims >= 0 and a
 * byte size that fits in int64. */
static int
check_type(const ir_op *op, const ir_value *v, const char *what, ir_err *e)
{
	if ((unsigned)v->dtype >= IR_NDTYPES)
		return ir_errf(e, "%s: %s has an invalid dtype", opname(op), what);
	if (v->rank < 0 || v->rank > IR_MAX_DIMS)
		return ir_errf(e, "%s: %s has rank %d (at most %d)", opname(op), what, v->rank, IR_MAX_DIMS);
	int64_t n = (int64_t)ir_dtype_size(v->dtype);
	for (int i = 0; i < v->rank; i++) {
		if (v->dims[i] < 0)
			return ir_errf(e, "%s: %s has a negative dimension", opname(op), what);
		if (ir_mul_overflows(n, v->dims[i], &n))
			return ir_errf(e, "%s: %s is too large", opname(op), what);
	}
	return 0;
}

/* Counts per ops.def; absent (NULL) operands only where optional. */
static int
check_arity(const ir_op *op, ir_err *e)
{
	const ir_opinfo *in = &ir_opinfos[op->kind];
	if (op->noperands < in->min_operands ||
	    (in->max_operands >= 0 && op->noperands > in->max_operands)) {
		if (in->max_operands < 0)
			return ir_errf(e, "%s: takes at least %d operands, not %d", in->name,
			               in->min_operands, op->noperands);
		if (in->min_operands == in->max_operands)
			return ir_errf(e, "%s: takes %d operand%s, not %d", in->name, in->min_operands,
			               in->min_operands == 1 ? "" : "s", op->noperands);
		return ir_errf(e, "%s: takes %d to %d operands, not %d", in->name,
		               in->min_operands, in->max_operands, op->noperands);
	}
	if (in->nresults >= 0 ? op->nresults != in->nresults : op->nresults < 1)
		return ir_errf(e, "%s: has %d results", in->name, op->nresults);
	if (!op->operands && op->noperands)
		return ir_errf(e, "%s: no operand list", in->name);
	if (!op->results)
		return ir_errf(e, "%s: no result list", in->name);
	for (int i = 0; i < op->noperands; i++) {
		char what[32];
		snprintf(what, sizeof what, "operand %d", i);
		if (!op->operands[i]) {
			if (i < in->min_operands || in->max_operands < 0)
				return ir_errf(e, "%s: operand %d is required", in->name, i);
			continue;
		}
		if (check_type(op, op->operands[i], what, e))
			return -1;
	}
	for (int i = 0; i < op->nresults; i++)
		if (!op->results[i])
			return ir_errf(e, "%s: result %d is missing", in->name, i);
	return 0;
}

/* ---- results ------------------------------------------------------------ */

/* Checks that every computed type is representable, then writes them. */
static int
finish(ir_op *op, const shp *s, int n, ir_err *e)
{
	for (int r = 0; r < n; r++) {
		if (s[r].rank > IR_MAX_DIMS)
			return ir_errf(e, "%s: result rank %d exceeds %d", opname(op), s[r].rank, IR_MAX_DIMS);
		int64_t bytes = (int64_t)ir_dtype_size(s[r].t);
		for (int i = 0; i < s[r].rank; i++)
			if (s[r].d[i] < 0 || ir_mul_overflows(bytes, s[r].d[i], &bytes)) {
				char b[160];
				return ir_errf(e, "%s: result %s is too large", opname(op),
				               fmt_dims(b, sizeof b, s[r].rank, s[r].d));
			}
	}
	for (int r = 0; r < n; r++) {
		ir_value *v = op->results[r];
		v->dtype = s[r].t;
		v->rank = s[r].rank;
		for (int i = 0; i < s[r].rank; i++)
			v->dims[i] = s[r].d[i];
	}
	return 0;
}

static shp
shp_of(const ir_value *v)
{
	shp s;
	memset(&s, 0, sizeof s);
	s.t = v->dtype;
	s.rank = v->rank;
	for (int i = 0; i < v->rank; i++)
		s.d[i] = v->dims[i];
	return s;
}

/* A result whose type was set by the creator: it must be well formed. */
static int
check_given_result(const ir_op *op, ir_err *e)
{
	return check_type(op, op->results[0], "result", e);
}

/* ---- broadcasting -------------------------------------------------------- */

/* Numpy broadcasting of s with (rank, d) into s. */
static int
broadcast_into(const ir_op *op, shp *s, int rank, const int64_t *d, ir_err *e)
{
	int r = s->rank > rank ? s->rank : rank;
	int64_t out[IR_MAX_DIMS];
	for (int i = 0; i < r; i++) {
		int ia = i - (r - s->rank), ib = i - (r - rank);
		int64_t a = ia >= 0 ? s->d[ia] : 1, b = ib >= 0 ? d[ib] : 1;
		if (a == b || b == 1)
			out[i] = a;
		else if (a == 1)
			out[i] = b;
		else {
			char b1[160], b2[160];
			return ir_errf(e, "%s: shapes %s and %s do not broadcast", opname(op),
			               fmt_dims(b1, sizeof b1, s->rank, s->d), fmt_dims(b2, sizeof b2, rank, d));
		}
	}
	s->rank = r;
	memcpy(s->d, out, (size_t)r * sizeof *out);
	return 0;
}

static int
infer_elementwise(ir_op *op, ir_err *e)
{
	unsigned set = op->kind == IR_OP_SUM ? DT_FLOAT : DT_ARITH;
	ir_value *a = op->operands[0];
	if (check_dtype(op, a, "operand 0", set, e))
		return -1;
	shp s = shp_of(a);
	for (int i = 1; i < op->noperands; i++) {
		ir_value *b = op->operands[i];
		if (b->dtype != a->dtype)
			return ir_errf(e, "%s: operand dtypes %s and %s differ", opname(op),
			               ir_dtype_name(a->dtype), ir_dtype_name(b->dtype));
		if (broadcast_into(op, &s, b->rank, b->dims, e))
			return -1;
	}
	return finish(op, &s, 1, e);
}

static int
infer_unary(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	unsigned set = DT_FLOAT;
	if (op->kind == IR_OP_ABS || op->kind == IR_OP_NEG)
		set = DT_ARITH;
	else if (op->kind == IR_OP_IDENTITY || op->kind == IR_OP_DROPOUT)
		set = DT_ANY;
	if (check_dtype(op, x, "operand", set, e))
		return -1;
	if (op->kind == IR_OP_LEAKYRELU) {
		float alpha;
		if (get_float(op, "alpha", &alpha, e))
			return -1;
	} else if (op->kind == IR_OP_CLIP) {
		float lo, hi;
		if (get_float(op, "min", &lo, e) || get_float(op, "max", &hi, e))
			return -1;
		if (isnan(lo) || isnan(hi))
			return ir_errf(e, "clip: min and max must not be NaN");
	}
	shp s = shp_of(x);
	return finish(op, &s, 1, e);
}

/* ---- convolution and pooling --------------------------------------------- */

/* Output size of one spatial axis of a conv or pool; ceil_mode and the rule
 * that the last window must start inside the input or the left padding, as
 * PyTorch (and ONNX Runtime) do. */
static int
window_out(const ir_op *op, int axis, int64_t in, int64_t k, int64_t stride, int64_t dil,
           int64_t pb, int64_t pe, int ceil_mode, int64_t *out, int64_t *keff, ir_err *e)
{
	int64_t span;
	if (ir_mul_overflows(k - 1, dil, &span) || span > ((int64_t)1 << 61))
		return ir_errf(e, "%s: dilated kernel on axis %d is too large", opname(op), axis);
	*keff = span + 1;
	int64_t padded = in + pb + pe;
	if (*keff > padded)
		return 1; /* caller reports with both axes */
	int64_t n = padded - *keff;
	int64_t o = (ceil_mode ? (n + stride - 1) / stride : n / stride) + 1;
	if (ceil_mode && (o - 1) * stride >= in + pb)
		o--;
	*out = o;
	return 0;
}

/*
 * A fused activation attribute `name` (conv's and gemm's epilogue "act",
 * or a conv's "post_act"): "relu" or "clip" (with name_min/name_max, not
 * NaN), absent for none.
 */
static int
check_act_named(const ir_op *op, const char *name, ir_err *e)
{
	const ir_attr *a = find_attr(op, name);
	if (!a)
		return 0;
	if (a->kind != IR_ATTR_STRING || !a->s)
		return ir_errf(e, "%s: attribute '%s' must be a string", opname(op), name);
	if (strcmp(a->s, "relu") == 0)
		return 0;
	if (strcmp(a->s, "clip") != 0)
		return ir_errf(e, "%s: unknown fused activation \"%.40s\" (relu or clip)", opname(op), a->s);
	char kmin[32], kmax[32];
	snprintf(kmin, sizeof kmin, "%s_min", name);
	snprintf(kmax, sizeof kmax, "%s_max", name);
	float lo, hi;
	if (get_float(op, kmin, &lo, e) || get_float(op, kmax, &hi, e))
		return -1;
	if (isnan(lo) || isnan(hi))
		return ir_errf(e, "%s: clip bounds must not be NaN", opname(op));
	return 0;
}

static int
check_act(const ir_op *op, ir_err *e)
{
	return check_act_named(op, "act", e);
}

static int
infer_conv(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *w = op->operands[1], *b = opnd(op, 2);
	const int64_t *strides, *pads, *dil;
	int64_t group;
	char b1[160], b2[160];

	if (check_dtype(op, x, "input", DT_FLOAT, e) || check_dtype(op, w, "weight", DT_FLOAT, e) ||
	    (b && check_dtype(op, b, "bias", DT_FLOAT, e)))
		return -1;
	if (x->rank != 4 || w->rank != 4)
		return ir_errf(e, "conv: input %s and weight %s must both have rank 4",
		               DIMS(b1, x), DIMS(b2, w));
	if (get_ints(op, "strides", 2, &strides, NULL, e) || get_ints(op, "pads", 4, &pads, NULL, e) ||
	    get_ints(op, "dilations", 2, &dil, NULL, e) || get_int(op, "group", &group, e))
		return -1;
	if (check_range(op, "strides", strides, 2, 1, ATTR_MAX, e) ||
	    check_range(op, "pads", pads, 4, 0, ATTR_MAX, e) ||
	    check_range(op, "dilations", dil, 2, 1, ATTR_MAX, e))
		return -1;
	if (group < 1)
		return ir_errf(e, "conv: group must be positive, not %lld", (ll)group);
	int64_t C = x->dims[1], M = w->dims[0];
	for (int i = 0; i < 4; i++)
		if (w->dims[i] == 0)
			return ir_errf(e, "conv: weight %s has a zero dimension", DIMS(b1, w));
	if (C == 0)
		return ir_errf(e, "conv: input %s has no channels", DIMS(b1, x));
	if (C % group)
		return ir_errf(e, "conv: group %lld does not divide %lld input channels", (ll)group, (ll)C);
	if (w->dims[1] != C / group)
		return ir_errf(e, "conv: weight %s has %lld input channels per group, expected %lld (%lld channels / group %lld)",
		               DIMS(b1, w), (ll)w->dims[1], (ll)(C / group), (ll)C, (ll)group);
	if (M % group)
		return ir_errf(e, "conv: group %lld does not divide %lld output channels", (ll)group, (ll)M);
	if (b && (b->rank != 1 || b->dims[0] != M))
		return ir_errf(e, "conv: bias %s does not match %lld output channels", DIMS(b1, b), (ll)M);
	if (check_act(op, e))
		return -1;
	const ir_attr *algo = find_attr(op, "algo");
	if (algo && (algo->kind != IR_ATTR_STRING || !algo->s ||
	             (strcmp(algo->s, "block") != 0 && strcmp(algo->s, "pixel") != 0 &&
	              strcmp(algo->s, "depthwise") != 0)))
		return ir_errf(e, "conv: attribute 'algo' must be \"block\", \"pixel\" or \"depthwise\"");
	if (algo && strcmp(algo->s, "pixel") == 0 && strides[1] != 1 && strides[1] != 2)
		return ir_errf(e, "conv: algo \"pixel\" needs stride 1 or 2 along the row, not %lld",
		               (ll)strides[1]);
	if (algo && strcmp(algo->s, "depthwise") == 0 && (group != C || M != C))
		return ir_errf(e, "conv: algo \"depthwise\" needs group = input channels = output "
		               "channels (%lld, %lld, %lld)", (ll)group, (ll)C, (ll)M);

	shp s = {.t = IR_F32, .rank = 4, .d = {x->dims[0], M}};
	int64_t keff[2];
	int bad = 0;
	for (int i = 0; i < 2; i++) {
		int r = window_out(op, i + 2, x->dims[2 + i], w->dims[2 + i], strides[i], dil[i],
		                   pads[i], pads[i + 2], 0, &s.d[2 + i], &keff[i], e);
		if (r < 0)
			return -1;
		bad |= r;
	}
	if (bad)
		return ir_errf(e, "conv: kernel %lldx%lld larger than padded input %lldx%lld",
		               (ll)keff[0], (ll)keff[1], (ll)(x->dims[2] + pads[0] + pads[2]),
		               (ll)(x->dims[3] + pads[1] + pads[3]));
	ir_value *r = opnd(op, 3);
	if (r) {
		if (check_dtype(op, r, "residual", DT_FLOAT, e))
			return -1;
		if (r->rank != 4 || memcmp(r->dims, s.d, sizeof(int64_t) * 4) != 0)
			return ir_errf(e, "conv: residual %s does not match the result %s",
			               DIMS(b1, r), fmt_dims(b2, sizeof b2, 4, s.d));
	}
	/* pre-activation: a second result post_act(y*s + t) (passes/fuse_preact.c);
	 * row_sums: a second result [N,M,OH], the sums of y's rows
	 * (passes/fuse_se_mean.c) */
	ir_value *ps = opnd(op, 4), *pt = opnd(op, 5);
	int64_t rows = 0;
	if (find_attr(op, "row_sums") && get_int(op, "row_sums", &rows, e))
		return -1;
	if (rows != 0 && rows != 1)
		return ir_errf(e, "conv: attribute 'row_sums' must be 0 or 1, not %lld", (ll)rows);
	if (rows && ps)
		return ir_errf(e, "conv: a post scale and row sums cannot both give the second result");
	int nres = ps || rows ? 2 : 1;
	if (pt && !ps)
		return ir_errf(e, "conv: a post shift (operand 5) needs a post scale (operand 4)");
	if (op->nresults != nres)
		return ir_errf(e, "conv: %d result%s, expected %d (%s)", op->nresults,
		               op->nresults == 1 ? "" : "s", nres,
		               ps     ? "a post scale gives a second result"
		               : rows ? "row_sums gives a second result"
		                      : "no post scale or row sums");
	if (!ps && (find_attr(op, "post_act") || find_attr(op, "post_act_min") ||
	            find_attr(op, "post_act_max")))
		return ir_errf(e, "conv: attribute 'post_act' without a post scale");
	for (int i = 0; i < 2 && ps; i++) {
		ir_value *v = i ? pt : ps;
		if (!v)
			continue;
		if (check_dtype(op, v, i ? "post shift" : "post scale", DT_FLOAT, e))
			return -1;
		if (v->rank != 1 || v->dims[0] != M)
			return ir_errf(e, "conv: post %s %s does not match %lld output channels",
			               i ? "shift" : "scale", DIMS(b1, v), (ll)M);
	}
	if (ps && check_act_named(op, "post_act", e))
		return -1;
	shp rs[2] = {s, s};
	if (rows) {
		rs[1].rank = 3;
		rs[1].d[2] = s.d[2];
		rs[1].d[3] = 0;
	}
	return finish(op, rs, nres, e);
}

/*
 * scale_shift(x [N,C,...], s, t, r) {act}: y = act(x*s + t + r); s is [C]
 * or [N,C], t is [C], [N,C] or absent, r has x's type or is absent.
 */
static int
infer_scale_shift(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *sv = op->operands[1], *t = opnd(op, 2), *r = opnd(op, 3);
	char b1[160], b2[160];
	if (check_dtype(op, x, "input", DT_FLOAT, e) || check_dtype(op, sv, "scale", DT_FLOAT, e) ||
	    (t && check_dtype(op, t, "shift", DT_FLOAT, e)) ||
	    (r && check_dtype(op, r, "residual", DT_FLOAT, e)) || check_act(op, e))
		return -1;
	if (x->rank < 2)
		return ir_errf(e, "scale_shift: input %s must have rank 2 or more", DIMS(b1, x));
	int64_t N = x->dims[0], C = x->dims[1];
	const ir_value *pv[2] = {sv, t};
	for (int i = 0; i < 2; i++) {
		const ir_value *v = pv[i];
		if (!v)
			continue;
		bool ok = (v->rank == 1 && v->dims[0] == C) ||
		          (v->rank == 2 && v->dims[0] == N && v->dims[1] == C);
		if (!ok)
			return ir_errf(e, "scale_shift: %s %s must be [%lld] or [%lld,%lld] for input %s",
			               i ? "shift" : "scale", DIMS(b1, v), (ll)C, (ll)N, (ll)C, DIMS(b2, x));
	}
	if (r && !ir_value_same_type(r, x))
		return ir_errf(e, "scale_shift: residual %s does not match the input %s", DIMS(b1, r), DIMS(b2, x));
	shp s = shp_of(x);
	return finish(op, &s, 1, e);
}

/*
 * se_gate(m, w1 [R,C], b1 [R], w2 [K*C,R], b2 [K*C]) {radix = K, groups}:
 * the excitation of a squeeze-and-excitation block (K = 1: sigmoid(w2
 * relu(w1 m + b1) + b2)) or of ResNeSt's split attention (K > 1: m's K
 * radix groups summed first, then a softmax over the radix).  m is [N,K*C]
 * or [N,K*C,1,1], the channel means; or, with attribute pixels = P,
 * [N,K*C,R], row sums whose sum over R divided by P is the mean (a conv's
 * row_sums result, passes/fuse_se_mean.c).  The gate is [N,K*C].
 */
static int
infer_se_gate(ir_op *op, ir_err *e)
{
	ir_value *m = op->operands[0], *w1 = op->operands[1], *b1 = op->operands[2];
	ir_value *w2 = op->operands[3], *b2 = op->operands[4];
	char b[160];
	for (int i = 0; i < 5; i++)
		if (check_dtype(op, op->operands[i], i ? "weight" : "input", DT_FLOAT, e))
			return -1;
	int64_t K = 1, G = 1;
	const ir_attr *ra = find_attr(op, "radix"), *ga = find_attr(op, "groups");
	if ((ra && get_int(op, "radix", &K, e)) || (ga && get_int(op, "groups", &G, e)))
		return -1;
	int64_t P = 0;
	if (find_attr(op, "pixels") && get_int(op, "pixels", &P, e))
		return -1;
	bool m_ok = m->rank == 2 || (m->rank == 4 && m->dims[2] == 1 && m->dims[3] == 1);
	if (find_attr(op, "pixels")) {
		if (m->rank != 3)
			return ir_errf(e, "se_gate: attribute 'pixels' needs row sums [N,C,R] as input, not %s",
			               DIMS(b, m));
		if (P < 1 || P > ATTR_MAX)
			return ir_errf(e, "se_gate: pixels must be positive, not %lld", (ll)P);
		m_ok = true;
	} else if (m->rank == 3) {
		return ir_errf(e, "se_gate: row sums %s as input need the attribute 'pixels'", DIMS(b, m));
	}
	if (!m_ok)
		return ir_errf(e, "se_gate: input %s must be [N,C] or [N,C,1,1]", DIMS(b, m));
	int64_t N = m->dims[0], KC = m->dims[1];
	if (KC > IR_SE_MAX_CHANNELS)
		return ir_errf(e, "se_gate: %lld channels, at most %d", (ll)KC, IR_SE_MAX_CHANNELS);
	if (K > IR_SE_MAX_RADIX)
		return ir_errf(e, "se_gate: radix %lld, at most %d", (ll)K, IR_SE_MAX_RADIX);
	if (K < 1 || G < 1 || KC % K || (KC / K) % G)
		return ir_errf(e, "se_gate: radix %lld and groups %lld do not divide %lld channels",
		               (ll)K, (ll)G, (ll)KC);
	int64_t C = KC / K;
	if (w1->rank != 2 || w1->dims[1] != C || w1->dims[0] < 1)
		return ir_errf(e, "se_gate: w1 %s must be [R,%lld]", DIMS(b, w1), (ll)C);
	int64_t R = w1->dims[0];
	if (R > IR_SE_MAX_HIDDEN)
		return ir_errf(e, "se_gate: %lld hidden units, at most %d", (ll)R, IR_SE_MAX_HIDDEN);
	if (b1->rank != 1 || b1->dims[0] != R)
		return ir_errf(e, "se_gate: b1 %s must be [%lld]", DIMS(b, b1), (ll)R);
	if (w2->rank != 2 || w2->dims[0] != KC || w2->dims[1] != R)
		return ir_errf(e, "se_gate: w2 %s must be [%lld,%lld]", DIMS(b, w2), (ll)KC, (ll)R);
	if (b2->rank != 1 || b2->dims[0] != KC)
		return ir_errf(e, "se_gate: b2 %s must be [%lld]", DIMS(b, b2), (ll)KC);
	shp s = {.t = IR_F32, .rank = 2, .d = {N, KC}};
	return finish(op, &s, 1, e);
}

/*
 * radix_combine(x [N,K*C,...], g [N,K*C]) {radix = K}: the weighted sum of
 * the radix groups, y[n,c] = sum_r g[n,r*C+c] * x[n,r*C+c], [N,C,...].
 */
static int
infer_radix_combine(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *g = op->operands[1];
	char b1[160], b2[160];
	int64_t K;
	if (check_dtype(op, x, "input", DT_FLOAT, e) || check_dtype(op, g, "gate", DT_FLOAT, e) ||
	    get_int(op, "radix", &K, e))
		return -1;
	if (x->rank < 2 || K < 1 || x->dims[1] % K)
		return ir_errf(e, "radix_combine: radix %lld does not divide the channels of %s", (ll)K, DIMS(b1, x));
	if (g->rank != 2 || g->dims[0] != x->dims[0] || g->dims[1] != x->dims[1])
		return ir_errf(e, "radix_combine: gate %s must be [N,C] of the input %s", DIMS(b1, g), DIMS(b2, x));
	shp s = shp_of(x);
	s.d[1] /= K;
	return finish(op, &s, 1, e);
}

/* sigmoid_mul(m, t) {offset}: (offset + sigmoid(m)) * t, same types. */
static int
infer_sigmoid_mul(ir_op *op, ir_err *e)
{
	ir_value *m = op->operands[0], *t = op->operands[1];
	char b1[160], b2[160];
	float off;
	if (check_dtype(op, m, "gate", DT_FLOAT, e) || check_dtype(op, t, "operand", DT_FLOAT, e) ||
	    get_float(op, "offset", &off, e))
		return -1;
	if (!ir_value_same_type(m, t))
		return ir_errf(e, "sigmoid_mul: gate %s and operand %s differ", DIMS(b1, m), DIMS(b2, t));
	shp s = shp_of(t);
	return finish(op, &s, 1, e);
}

/* fc(x [N,C,...], w [M,C], b [M] or _) {act}: w mean_hw(x) + b, [N,M]. */
static int
infer_fc(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *w = op->operands[1], *b = opnd(op, 2);
	char b1[160], b2[160];
	if (check_dtype(op, x, "input", DT_FLOAT, e) || check_dtype(op, w, "weight", DT_FLOAT, e) ||
	    (b && check_dtype(op, b, "bias", DT_FLOAT, e)) || check_act(op, e))
		return -1;
	if (x->rank < 2 || w->rank != 2 || w->dims[1] != x->dims[1])
		return ir_errf(e, "fc: weight %s does not fit the input %s", DIMS(b1, w), DIMS(b2, x));
	for (int i = 2; i < x->rank; i++)
		if (x->dims[i] == 0)
			return ir_errf(e, "fc: input %s has an empty spatial axis", DIMS(b1, x));
	if (b && (b->rank != 1 || b->dims[0] != w->dims[0]))
		return ir_errf(e, "fc: bias %s does not match %lld outputs", DIMS(b1, b), (ll)w->dims[0]);
	shp s = {.t = IR_F32, .rank = 2, .d = {x->dims[0], w->dims[0]}};
	return finish(op, &s, 1, e);
}

static int
infer_pool(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	const int64_t *kernel, *strides, *pads, *dil = NULL;
	static const int64_t one[2] = {1, 1};
	int64_t ceil_mode, cip;
	bool maxp = op->kind == IR_OP_MAXPOOL;
	char b1[160];

	if (check_dtype(op, x, "input", DT_FLOAT, e))
		return -1;
	if (x->rank != 4)
		return ir_errf(e, "%s: input %s must have rank 4", opname(op), DIMS(b1, x));
	if (get_ints(op, "kernel", 2, &kernel, NULL, e) || get_ints(op, "strides", 2, &strides, NULL, e) ||
	    get_ints(op, "pads", 4, &pads, NULL, e) || get_flag(op, "ceil_mode", &ceil_mode, e))
		return -1;
	if (maxp ? get_ints(op, "dilations", 2, &dil, NULL, e) : get_flag(op, "count_include_pad", &cip, e))
		return -1;
	if (!dil)
		dil = one;
	if (check_range(op, "kernel", kernel, 2, 1, ATTR_MAX, e) ||
	    check_range(op, "strides", strides, 2, 1, ATTR_MAX, e) ||
	    check_range(op, "pads", pads, 4, 0, ATTR_MAX, e) ||
	    check_range(op, "dilations", dil, 2, 1, ATTR_MAX, e))
		return -1;

	shp s = {.t = IR_F32, .rank = 4, .d = {x->dims[0], x->dims[1]}};
	int64_t keff[2];
	int bad = 0;
	for (int i = 0; i < 2; i++) {
		int r = window_out(op, i + 2, x->dims[2 + i], kernel[i], strides[i], dil[i],
		                   pads[i], pads[i + 2], (int)ceil_mode, &s.d[2 + i], &keff[i], e);
		if (r < 0)
			return -1;
		bad |= r;
		/* a window wholly inside the padding would have nothing to reduce */
		if (x->dims[2 + i] == 0)
			return ir_errf(e, "%s: input %s has an empty spatial axis", opname(op), DIMS(b1, x));
		if (pads[i] >= keff[i] || pads[i + 2] >= keff[i])
			return ir_errf(e, "%s: pads %lld and %lld on axis %d must be smaller than the kernel %lld",
			               opname(op), (ll)pads[i], (ll)pads[i + 2], i + 2, (ll)keff[i]);
	}
	if (bad)
		return ir_errf(e, "%s: kernel %lldx%lld larger than padded input %lldx%lld", opname(op),
		               (ll)keff[0], (ll)keff[1], (ll)(x->dims[2] + pads[0] + pads[2]),
		               (ll)(x->dims[3] + pads[1] + pads[3]));
	return finish(op, &s, 1, e);
}

static int
infer_globalavgpool(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	char b1[160];
	if (check_dtype(op, x, "input", DT_FLOAT, e))
		return -1;
	if (x->rank < 3)
		return ir_errf(e, "globalavgpool: input %s must have rank 3 or more", DIMS(b1, x));
	shp s = shp_of(x);
	for (int i = 2; i < s.rank; i++) {
		if (s.d[i] == 0)
			return ir_errf(e, "globalavgpool: input %s has an empty spatial axis", DIMS(b1, x));
		s.d[i] = 1;
	}
	/* keepdims = 0 (set by canonicalize for a flatten that follows): [N,C] */
	const ir_attr *k = find_attr(op, "keepdims");
	if (k && (k->kind != IR_ATTR_INT || (k->i != 0 && k->i != 1)))
		return ir_errf(e, "globalavgpool: attribute 'keepdims' must be 0 or 1");
	if (k && k->i == 0)
		s.rank = 2;
	return finish(op, &s, 1, e);
}

static int
infer_batchnorm(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	static const char *const names[] = {"input", "scale", "bias", "mean", "var"};
	char b1[160];
	float eps;
	for (int i = 0; i < 5; i++)
		if (check_dtype(op, op->operands[i], names[i], DT_FLOAT, e))
			return -1;
	if (x->rank < 2)
		return ir_errf(e, "batchnorm: input %s must have rank 2 or more", DIMS(b1, x));
	for (int i = 1; i < 5; i++) {
		ir_value *p = op->operands[i];
		if (p->rank != 1 || p->dims[0] != x->dims[1])
			return ir_errf(e, "batchnorm: %s %s does not match %lld channels", names[i],
			               DIMS(b1, p), (ll)x->dims[1]);
	}
	if (get_float(op, "epsilon", &eps, e))
		return -1;
	if (!(eps >= 0) || isinf(eps))
		return ir_errf(e, "batchnorm: epsilon must be finite and non-negative");
	shp s = shp_of(x);
	return finish(op, &s, 1, e);
}

static int
infer_softmax(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	int64_t axis;
	if (check_dtype(op, x, "operand", DT_FLOAT, e) || get_int(op, "axis", &axis, e))
		return -1;
	if (axis < 0 || axis >= x->rank)
		return ir_errf(e, "softmax: axis %lld out of range for rank %d", (ll)axis, x->rank);
	shp s = shp_of(x);
	return finish(op, &s, 1, e);
}

static int
infer_reduce(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	const int64_t *axes;
	int n;
	int64_t keep;
	if (check_dtype(op, x, "operand", DT_FLOAT, e) || get_ints(op, "axes", -1, &axes, &n, e) ||
	    get_flag(op, "keepdims", &keep, e))
		return -1;
	if (n == 0)
		return ir_errf(e, "%s: axes must not be empty", opname(op));
	bool red[IR_MAX_DIMS] = {0};
	for (int i = 0; i < n; i++) {
		if (axes[i] < 0 || axes[i] >= x->rank)
			return ir_errf(e, "%s: axis %lld out of range for rank %d", opname(op), (ll)axes[i], x->rank);
		if (i && axes[i] <= axes[i - 1])
			return ir_errf(e, "%s: axes must be sorted and distinct", opname(op));
		red[axes[i]] = true;
	}
	shp s = {.t = x->dtype};
	for (int i = 0; i < x->rank; i++) {
		if (!red[i])
			s.d[s.rank++] = x->dims[i];
		else if (keep)
			s.d[s.rank++] = 1;
	}
	return finish(op, &s, 1, e);
}

/* ---- linear algebra ------------------------------------------------------ */

static int
infer_gemm(ir_op *op, ir_err *e)
{
	ir_value *a = op->operands[0], *b = op->operands[1], *c = opnd(op, 2);
	int64_t ta, tb;
	float alpha, beta;
	char b1[160], b2[160];
	if (check_dtype(op, a, "A", DT_FLOAT, e) || check_dtype(op, b, "B", DT_FLOAT, e) ||
	    (c && check_dtype(op, c, "C", DT_FLOAT, e)) || check_act(op, e))
		return -1;
	if (get_flag(op, "transA", &ta, e) || get_flag(op, "transB", &tb, e) ||
	    get_float(op, "alpha", &alpha, e) || get_float(op, "beta", &beta, e))
		return -1;
	if (a->rank != 2 || b->rank != 2)
		return ir_errf(e, "gemm: A %s and B %s must both have rank 2", DIMS(b1, a), DIMS(b2, b));
	int64_t M = a->dims[ta ? 1 : 0], K = a->dims[ta ? 0 : 1];
	int64_t K2 = b->dims[tb ? 1 : 0], N = b->dims[tb ? 0 : 1];
	if (K != K2)
		return ir_errf(e, "gemm: inner dimensions %lld and %lld do not match (A %s%s, B %s%s)",
		               (ll)K, (ll)K2, DIMS(b1, a), ta ? " transposed" : "",
		               DIMS(b2, b), tb ? " transposed" : "");
	shp s = {.t = IR_F32, .rank = 2, .d = {M, N}};
	if (c) {
		if (c->rank > 2)
			return ir_errf(e, "gemm: C %s has rank above 2", DIMS(b1, c));
		for (int i = 0; i < c->rank; i++) {
			int64_t want = s.d[2 - c->rank + i];
			if (c->dims[i] != 1 && c->dims[i] != want)
				return ir_errf(e, "gemm: C %s does not broadcast to [%lld,%lld]", DIMS(b1, c), (ll)M, (ll)N);
		}
	}
	return finish(op, &s, 1, e);
}

static int
infer_matmul(ir_op *op, ir_err *e)
{
	ir_value *a = op->operands[0], *b = op->operands[1];
	char b1[160], b2[160];
	if (check_dtype(op, a, "operand 0", DT_FLOAT, e) || check_dtype(op, b, "operand 1", DT_FLOAT, e))
		return -1;
	if (a->rank < 1 || b->rank < 1)
		return ir_errf(e, "matmul: operands %s and %s must have rank 1 or more", DIMS(b1, a), DIMS(b2, b));
	int64_t K = a->dims[a->rank - 1];
	int64_t K2 = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
	if (K != K2)
		return ir_errf(e, "matmul: inner dimensions %lld and %lld do not match (%s and %s)",
		               (ll)K, (ll)K2, DIMS(b1, a), DIMS(b2, b));
	/* batch dims broadcast */
	shp s = {.t = IR_F32};
	int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
	s.rank = ra;
	memcpy(s.d, a->dims, (size_t)ra * sizeof *s.d);
	if (broadcast_into(op, &s, rb, b->dims, e))
		return -1;
	if (a->rank >= 2)
		s.d[s.rank++] = a->dims[a->rank - 2];
	if (b->rank >= 2)
		s.d[s.rank++] = b->dims[b->rank - 1];
	return finish(op, &s, 1, e);
}

/* ---- data movement ------------------------------------------------------- */

static int
infer_reshape(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	char b1[160], b2[160];
	if (check_given_result(op, e))
		return -1;
	if (y->dtype != x->dtype)
		return ir_errf(e, "reshape: result dtype %s differs from operand dtype %s",
		               ir_dtype_name(y->dtype), ir_dtype_name(x->dtype));
	if (ir_value_numel(x) != ir_value_numel(y))
		return ir_errf(e, "reshape: cannot reshape %s (%lld elements) to %s (%lld elements)",
		               DIMS(b1, x), (ll)ir_value_numel(x), DIMS(b2, y), (ll)ir_value_numel(y));
	return 0;
}

static int
infer_transpose(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	const int64_t *perm;
	if (get_ints(op, "perm", x->rank, &perm, NULL, e))
		return -1;
	bool seen[IR_MAX_DIMS] = {0};
	shp s = {.t = x->dtype, .rank = x->rank};
	for (int i = 0; i < x->rank; i++) {
		if (perm[i] < 0 || perm[i] >= x->rank || seen[perm[i]])
			return ir_errf(e, "transpose: perm is not a permutation of %d axes", x->rank);
		seen[perm[i]] = true;
		s.d[i] = x->dims[perm[i]];
	}
	return finish(op, &s, 1, e);
}

static int
infer_concat(ir_op *op, ir_err *e)
{
	ir_value *a = op->operands[0];
	int64_t axis;
	char b1[160], b2[160];
	if (get_int(op, "axis", &axis, e))
		return -1;
	if (axis < 0 || axis >= a->rank)
		return ir_errf(e, "concat: axis %lld out of range for rank %d", (ll)axis, a->rank);
	shp s = shp_of(a);
	for (int i = 1; i < op->noperands; i++) {
		ir_value *b = op->operands[i];
		if (b->dtype != a->dtype)
			return ir_errf(e, "concat: operand dtypes %s and %s differ",
			               ir_dtype_name(a->dtype), ir_dtype_name(b->dtype));
		bool ok = b->rank == a->rank;
		for (int d = 0; ok && d < a->rank; d++)
			if (d != axis && b->dims[d] != a->dims[d])
				ok = false;
		if (!ok)
			return ir_errf(e, "concat: operand %d %s does not match %s outside axis %lld",
			               i, DIMS(b2, b), DIMS(b1, a), (ll)axis);
		if (__builtin_add_overflow(s.d[axis], b->dims[axis], &s.d[axis]))
			return ir_errf(e, "concat: result is too large");
	}
	return finish(op, &s, 1, e);
}

static int
infer_split(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	const int64_t *split;
	int n;
	int64_t axis;
	if (get_int(op, "axis", &axis, e) || get_ints(op, "split", -1, &split, &n, e))
		return -1;
	if (axis < 0 || axis >= x->rank)
		return ir_errf(e, "split: axis %lld out of range for rank %d", (ll)axis, x->rank);
	if (n != op->nresults)
		return ir_errf(e, "split: %d sizes for %d results", n, op->nresults);
	int64_t total = 0;
	for (int i = 0; i < n; i++) {
		if (split[i] < 0)
			return ir_errf(e, "split: size %lld is negative", (ll)split[i]);
		if (__builtin_add_overflow(total, split[i], &total))
			return ir_errf(e, "split: sizes overflow");
	}
	if (total != x->dims[axis])
		return ir_errf(e, "split: sizes add up to %lld, not the %lld of axis %lld",
		               (ll)total, (ll)x->dims[axis], (ll)axis);
	/* results are written one by one only after all checks passed */
	for (int i = 0; i < n; i++) {
		ir_value *v = op->results[i];
		v->dtype = x->dtype;
		v->rank = x->rank;
		for (int d = 0; d < x->rank; d++)
			v->dims[d] = d == axis ? split[i] : x->dims[d];
	}
	return 0;
}

static int
infer_slice(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	const int64_t *starts, *steps;
	char b1[160], b2[160];
	if (check_given_result(op, e))
		return -1;
	if (get_ints(op, "starts", x->rank, &starts, NULL, e) || get_ints(op, "steps", x->rank, &steps, NULL, e))
		return -1;
	if (y->dtype != x->dtype || y->rank != x->rank)
		return ir_errf(e, "slice: result %s %s does not match operand %s %s",
		               ir_dtype_name(y->dtype), DIMS(b1, y), ir_dtype_name(x->dtype), DIMS(b2, x));
	for (int d = 0; d < x->rank; d++) {
		int64_t n = y->dims[d], dim = x->dims[d], st = starts[d], step = steps[d];
		if (step == 0)
			return ir_errf(e, "slice: step on axis %d is zero", d);
		if (n == 0)
			continue;
		if (st < 0 || st >= dim)
			return ir_errf(e, "slice: start %lld on axis %d out of range for size %lld", (ll)st, d, (ll)dim);
		/* last = st + (n-1)*step must be inside [0, dim) */
		int64_t span, last;
		if (__builtin_mul_overflow(n - 1, step, &span) || __builtin_add_overflow(st, span, &last) ||
		    last < 0 || last >= dim)
			return ir_errf(e, "slice: %lld elements from %lld with step %lld on axis %d exceed the size %lld",
			               (ll)n, (ll)st, (ll)step, d, (ll)dim);
	}
	return 0;
}

static int
infer_pad(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0];
	const int64_t *pads;
	static const char *const modes[] = {"constant", "reflect", "edge", NULL};
	float value;
	if (get_ints(op, "pads", 2 * x->rank, &pads, NULL, e) || get_choice(op, "mode", modes, e) ||
	    get_float(op, "value", &value, e))
		return -1;
	const char *mode = ir_op_string(op, "mode", "constant");
	shp s = shp_of(x);
	for (int d = 0; d < x->rank; d++) {
		int64_t b = pads[d], en = pads[d + x->rank], dim = x->dims[d];
		if (b > ATTR_MAX || en > ATTR_MAX || b < -ATTR_MAX || en < -ATTR_MAX)
			return ir_errf(e, "pad: pads on axis %d are too large", d);
		s.d[d] = dim + b + en;
		if (s.d[d] < 0)
			return ir_errf(e, "pad: pads %lld and %lld on axis %d leave a negative size", (ll)b, (ll)en, d);
		if (strcmp(mode, "reflect") == 0 && (b >= dim || en >= dim) && (b > 0 || en > 0))
			return ir_errf(e, "pad: reflect pads %lld and %lld on axis %d must be smaller than its size %lld",
			               (ll)b, (ll)en, d, (ll)dim);
		if (strcmp(mode, "edge") == 0 && dim == 0 && (b > 0 || en > 0))
			return ir_errf(e, "pad: edge padding of the empty axis %d", d);
	}
	return finish(op, &s, 1, e);
}

static int
infer_resize(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	static const char *const modes[] = {"nearest", "linear", NULL};
	static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
	                                     "asymmetric", "tf_half_pixel_for_nearest", NULL};
	static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL};
	const float *scales = NULL;
	char b1[160], b2[160];
	if (check_given_result(op, e) || check_dtype(op, x, "operand", DT_FLOAT, e))
		return -1;
	if (get_choice(op, "mode", modes, e) || get_choice(op, "coord", coords, e) ||
	    get_choice(op, "nearest_mode", nearest, e) || get_floats(op, "scales", x->rank, &scales, e))
		return -1;
	if (y->dtype != x->dtype || y->rank != x->rank)
		return ir_errf(e, "resize: result %s %s does not match operand %s %s",
		               ir_dtype_name(y->dtype), DIMS(b1, y), ir_dtype_name(x->dtype), DIMS(b2, x));
	for (int d = 0; d < x->rank; d++)
		if (!(scales[d] > 0) || isinf(scales[d]))
			return ir_errf(e, "resize: scale %g on axis %d must be positive and finite", scales[d], d);
	return 0;
}

static int
infer_expand(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	char b1[160], b2[160];
	if (check_given_result(op, e))
		return -1;
	if (y->dtype != x->dtype)
		return ir_errf(e, "expand: result dtype %s differs from operand dtype %s",
		               ir_dtype_name(y->dtype), ir_dtype_name(x->dtype));
	bool ok = y->rank >= x->rank;
	for (int i = 0; ok && i < x->rank; i++) {
		int64_t a = x->dims[i], b = y->dims[i + y->rank - x->rank];
		if (a != b && a != 1)
			ok = false;
	}
	if (!ok)
		return ir_errf(e, "expand: %s does not broadcast to %s", DIMS(b1, x), DIMS(b2, y));
	return 0;
}

static int
infer_gather(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *idx = op->operands[1];
	int64_t axis;
	if (check_dtype(op, idx, "indices", DT(IR_I32) | DT(IR_I64), e) || get_int(op, "axis", &axis, e))
		return -1;
	if (axis < 0 || axis >= x->rank)
		return ir_errf(e, "gather: axis %lld out of range for rank %d", (ll)axis, x->rank);
	if (x->dims[axis] == 0 && ir_value_numel(idx) > 0)
		return ir_errf(e, "gather: indexing the empty axis %lld", (ll)axis);
	shp s = {.t = x->dtype};
	if (x->rank - 1 + idx->rank > IR_MAX_DIMS)
		return ir_errf(e, "gather: result rank %d exceeds %d", x->rank - 1 + idx->rank, IR_MAX_DIMS);
	for (int i = 0; i < axis; i++)
		s.d[s.rank++] = x->dims[i];
	for (int i = 0; i < idx->rank; i++)
		s.d[s.rank++] = idx->dims[i];
	for (int i = (int)axis + 1; i < x->rank; i++)
		s.d[s.rank++] = x->dims[i];
	return finish(op, &s, 1, e);
}

static int
infer_cast(ir_op *op, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	char b1[160], b2[160];
	if (check_given_result(op, e))
		return -1;
	bool ok = y->rank == x->rank;
	for (int i = 0; ok && i < x->rank; i++)
		ok = x->dims[i] == y->dims[i];
	if (!ok)
		return ir_errf(e, "cast: result shape %s differs from operand shape %s", DIMS(b1, y), DIMS(b2, x));
	return 0;
}

/* ---- entry --------------------------------------------------------------- */

int
ir_op_infer(ir_graph *g, ir_op *op, ir_err *e)
{
	(void)g;
	if (!op || (unsigned)op->kind >= IR_NOPKINDS)
		return ir_errf(e, "invalid op kind");
	if (check_arity(op, e))
		return -1;

	switch (op->kind) {
	case IR_OP_CONV:
		return infer_conv(op, e);
	case IR_OP_BATCHNORM:
		return infer_batchnorm(op, e);
	case IR_OP_RELU: case IR_OP_LEAKYRELU: case IR_OP_CLIP: case IR_OP_SIGMOID:
	case IR_OP_TANH: case IR_OP_EXP: case IR_OP_LOG: case IR_OP_SQRT: case IR_OP_ABS:
	case IR_OP_NEG: case IR_OP_IDENTITY: case IR_OP_DROPOUT:
		return infer_unary(op, e);
	case IR_OP_SOFTMAX:
		return infer_softmax(op, e);
	case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV:
	case IR_OP_SUM: case IR_OP_MAX: case IR_OP_MIN:
		return infer_elementwise(op, e);
	case IR_OP_MAXPOOL: case IR_OP_AVGPOOL:
		return infer_pool(op, e);
	case IR_OP_GLOBALAVGPOOL:
		return infer_globalavgpool(op, e);
	case IR_OP_REDUCEMEAN: case IR_OP_REDUCESUM:
		return infer_reduce(op, e);
	case IR_OP_GEMM:
		return infer_gemm(op, e);
	case IR_OP_MATMUL:
		return infer_matmul(op, e);
	case IR_OP_RESHAPE:
		return infer_reshape(op, e);
	case IR_OP_TRANSPOSE:
		return infer_transpose(op, e);
	case IR_OP_CONCAT:
		return infer_concat(op, e);
	case IR_OP_SPLIT:
		return infer_split(op, e);
	case IR_OP_SLICE:
		return infer_slice(op, e);
	case IR_OP_PAD:
		return infer_pad(op, e);
	case IR_OP_RESIZE:
		return infer_resize(op, e);
	case IR_OP_EXPAND:
		return infer_expand(op, e);
	case IR_OP_GATHER:
		return infer_gather(op, e);
	case IR_OP_CAST:
		return infer_cast(op, e);
	case IR_OP_SCALE_SHIFT:
		return infer_scale_shift(op, e);
	case IR_OP_SE_GATE:
		return infer_se_gate(op, e);
	case IR_OP_SIGMOID_MUL:
		return infer_sigmoid_mul(op, e);
	case IR_OP_FC:
		return infer_fc(op, e);
	case IR_OP_RADIX_COMBINE:
		return infer_radix_combine(op, e);
	default:
		return ir_errf(e, "%s: no shape inference for this op", opname(op));
	}
}
