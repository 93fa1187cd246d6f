/*
 * lower.c - every IR op to one call of a C kernel (backend/kernels/rk.h).
 *
 * be_lower_op() reads an op's operand and result types and attributes and
 * fills the kernel's descriptor: every shape, stride and attribute the
 * kernel needs, precomputed where that saves the kernel work (per-tap
 * column ranges of a convolution, merged broadcast axes, resize tables).
 * Constant weights are repacked here, at compile time, into the layout the
 * micro-kernels read (convolution [G][nob][Cg][KH][KW][16], depthwise
 * convolution [C/16][KH][KW][16], gemm B [nnb][K][16], folded batchnorm
 * parameters) as new constants of the graph;
 * the original constant stays and is dropped by the code generator if
 * nothing else reads it.  Resize's index and weight tables are constants
 * too, since kernels cannot allocate.
 *
 * The descriptor layouts are documented in rk.h.  The task count of each
 * call follows one rule: enough tasks to keep 8 threads busy on big ops
 * (up to 64), none smaller than roughly 10-20 microseconds of work, a single
 * task (run inline, no thread pool) for small ops.  The split never changes
 * the values computed, only who computes them.
 *
 * Nothing here depends on the target: the same descriptors and packed
 * constants serve AVX-512, AVX2, NEON and baseline code; the kernels pick
 * their register tiles per target at compile time of the kernels.
 */
#include "be_lower.h"
#include "rk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((int)RK_F32 == (int)IR_F32 && (int)RK_F64 == (int)IR_F64 && (int)RK_I8 == (int)IR_I8 &&
               (int)RK_U8 == (int)IR_U8 && (int)RK_I32 == (int)IR_I32 && (int)RK_I64 == (int)IR_I64 &&
               (int)RK_BOOL == (int)IR_BOOL,
               "rk dtype codes must equal ir_dtype");

typedef long long ll;

enum {
	MAX_TASKS = 64,
	ELEM_PER_TASK = 32768,      /* cheap elementwise work per task, elements */
	HEAVY_PER_TASK = 4096,      /* transcendental elementwise work per task */
	BYTES_PER_TASK = 256 << 10, /* copies */
};
#define MACS_PER_TASK ((int64_t)1 << 20)
/* Flattened 1x1 convs of at least this many pixels take conv.c's
 * pixel-vector kernel (rk_conv2d_flat_v): 56x56 to 14x14 planes ran at
 * 60-90 % of the FMA peak in the block kernel and at 83-100 % in pixel
 * vectors; 7x7 planes (3 vectors and a pixel) ran slower in pixel vectors
 * (bench/micro on AVX-512, docs/bench.md).  At least 16 (RK_V): conv.c's
 * tail tile needs a whole vector of the plane. */
#ifndef FLAT_V_MIN_PIXELS
#define FLAT_V_MIN_PIXELS 128
#endif
#ifndef CONV_CACHE
/* Output rows up to QUAD_MAX_OW long get four blocks per tile
 * (rk_conv2d_q); planes with rows up to WHOLE_MAX_OW long stay whole in a
 * task down to SMALL_MIN_TASKS tasks a conv (lower_conv; measured on the
 * 7x7 and 14x14 stages, docs/bench.md "Small planes"). */
#ifndef QUAD_MAX_OW
#define QUAD_MAX_OW 8
#endif
#define WHOLE_MAX_OW 16
#define SMALL_MIN_TASKS 8
#define CONV_CACHE ((int64_t)512 << 10) /* bytes of input and weights a conv task keeps hot */
#endif

/* ---- helpers ------------------------------------------------------------- */

static ir_value *
opnd(const ir_op *op, int i)
{
	return i < op->noperands ? op->operands[i] : NULL;
}

static int64_t
ceil_div(int64_t a, int64_t b)
{
	return b > 0 ? (a + b - 1) / b : 0;
}

static int64_t
clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* floor(a / b) for b > 0 */
static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t
numel(int rank, const int64_t *d)
{
	int64_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= d[i];
	return n;
}

/* Number of tasks for `units` units of `cost` each, with at least `per`
 * cost per task. */
static int64_t
task_count(int64_t units, int64_t cost, int64_t per)
{
	if (units <= 0)
		return 1;
	int64_t total = units * (cost > 0 ? cost : 1);
	int64_t n = total / per;
	return clamp64(n, 1, units < MAX_TASKS ? units : MAX_TASKS);
}

static void
set_call(be_call *c, const char *kernel, const void *desc, size_t size, int64_t ntasks)
{
	if (size > sizeof c->desc)
		ir_die("descriptor of %s too large", kernel);
	c->kernel = kernel;
	memset(c->desc, 0, sizeof c->desc);
	memcpy(c->desc, desc, size);
	c->ndesc = (int)(size / sizeof(int64_t));
	c->ntasks = ntasks > 0 ? ntasks : 1;
}

static void
add_ptr(be_call *c, ir_value *v)
{
	if (c->nptrs >= BE_MAX_PTRS)
		ir_die("too many kernel buffers");
	c->ptrs[c->nptrs++] = v;
}

static int
need_dtype(const ir_op *op, const ir_value *v, unsigned mask, ir_err *e)
{
	if ((unsigned)v->dtype >= IR_NDTYPES || !(mask & (1u << v->dtype)))
		return ir_errf(e, "%s: no kernel for dtype %s", ir_opinfos[op->kind].name,
		               ir_dtype_name(v->dtype));
	return 0;
}
#define M_F32 (1u << IR_F32)
#define M_ARITH ((1u << IR_F32) | (1u << IR_I32) | (1u << IR_I64))

/* A value in the blocked layout the kernels support (NCHW16c). */
static bool
is_blk(const ir_value *v)
{
	return v && v->layout == IR_LAYOUT_NCHWC;
}

/* The ops in blk_ok below and the same-shape elementwise ops take blocked
 * values (NCHW16c, passes/layout.c; each lowering checks the details);
 * every other op needs plain ones. */
static int
need_plain(const ir_op *op, ir_err *e)
{
	bool blk_ok = op->kind == IR_OP_CONV || op->kind == IR_OP_MAXPOOL || op->kind == IR_OP_SLICE ||
	              op->kind == IR_OP_FC || op->kind == IR_OP_SCALE_SHIFT ||
	              op->kind == IR_OP_GLOBALAVGPOOL || op->kind == IR_OP_RESIZE || op->kind == IR_OP_AVGPOOL ||
	              op->kind == IR_OP_RADIX_COMBINE;
	for (int i = 0; i < op->noperands; i++)
		if (is_blk(op->operands[i]) && op->operands[i]->block != RK_BLOCK)
			return ir_errf(e, "%s: channel blocks of %d; the kernels use %d", ir_opinfos[op->kind].name,
			               op->operands[i]->block, (int)RK_BLOCK);
	for (int i = 0; i < op->nresults; i++)
		if (is_blk(op->results[i]) && op->results[i]->block != RK_BLOCK)
			return ir_errf(e, "%s: channel blocks of %d; the kernels use %d", ir_opinfos[op->kind].name,
			               op->results[i]->block, (int)RK_BLOCK);
	if (ir_same_shape_eltwise(op)) { /* element i to element i: one layout for all */
		for (int i = 0; i < op->noperands; i++)
			if (is_blk(op->operands[i]) != is_blk(op->results[0]))
				return ir_errf(e, "%s: operands and result must share a layout",
				               ir_opinfos[op->kind].name);
		return 0;
	}
	if (blk_ok)
		return 0;
	for (int i = 0; i < op->noperands; i++)
		if (op->operands[i] && op->operands[i]->layout != IR_LAYOUT_PLAIN)
			return ir_errf(e, "%s: blocked layouts are not supported by the kernels yet",
			               ir_opinfos[op->kind].name);
	for (int i = 0; i < op->nresults; i++)
		if (op->results[i]->layout != IR_LAYOUT_PLAIN)
			return ir_errf(e, "%s: blocked layouts are not supported by the kernels yet",
			               ir_opinfos[op->kind].name);
	return 0;
}

static int
get_ints(const ir_op *op, const char *name, int n, const int64_t **v, ir_err *e)
{
	int k;
	*v = ir_op_ints(op, name, &k);
	if (!*v || (n >= 0 && k != n))
		return ir_errf(e, "%s: attribute '%s' must be %d ints", ir_opinfos[op->kind].name, name, n);
	return 0;
}

static bool
const_data(const ir_value *v)
{
	return v && v->is_const && v->data;
}

/* A new f32 constant owning arena data (filled by the caller). */
static ir_value *
new_const(ir_graph *g, const char *what, const ir_value *from, ir_dtype t, int rank,
          const int64_t *dims, void *data)
{
	char name[256];
	snprintf(name, sizeof name, "%s%s%s", from && from->name ? from->name : "", from && from->name ? "." : "",
	         what);
	return ir_graph_add_const(g, name, t, rank, dims, data, false, 0);
}

/*
 * Fused epilogue attributes (set by a later fusion pass): "act" = "relu" or
 * "clip" with "act_min"/"act_max".  Absent: no activation.
 */
static int
epilogue_named(const ir_op *op, const char *name, int64_t *act, int64_t *lo, int64_t *hi,
               ir_err *e)
{
	char kmin[32], kmax[32];
	snprintf(kmin, sizeof kmin, "%s_min", name);
	snprintf(kmax, sizeof kmax, "%s_max", name);
	const char *a = ir_op_string(op, name, NULL);
	*act = RK_ACT_NONE;
	*lo = rk_f32bits(-INFINITY);
	*hi = rk_f32bits(INFINITY);
	if (!a)
		return 0;
	if (strcmp(a, "relu") == 0)
		*act = RK_ACT_RELU;
	else if (strcmp(a, "clip") == 0) {
		*act = RK_ACT_CLIP;
		*lo = rk_f32bits(ir_op_float(op, kmin, -INFINITY));
		*hi = rk_f32bits(ir_op_float(op, kmax, INFINITY));
	} else
		return ir_errf(e, "%s: unsupported fused activation \"%.64s\"", ir_opinfos[op->kind].name, a);
	return 0;
}

