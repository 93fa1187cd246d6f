/*
 * plan_memory.c - the plan-memory pass: every intermediate tensor gets a
 * fixed byte offset in one workspace, so a run does no allocation at all.
 * It changes no op; it sets every op result's mem_offset and the graph's
 * workspace size, which the IR text shows (`graph @g workspace N`, `ws OFF`
 * after a result's type) and the verifier checks, and which the backend
 * uses as they are.  It runs last: any other pass drops the plan first
 * (pass_run_pipeline), and the backend plans a graph that has none.
 *
 * Liveness is an interval [def, last use] over the op list.  Offsets are
 * assigned greedily: tensors in some order, each at a 64-byte aligned
 * offset that does not overlap a tensor already placed whose interval
 * intersects its own.  No one order is best for every network ("greedy by
 * size", TFLite's and ggml's, leaves resnext101 14 % over its lower bound),
 * so the planner tries a few orders (by size, by size x lifetime, by
 * definition, by lifetime, by last use) with first fit (the lowest free
 * offset) and best fit (the smallest gap that holds it), and keeps the
 * smallest workspace; ties go to
 * the earlier strategy, so the plan is deterministic.  Graphs of more than
 * MULTI_MAX tensors (the placement is quadratic) get greedy by size only.
 * The lower bound reported is the largest total size of tensors live at one
 * point, which no planner can beat.
 *
 * In place: a conv's result takes its residual's buffer, a scale_shift's
 * or an elementwise op's its input's (ir_inplace_operand says which), when
 * the op is that operand's last reader
 * (ir_inplace_operand: the kernel reads each element of the operand only
 * before writing the same element of the result).  Legal because of that
 * promise of the kernels, which test_kernels checks op by op.
 * The two values then are one tensor from the operand's definition to the
 * result's last use, for the placement and for the lower bound alike: a
 * residual network's block keeps one buffer for its running sum instead of
 * two.  Not when the operand is a graph input or output, or of another
 * size (nor, by ir_inplace_operand, also another operand of the op).
 */
#include "passes.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MULTI_MAX = 4096 };

typedef struct item {
	ir_value *v;
	int64_t size, first, last, off;
	int64_t key; /* what the current order sorts by, largest first */
	int id;      /* definition order: the last tie-break, so every sort is total */
} item;

/* The orders tried; each gives every item its key. */
enum { BY_SIZE, BY_AREA, BY_DEF, BY_LIFE, BY_END, NORDERS };

static void
set_keys(item *it, int n, int order)
{
	for (int i = 0; i < n; i++) {
		int64_t life = it[i].last - it[i].first;
		switch (order) {
		case BY_SIZE: it[i].key = it[i].size; break;
		case BY_AREA: it[i].key = it[i].size * (life + 1); break;
		case BY_DEF:  it[i].key = -it[i].first; break; /* earliest first */
		case BY_LIFE: it[i].key = life; break;
		default:      it[i].key = it[i].last; break;
		}
	}
}

