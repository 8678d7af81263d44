// float32 GEMM (6x16 tiles, 24 accumulators) and depthwise kernels for NEON (float_simd.inc); the neondot
// path's table holds them too (float has no dot-product instruction to add).
#include <arm_neon.h>

#include <algorithm>

#include "kernels/float/float_kernels.h"

namespace edgekd {
namespace {

struct VecNeon {
  using R = float32x4_t;
  static constexpr int L = 4;
  static constexpr int kAccumulators = 24, kDwPixels = 8;  // of 32 registers
  static R load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, R v) { vst1q_f32(p, v); }
  static R load_n(const float* p, int n) {
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < n; ++i) t[i] = p[i];
    return vld1q_f32(t);
  }
  static void store_n(float* p, R v, int n) {
    float t[4];
    vst1q_f32(t, v);
    for (int i = 0; i < n; ++i) p[i] = t[i];
  }
  static R set1(float x) { return vdupq_n_f32(x); }
  static R fma(R a, R b, R c) { return vfmaq_f32(c, a, b); }
  static R max(R a, R b) { return vmaxq_f32(a, b); }
  static R min(R a, R b) { return vminq_f32(a, b); }
};

#include "kernels/float/float_simd.inc"

}  // namespace

extern const GemmF32Kernel kGemmF32Neon{"gemm_f32_6x16_neon", Isa::kNeon, 6, 16, &gemm_f32_simd<VecNeon, 6, 4>,
                                      &conv_f32_simd<VecNeon, 6, 4>};
extern const DwConvF32Kernel kDwConvF32Neon{"dwconv_f32_neon", Isa::kNeon, &dwconv_f32_simd<VecNeon>};

}  // namespace edgekd
