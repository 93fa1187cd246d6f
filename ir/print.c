/*
 * print.c - the text form of a graph (docs/ir.md, "Text form").
 *
 * The printer is the one writer of the format and ir/parse.c its one reader;
 * the pair must round-trip: parsing printed text and printing it again gives
 * the same bytes.  Everything printed is therefore canonical:
 *
 *   - SSA names are assigned here, not stored: inputs %in0.., constants
 *     %c0.., op results %0.. in list order.  value->aux holds the number
 *     while printing (it is scratch space, see ir.h).
 *   - floats are the shortest decimal that strtof reads back to the same
 *     bits (fewest significant digits), positional when the exponent is in
 *     [-4, 16) and with an exponent otherwise, as Python's repr: 10.0, 0.1,
 *     1e-05, 3.4028235e+38; or inf/-inf/nan.  A float always has a '.', an
 *     'e' or a letter, so it never looks like an integer;
 *   - an empty float list prints `[] : floats` (a bare `[]` reads back as an
 *     empty int list);
 *   - strings are quoted with C escapes; other bytes below 0x20 or from 0x7f
 *     up are written as \xHH with exactly two hex digits.
 *
 * The printer never fails on a malformed graph (it is what one looks at when
 * debugging one): an operand that is not defined in the graph prints as
 * %undef.vID, which the parser rejects as a use of an undefined value.
 */
#include "ir.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers ------------------------------------------------------------ */

/* Number buffers: more than %e can write, which keeps gcc's truncation check quiet. */
enum { NUMBUF = 320 };

/*
 * Writes the P significant digits of e (the "%.{P-1}e" text of a finite
 * number) the way Python's repr does: positional when the decimal exponent
 * is in [-4, 16), so 10.0, 0.001, 100000.0; else with an exponent of at
 * least two digits, so 1e-05, 1.5e+20.  Positional output always has a '.'.
 */
