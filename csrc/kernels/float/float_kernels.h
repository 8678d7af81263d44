// float32 kernels: the GEMM behind CONV_2D and FULLY_CONNECTED, and depthwise convolution, one twin per SIMD
// path in the kernel tables (KernelTable::gemm_f32, dwconv_f32), plus the drivers that turn a conv into GEMM
// calls. Layouts are TFLite's: NHWC activations, conv weights [out_c][kh][kw][in_c], FC weights [n][k],
// depthwise weights [kh][kw][out_c].
//
// Float sums are not associative, so "equal to the reference" means within a tight relative tolerance here
// (the int8 kernels are bit-exact). Every kernel accumulates in the same order -- bias first, then k (or the
// taps) in increasing order -- and differs from the scalar reference only by the fused multiply-add's single
// rounding. The fused activation is a clamp to [lo, hi] (infinite bounds for NONE).
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/kernels.h"

namespace edgekd {

class ParallelFor;

// ---------------------------------------------------------------------------------------------------
// GEMM:  C[m][j] = clamp(bias[j] + sum_k A[m][k] * W[j][k], lo, hi)
struct PackedGemmF32 {
  int n = 0, k = 0, nr = 0;
  AlignedBuffer weights;     // panels of nr columns: [ceil(n / nr)][k][nr], zero padded
  std::vector<float> bias;   // [n padded to nr], zeros where the model has none
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
};

struct PackedConvF32;

struct GemmF32Kernel {
  const char* name;  // "gemm_f32_6x16_avx2"
  Isa isa;
  int mr, nr;        // register tile: rows of A, columns of C
  // Rows [0, m) and columns [n_begin, n_end) of C; n_begin is a multiple of nr.
  void (*run)(const PackedGemmF32& p, int m, const float* a, size_t lda, float* c, size_t ldc, int n_begin,
              int n_end);
  // Output pixels [row_begin, row_end) of a conv (not conv.direct), reading windows in place where they lie
  // inside the input; buf holds mr im2col rows for the others.
  void (*run_conv)(const PackedConvF32& conv, const float* in, float* out, int row_begin, int row_end, float* buf);
};

// w: [n][k] row-major; bias: [n] or nullptr.
void pack_gemm_f32(const GemmF32Kernel& kernel, const float* w, const float* bias, int n, int k, float lo, float hi,
                   PackedGemmF32* out);
// C over all its rows and columns, split across the pool's threads (rows, or panels when rows are few).
void run_gemm_f32(const GemmF32Kernel& kernel, const PackedGemmF32& p, int m, const float* a, size_t lda, float* c,
                  size_t ldc, ParallelFor* pool);

// ---------------------------------------------------------------------------------------------------
// CONV_2D as GEMM: M = batch*out_h*out_w, N = out_c, K = kh*kw*in_c. A 1x1 stride-1 unpadded conv reads the
// input as A; others read each output pixel's window in place through a table of tap offsets (indirect
// convolution), except tiles with a pixel in the padding, whose rows im2col copies (zeros for the padding).
struct ConvF32Params {
  int batch = 1, in_h = 0, in_w = 0, in_c = 0, out_c = 0;
  int kh = 1, kw = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, out_h = 0, out_w = 0;
  int k() const { return kh * kw * in_c; }
  int m() const { return batch * out_h * out_w; }
};

struct PackedConvF32 {
  ConvF32Params params;
  const GemmF32Kernel* kernel = nullptr;
  PackedGemmF32 gemm;
  bool direct = false;
  std::vector<int32_t> koff;  // [k]: offset of tap (ky, kx, ic) from its window's first element in the input
};

// im2col rows [row_begin, row_end) of a conv into out ([rows][k]), zeros where a tap falls in the padding.
void im2col_f32(const ConvF32Params& p, const float* in, int row_begin, int row_end, float* out);

PackedConvF32 pack_conv_f32(const GemmF32Kernel& kernel, const ConvF32Params& params, const float* weights,
                            const float* bias, float lo, float hi);
size_t conv_f32_scratch_bytes(const PackedConvF32& conv, int num_threads);
// scratch must hold conv_f32_scratch_bytes(conv, threads of pool) bytes.
void run_conv_f32(const PackedConvF32& conv, const float* input, float* output, ParallelFor* pool, void* scratch);

// ---------------------------------------------------------------------------------------------------
// DEPTHWISE_CONV_2D: out[b][oy][ox][ic*mult + d] = clamp(bias + sum_{ky,kx} in[..][ic] * w[ky][kx][ic*mult + d])
// over the taps inside the input (padding adds nothing).
struct DwConvF32Params {
  int batch = 1, in_h = 0, in_w = 0, in_c = 0, depth_multiplier = 1;
  int out_h = 0, out_w = 0;
  int kh = 0, kw = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  int out_c() const { return in_c * depth_multiplier; }
};

struct DwConvF32Kernel {
  const char* name;
  Isa isa;
  // Output rows [row_begin, row_end) of batch*out_h rows. w: [kh][kw][out_c]; bias: [out_c].
  // SIMD kernels vectorize depth multiplier 1 and run the reference for the others.
  void (*run)(const DwConvF32Params& p, const float* w, const float* bias, const float* in, float* out,
              int row_begin, int row_end);
};

// All rows, split by output rows across the pool.
void run_dwconv_f32(const DwConvF32Kernel& kernel, const DwConvF32Params& p, const float* w, const float* bias,
                    const float* in, float* out, ParallelFor* pool);

// The scalar definitions (the ref path's kernels).
extern const GemmF32Kernel kGemmF32Ref;
extern const DwConvF32Kernel kDwConvF32Ref;
void dwconv_f32_ref(const DwConvF32Params& p, const float* w, const float* bias, const float* in, float* out,
                    int row_begin, int row_end);

// Sets the float32 families of a path's table (kernels/float/float_registry.cpp).
void set_float_kernels(KernelTable* table);

}  // namespace edgekd
