/*
 * driver.c - the resc side of `make bench`: times one compiled model.
 *
 * Built once per model by bench/run against the model's net.o / net.h
 * (compiled with `resc compile --name net`, so the API is always net_run):
 *
 *     cc -O2 -I DIR bench/driver.c DIR/net.o $(resc config --cflags --libs)
 *
 * Usage: driver INPUT.bin    (NET_INPUT0_SIZE raw float32 values)
 *
 * A long-lived process, so that bench/run can interleave it with ONNX
 * Runtime and PyTorch without reloading anything.  The thread count comes
 * from RESC_NUM_THREADS, as for any application.  Line protocol, shared
 * with bench/ort_worker.js and bench/torch_worker.py:
 *
 *     (on start)          <- ok threads=N workspace=BYTES
 *     run K               <- ok T1 ... TK       seconds per net_run call
 *     save PATH           <- ok                 output 0 as raw float32
 *     anything else       <- err MESSAGE
 *
 * Only the net_run call is timed; the workspace is allocated up front, as
 * a latency-sensitive application would do, so no call touches the heap.
 */
#define _POSIX_C_SOURCE 200809L
#include "net.h"
#include "resc_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static float input[NET_INPUT0_SIZE];
static float output[NET_OUTPUT0_SIZE];

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int
read_input(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(input, sizeof(float), NET_INPUT0_SIZE, f);
	int extra = fgetc(f) != EOF;  /* a size mismatch means the wrong file */
	fclose(f);
	return n == NET_INPUT0_SIZE && !extra ? 0 : -1;
}

int
main(int argc, char **argv)
{
	/* The zoo's members have one input and one output. */
	_Static_assert(NET_NUM_INPUTS == 1 && NET_NUM_OUTPUTS == 1, "one input, one output");
	if (argc != 2) {
		fprintf(stderr, "usage: driver INPUT.bin\n");
		return 2;
	}
	if (read_input(argv[1]) != 0) {
		printf("err %s: cannot read %d floats\n", argv[1], (int)NET_INPUT0_SIZE);
		return 1;
	}
	void *ws = resc_rt_alloc(net_workspace_size());
	if (!ws && net_workspace_size() > 0) {
		printf("err cannot allocate the workspace\n");
		return 1;
	}
	const float *in[] = {input};
	float *out[] = {output};

	printf("ok threads=%d workspace=%zu\n", resc_rt_get_num_threads(), net_workspace_size());
	fflush(stdout);

	char line[4096];
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "run ", 4) == 0) {
			long k = strtol(line + 4, NULL, 10);
			if (k < 1) {
				printf("err bad count\n");
				fflush(stdout);
				continue;
			}
			/* Print after the loop: no I/O between the timed calls. */
			double *t = malloc((size_t)k * sizeof *t);
			int rc = 0;
			for (long i = 0; i < k && rc == 0; i++) {
				double t0 = now();
				rc = net_run(in, out, ws);
				t[i] = now() - t0;
			}
			if (rc != 0) {
				printf("err net_run: %s\n", resc_rt_strerror(rc));
			} else {
				printf("ok");
				for (long i = 0; i < k; i++)
					printf(" %.9f", t[i]);
				printf("\n");
			}
			free(t);
		} else if (strncmp(line, "save ", 5) == 0) {
			FILE *f = fopen(line + 5, "wb");
			size_t n = f ? fwrite(output, sizeof(float), NET_OUTPUT0_SIZE, f) : 0;
			if (f && fclose(f) == 0 && n == NET_OUTPUT0_SIZE)
				printf("ok\n");
			else
				printf("err cannot write %s\n", line + 5);
		} else {
			printf("err unknown command: %s\n", line);
		}
		fflush(stdout);
	}
	resc_rt_free(ws);
	return 0;
}