static int
epilogue(const ir_op *op, int64_t *act, int64_t *lo, int64_t *hi, ir_err *e)
{
	return epilogue_named(op, "act", act, lo, hi, e);
}

/* ---- conv ------------------------------------------------------------------ */

/* Output columns [lo, hi) whose input column ox*s + off lies in [0, size). */
static void
col_range(int64_t n, int64_t s, int64_t off, int64_t size, int64_t *lo, int64_t *hi)
{
	int64_t l = off >= 0 ? 0 : ceil_div(-off, s);
	int64_t h = floor_div(size - 1 - off, s) + 1;
	h = clamp64(h, 0, n);
	l = clamp64(l, 0, h);
	*lo = l;
	*hi = h;
}

/* The interior of an output axis of n positions (stride s, pad p, dilation
 * dil, kernel k, input size): [lo, hi), the positions whose every tap reads
 * inside the input (tap 0 is the first, tap k-1 the last to leave it). */
static void
interior(int64_t n, int64_t s, int64_t p, int64_t dil, int64_t k, int64_t size, int64_t *lo,
         int64_t *hi)
{
	int64_t l0, h0, l1, h1;
	col_range(n, s, -p, size, &l0, &h0);
	col_range(n, s, (k - 1) * dil - p, size, &l1, &h1);
	*lo = l0 > l1 ? l0 : l1;
	*hi = h0 < h1 ? h0 : h1;
	if (*hi < *lo)
		*hi = *lo;
}

/* Depthwise convs on NCHW16c values (algo "depthwise", lower-grouped-conv:
 * group = C = M, constant weights, one result; layout blocks x, the
 * residual and y together): rk_dwconv2d (kernels/dwconv.c).  Tasks:
 * blocks of 16 channels, then rows. */
static int
lower_dwconv(ir_graph *g, ir_op *op, const int64_t *st, const int64_t *pads, const int64_t *dil,
             be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *w = op->operands[1], *b = opnd(op, 2), *r = opnd(op, 3);
	ir_value *y = op->results[0];
	rk_dwconv_desc d;
	memset(&d, 0, sizeof d);
	d.N = x->dims[0];
	d.C = x->dims[1];
	d.H = x->dims[2];
	d.W = x->dims[3];
	d.OH = y->dims[2];
	d.OW = y->dims[3];
	d.KH = w->dims[2];
	d.KW = w->dims[3];
	d.SH = st[0];
	d.SW = st[1];
	d.PT = pads[0];
	d.PL = pads[1];
	d.DH = dil[0];
	d.DW = dil[1];
	if (epilogue(op, &d.act, &d.act_lo, &d.act_hi, e))
		return -1;
	d.has_bias = b != NULL;
	d.has_res = r != NULL;
	if (d.C % RK_BLOCK)
		return ir_errf(e, "conv: a blocked depthwise conv needs whole blocks of 16 channels");
	interior(d.OW, d.SW, d.PL, d.DW, d.KW, d.W, &d.oxlo, &d.oxhi);
	interior(d.OH, d.SH, d.PT, d.DH, d.KH, d.H, &d.oylo, &d.oyhi);

	/* weights [C][1][KH][KW] packed so that a tap's 16 channels are one vector */
	int64_t taps = d.KH * d.KW, n = d.C * taps;
	float *p = ir_alloc(g, (size_t)(n ? n : 1) * sizeof *p);
	const float *src = w->data;
	for (int64_t ch = 0; ch < d.C; ch++)
		for (int64_t k = 0; k < taps; k++)
			p[((ch / RK_BLOCK) * taps + k) * RK_BLOCK + ch % RK_BLOCK] = src[ch * taps + k];
	int64_t dims[1] = {n};
	ir_value *wp = new_const(g, "packed", w, IR_F32, 1, dims, p);

	/* tasks: blocks first (each task keeps whole rows of whole blocks, so
	 * the split cannot change a sum), then rows */
	int64_t macs = d.N * d.C * d.OH * d.OW * taps;
	int64_t target = clamp64(macs / MACS_PER_TASK, 1, MAX_TASKS);
	int64_t units = d.C / RK_BLOCK;
	int64_t per_n = ceil_div(target, d.N > 0 ? d.N : 1);
	d.ncb = clamp64(per_n, 1, units > 0 ? units : 1);
	d.cb_sz = units > 0 ? ceil_div(units, d.ncb) : 1;
	d.ncb = units > 0 ? ceil_div(units, d.cb_sz) : 1;
	int64_t sp = ceil_div(per_n, d.ncb);
	d.ty_sz = d.OH > 0 ? ceil_div(d.OH, clamp64(sp, 1, d.OH)) : 1;
	d.nty = d.OH > 0 ? ceil_div(d.OH, d.ty_sz) : 1;
	add_ptr(c, x);
	add_ptr(c, wp);
	add_ptr(c, b);
	add_ptr(c, r);
	add_ptr(c, y);
	set_call(c, "rk_dwconv2d", &d, sizeof d, d.N * d.ncb * d.nty);
	return 0;
}

