/*
 * tensor.c - ONNX TensorProto decoding and the fe_tensor_* file functions.
 *
 * A TensorProto carries its elements in exactly one place: raw_data
 * (little-endian bytes), a typed repeated field (float_data, int32_data for
 * the small integer types and bool, int64_data, double_data), or an
 * external file (data_location = EXTERNAL).  Everything is checked before
 * anything is allocated: dims are non-negative and their product fits, the
 * byte size is under the caller's limit, and the stored count equals the
 * count the dims promise, exactly.
 *
 * External data is read only from a regular file inside the model's folder:
 * the location must be relative without "..", and its realpath (symlinks
 * resolved) must still lie inside the folder (CVE-2022-25882).
 */
#include "fe_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- dtypes --------------------------------------------------------------- */

int
fe_onnx_dtype(int64_t dt, const char **name)
{
	static const char *const names[] = {
		"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
		"string", "bool", "float16", "double", "uint32", "uint64", "complex64",
		"complex128", "bfloat16",
	};
	static const int map[] = {
		-1, IR_F32, IR_U8, IR_I8, -1, -1, IR_I32, IR_I64, -1, IR_BOOL, -1, IR_F64,
		-1, -1, -1, -1, -1,
	};
	if (dt < 0 || dt >= (int64_t)(sizeof map / sizeof *map)) {
		if (name)
			*name = "of unknown type";
		return -1;
	}
	if (name)
		*name = names[dt];
	return map[dt];
}

int
fe_ir_to_onnx_dtype(ir_dtype t)
{
	switch (t) {
	case IR_F32: return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	case IR_F64: return ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	case IR_I8: return ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
	case IR_U8: return ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
	case IR_I32: return ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
	case IR_I64: return ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
	case IR_BOOL: return ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
	default: return -1;
	}
}

/* ---- protobuf structure check ---------------------------------------------- */

static bool
varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return false;
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

/* 1: malformed, 2: too deep, 0: fine. */
static int
pb_walk(const uint8_t *p, const uint8_t *end, const ProtobufCMessageDescriptor *d, int depth)
{
	if (depth > FE_PB_MAX_DEPTH)
		return 2;
	while (p < end) {
		uint64_t key, len;
		if (!varint(&p, end, &key))
			return 1;
		uint32_t tag = (uint32_t)(key >> 3);
		if ((key >> 3) > 0x1fffffff || tag == 0)
			return 1;
		switch (key & 7) {
		case 0:
			if (!varint(&p, end, &len))
				return 1;
			break;
		case 1:
			if (end - p < 8)
				return 1;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return 1;
			p += 4;
			break;
		case 2: {
			if (!varint(&p, end, &len) || len > (uint64_t)(end - p))
				return 1;
			const ProtobufCFieldDescriptor *f =
				d ? protobuf_c_message_descriptor_get_field(d, tag) : NULL;
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				int r = pb_walk(p, p + len, f->descriptor, depth + 1);
				if (r)
					return r;
			}
			p += len;
			break;
		}
		default: /* groups (protobuf-c does not parse them) and junk */
			return 1;
		}
	}
	return 0;
}

int
fe_pb_check(const uint8_t *p, size_t n, const ProtobufCMessageDescriptor *d, ir_err *e)
{
	int r = pb_walk(p, p + n, d, 0);
	if (r == 1)
		return ir_errf(e, "protobuf parse failed");
	if (r == 2)
		return ir_errf(e, "protobuf messages nested more than %d deep", FE_PB_MAX_DEPTH);
	return 0;
}

/* ---- files --------------------------------------------------------------- */

int
fe_read_file(const char *path, int64_t max, unsigned char **buf, size_t *n, ir_err *e)
{
	struct stat st;
	*buf = NULL;
	*n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return ir_errf(e, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return ir_errf(e, "cannot stat: %s", strerror(err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ir_errf(e, "not a regular file");
	}
	if (st.st_size > max) {
		close(fd);
		return ir_errf(e, "file is %lld bytes, over the limit of %lld", (ll)st.st_size, (ll)max);
	}
	size_t size = (size_t)st.st_size;
	unsigned char *b = fe_malloc(size ? size : 1);
	if (!b) {
		close(fd);
		return ir_errf(e, "out of memory reading %lld bytes", (ll)size);
	}
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, b + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int err = r < 0 ? errno : 0;
			free(b);
			close(fd);
			return ir_errf(e, "read failed: %s", err ? strerror(err) : "file shrank");
		}
		got += (size_t)r;
	}
	close(fd);
	*buf = b;
	*n = size;
	return 0;
}

/* ---- external data ----------------------------------------------------------- */

