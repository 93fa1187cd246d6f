/*
 * alloc.c - workspace allocation and error strings.
 */
#define _POSIX_C_SOURCE 200809L
#include "resc_rt.h"

#include <stdlib.h>

void *
resc_rt_alloc(size_t n)
{
	void *p = NULL;
	if (n > SIZE_MAX - 63)
		return NULL;
	n = (n + 63) & ~(size_t)63;
	if (posix_memalign(&p, 64, n ? n : 64) != 0)
		return NULL;
	return p;
}

void
resc_rt_free(void *p)
{
	free(p);
}

const char *
resc_rt_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case RESC_RT_EINVAL:
		return "a NULL pointer argument";
	case RESC_RT_EALIGN:
		return "the workspace is not 64-byte aligned";
	case RESC_RT_ENOMEM:
		return "out of memory allocating the workspace";
	default:
		return "unknown error";
	}
}