static int
lower_conv(ir_graph *g, ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *w = op->operands[1], *b = opnd(op, 2), *r = opnd(op, 3);
	ir_value *ps = opnd(op, 4), *pt = opnd(op, 5);
	ir_value *y = op->results[0], *z = op->nresults > 1 ? op->results[1] : NULL;
	const int64_t *st, *pads, *dil;
	if (need_dtype(op, x, M_F32, e) || need_dtype(op, w, M_F32, e) ||
	    (b && need_dtype(op, b, M_F32, e)) || (r && need_dtype(op, r, M_F32, e)) ||
	    (ps && need_dtype(op, ps, M_F32, e)) || (pt && need_dtype(op, pt, M_F32, e)))
		return -1;
	const bool rows = ir_op_int(op, "row_sums", 0) != 0;
	if (rows && (ps || !z || z->dtype != IR_F32 || z->rank != 3 || y->rank != 4 ||
	             z->dims[0] != y->dims[0] || z->dims[1] != y->dims[1] || z->dims[2] != y->dims[2] ||
	             y->dims[2] < 1 || y->dims[3] < 1 || is_blk(z)))
		return ir_errf(e, "conv: row sums must be a plain f32 [N,M,OH] second result of a non-empty plane, without a post scale");
	if (!rows && ((ps != NULL) != (z != NULL) || (z && !ir_value_same_type(z, y)) ||
	              (ps && (ps->rank != 1 || ps->dims[0] != y->dims[1])) ||
	              (pt && (!ps || pt->rank != 1 || pt->dims[0] != y->dims[1]))))
		return ir_errf(e, "conv: the post scale and shift must be per output channel, with a second result");
	if (x->rank != 4 || w->rank != 4 || y->rank != 4)
		return ir_errf(e, "conv: only 2-D convolutions are supported");
	if (get_ints(op, "strides", 2, &st, e) || get_ints(op, "pads", 4, &pads, e) ||
	    get_ints(op, "dilations", 2, &dil, e))
		return -1;
	if (r && (!ir_value_same_type(r, y) || r->layout != y->layout))
		return ir_errf(e, "conv: the residual operand must have the result's type and layout");
	/* algo "depthwise" (lower-grouped-conv) on blocked values: its own
	 * kernel; on plain ones conv.c's pixel vectors (below) */
	if (strcmp(ir_op_string(op, "algo", "block"), "depthwise") == 0 && !z && const_data(w) &&
	    is_blk(x) && is_blk(y) && ir_op_int(op, "group", 1) == x->dims[1] &&
	    y->dims[1] == x->dims[1] && w->dims[1] == 1)
		return lower_dwconv(g, op, st, pads, dil, c, e);
	{
		/* blocked: whole blocks of channels per group, so a group's
		 * channels start a block and the tiles address them as with one group */
		int64_t G = ir_op_int(op, "group", 1);
		if ((is_blk(x) || is_blk(y)) &&
		    (G < 1 || (z && !rows) || !const_data(w) || (is_blk(x) && x->dims[1] % (G * RK_BLOCK)) ||
		     (is_blk(y) && y->dims[1] % (G * RK_BLOCK))))
			return ir_errf(e, "conv: a blocked layout needs constant weights, no second result "
			               "but row sums and whole blocks of 16 channels per group");
	}

	rk_conv_desc d;
	memset(&d, 0, sizeof d);
	d.N = x->dims[0];
	d.C = x->dims[1];
	d.H = x->dims[2];
	d.W = x->dims[3];
	d.M = y->dims[1];
	d.OH = y->dims[2];
	d.OW = y->dims[3];
	d.G = ir_op_int(op, "group", 1);
	if (d.G < 1 || d.C % d.G || d.M % d.G || w->dims[1] != d.C / d.G || w->dims[0] != d.M)
		return ir_errf(e, "conv: group does not fit the channels");
	d.Cg = d.C / d.G;
	d.Mg = d.M / d.G;
	d.nob = ceil_div(d.Mg, RK_BLOCK);
	d.KH = w->dims[2];
	d.KW = w->dims[3];
	d.SH = st[0];
	d.SW = st[1];
	d.PT = pads[0];
	d.PL = pads[1];
	d.DH = dil[0];
	d.DW = dil[1];
	if (epilogue(op, &d.act, &d.act_lo, &d.act_hi, e))
		return -1;
	d.has_bias = b != NULL;
	d.has_res = r != NULL;
	d.has_post = ps != NULL;
	d.has_post_shift = pt != NULL;
	if (epilogue_named(op, "post_act", &d.post_act, &d.post_lo, &d.post_hi, e))
		return -1;
	d.xblk = is_blk(x);
	d.yblk = is_blk(y);
	d.has_rows = rows;
	d.row_w = y->dims[3];

	/* 1x1, stride 1, no padding: the plane is one long row */
	bool flat = d.KH == 1 && d.KW == 1 && d.SH == 1 && d.SW == 1 && !pads[0] && !pads[1] &&
	            !pads[2] && !pads[3] && d.OH == d.H && d.OW == d.W;
	if (flat) {
		d.W = d.OW = d.H * d.W;
		d.H = d.OH = 1;
	}
	interior(d.OW, d.SW, d.PL, d.DW, d.KW, d.W, &d.oxlo, &d.oxhi);
	interior(d.OH, d.SH, d.PT, d.DH, d.KH, d.H, &d.oylo, &d.oyhi);

	/* weights: packed when constant */
	ir_value *wp = w;
	if (const_data(w)) {
		int64_t per = d.Cg * d.KH * d.KW;
		int64_t n = d.G * d.nob * per * RK_BLOCK;
		float *p = ir_alloc(g, (size_t)n * sizeof *p);
		const float *src = w->data;
		for (int64_t gi = 0; gi < d.G; gi++)
			for (int64_t ob = 0; ob < d.nob; ob++)
				for (int64_t j = 0; j < RK_BLOCK; j++) {
					int64_t m = ob * RK_BLOCK + j;
					if (m >= d.Mg)
						continue;
					const float *s = src + (gi * d.Mg + m) * per;
					float *dst = p + (gi * d.nob + ob) * per * RK_BLOCK + j;
					for (int64_t k = 0; k < per; k++)
						dst[k * RK_BLOCK] = s[k];
				}
		int64_t dims[1] = {n};
		wp = new_const(g, "packed", w, IR_F32, 1, dims, p);
		d.wpacked = 1;
	}

	/* tasks: blocks of output channels first, then rows (or row segments) */
	int64_t macs = d.N * d.M * d.OH * d.OW * d.Cg * d.KH * d.KW;
	int64_t target = clamp64(macs / MACS_PER_TASK, 1, MAX_TASKS);
	int64_t ng = d.N * d.G;
	int64_t per_ng = target > ng ? ceil_div(target, ng) : 1;
	/* blocks go to tasks in pairs: the AVX-512 kernel computes two blocks
	 * per tile (conv.c, NBMAX), the others one after the other; on small
	 * planes in fours (quad: rk_conv2d_q, whose tiles of at most 6 pixels
	 * take four blocks; a 7x7 plane's rows hold 5-7) */
	const char *algo = ir_op_string(op, "algo", "block");
	bool quad = !flat && d.wpacked && strcmp(algo, "block") == 0 && d.nob % 4 == 0 &&
	            d.OW <= QUAD_MAX_OW;
	int64_t unit = quad ? 4 : 2, units = ceil_div(d.nob, unit);
	d.ntob = per_ng < units ? per_ng : units;
	d.tob_sz = unit * ceil_div(units, d.ntob);
	d.ntob = ceil_div(d.nob, d.tob_sz);
	/* rows: as many tasks as the target asks; a small plane's rows stay
	 * together (every task streams all of its blocks' weights once per row
	 * tile, border column and corner: a 7x7 plane split into rows read
	 * them 21 times for 49 pixels, whole 13 times; a 14x14 one 42 and 20
	 * times for 196) unless that leaves fewer than SMALL_MIN_TASKS tasks */
	int64_t sp = ceil_div(target, ng * d.ntob);
	if (!flat && d.OW <= WHOLE_MAX_OW)
		sp = clamp64(ceil_div(SMALL_MIN_TASKS, ng * d.ntob), 1, sp);
	/* flat 1x1 over large planes with whole blocks: pixel vectors */
	bool flat_v = flat && d.wpacked && strcmp(algo, "pixel") != 0 && d.Mg % RK_BLOCK == 0 &&
	              d.OW >= FLAT_V_MIN_PIXELS && !d.xblk && !d.yblk;
	d.ty_sz = d.OH;
	d.nty = 1;
	d.tx_sz = d.OW;
	d.ntx = 1;
	if (sp > 1 && flat) {
		/* segments of a multiple of 84 pixels (RK_R is 14, 6 or 3), or of 192
		 * for pixel vectors (3 vectors of 16, 8 or 4 pixels) */
		int64_t unit = flat_v ? 192 : 84;
		if (rows)
			unit = d.row_w; /* whole rows: each row's sum is one task's (conv.c) */
		int64_t seg = ceil_div(ceil_div(d.OW, sp), unit) * unit;
		d.tx_sz = seg < d.OW ? seg : d.OW;
		d.ntx = ceil_div(d.OW, d.tx_sz);
	} else if (sp > 1) {
		d.ty_sz = ceil_div(d.OH, sp < d.OH ? sp : d.OH);
		d.nty = ceil_div(d.OH, d.ty_sz);
	}
	if (d.OH == 0 || d.OW == 0) {
		d.ty_sz = d.tx_sz = 1;
		d.nty = d.ntx = 1;
	}
	/* input channel chunks: the task's input slab and the chunk's weights
	 * within CONV_CACHE bytes */
	{
		int64_t rows = (d.ty_sz - 1) * d.SH + (d.KH - 1) * d.DH + 1;
		int64_t cols = (d.tx_sz - 1) * d.SW + (d.KW - 1) * d.DW + 1;
		rows = rows < d.H ? rows : d.H;
		cols = cols < d.W ? cols : d.W;
		int64_t per_ch = rows * cols * 4 + d.KH * d.KW * RK_BLOCK * 4;
		int64_t icb = per_ch > 0 ? CONV_CACHE / per_ch : d.Cg;
		int64_t nch = icb >= d.Cg || icb < 1 ? 1 : ceil_div(d.Cg, icb < 8 ? 8 : icb);
		d.icb = nch > 1 ? ceil_div(d.Cg, nch) : (d.Cg ? d.Cg : 1);
	}
	/* the vector form lower-grouped-conv chose; blocks where pixel vectors
	 * cannot run (their tiles need every input channel in one pass) */
	if (flat_v)
		d.icb = d.Cg; /* its tiles hold a few pixels of every channel */
	bool pixel = strcmp(algo, "pixel") == 0 || strcmp(algo, "depthwise") == 0;
	d.pv = pixel && (d.SW == 1 || d.SW == 2) && d.icb == d.Cg && d.wpacked && !d.xblk && !d.yblk;
	add_ptr(c, x);
	add_ptr(c, wp);
	add_ptr(c, b);
	add_ptr(c, r);
	add_ptr(c, y);
	if (ps) {
		add_ptr(c, ps);
		add_ptr(c, pt);
		add_ptr(c, z);
	} else if (rows) {
		add_ptr(c, z);
	}
	/* the entry point (conv.c): _flat has only the flat case (it pins the
	 * fields checked here), _p computes two blocks per tile with AVX-512 and
	 * needs an even nob (tasks get an even number of blocks, above) */
	bool flat_kernel = flat && d.wpacked && !d.pv && d.nty == 1 && d.ty_sz == 1 &&
	                   d.oxlo == 0 && d.oxhi == d.OW && d.oylo == 0 && d.oyhi == 1;
	bool pair_kernel = d.wpacked && !d.pv && d.nob % 2 == 0 && d.tob_sz % 2 == 0;
	static const char *const names[2][2] = {{"rk_conv2d", "rk_conv2d_p"},
	                                        {"rk_conv2d_flat", "rk_conv2d_flat_p"}};
	const char *kernel = names[flat_kernel][pair_kernel];
	if (flat_kernel && flat_v)
		kernel = "rk_conv2d_flat_v";
	else if (quad && !flat_kernel && !d.pv)
		kernel = "rk_conv2d_q";
	set_call(c, kernel, &d, sizeof d, d.N * d.G * d.ntob * d.nty * d.ntx);
	return 0;
}

/* ---- gemm / matmul ------------------------------------------------------------ */

/* Packs B(k,n) = B[k*sbk + n*sbn] as [nnb][K][16]. */
static ir_value *
pack_b(ir_graph *g, const ir_value *bv, int64_t K, int64_t N, int64_t sbk, int64_t sbn)
{
	int64_t nnb = ceil_div(N, RK_BLOCK);
	int64_t n = nnb * K * RK_BLOCK;
	float *p = ir_alloc(g, (size_t)(n ? n : 1) * sizeof *p);
	const float *b = bv->data;
	for (int64_t nb = 0; nb < nnb; nb++)
		for (int64_t k = 0; k < K; k++)
			for (int64_t j = 0; j < RK_BLOCK; j++) {
				int64_t col = nb * RK_BLOCK + j;
				p[(nb * K + k) * RK_BLOCK + j] = col < N ? b[k * sbk + col * sbn] : 0.0f;
			}
	int64_t dims[1] = {n};
	return new_const(g, "packed", bv, IR_F32, 1, dims, p);
}

static void
gemm_tasks(rk_gemm_desc *d, int64_t nbatch)
{
	int64_t macs = nbatch * d->M * d->N * (d->K ? d->K : 1);
	int64_t target = clamp64(macs / MACS_PER_TASK, 1, MAX_TASKS);
	int64_t per = target > nbatch ? ceil_div(target, nbatch) : 1;
	int64_t nnb = d->nnb ? d->nnb : 1;
	d->ntn = per < nnb ? per : nnb;
	d->tn_sz = ceil_div(nnb, d->ntn);
	d->ntn = ceil_div(nnb, d->tn_sz);
	int64_t pm = ceil_div(per, d->ntn);
	int64_t M = d->M ? d->M : 1;
	d->tm_sz = M;
	if (pm > 1) {
		int64_t rows = ceil_div(M, pm);
		rows = rows > 42 ? ceil_div(rows, 42) * 42 : rows; /* whole RK_R tiles */
		d->tm_sz = rows < M ? rows : M;
	}
	d->ntm = ceil_div(M, d->tm_sz);
}

