/*
 * weights.c - moving a compiled model's weights to anonymous memory
 * (resc_rt_adopt_weights, see resc_rt.h).
 */
#define _GNU_SOURCE
#include "resc_rt.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

enum { PIECE = 2 << 20 }; /* bytes moved at a time: the peak extra memory */

static pthread_mutex_t adopt_lock = PTHREAD_MUTEX_INITIALIZER;

#ifdef __linux__
/* Moves the whole pages of [a, a + n) (page-aligned) piece by piece. */
static void
adopt_pages(uintptr_t a, size_t n)
{
	for (size_t off = 0; off < n; off += PIECE) {
		size_t len = n - off < PIECE ? n - off : PIECE;
		void *src = (void *)(a + off);
		void *q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED)
			return;
		memcpy(q, src, len);
		if (mprotect(q, len, PROT_READ) != 0 ||
		    mremap(q, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, src) == MAP_FAILED) {
			munmap(q, len);
			return;
		}
	}
}
#endif

void
resc_rt_adopt_weights(const void *const *p, const int64_t *size, int64_t n, int32_t *done)
{
	if (__atomic_load_n(done, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&adopt_lock);
	if (!__atomic_load_n(done, __ATOMIC_RELAXED)) {
#ifdef __linux__
		const char *env = getenv("RESC_ADOPT_WEIGHTS");
		long pg = sysconf(_SC_PAGESIZE);
		if (!(env && strcmp(env, "0") == 0) && pg > 0) {
			uintptr_t mask = (uintptr_t)pg - 1;
			for (int64_t i = 0; i < n; i++) {
				if (!p[i] || size[i] <= 0)
					continue;
				uintptr_t a = ((uintptr_t)p[i] + mask) & ~mask;
				uintptr_t b = ((uintptr_t)p[i] + (uintptr_t)size[i]) & ~mask;
				if (b > a)
					adopt_pages(a, b - a);
			}
		}
#else
		(void)p;
		(void)size;
		(void)n;
#endif
		__atomic_store_n(done, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&adopt_lock);
}