/* key, then size (largest first), then definition */
static int
by_key(const void *a, const void *b)
{
	const item *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
by_off(const void *a, const void *b)
{
	const item *x = *(item *const *)a, *y = *(item *const *)b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Places the items in the given order; returns the workspace size. */
static int64_t
place(item *it, item **placed, int n, int order, bool best_fit)
{
	set_keys(it, n, order);
	qsort(it, (size_t)n, sizeof *it, by_key);
	int64_t total = 0;
	for (int i = 0; i < n; i++) {
		int np = 0;
		for (int j = 0; j < i; j++)
			if (it[j].first <= it[i].last && it[i].first <= it[j].last)
				placed[np++] = &it[j];
		qsort(placed, (size_t)np, sizeof *placed, by_off);
		/* walk the gaps between the live tensors placed so far, by offset */
		int64_t off = 0, pick = -1, pick_gap = 0;
		for (int j = 0; j <= np; j++) {
			int64_t end = j < np ? placed[j]->off : INT64_MAX;
			if (end - off >= it[i].size) {
				if (!best_fit || j == np) {
					if (pick < 0)
						pick = off;
					break;
				}
				if (pick < 0 || end - off < pick_gap) {
					pick = off;
					pick_gap = end - off;
				}
			}
			if (j < np && placed[j]->off + placed[j]->size > off)
				off = placed[j]->off + placed[j]->size;
		}
		it[i].off = pick;
		if (pick + it[i].size > total)
			total = pick + it[i].size;
	}
	return total;
}

/* Out of memory: the graph's longjmp when it has one (the pass manager's
 * callers, as for every pass), else a fatal error. */
static _Noreturn void
oom(ir_graph *g)
{
	if (g->oom)
		longjmp(*g->oom, 1);
	ir_die("out of memory in the memory planner");
}

int64_t
plan_memory(ir_graph *g, int64_t *lower_bound)
{
	int n = 0, idx = 0, nops = 0;
	for (ir_op *op = g->first; op; op = op->next, nops++)
		n += op->nresults;
	ir_plan_clear(g);

	/* all scratch at once, so that a failure frees everything before the
	 * longjmp; ir_fault_alloc: counted for the fault-injection tests */
	item *it = calloc((size_t)n + 1, sizeof *it);
	item **placed = calloc((size_t)n + 1, sizeof *placed);
	int *grp = malloc(((size_t)n + 1) * sizeof *grp);
	item *own = malloc(((size_t)n + 1) * sizeof *own);
	int64_t *delta = calloc((size_t)nops + 2, sizeof *delta);
	if (!it || !placed || !grp || !own || !delta || ir_fault_alloc()) {
		free(it);
		free(placed);
		free(grp);
		free(own);
		free(delta);
		oom(g);
	}

	/* intervals: def index, then extend to the last reader */
	int k = 0;
	for (ir_op *op = g->first; op; op = op->next, idx++) {
		for (int i = 0; i < op->nresults; i++) {
			ir_value *v = op->results[i];
			v->aux = -1;
			if (ir_is_output(g, v))
				continue;
			v->aux = k;
			it[k].v = v;
			it[k].size = ((int64_t)ir_value_nbytes(v) + 63) & ~(int64_t)63;
			it[k].first = it[k].last = idx;
			it[k].id = k;
			k++;
		}
		for (int i = 0; i < op->noperands; i++) {
			ir_value *v = op->operands[i];
			if (v && v->def && v->aux >= 0 && v->aux < k && it[v->aux].v == v)
				it[v->aux].last = idx;
		}
	}
	n = k;

	/* in place: result 0 joins the group of the operand it may overwrite;
	 * grp[i] is the item whose buffer item i uses (a root: grp[i] == i).
	 * own keeps every value's item (it is compacted to the roots below),
	 * so that members find their value and their root's */
	const int nown = n;
	for (int i = 0; i < n; i++)
		own[i] = it[i];
	for (int i = 0; i < n; i++)
		grp[i] = i;
	idx = 0;
	for (ir_op *op = g->first; op; op = op->next, idx++) {
		int kk = ir_inplace_operand(op);
		if (kk < 0)
			continue;
		ir_value *r = op->operands[kk], *y = op->results[0];
		if (!r->def || r->aux < 0 || r->aux >= n || it[r->aux].v != r || y->aux < 0 ||
		    it[y->aux].v != y || it[r->aux].size != it[y->aux].size)
			continue;
		int root = grp[r->aux]; /* roots are their own group: one step */
		if (it[root].last != idx)
			continue;
		grp[y->aux] = root;
		if (it[y->aux].last > it[root].last)
			it[root].last = it[y->aux].last;
	}
	/* the roots are what gets placed: compact them to the front (a
	 * member's offset comes from its root's, through own and grp) */
	int nr = 0;
	for (int i = 0; i < n; i++)
		if (grp[i] == i) {
			it[nr] = it[i];
			it[nr].id = nr;
			nr++;
		}
	n = nr;

	/* lower bound: the largest sum of sizes live at one op */
	int64_t bound = 0;
	{
		for (int i = 0; i < n; i++) {
			delta[it[i].first] += it[i].size;
			delta[it[i].last + 1] -= it[i].size;
		}
		int64_t live = 0;
		for (int i = 0; i <= idx; i++) {
			live += delta[i];
			if (live > bound)
				bound = live;
		}
	}

	int nstrat = n <= MULTI_MAX ? 2 * NORDERS : 1;
	int64_t total = -1;
	int best = 0;
	for (int s = 0; s < nstrat; s++) {
		int64_t t = place(it, placed, n, s / 2, s % 2);
		if (total < 0 || t < total) {
			total = t;
			best = s;
		}
	}
	if (best != nstrat - 1)
		place(it, placed, n, best / 2, best % 2);
	for (int i = 0; i < n; i++)
		it[i].v->mem_offset = it[i].off;
	for (int i = 0; i < nown; i++)
		if (grp[i] != i)
			own[i].v->mem_offset = own[grp[i]].v->mem_offset;
	g->workspace = total;
	free(grp);
	free(own);
	free(it);
	free(placed);
	free(delta);
	/* the invariant, on every value's own interval and final offset (the
	 * verifier's check_plan): values live at the same time never share a
	 * byte, unless one runs in place over the other */
	ir_err e = {{0}};
	if (ir_graph_verify(g, &e) != 0) {
		if (strcmp(e.msg, "out of memory") == 0) {
			ir_plan_clear(g);
			oom(g);
		}
		ir_die("memory plan: %s", e.msg);
	}
	if (lower_bound)
		*lower_bound = bound;
	return total;
}

int
pass_plan_memory(ir_graph *g, const pass_options *o, ir_err *e)
{
	(void)o;
	(void)e;
	plan_memory(g, NULL);
	return 0;
}
