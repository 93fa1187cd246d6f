/*
 * consts.c - the constant store: constant data kept beside a text IR file,
 * keyed by content hash, so that printed IR can elide big constants and
 * still be complete (docs/ir.md, "Elided constants and the constant store").
 *
 * Format, little-endian:
 *     "RESCCST1"                      8 bytes of magic
 *     u64 count
 *     count times: u64 hash, u64 nbytes, nbytes bytes of data
 * The data bytes are the constant's in-memory bytes (host order; resc only
 * targets little-endian hosts).  Each hash appears once.
 *
 * A store is untrusted input: the reader checks every size against the file
 * size before trusting it, and checks that the bytes it hands out hash to the
 * hash that asked for them, so a truncated, corrupt or mismatched store gives
 * a one-line error and never a crash or wrong data.
 */
#include "ir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char magic[8] = "RESCCST1";

/* ---- little-endian helpers ---------------------------------------------- */

static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- writing ------------------------------------------------------------ */

static int
cmp_hash(const void *a, const void *b)
{
	const ir_value *x = *(ir_value *const *)a, *y = *(ir_value *const *)b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	/* equal hashes: keep graph order (ids grow in creation order) */
	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Writes every constant of g that has data, once per hash, in hash order
 * (so the file does not depend on the order of the constants in the graph).
 * The file appears atomically: the data goes to PATH.tmp, renamed at the end.
 */
int
ir_consts_write(const char *path, ir_graph *g, ir_err *e)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	ir_value **vs = malloc((size_t)(g->nconsts ? g->nconsts : 1) * sizeof *vs);
	FILE *f = NULL;
	int n = 0, count = 0, rc = -1;
	unsigned char hdr[16];

	if (!tmp || !vs) {
		ir_errf(e, "%s: out of memory", path);
		goto out;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);

	for (int i = 0; i < g->nconsts; i++)
		if (g->consts[i]->data)
			vs[n++] = g->consts[i];
	qsort(vs, (size_t)n, sizeof *vs, cmp_hash);
	for (int i = 0; i < n; i++)
		if (i == 0 || vs[i]->hash != vs[i - 1]->hash)
			count++;

	f = fopen(tmp, "wb");
	if (!f) {
		ir_errf(e, "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	memcpy(hdr, magic, 8);
	put_u64(hdr + 8, (uint64_t)count);
	if (fwrite(hdr, 1, 16, f) != 16)
		goto write_error;
	for (int i = 0; i < n; i++) {
		if (i > 0 && vs[i]->hash == vs[i - 1]->hash)
			continue;
		size_t nb = ir_value_nbytes(vs[i]);
		put_u64(hdr, vs[i]->hash);
		put_u64(hdr + 8, (uint64_t)nb);
		if (fwrite(hdr, 1, 16, f) != 16 || fwrite(vs[i]->data, 1, nb, f) != nb)
			goto write_error;
	}
	if (fflush(f) != 0 || ferror(f))
		goto write_error;
	if (fclose(f) != 0) {
		f = NULL;
		goto write_error;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		ir_errf(e, "%s: cannot rename %s: %s", path, tmp, strerror(errno));
		remove(tmp);
		goto out;
	}
	rc = 0;
	goto out;

write_error:
	ir_errf(e, "%s: write failed: %s", tmp, strerror(errno));
	if (f)
		fclose(f);
	f = NULL;
	remove(tmp);
out:
	free(tmp);
	free(vs);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct entry {
	uint64_t hash;
	uint64_t off;    /* file offset of the data */
	uint64_t nbytes;
} entry;

static int
cmp_entry(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	return (x->hash > y->hash) - (x->hash < y->hash);
}

static const entry *
find(const entry *ix, uint64_t n, uint64_t hash)
{
	uint64_t lo = 0, hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ix[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ix[lo].hash == hash ? &ix[lo] : NULL;
}

/*
 * Reads the store's header and entry headers into a malloc'd index sorted by
 * hash, checking every size against the file size.  Returns NULL with a
 * message in e on error; *n receives the count.
 */
static entry *
read_index(FILE *f, const char *path, uint64_t *n, ir_err *e)
{
	unsigned char hdr[16];
	entry *ix = NULL;
	long end;

	if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		ir_errf(e, "%s: cannot determine the size: %s", path, strerror(errno));
		return NULL;
	}
	uint64_t size = (uint64_t)end;
	if (size < 16 || fread(hdr, 1, 16, f) != 16) {
		ir_errf(e, "%s: truncated constant store (%llu bytes)", path,
		        (unsigned long long)size);
		return NULL;
	}
	if (memcmp(hdr, magic, 8) != 0) {
		ir_errf(e, "%s: not a constant store (bad magic)", path);
		return NULL;
	}
	uint64_t count = get_u64(hdr + 8);
	if (count > (size - 16) / 16) {
		ir_errf(e, "%s: corrupt constant store: %llu entries cannot fit in %llu bytes",
		        path, (unsigned long long)count, (unsigned long long)size);
		return NULL;
	}
	ix = malloc((size_t)(count ? count : 1) * sizeof *ix);
	if (!ix) {
		ir_errf(e, "%s: out of memory", path);
		return NULL;
	}
	uint64_t off = 16;
	for (uint64_t i = 0; i < count; i++) {
		if (size - off < 16 || fseek(f, (long)off, SEEK_SET) != 0 ||
		    fread(hdr, 1, 16, f) != 16) {
			ir_errf(e, "%s: truncated constant store (entry %llu at offset %llu)",
			        path, (unsigned long long)i, (unsigned long long)off);
			free(ix);
			return NULL;
		}
		off += 16;
		ix[i].hash = get_u64(hdr);
		ix[i].nbytes = get_u64(hdr + 8);
		ix[i].off = off;
		if (ix[i].nbytes > size - off) {
			ir_errf(e, "%s: truncated constant store (entry %llu needs %llu bytes at offset %llu, file has %llu)",
			        path, (unsigned long long)i, (unsigned long long)ix[i].nbytes,
			        (unsigned long long)off, (unsigned long long)size);
			free(ix);
			return NULL;
		}
		off += ix[i].nbytes;
	}
	if (off != size) {
		ir_errf(e, "%s: corrupt constant store: %llu trailing bytes", path,
		        (unsigned long long)(size - off));
		free(ix);
		return NULL;
	}
	qsort(ix, (size_t)count, sizeof *ix, cmp_entry);
	*n = count;
	return ix;
}

/* What ir_consts_load must release, also when an allocation longjmps out. */
typedef struct loadctx {
	FILE *f;
	entry *ix;
} loadctx;

static int
load(ir_graph *g, const char *path, loadctx *c, ir_err *e)
{
	uint64_t n = 0;

	c->f = fopen(path, "rb");
	if (!c->f)
		return ir_errf(e, "%s: cannot open: %s", path, strerror(errno));
	c->ix = read_index(c->f, path, &n, e);
	if (!c->ix)
		return -1;
	for (int i = 0; i < g->nconsts; i++) {
		ir_value *v = g->consts[i];
		if (v->data)
			continue;
		const entry *en = find(c->ix, n, v->hash);
		size_t nb = ir_value_nbytes(v);
		if (!en || en->nbytes != nb)
			continue;
		void *data = ir_alloc(g, nb);
		if (fseek(c->f, (long)en->off, SEEK_SET) != 0 || fread(data, 1, nb, c->f) != nb)
			return ir_errf(e, "%s: read error at offset %llu", path,
			               (unsigned long long)en->off);
		if (ir_hash_bytes(data, nb) != v->hash)
			return ir_errf(e, "%s: corrupt constant store: the data stored for 0x%016llx does not have that hash",
			               path, (unsigned long long)v->hash);
		v->data = data;
	}
	return 0;
}

/*
 * Fills the data of every constant of g that has none from the store, when
 * the store has its hash with the right size.  Constants it does not hold
 * stay elided (data == NULL); that is not an error.
 */
int
ir_consts_load(ir_graph *g, const char *path, ir_err *e)
{
	loadctx c = {0};
	jmp_buf *saved = g->oom;
	jmp_buf jb;

	/* arena allocation in load() may longjmp: release, then pass it on */
	if (setjmp(jb) != 0) {
		if (c.f)
			fclose(c.f);
		free(c.ix);
		g->oom = saved;
		if (saved)
			longjmp(*saved, 1);
		return ir_errf(e, "%s: out of memory", path);
	}
	g->oom = &jb;
	int rc = load(g, path, &c, e);
	if (c.f)
		fclose(c.f);
	free(c.ix);
	g->oom = saved;
	return rc;
}
