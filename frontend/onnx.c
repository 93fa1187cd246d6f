/*
 * onnx.c - fe_load_onnx: an ONNX ModelProto file to a verified resc graph.
 *
 * The pipeline, in order:
 *   read the file (size-limited)          fe_read_file
 *   check protobuf nesting, unpack        fe_pb_check, protobuf-c
 *   opset, op histogram (fe_info)         check_opset, fill_info
 *   which names are read at all           collect_used
 *   initializers -> constants             import_initializers (only used ones)
 *   graph inputs -> inputs / constants    import_inputs (batch, input_values)
 *   nodes in topological order            topo_sort (Kahn, min index first)
 *   each node -> IR ops, folded eagerly   fe_import_node (nodes.c)
 *   graph outputs                         import_outputs
 *   drop unused constants, verify         ir_graph_verify
 *
 * The file is untrusted: every count, index, name and type is checked before
 * use, nothing is allocated from a size that was not checked first, and the
 * arena's out-of-memory longjmp lands in fe_load_onnx, which frees the
 * protobuf and the graph.  Errors are one line, naming the node as
 *   node 12 "/layer1/Conv" (Conv): <what>
 * where 12 is the node's index in the file's node list.
 */
#include "fe_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- map ------------------------------------------------------------------- */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 31);
}

void
fe_map_init(ir_graph *g, fe_map *m, size_t max_entries)
{
	size_t cap = 16;
	while (cap < 2 * max_entries + 16)
		cap *= 2;
	m->cap = cap;
	m->n = 0;
	m->keys = ir_alloc(g, cap * sizeof *m->keys);
	m->vals = ir_alloc(g, cap * sizeof *m->vals);
}

