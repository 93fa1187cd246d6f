/*
 * ir.c - graphs, values, ops, attributes and the arena they live in.
 *
 * The arena is a list of malloc'd chunks; allocations are bump-pointer and
 * 16-byte aligned (32 KiB chunks, bigger requests get their own chunk so that
 * large constants do not waste space).  Nothing is freed individually: a pass
 * that drops an op simply unlinks it.
 */
#include "ir.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------- */

int
ir_errf(ir_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

_Noreturn void
ir_die(const char *fmt, ...)
{
	va_list ap;

	fputs("resc: internal error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- dtypes and op table ------------------------------------------------ */

static const struct {
	const char *name;
	size_t size;
} dtypes[IR_NDTYPES] = {
#define X(e, s, n) {s, n},
	IR_DTYPES(X)
#undef X
};

const char *
ir_dtype_name(ir_dtype t)
{
	return (unsigned)t < IR_NDTYPES ? dtypes[t].name : "?";
}

size_t
ir_dtype_size(ir_dtype t)
{
	return (unsigned)t < IR_NDTYPES ? dtypes[t].size : 0;
}

int
ir_dtype_from_name(const char *s, size_t len)
{
	for (int i = 0; i < IR_NDTYPES; i++)
		if (strlen(dtypes[i].name) == len && memcmp(dtypes[i].name, s, len) == 0)
			return i;
	return -1;
}

const ir_opinfo ir_opinfos[IR_NOPKINDS] = {
#define OP(e, name, mini, maxi, nres, flags) {name, mini, maxi, nres, flags},
#include "ops.def"
#undef OP
};

int
ir_opkind_from_name(const char *s, size_t len)
{
	for (int i = 0; i < IR_NOPKINDS; i++)
		if (strlen(ir_opinfos[i].name) == len && memcmp(ir_opinfos[i].name, s, len) == 0)
			return i;
	return -1;
}

/* ---- arena -------------------------------------------------------------- */

typedef struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char mem[];
} chunk;

struct ir_arena {
	chunk *head;
	size_t total;
};

enum { CHUNK = 32 * 1024 };

/*
 * Fault injection (tests, RESC_FAIL_ALLOC_AT in resc): when ir_fail_alloc_at
 * is N > 0, the Nth counted allocation fails.  Counted are every arena
 * allocation and every allocation site that calls ir_fault_alloc() (the
 * frontend's mallocs and its protobuf allocator).  One-shot: the ones after
 * the Nth succeed again, so the error path must still unwind cleanly.
 */
long ir_fail_alloc_at;
static long nallocs;

bool
ir_fault_alloc(void)
{
	return ir_fail_alloc_at > 0 && ++nallocs == ir_fail_alloc_at;
}

void
ir_fault_set(long n)
{
	ir_fail_alloc_at = n;
	nallocs = 0;
}

long
ir_fault_count(void)
{
	return nallocs;
}

void (*ir_oom_hook)(void);

_Noreturn void
ir_oom(ir_graph *g)
{
	if (g && g->oom)
		longjmp(*g->oom, 1);
	if (ir_oom_hook)
		ir_oom_hook();
	/* not an invariant failure, but nobody asked to hear about it: stop */
	fputs("resc: error: out of memory (no handler installed)\n", stderr);
	abort();
}

#define oom ir_oom

void *
ir_alloc(ir_graph *g, size_t n)
{
	ir_arena *a = g->arena;
	chunk *c = a->head;

	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (ir_fault_alloc())
		oom(g);
	if (!c || c->size - c->used < n) {
		size_t sz = n > CHUNK / 4 ? n : CHUNK;
		if (sz > SIZE_MAX - sizeof(chunk))
			oom(g);
		chunk *nc = malloc(sizeof(chunk) + sz);
		if (!nc)
			oom(g);
		nc->size = sz;
		nc->used = 0;
		if (c && sz != CHUNK) {
			/* keep filling the current chunk; put the big one behind it */
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			a->head = nc;
		}
		a->total += sz;
		c = nc;
	}
	void *p = c->mem + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *
ir_strndup(ir_graph *g, const char *s, size_t n)
{
	char *p = ir_alloc(g, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *
ir_strdup(ir_graph *g, const char *s)
{
	return s ? ir_strndup(g, s, strlen(s)) : NULL;
}

bool
ir_mul_overflows(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
		return true;
	*out = r;
	return false;
}

/* ---- graphs ------------------------------------------------------------- */

ir_graph *
ir_graph_new(const char *name)
{
	ir_graph *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->arena = calloc(1, sizeof *g->arena);
	if (!g->arena) {
		free(g);
		return NULL;
	}
	g->name = name ? ir_strdup(g, name) : "main";
	g->workspace = -1;
	return g;
}

void
ir_graph_free(ir_graph *g)
{
	if (!g)
		return;
	chunk *c = g->arena->head;
	while (c) {
		chunk *n = c->next;
		free(c);
		c = n;
	}
	free(g->arena);
	free(g);
}

/* Grows an arena array of pointers to hold n+1 entries. */
static void **
grow(ir_graph *g, void **arr, int n, int *cap)
{
	if (n < *cap)
		return arr;
	int nc = *cap ? *cap * 2 : 8;
	void **na = ir_alloc(g, (size_t)nc * sizeof *na);
	if (n)
		memcpy(na, arr, (size_t)n * sizeof *na);
	*cap = nc;
	return na;
}

/* conv.c reads the residual of an output element only right before it
 * writes that element (the first of several input channel chunks reads it,
 * not the last), never around it: y may be the residual's buffer.
 * rk_scale_shift reads x[i] only to write y[i] (an SE block's scaling,
 * whose input dies there), with a loop of its own for y == x; so do
 * rk_unary (x), rk_eltwise (operands 0 and 1, which it combines into y
 * before it reads operands 2.., each y[i] from their elements i) and
 * rk_sigmoid_mul (either operand). */
static bool
inplace_ok(const ir_op *op, int k)
{
	if (k < 0 || k >= op->noperands || !op->operands[k] || op->nresults < 1 ||
	    !ir_value_same_type(op->operands[k], op->results[0]) ||
	    op->operands[k]->layout != op->results[0]->layout)
		return false;
	for (int i = 0; i < op->noperands; i++)
		if (i != k && op->operands[i] == op->operands[k])
			return false; /* read in another slot too */
	return true;
}

int
ir_inplace_operand(const ir_op *op)
{
	switch (op->kind) {
	case IR_OP_CONV:
		return inplace_ok(op, 3) ? 3 : -1;
	case IR_OP_SCALE_SHIFT:
	case IR_OP_RELU: case IR_OP_LEAKYRELU: case IR_OP_CLIP: case IR_OP_SIGMOID: case IR_OP_TANH:
	case IR_OP_EXP: case IR_OP_LOG: case IR_OP_SQRT: case IR_OP_ABS: case IR_OP_NEG:
		return op->noperands == 1 || op->kind == IR_OP_SCALE_SHIFT ? (inplace_ok(op, 0) ? 0 : -1) : -1;
	case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV: case IR_OP_MAX: case IR_OP_MIN:
	case IR_OP_SUM: case IR_OP_SIGMOID_MUL:
		/* the first two operands: rk_eltwise reads operands 2.. after
		 * writing y (y op= x2 ...), rk_sigmoid_mul has two */
		for (int k = 0; k < 2; k++)
			if (inplace_ok(op, k))
				return k;
		return -1;
	default:
		return -1;
	}
}

bool
ir_same_shape_eltwise(const ir_op *op)
{
	switch (op->kind) {
	case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV: case IR_OP_SUM:
	case IR_OP_MAX: case IR_OP_MIN: case IR_OP_RELU: case IR_OP_LEAKYRELU: case IR_OP_CLIP:
	case IR_OP_SIGMOID: case IR_OP_TANH: case IR_OP_EXP: case IR_OP_LOG: case IR_OP_SQRT:
	case IR_OP_ABS: case IR_OP_NEG: case IR_OP_SIGMOID_MUL:
		break;
	default:
		return false;
	}
	if (op->nresults != 1 || op->noperands < 1)
		return false;
	const ir_value *y = op->results[0];
	for (int i = 0; i < op->noperands; i++) {
		const ir_value *x = op->operands[i];
		if (!x || x->dtype != y->dtype || x->rank != y->rank)
			return false;
		for (int d = 0; d < y->rank; d++)
			if (x->dims[d] != y->dims[d])
				return false;
	}
	return true;
}

bool
ir_is_output(const ir_graph *g, const ir_value *v)
{
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == v)
			return true;
	return false;
}

void
ir_plan_clear(ir_graph *g)
{
	g->workspace = -1;
	for (int i = 0; i < g->ninputs; i++)
		g->inputs[i]->mem_offset = -1;
	for (int i = 0; i < g->nconsts; i++)
		g->consts[i]->mem_offset = -1;
	for (ir_op *op = g->first; op; op = op->next)
		for (int i = 0; i < op->nresults; i++)
			op->results[i]->mem_offset = -1;
}

ir_value *
ir_value_new(ir_graph *g, ir_dtype t, int rank, const int64_t *dims)
{
	ir_value *v = ir_alloc(g, sizeof *v);
	if (rank < 0 || rank > IR_MAX_DIMS)
		ir_die("ir_value_new: rank %d", rank);
	v->id = g->next_value_id++;
	v->mem_offset = -1;
	v->dtype = t;
	v->rank = rank;
	for (int i = 0; i < rank; i++)
		v->dims[i] = dims[i];
	return v;
}

int64_t
ir_value_numel(const ir_value *v)
{
	int64_t n = 1;
	for (int i = 0; i < v->rank; i++)
		n *= v->dims[i];
	return n;
}

size_t
ir_value_nbytes(const ir_value *v)
{
	return (size_t)ir_value_numel(v) * ir_dtype_size(v->dtype);
}

bool
ir_value_same_type(const ir_value *a, const ir_value *b)
{
	if (a->dtype != b->dtype || a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}

ir_value *
ir_graph_add_input(ir_graph *g, const char *name, ir_dtype t, int rank, const int64_t *dims)
{
	ir_value *v = ir_value_new(g, t, rank, dims);
	v->is_input = true;
	v->name = ir_strdup(g, name);
	int cap = g->capinputs;
	g->inputs = (ir_value **)grow(g, (void **)g->inputs, g->ninputs, &cap);
	g->input_names = (const char **)grow(g, (void **)g->input_names, g->ninputs, &g->capinputs);
	g->input_names[g->ninputs] = v->name;
	g->inputs[g->ninputs++] = v;
	return v;
}

void
ir_graph_add_output(ir_graph *g, ir_value *v, const char *name)
{
	int cap = g->capoutputs;
	g->outputs = (ir_value **)grow(g, (void **)g->outputs, g->noutputs, &cap);
	g->output_names = (const char **)grow(g, (void **)g->output_names, g->noutputs, &g->capoutputs);
	g->output_names[g->noutputs] = ir_strdup(g, name);
	g->outputs[g->noutputs++] = v;
}

ir_value *
ir_graph_add_const(ir_graph *g, const char *name, ir_dtype t, int rank,
                   const int64_t *dims, const void *data, bool copy, uint64_t hash)
{
	ir_value *v = ir_value_new(g, t, rank, dims);
	size_t nb = ir_value_nbytes(v);
	v->is_const = true;
	v->name = ir_strdup(g, name);
	if (data) {
		if (copy) {
			v->data = ir_alloc(g, nb);
			memcpy(v->data, data, nb);
		} else {
			v->data = (void *)data;
		}
		v->hash = ir_hash_bytes(v->data, nb);
	} else {
		v->hash = hash;
	}
	g->consts = (ir_value **)grow(g, (void **)g->consts, g->nconsts, &g->capconsts);
	g->consts[g->nconsts++] = v;
	return v;
}

/* ---- ops ---------------------------------------------------------------- */

ir_op *
ir_op_new(ir_graph *g, ir_opkind k, ir_value *const *operands, int noperands, int nres)
{
	ir_op *op = ir_alloc(g, sizeof *op);
	op->kind = k;
	op->id = g->next_op_id++;
	op->noperands = noperands;
	op->operands = ir_alloc(g, (size_t)(noperands ? noperands : 1) * sizeof *op->operands);
	for (int i = 0; i < noperands; i++)
		op->operands[i] = operands[i];
	op->nresults = nres;
	op->results = ir_alloc(g, (size_t)(nres ? nres : 1) * sizeof *op->results);
	for (int i = 0; i < nres; i++) {
		ir_value *v = ir_value_new(g, IR_F32, 0, NULL);
		v->def = op;
		v->def_index = i;
		op->results[i] = v;
	}
	return op;
}

void
ir_op_append(ir_graph *g, ir_op *op)
{
	op->next = NULL;
	op->prev = g->last;
	if (g->last)
		g->last->next = op;
	else
		g->first = op;
	g->last = op;
	g->nops++;
}

void
ir_op_insert_before(ir_graph *g, ir_op *op, ir_op *before)
{
	if (!before) {
		ir_op_append(g, op);
		return;
	}
	op->next = before;
	op->prev = before->prev;
	if (before->prev)
		before->prev->next = op;
	else
		g->first = op;
	before->prev = op;
	g->nops++;
}

void
ir_op_remove(ir_graph *g, ir_op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else
		g->first = op->next;
	if (op->next)
		op->next->prev = op->prev;
	else
		g->last = op->prev;
	op->prev = op->next = NULL;
	g->nops--;
}

void
ir_value_replace_uses(ir_graph *g, ir_value *from, ir_value *to)
{
	for (ir_op *op = g->first; op; op = op->next)
		for (int i = 0; i < op->noperands; i++)
			if (op->operands[i] == from)
				op->operands[i] = to;
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == from)
			g->outputs[i] = to;
}

void
ir_graph_compute_uses(ir_graph *g)
{
	/* reset */
	for (int i = 0; i < g->ninputs; i++)
		g->inputs[i]->nuses = 0;
	for (int i = 0; i < g->nconsts; i++)
		g->consts[i]->nuses = 0;
	for (ir_op *op = g->first; op; op = op->next)
		for (int i = 0; i < op->nresults; i++)
			op->results[i]->nuses = 0;

	/* count operand slots, and distinct users via aux as a counter */
	for (ir_op *op = g->first; op; op = op->next)
		for (int i = 0; i < op->noperands; i++)
			if (op->operands[i])
				op->operands[i]->nuses++;
	for (int i = 0; i < g->noutputs; i++)
		g->outputs[i]->nuses++;

#define ALLOC_USERS(v) ((v)->users = ir_alloc(g, (size_t)((v)->nuses + 1) * sizeof(ir_op *)), (v)->aux = 0)
	for (int i = 0; i < g->ninputs; i++)
		ALLOC_USERS(g->inputs[i]);
	for (int i = 0; i < g->nconsts; i++)
		ALLOC_USERS(g->consts[i]);
	for (ir_op *op = g->first; op; op = op->next)
		for (int i = 0; i < op->nresults; i++)
			ALLOC_USERS(op->results[i]);
#undef ALLOC_USERS

	for (ir_op *op = g->first; op; op = op->next)
		for (int i = 0; i < op->noperands; i++) {
			ir_value *v = op->operands[i];
			if (!v)
				continue;
			if (v->aux > 0 && v->users[v->aux - 1] == op)
				continue; /* same op, adjacent operand */
			bool seen = false;
			for (int64_t k = 0; k < v->aux; k++)
				if (v->users[k] == op)
					seen = true;
			if (!seen)
				v->users[v->aux++] = op;
		}
}

void
ir_graph_drop_unused_consts(ir_graph *g)
{
	int n = 0;
	for (int i = 0; i < g->nconsts; i++)
		if (g->consts[i]->nuses > 0)
			g->consts[n++] = g->consts[i];
	g->nconsts = n;
}

/* ---- attributes --------------------------------------------------------- */

static ir_attr *
attr_slot(ir_graph *g, ir_op *op, const char *name)
{
	int i;
	for (i = 0; i < op->nattrs; i++) {
		int c = strcmp(op->attrs[i].name, name);
		if (c == 0) {
			memset(&op->attrs[i], 0, sizeof op->attrs[i]);
			op->attrs[i].name = ir_strdup(g, name);
			return &op->attrs[i];
		}
		if (c > 0)
			break;
	}
	/* insert at i, keeping the list sorted by name */
	ir_attr *na = ir_alloc(g, (size_t)(op->nattrs + 1) * sizeof *na);
	if (i)
		memcpy(na, op->attrs, (size_t)i * sizeof *na);
	if (op->nattrs - i)
		memcpy(na + i + 1, op->attrs + i, (size_t)(op->nattrs - i) * sizeof *na);
	op->attrs = na;
	op->nattrs++;
	na[i].name = ir_strdup(g, name);
	return &na[i];
}

void
ir_op_set_int(ir_graph *g, ir_op *op, const char *name, int64_t v)
{
	ir_attr *a = attr_slot(g, op, name);
	a->kind = IR_ATTR_INT;
	a->i = v;
}

void
ir_op_set_float(ir_graph *g, ir_op *op, const char *name, float v)
{
	ir_attr *a = attr_slot(g, op, name);
	a->kind = IR_ATTR_FLOAT;
	a->f = v;
}

void
ir_op_set_ints(ir_graph *g, ir_op *op, const char *name, const int64_t *v, int n)
{
	ir_attr *a = attr_slot(g, op, name);
	a->kind = IR_ATTR_INTS;
	a->n = n;
	a->ints = ir_alloc(g, (size_t)(n ? n : 1) * sizeof *a->ints);
	if (n)
		memcpy(a->ints, v, (size_t)n * sizeof *a->ints);
}

void
ir_op_set_floats(ir_graph *g, ir_op *op, const char *name, const float *v, int n)
{
	ir_attr *a = attr_slot(g, op, name);
	a->kind = IR_ATTR_FLOATS;
	a->n = n;
	a->floats = ir_alloc(g, (size_t)(n ? n : 1) * sizeof *a->floats);
	if (n)
		memcpy(a->floats, v, (size_t)n * sizeof *a->floats);
}

void
ir_op_set_string(ir_graph *g, ir_op *op, const char *name, const char *s)
{
	ir_attr *a = attr_slot(g, op, name);
	a->kind = IR_ATTR_STRING;
	a->s = ir_strdup(g, s);
}

const ir_attr *
ir_op_attr(const ir_op *op, const char *name)
{
	for (int i = 0; i < op->nattrs; i++)
		if (strcmp(op->attrs[i].name, name) == 0)
			return &op->attrs[i];
	return NULL;
}

int64_t
ir_op_int(const ir_op *op, const char *name, int64_t dflt)
{
	const ir_attr *a = ir_op_attr(op, name);
	return a && a->kind == IR_ATTR_INT ? a->i : dflt;
}

float
ir_op_float(const ir_op *op, const char *name, float dflt)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (!a)
		return dflt;
	if (a->kind == IR_ATTR_FLOAT)
		return a->f;
	if (a->kind == IR_ATTR_INT)
		return (float)a->i;
	return dflt;
}

const char *
ir_op_string(const ir_op *op, const char *name, const char *dflt)
{
	const ir_attr *a = ir_op_attr(op, name);
	return a && a->kind == IR_ATTR_STRING ? a->s : dflt;
}

const int64_t *
ir_op_ints(const ir_op *op, const char *name, int *n)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (a && a->kind == IR_ATTR_INTS) {
		*n = a->n;
		return a->ints;
	}
	*n = 0;
	return NULL;
}

const float *
ir_op_floats(const ir_op *op, const char *name, int *n)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (a && a->kind == IR_ATTR_FLOATS) {
		*n = a->n;
		return a->floats;
	}
	*n = 0;
	return NULL;
}

/* ---- hashing ------------------------------------------------------------ */

uint64_t
ir_hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h ^= w;
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	h ^= (uint64_t)n;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 32;
	return h;
}