static bool
parse_u63(const char *s, int64_t *v)
{
	int64_t r = 0;
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (r > (INT64_MAX - (*s - '0')) / 10)
			return false;
		r = r * 10 + (*s - '0');
	}
	*v = r;
	return true;
}

/* Whether a relative location has a ".." component. */
static bool
has_dotdot(const char *s)
{
	const char *p = s;
	while (*p) {
		const char *q = strchr(p, '/');
		size_t len = q ? (size_t)(q - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (!q)
			break;
		p = q + 1;
	}
	return false;
}

/* Shortens and escapes an untrusted string for a message. */
static void
quote(char *out, size_t n, const char *s)
{
	size_t k = 0;
	if (!s)
		s = "";
	for (; *s && k + 5 < n; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '\\')
			k += (size_t)snprintf(out + k, n - k, "\\x%02x", ch);
		else
			out[k++] = (char)ch;
	}
	if (*s && k + 4 <= n) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k < n ? k : n - 1] = 0;
}

static int
read_external(const Onnx__TensorProto *t, const char *what, const char *dir, size_t nbytes,
              void *dst, ir_err *e)
{
	const char *loc = NULL, *soff = NULL, *slen = NULL;
	char q[200];
	for (size_t i = 0; i < t->n_external_data; i++) {
		const Onnx__StringStringEntryProto *kv = t->external_data[i];
		if (!kv || !kv->key)
			continue;
		if (strcmp(kv->key, "location") == 0)
			loc = kv->value;
		else if (strcmp(kv->key, "offset") == 0)
			soff = kv->value;
		else if (strcmp(kv->key, "length") == 0)
			slen = kv->value;
	}
	if (!loc || !*loc)
		return ir_errf(e, "%s has external data without a location", what);
	quote(q, sizeof q, loc);
	if (!dir)
		return ir_errf(e, "%s has external data '%s', which is not allowed here", what, q);
	if (loc[0] == '/')
		return ir_errf(e, "%s has external data at an absolute path '%s'", what, q);
	if (has_dotdot(loc))
		return ir_errf(e, "%s has external data '%s' outside the model folder", what, q);
	int64_t off = 0, len = (int64_t)nbytes;
	if (soff && !parse_u63(soff, &off))
		return ir_errf(e, "%s has an invalid external data offset", what);
	if (slen && !parse_u63(slen, &len))
		return ir_errf(e, "%s has an invalid external data length", what);
	if ((uint64_t)len != nbytes)
		return ir_errf(e, "%s has %lld bytes of external data, expected %lld",
		               what, (ll)len, (ll)nbytes);

	size_t dl = strlen(dir), ll_ = strlen(loc);
	char *full = fe_malloc(dl + ll_ + 2);
	if (!full)
		return ir_errf(e, "out of memory");
	memcpy(full, dir, dl);
	full[dl] = '/';
	memcpy(full + dl + 1, loc, ll_ + 1);
	char *real = realpath(full, NULL);
	free(full);
	if (!real)
		return ir_errf(e, "%s: external data file '%s' not found", what, q);
	/* inside dir: real starts with dir and then '/' (dir "/" is the root) */
	bool inside = strncmp(real, dir, dl) == 0 &&
	              (real[dl] == '/' || (dl == 1 && dir[0] == '/'));
	if (!inside) {
		free(real);
		return ir_errf(e, "%s has external data '%s' that resolves outside the model folder", what, q);
	}
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	free(real);
	if (fd < 0)
		return ir_errf(e, "%s: cannot open external data file '%s': %s", what, q, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ir_errf(e, "%s: external data '%s' is not a regular file", what, q);
	}
	if (off > st.st_size || (int64_t)nbytes > st.st_size - off) {
		close(fd);
		return ir_errf(e, "%s: external data '%s' range %lld+%lld is past the end of the file (%lld bytes)",
		               what, q, (ll)off, (ll)nbytes, (ll)st.st_size);
	}
	size_t got = 0;
	while (got < nbytes) {
		ssize_t r = pread(fd, (char *)dst + got, nbytes - got, (off_t)(off + (int64_t)got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return ir_errf(e, "%s: reading external data '%s' failed", what, q);
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

/* ---- decoding ----------------------------------------------------------------- */

int
fe_decode_tensor(const Onnx__TensorProto *t, const char *what, const char *dir,
                 int64_t max_bytes, fe_alloc_fn alloc, void *actx, fe_dense *out, ir_err *e)
{
	const char *tn;
	memset(out, 0, sizeof *out);
	if (!t->has_data_type)
		return ir_errf(e, "%s has no data type", what);
	int dt = fe_onnx_dtype(t->data_type, &tn);
	if (dt < 0)
		return ir_errf(e, "%s has unsupported dtype %s", what, tn);
	if (t->n_dims > IR_MAX_DIMS)
		return ir_errf(e, "%s has rank %zu (at most %d)", what, t->n_dims, IR_MAX_DIMS);
	if (t->segment)
		return ir_errf(e, "%s is segmented, which is not supported", what);
	out->t = (ir_dtype)dt;
	out->rank = (int)t->n_dims;
	int64_t numel = 1, esize = (int64_t)ir_dtype_size(out->t), bytes;
	for (size_t i = 0; i < t->n_dims; i++) {
		if (t->dims[i] < 0)
			return ir_errf(e, "%s has a negative dimension %lld", what, (ll)t->dims[i]);
		if (ir_mul_overflows(numel, t->dims[i], &numel))
			return ir_errf(e, "%s has too many elements", what);
		out->dims[i] = t->dims[i];
	}
	if (ir_mul_overflows(numel, esize, &bytes) || (uint64_t)bytes > SIZE_MAX)
		return ir_errf(e, "%s has too many elements", what);
	if (bytes > max_bytes)
		return ir_errf(e, "%s is %lld bytes, over the limit of %lld", what, (ll)bytes, (ll)max_bytes);

	bool external = t->has_data_location &&
	                t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	/* where the data is: exactly one place may hold any */
	int nfields = (t->has_raw_data && t->raw_data.len > 0) + (t->n_float_data > 0) +
	              (t->n_int32_data > 0) + (t->n_int64_data > 0) + (t->n_double_data > 0) +
	              (t->n_uint64_data > 0) + (t->n_string_data > 0) + external;
	if (nfields > 1)
		return ir_errf(e, "%s stores its data in more than one field", what);

	void *dst = alloc(actx, bytes ? (size_t)bytes : 1);
	if (!dst)
		return ir_errf(e, "out of memory for %s (%lld bytes)", what, (ll)bytes);
	out->data = dst;
	out->nbytes = (size_t)bytes;

	if (external)
		return read_external(t, what, dir, (size_t)bytes, dst, e);
	if (nfields == 0) {
		if (numel == 0)
			return 0;
		return ir_errf(e, "%s has no data for its %lld elements", what, (ll)numel);
	}
	if (t->has_raw_data && t->raw_data.len > 0) {
		if ((int64_t)t->raw_data.len != bytes)
			return ir_errf(e, "%s has %zu bytes of data, expected %lld for %lld elements",
			               what, t->raw_data.len, (ll)bytes, (ll)numel);
		memcpy(dst, t->raw_data.data, (size_t)bytes);
		if (out->t == IR_BOOL)
			for (int64_t i = 0; i < numel; i++)
				((uint8_t *)dst)[i] = ((uint8_t *)dst)[i] != 0;
		return 0;
	}

	/* typed fields: the field must match the dtype and hold numel values */
	size_t have;
	const char *field;
	switch (out->t) {
	case IR_F32: have = t->n_float_data; field = "float_data"; break;
	case IR_F64: have = t->n_double_data; field = "double_data"; break;
	case IR_I64: have = t->n_int64_data; field = "int64_data"; break;
	default: have = t->n_int32_data; field = "int32_data"; break;
	}
	if (have == 0)
		return ir_errf(e, "%s (%s) stores its data in the wrong field (expected %s)", what, tn, field);
	if ((int64_t)have != numel)
		return ir_errf(e, "%s has %zu values in %s, expected %lld", what, have, field, (ll)numel);
	switch (out->t) {
	case IR_F32: memcpy(dst, t->float_data, (size_t)bytes); break;
	case IR_F64: memcpy(dst, t->double_data, (size_t)bytes); break;
	case IR_I64: memcpy(dst, t->int64_data, (size_t)bytes); break;
	case IR_I32: memcpy(dst, t->int32_data, (size_t)bytes); break;
	case IR_I8:
		for (int64_t i = 0; i < numel; i++)
			((int8_t *)dst)[i] = (int8_t)t->int32_data[i];
		break;
	case IR_U8:
		for (int64_t i = 0; i < numel; i++)
			((uint8_t *)dst)[i] = (uint8_t)t->int32_data[i];
		break;
	case IR_BOOL:
		for (int64_t i = 0; i < numel; i++)
			((uint8_t *)dst)[i] = t->int32_data[i] != 0;
		break;
	default:
		return ir_errf(e, "%s: internal dtype error", what);
	}
	return 0;
}

/* ---- fe_tensor files ----------------------------------------------------------- */

static void *
malloc_alloc(void *actx, size_t n)
{
	(void)actx;
	return fe_malloc(n);
}

static void *
pb_malloc(void *ad, size_t n)
{
	void *p = fe_malloc(n);
	if (!p && ad)
		*(bool *)ad = true;
	return p;
}

static void
pb_free(void *ad, void *p)
{
	(void)ad;
	free(p);
}

/* Folder of path as a realpath (malloc'd), or NULL. */
static char *
folder_of(const char *path)
{
	size_t n = strlen(path);
	while (n > 0 && path[n - 1] != '/')
		n--;
	char *d = n ? strndup(path, n) : strdup(".");
	if (!d)
		return NULL;
	char *r = realpath(d, NULL);
	free(d);
	return r;
}

int
fe_tensor_read(const char *path, fe_tensor *t, ir_err *e)
{
	unsigned char *buf;
	size_t n;
	bool oom = false;
	ProtobufCAllocator pa = {pb_malloc, pb_free, &oom};
	ir_err sub;

	memset(t, 0, sizeof *t);
	if (fe_read_file(path, (int64_t)1 << 34, &buf, &n, &sub))
		return ir_errf(e, "%s", sub.msg);
	if (fe_pb_check(buf, n, &onnx__tensor_proto__descriptor, &sub)) {
		free(buf);
		return ir_errf(e, "not a valid TensorProto (%s)", sub.msg);
	}
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(&pa, n, buf);
	free(buf);
	if (!tp)
		return ir_errf(e, oom ? "out of memory" : "not a valid TensorProto (protobuf parse failed)");
	char *dir = folder_of(path);
	fe_dense d;
	int rc = fe_decode_tensor(tp, "tensor", dir, (int64_t)1 << 34, malloc_alloc, NULL, &d, e);
	free(dir);
	if (rc == 0 && tp->name && *tp->name && !(t->name = fe_strdup(tp->name)))
		rc = ir_errf(e, "out of memory");
	if (rc) {
		free(d.data);
		free(t->name);
		memset(t, 0, sizeof *t);
	} else {
		t->dtype = d.t;
		t->rank = d.rank;
		memcpy(t->dims, d.dims, sizeof t->dims);
		t->data = d.data;
		t->nbytes = d.nbytes;
	}
	onnx__tensor_proto__free_unpacked(tp, &pa);
	return rc;
}

int
fe_tensor_write(const char *path, const fe_tensor *t, ir_err *e)
{
	Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
	int64_t numel = 1, bytes;
	int odt = fe_ir_to_onnx_dtype(t->dtype);

	if (odt < 0)
		return ir_errf(e, "cannot write a tensor of dtype %d", (int)t->dtype);
	if (t->rank < 0 || t->rank > IR_MAX_DIMS)
		return ir_errf(e, "cannot write a tensor of rank %d", t->rank);
	for (int i = 0; i < t->rank; i++)
		if (ir_mul_overflows(numel, t->dims[i], &numel))
			return ir_errf(e, "invalid tensor dims");
	if (ir_mul_overflows(numel, (int64_t)ir_dtype_size(t->dtype), &bytes) ||
	    (uint64_t)bytes != t->nbytes || (bytes && !t->data))
		return ir_errf(e, "tensor data is %zu bytes, expected %lld", t->nbytes, (ll)bytes);
	tp.n_dims = (size_t)t->rank;
	tp.dims = (int64_t *)t->dims;
	tp.has_data_type = 1;
	tp.data_type = odt;
	tp.name = t->name;
	tp.has_raw_data = 1;
	tp.raw_data.len = t->nbytes;
	tp.raw_data.data = t->data;

	size_t n = onnx__tensor_proto__get_packed_size(&tp);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return ir_errf(e, "out of memory");
	onnx__tensor_proto__pack(&tp, buf);

	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	if (!tmp) {
		free(buf);
		return ir_errf(e, "out of memory");
	}
	memcpy(tmp, path, pl);
	memcpy(tmp + pl, ".tmp.XXXXXX", 12);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int err = errno;
		free(buf);
		free(tmp);
		return ir_errf(e, "cannot create %s: %s", path, strerror(err));
	}
	size_t put = 0;
	int err = 0;
	while (put < n) {
		ssize_t r = write(fd, buf + put, n - put);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? errno : EIO;
			break;
		}
		put += (size_t)r;
	}
	free(buf);
	if (!err && fchmod(fd, 0644) != 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err) {
		unlink(tmp);
		free(tmp);
		return ir_errf(e, "cannot write %s: %s", path, strerror(err));
	}
	free(tmp);
	return 0;
}

void
fe_tensor_free(fe_tensor *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->data);
	memset(t, 0, sizeof *t);
}
