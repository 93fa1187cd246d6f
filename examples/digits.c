/*
 * digits.c - the resc demo: classify handwritten digits with a compiled
 * residual network.
 *
 *     resc compile models/digits/model.onnx -o digits_net.o --name digits_net
 *     cc digits.c digits_net.o $(resc config --cflags --libs) -o digits
 *     ./digits models/digits/test.bin
 *
 * The network was trained by models/train_digits.py on the 8x8 digits set
 * that ships with scikit-learn; test.bin holds the held-out images, their
 * labels and PyTorch's predictions (format in models/digits/README.md).
 * This program needs nothing but the object file and libresc_rt.a: no
 * ONNX, no protobuf, no LLVM, no Python.
 */
#include "digits_net.h"
#include "resc_rt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "models/digits/test.bin";
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	char magic[8];
	uint32_t hdr[3];
	if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "RESCDIG1", 8) != 0 ||
	    fread(hdr, sizeof hdr[0], 3, f) != 3) {
		fprintf(stderr, "%s: not a digits test file\n", path);
		return 1;
	}
	uint32_t n = hdr[0], h = hdr[1], w = hdr[2];
	if (h * w != DIGITS_NET_INPUT0_SIZE || n == 0 || n > 100000) {
		fprintf(stderr, "%s: %ux%u images do not match the model's input\n", path, h, w);
		return 1;
	}
	float *images = malloc((size_t)n * h * w * sizeof *images);
	uint8_t *labels = malloc(n), *torch_pred = malloc(n);
	if (!images || !labels || !torch_pred ||
	    fread(images, sizeof *images, (size_t)n * h * w, f) != (size_t)n * h * w ||
	    fread(labels, 1, n, f) != n || fread(torch_pred, 1, n, f) != n) {
		fprintf(stderr, "%s: truncated\n", path);
		return 1;
	}
	fclose(f);

	/* One workspace, allocated once: the runs themselves allocate nothing. */
	void *ws = resc_rt_alloc(digits_net_workspace_size());
	double *lat = malloc(n * sizeof *lat);
	if (!ws || !lat) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	int correct = 0, agree = 0;
	for (uint32_t i = 0; i < n; i++) {
		float logits[DIGITS_NET_OUTPUT0_SIZE];
		const float *in[1] = {images + (size_t)i * h * w};
		float *out[1] = {logits};
		double t0 = now();
		int rc = digits_net_run(in, out, ws);
		lat[i] = now() - t0;
		if (rc != 0) {
			fprintf(stderr, "digits_net_run: %s\n", resc_rt_strerror(rc));
			return 1;
		}
		int best = 0;
		for (int k = 1; k < DIGITS_NET_OUTPUT0_SIZE; k++)
			if (logits[k] > logits[best])
				best = k;
		correct += best == labels[i];
		agree += best == torch_pred[i];
	}
	qsort(lat, n, sizeof *lat, cmp_double);
	printf("digits: %u test images, accuracy %.2f %% (%d/%u)\n", n, 100.0 * correct / n, correct, n);
	printf("digits: agreement with PyTorch's predictions %.2f %% (%d/%u)\n", 100.0 * agree / n, agree, n);
	printf("digits: latency per image: median %.1f us, min %.1f us (%d threads)\n",
	       lat[n / 2] * 1e6, lat[0] * 1e6, resc_rt_get_num_threads());
	resc_rt_free(ws);
	free(lat);
	free(images);
	free(labels);
	free(torch_pred);
	return agree == (int)n ? 0 : 2;
}
