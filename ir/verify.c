/*
 * verify.c - the IR verifier: is this a well-formed, well-typed graph?
 *
 * ir_graph_verify() walks the graph once, in the order the printer writes
 * it (inputs, constants, ops, outputs), and checks the invariants every
 * other part of resc relies on without checking again (docs/ir.md,
 * "Verifier"):
 *   - the op list is a proper doubly linked list of g->nops ops;
 *   - every value is defined exactly once: as a graph input, as a constant
 *     (with data or a content hash) or as the result of exactly one op, whose
 *     def/def_index point back at it; value ids are in range;
 *   - every operand is defined before the op that reads it (inputs and
 *     constants count as defined at the top), and is present unless it is an
 *     optional operand (conv bias, gemm C);
 *   - operand and result counts are within the bounds of ops.def;
 *   - every op's result types are exactly what shape inference
 *     (ir_op_infer) computes from its operands and attributes;
 *   - the graph has at least one output, and every output is defined;
 *   - the memory plan (ir.h, ir_graph_verify) is sound: values live at the
 *     same time do not share workspace bytes except in place.
 *
 * The IR may come from untrusted text, so the verifier assumes nothing it
 * has not checked yet: it looks at an operand only after checking it is
 * defined, and at an op's attributes only through ir_op_infer.  It leaves
 * the graph exactly as it found it: ir_op_infer overwrites result types, so
 * they are saved before and restored after each call.  Scratch memory is
 * malloc'd and freed here, never taken from the graph's arena, so running
 * the verifier after every pass does not grow the arena.
 *
 * Messages name the op by its position in the list (0-based, the order of
 * the printed text), its source location when known and its kind:
 *     op 17 "/layer1/Conv" (conv): result 0 has type f32[1,64,56,56], expected f32[1,64,55,55]
 * and values by their printed names (%in0, %c3, %12).
 */
#include "ir.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef long long ll;

enum { UNDEF = 0, DEFINED = 1 };
enum { NAME_NONE = 0, NAME_INPUT, NAME_CONST, NAME_RESULT };

typedef struct vctx {
	ir_graph *g;
	ir_err *e;
	int nv;                  /* value ids are in [0, nv) */
	unsigned char *state;    /* per value id: UNDEF or DEFINED */
	unsigned char *nkind;    /* per value id: which namespace its printed name is in */
	int *num;                /* per value id: its number in that namespace */
} vctx;

/* "%in0", "%c3", "%12", or "value #id" for a value with no printed name. */
static const char *
vname(const vctx *c, const ir_value *v, char *buf, size_t n)
{
	if (!v)
		snprintf(buf, n, "_");
	else if (v->id < 0 || v->id >= c->nv)
		snprintf(buf, n, "value #%d", v->id);
	else if (c->nkind[v->id] == NAME_INPUT)
		snprintf(buf, n, "%%in%d", c->num[v->id]);
	else if (c->nkind[v->id] == NAME_CONST)
		snprintf(buf, n, "%%c%d", c->num[v->id]);
	else if (c->nkind[v->id] == NAME_RESULT)
		snprintf(buf, n, "%%%d", c->num[v->id]);
	else
		snprintf(buf, n, "value #%d", v->id);
	return buf;
}