static int
lower_gemm(ir_graph *g, ir_op *op, be_call *c, ir_err *e)
{
	ir_value *a = op->operands[0], *b = op->operands[1], *cv = opnd(op, 2), *y = op->results[0];
	if (need_dtype(op, a, M_F32, e) || need_dtype(op, b, M_F32, e) || (cv && need_dtype(op, cv, M_F32, e)))
		return -1;
	if (a->rank != 2 || b->rank != 2 || y->rank != 2)
		return ir_errf(e, "gemm: operands must be matrices");
	int64_t ta = ir_op_int(op, "transA", 0), tb = ir_op_int(op, "transB", 0);
	rk_gemm_desc d;
	memset(&d, 0, sizeof d);
	d.M = y->dims[0];
	d.N = y->dims[1];
	d.K = a->dims[ta ? 0 : 1];
	d.nnb = ceil_div(d.N, RK_BLOCK);
	d.sam = ta ? 1 : d.K;
	d.sak = ta ? d.M : 1;
	d.sbk = tb ? 1 : d.N;
	d.sbn = tb ? d.K : 1;
	d.alpha = rk_f32bits(ir_op_float(op, "alpha", 1.0f));
	d.beta = rk_f32bits(ir_op_float(op, "beta", 1.0f));
	if (cv) {
		d.has_c = 1;
		if (cv->rank == 2) {
			d.scm = cv->dims[0] == 1 ? 0 : cv->dims[1];
			d.scn = cv->dims[1] == 1 ? 0 : 1;
		} else if (cv->rank == 1) {
			d.scn = cv->dims[0] == 1 ? 0 : 1;
		}
	}
	if (epilogue(op, &d.act, &d.act_lo, &d.act_hi, e))
		return -1;
	ir_value *bp = b;
	if (const_data(b)) {
		bp = pack_b(g, b, d.K, d.N, d.sbk, d.sbn);
		d.bpacked = 1;
	}
	gemm_tasks(&d, 1);
	add_ptr(c, a);
	add_ptr(c, bp);
	add_ptr(c, cv);
	add_ptr(c, y);
	set_call(c, "rk_gemm", &d, sizeof d, d.ntm * d.ntn);
	return 0;
}

static int
lower_matmul(ir_graph *g, ir_op *op, be_call *c, ir_err *e)
{
	ir_value *a = op->operands[0], *b = op->operands[1], *y = op->results[0];
	if (need_dtype(op, a, M_F32, e) || need_dtype(op, b, M_F32, e))
		return -1;
	rk_gemm_desc d;
	memset(&d, 0, sizeof d);
	d.M = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
	d.K = a->dims[a->rank - 1];
	d.N = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
	d.nnb = ceil_div(d.N, RK_BLOCK);
	d.sam = d.K;
	d.sak = 1;
	d.sbk = b->rank >= 2 ? d.N : 1;
	d.sbn = 1;
	d.alpha = rk_f32bits(1.0f);
	d.beta = rk_f32bits(0.0f);
	int brank = y->rank - (a->rank >= 2) - (b->rank >= 2);
	if (brank < 0 || brank > 6)
		return ir_errf(e, "matmul: unsupported batch rank %d", brank);
	d.nbd = brank;
	int64_t ma = d.M * d.K, mb = d.K * d.N, nbatch = 1;
	for (int i = brank - 1; i >= 0; i--) {
		int ja = i - (brank - (a->rank - 2)), jb = i - (brank - (b->rank - 2));
		int64_t da = ja >= 0 ? a->dims[ja] : 1, db = jb >= 0 ? b->dims[jb] : 1;
		d.bdims[i] = y->dims[i];
		d.bsa[i] = da == 1 ? 0 : ma;
		d.bsb[i] = db == 1 ? 0 : mb;
		ma *= da;
		mb *= db;
		nbatch *= y->dims[i];
	}
	ir_value *bp = b;
	if (const_data(b) && b->rank <= 2) {
		bp = pack_b(g, b, d.K, d.N, d.sbk, d.sbn);
		d.bpacked = 1;
	}
	gemm_tasks(&d, nbatch);
	add_ptr(c, a);
	add_ptr(c, bp);
	add_ptr(c, NULL);
	add_ptr(c, y);
	set_call(c, "rk_gemm", &d, sizeof d, nbatch * d.ntm * d.ntn);
	return 0;
}

/* ---- batchnorm ---------------------------------------------------------------- */

static int
lower_batchnorm(ir_graph *g, ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	for (int i = 0; i < 5; i++)
		if (need_dtype(op, op->operands[i], M_F32, e))
			return -1;
	if (x->rank < 2)
		return ir_errf(e, "batchnorm: input must have rank 2 or more");
	rk_bn_desc d;
	memset(&d, 0, sizeof d);
	d.N = x->dims[0];
	d.C = x->dims[1];
	d.S = numel(x->rank - 2, x->dims + 2);
	float eps = ir_op_float(op, "epsilon", 1e-5f);
	d.eps = rk_f32bits(eps);
	bool fold = true;
	for (int i = 1; i < 5; i++)
		fold = fold && const_data(op->operands[i]);
	if (fold) {
		/* [3][C]: scale/sqrt(var+eps), mean, bias, as the interpreter computes */
		const float *sc = op->operands[1]->data, *bi = op->operands[2]->data;
		const float *mu = op->operands[3]->data, *var = op->operands[4]->data;
		float *p = ir_alloc(g, (size_t)(3 * d.C + 1) * sizeof *p);
		for (int64_t k = 0; k < d.C; k++) {
			p[k] = sc[k] / sqrtf(var[k] + eps);
			p[d.C + k] = mu[k];
			p[2 * d.C + k] = bi[k];
		}
		int64_t dims[2] = {3, d.C};
		add_ptr(c, x);
		add_ptr(c, new_const(g, "bn_folded", op->operands[1], IR_F32, 2, dims, p));
		add_ptr(c, NULL);
		add_ptr(c, NULL);
		add_ptr(c, NULL);
		d.folded = 1;
	} else {
		for (int i = 0; i < 5; i++)
			add_ptr(c, op->operands[i]);
	}
	add_ptr(c, y);
	int64_t planes = d.N * d.C;
	int64_t nt = task_count(planes, d.S, ELEM_PER_TASK);
	d.planes_per_task = planes ? ceil_div(planes, nt) : 1;
	set_call(c, "rk_batchnorm", &d, sizeof d, planes ? ceil_div(planes, d.planes_per_task) : 1);
	return 0;
}

/* ---- unary ------------------------------------------------------------------------ */

static int
lower_copy(ir_op *op, ir_value *x, ir_value *y, be_call *c)
{
	(void)op;
	rk_copy_desc d = {0};
	d.nbytes = (int64_t)ir_value_nbytes(y);
	int64_t nt = task_count(ceil_div(d.nbytes, 4096), 4096, BYTES_PER_TASK);
	d.chunk = d.nbytes ? ceil_div(ceil_div(d.nbytes, nt), 64) * 64 : 64;
	add_ptr(c, x);
	add_ptr(c, y);
	set_call(c, "rk_copy", &d, sizeof d, d.nbytes ? ceil_div(d.nbytes, d.chunk) : 1);
	return 0;
}

static int
lower_unary(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	rk_unary_desc d;
	memset(&d, 0, sizeof d);
	bool heavy = false;
	switch (op->kind) {
	case IR_OP_RELU: d.op = RK_U_RELU; break;
	case IR_OP_LEAKYRELU: d.op = RK_U_LEAKYRELU; break;
	case IR_OP_CLIP: d.op = RK_U_CLIP; break;
	case IR_OP_SIGMOID: d.op = RK_U_SIGMOID; heavy = true; break;
	case IR_OP_TANH: d.op = RK_U_TANH; heavy = true; break;
	case IR_OP_EXP: d.op = RK_U_EXP; heavy = true; break;
	case IR_OP_LOG: d.op = RK_U_LOG; heavy = true; break;
	case IR_OP_SQRT: d.op = RK_U_SQRT; break;
	case IR_OP_ABS: d.op = RK_U_ABS; break;
	case IR_OP_NEG: d.op = RK_U_NEG; break;
	default: return ir_errf(e, "internal: not a unary op");
	}
	unsigned mask = (op->kind == IR_OP_ABS || op->kind == IR_OP_NEG) ? M_ARITH : M_F32;
	if (need_dtype(op, x, mask, e) || x->dtype != y->dtype)
		return -1;
	d.dtype = x->dtype;
	d.n = ir_value_numel(x);
	d.alpha = rk_f32bits(ir_op_float(op, "alpha", 0.01f));
	d.lo = rk_f32bits(ir_op_float(op, "min", -INFINITY));
	d.hi = rk_f32bits(ir_op_float(op, "max", INFINITY));
	int64_t nt = task_count(d.n, 1, heavy ? HEAVY_PER_TASK : ELEM_PER_TASK);
	d.chunk = d.n ? ceil_div(ceil_div(d.n, nt), 64) * 64 : 64;
	add_ptr(c, x);
	add_ptr(c, y);
	set_call(c, "rk_unary", &d, sizeof d, d.n ? ceil_div(d.n, d.chunk) : 1);
	return 0;
}

/* ---- broadcast views --------------------------------------------------------------- */

/*
 * A dense result of dims[rank] read through nin strided views: drops axes of
 * size 1 and merges adjacent axes that are contiguous in every view.
 */
typedef struct view {
	int rank, nin;
	int64_t dims[IR_MAX_DIMS];
	int64_t st[RK_MAXIN][IR_MAX_DIMS];
} view;

static void
view_simplify(view *v)
{
	int r = 0;
	for (int i = 0; i < v->rank; i++) {
		if (v->dims[i] == 1)
			continue;
		v->dims[r] = v->dims[i];
		for (int k = 0; k < v->nin; k++)
			v->st[k][r] = v->st[k][i];
		r++;
	}
	v->rank = r;
	if (r == 0) {
		v->rank = 1;
		v->dims[0] = 1;
		for (int k = 0; k < v->nin; k++)
			v->st[k][0] = 0;
		return;
	}
	int o = 0;
	for (int i = 1; i < v->rank; i++) {
		bool merge = true;
		for (int k = 0; k < v->nin; k++)
			if (v->st[k][o] != v->st[k][i] * v->dims[i])
				merge = false;
		if (merge) {
			v->dims[o] *= v->dims[i];
			for (int k = 0; k < v->nin; k++)
				v->st[k][o] = v->st[k][i];
		} else {
			o++;
			v->dims[o] = v->dims[i];
			for (int k = 0; k < v->nin; k++)
				v->st[k][o] = v->st[k][i];
		}
	}
	v->rank = o + 1;
}

