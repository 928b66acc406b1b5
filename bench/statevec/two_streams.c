// two_streams.c: how fast this machine updates two arrays in place in step
// (x, y) -> (0.6x + 0.8y, 0.8x - 0.6y), the access pattern of a one-qubit
// gate on qubit q (the two streams lie 2^q amplitudes apart), against an
// in-place scale of the same 1 GiB. No simulator is involved: it shows the
// memory system's own limit for each distance (docs/benchmarks.md,
// "statevec").
//
//	cc -O3 -march=native -o two_streams bench/statevec/two_streams.c && ./two_streams
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
	const size_t n = (size_t)1 << 27; // doubles: 1 GiB, a 26-qubit complex128 state
	double *a = aligned_alloc(1 << 21, n * sizeof *a);
	if (a == NULL) {
		return 1;
	}
	memset(a, 1, n * sizeof *a);
	double best = 1e9;
	for (int rep = 0; rep < 3; rep++) {
		double t = now();
		for (size_t i = 0; i < n; i++) {
			a[i] *= 0.999;
		}
		t = now() - t;
		best = t < best ? t : best;
	}
	const double scale = 2.0 * n * sizeof *a / best / 1e9;
	printf("in-place scale: %.1f GB/s\n", scale);
	for (int sh = 20; sh <= 26; sh++) {
		const size_t d = (size_t)1 << sh; // doubles apart
		best = 1e9;
		for (int rep = 0; rep < 3; rep++) {
			double t = now();
			for (size_t base = 0; base < n; base += 2 * d) {
				for (size_t i = 0; i < d; i++) {
					double x = a[base + i], y = a[base + d + i];
					a[base + i] = 0.6 * x + 0.8 * y;
					a[base + d + i] = 0.8 * x - 0.6 * y;
				}
			}
			t = now() - t;
			best = t < best ? t : best;
		}
		const double bw = 2.0 * n * sizeof *a / best / 1e9;
		printf("two streams %4zu MiB apart: %.1f GB/s (%.2f of the scale)\n", d * sizeof *a >> 20, bw, bw / scale);
	}
	free(a);
	return 0;
}
