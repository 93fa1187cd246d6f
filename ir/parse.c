/*
 * parse.c - reads the text form of a graph (docs/ir.md, "Text form").
 *
 * A hand-written lexer and recursive-descent parser, one token of lookahead.
 * The grammar, in the order the printer writes it (the parser accepts the
 * items in any order, as long as every value is defined before its use):
 *
 *   file    := 'graph' GLOBAL ('workspace' INT)? '{' item* '}'
 *   item    := 'input' VAR STRING? ':' type
 *            | VAR '=' 'const' STRING? ':' type payload
 *            | VAR (',' VAR)* '=' IDENT '(' operands? ')' attrs? ':' rtype (',' rtype)* ('loc' STRING)?
 *            | 'output' VAR STRING?
 *   type    := IDENT '[' (INT (',' INT)*)? ']' LAYOUT?      e.g. f32[1,64,56,56] nchw16c
 *   rtype   := type ('ws' INT)?         the memory plan's offset (plan-memory)
 *   payload := '[' (number (',' number)*)? ']' | 'elided' HEX
 *   operands:= (VAR | '_') (',' (VAR | '_'))*
 *   attrs   := '{' (IDENT '=' attrval (',' IDENT '=' attrval)*)? '}'
 *   attrval := INT | FLOAT | STRING | '[' (number (',' number)*)? ']' (':' ('ints' | 'floats'))?
 *
 * VAR is %name (letters, digits, '_', '.'), GLOBAL is @name or @"string",
 * FLOAT is a number with '.' or an exponent, or inf, -inf, nan.  '#' starts a
 * comment to the end of the line; whitespace is free between tokens.
 *
 * List attributes: a list of integers is ints, a list of floats is floats,
 * a mixed list is an error; `[]` is an empty ints list and `[] : floats` an
 * empty floats list (the printer writes that form), and the `: ints` /
 * `: floats` suffix may follow any list.
 *
 * The text is untrusted: every error is a one-line "line N: ..." message,
 * every count is checked for overflow, and no allocation is sized by a
 * number in the text before the text has shown it can be that big.  Errors
 * and out-of-memory both longjmp back to ir_graph_parse, which frees the
 * half-built graph and the parser's own scratch memory.
 *
 * The parser sets result types from the text and does not run shape
 * inference: callers run ir_graph_verify on the graph.
 */
#include "ir.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ------------------------------------------------------------- */

typedef enum tokkind {
	T_EOF,
	T_IDENT,  /* conv, f32, input, inf, _ */
	T_VAR,    /* %name; text excludes the '%' */
	T_GLOBAL, /* @name or @"..."; decoded into s */
	T_STRING, /* "..."; decoded into s */
	T_INT,    /* -12 */
	T_FLOAT,  /* 1.5, -1e-05, -inf, -nan (bare inf/nan lex as T_IDENT) */
	T_HEX,    /* 0x1f */
	T_PUNCT,  /* one of { } ( ) [ ] , = : */
} tokkind;

typedef struct token {
	tokkind kind;
	const char *text; /* into the source */
	size_t len;
	int line;
	char *s;          /* T_STRING, T_GLOBAL: decoded, arena */
} token;

/* A type as written: dtype, shape, layout. */
typedef struct type {
	ir_dtype dtype;
	int rank;
	int64_t dims[IR_MAX_DIMS];
	ir_layout layout;
	int block;
	int64_t ws;     /* an op result's workspace offset, -1 when not given */
} type;

typedef struct sym {
	const char *name; /* into the source */
	size_t len;
	ir_value *v;
} sym;

typedef struct parser {
	const char *src, *cur, *end;
	int line;
	token tok;
	ir_graph *g;
	ir_err *e;
	jmp_buf jb;

	sym *syms;              /* open addressing, capsyms a power of two */
	size_t nsyms, capsyms;

	/* scratch vectors, malloc'd, reused by every op */
	ir_value **vals; size_t capvals;
	token *names;    size_t capnames;
	type *types;     size_t captypes;
	int64_t *ints;   size_t capints;
	float *floats;   size_t capfloats;
} parser;

