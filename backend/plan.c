/*
 * plan.c - static memory plan: every intermediate tensor gets a fixed byte
 * offset in one workspace, so a run does no allocation at all.
 *
 * Liveness is an interval [def, last use] over the op list.  Offsets are
 * assigned greedily, biggest tensors first, each at the lowest 64-byte
 * aligned offset that does not overlap a tensor already placed whose
 * interval intersects its own (the "greedy by size" planner TFLite and ggml
 * use; near-optimal on chain-like networks).  The lower bound reported is
 * the largest total size of tensors live at one point, which no planner can
 * beat.
 */
#include "backend.h"

#include <stdlib.h>

typedef struct item {
	ir_value *v;
	int64_t size, first, last, off;
} item;

static int
by_size(const void *a, const void *b)
{
	const item *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int
by_off(const void *a, const void *b)
{
	const item *x = *(item *const *)a, *y = *(item *const *)b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static bool
is_output(const ir_graph *g, const ir_value *v)
{
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == v)
			return true;
	return false;
}

int64_t
be_plan_memory(ir_graph *g, int64_t *lower_bound)
{
	int n = 0, idx = 0;
	for (ir_op *op = g->first; op; op = op->next)
		n += op->nresults;
	for (int i = 0; i < g->ninputs; i++)
		g->inputs[i]->mem_offset = -1;
	for (int i = 0; i < g->nconsts; i++)
		g->consts[i]->mem_offset = -1;

	item *it = calloc((size_t)n + 1, sizeof *it);
	item **placed = calloc((size_t)n + 1, sizeof *placed);
	if (!it || !placed)
		ir_die("out of memory in the memory planner");

	/* intervals: def index, then extend to the last reader */
	int k = 0;
	for (ir_op *op = g->first; op; op = op->next, idx++) {
		for (int i = 0; i < op->nresults; i++) {
			ir_value *v = op->results[i];
			v->mem_offset = -1;
			v->aux = -1;
			if (is_output(g, v))
				continue;
			v->aux = k;
			it[k].v = v;
			it[k].size = ((int64_t)ir_value_nbytes(v) + 63) & ~(int64_t)63;
			it[k].first = it[k].last = idx;
			k++;
		}
		for (int i = 0; i < op->noperands; i++) {
			ir_value *v = op->operands[i];
			if (v && v->def && v->aux >= 0 && v->aux < k && it[v->aux].v == v)
				it[v->aux].last = idx;
		}
	}
	n = k;

	/* lower bound: the largest sum of sizes live at one op */
	int64_t bound = 0;
	{
		int64_t *delta = calloc((size_t)idx + 2, sizeof *delta);
		if (!delta)
			ir_die("out of memory in the memory planner");
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
		free(delta);
	}

	qsort(it, (size_t)n, sizeof *it, by_size);
	int64_t total = 0;
	for (int i = 0; i < n; i++) {
		int np = 0;
		for (int j = 0; j < i; j++)
			if (it[j].first <= it[i].last && it[i].first <= it[j].last)
				placed[np++] = &it[j];
		qsort(placed, (size_t)np, sizeof *placed, by_off);
		int64_t off = 0;
		for (int j = 0; j < np; j++) {
			if (placed[j]->off >= off + it[i].size)
				break;
			if (placed[j]->off + placed[j]->size > off)
				off = placed[j]->off + placed[j]->size;
		}
		it[i].off = off;
		it[i].v->mem_offset = off;
		if (off + it[i].size > total)
			total = off + it[i].size;
	}
	free(it);
	free(placed);
	if (lower_bound)
		*lower_bound = bound;
	return total;
}
