/*
 * embed.c - the smallest complete embedding: a compiled model, a static
 * workspace sized by the generated header, no heap allocation at run time.
 *
 *     resc compile models/digits/model.onnx -o digits_net.o --name digits_net
 *     cc -I. examples/embed.c digits_net.o $(resc config --cflags --libs) -o embed
 *     ./embed models/digits/test.bin
 *
 * Prints the accuracy on the test split (format: models/digits/README.md).
 */
#include "digits_net.h"
#include "resc_rt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The workspace: DIGITS_NET_WORKSPACE_SIZE bytes, 64-byte aligned. */
static _Alignas(64) unsigned char workspace[DIGITS_NET_WORKSPACE_SIZE];

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "models/digits/test.bin";
	FILE *f = fopen(path, "rb");
	char magic[8];
	uint32_t hdr[3]; /* n, h, w */
	if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, "RESCDIG1", 8) != 0 ||
	    fread(hdr, 4, 3, f) != 3 || hdr[1] * hdr[2] != DIGITS_NET_INPUT0_SIZE) {
		fprintf(stderr, "embed: %s: not a digits test file\n", path);
		return 1;
	}
	uint32_t n = hdr[0];
	long labels_at = 20 + 4L * n * DIGITS_NET_INPUT0_SIZE;
	int correct = 0;
	for (uint32_t i = 0; i < n; i++) {
		float image[DIGITS_NET_INPUT0_SIZE], logits[DIGITS_NET_OUTPUT0_SIZE];
		unsigned char label;
		if (fseek(f, 20 + 4L * i * DIGITS_NET_INPUT0_SIZE, SEEK_SET) != 0 ||
		    fread(image, sizeof image, 1, f) != 1 || fseek(f, labels_at + i, SEEK_SET) != 0 ||
		    fread(&label, 1, 1, f) != 1) {
			fprintf(stderr, "embed: %s: truncated\n", path);
			return 1;
		}
		const float *in[DIGITS_NET_NUM_INPUTS] = {image};
		float *out[DIGITS_NET_NUM_OUTPUTS] = {logits};
		int rc = digits_net_run(in, out, workspace); /* no malloc inside */
		if (rc != 0) {
			fprintf(stderr, "embed: digits_net_run: %s\n", resc_rt_strerror(rc));
			return 1;
		}
		int best = 0;
		for (int k = 1; k < DIGITS_NET_OUTPUT0_SIZE; k++)
			if (logits[k] > logits[best])
				best = k;
		correct += best == label;
	}
	fclose(f);
	printf("embed: accuracy %.4f (%d/%u)\n", (double)correct / n, correct, n);
	return 0;
}