/* ---- errors ------------------------------------------------------------- */

static _Noreturn void __attribute__((format(printf, 3, 4)))
fail_at(parser *p, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ir_errf(p->e, "line %d: %s", line, msg);
	longjmp(p->jb, 2);
}

#define fail(p, ...) fail_at((p), (p)->tok.line, __VA_ARGS__)

/* Describes the current token for a message: 'text' or end of file. */
static const char *
tokdesc(parser *p, char *buf, size_t n)
{
	const token *t = &p->tok;
	if (t->kind == T_EOF)
		return "end of file";
	size_t len = t->len < 24 ? t->len : 24;
	size_t k = 0;
	buf[k++] = '\'';
	if (t->kind == T_VAR)
		buf[k++] = '%';
	for (size_t i = 0; i < len && k + 5 < n; i++) {
		unsigned char c = (unsigned char)t->text[i];
		buf[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (len < t->len && k + 5 < n) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k++] = '\'';
	buf[k] = 0;
	return buf;
}

static _Noreturn void
fail_expected(parser *p, const char *what)
{
	char buf[64];
	fail(p, "expected %s, found %s", what, tokdesc(p, buf, sizeof buf));
}

static void *
grow_vec(parser *p, void *v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return v;
	size_t nc = *cap ? *cap : 16;
	while (nc < need)
		nc *= 2;
	void *nv = realloc(v, nc * elem);
	if (!nv)
		longjmp(p->jb, 1);
	*cap = nc;
	return nv;
}

/* ---- lexer -------------------------------------------------------------- */

static bool
is_ident_start(int c)
{
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '_';
}

static bool
is_digit(int c)
{
	return '0' <= c && c <= '9';
}

static bool
is_ident_char(int c)
{
	return is_ident_start(c) || is_digit(c);
}

/* Characters of a %name or bare @name. */
static bool
is_name_char(int c)
{
	return is_ident_char(c) || c == '.';
}

static int
hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	if ('a' <= c && c <= 'f')
		return c - 'a' + 10;
	if ('A' <= c && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Lexes a string literal at p->cur (the opening quote) into tok->s. */
static void
lex_string(parser *p, token *t)
{
	const char *q = p->cur + 1;
	const char *start = q;

	while (q < p->end && *q != '"' && *q != '\n') {
		if (*q == '\\' && q + 1 < p->end)
			q++;
		q++;
	}
	if (q >= p->end || *q != '"')
		fail_at(p, t->line, "unterminated string");
	char *s = ir_alloc(p->g, (size_t)(q - start) + 1);
	size_t n = 0;
	for (const char *r = start; r < q; r++) {
		if (*r != '\\') {
			if (*r == 0)
				fail_at(p, t->line, "NUL byte in string");
			s[n++] = *r;
			continue;
		}
		r++;
		switch (*r) {
		case '"':  s[n++] = '"'; break;
		case '\\': s[n++] = '\\'; break;
		case 'n':  s[n++] = '\n'; break;
		case 't':  s[n++] = '\t'; break;
		case 'r':  s[n++] = '\r'; break;
		case 'x': {
			int h = r + 2 < q ? hexval(r[1]) : -1;
			int l = h >= 0 ? hexval(r[2]) : -1;
			if (l < 0)
				fail_at(p, t->line, "\\x in a string needs two hex digits");
			if (h == 0 && l == 0)
				fail_at(p, t->line, "NUL byte in string");
			s[n++] = (char)(h * 16 + l);
			r += 2;
			break;
		}
		default:
			fail_at(p, t->line, "unknown escape '\\%c' in string",
			        *r >= 0x20 && *r < 0x7f ? *r : '?');
		}
	}
	s[n] = 0;
	t->s = s;
	p->cur = q + 1;
}

/* Lexes a number at p->cur: [-+]? digits ('.' digits*)? ([eE][-+]?digits)?, or 0x hex. */
static void
lex_number(parser *p, token *t)
{
	const char *q = p->cur;
	bool flt = false;

	if (*q == '-' || *q == '+')
		q++;
	if (q + 1 < p->end && q[0] == '0' && (q[1] == 'x' || q[1] == 'X') && q == p->cur) {
		q += 2;
		while (q < p->end && hexval(*q) >= 0)
			q++;
		t->kind = T_HEX;
	} else {
		while (q < p->end && is_digit(*q))
			q++;
		if (q < p->end && *q == '.') {
			flt = true;
			q++;
			while (q < p->end && is_digit(*q))
				q++;
		}
		if (q < p->end && (*q == 'e' || *q == 'E')) {
			const char *r = q + 1;
			if (r < p->end && (*r == '-' || *r == '+'))
				r++;
			if (r < p->end && is_digit(*r)) {
				flt = true;
				q = r;
				while (q < p->end && is_digit(*q))
					q++;
			}
		}
		t->kind = flt ? T_FLOAT : T_INT;
	}
	if (q < p->end && is_name_char(*q))
		fail_at(p, t->line, "invalid number '%.*s'",
		        (int)((q - p->cur) + 1 < 24 ? (q - p->cur) + 1 : 24), p->cur);
	t->len = (size_t)(q - p->cur);
	p->cur = q;
}

/* Reads the next token into p->tok. */
static void
next(parser *p)
{
	token *t = &p->tok;

	/* whitespace and comments */
	while (p->cur < p->end) {
		char c = *p->cur;
		if (c == '\n') {
			p->line++;
			p->cur++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p->cur++;
		} else if (c == '#') {
			while (p->cur < p->end && *p->cur != '\n')
				p->cur++;
		} else {
			break;
		}
	}
	memset(t, 0, sizeof *t);
	t->line = p->line;
	t->text = p->cur;
	if (p->cur >= p->end) {
		/* the end of a file that ends in a newline is on its last line */
		if (p->line > 1 && p->end > p->src && p->end[-1] == '\n')
			t->line = p->line - 1;
		t->kind = T_EOF;
		return;
	}

	const char *q = p->cur;
	unsigned char c = (unsigned char)*q;
	if (is_ident_start(c)) {
		while (q < p->end && is_ident_char(*q))
			q++;
		t->kind = T_IDENT;
	} else if (c == '%') {
		q++;
		while (q < p->end && is_name_char(*q))
			q++;
		if (q == p->cur + 1)
			fail_at(p, t->line, "expected a name after '%%'");
		t->kind = T_VAR;
		t->text = p->cur + 1;
		t->len = (size_t)(q - p->cur - 1);
		p->cur = q;
		return;
	} else if (c == '@') {
		t->kind = T_GLOBAL;
		if (q + 1 < p->end && q[1] == '"') {
			p->cur++;
			lex_string(p, t);
			t->text = q;
			t->len = (size_t)(p->cur - q);
			return;
		}
		q++;
		while (q < p->end && is_name_char(*q))
			q++;
		if (q == p->cur + 1)
			fail_at(p, t->line, "expected a name after '@'");
		t->s = ir_strndup(p->g, p->cur + 1, (size_t)(q - p->cur - 1));
	} else if (c == '"') {
		t->kind = T_STRING;
		lex_string(p, t);
		t->len = (size_t)(p->cur - q);
		return;
	} else if (is_digit(c) ||
	           ((c == '-' || c == '+') && q + 1 < p->end && is_digit(q[1]))) {
		lex_number(p, t);
		return;
	} else if (c == '-' && p->end - q >= 4 &&
	           (memcmp(q + 1, "inf", 3) == 0 || memcmp(q + 1, "nan", 3) == 0) &&
	           (p->end - q == 4 || !is_name_char(q[4]))) {
		q += 4;
		t->kind = T_FLOAT;
	} else if (strchr("{}()[],=:", c) && c != 0) {
		q++;
		t->kind = T_PUNCT;
	} else {
		if (c >= 0x20 && c < 0x7f)
			fail_at(p, t->line, "unexpected character '%c'", c);
		fail_at(p, t->line, "unexpected byte 0x%02x", c);
	}
	t->len = (size_t)(q - p->cur);
	p->cur = q;
}

/* ---- token tests -------------------------------------------------------- */

static bool
is_punct(parser *p, char c)
{
	return p->tok.kind == T_PUNCT && p->tok.text[0] == c;
}

static bool
is_word(parser *p, const char *w)
{
	return p->tok.kind == T_IDENT && strlen(w) == p->tok.len &&
	       memcmp(p->tok.text, w, p->tok.len) == 0;
}

static bool
accept(parser *p, char c)
{
	if (!is_punct(p, c))
		return false;
	next(p);
	return true;
}

/* expect(p, ')', "after operands") -> "expected ')' after operands, found ..." */
static void
expect(parser *p, char c, const char *where)
{
	if (accept(p, c))
		return;
	char what[64];
	snprintf(what, sizeof what, "'%c' %s", c, where);
	fail_expected(p, what);
}

/* An optional string; NULL when the current token is not one. */
static char *
opt_string(parser *p)
{
	if (p->tok.kind != T_STRING)
		return NULL;
	char *s = p->tok.s;
	next(p);
	return s;
}

/* ---- numbers ------------------------------------------------------------ */

/* Copies the current token's text into buf (NUL-terminated) for strto*. */
static void
numtext(parser *p, char *buf, size_t n)
{
	if (p->tok.len >= n)
		fail(p, "number too long");
	memcpy(buf, p->tok.text, p->tok.len);
	buf[p->tok.len] = 0;
}

static bool
is_number(parser *p)
{
	return p->tok.kind == T_INT || p->tok.kind == T_FLOAT ||
	       is_word(p, "inf") || is_word(p, "nan");
}

static int64_t
int_value(parser *p)
{
	char buf[64];
	if (p->tok.kind != T_INT)
		fail_expected(p, "an integer");
	numtext(p, buf, sizeof buf);
	errno = 0;
	long long v = strtoll(buf, NULL, 10);
	if (errno == ERANGE)
		fail(p, "integer %s out of range", buf);
	return v;
}

/* A float from an integer, float, inf or nan token. */
static double
float_value(parser *p, bool single)
{
	char buf[64];
	if (!is_number(p))
		fail_expected(p, "a number");
	numtext(p, buf, sizeof buf);
	double v = single ? (double)strtof(buf, NULL) : strtod(buf, NULL);
	if (isinf(v) && !strstr(buf, "inf"))
		fail(p, "number %s out of range", buf);
	return v;
}

/* ---- symbols ------------------------------------------------------------ */

static uint64_t
name_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static sym *
lookup_slot(sym *tab, size_t cap, const char *s, size_t n)
{
	size_t i = (size_t)name_hash(s, n) & (cap - 1);
	while (tab[i].name && !(tab[i].len == n && memcmp(tab[i].name, s, n) == 0))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static ir_value *
lookup(parser *p, const token *t)
{
	if (!p->capsyms)
		return NULL;
	return lookup_slot(p->syms, p->capsyms, t->text, t->len)->v;
}

/* Defines %name (token t) as v; a name is defined once. */
static void
define(parser *p, const token *t, ir_value *v)
{
	if (2 * (p->nsyms + 1) > p->capsyms) {
		size_t nc = p->capsyms ? 2 * p->capsyms : 64;
		sym *nt = calloc(nc, sizeof *nt);
		if (!nt)
			longjmp(p->jb, 1);
		for (size_t i = 0; i < p->capsyms; i++)
			if (p->syms[i].name)
				*lookup_slot(nt, nc, p->syms[i].name, p->syms[i].len) = p->syms[i];
		free(p->syms);
		p->syms = nt;
		p->capsyms = nc;
	}
	sym *s = lookup_slot(p->syms, p->capsyms, t->text, t->len);
	if (s->name)
		fail_at(p, t->line, "redefinition of '%%%.*s'", (int)t->len, t->text);
	s->name = t->text;
	s->len = t->len;
	s->v = v;
	p->nsyms++;
}

/* A use of %name: the current token, which must be defined. */
static ir_value *
use(parser *p, const char *where)
{
	if (p->tok.kind != T_VAR) {
		char what[64];
		snprintf(what, sizeof what, "a value %s", where);
		fail_expected(p, what);
	}
	ir_value *v = lookup(p, &p->tok);
	if (!v)
		fail(p, "use of undefined value '%%%.*s'", (int)p->tok.len, p->tok.text);
	next(p);
	return v;
}

/* ---- types -------------------------------------------------------------- */

/* nchw<N>c after a type: the blocked layout with channel block N. */
static bool
parse_layout(parser *p, type *ty)
{
	const token *t = &p->tok;
	if (t->kind != T_IDENT || t->len < 6 || memcmp(t->text, "nchw", 4) != 0 ||
	    t->text[t->len - 1] != 'c')
		return false;
	int64_t b = 0;
	for (size_t i = 4; i < t->len - 1; i++) {
		if (!is_digit(t->text[i]))
			return false;
		b = b * 10 + (t->text[i] - '0');
		if (b > INT_MAX)
			fail(p, "layout block too large");
	}
	if (b <= 0)
		fail(p, "layout block must be positive");
	ty->layout = IR_LAYOUT_NCHWC;
	ty->block = (int)b;
	next(p);
	return true;
}

static void
parse_type(parser *p, type *ty)
{
	memset(ty, 0, sizeof *ty);
	ty->ws = -1;
	if (p->tok.kind != T_IDENT)
		fail_expected(p, "a type");
	int dt = ir_dtype_from_name(p->tok.text, p->tok.len);
	if (dt < 0)
		fail(p, "unknown dtype '%.*s'", (int)(p->tok.len < 32 ? p->tok.len : 32), p->tok.text);
	ty->dtype = (ir_dtype)dt;
	next(p);
	expect(p, '[', "after the dtype");
	int64_t numel = 1;
	if (!is_punct(p, ']')) {
		do {
			if (ty->rank == IR_MAX_DIMS)
				fail(p, "more than %d dimensions", IR_MAX_DIMS);
			int64_t d = int_value(p);
			if (d < 0)
				fail(p, "dimension must be >= 0, found %" PRId64, d);
			if (ir_mul_overflows(numel, d, &numel))
				fail(p, "type has too many elements");
			ty->dims[ty->rank++] = d;
			next(p);
		} while (accept(p, ','));
	}
	int64_t nbytes;
	if (ir_mul_overflows(numel, (int64_t)ir_dtype_size(ty->dtype), &nbytes) ||
	    (uint64_t)nbytes > SIZE_MAX)
		fail(p, "type has too many bytes");
	expect(p, ']', "after the dimensions");
	parse_layout(p, ty);
}

static void
set_type(ir_value *v, const type *ty)
{
	v->dtype = ty->dtype;
	v->rank = ty->rank;
	memcpy(v->dims, ty->dims, sizeof v->dims);
	v->layout = ty->layout;
	v->block = ty->block;
}

/* ---- constants ---------------------------------------------------------- */

/* Parses one element of dtype t at the current token into dst (may be NULL). */
static void
parse_element(parser *p, ir_dtype t, unsigned char *dst)
{
	int64_t lo, hi;

	switch (t) {
	case IR_F32: {
		float x = (float)float_value(p, true);
		if (dst)
			memcpy(dst, &x, sizeof x);
		next(p);
		return;
	}
	case IR_F64: {
		double x = float_value(p, false);
		if (dst)
			memcpy(dst, &x, sizeof x);
		next(p);
		return;
	}
	case IR_I8:   lo = INT8_MIN;  hi = INT8_MAX;  break;
	case IR_U8:   lo = 0;         hi = UINT8_MAX; break;
	case IR_I32:  lo = INT32_MIN; hi = INT32_MAX; break;
	case IR_I64:  lo = INT64_MIN; hi = INT64_MAX; break;
	case IR_BOOL: lo = 0;         hi = 1;         break;
	default:
		fail(p, "constants of this dtype cannot be written");
	}
	int64_t v = int_value(p);
	if (v < lo || v > hi)
		fail(p, "%" PRId64 " out of range for %s", v, ir_dtype_name(t));
	if (dst) {
		switch (t) {
		case IR_I8:   { int8_t x = (int8_t)v; memcpy(dst, &x, 1); break; }
		case IR_U8:
		case IR_BOOL: { uint8_t x = (uint8_t)v; memcpy(dst, &x, 1); break; }
		case IR_I32:  { int32_t x = (int32_t)v; memcpy(dst, &x, 4); break; }
		default:      memcpy(dst, &v, 8); break;
		}
	}
	next(p);
}

/*
 * `%c = const "name" : type payload`, at 'const'.  The element list must
 * have exactly numel elements.  Each element takes at least two bytes of
 * text ("0,"), so the data is only allocated when the rest of the text could
 * hold that many; otherwise the list is counted for the message.
 */
static void
parse_const(parser *p, const token *name)
{
	next(p); /* const */
	char *srcname = opt_string(p);
	expect(p, ':', "before the constant's type");
	type ty;
	parse_type(p, &ty);

	if (is_word(p, "elided")) {
		next(p);
		if (p->tok.kind != T_HEX)
			fail_expected(p, "a hash (0x and 16 hex digits) after 'elided'");
		if (p->tok.len < 3 || p->tok.len > 18)
			fail(p, "a hash has 1 to 16 hex digits");
		uint64_t h = 0;
		for (size_t i = 2; i < p->tok.len; i++)
			h = h << 4 | (uint64_t)hexval(p->tok.text[i]);
		next(p);
		ir_value *v = ir_graph_add_const(p->g, srcname, ty.dtype, ty.rank, ty.dims, NULL, false, h);
		set_type(v, &ty);
		define(p, name, v);
		return;
	}

	int line = p->tok.line;
	expect(p, '[', "or 'elided' after the constant's type");
	int64_t numel = 1;
	for (int i = 0; i < ty.rank; i++)
		numel *= ty.dims[i]; /* checked by parse_type */
	size_t esz = ir_dtype_size(ty.dtype);
	int64_t room = (int64_t)(p->end - p->cur) / 2 + 1;
	unsigned char *data = numel <= room ? ir_alloc(p->g, (size_t)numel * esz) : NULL;
	int64_t n = 0;
	if (!is_punct(p, ']')) {
		do {
			if (n == numel)
				fail(p, "constant has more than %" PRId64 " elements", numel);
			parse_element(p, ty.dtype, data ? data + (size_t)n * esz : NULL);
			n++;
		} while (accept(p, ','));
	}
	if (!is_punct(p, ']'))
		fail_expected(p, "',' or ']' in the constant's element list");
	if (n != numel)
		fail_at(p, line, "constant of type %s has %" PRId64 " elements, the list has %" PRId64,
		        ir_dtype_name(ty.dtype), numel, n);
	next(p);
	ir_value *v = ir_graph_add_const(p->g, srcname, ty.dtype, ty.rank, ty.dims, data, false, 0);
	set_type(v, &ty);
	define(p, name, v);
}

/* ---- ops ---------------------------------------------------------------- */

static void
parse_attr(parser *p, ir_op *op)
{
	if (p->tok.kind != T_IDENT)
		fail_expected(p, "an attribute name");
	char *name = ir_strndup(p->g, p->tok.text, p->tok.len);
	if (ir_op_attr(op, name))
		fail(p, "duplicate attribute '%s'", name);
	next(p);
	expect(p, '=', "after the attribute name");

	if (p->tok.kind == T_STRING) {
		ir_op_set_string(p->g, op, name, p->tok.s);
		next(p);
	} else if (p->tok.kind == T_INT) {
		ir_op_set_int(p->g, op, name, int_value(p));
		next(p);
	} else if (is_number(p)) {
		ir_op_set_float(p->g, op, name, (float)float_value(p, true));
		next(p);
	} else if (accept(p, '[')) {
		size_t n = 0, nfloat = 0;
		if (!is_punct(p, ']')) {
			do {
				if (n == INT_MAX)
					fail(p, "list too long");
				p->ints = grow_vec(p, p->ints, &p->capints, n + 1, sizeof *p->ints);
				p->floats = grow_vec(p, p->floats, &p->capfloats, n + 1, sizeof *p->floats);
				if (p->tok.kind == T_INT) {
					p->ints[n] = int_value(p);
				} else {
					p->ints[n] = 0;
					nfloat++;
				}
				p->floats[n] = (float)float_value(p, true);
				n++;
				next(p);
			} while (accept(p, ','));
		}
		expect(p, ']', "after the list");
		bool floats = nfloat > 0;
		if (accept(p, ':')) {
			if (is_word(p, "floats"))
				floats = true;
			else if (is_word(p, "ints"))
				floats = false;
			else
				fail_expected(p, "'ints' or 'floats' after ':'");
			if (!floats && nfloat)
				fail(p, "an ints list holds a float");
			next(p);
		} else if (nfloat && nfloat != n) {
			fail(p, "list mixes integers and floats (write a float with '.')");
		}
		if (floats)
			ir_op_set_floats(p->g, op, name, p->floats, (int)n);
		else
			ir_op_set_ints(p->g, op, name, p->ints, (int)n);
	} else {
		fail_expected(p, "an attribute value");
	}
}

/*
 * `%a, %b = kind(%x, _) {attrs} : type, type loc "..."`, at the first result
 * name.  The results are defined after the whole line, so an op cannot use
 * its own results.
 */
static void
parse_op(parser *p)
{
	int line = p->tok.line;
	size_t nres = 0;
	for (;;) {
		if (nres == INT_MAX)
			fail(p, "too many results");
		p->names = grow_vec(p, p->names, &p->capnames, nres + 1, sizeof *p->names);
		p->names[nres++] = p->tok;
		next(p);
		if (!accept(p, ','))
			break;
		if (p->tok.kind != T_VAR)
			fail_expected(p, "a result name after ','");
	}
	expect(p, '=', "after the result names");

	if (is_word(p, "const")) {
		if (nres != 1)
			fail(p, "a constant has one name");
		parse_const(p, &p->names[0]);
		return;
	}
	if (p->tok.kind != T_IDENT)
		fail_expected(p, "an op name");
	int kind = ir_opkind_from_name(p->tok.text, p->tok.len);
	if (kind < 0)
		fail(p, "unknown op '%.*s'", (int)(p->tok.len < 40 ? p->tok.len : 40), p->tok.text);
	next(p);

	expect(p, '(', "after the op name");
	size_t nops = 0;
	if (!is_punct(p, ')')) {
		do {
			if (nops == INT_MAX)
				fail(p, "too many operands");
			p->vals = grow_vec(p, p->vals, &p->capvals, nops + 1, sizeof *p->vals);
			if (is_word(p, "_")) {
				p->vals[nops++] = NULL;
				next(p);
			} else {
				p->vals[nops++] = use(p, "or '_' as an operand");
			}
		} while (accept(p, ','));
	}
	expect(p, ')', "after operands");
	ir_op *op = ir_op_new(p->g, (ir_opkind)kind, p->vals, (int)nops, (int)nres);

	if (accept(p, '{')) {
		if (!is_punct(p, '}')) {
			do
				parse_attr(p, op);
			while (accept(p, ','));
		}
		expect(p, '}', "after attributes");
	}

	expect(p, ':', "before the result types");
	size_t ntypes = 0;
	do {
		if (ntypes == nres)
			fail(p, "more result types than the %zu result names", nres);
		p->types = grow_vec(p, p->types, &p->captypes, ntypes + 1, sizeof *p->types);
		parse_type(p, &p->types[ntypes]);
		if (is_word(p, "ws")) { /* the memory plan's offset */
			next(p);
			int64_t off = int_value(p);
			if (off < 0)
				fail(p, "workspace offset must be >= 0, found %" PRId64, off);
			p->types[ntypes].ws = off;
			next(p);
		}
		ntypes++;
	} while (accept(p, ','));
	if (ntypes != nres)
		fail_at(p, line, "%zu result names but %zu result types", nres, ntypes);

	if (is_word(p, "loc")) {
		next(p);
		if (p->tok.kind != T_STRING)
			fail_expected(p, "a string after 'loc'");
		op->loc = p->tok.s;
		next(p);
	}

	for (size_t i = 0; i < nres; i++) {
		set_type(op->results[i], &p->types[i]);
		op->results[i]->mem_offset = p->types[i].ws;
		define(p, &p->names[i], op->results[i]);
	}
	ir_op_append(p->g, op);
}

/* ---- graph -------------------------------------------------------------- */

static void
parse_input(parser *p)
{
	next(p); /* input */
	if (p->tok.kind != T_VAR)
		fail_expected(p, "a value name after 'input'");
	token name = p->tok;
	next(p);
	char *srcname = opt_string(p);
	expect(p, ':', "before the input's type");
	type ty;
	parse_type(p, &ty);
	ir_value *v = ir_graph_add_input(p->g, srcname, ty.dtype, ty.rank, ty.dims);
	set_type(v, &ty);
	define(p, &name, v);
}

static void
parse_output(parser *p)
{
	next(p); /* output */
	ir_value *v = use(p, "after 'output'");
	ir_graph_add_output(p->g, v, opt_string(p));
}

static void
parse_graph(parser *p)
{
	next(p);
	if (!is_word(p, "graph"))
		fail_expected(p, "'graph'");
	next(p);
	if (p->tok.kind != T_GLOBAL)
		fail_expected(p, "a graph name (@name)");
	p->g->name = p->tok.s;
	next(p);
	if (is_word(p, "workspace")) { /* the memory plan's size */
		next(p);
		int64_t ws = int_value(p);
		if (ws < 0)
			fail(p, "workspace size must be >= 0, found %" PRId64, ws);
		p->g->workspace = ws;
		next(p);
	}
	expect(p, '{', "after the graph name");
	for (;;) {
		if (is_word(p, "input"))
			parse_input(p);
		else if (is_word(p, "output"))
			parse_output(p);
		else if (p->tok.kind == T_VAR)
			parse_op(p);
		else if (is_punct(p, '}'))
			break;
		else
			fail_expected(p, "'input', 'output', a value name or '}' at the end of the graph");
	}
	next(p);
	if (p->tok.kind != T_EOF)
		fail_expected(p, "end of file after the graph");
}

int
ir_graph_parse(const char *text, size_t len, const char *consts_path,
               ir_graph **out, ir_err *e)
{
	parser *p = calloc(1, sizeof *p);
	volatile int rc = -1;

	*out = NULL;
	if (!p)
		return ir_errf(e, "out of memory");
	p->src = p->cur = text;
	p->end = text + len;
	p->line = 1;
	p->e = e;
	p->g = ir_graph_new(NULL);
	if (!p->g) {
		free(p);
		return ir_errf(e, "out of memory");
	}

	int jr = setjmp(p->jb);
	if (jr == 0) {
		p->g->oom = &p->jb;
		parse_graph(p);
		if (consts_path && ir_consts_load(p->g, consts_path, e) != 0) {
			ir_graph_free(p->g);
		} else {
			p->g->oom = NULL;
			*out = p->g;
			rc = 0;
		}
	} else {
		if (jr == 1)
			ir_errf(e, "out of memory");
		ir_graph_free(p->g);
	}
	free(p->syms);
	free(p->vals);
	free(p->names);
	free(p->types);
	free(p->ints);
	free(p->floats);
	free(p);
	return rc;
}
