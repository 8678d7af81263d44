// float32 GEMM (6x16 tiles, 12 accumulators) and depthwise kernels for AVX2 + FMA (float_simd.inc).
#include <immintrin.h>

#include <algorithm>

#include "kernels/float/float_kernels.h"

namespace edgekd {
namespace {

struct VecAvx2 {
  using R = __m256;
  static constexpr int L = 8;
  static constexpr int kAccumulators = 12, kDwPixels = 4;  // of 16 registers
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static __m256i mask(int n) {
    alignas(32) static const int32_t kMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMask + 8 - n));
  }
  static R load_n(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  static void store_n(float* p, R v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static R min(R a, R b) { return _mm256_min_ps(a, b); }
};

#include "kernels/float/float_simd.inc"

}  // namespace

extern const GemmF32Kernel kGemmF32Avx2{"gemm_f32_6x16_avx2", Isa::kAvx2, 6, 16, &gemm_f32_simd<VecAvx2, 6, 2>,
                                      &conv_f32_simd<VecAvx2, 6, 2>};
extern const DwConvF32Kernel kDwConvF32Avx2{"dwconv_f32_avx2", Isa::kAvx2, &dwconv_f32_simd<VecAvx2>};

}  // namespace edgekd
