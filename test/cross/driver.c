/*
 * driver.c - runs a model compiled with --name net over a raw file of
 * float32 inputs (N images of NET_INPUT0_SIZE) and writes the N outputs
 * (NET_OUTPUT0_SIZE floats each) raw.  Built for the host and for aarch64
 * (run under qemu) by test/cross/check.py.
 *
 *     driver IN.f32 OUT.f32
 */
#include "net.h"
#include "resc_rt.h"

#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: driver IN.f32 OUT.f32\n");
		return 1;
	}
	FILE *fi = fopen(argv[1], "rb"), *fo = fopen(argv[2], "wb");
	void *ws = resc_rt_alloc(net_workspace_size());
	if (!fi || !fo || !ws) {
		fprintf(stderr, "driver: cannot open %s or %s\n", argv[1], argv[2]);
		return 1;
	}
	static float x[NET_INPUT0_SIZE], y[NET_OUTPUT0_SIZE];
	const float *in[1] = {x};
	float *out[1] = {y};
	int n = 0;
	while (fread(x, sizeof x, 1, fi) == 1) {
		int rc = net_run(in, out, ws);
		if (rc != 0) {
			fprintf(stderr, "driver: net_run: %s\n", resc_rt_strerror(rc));
			return 1;
		}
		if (fwrite(y, sizeof y, 1, fo) != 1) {
			fprintf(stderr, "driver: write failed\n");
			return 1;
		}
		n++;
	}
	resc_rt_free(ws);
	fclose(fi);
	if (fclose(fo) != 0)
		return 1;
	printf("driver: %d runs\n", n);
	return 0;
}