/* "f32[1,64,56,56]" */
static const char *
tname(ir_dtype t, int rank, const int64_t *dims, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "%s[", ir_dtype_name(t));
	if (rank < 0 || rank > IR_MAX_DIMS)
		rank = 0;
	for (int i = 0; i < rank && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (ll)dims[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

static const char *
kindname(const ir_op *op)
{
	return (unsigned)op->kind < IR_NOPKINDS ? ir_opinfos[op->kind].name : "?";
}

/* An error about op at position pos: `op P "loc" (kind): message`. */
static int __attribute__((format(printf, 4, 5)))
op_err(vctx *c, const ir_op *op, int pos, const char *fmt, ...)
{
	char msg[sizeof c->e->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (op->loc)
		return ir_errf(c->e, "op %d \"%.200s\" (%s): %s", pos, op->loc, kindname(op), msg);
	return ir_errf(c->e, "op %d (%s): %s", pos, kindname(op), msg);
}

/* A type is well formed: valid dtype and rank, dims >= 0, byte size fits int64. */
static const char *
type_problem(const ir_value *v)
{
	if ((unsigned)v->dtype >= IR_NDTYPES)
		return "an invalid dtype";
	if (v->rank < 0 || v->rank > IR_MAX_DIMS)
		return "an invalid rank";
	int64_t n = (int64_t)ir_dtype_size(v->dtype);
	for (int i = 0; i < v->rank; i++) {
		if (v->dims[i] < 0)
			return "a negative dimension";
		if (ir_mul_overflows(n, v->dims[i], &n))
			return "a size that overflows";
	}
	if (v->layout == IR_LAYOUT_NCHWC) {
		/* whole blocks only: the buffer is the plain one's size, no padding */
		if (v->dtype != IR_F32 || v->rank != 4 || v->block < 1 || v->dims[1] % v->block)
			return "a blocked layout on a type that is not f32[N,C,H,W] with C a multiple of the block";
	} else if (v->layout != IR_LAYOUT_PLAIN) {
		return "an invalid layout";
	}
	return NULL;
}

static bool
id_ok(const vctx *c, const ir_value *v)
{
	return v->id >= 0 && v->id < c->nv;
}

/* Graph inputs and constants: defined at the top, in order. */
static int
check_top(vctx *c)
{
	ir_graph *g = c->g;
	char b1[64], b2[160];
	for (int i = 0; i < g->ninputs; i++) {
		ir_value *v = g->inputs[i];
		if (!v)
			return ir_errf(c->e, "graph input %d is missing", i);
		if (!id_ok(c, v))
			return ir_errf(c->e, "graph input %d has an invalid value id %d", i, v->id);
		if (c->state[v->id] == DEFINED)
			return ir_errf(c->e, "graph input %d is %s, defined twice", i, vname(c, v, b1, sizeof b1));
		c->nkind[v->id] = NAME_INPUT;
		c->num[v->id] = i;
		if (!v->is_input || v->is_const || v->def)
			return ir_errf(c->e, "graph input %s is not marked as an input", vname(c, v, b1, sizeof b1));
		const char *p = type_problem(v);
		if (p)
			return ir_errf(c->e, "graph input %s has %s", vname(c, v, b1, sizeof b1), p);
		c->state[v->id] = DEFINED;
	}
	for (int i = 0; i < g->nconsts; i++) {
		ir_value *v = g->consts[i];
		if (!v)
			return ir_errf(c->e, "constant %d is missing", i);
		if (!id_ok(c, v))
			return ir_errf(c->e, "constant %d has an invalid value id %d", i, v->id);
		if (c->state[v->id] == DEFINED)
			return ir_errf(c->e, "constant %%c%d is %s, defined twice", i, vname(c, v, b1, sizeof b1));
		c->nkind[v->id] = NAME_CONST;
		c->num[v->id] = i;
		if (!v->is_const || v->is_input || v->def)
			return ir_errf(c->e, "constant %%c%d is not marked as a constant", i);
		const char *p = type_problem(v);
		if (p)
			return ir_errf(c->e, "constant %%c%d has %s", i, p);
		if (!v->data && v->hash == 0)
			return ir_errf(c->e, "constant %%c%d has neither data nor a hash", i);
		if (v->data && v->dtype == IR_BOOL) {
			const unsigned char *b = v->data;
			size_t n = ir_value_nbytes(v);
			for (size_t k = 0; k < n; k++)
				if (b[k] > 1)
					return ir_errf(c->e, "constant %%c%d of type %s holds %u, not 0 or 1", i,
					               tname(v->dtype, v->rank, v->dims, b2, sizeof b2), b[k]);
		}
		c->state[v->id] = DEFINED;
	}
	return 0;
}

/* The list links and the op count agree; numbers every result as the printer does. */
static int
check_list(vctx *c)
{
	ir_graph *g = c->g;
	ir_op *prev = NULL;
	int n = 0, k = 0;
	for (ir_op *op = g->first; op; prev = op, op = op->next, n++) {
		if (n > g->nops)
			return ir_errf(c->e, "the op list is longer than its count of %d ops", g->nops);
		if (op->prev != prev)
			return ir_errf(c->e, "op %d: broken back link in the op list", n);
		if (op->nresults > 0 && !op->results)
			continue; /* reported in check_op */
		for (int i = 0; i < op->nresults; i++) {
			ir_value *v = op->results[i];
			if (v && id_ok(c, v) && c->nkind[v->id] == NAME_NONE) {
				c->nkind[v->id] = NAME_RESULT;
				c->num[v->id] = k;
			}
			k++;
		}
	}
	if (prev != g->last)
		return ir_errf(c->e, "the op list does not end at its last op");
	if (n != g->nops)
		return ir_errf(c->e, "the op list has %d ops but its count is %d", n, g->nops);
	return 0;
}

/* Result types equal what ir_op_infer computes; the graph is left unchanged. */
static int
check_types(vctx *c, ir_op *op, int pos)
{
	struct saved {
		ir_dtype t;
		int rank;
		int64_t dims[IR_MAX_DIMS];
	} *s = malloc((size_t)op->nresults * sizeof *s);
	char b1[200], b2[200];
	ir_err sub = {{0}};
	int rc = 0;

	if (!s)
		return ir_errf(c->e, "out of memory");
	for (int i = 0; i < op->nresults; i++) {
		ir_value *v = op->results[i];
		s[i].t = v->dtype;
		s[i].rank = v->rank;
		memcpy(s[i].dims, v->dims, sizeof s[i].dims);
	}
	if (ir_op_infer(c->g, op, &sub) != 0) {
		/* drop inference's own "kind: " prefix, op_err names the kind */
		const char *m = sub.msg, *k = kindname(op);
		size_t n = strlen(k);
		if (strncmp(m, k, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
			m += n + 2;
		rc = op_err(c, op, pos, "%s", m[0] ? m : "shape inference failed");
	} else {
		for (int i = 0; i < op->nresults && !rc; i++) {
			ir_value *v = op->results[i];
			bool same = v->dtype == s[i].t && v->rank == s[i].rank;
			for (int d = 0; same && d < v->rank; d++)
				same = v->dims[d] == s[i].dims[d];
			if (!same)
				rc = op_err(c, op, pos, "result %d has type %s, expected %s", i,
				            tname(s[i].t, s[i].rank, s[i].dims, b1, sizeof b1),
				            tname(v->dtype, v->rank, v->dims, b2, sizeof b2));
			else if (type_problem(v))
				rc = op_err(c, op, pos, "result %d has %s", i, type_problem(v));
		}
	}
	for (int i = 0; i < op->nresults; i++) {
		ir_value *v = op->results[i];
		v->dtype = s[i].t;
		v->rank = s[i].rank;
		memcpy(v->dims, s[i].dims, sizeof v->dims);
	}
	free(s);
	return rc;
}

static int
check_op(vctx *c, ir_op *op, int pos)
{
	char b1[64];
	if ((unsigned)op->kind >= IR_NOPKINDS)
		return ir_errf(c->e, "op %d: invalid kind %d", pos, (int)op->kind);
	const ir_opinfo *in = &ir_opinfos[op->kind];

	/* counts */
	if (op->noperands < in->min_operands ||
	    (in->max_operands >= 0 && op->noperands > in->max_operands)) {
		if (in->max_operands < 0)
			return op_err(c, op, pos, "takes at least %d operand%s, not %d", in->min_operands,
			              in->min_operands == 1 ? "" : "s", op->noperands);
		if (in->min_operands == in->max_operands)
			return op_err(c, op, pos, "takes %d operand%s, not %d", in->min_operands,
			              in->min_operands == 1 ? "" : "s", op->noperands);
		return op_err(c, op, pos, "takes %d to %d operands, not %d", in->min_operands,
		              in->max_operands, op->noperands);
	}
	if (in->nresults >= 0 ? op->nresults != in->nresults : op->nresults < 1) {
		if (in->nresults < 0)
			return op_err(c, op, pos, "has %d results, needs at least 1", op->nresults);
		return op_err(c, op, pos, "has %d result%s, not %d", op->nresults,
		              op->nresults == 1 ? "" : "s", in->nresults);
	}
	if ((op->noperands > 0 && !op->operands) || !op->results)
		return op_err(c, op, pos, "has no operand or result list");

	/* operands: present unless optional, defined before use */
	for (int i = 0; i < op->noperands; i++) {
		ir_value *v = op->operands[i];
		if (!v) {
			if (i < in->min_operands || in->max_operands < 0)
				return op_err(c, op, pos, "operand %d is missing", i);
			continue;
		}
		if (!id_ok(c, v))
			return op_err(c, op, pos, "operand %d has an invalid value id %d", i, v->id);
		if (c->state[v->id] != DEFINED)
			return op_err(c, op, pos, "operand %d (%s) is used before it is defined", i,
			              vname(c, v, b1, sizeof b1));
	}

	/* results: fresh, pointing back at this op */
	for (int i = 0; i < op->nresults; i++) {
		ir_value *v = op->results[i];
		if (!v)
			return op_err(c, op, pos, "result %d is missing", i);
		if (!id_ok(c, v))
			return op_err(c, op, pos, "result %d has an invalid value id %d", i, v->id);
		if (c->state[v->id] == DEFINED)
			return op_err(c, op, pos, "result %d (%s) is defined twice", i, vname(c, v, b1, sizeof b1));
		if (v->def != op || v->def_index != i || v->is_input || v->is_const)
			return op_err(c, op, pos, "result %d (%s) does not name this op as its definer", i,
			              vname(c, v, b1, sizeof b1));
	}
	for (int i = 0; i < op->nresults; i++)
		for (int j = 0; j < i; j++)
			if (op->results[i] == op->results[j])
				return op_err(c, op, pos, "results %d and %d are the same value", j, i);

	if (check_types(c, op, pos))
		return -1;
	for (int i = 0; i < op->nresults; i++)
		c->state[op->results[i]->id] = DEFINED;
	return 0;
}

static int
check_outputs(vctx *c)
{
	ir_graph *g = c->g;
	char b1[64];
	if (g->noutputs < 1)
		return ir_errf(c->e, "the graph has no outputs");
	for (int i = 0; i < g->noutputs; i++) {
		ir_value *v = g->outputs[i];
		if (!v)
			return ir_errf(c->e, "graph output %d is missing", i);
		if (!id_ok(c, v) || c->state[v->id] != DEFINED)
			return ir_errf(c->e, "graph output %d (%s) is not defined", i, vname(c, v, b1, sizeof b1));
	}
	return 0;
}

/* A value's bytes in the workspace: its size rounded up to 64, or -1 when
 * that does not fit int64 (the types are checked: the size itself does). */
static int64_t
ws_size(const ir_value *v)
{
	size_t n = ir_value_nbytes(v);
	if (n > (size_t)INT64_MAX - 63)
		return -1;
	return ((int64_t)n + 63) & ~(int64_t)63;
}

/*
 * The memory plan, on a graph already checked otherwise.  A sweep over the
 * ops keeps the values live at each (defined, with a reader still to
 * come); each result is checked against them: O(ops x live values).
 */
static int
check_plan(vctx *c)
{
	ir_graph *g = c->g;
	char b1[64], b2[64];
	for (int i = 0; i < g->ninputs; i++)
		if (g->inputs[i]->mem_offset != -1)
			return ir_errf(c->e, "graph input %s has a workspace offset",
			               vname(c, g->inputs[i], b1, sizeof b1));
	for (int i = 0; i < g->nconsts; i++)
		if (g->consts[i]->mem_offset != -1)
			return ir_errf(c->e, "constant %s has a workspace offset",
			               vname(c, g->consts[i], b1, sizeof b1));
	if (g->workspace < 0) {
		int pos = 0;
		for (ir_op *op = g->first; op; op = op->next, pos++)
			for (int i = 0; i < op->nresults; i++)
				if (op->results[i]->mem_offset != -1)
					return op_err(c, op, pos, "result %d (%s) has a workspace offset, but the "
					              "graph has no memory plan ('workspace N' after its name)",
					              i, vname(c, op->results[i], b1, sizeof b1));
		return 0;
	}
	if (g->workspace % 64)
		return ir_errf(c->e, "workspace of %lld bytes is not a multiple of 64", (ll)g->workspace);

	int rc = -1;
	int *last = malloc(((size_t)c->nv + 1) * sizeof *last);
	unsigned char *out = calloc((size_t)c->nv + 1, 1);
	ir_value **live = malloc(((size_t)c->nv + 1) * sizeof *live);
	if (!last || !out || !live) {
		ir_errf(c->e, "out of memory");
		goto done;
	}
	for (int i = 0; i < g->noutputs; i++)
		out[g->outputs[i]->id] = 1;
	int pos = 0;
	for (ir_op *op = g->first; op; op = op->next, pos++) {
		for (int i = 0; i < op->noperands; i++)
			if (op->operands[i])
				last[op->operands[i]->id] = pos;
		for (int i = 0; i < op->nresults; i++)
			last[op->results[i]->id] = pos;
	}
	int nlive = 0;
	pos = 0;
	for (ir_op *op = g->first; op; op = op->next, pos++) {
		int k = 0;
		for (int j = 0; j < nlive; j++)
			if (last[live[j]->id] >= pos)
				live[k++] = live[j];
		nlive = k;
		int inpl = ir_inplace_operand(op);
		ir_value *r = inpl >= 0 ? op->operands[inpl] : NULL;
		for (int i = 0; i < op->nresults; i++) {
			ir_value *y = op->results[i];
			int64_t off = y->mem_offset, sz = ws_size(y);
			if (out[y->id]) {
				if (off != -1) {
					op_err(c, op, pos, "result %d (%s) is a graph output and has a workspace offset",
					       i, vname(c, y, b1, sizeof b1));
					goto done;
				}
				continue;
			}
			if (off < 0) {
				op_err(c, op, pos, "result %d (%s) has no workspace offset", i, vname(c, y, b1, sizeof b1));
				goto done;
			}
			if (off % 64 || sz < 0 || sz > g->workspace || off > g->workspace - sz) {
				op_err(c, op, pos, "result %d (%s) at offset %lld (%lld bytes) is %s", i,
				       vname(c, y, b1, sizeof b1), (ll)off, (ll)sz,
				       off % 64 ? "not 64-byte aligned" : "not inside the workspace");
				goto done;
			}
			for (int j = 0; j < nlive; j++) {
				ir_value *o = live[j];
				int64_t oo = o->mem_offset, os = ws_size(o);
				if (!(off < oo + os && oo < off + sz))
					continue;
				if (i == 0 && o == r && oo == off && os == sz && last[o->id] == pos)
					continue; /* in place over its operand, which dies here */
				op_err(c, op, pos, "result %d (%s) at offset %lld (%lld bytes) overlaps %s at "
				       "offset %lld (%lld bytes), which is still live", i,
				       vname(c, y, b1, sizeof b1), (ll)off, (ll)sz, vname(c, o, b2, sizeof b2),
				       (ll)oo, (ll)os);
				goto done;
			}
			live[nlive++] = y;
		}
	}
	rc = 0;
done:
	free(last);
	free(out);
	free(live);
	return rc;
}

int
ir_graph_verify(ir_graph *g, ir_err *e)
{
	vctx c = {.g = g, .e = e};
	int rc = -1;
	if (!g)
		return ir_errf(e, "no graph");
	c.nv = g->next_value_id > 0 ? g->next_value_id : 0;
	c.state = calloc((size_t)c.nv + 1, 1);
	c.nkind = calloc((size_t)c.nv + 1, 1);
	c.num = calloc((size_t)c.nv + 1, sizeof *c.num);
	if (!c.state || !c.nkind || !c.num) {
		ir_errf(e, "out of memory");
		goto done;
	}
	if (check_list(&c) || check_top(&c))
		goto done;
	int pos = 0;
	for (ir_op *op = g->first; op; op = op->next, pos++)
		if (check_op(&c, op, pos))
			goto done;
	if (check_outputs(&c) || check_plan(&c))
		goto done;
	rc = 0;
done:
	free(c.state);
	free(c.nkind);
	free(c.num);
	return rc;
}