/* Strides of x broadcast to the result dims (right-aligned, 0 where x has 1). */
static void
bcast_strides(const ir_value *x, int rank, const int64_t *dims, int64_t *st)
{
	int64_t s = 1;
	for (int i = rank - 1; i >= 0; i--) {
		int j = i - (rank - x->rank);
		int64_t dx = j >= 0 ? x->dims[j] : 1;
		st[i] = dx == 1 && dims[i] != 1 ? 0 : (dx == 1 ? 0 : s);
		s *= dx;
	}
}

static int
lower_eltwise(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *y = op->results[0];
	if (op->noperands > RK_MAXIN)
		return ir_errf(e, "%s: at most %d operands are supported, not %d", ir_opinfos[op->kind].name,
		               RK_MAXIN, op->noperands);
	if (need_dtype(op, y, M_ARITH, e))
		return -1;
	for (int i = 0; i < op->noperands; i++)
		if (op->operands[i]->dtype != y->dtype)
			return ir_errf(e, "%s: operand dtypes differ", ir_opinfos[op->kind].name);
	rk_eltwise_desc d;
	memset(&d, 0, sizeof d);
	switch (op->kind) {
	case IR_OP_ADD: case IR_OP_SUM: d.op = RK_B_ADD; break;
	case IR_OP_SUB: d.op = RK_B_SUB; break;
	case IR_OP_MUL: d.op = RK_B_MUL; break;
	case IR_OP_DIV: d.op = RK_B_DIV; break;
	case IR_OP_MAX: d.op = RK_B_MAX; break;
	case IR_OP_MIN: d.op = RK_B_MIN; break;
	default: return ir_errf(e, "internal: not an elementwise op");
	}
	view v;
	memset(&v, 0, sizeof v);
	v.rank = y->rank;
	v.nin = op->noperands;
	memcpy(v.dims, y->dims, sizeof v.dims);
	for (int k = 0; k < v.nin; k++)
		bcast_strides(op->operands[k], y->rank, y->dims, v.st[k]);
	view_simplify(&v);
	d.dtype = y->dtype;
	d.nin = v.nin;
	d.rank = v.rank;
	d.total = ir_value_numel(y);
	for (int i = 0; i < v.rank; i++) {
		d.dims[i] = v.dims[i];
		for (int k = 0; k < v.nin; k++)
			d.strides[k][i] = v.st[k][i];
	}
	int64_t nt = task_count(d.total, d.nin, ELEM_PER_TASK);
	d.chunk = d.total ? ceil_div(ceil_div(d.total, nt), 64) * 64 : 64;
	for (int k = 0; k < op->noperands; k++)
		add_ptr(c, op->operands[k]);
	add_ptr(c, y);
	set_call(c, "rk_eltwise", &d, sizeof d, d.total ? ceil_div(d.total, d.chunk) : 1);
	return 0;
}

/* ---- softmax, pooling, reductions ---------------------------------------------------- */

static int
lower_softmax(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	if (need_dtype(op, x, M_F32, e))
		return -1;
	int64_t axis = ir_op_int(op, "axis", -1);
	if (axis < 0 || axis >= x->rank)
		return ir_errf(e, "softmax: axis out of range");
	rk_softmax_desc d;
	memset(&d, 0, sizeof d);
	d.outer = numel((int)axis, x->dims);
	d.L = x->dims[axis];
	d.inner = numel(x->rank - (int)axis - 1, x->dims + axis + 1);
	d.inner_chunk = d.inner < 256 ? (d.inner ? d.inner : 1) : 256;
	d.ninner_t = d.inner ? ceil_div(d.inner, d.inner_chunk) : 1;
	int64_t units = d.outer * d.ninner_t;
	int64_t nt = task_count(units, d.L * d.inner_chunk * 4, ELEM_PER_TASK);
	d.units_per_task = units ? ceil_div(units, nt) : 1;
	add_ptr(c, x);
	add_ptr(c, y);
	set_call(c, "rk_softmax", &d, sizeof d, units ? ceil_div(units, d.units_per_task) : 1);
	return 0;
}

static int
lower_pool(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	const int64_t *k, *st, *pads, *dil = NULL;
	static const int64_t one[2] = {1, 1};
	bool maxp = op->kind == IR_OP_MAXPOOL;
	if (need_dtype(op, x, M_F32, e) || get_ints(op, "kernel", 2, &k, e) ||
	    get_ints(op, "strides", 2, &st, e) || get_ints(op, "pads", 4, &pads, e))
		return -1;
	if (maxp && get_ints(op, "dilations", 2, &dil, e))
		return -1;
	if (!dil)
		dil = one;
	if (x->rank != 4 || y->rank != 4)
		return ir_errf(e, "%s: only 2-D pooling is supported", ir_opinfos[op->kind].name);
	if (is_blk(x) != is_blk(y))
		return ir_errf(e, "%s: a blocked layout needs a blocked operand and result",
		               ir_opinfos[op->kind].name);
	rk_pool_desc d;
	memset(&d, 0, sizeof d);
	d.kind = maxp ? RK_POOL_MAX : RK_POOL_AVG;
	d.blk = is_blk(x);
	d.P = x->dims[0] * x->dims[1] / (d.blk ? RK_BLOCK : 1);
	d.H = x->dims[2];
	d.W = x->dims[3];
	d.OH = y->dims[2];
	d.OW = y->dims[3];
	d.KH = k[0];
	d.KW = k[1];
	d.SH = st[0];
	d.SW = st[1];
	d.PT = pads[0];
	d.PL = pads[1];
	d.PB = pads[2];
	d.PR = pads[3];
	d.DH = dil[0];
	d.DW = dil[1];
	d.cip = maxp ? 0 : ir_op_int(op, "count_include_pad", 0);
	int64_t l0, h0, l1, h1;
	col_range(d.OW, d.SW, -d.PL, d.W, &l0, &h0);
	col_range(d.OW, d.SW, (d.KW - 1) * d.DW - d.PL, d.W, &l1, &h1);
	d.oxlo = l0 > l1 ? l0 : l1;
	d.oxhi = h0 < h1 ? h0 : h1;
	if (d.oxhi < d.oxlo)
		d.oxhi = d.oxlo;
	int64_t nt = task_count(d.P, d.OH * d.OW * d.KH * d.KW * (d.blk ? RK_BLOCK : 1), ELEM_PER_TASK * 4);
	d.planes_per_task = d.P ? ceil_div(d.P, nt) : 1;
	add_ptr(c, x);
	add_ptr(c, y);
	set_call(c, "rk_pool", &d, sizeof d, d.P ? ceil_div(d.P, d.planes_per_task) : 1);
	return 0;
}

static int
lower_reduce(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	if (need_dtype(op, x, M_F32, e))
		return -1;
	bool red[IR_MAX_DIMS] = {0};
	bool mean = op->kind != IR_OP_REDUCESUM;
	if (op->kind == IR_OP_GLOBALAVGPOOL) {
		for (int i = 2; i < x->rank; i++)
			red[i] = true;
	} else {
		int n;
		const int64_t *axes = ir_op_ints(op, "axes", &n);
		if (!axes || n < 1)
			return ir_errf(e, "%s: attribute 'axes' must be a non-empty list", ir_opinfos[op->kind].name);
		for (int i = 0; i < n; i++) {
			if (axes[i] < 0 || axes[i] >= x->rank)
				return ir_errf(e, "%s: axis out of range", ir_opinfos[op->kind].name);
			red[axes[i]] = true;
		}
	}
	/* the physical dims: NCHW16c is [N][C/16][H][W][16], the pool keeps the
	 * lanes, so the result comes out in plain [N][C] order */
	int xr = x->rank;
	int64_t xd[IR_MAX_DIMS];
	memcpy(xd, x->dims, sizeof xd);
	if (is_blk(y) && y->dims[2] * y->dims[3] != 1) /* [N,C,1,1] is the same in either layout */
		return ir_errf(e, "%s: a blocked result must be [N,C,1,1]", ir_opinfos[op->kind].name);
	if (is_blk(x)) {
		if (op->kind != IR_OP_GLOBALAVGPOOL || is_blk(y) || x->rank != 4)
			return ir_errf(e, "%s: only a global average pool reads a blocked layout (into a plain result)",
			               ir_opinfos[op->kind].name);
		const int64_t pd[5] = {x->dims[0], x->dims[1] / RK_BLOCK, x->dims[2], x->dims[3], RK_BLOCK};
		const bool pr[5] = {false, false, true, true, false};
		xr = 5;
		memcpy(xd, pd, sizeof pd);
		memcpy(red, pr, sizeof pr);
	}
	rk_reduce_desc d;
	memset(&d, 0, sizeof d);
	d.mean = mean;
	d.count = 1;
	/* drop size-1 axes (they change nothing), merge neighbours with equal flags */
	int r = 0;
	for (int i = 0; i < xr; i++) {
		if (red[i])
			d.count *= xd[i];
		if (xd[i] == 1)
			continue;
		if (r > 0 && d.red[r - 1] == (int64_t)red[i]) {
			d.dims[r - 1] *= xd[i];
			continue;
		}
		d.dims[r] = xd[i];
		d.red[r] = red[i];
		r++;
	}
	if (r == 0) {
		d.dims[0] = 1;
		d.red[0] = 1;
		r = 1;
	}
	d.rank = r;
	d.nout = ir_value_numel(y);
	/* units: result elements, or rows of the innermost kept axis */
	int64_t units = d.red[r - 1] ? d.nout : (d.dims[r - 1] ? d.nout / d.dims[r - 1] : 0);
	int64_t nx = ir_value_numel(x);
	int64_t nt = task_count(units, units ? nx / units : 1, ELEM_PER_TASK);
	d.chunk = units ? ceil_div(units, nt) : 1;
	add_ptr(c, x);
	add_ptr(c, y);
	set_call(c, "rk_reduce", &d, sizeof d, units ? ceil_div(units, d.chunk) : 1);
	return 0;
}

