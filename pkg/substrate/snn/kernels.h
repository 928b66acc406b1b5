// kernels.h: the C kernels of the spiking-network simulator (kernels.c),
// called from kernels_cgo.go. The pure-Go versions in kernels_go.go compute
// bit for bit the same (tested in kernels_test.go).

#ifndef SOKR_SNN_KERNELS_H
#define SOKR_SNN_KERNELS_H

#include <stdint.h>

// Instruction-set variants, best last.
enum {
	SNN_ISA_BASELINE = 1,
	SNN_ISA_AVX2 = 2,
	SNN_ISA_X86_64_V4 = 3,
	SNN_ISA_BEST = 100,
};

// Reset modes (snn_neuron.reset).
enum {
	SNN_RESET_NONE = 0,     // no spikes: the output is the state v
	SNN_RESET_TO_V_RESET = 1, // on a spike, v = v_reset
	SNN_RESET_SUBTRACT = 2,   // on a spike, v -= v_threshold
};

// snn_neuron describes one neuron population's discretised update. For
// each element e (coefficient index k = e mod n):
//
//   kind 0 (LIF, IF, LI, I):     v' = av[k]*v + bv[k] + gv[k]*x
//   kind 1 (CubaLIF, CubaLI):    i' = ai[k]*i + bi[k]*x
//                                v' = av[k]*v + bv[k] + ci[k]*i + gv[k]*x
//
// then, unless reset is SNN_RESET_NONE, s = (before ? v : v') > th[k]
// (before: the spike is read from the state at the start of the step),
// v' = s ? (reset == SNN_RESET_TO_V_RESET ? vr[k] : v' - th[k]) : v',
// and the output is s ? amp : 0. With SNN_RESET_NONE the output is v'.
// The coefficient arrays lie one after the other in coef (the argument of
// snn_neuron_step_*), in the order av, bv, gv, th, vr, ai, bi, ci, each of
// n elements, or of one element when uniform is set (then k is always 0).
// The struct holds no pointers, so Go may pass it without pinning.
typedef struct {
	int32_t kind;
	int32_t reset;
	int32_t before;
	int32_t uniform;
	int64_t n;
	double amp;
} snn_neuron;

// Indices of the coefficient arrays in coef.
enum { SNN_AV, SNN_BV, SNN_GV, SNN_TH, SNN_VR, SNN_AI, SNN_BI, SNN_CI, SNN_NCOEF };

// snn_best_isa returns the best variant this CPU runs.
int32_t snn_best_isa(void);

// snn_neuron_step_* advances elements [lo, hi) of v (and cur, kind 1) by
// one step with input x, writing out; it returns the number of spikes.
int64_t snn_neuron_step_f32(int32_t isa, const snn_neuron *p, const float *coef, float *v,
                            float *cur, const float *x, float *out, int64_t lo, int64_t hi);
int64_t snn_neuron_step_f64(int32_t isa, const snn_neuron *p, const double *coef, double *v,
                            double *cur, const double *x, double *out, int64_t lo, int64_t hi);

// snn_spmm_* computes y[r,c] = bias[c] + sum_j x[r,j]*w[c,j] for the rows
// r in [0, rows), visiting only the nonzero x[r,j] (event-driven synaptic
// propagation): one sum per (r, c), starting at 0, to which the terms
// x[r,j]*w[c,j] of the nonzero inputs are added in ascending j; then y =
// bias + sum (y = sum without a bias). x is rows x nin, y is rows x nout,
// bias has nout elements or is NULL. The weight is packed in blocks of
// SNN_COLS_* output columns: wp[b][j][c] = w[b*SNN_COLS + c, j], the last
// block padded with zeros, so that the weights one input reaches in a block
// are contiguous. Scratch: idx and val for the nonzero inputs of all rows
// (as many elements as there are), toff for (ceil(nin / SNN_TILE) + 1) *
// rows offsets, acc for rows * SNN_COLS_* sums. It returns the number of
// nonzero inputs.
#define SNN_COLS_F32 32
#define SNN_COLS_F64 16
#define SNN_TILE 256
int64_t snn_spmm_f32(int32_t isa, int64_t rows, int64_t nin, int64_t nout, const float *x,
                     const float *wp, const float *bias, float *y, int32_t *idx, float *val,
                     int64_t *toff, float *acc);
int64_t snn_spmm_f64(int32_t isa, int64_t rows, int64_t nin, int64_t nout, const double *x,
                     const double *wp, const double *bias, double *y, int32_t *idx, double *val,
                     int64_t *toff, double *acc);

// snn_count_nonzero_* returns how many of x[0:n] are not zero.
int64_t snn_count_nonzero_f32(const float *x, int64_t n);
int64_t snn_count_nonzero_f64(const double *x, int64_t n);

#endif