static size_t
map_slot(const fe_map *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *
fe_map_get(const fe_map *m, const char *key)
{
	if (!m->cap || !key)
		return NULL;
	size_t i = map_slot(m, key);
	return m->keys[i] ? m->vals[i] : NULL;
}

void
fe_map_put(fe_map *m, const char *key, void *val)
{
	size_t i = map_slot(m, key);
	if (!m->keys[i]) {
		if (m->n + 1 >= m->cap)
			ir_die("fe_map_put: map full");
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
}

/* ---- messages ---------------------------------------------------------------- */

const char *
fe_q(fe_ctx *c, const char *s)
{
	char buf[200];
	size_t k = 0;
	if (!s)
		s = "";
	for (; *s && k + 5 < sizeof buf - 4; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\'' || ch == '\\')
			k += (size_t)snprintf(buf + k, sizeof buf - k, "\\x%02x", ch);
		else
			buf[k++] = (char)ch;
	}
	if (*s) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = 0;
	return ir_strdup(c->g, buf);
}

const char *
fe_node_loc(fe_ctx *c, const Onnx__NodeProto *n, int64_t index)
{
	if (n->name && *n->name)
		return ir_strdup(c->g, n->name);
	char buf[160];
	snprintf(buf, sizeof buf, "%.100s_%lld", n->op_type ? n->op_type : "node", (ll)index);
	return ir_strdup(c->g, buf);
}

int
fe_err(fe_ctx *c, const char *fmt, ...)
{
	char msg[sizeof c->e->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->node)
		return ir_errf(c->e, "node %lld \"%s\" (%s): %s", (ll)c->node_index, fe_q(c, c->loc),
		               fe_q(c, c->node->op_type), msg);
	return ir_errf(c->e, "%s", msg);
}

/* ---- node inputs, outputs, attributes -------------------------------------------- */

ir_value *
fe_in(fe_ctx *c, const Onnx__NodeProto *n, size_t i)
{
	if (i >= n->n_input || !n->input[i] || !*n->input[i])
		return NULL;
	return fe_map_get(&c->values, n->input[i]);
}

int
fe_in_req(fe_ctx *c, const Onnx__NodeProto *n, size_t i, const char *what, ir_value **v)
{
	*v = fe_in(c, n, i);
	if (!*v) {
		if (i < n->n_input && n->input[i] && *n->input[i])
			return fe_err(c, "input '%s' is not defined", fe_q(c, n->input[i]));
		return fe_err(c, "missing input %zu (%s)", i, what);
	}
	return 0;
}

void
fe_out(fe_ctx *c, const Onnx__NodeProto *n, size_t i, ir_value *v)
{
	if (i < n->n_output && n->output[i] && *n->output[i])
		fe_map_put(&c->values, n->output[i], v);
}

bool
fe_out_used(fe_ctx *c, const Onnx__NodeProto *n, size_t i)
{
	return i < n->n_output && n->output[i] && *n->output[i] &&
	       fe_map_get(&c->used, n->output[i]) != NULL;
}

const Onnx__AttributeProto *
fe_attr(const Onnx__NodeProto *n, const char *name)
{
	for (size_t i = 0; i < n->n_attribute; i++)
		if (n->attribute[i] && n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
			return n->attribute[i];
	return NULL;
}

/* The attribute's type: the type field, or for old files the field that is set. */
static int
attr_type(const Onnx__AttributeProto *a)
{
	if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
		return a->type;
	if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
	if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
	if (a->n_tensors) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
	if (a->n_graphs) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
	if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
	if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
	if (a->sparse_tensor) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
	return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

int
fe_attr_int(fe_ctx *c, const Onnx__NodeProto *n, const char *name, int64_t dflt, int64_t *v)
{
	const Onnx__AttributeProto *a = fe_attr(n, name);
	*v = dflt;
	if (!a)
		return 0;
	if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
		return fe_err(c, "attribute '%s' must be an int", name);
	*v = a->i;
	return 0;
}

int
fe_attr_float(fe_ctx *c, const Onnx__NodeProto *n, const char *name, float dflt, float *v)
{
	const Onnx__AttributeProto *a = fe_attr(n, name);
	*v = dflt;
	if (!a)
		return 0;
	if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)
		return fe_err(c, "attribute '%s' must be a float", name);
	*v = a->f;
	return 0;
}

int
fe_attr_string(fe_ctx *c, const Onnx__NodeProto *n, const char *name, const char *dflt, const char **v)
{
	const Onnx__AttributeProto *a = fe_attr(n, name);
	*v = dflt;
	if (!a)
		return 0;
	if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
		return fe_err(c, "attribute '%s' must be a string", name);
	*v = ir_strndup(c->g, a->s.data ? (const char *)a->s.data : "", a->s.data ? a->s.len : 0);
	return 0;
}

int
fe_attr_ints(fe_ctx *c, const Onnx__NodeProto *n, const char *name, int maxn,
             const int64_t **v, int *len, bool *present)
{
	const Onnx__AttributeProto *a = fe_attr(n, name);
	*v = NULL;
	*len = 0;
	if (present)
		*present = a != NULL;
	if (!a)
		return 0;
	if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
		return fe_err(c, "attribute '%s' must be a list of ints", name);
	if (a->n_ints > (size_t)maxn)
		return fe_err(c, "attribute '%s' has %zu entries (at most %d)", name, a->n_ints, maxn);
	*v = a->ints;
	*len = (int)a->n_ints;
	return 0;
}

int
fe_attr_floats(fe_ctx *c, const Onnx__NodeProto *n, const char *name, int maxn,
               const float **v, int *len, bool *present)
{
	const Onnx__AttributeProto *a = fe_attr(n, name);
	*v = NULL;
	*len = 0;
	if (present)
		*present = a != NULL;
	if (!a)
		return 0;
	if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS)
		return fe_err(c, "attribute '%s' must be a list of floats", name);
	if (a->n_floats > (size_t)maxn)
		return fe_err(c, "attribute '%s' has %zu entries (at most %d)", name, a->n_floats, maxn);
	*v = a->floats;
	*len = (int)a->n_floats;
	return 0;
}

/* ---- constant operands ---------------------------------------------------------- */

/*
 * The data of v when it is a constant, or when it is a float graph input
 * whose value was given in fe_options.input_values (an ahead-of-time
 * compiler specialises on such parameters: ONNX's node tests pass Clip's
 * bounds and Resize's scales as graph inputs).  NULL otherwise.
 */
static const void *
const_data(fe_ctx *c, const ir_value *v)
{
	if (fe_is_const(v))
		return v->data;
	if (v && v->is_input && v->name) {
		const fe_tensor *t = fe_map_get(&c->given, v->name);
		return t ? t->data : NULL;
	}
	return NULL;
}

int
fe_const_ints(fe_ctx *c, ir_value *v, const char *what, int maxn, int64_t **vals, int *len)
{
	if (!fe_is_const(v))
		return fe_err(c, "%s input must be constant", what);
	if (v->dtype != IR_I64 && v->dtype != IR_I32)
		return fe_err(c, "%s input must be i64 or i32, not %s", what, ir_dtype_name(v->dtype));
	if (v->rank > 1)
		return fe_err(c, "%s input must be a 1-D tensor, not rank %d", what, v->rank);
	int64_t n = ir_value_numel(v);
	if (n > maxn)
		return fe_err(c, "%s input has %lld entries (at most %d)", what, (ll)n, maxn);
	int64_t *out = ir_alloc(c->g, (size_t)(n ? n : 1) * sizeof *out);
	for (int64_t i = 0; i < n; i++)
		out[i] = v->dtype == IR_I64 ? ((const int64_t *)v->data)[i] : ((const int32_t *)v->data)[i];
	*vals = out;
	*len = (int)n;
	return 0;
}

int
fe_const_floats(fe_ctx *c, ir_value *v, const char *what, int maxn, float **vals, int *len)
{
	const void *data = const_data(c, v);
	if (!data)
		return fe_err(c, "%s input must be constant", what);
	if (v->dtype != IR_F32 && v->dtype != IR_F64)
		return fe_err(c, "%s input must be f32, not %s", what, ir_dtype_name(v->dtype));
	if (v->rank > 1)
		return fe_err(c, "%s input must be a 1-D tensor, not rank %d", what, v->rank);
	int64_t n = ir_value_numel(v);
	if (n > maxn)
		return fe_err(c, "%s input has %lld entries (at most %d)", what, (ll)n, maxn);
	float *out = ir_alloc(c->g, (size_t)(n ? n : 1) * sizeof *out);
	for (int64_t i = 0; i < n; i++)
		out[i] = v->dtype == IR_F32 ? ((const float *)data)[i] : (float)((const double *)data)[i];
	*vals = out;
	*len = (int)n;
	return 0;
}

int
fe_const_scalar(fe_ctx *c, ir_value *v, const char *what, double *out)
{
	const void *p = const_data(c, v);
	if (!p)
		return fe_err(c, "%s input must be constant", what);
	if (ir_value_numel(v) != 1)
		return fe_err(c, "%s input must be a scalar, not %lld elements", what, (ll)ir_value_numel(v));
	switch (v->dtype) {
	case IR_F32: *out = *(const float *)p; break;
	case IR_F64: *out = *(const double *)p; break;
	case IR_I8: *out = *(const int8_t *)p; break;
	case IR_U8: *out = *(const uint8_t *)p; break;
	case IR_I32: *out = *(const int32_t *)p; break;
	case IR_I64: *out = (double)*(const int64_t *)p; break;
	case IR_BOOL: *out = *(const uint8_t *)p != 0; break;
	default: return fe_err(c, "%s input has an invalid dtype", what);
	}
	return 0;
}

/* ---- ops ------------------------------------------------------------------------ */

ir_op *
fe_op(fe_ctx *c, ir_opkind k, ir_value *const *operands, int n, int nres)
{
	ir_op *op = ir_op_new(c->g, k, operands, n, nres);
	op->loc = c->loc;
	return op;
}

void
fe_set_type(ir_op *op, int r, ir_dtype t, int rank, const int64_t *dims)
{
	ir_value *v = op->results[r];
	v->dtype = t;
	v->rank = rank;
	for (int i = 0; i < rank; i++)
		v->dims[i] = dims[i];
}

/* Drops an "opname: " prefix from an ir_op_infer message: the node prefix
 * already names the operator. */
static const char *
strip_opname(const ir_op *op, const char *msg)
{
	const char *name = ir_opinfos[op->kind].name;
	size_t n = strlen(name);
	if (strncmp(msg, name, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

static int
emit(fe_ctx *c, ir_op *op, bool fold)
{
	ir_err sub;
	if (ir_op_infer(c->g, op, &sub))
		return fe_err(c, "%s", strip_opname(op, sub.msg));
	for (int r = 0; r < op->nresults; r++) {
		ir_value *v = op->results[r];
		size_t nb = ir_value_nbytes(v);
		if ((int64_t)nb > c->max_tensor_bytes) {
			char dims[200];
			size_t k = 0;
			for (int i = 0; i < v->rank && k < sizeof dims - 24; i++)
				k += (size_t)snprintf(dims + k, sizeof dims - k, "%s%lld", i ? "," : "", (ll)v->dims[i]);
			dims[k] = 0;
			return fe_err(c, "result %s[%s] is %zu bytes, over the limit of %lld",
			              ir_dtype_name(v->dtype), dims, nb, (ll)c->max_tensor_bytes);
		}
	}
	bool all_const = fold && op->noperands > 0;
	for (int i = 0; i < op->noperands && all_const; i++)
		if (op->operands[i] && !fe_is_const(op->operands[i]))
			all_const = false;
	if (!all_const) {
		ir_op_append(c->g, op);
		return 0;
	}
	const void **in = ir_alloc(c->g, (size_t)op->noperands * sizeof *in);
	void **out = ir_alloc(c->g, (size_t)op->nresults * sizeof *out);
	for (int i = 0; i < op->noperands; i++)
		in[i] = op->operands[i] ? op->operands[i]->data : NULL;
	for (int r = 0; r < op->nresults; r++)
		out[r] = ir_alloc(c->g, ir_value_nbytes(op->results[r]));
	if (ir_interp_op(op, in, out, &sub))
		return fe_err(c, "folding %s: %s", ir_opinfos[op->kind].name, sub.msg);
	for (int r = 0; r < op->nresults; r++) {
		ir_value *v = op->results[r];
		op->results[r] = ir_graph_add_const(c->g, NULL, v->dtype, v->rank, v->dims, out[r], false, 0);
	}
	return 0;
}

int
fe_emit(fe_ctx *c, ir_op *op)
{
	return emit(c, op, true);
}

int
fe_reshape(fe_ctx *c, ir_value *x, int rank, const int64_t *dims, ir_value **out)
{
	bool same = rank == x->rank;
	for (int i = 0; same && i < rank; i++)
		same = dims[i] == x->dims[i];
	if (same) {
		*out = x;
		return 0;
	}
	ir_op *op = fe_op(c, IR_OP_RESHAPE, &x, 1, 1);
	fe_set_type(op, 0, x->dtype, rank, dims);
	if (fe_emit(c, op))
		return -1;
	*out = op->results[0];
	return 0;
}

/* ---- the model ------------------------------------------------------------------ */

static bool
default_domain(const char *d)
{
	return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

static int
check_opset(fe_ctx *c)
{
	const Onnx__ModelProto *m = c->model;
	bool found = false;
	for (size_t i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];
		if (!o || !default_domain(o->domain))
			continue;
		int64_t v = o->has_version ? o->version : 0;
		if (found && v != c->opset)
			return fe_err(c, "model imports the default opset twice (%lld and %lld)", (ll)c->opset, (ll)v);
		c->opset = v;
		found = true;
	}
	if (!found)
		return fe_err(c, "model has no opset_import for the default ONNX domain");
	if (c->opset < 7 || c->opset > 18)
		return fe_err(c, "opset %lld is not supported (resc supports opsets 7 to 18)", (ll)c->opset);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct hist {
	char *name;
	int count;
};

static int
cmp_hist(const void *a, const void *b)
{
	const struct hist *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* fe_info: the op histogram, most frequent first.  malloc'd (the caller frees
 * with fe_info_free, also after a failed load). */
static int
fill_info(fe_ctx *c, fe_info *info)
{
	const Onnx__GraphProto *gp = c->model->graph;
	size_t n = gp->n_node;
	char **names = fe_calloc(n ? n : 1, sizeof *names);
	if (!names)
		return fe_err(c, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const Onnx__NodeProto *nd = gp->node[i];
		const char *ot = nd && nd->op_type ? nd->op_type : "?";
		const char *dom = nd && !default_domain(nd->domain) ? nd->domain : NULL;
		size_t len = strlen(ot) + (dom ? strlen(dom) + 1 : 0) + 1;
		names[i] = fe_malloc(len);
		if (!names[i])
			rc = fe_err(c, "out of memory");
		else if (dom)
			snprintf(names[i], len, "%s.%s", dom, ot);
		else
			memcpy(names[i], ot, len);
	}
	if (rc == 0) {
		qsort(names, n, sizeof *names, cmp_str);
		size_t nt = 0;
		for (size_t i = 0; i < n; i++)
			if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
				nt++;
		struct hist *h = fe_calloc(nt ? nt : 1, sizeof *h);
		info->types = fe_calloc(nt ? nt : 1, sizeof *info->types);
		info->counts = fe_calloc(nt ? nt : 1, sizeof *info->counts);
		if (!h || !info->types || !info->counts)
			rc = fe_err(c, "out of memory");
		for (size_t i = 0, k = 0; i < n && rc == 0; i++) {
			if (k == 0 || strcmp(names[i], h[k - 1].name) != 0) {
				h[k++].name = names[i];
				names[i] = NULL; /* now owned by h */
			}
			h[k - 1].count++;
		}
		if (rc == 0) {
			/* most frequent first, then by name */
			qsort(h, nt, sizeof *h, cmp_hist);
			for (size_t i = 0; i < nt; i++) {
				info->types[i] = h[i].name;
				info->counts[i] = h[i].count;
			}
			info->ntypes = (int)nt;
		}
		free(h);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	info->opset = c->opset;
	info->nnodes = (int64_t)n;
	const char *pn = c->model->producer_name, *pv = c->model->producer_version;
	if (rc == 0 && pn && *pn) {
		size_t len = strlen(pn) + (pv ? strlen(pv) : 0) + 2;
		info->producer = fe_malloc(len);
		if (!info->producer)
			return fe_err(c, "out of memory");
		snprintf(info->producer, len, "%s%s%s", pn, pv && *pv ? " " : "", pv && *pv ? pv : "");
	}
	return rc;
}

void
fe_info_free(fe_info *info)
{
	if (!info)
		return;
	for (int i = 0; i < info->ntypes; i++)
		free(info->types[i]);
	free(info->types);
	free(info->counts);
	free(info->producer);
	for (int i = 0; i < info->ninputs; i++)
		free(info->input_names[i]);
	free(info->input_names);
	memset(info, 0, sizeof *info);
}

/* Names read by some node or graph output; sizes the maps. */
static int
collect_used(fe_ctx *c, size_t *nnames)
{
	const Onnx__GraphProto *gp = c->model->graph;
	size_t total = gp->n_initializer + gp->n_input + gp->n_output, nin = gp->n_output;
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *nd = gp->node[i];
		if (!nd)
			return fe_err(c, "node %zu is empty", i);
		total += nd->n_output;
		nin += nd->n_input;
	}
	*nnames = total;
	fe_map_init(c->g, &c->values, total);
	fe_map_init(c->g, &c->used, nin);
	for (size_t i = 0; i < gp->n_node; i++)
		for (size_t j = 0; j < gp->node[i]->n_input; j++) {
			const char *s = gp->node[i]->input[j];
			if (s && *s)
				fe_map_put(&c->used, s, (void *)1);
		}
	for (size_t i = 0; i < gp->n_output; i++)
		if (gp->output[i] && gp->output[i]->name && *gp->output[i]->name)
			fe_map_put(&c->used, gp->output[i]->name, (void *)1);
	return 0;
}

static void *
arena_alloc(void *actx, size_t n)
{
	return ir_alloc((ir_graph *)actx, n);
}

static int
import_initializers(fe_ctx *c)
{
	const Onnx__GraphProto *gp = c->model->graph;
	if (gp->n_sparse_initializer)
		return fe_err(c, "sparse initializers are not supported");
	fe_map_init(c->g, &c->inits, gp->n_initializer);
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *t = gp->initializer[i];
		if (!t || !t->name || !*t->name)
			return fe_err(c, "initializer %zu has no name", i);
		if (fe_map_get(&c->inits, t->name))
			return fe_err(c, "initializer '%s' is defined twice", fe_q(c, t->name));
		fe_map_put(&c->inits, t->name, (void *)1);
		if (!fe_map_get(&c->used, t->name))
			continue; /* never read: not decoded at all */
		char what[256];
		snprintf(what, sizeof what, "initializer '%s'", fe_q(c, t->name));
		fe_dense d;
		ir_err sub;
		if (fe_decode_tensor(t, what, c->dir, c->max_tensor_bytes, arena_alloc, c->g, &d, &sub))
			return fe_err(c, "%s", sub.msg);
		ir_value *v = ir_graph_add_const(c->g, t->name, d.t, d.rank, d.dims, d.data, false, 0);
		fe_map_put(&c->values, t->name, v);
	}
	return 0;
}

static bool
is_int_dtype(ir_dtype t)
{
	return t == IR_I8 || t == IR_U8 || t == IR_I32 || t == IR_I64 || t == IR_BOOL;
}

static int
import_inputs(fe_ctx *c)
{
	const Onnx__GraphProto *gp = c->model->graph;
	const fe_options *o = c->o;
	int k = 0; /* index among the real (non-initializer) inputs */
	fe_map seen;
	fe_map_init(c->g, &seen, gp->n_input);
	fe_map_init(c->g, &c->given, gp->n_input);
	fe_info *info = o ? o->info : NULL;
	if (info && !(info->input_names = fe_calloc(gp->n_input + 1, sizeof *info->input_names)))
		return fe_err(c, "out of memory");
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		if (!vi || !vi->name || !*vi->name)
			return fe_err(c, "graph input %zu has no name", i);
		const char *name = fe_q(c, vi->name);
		if (fe_map_get(&seen, vi->name))
			return fe_err(c, "graph input '%s' is listed twice", name);
		fe_map_put(&seen, vi->name, (void *)1);
		if (fe_map_get(&c->inits, vi->name))
			continue; /* an initializer: a constant (or unused) */

		const fe_tensor *given = o && k < o->ninput_values && o->input_values ? &o->input_values[k] : NULL;
		k++;
		if (info && !(info->input_names[info->ninputs++] = fe_strdup(vi->name)))
			return fe_err(c, "out of memory");
		const Onnx__TypeProto *tp = vi->type;
		if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
			return fe_err(c, "graph input '%s' is not a tensor", name);
		const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
		const char *tn;
		int dt = fe_onnx_dtype(tt->has_elem_type ? tt->elem_type : 0, &tn);
		if (dt < 0)
			return fe_err(c, "graph input '%s' has unsupported dtype %s", name, tn);
		int64_t dims[IR_MAX_DIMS];
		int rank;
		const fe_input_shape *ov = NULL; /* --input-shape for this input */
		for (int j = 0; o && o->input_shapes && j < o->ninput_shapes; j++)
			if (o->input_shapes[j].name && strcmp(o->input_shapes[j].name, vi->name) == 0)
				ov = &o->input_shapes[j];
		if (ov) {
			rank = ov->rank;
			if (rank < 0 || rank > IR_MAX_DIMS)
				return fe_err(c, "the shape given for input '%s' has rank %d", name, rank);
			if (tt->shape && tt->shape->n_dim != (size_t)rank)
				return fe_err(c, "the shape given for input '%s' has rank %d, the model says %zu",
				              name, rank, tt->shape->n_dim);
			memcpy(dims, ov->dims, (size_t)rank * sizeof *dims);
			for (int d = 0; given && d < rank; d++)
				if (given->rank != rank || given->dims[d] != dims[d])
					return fe_err(c, "the value given for input '%s' does not have the shape given for it", name);
		} else if (!tt->shape) {
			if (!given)
				return fe_err(c, "graph input '%s' has no shape", name);
			rank = given->rank;
			if (rank < 0 || rank > IR_MAX_DIMS)
				return fe_err(c, "the value given for input '%s' has rank %d", name, rank);
			memcpy(dims, given->dims, (size_t)rank * sizeof *dims);
		} else {
			if (tt->shape->n_dim > IR_MAX_DIMS)
				return fe_err(c, "graph input '%s' has rank %zu (at most %d)", name, tt->shape->n_dim, IR_MAX_DIMS);
			rank = (int)tt->shape->n_dim;
			if (given && given->rank != rank)
				return fe_err(c, "the value given for input '%s' has rank %d, the model says %d",
				              name, given->rank, rank);
			for (int d = 0; d < rank; d++) {
				const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[d];
				bool fixed = dm && dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
				             dm->dim_value != 0;
				if (fixed && dm->dim_value < 0)
					return fe_err(c, "graph input '%s' has a negative dimension %lld on axis %d",
					              name, (ll)dm->dim_value, d);
				if (fixed && d == 0 && o && o->batch > 0) {
					dims[d] = o->batch; /* --batch re-batches a fixed-batch model too */
					if (given && given->dims[d] != dims[d])
						return fe_err(c, "the value given for input '%s' has %lld on axis 0, the batch is %lld",
						              name, (ll)given->dims[d], (ll)dims[d]);
				} else if (fixed) {
					dims[d] = dm->dim_value;
					if (given && given->dims[d] != dims[d])
						return fe_err(c, "the value given for input '%s' has %lld on axis %d, the model says %lld",
						              name, (ll)given->dims[d], d, (ll)dims[d]);
				} else if (given) {
					dims[d] = given->dims[d];
				} else if (d == 0) {
					dims[d] = c->batch;
				} else {
					const char *sym = dm && dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
					                  dm->dim_param && *dm->dim_param ? fe_q(c, dm->dim_param) : "?";
					return fe_err(c, "input '%s' has a symbolic dim '%s' on axis %d "
					              "(give --batch or a fixed-size model)", name, sym, d);
				}
			}
		}
		int64_t bytes = (int64_t)ir_dtype_size((ir_dtype)dt);
		for (int d = 0; d < rank; d++)
			if (dims[d] < 0 || ir_mul_overflows(bytes, dims[d], &bytes))
				return fe_err(c, "graph input '%s' is too large", name);
		if (bytes > c->max_tensor_bytes)
			return fe_err(c, "graph input '%s' is %lld bytes, over the limit of %lld",
			              name, (ll)bytes, (ll)c->max_tensor_bytes);
		if (given && given->dtype != (ir_dtype)dt)
			return fe_err(c, "the value given for input '%s' is %s, the model says %s",
			              name, ir_dtype_name(given->dtype), ir_dtype_name((ir_dtype)dt));
		ir_value *v;
		if (given && is_int_dtype((ir_dtype)dt)) {
			if ((int64_t)given->nbytes != bytes || (bytes && !given->data))
				return fe_err(c, "the value given for input '%s' has %zu bytes, expected %lld",
				              name, given->nbytes, (ll)bytes);
			v = ir_graph_add_const(c->g, vi->name, (ir_dtype)dt, rank, dims, given->data, true, 0);
		} else {
			v = ir_graph_add_input(c->g, vi->name, (ir_dtype)dt, rank, dims);
			/* A float input stays an input; its given value is used only
			 * where a node needs a constant parameter (Clip's bounds,
			 * Resize's scales, Pad's value): see given_data(). */
			if (given && (int64_t)given->nbytes == bytes && given->data)
				fe_map_put(&c->given, vi->name, (void *)given);
		}
		fe_map_put(&c->values, vi->name, v);
	}
	for (int j = 0; o && o->input_shapes && j < o->ninput_shapes; j++) {
		const char *n = o->input_shapes[j].name;
		if (!n || !fe_map_get(&c->values, n) || fe_map_get(&c->inits, n))
			return fe_err(c, "--input-shape: the model has no graph input '%s'", n ? fe_q(c, n) : "");
	}
	return 0;
}

/* ---- topological order ------------------------------------------------------------ */

/* Min-heap of node indices. */
static void
heap_push(int64_t *h, size_t *n, int64_t v)
{
	size_t i = (*n)++;
	while (i > 0 && h[(i - 1) / 2] > v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static int64_t
heap_pop(int64_t *h, size_t *n)
{
	int64_t top = h[0], v = h[--*n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		int64_t mv = v;
		if (l < *n && h[l] < mv)
			m = l, mv = h[l];
		if (l + 1 < *n && h[l + 1] < mv)
			m = l + 1;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	if (*n)
		h[i] = v;
	return top;
}

static void
set_node(fe_ctx *c, const Onnx__NodeProto *n, int64_t idx)
{
	c->node = n;
	c->node_index = idx;
	c->loc = fe_node_loc(c, n, idx);
}

/*
 * Kahn's algorithm, always taking the ready node with the smallest index, so
 * an already sorted graph keeps its order.  Checks that every input is
 * defined and every output defined once, and names a node on a cycle.
 */
static int
topo_sort(fe_ctx *c, int64_t **order_out)
{
	const Onnx__GraphProto *gp = c->model->graph;
	size_t N = gp->n_node;
	fe_map prod;            /* output name -> node index + 1 */
	size_t nout = 0;
	for (size_t i = 0; i < N; i++)
		nout += gp->node[i]->n_output;
	fe_map_init(c->g, &prod, nout);

	for (size_t i = 0; i < N; i++) {
		const Onnx__NodeProto *n = gp->node[i];
		for (size_t j = 0; j < n->n_output; j++) {
			const char *s = n->output[j];
			if (!s || !*s)
				continue;
			if (fe_map_get(&c->values, s) || fe_map_get(&prod, s)) {
				set_node(c, n, (int64_t)i);
				return fe_err(c, "output '%s' is already defined", fe_q(c, s));
			}
			fe_map_put(&prod, s, (void *)(intptr_t)(i + 1));
		}
	}
	/* in-degrees (one per input slot produced by a node) and consumer lists */
	int64_t *indeg = ir_alloc(c->g, (N + 1) * sizeof *indeg);
	int64_t *start = ir_alloc(c->g, (N + 2) * sizeof *start);
	size_t nedges = 0;
	for (size_t i = 0; i < N; i++) {
		const Onnx__NodeProto *n = gp->node[i];
		for (size_t j = 0; j < n->n_input; j++) {
			const char *s = n->input[j];
			if (!s || !*s)
				continue;
			intptr_t p = (intptr_t)fe_map_get(&prod, s);
			if (p) {
				indeg[i]++;
				start[p - 1 + 1]++;
				nedges++;
			} else if (!fe_map_get(&c->values, s)) {
				set_node(c, n, (int64_t)i);
				return fe_err(c, "input '%s' is not defined", fe_q(c, s));
			}
		}
	}
	for (size_t i = 0; i < N; i++)
		start[i + 1] += start[i];
	int64_t *cons = ir_alloc(c->g, (nedges + 1) * sizeof *cons);
	int64_t *fill = ir_alloc(c->g, (N + 1) * sizeof *fill);
	for (size_t i = 0; i < N; i++) {
		const Onnx__NodeProto *n = gp->node[i];
		for (size_t j = 0; j < n->n_input; j++) {
			intptr_t p = n->input[j] && *n->input[j] ? (intptr_t)fe_map_get(&prod, n->input[j]) : 0;
			if (p)
				cons[start[p - 1] + fill[p - 1]++] = (int64_t)i;
		}
	}

	int64_t *heap = ir_alloc(c->g, (N + 1) * sizeof *heap);
	int64_t *order = ir_alloc(c->g, (N + 1) * sizeof *order);
	size_t nh = 0, no = 0;
	for (size_t i = 0; i < N; i++)
		if (indeg[i] == 0)
			heap_push(heap, &nh, (int64_t)i);
	while (nh) {
		int64_t u = heap_pop(heap, &nh);
		order[no++] = u;
		for (int64_t k = start[u]; k < start[u + 1]; k++)
			if (--indeg[cons[k]] == 0)
				heap_push(heap, &nh, cons[k]);
	}
	if (no < N) {
		/* Walk back along unfinished producers from the first unfinished
		 * node; the first node seen twice is on a cycle.  Report the
		 * smallest index on that cycle. */
		int64_t u = 0;
		while (indeg[u] == 0)
			u++;
		unsigned char *seen = ir_alloc(c->g, N);
		while (!seen[u]) {
			seen[u] = 1;
			const Onnx__NodeProto *n = gp->node[u];
			int64_t next = -1;
			for (size_t j = 0; j < n->n_input && next < 0; j++) {
				intptr_t p = n->input[j] && *n->input[j] ? (intptr_t)fe_map_get(&prod, n->input[j]) : 0;
				if (p && indeg[p - 1] > 0)
					next = p - 1;
			}
			if (next < 0)
				ir_die("topo_sort: unfinished node %lld has no unfinished producer", (ll)u);
			u = next;
		}
		int64_t best = u, v = u;
		do {
			const Onnx__NodeProto *n = gp->node[v];
			int64_t next = -1;
			for (size_t j = 0; j < n->n_input && next < 0; j++) {
				intptr_t p = n->input[j] && *n->input[j] ? (intptr_t)fe_map_get(&prod, n->input[j]) : 0;
				if (p && indeg[p - 1] > 0)
					next = p - 1;
			}
			v = next;
			if (v < best)
				best = v;
		} while (v != u);
		const Onnx__NodeProto *n = gp->node[best];
		const char *loc = fe_node_loc(c, n, best);
		return fe_err(c, "graph has a cycle through node %lld \"%s\" (%s)", (ll)best,
		              fe_q(c, loc), fe_q(c, n->op_type));
	}
	*order_out = order;
	return 0;
}

/* ---- nodes ----------------------------------------------------------------------------- */

static int
import_nodes(fe_ctx *c, const int64_t *order)
{
	const Onnx__GraphProto *gp = c->model->graph;
	for (size_t k = 0; k < gp->n_node; k++) {
		int64_t i = order[k];
		const Onnx__NodeProto *n = gp->node[i];
		set_node(c, n, i);
		if (!n->op_type || !*n->op_type)
			return fe_err(c, "node has no op_type");
		if (!default_domain(n->domain))
			return fe_err(c, "unknown domain '%s'", fe_q(c, n->domain));
		if (n->n_attribute > 64)
			return fe_err(c, "node has %zu attributes", n->n_attribute);
		for (size_t a = 0; a < n->n_attribute; a++) {
			const Onnx__AttributeProto *at = n->attribute[a];
			if (!at || !at->name || !*at->name)
				return fe_err(c, "attribute %zu has no name", a);
			for (size_t b = 0; b < a; b++)
				if (strcmp(n->attribute[b]->name, at->name) == 0)
					return fe_err(c, "attribute '%s' is given twice", fe_q(c, at->name));
		}
		if (fe_import_node(c, n))
			return -1;
		/* every output something reads must now be defined */
		for (size_t j = 0; j < n->n_output; j++)
			if (fe_out_used(c, n, j) && !fe_map_get(&c->values, n->output[j]))
				return fe_err(c, "output %zu ('%s') is not supported", j, fe_q(c, n->output[j]));
	}
	c->node = NULL;
	return 0;
}

/* ---- outputs ------------------------------------------------------------------------------ */

static void
dims_str(char *buf, size_t n, int rank, const int64_t *d)
{
	size_t k = (size_t)snprintf(buf, n, "[");
	for (int i = 0; i < rank && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (ll)d[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
}

/* A graph output's declared shape must match the computed one where it gives
 * fixed sizes (symbolic and 0 dims match anything; so does axis 0 when the
 * caller chose the batch). */
static int
check_declared(fe_ctx *c, const char *name, const Onnx__TensorShapeProto *sh, const ir_value *v)
{
	bool ok = sh->n_dim == (size_t)v->rank;
	for (int d = 0; ok && d < v->rank; d++) {
		const Onnx__TensorShapeProto__Dimension *dm = sh->dim[d];
		if (dm && dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    dm->dim_value > 0 && dm->dim_value != v->dims[d] && !(d == 0 && c->o && c->o->batch > 0) &&
		    !(c->o && c->o->ninput_shapes > 0))
			ok = false;
	}
	if (ok)
		return 0;
	char want[200], got[200];
	size_t k = (size_t)snprintf(want, sizeof want, "[");
	for (size_t d = 0; d < sh->n_dim && d < IR_MAX_DIMS + 1 && k < sizeof want; d++) {
		const Onnx__TensorShapeProto__Dimension *dm = sh->dim[d];
		if (dm && dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dm->dim_value > 0)
			k += (size_t)snprintf(want + k, sizeof want - k, "%s%lld", d ? "," : "", (ll)dm->dim_value);
		else
			k += (size_t)snprintf(want + k, sizeof want - k, "%s?", d ? "," : "");
	}
	if (k < sizeof want)
		snprintf(want + k, sizeof want - k, "%s]", sh->n_dim > IR_MAX_DIMS + 1 ? ",..." : "");
	dims_str(got, sizeof got, v->rank, v->dims);
	return fe_err(c, "graph output '%s' is declared %s but computes %s", name, want, got);
}

static int
import_outputs(fe_ctx *c)
{
	const Onnx__GraphProto *gp = c->model->graph;
	if (gp->n_output == 0)
		return fe_err(c, "model has no outputs");
	for (size_t i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];
		if (!vi || !vi->name || !*vi->name)
			return fe_err(c, "graph output %zu has no name", i);
		const char *name = fe_q(c, vi->name);
		ir_value *v = fe_map_get(&c->values, vi->name);
		if (!v)
			return fe_err(c, "graph output '%s' is not defined", name);
		/* an input, a constant or a value already output gets its own copy */
		bool dup = v->is_input || v->is_const;
		for (int j = 0; j < c->g->noutputs && !dup; j++)
			dup = c->g->outputs[j] == v;
		if (dup) {
			c->loc = ir_strdup(c->g, vi->name);
			ir_op *op = fe_op(c, IR_OP_IDENTITY, &v, 1, 1);
			if (emit(c, op, false))
				return -1;
			v = op->results[0];
		}
		/* the declared type, where given, must agree with what was inferred */
		const Onnx__TypeProto *tp = vi->type;
		if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type) {
			const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
			const char *tn;
			if (tt->has_elem_type && tt->elem_type != 0) {
				int dt = fe_onnx_dtype(tt->elem_type, &tn);
				if (dt < 0)
					return fe_err(c, "graph output '%s' has unsupported dtype %s", name, tn);
				if ((ir_dtype)dt != v->dtype)
					return fe_err(c, "graph output '%s' is declared %s but computes %s",
					              name, ir_dtype_name((ir_dtype)dt), ir_dtype_name(v->dtype));
			}
			if (tt->shape && check_declared(c, name, tt->shape, v))
				return -1;
		}
		ir_graph_add_output(c->g, v, vi->name);
	}
	return 0;
}

/* ---- entry ---------------------------------------------------------------------------------- */

static void *
pb_malloc(void *ad, size_t n)
{
	void *p = fe_malloc(n);
	if (!p)
		((fe_ctx *)ad)->pb_oom = true;
	return p;
}

static void
pb_free(void *ad, void *p)
{
	(void)ad;
	free(p);
}

/* Graph name: the model's, reduced to [A-Za-z0-9_]. */
static const char *
graph_name(fe_ctx *c)
{
	const char *s = c->model->graph->name;
	if (!s || !*s)
		return "main";
	size_t n = strlen(s);
	if (n > 64)
		n = 64;
	char *r = ir_strndup(c->g, s, n);
	for (char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			*p = '_';
	return r;
}

/* noinline: its locals must not live in load_guarded's setjmp frame */
static __attribute__((noinline)) int
load(fe_ctx *c, const char *path)
{
	size_t n;
	ir_err sub;
	ProtobufCAllocator pa = {pb_malloc, pb_free, c};

	if (fe_read_file(path, c->max_model_bytes, &c->buf, &n, &sub))
		return fe_err(c, "%s", sub.msg);
	if (n == 0)
		return fe_err(c, "not a valid ONNX model (empty file)");
	if (fe_pb_check(c->buf, n, &onnx__model_proto__descriptor, &sub))
		return fe_err(c, "not a valid ONNX model (%s)", sub.msg);
	c->model = onnx__model_proto__unpack(&pa, n, c->buf);
	free(c->buf);
	c->buf = NULL;
	if (!c->model)
		return fe_err(c, c->pb_oom ? "out of memory" : "not a valid ONNX model (protobuf parse failed)");
	if (!c->model->graph)
		return fe_err(c, "not a valid ONNX model (no graph)");
	if (check_opset(c))
		return -1;
	if (c->o && c->o->info && fill_info(c, c->o->info))
		return -1;
	const Onnx__GraphProto *gp = c->model->graph;
	if ((int64_t)gp->n_node > c->max_nodes)
		return fe_err(c, "model has %zu nodes, over the limit of %lld", gp->n_node, (ll)c->max_nodes);
	c->g->name = graph_name(c);

	size_t nnames;
	int64_t *order = NULL;
	if (collect_used(c, &nnames) || import_initializers(c) || import_inputs(c) ||
	    topo_sort(c, &order) || import_nodes(c, order) || import_outputs(c))
		return -1;
	c->node = NULL;
	ir_graph_compute_uses(c->g);
	ir_graph_drop_unused_consts(c->g);
	if (ir_graph_verify(c->g, &sub))
		return fe_err(c, "internal error: the imported graph does not verify: %s", sub.msg);
	return 0;
}

/* load() with the arena's out-of-memory longjmp landing here. */
static int
load_guarded(fe_ctx *c, const char *path)
{
	jmp_buf jb;
	c->g->oom = &jb;
	if (setjmp(jb) != 0)
		return ir_errf(c->e, "out of memory");
	return load(c, path);
}

int
fe_load_onnx(const char *path, const fe_options *o, ir_graph **out, ir_err *e)
{
	*out = NULL;
	e->msg[0] = 0;
	if (o && o->info)
		memset(o->info, 0, sizeof *o->info);
	fe_ctx *c = fe_calloc(1, sizeof *c);
	if (!c)
		return ir_errf(e, "out of memory");
	c->e = e;
	c->o = o;
	c->batch = o && o->batch > 0 ? o->batch : 1;
	c->max_nodes = o && o->max_nodes > 0 ? o->max_nodes : FE_DEFAULT_MAX_NODES;
	c->max_tensor_bytes = o && o->max_tensor_bytes > 0 ? o->max_tensor_bytes : FE_DEFAULT_MAX_TENSOR_BYTES;
	c->max_model_bytes = o && o->max_model_bytes > 0 ? o->max_model_bytes : FE_DEFAULT_MAX_MODEL_BYTES;
	c->g = ir_graph_new(NULL);
	if (!c->g) {
		free(c);
		return ir_errf(e, "out of memory");
	}
	/* the model's folder, for external data (absent: external data fails) */
	{
		size_t k = strlen(path);
		while (k > 0 && path[k - 1] != '/')
			k--;
		char *d = k ? strndup(path, k) : strdup(".");
		c->dir = d ? realpath(d, NULL) : NULL;
		free(d);
	}

	int rc = load_guarded(c, path);

	free(c->buf);
	if (c->model) {
		ProtobufCAllocator pa = {pb_malloc, pb_free, c};
		onnx__model_proto__free_unpacked(c->model, &pa);
	}
	free(c->dir);
	if (rc == 0) {
		c->g->oom = NULL;
		*out = c->g;
	} else {
		ir_graph_free(c->g);
	}
	free(c);
	return rc;
}
