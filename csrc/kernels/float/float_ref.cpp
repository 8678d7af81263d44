// The scalar float32 GEMM and depthwise kernels: the definitions the SIMD twins are tested against.
#include <algorithm>

#include "kernels/float/float_kernels.h"

namespace edgekd {
namespace {

constexpr int kRefNr = 8;

void gemm_f32_ref(const PackedGemmF32& p, int m, const float* a, size_t lda, float* c, size_t ldc, int n_begin,
                  int n_end) {
  const int nr = p.nr;
  const float* w = p.weights.as<float>();
  for (int r = 0; r < m; ++r) {
    const float* ar = a + r * lda;
    for (int j = n_begin; j < n_end; ++j) {
      const float* panel = w + static_cast<size_t>(j / nr) * p.k * nr + j % nr;
      float acc = p.bias[j];
      for (int kk = 0; kk < p.k; ++kk) acc += ar[kk] * panel[static_cast<size_t>(kk) * nr];
      c[r * ldc + j] = std::min(std::max(acc, p.lo), p.hi);
    }
  }
}

// One output pixel at a time through im2col.
void conv_f32_ref(const PackedConvF32& conv, const float* in, float* out, int row_begin, int row_end, float* buf) {
  const size_t n = static_cast<size_t>(conv.params.out_c);
  for (int r = row_begin; r < row_end; ++r) {
    im2col_f32(conv.params, in, r, r + 1, buf);
    gemm_f32_ref(conv.gemm, 1, buf, static_cast<size_t>(conv.params.k()), out + r * n, n, 0, conv.params.out_c);
  }
}

}  // namespace

const GemmF32Kernel kGemmF32Ref{"gemm_f32_ref", Isa::kRef, 1, kRefNr, &gemm_f32_ref, &conv_f32_ref};

void dwconv_f32_ref(const DwConvF32Params& p, const float* w, const float* bias, const float* in, float* out,
                    int row_begin, int row_end) {
  const int oc_n = p.out_c();
  for (int row = row_begin; row < row_end; ++row) {
    const int b = row / p.out_h, oy = row % p.out_h;
    for (int ox = 0; ox < p.out_w; ++ox) {
      float* o = out + ((static_cast<size_t>(row) * p.out_w) + ox) * oc_n;
      for (int oc = 0; oc < oc_n; ++oc) o[oc] = bias[oc];
      for (int ky = 0; ky < p.kh; ++ky) {
        const int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
        if (iy < 0 || iy >= p.in_h) continue;
        for (int kx = 0; kx < p.kw; ++kx) {
          const int ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
          if (ix < 0 || ix >= p.in_w) continue;
          const float* x = in + ((static_cast<size_t>(b) * p.in_h + iy) * p.in_w + ix) * p.in_c;
          const float* wt = w + (static_cast<size_t>(ky) * p.kw + kx) * oc_n;
          for (int oc = 0; oc < oc_n; ++oc) o[oc] += x[oc / p.depth_multiplier] * wt[oc];
        }
      }
      for (int oc = 0; oc < oc_n; ++oc) o[oc] = std::min(std::max(o[oc], p.lo), p.hi);
    }
  }
}

const DwConvF32Kernel kDwConvF32Ref{"dwconv_f32_ref", Isa::kRef, &dwconv_f32_ref};

}  // namespace edgekd