/* ---- data movement ----------------------------------------------------------------------- */

static void
dense_strides(int rank, const int64_t *dims, int64_t *st)
{
	int64_t s = 1;
	for (int i = rank - 1; i >= 0; i--) {
		st[i] = s;
		s *= dims[i];
	}
}

/* y[i] = x[offset + sum i_d*st[d]] over dims (y's elements in order). */
static int
lower_strided_dims(ir_value *x, ir_value *y, int rank, const int64_t *dims, int64_t offset,
                   const int64_t *st, be_call *c)
{
	view v;
	memset(&v, 0, sizeof v);
	v.rank = rank;
	v.nin = 1;
	memcpy(v.dims, dims, (size_t)rank * sizeof *dims);
	memcpy(v.st[0], st, (size_t)rank * sizeof *st);
	view_simplify(&v);
	rk_strided_desc d;
	memset(&d, 0, sizeof d);
	d.esize = (int64_t)ir_dtype_size(y->dtype);
	d.rank = v.rank;
	d.offset = offset;
	d.total = ir_value_numel(y);
	for (int i = 0; i < v.rank; i++) {
		d.dims[i] = v.dims[i];
		d.strides[i] = v.st[0][i];
	}
	int64_t nt = task_count(d.total, d.esize, BYTES_PER_TASK / 4);
	d.chunk = d.total ? ceil_div(ceil_div(d.total, nt), 64) * 64 : 64;
	add_ptr(c, x);
	add_ptr(c, y);
	set_call(c, "rk_strided", &d, sizeof d, d.total ? ceil_div(d.total, d.chunk) : 1);
	return 0;
}

/* y[i] = x[offset + sum i_d*st[d]] over y's dims. */
static int
lower_strided(ir_value *x, ir_value *y, int64_t offset, const int64_t *st, be_call *c)
{
	return lower_strided_dims(x, y, y->rank, y->dims, offset, st, c);
}

/*
 * A slice of NCHW16c to NCHW16c over H and W (the subsampled input of a
 * strided 1x1 conv, passes/subsample_conv.c): a strided copy over the
 * physical dims [N][C/16][H][W][16].  The caller checked the bounds.
 */
static int
lower_slice_blk(ir_op *op, const int64_t *starts, const int64_t *steps, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	if (!is_blk(x) || !is_blk(y) || x->rank != 4 || starts[1] != 0 || steps[1] != 1 ||
	    y->dims[1] != x->dims[1])
		return ir_errf(e, "slice: a blocked layout needs blocked operand and result and all channels");
	const int64_t B = RK_BLOCK, H = x->dims[2], W = x->dims[3];
	int64_t off = 0;
	/* physical strides of x: [C/16*H*W*16, H*W*16, W*16, 16, 1] */
	const int64_t xs[5] = {x->dims[1] * H * W, H * W * B, W * B, B, 1};
	int64_t dims[5] = {y->dims[0], y->dims[1] / B, y->dims[2], y->dims[3], B};
	int64_t st[5] = {steps[0] * xs[0], xs[1], steps[2] * xs[2], steps[3] * xs[3], 1};
	if (ir_value_numel(y) > 0)
		off = starts[0] * xs[0] + starts[2] * xs[2] + starts[3] * xs[3];
	return lower_strided_dims(x, y, 5, dims, off, st, c);
}

static int
lower_concat(ir_op *op, be_call *c, bool split, ir_err *e)
{
	ir_value *big = split ? op->operands[0] : op->results[0];
	int n = split ? op->nresults : op->noperands;
	if (n > RK_MAXIN)
		return ir_errf(e, "%s: at most %d pieces are supported, not %d", ir_opinfos[op->kind].name,
		               RK_MAXIN, n);
	int64_t axis = ir_op_int(op, "axis", -1);
	if (axis < 0 || axis >= big->rank)
		return ir_errf(e, "%s: axis out of range", ir_opinfos[op->kind].name);
	rk_concat_desc d;
	memset(&d, 0, sizeof d);
	int64_t esz = (int64_t)ir_dtype_size(big->dtype);
	int64_t inner = numel(big->rank - (int)axis - 1, big->dims + axis + 1) * esz;
	d.split = split;
	d.n = n;
	d.outer = numel((int)axis, big->dims);
	d.rowbytes = big->dims[axis] * inner;
	int64_t pos = 0;
	for (int k = 0; k < n; k++) {
		ir_value *p = split ? op->results[k] : op->operands[k];
		if (p->dtype != big->dtype)
			return ir_errf(e, "%s: dtypes differ", ir_opinfos[op->kind].name);
		d.bytes[k] = p->dims[axis] * inner;
		d.off[k] = pos;
		pos += d.bytes[k];
	}
	int64_t items = d.outer * n;
	int64_t per_item = items ? (d.outer * d.rowbytes) / items : 0;
	int64_t nt = task_count(items, per_item, BYTES_PER_TASK);
	d.items_per_task = items ? ceil_div(items, nt) : 1;
	if (split) {
		add_ptr(c, big);
		for (int k = 0; k < n; k++)
			add_ptr(c, op->results[k]);
	} else {
		for (int k = 0; k < n; k++)
			add_ptr(c, op->operands[k]);
		add_ptr(c, big);
	}
	set_call(c, "rk_concat", &d, sizeof d, items ? ceil_div(items, d.items_per_task) : 1);
	return 0;
}

static int
lower_pad(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	const int64_t *pads;
	if (get_ints(op, "pads", 2 * x->rank, &pads, e))
		return -1;
	const char *mode = ir_op_string(op, "mode", "constant");
	rk_pad_desc d;
	memset(&d, 0, sizeof d);
	if (strcmp(mode, "constant") == 0)
		d.mode = RK_PAD_CONSTANT;
	else if (strcmp(mode, "reflect") == 0)
		d.mode = RK_PAD_REFLECT;
	else if (strcmp(mode, "edge") == 0)
		d.mode = RK_PAD_EDGE;
	else
		return ir_errf(e, "pad: unsupported mode \"%.64s\"", mode);
	d.esize = (int64_t)ir_dtype_size(x->dtype);
	/* the fill value converted to the element type, as the interpreter does */
	float value = ir_op_float(op, "value", 0.0f);
	union { double f64; float f32; int64_t i64; int32_t i32; int8_t i8; uint8_t u8; int64_t bits; } fill;
	memset(&fill, 0, sizeof fill);
	double dv = value;
	switch (x->dtype) {
	case IR_F32: fill.f32 = value; break;
	case IR_F64: fill.f64 = dv; break;
	case IR_I8: fill.i8 = (int8_t)(dv != dv ? 0 : dv <= -128 ? -128 : dv >= 127 ? 127 : (int64_t)dv); break;
	case IR_U8: fill.u8 = (uint8_t)(dv != dv ? 0 : dv <= 0 ? 0 : dv >= 255 ? 255 : (int64_t)dv); break;
	case IR_I32: fill.i32 = (int32_t)(dv != dv ? 0 : dv <= INT32_MIN ? INT32_MIN : dv >= INT32_MAX ? INT32_MAX : (int64_t)dv); break;
	case IR_I64: fill.i64 = dv != dv ? 0 : dv <= (double)INT64_MIN ? INT64_MIN : dv >= (double)INT64_MAX ? INT64_MAX : (int64_t)dv; break;
	case IR_BOOL: fill.u8 = dv != 0; break;
	default: return ir_errf(e, "pad: invalid dtype");
	}
	d.value = fill.bits;
	int r = x->rank;
	if (r == 0) {
		d.rank = 1;
		d.idims[0] = d.odims[0] = 1;
	} else {
		d.rank = r;
		for (int i = 0; i < r; i++) {
			d.idims[i] = x->dims[i];
			d.odims[i] = y->dims[i];
			d.pb[i] = pads[i];
		}
	}
	d.nrows = numel((int)d.rank - 1, d.odims);
	int64_t ny = ir_value_numel(y);
	int64_t nt = task_count(d.nrows, d.nrows ? ny / (d.nrows ? d.nrows : 1) * d.esize : 0, BYTES_PER_TASK);
	d.rows_per_task = d.nrows ? ceil_div(d.nrows, nt) : 1;
	add_ptr(c, x);
	add_ptr(c, y);
	set_call(c, "rk_pad", &d, sizeof d, d.nrows && ny ? ceil_div(d.nrows, d.rows_per_task) : 1);
	return 0;
}

static int
lower_gather(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *idx = op->operands[1], *y = op->results[0];
	if (idx->dtype != IR_I32 && idx->dtype != IR_I64)
		return ir_errf(e, "gather: indices must be i32 or i64");
	int64_t axis = ir_op_int(op, "axis", 0);
	if (axis < 0 || axis >= x->rank)
		return ir_errf(e, "gather: axis out of range");
	rk_gather_desc d;
	memset(&d, 0, sizeof d);
	d.esize = (int64_t)ir_dtype_size(x->dtype);
	d.outer = numel((int)axis, x->dims);
	d.A = x->dims[axis];
	d.inner = numel(x->rank - (int)axis - 1, x->dims + axis + 1);
	d.nidx = ir_value_numel(idx);
	d.idx_dtype = idx->dtype;
	int64_t items = d.outer * d.nidx;
	int64_t nt = task_count(items, d.inner * d.esize + 16, BYTES_PER_TASK);
	d.items_per_task = items ? ceil_div(items, nt) : 1;
	add_ptr(c, x);
	add_ptr(c, idx);
	add_ptr(c, y);
	set_call(c, "rk_gather", &d, sizeof d, items ? ceil_div(items, d.items_per_task) : 1);
	return 0;
}