static void
fmt_digits(char *buf, const char *e)
{
	char digits[NUMBUF];
	int nd = 0, k = 0;
	const char *p = e;

	if (*p == '-')
		buf[k++] = *p++;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	int exp = *p == 'e' ? atoi(p + 1) : 0;

	if (exp < -4 || exp >= 16) {
		buf[k++] = digits[0];
		if (nd > 1) {
			buf[k++] = '.';
			memcpy(buf + k, digits + 1, (size_t)nd - 1);
			k += nd - 1;
		}
		snprintf(buf + k, 16, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	if (exp < 0) {
		buf[k++] = '0';
		buf[k++] = '.';
		for (int i = 0; i < -exp - 1; i++)
			buf[k++] = '0';
		memcpy(buf + k, digits, (size_t)nd);
		k += nd;
	} else {
		for (int i = 0; i <= exp; i++)
			buf[k++] = i < nd ? digits[i] : '0';
		buf[k++] = '.';
		if (nd > exp + 1) {
			memcpy(buf + k, digits + exp + 1, (size_t)(nd - exp - 1));
			k += nd - exp - 1;
		} else {
			buf[k++] = '0';
		}
	}
	buf[k] = 0;
}

/*
 * The shortest decimal that strtof reads back to x: the fewest significant
 * digits P that round-trip, written by fmt_digits.  Round-tripping is
 * monotone in P, so a binary search finds the smallest.  buf holds NUMBUF
 * bytes.
 */
static void
fmt_f32(char *buf, float x)
{
	char e[NUMBUF], best[NUMBUF];

	if (isnan(x)) {
		strcpy(buf, "nan");
		return;
	}
	if (isinf(x)) {
		strcpy(buf, x < 0 ? "-inf" : "inf");
		return;
	}
	int lo = 1, hi = 9, bestp = 0;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		snprintf(e, NUMBUF, "%.*e", mid - 1, (double)x);
		float y = strtof(e, NULL);
		if (memcmp(&x, &y, sizeof x) == 0) {
			hi = mid;
			bestp = mid;
			memcpy(best, e, strlen(e) + 1);
		} else {
			lo = mid + 1;
		}
	}
	if (bestp != lo)
		snprintf(best, NUMBUF, "%.*e", lo - 1, (double)x);
	fmt_digits(buf, best);
}

/* As fmt_f32 for doubles: at most 17 digits, read back with strtod. */
static void
fmt_f64(char *buf, double x)
{
	char e[NUMBUF];

	if (isnan(x)) {
		strcpy(buf, "nan");
		return;
	}
	if (isinf(x)) {
		strcpy(buf, x < 0 ? "-inf" : "inf");
		return;
	}
	int lo = 1, hi = 17;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		snprintf(e, NUMBUF, "%.*e", mid - 1, x);
		double y = strtod(e, NULL);
		if (memcmp(&x, &y, sizeof x) == 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	snprintf(e, NUMBUF, "%.*e", lo - 1, x);
	fmt_digits(buf, e);
}

static void
print_f32(FILE *f, float x)
{
	char buf[NUMBUF];
	fmt_f32(buf, x);
	fputs(buf, f);
}

static void
print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* A graph name prints bare when it is a plain identifier, else quoted. */
static void
print_graph_name(FILE *f, const char *s)
{
	bool bare = *s != 0;
	for (const char *p = s; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || *p == '_' || *p == '.'))
			bare = false;
	fputc('@', f);
	if (bare)
		fputs(s, f);
	else
		print_string(f, s);
}

/* ---- types and names ---------------------------------------------------- */

static void
print_type(FILE *f, const ir_value *v)
{
	fputs(ir_dtype_name(v->dtype), f);
	fputc('[', f);
	for (int i = 0; i < v->rank; i++)
		fprintf(f, i ? ",%" PRId64 : "%" PRId64, v->dims[i]);
	fputc(']', f);
	if (v->layout == IR_LAYOUT_NCHWC)
		fprintf(f, " nchw%dc", v->block);
}

/* Which SSA namespace a value's aux number belongs to. */
typedef struct names {
	ir_value **results; /* op results in print order */
	int nresults;
} names;

static void
print_name(FILE *f, ir_graph *g, const names *nm, const ir_value *v)
{
	int64_t k = v->aux;
	if (v->is_input && k >= 0 && k < g->ninputs && g->inputs[k] == v)
		fprintf(f, "%%in%" PRId64, k);
	else if (v->is_const && k >= 0 && k < g->nconsts && g->consts[k] == v)
		fprintf(f, "%%c%" PRId64, k);
	else if (v->def && k >= 0 && k < nm->nresults && nm->results[k] == v)
		fprintf(f, "%%%" PRId64, k);
	else
		fprintf(f, "%%undef.v%d", v->id);
}

/* ---- constants and attributes ------------------------------------------- */

static void
print_element(FILE *f, ir_dtype t, const unsigned char *p)
{
	char buf[NUMBUF];
	switch (t) {
	case IR_F32: {
		float x;
		memcpy(&x, p, sizeof x);
		fmt_f32(buf, x);
		fputs(buf, f);
		break;
	}
	case IR_F64: {
		double x;
		memcpy(&x, p, sizeof x);
		fmt_f64(buf, x);
		fputs(buf, f);
		break;
	}
	case IR_I8:   fprintf(f, "%d", (int)*(const int8_t *)p); break;
	case IR_U8:   fprintf(f, "%u", (unsigned)*p); break;
	case IR_BOOL: fputc(*p ? '1' : '0', f); break;
	case IR_I32: {
		int32_t x;
		memcpy(&x, p, sizeof x);
		fprintf(f, "%" PRId32, x);
		break;
	}
	case IR_I64: {
		int64_t x;
		memcpy(&x, p, sizeof x);
		fprintf(f, "%" PRId64, x);
		break;
	}
	default:
		fputc('?', f);
	}
}

static void
print_const(FILE *f, ir_value *c, int k, const ir_print_opts *o)
{
	int64_t n = ir_value_numel(c);
	int limit = o && o->elide_above > 0 ? o->elide_above : 16;
	bool full = c->data && (n <= limit || (o && o->print_constants));

	fprintf(f, "  %%c%d = const ", k);
	if (c->name) {
		print_string(f, c->name);
		fputc(' ', f);
	}
	fputs(": ", f);
	print_type(f, c);
	if (!full) {
		fprintf(f, " elided 0x%016" PRIx64 "\n", c->hash);
		return;
	}
	fputs(" [", f);
	size_t sz = ir_dtype_size(c->dtype);
	const unsigned char *p = c->data;
	for (int64_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		print_element(f, c->dtype, p + (size_t)i * sz);
	}
	fputs("]\n", f);
}

static void
print_attr(FILE *f, const ir_attr *a)
{
	fprintf(f, "%s = ", a->name);
	switch (a->kind) {
	case IR_ATTR_INT:
		fprintf(f, "%" PRId64, a->i);
		break;
	case IR_ATTR_FLOAT:
		print_f32(f, a->f);
		break;
	case IR_ATTR_INTS:
		fputc('[', f);
		for (int i = 0; i < a->n; i++)
			fprintf(f, i ? ", %" PRId64 : "%" PRId64, a->ints[i]);
		fputc(']', f);
		break;
	case IR_ATTR_FLOATS:
		fputc('[', f);
		for (int i = 0; i < a->n; i++) {
			if (i)
				fputs(", ", f);
			print_f32(f, a->floats[i]);
		}
		fputs(a->n ? "]" : "] : floats", f);
		break;
	case IR_ATTR_STRING:
		print_string(f, a->s ? a->s : "");
		break;
	}
}

/* ---- ops and the graph -------------------------------------------------- */

static void
print_op(FILE *f, ir_graph *g, const names *nm, const ir_op *op)
{
	fputs("  ", f);
	for (int i = 0; i < op->nresults; i++) {
		if (i)
			fputs(", ", f);
		print_name(f, g, nm, op->results[i]);
	}
	if (op->nresults)
		fputs(" = ", f);
	fputs((unsigned)op->kind < IR_NOPKINDS ? ir_opinfos[op->kind].name : "?", f);
	fputc('(', f);
	for (int i = 0; i < op->noperands; i++) {
		if (i)
			fputs(", ", f);
		if (op->operands[i])
			print_name(f, g, nm, op->operands[i]);
		else
			fputc('_', f);
	}
	fputc(')', f);
	if (op->nattrs) {
		fputs(" {", f);
		for (int i = 0; i < op->nattrs; i++) {
			if (i)
				fputs(", ", f);
			print_attr(f, &op->attrs[i]);
		}
		fputc('}', f);
	}
	for (int i = 0; i < op->nresults; i++) {
		fputs(i ? ", " : " : ", f);
		print_type(f, op->results[i]);
		if (op->results[i]->mem_offset >= 0)
			fprintf(f, " ws %" PRId64, op->results[i]->mem_offset);
	}
	if (op->loc) {
		fputs(" loc ", f);
		print_string(f, op->loc);
	}
	fputc('\n', f);
}

void
ir_graph_print(FILE *f, ir_graph *g, const ir_print_opts *o)
{
	names nm = {0};

	/* number every value; results are also listed so that print_name can
	 * tell a stale aux (a value no longer in the graph) from a live one */
	for (int i = 0; i < g->ninputs; i++)
		g->inputs[i]->aux = i;
	for (int i = 0; i < g->nconsts; i++)
		g->consts[i]->aux = i;
	int n = 0;
	for (ir_op *op = g->first; op; op = op->next)
		n += op->nresults;
	nm.results = malloc((size_t)(n ? n : 1) * sizeof *nm.results);
	if (!nm.results) {
		if (g->oom)
			longjmp(*g->oom, 1);
		ir_die("out of memory");
	}
	for (ir_op *op = g->first; op; op = op->next)
		for (int i = 0; i < op->nresults; i++) {
			op->results[i]->aux = nm.nresults;
			nm.results[nm.nresults++] = op->results[i];
		}

	fputs("graph ", f);
	print_graph_name(f, g->name ? g->name : "");
	if (g->workspace >= 0)
		fprintf(f, " workspace %" PRId64, g->workspace);
	fputs(" {\n", f);
	for (int i = 0; i < g->ninputs; i++) {
		ir_value *v = g->inputs[i];
		fprintf(f, "  input %%in%d ", i);
		const char *name = g->input_names ? g->input_names[i] : v->name;
		if (name) {
			print_string(f, name);
			fputc(' ', f);
		}
		fputs(": ", f);
		print_type(f, v);
		fputc('\n', f);
	}
	for (int i = 0; i < g->nconsts; i++)
		print_const(f, g->consts[i], i, o);
	for (ir_op *op = g->first; op; op = op->next)
		print_op(f, g, &nm, op);
	for (int i = 0; i < g->noutputs; i++) {
		fputs("  output ", f);
		print_name(f, g, &nm, g->outputs[i]);
		if (g->output_names && g->output_names[i]) {
			fputc(' ', f);
			print_string(f, g->output_names[i]);
		}
		fputc('\n', f);
	}
	fputs("}\n", f);
	free(nm.results);
}
