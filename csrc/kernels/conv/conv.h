// Conv2D and fully connected on top of the int8 GEMM kernels (NHWC, TFLite layouts and arithmetic).
//
//   out[b][oy][ox][oc] = requant_oc( bias[oc] + sum_{ky,kx,ic} (in[b][iy][ix][ic] - in_zp) * w[oc][ky][kx][ic] )
//   iy = oy*stride_h - pad_top + ky*dilation_h,  ix = ox*stride_w - pad_left + kx*dilation_w
//   (taps outside the input read the input zero point, i.e. real 0)
//
// Usage (the runtime packs once at load, runs per inference):
//   PackedConv pc = pack_conv(kernel_table(isa), params, weights, bias, out_stage);
//   run_conv(pc, input, output, pool /*nullable*/);
//
// Execution is a GEMM with M = batch*out_h*out_w rows, N = out_c, K = kh*kw*in_c. A 1x1, stride-1, unpadded
// conv reads the input directly as A; where the kernel reads windows in place (GemmKernel::run_implicit),
// other convs over channels in multiples of 4 read a bordered copy of the input; every other conv builds
// im2col rows per block of output pixels in a small per-thread scratch buffer. Threads split M (or N when M is small, e.g. FC at batch 1); every
// output element is computed by the same arithmetic whichever thread computes it, so results are
// identical for any thread count.
//
// Errors: pack_* throw std::invalid_argument naming the field on inconsistent parameters. run_* do not
// validate tensor sizes (the runtime's planner owns them): input must hold batch*in_h*in_w*in_c bytes and
// output batch*out_h*out_w*out_c bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernels.h"

namespace edgekd {

class ParallelFor;

struct ConvParams {
  int batch = 1, in_h = 0, in_w = 0, in_c = 0;
  int out_c = 0;
  int kh = 1, kw = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;  // computed by the caller (SAME/VALID as TFLite); bottom/right implied
  int out_h = 0, out_w = 0;       // computed by the caller
  int32_t input_zero_point = 0;   // also the padding value
  int k() const { return kh * kw * in_c; }
  int m() const { return batch * out_h * out_w; }
};

struct PackedConv {
  ConvParams params;
  const GemmKernel* kernel = nullptr;  // the GEMM micro-kernel chosen at pack time
  PackedGemm gemm;                     // pre-packed weights, folded bias, output stage
  bool direct = false;                 // 1x1 / stride 1 / no padding: input used as A without im2col
  // Small padded inputs (edge pixels a large share of the work): each run first copies the input into a
  // zero-point-bordered image of `padded` geometry (no padding, every window inside), padded_bytes long.
  ConvParams padded;
  size_t padded_bytes = 0;             // 0: im2col reads the input and handles the padding per pixel
  // Implicit GEMM (the kernel has run_implicit, in_c % 4 == 0, every channel shifts right): every run copies
  // the input into the bordered image of `padded` geometry (always, padding or not) and the kernel reads
  // each pixel's window there through these tap offsets (K order); no im2col.
  bool implicit = false;
  std::vector<ptrdiff_t> taps;
};

// weights: [out_c][kh][kw][in_c] int8 (TFLite CONV_2D layout); bias: [out_c] int32 or nullptr.
// out: per-channel multiplier/shift of size out_c (shift in [-31, 31]), output zero point in [-128, 127],
// clamp [act_min, act_max] inside [-128, 127]. Input zero point in [-128, 127].
PackedConv pack_conv(const KernelTable& table, const ConvParams& params, const int8_t* weights,
                     const int32_t* bias, const OutputStage& out);
PackedConv pack_conv(Isa isa, const ConvParams& params, const int8_t* weights, const int32_t* bias,
                     const OutputStage& out);

// Bytes of scratch run_conv needs for `num_threads` threads (0 for the direct 1x1 path).
size_t conv_scratch_bytes(const PackedConv& conv, int num_threads);

// input: NHWC [batch][in_h][in_w][in_c]; output: NHWC [batch][out_h][out_w][out_c].
// pool may be nullptr (single thread). scratch may be nullptr (allocated internally per call); otherwise
// it must hold conv_scratch_bytes(conv, pool ? pool->num_threads() : 1) bytes (throws if scratch_bytes is
// smaller).
void run_conv(const PackedConv& conv, const int8_t* input, int8_t* output, ParallelFor* pool,
              void* scratch = nullptr, size_t scratch_bytes = 0);

// Output rows [row_begin, row_end) (image rows of a batch-1 conv) on the calling thread: a band of rows for
// a fused region. Only the direct path (conv.direct), where output row r reads input row r alone.
void run_conv_rows(const PackedConv& conv, const int8_t* input, int8_t* output, int row_begin, int row_end);

// Fully connected (TFLite FULLY_CONNECTED, int8): out[b][j] = requant_j(bias[j] + sum_i (in[b][i]-in_zp)*w[j][i]).
struct PackedFullyConnected {
  int in_features = 0, out_features = 0;
  const GemmKernel* kernel = nullptr;
  PackedGemm gemm;
};

// weights: [out_features][in_features]; bias: [out_features] or nullptr; out sized out_features.
PackedFullyConnected pack_fully_connected(const KernelTable& table, int in_features, int out_features,
                                          const int8_t* weights, const int32_t* bias,
                                          int32_t input_zero_point, const OutputStage& out);
PackedFullyConnected pack_fully_connected(Isa isa, int in_features, int out_features,
                                          const int8_t* weights, const int32_t* bias,
                                          int32_t input_zero_point, const OutputStage& out);

// input: [batch][in_features] dense; output: [batch][out_features] dense. pool may be nullptr.
void run_fully_connected(const PackedFullyConnected& fc, int batch, const int8_t* input, int8_t* output,
                         ParallelFor* pool);

// The GEMM itself, threaded the same way (used by the two ops above, tests and benchmarks):
// C[m][j] for rows [0, m), all n columns; A rows of stride lda, C rows of stride ldc.
void run_gemm(const GemmKernel& kernel, const PackedGemm& packed, int m, const int8_t* a, size_t lda,
              int8_t* c, size_t ldc, ParallelFor* pool);

// Packs `w` [n][k] for `kernel` and attaches the output stage (validates sizes; throws invalid_argument).
PackedGemm pack_gemm(const GemmKernel& kernel, const int8_t* w, const int32_t* bias, int n, int k,
                     int32_t a_zero_point, const OutputStage& out);

}  // namespace edgekd