static int
lower_cast(ir_op *op, be_call *c)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	if (x->dtype == y->dtype)
		return lower_copy(op, x, y, c);
	rk_cast_desc d;
	memset(&d, 0, sizeof d);
	d.from = x->dtype;
	d.to = y->dtype;
	d.n = ir_value_numel(x);
	int64_t nt = task_count(d.n, 1, ELEM_PER_TASK);
	d.chunk = d.n ? ceil_div(ceil_div(d.n, nt), 64) * 64 : 64;
	add_ptr(c, x);
	add_ptr(c, y);
	set_call(c, "rk_cast", &d, sizeof d, d.n ? ceil_div(d.n, d.chunk) : 1);
	return 0;
}

/* ---- resize ------------------------------------------------------------------------------ */

/* The source coordinate of output index o, as the interpreter (ONNX) defines it. */
static double
resize_coord(const char *coord, int64_t o, double s, int64_t in)
{
	double L = s * (double)in;
	if (strcmp(coord, "half_pixel") == 0)
		return ((double)o + 0.5) / s - 0.5;
	if (strcmp(coord, "pytorch_half_pixel") == 0)
		return L > 1 ? ((double)o + 0.5) / s - 0.5 : 0.0;
	if (strcmp(coord, "align_corners") == 0)
		return L == 1 ? 0.0 : (double)o * (double)(in - 1) / (L - 1);
	if (strcmp(coord, "asymmetric") == 0)
		return (double)o / s;
	return ((double)o + 0.5) / s; /* tf_half_pixel_for_nearest */
}

static int64_t
resize_clamp(double c, int64_t in)
{
	if (c != c || c < 0)
		return 0;
	if (c > (double)(in - 1))
		return in - 1;
	return (int64_t)c;
}

static int
lower_resize(ir_graph *g, ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *y = op->results[0];
	if (need_dtype(op, x, M_F32, e))
		return -1;
	const char *mode = ir_op_string(op, "mode", "nearest");
	const char *coord = ir_op_string(op, "coord", "half_pixel");
	const char *nmode = ir_op_string(op, "nearest_mode", "round_prefer_floor");
	int ns;
	const float *scales = ir_op_floats(op, "scales", &ns);
	if (!scales || ns != x->rank)
		return ir_errf(e, "resize: attribute 'scales' must have %d entries", x->rank);
	bool linear = strcmp(mode, "linear") == 0;
	int nm = strcmp(nmode, "round_prefer_floor") == 0 ? 0 : strcmp(nmode, "round_prefer_ceil") == 0 ? 1 :
	         strcmp(nmode, "floor") == 0 ? 2 : 3;
	int r = x->rank;
	int64_t in_d[IR_MAX_DIMS], out_d[IR_MAX_DIMS];
	float sc[IR_MAX_DIMS];
	for (int i = 0; i < r; i++) {
		in_d[i] = x->dims[i];
		out_d[i] = y->dims[i];
		sc[i] = scales[i];
	}
	rk_resize_desc d;
	memset(&d, 0, sizeof d);
	if (is_blk(x) || is_blk(y)) {
		/* NCHW16c: [N][C/16][H][W] of 16-lane pixels, the channels not resized */
		if (!is_blk(x) || !is_blk(y) || r != 4 || x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1] ||
		    sc[0] != 1.0f || sc[1] != 1.0f)
			return ir_errf(e, "resize: a blocked layout needs blocked operand and result and resizes only H and W");
		in_d[1] = out_d[1] = x->dims[1] / RK_BLOCK;
		d.blk = 1;
	}
	d.rank = r ? r : 1;
	if (r == 0)
		d.idims[0] = d.odims[0] = 1;
	int64_t total = 0;
	for (int i = 0; i < r; i++) {
		d.idims[i] = in_d[i];
		d.odims[i] = out_d[i];
		total += 2 * out_d[i];
	}
	int64_t *idx = ir_alloc(g, (size_t)(total + 1) * sizeof *idx);
	float *wt = ir_alloc(g, (size_t)(total + 1) * sizeof *wt);
	int64_t pos = 0;
	for (int i = 0; i < r; i++) {
		int64_t in = in_d[i], out = out_d[i];
		d.taps[i] = 0;
		if (in == 0 || out == 0)
			continue;
		double s = sc[i], exact = (double)out / (double)in;
		if ((float)exact == sc[i])
			s = exact;
		bool ident = out == in;
		int taps = linear ? 2 : 1;
		for (int64_t o = 0; o < out; o++) {
			double cc = resize_coord(coord, o, s, in);
			int64_t i0, i1;
			float w = 0;
			if (linear) {
				double f = floor(cc);
				i0 = resize_clamp(f, in);
				i1 = resize_clamp(f + 1, in);
				w = i0 == i1 ? 0.0f : (float)(cc - f);
			} else {
				double k;
				switch (nm) {
				case 0: k = cc == floor(cc) + 0.5 ? floor(cc) : round(cc); break;
				case 1: k = cc == floor(cc) + 0.5 ? ceil(cc) : round(cc); break;
				case 2: k = floor(cc); break;
				default: k = ceil(cc); break;
				}
				i0 = i1 = resize_clamp(k, in);
			}
			if (i0 != o || w != 0)
				ident = false;
			idx[pos + o * taps] = i0;
			wt[pos + o * taps] = 1.0f - w;
			if (taps == 2) {
				idx[pos + o * taps + 1] = i1;
				wt[pos + o * taps + 1] = w;
			}
		}
		if (ident)
			continue; /* identity axis: taps 0, table unused */
		d.taps[i] = taps;
		d.tab[i] = pos;
		pos += out * taps;
	}
	int64_t dims[1] = {pos ? pos : 1};
	ir_value *ti = ir_graph_add_const(g, "resize.idx", IR_I64, 1, dims, idx, false, 0);
	ir_value *tw = ir_graph_add_const(g, "resize.wt", IR_F32, 1, dims, wt, false, 0);
	d.nrows = numel(d.rank - 1, d.odims);
	int64_t ny = ir_value_numel(y);
	int64_t nt = task_count(d.nrows, d.nrows ? ny / d.nrows * 4 : 0, ELEM_PER_TASK);
	d.rows_per_task = d.nrows ? ceil_div(d.nrows, nt) : 1;
	add_ptr(c, x);
	add_ptr(c, ti);
	add_ptr(c, tw);
	add_ptr(c, y);
	set_call(c, "rk_resize", &d, sizeof d, d.nrows && ny ? ceil_div(d.nrows, d.rows_per_task) : 1);
	return 0;
}

/* ---- entry --------------------------------------------------------------------------------- */

/* ---- fused ops (passes/fuse_se_gate.c, fold_batchnorm.c) ---------------------- */

static int
lower_scale_shift(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *s = op->operands[1], *t = opnd(op, 2), *r = opnd(op, 3);
	ir_value *y = op->results[0];
	if (need_dtype(op, x, M_F32, e) || need_dtype(op, s, M_F32, e) ||
	    (t && need_dtype(op, t, M_F32, e)) || (r && need_dtype(op, r, M_F32, e)))
		return -1;
	if (x->rank < 2 || (r && !ir_value_same_type(r, y)))
		return ir_errf(e, "scale_shift: bad operand shapes");
	if ((is_blk(x) || is_blk(y) || is_blk(r)) &&
	    (!is_blk(x) || !is_blk(y) || (r && !is_blk(r)) || is_blk(s) || is_blk(t)))
		return ir_errf(e, "scale_shift: x, the residual and the result must share a layout");
	rk_scale_shift_desc d;
	memset(&d, 0, sizeof d);
	d.blk = is_blk(x);
	d.N = x->dims[0];
	d.C = x->dims[1];
	d.S = numel(x->rank - 2, x->dims + 2);
	d.s_nc = s->rank == 2;
	d.has_t = t != NULL;
	d.t_nc = t && t->rank == 2;
	d.has_res = r != NULL;
	if (epilogue(op, &d.act, &d.act_lo, &d.act_hi, e))
		return -1;
	add_ptr(c, x);
	add_ptr(c, s);
	add_ptr(c, t);
	add_ptr(c, r);
	add_ptr(c, y);
	int64_t planes = d.N * d.C / (d.blk ? RK_BLOCK : 1), per = d.S * (d.blk ? RK_BLOCK : 1);
	int64_t nt = task_count(planes, per, ELEM_PER_TASK);
	d.planes_per_task = planes ? ceil_div(planes, nt) : 1;
	set_call(c, "rk_scale_shift", &d, sizeof d, planes ? ceil_div(planes, d.planes_per_task) : 1);
	return 0;
}

static int
lower_se_gate(ir_op *op, be_call *c, ir_err *e)
{
	for (int i = 0; i < 5; i++)
		if (need_dtype(op, op->operands[i], M_F32, e))
			return -1;
	rk_se_gate_desc d;
	memset(&d, 0, sizeof d);
	d.K = ir_op_int(op, "radix", 1);
	d.G = ir_op_int(op, "groups", 1);
	d.N = op->operands[0]->dims[0];
	d.C = op->operands[0]->dims[1] / (d.K > 0 ? d.K : 1);
	d.R = op->operands[1]->dims[0];
	if (d.R > RK_SE_MAXR || d.K < 1 || d.K > RK_SE_MAXK || d.G < 1 || d.C % d.G ||
	    d.K * d.C > RK_SE_MAXC)
		return ir_errf(e, "se_gate: %lld hidden units, radix %lld, groups %lld: not supported",
		               (long long)d.R, (long long)d.K, (long long)d.G);
	if (op->operands[0]->rank == 3) {
		/* row sums of a conv (passes/fuse_se_mean.c) */
		d.rows = op->operands[0]->dims[2];
		d.pixels = ir_op_int(op, "pixels", 0);
		if (d.pixels < 1 || d.rows < 1)
			return ir_errf(e, "se_gate: row sums need pixels >= 1");
	}
	/* one task per image: a task computes the R*C hidden layer, which all
	 * of its gate channels need, so splitting the channels over k tasks
	 * read w1 k times; the gates stream their weights from memory (1 MiB
	 * each for C = 2048, R = 128).  se_resnet50's three C = 2048 gates at one
	 * thread: 460-500 us each with four channel blocks, 290-320 with two,
	 * 225-255 with one (Intel Xeon, 2026-12-07) */
	for (int i = 0; i < 5; i++)
		add_ptr(c, op->operands[i]);
	add_ptr(c, op->results[0]);
	set_call(c, "rk_se_gate", &d, sizeof d, d.N);
	return 0;
}

