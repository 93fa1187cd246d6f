/*
 * driver.c - links a compiled model the way an application does, runs it on
 * raw float32 files, and writes the raw outputs.
 *
 *     resc compile model.onnx -o net.o --name net
 *     cc -I. driver.c net.o $(resc config --cflags --libs) -o driver
 *     ./driver in0.raw [in1.raw...] out0.raw [out1.raw...]
 *
 * The run uses a caller-provided workspace, as an embedded user would.  On
 * success it prints the process's peak resident size ("peak RSS N KiB"),
 * which check.py holds to the object's size + workspace + 16 MiB.
 */
#include "net.h"
#include "resc_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#if NET_NUM_INPUTS != 1 || NET_NUM_OUTPUTS != 1
#error "driver.c handles models with one input and one output (the zoo's form)"
#endif

int
main(int argc, char **argv)
{
	if (argc != 1 + NET_NUM_INPUTS + NET_NUM_OUTPUTS) {
		fprintf(stderr, "usage: driver IN.raw x%d OUT.raw x%d\n", NET_NUM_INPUTS, NET_NUM_OUTPUTS);
		return 1;
	}
	size_t isz[NET_NUM_INPUTS + 1], osz[NET_NUM_OUTPUTS + 1];
	isz[0] = NET_INPUT0_SIZE;
	osz[0] = NET_OUTPUT0_SIZE;
	const float *in[NET_NUM_INPUTS + 1];
	float *out[NET_NUM_OUTPUTS + 1];
	for (int i = 0; i < NET_NUM_INPUTS; i++) {
		float *p = malloc(isz[i] * sizeof *p);
		FILE *f = fopen(argv[1 + i], "rb");
		if (!p || !f || fread(p, sizeof *p, isz[i], f) != isz[i]) {
			fprintf(stderr, "driver: cannot read %s\n", argv[1 + i]);
			return 1;
		}
		fclose(f);
		in[i] = p;
	}
	for (int i = 0; i < NET_NUM_OUTPUTS; i++)
		if (!(out[i] = malloc(osz[i] * sizeof(float))))
			return 1;
	void *ws = resc_rt_alloc(net_workspace_size());
	if (!ws && net_workspace_size())
		return 1;
	int rc = net_run(in, out, ws);
	if (rc != 0) {
		fprintf(stderr, "driver: net_run: %s\n", resc_rt_strerror(rc));
		return 1;
	}
	for (int i = 0; i < NET_NUM_OUTPUTS; i++) {
		FILE *f = fopen(argv[1 + NET_NUM_INPUTS + i], "wb");
		if (!f || fwrite(out[i], sizeof(float), osz[i], f) != osz[i] || fclose(f) != 0) {
			fprintf(stderr, "driver: cannot write %s\n", argv[1 + NET_NUM_INPUTS + i]);
			return 1;
		}
	}
	/* Linux's VmHWM, this program's own peak: ru_maxrss keeps the peak of
	 * the process image before exec, here check.py's Python (about 40 MiB,
	 * more than a small model's whole bound) */
	long hwm = -1;
	FILE *st = fopen("/proc/self/status", "r");
	if (st) {
		char line[256];
		while (fgets(line, sizeof line, st))
			if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
				break;
		fclose(st);
	}
	struct rusage ru;
	if (hwm >= 0)
		printf("peak RSS %ld KiB\n", hwm);
	else if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("peak RSS %ld KiB\n", ru.ru_maxrss);
	resc_rt_free(ws);
	for (int i = 0; i < NET_NUM_INPUTS; i++)
		free((void *)in[i]);
	for (int i = 0; i < NET_NUM_OUTPUTS; i++)
		free(out[i]);
	return 0;
}
