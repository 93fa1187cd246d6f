/*
 * be_lower.h - the contract between the LLVM code generator (backend/llvm.c)
 * and the kernels (backend/kernels/).
 *
 * Every IR op becomes one call of a kernel written in plain C:
 *
 *     void rk_NAME(const void *desc, void *const *ptrs, int64_t t0, int64_t t1);
 *
 * desc points to a kernel-specific descriptor struct made only of int64_t
 * fields (floats are stored as their bit pattern with rk_f32bits(), so the
 * code generator can emit any descriptor as an [n x i64] constant); ptrs are
 * the buffers of the values listed in be_call.ptrs (inputs first, then
 * results, in the order the kernel documents; NULL for an absent optional
 * operand); [t0, t1) is a sub-range of [0, ntasks) - the kernel must produce
 * exactly its share of the result for any split of the range, so that the
 * runtime's thread pool can hand out disjoint ranges to threads.
 *
 * The code generator emits the descriptor as a private constant, a small
 * wrapper that calls the kernel with it, and lets LLVM inline and
 * specialise the kernel for the constant shapes (the PyTorch Glow approach).
 * The same kernel sources are also compiled natively into the unit tests,
 * which check every kernel against the reference interpreter.
 */
#ifndef RESC_BE_LOWER_H
#define RESC_BE_LOWER_H

#include "ir.h"

enum { BE_MAX_PTRS = 16, BE_MAX_DESC = 512 /* int64_t words */ };

typedef struct be_call {
	const char *kernel;         /* e.g. "rk_conv2d": a symbol of the kernels */
	int64_t desc[BE_MAX_DESC];  /* the descriptor, as int64 words */
	int ndesc;                  /* words used */
	ir_value *ptrs[BE_MAX_PTRS];/* buffers passed in ptrs[], in kernel order */
	int nptrs;
	int64_t ntasks;             /* >= 1 */
} be_call;

/*
 * Lowers one op to a kernel call.  May add constants to g (weights packed
 * into the layout the kernel wants, at compile time); those appear in ptrs.
 * Returns -1 with a message for an op/dtype combination no kernel handles.
 */
int be_lower_op(ir_graph *g, ir_op *op, be_call *call, ir_err *e);

/* Native entry points of the kernels, for tests: NULL if unknown. */
typedef void (*be_kernel_fn)(const void *desc, void *const *ptrs, int64_t t0, int64_t t1);
be_kernel_fn be_kernel_lookup(const char *name);

#endif