static int
lower_radix_combine(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *g = op->operands[1], *y = op->results[0];
	if (need_dtype(op, x, M_F32, e) || need_dtype(op, g, M_F32, e))
		return -1;
	rk_radix_combine_desc d;
	memset(&d, 0, sizeof d);
	d.K = ir_op_int(op, "radix", 1);
	d.N = x->dims[0];
	d.C = y->dims[1];
	d.S = numel(x->rank - 2, x->dims + 2);
	if (d.K < 1 || d.C * d.K != x->dims[1])
		return ir_errf(e, "radix_combine: radix does not fit the channels");
	if (is_blk(x) != is_blk(y) || is_blk(g) || (is_blk(y) && d.C % RK_BLOCK))
		return ir_errf(e, "radix_combine: a blocked layout needs a blocked operand and result with "
		               "whole blocks of channels per radix group");
	d.blk = is_blk(y);
	add_ptr(c, x);
	add_ptr(c, g);
	add_ptr(c, y);
	int64_t planes = d.N * d.C / (d.blk ? RK_BLOCK : 1);
	int64_t nt = task_count(planes, d.S * d.K * (d.blk ? RK_BLOCK : 1), ELEM_PER_TASK);
	d.planes_per_task = planes ? ceil_div(planes, nt) : 1;
	set_call(c, "rk_radix_combine", &d, sizeof d, planes ? ceil_div(planes, d.planes_per_task) : 1);
	return 0;
}

static int
lower_sigmoid_mul(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *m = op->operands[0], *t = op->operands[1], *y = op->results[0];
	if (need_dtype(op, m, M_F32, e) || need_dtype(op, t, M_F32, e))
		return -1;
	if (!ir_value_same_type(m, y) || !ir_value_same_type(t, y))
		return ir_errf(e, "sigmoid_mul: operands must have the result's type");
	rk_sigmoid_mul_desc d;
	memset(&d, 0, sizeof d);
	d.n = ir_value_numel(y);
	d.offset = rk_f32bits(ir_op_float(op, "offset", 1.0f));
	int64_t nt = task_count(d.n, 1, HEAVY_PER_TASK);
	d.chunk = d.n ? ceil_div(ceil_div(d.n, nt), 64) * 64 : 64;
	add_ptr(c, m);
	add_ptr(c, t);
	add_ptr(c, y);
	set_call(c, "rk_sigmoid_mul", &d, sizeof d, d.n ? ceil_div(d.n, d.chunk) : 1);
	return 0;
}

static int
lower_fc(ir_op *op, be_call *c, ir_err *e)
{
	ir_value *x = op->operands[0], *w = op->operands[1], *b = opnd(op, 2), *y = op->results[0];
	if (need_dtype(op, x, M_F32, e) || need_dtype(op, w, M_F32, e) || (b && need_dtype(op, b, M_F32, e)))
		return -1;
	if (is_blk(y) || is_blk(w))
		return ir_errf(e, "fc: only its input may be blocked");
	rk_fc_desc d;
	memset(&d, 0, sizeof d);
	d.N = x->dims[0];
	d.C = x->dims[1];
	d.S = numel(x->rank - 2, x->dims + 2);
	d.xblk = is_blk(x);
	d.M = w->dims[0];
	d.has_b = b != NULL;
	if (d.C > RK_FC_MAXC)
		return ir_errf(e, "fc: %lld input channels, at most %d", (long long)d.C, (int)RK_FC_MAXC);
	if (epilogue(op, &d.act, &d.act_lo, &d.act_hi, e))
		return -1;
	/* output blocks of at least 64 rows of w: each task redoes the means */
	d.nmb = clamp64(d.M / 64, 1, 8);
	d.mpt = ceil_div(d.M, d.nmb);
	add_ptr(c, x);
	add_ptr(c, w);
	add_ptr(c, b);
	add_ptr(c, y);
	set_call(c, "rk_fc", &d, sizeof d, d.N * d.nmb);
	return 0;
}

int
be_lower_op(ir_graph *g, ir_op *op, be_call *c, ir_err *e)
{
	memset(c, 0, sizeof *c);
	if (!op || (unsigned)op->kind >= IR_NOPKINDS)
		return ir_errf(e, "invalid op");
	if (need_plain(op, e))
		return -1;
	ir_value *x = op->noperands ? op->operands[0] : NULL;
	ir_value *y = op->nresults ? op->results[0] : NULL;
	switch (op->kind) {
	case IR_OP_CONV:
		return lower_conv(g, op, c, e);
	case IR_OP_SCALE_SHIFT:
		return lower_scale_shift(op, c, e);
	case IR_OP_SE_GATE:
		return lower_se_gate(op, c, e);
	case IR_OP_SIGMOID_MUL:
		return lower_sigmoid_mul(op, c, e);
	case IR_OP_FC:
		return lower_fc(op, c, e);
	case IR_OP_RADIX_COMBINE:
		return lower_radix_combine(op, c, e);
	case IR_OP_BATCHNORM:
		return lower_batchnorm(g, op, c, e);
	case IR_OP_RELU: case IR_OP_LEAKYRELU: case IR_OP_CLIP: case IR_OP_SIGMOID:
	case IR_OP_TANH: case IR_OP_EXP: case IR_OP_LOG: case IR_OP_SQRT: case IR_OP_ABS:
	case IR_OP_NEG:
		return lower_unary(op, c, e);
	case IR_OP_IDENTITY: case IR_OP_DROPOUT: case IR_OP_RESHAPE:
		if (x->dtype != y->dtype || ir_value_nbytes(x) != ir_value_nbytes(y))
			return ir_errf(e, "%s: operand and result sizes differ", ir_opinfos[op->kind].name);
		return lower_copy(op, x, y, c);
	case IR_OP_SOFTMAX:
		return lower_softmax(op, c, e);
	case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV:
	case IR_OP_SUM: case IR_OP_MAX: case IR_OP_MIN:
		return lower_eltwise(op, c, e);
	case IR_OP_MAXPOOL: case IR_OP_AVGPOOL:
		return lower_pool(op, c, e);
	case IR_OP_GLOBALAVGPOOL: case IR_OP_REDUCEMEAN: case IR_OP_REDUCESUM:
		return lower_reduce(op, c, e);
	case IR_OP_GEMM:
		return lower_gemm(g, op, c, e);
	case IR_OP_MATMUL:
		return lower_matmul(g, op, c, e);
	case IR_OP_TRANSPOSE: {
		const int64_t *perm;
		int64_t xs[IR_MAX_DIMS], st[IR_MAX_DIMS];
		if (get_ints(op, "perm", x->rank, &perm, e))
			return -1;
		dense_strides(x->rank, x->dims, xs);
		for (int i = 0; i < x->rank; i++) {
			if (perm[i] < 0 || perm[i] >= x->rank)
				return ir_errf(e, "transpose: perm out of range");
			st[i] = xs[perm[i]];
		}
		return lower_strided(x, y, 0, st, c);
	}
	case IR_OP_SLICE: {
		const int64_t *starts, *steps;
		int64_t xs[IR_MAX_DIMS], st[IR_MAX_DIMS], off = 0;
		if (get_ints(op, "starts", x->rank, &starts, e) || get_ints(op, "steps", x->rank, &steps, e))
			return -1;
		bool empty = ir_value_numel(y) == 0;
		for (int i = 0; i < x->rank && !empty; i++) {
			int64_t last = starts[i] + (y->dims[i] - 1) * steps[i];
			if (starts[i] < 0 || starts[i] >= x->dims[i] || last < 0 || last >= x->dims[i])
				return ir_errf(e, "slice: axis %d reads outside the input", i);
		}
		if (is_blk(x) || is_blk(y))
			return lower_slice_blk(op, starts, steps, c, e);
		dense_strides(x->rank, x->dims, xs);
		for (int i = 0; i < x->rank; i++) {
			if (!empty)
				off += starts[i] * xs[i];
			st[i] = steps[i] * xs[i];
		}
		return lower_strided(x, y, off, st, c);
	}
	case IR_OP_EXPAND: {
		int64_t st[IR_MAX_DIMS];
		if (x->dtype != y->dtype)
			return ir_errf(e, "expand: dtypes differ");
		bcast_strides(x, y->rank, y->dims, st);
		return lower_strided(x, y, 0, st, c);
	}
	case IR_OP_CONCAT:
		return lower_concat(op, c, false, e);
	case IR_OP_SPLIT:
		return lower_concat(op, c, true, e);
	case IR_OP_PAD:
		return lower_pad(op, c, e);
	case IR_OP_RESIZE:
		return lower_resize(g, op, c, e);
	case IR_OP_GATHER:
		return lower_gather(op, c, e);
	case IR_OP_CAST:
		return lower_cast(op, c);
	case IR_NOPKINDS:
		break;
	}
	return ir_errf(e, "no kernel for op kind %d", (int)op->kind);
}

be_kernel_fn
be_kernel_lookup(const char *name)
{
	static const struct {
		const char *name;
		be_kernel_fn fn;
	} table[] = {
#define X(k) {#k, k},
		RK_KERNELS(X)
#undef X
	};
	for (size_t i = 0; name && i < sizeof table / sizeof *table; i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].fn;
	return NULL;
}
