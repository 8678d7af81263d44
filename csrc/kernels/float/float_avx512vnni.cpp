// float32 GEMM (8 rows by two 16-column panels: 16 accumulators, broadcasts folded into the FMAs) and depthwise
// kernels for AVX-512F (float_simd.inc). The file carries the avx512vnni path's name and flags; the kernels use
// AVX-512F only.
#include <immintrin.h>

#include <algorithm>

#include "kernels/float/float_kernels.h"

namespace edgekd {
namespace {

struct VecAvx512 {
  using R = __m512;
  static constexpr int L = 16;
  static constexpr int kAccumulators = 16, kDwPixels = 8;  // of 32 registers
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static __mmask16 mask(int n) { return static_cast<__mmask16>((1u << n) - 1); }
  static R load_n(const float* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void store_n(float* p, R v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  // The masked forms: GCC 12 warns that the plain ones read an uninitialized register (_mm512_undefined_ps).
  static R max(R a, R b) { return _mm512_maskz_max_ps(0xffff, a, b); }
  static R min(R a, R b) { return _mm512_maskz_min_ps(0xffff, a, b); }
};

#include "kernels/float/float_simd.inc"

}  // namespace

extern const GemmF32Kernel kGemmF32Avx512Vnni{"gemm_f32_8x16_avx512vnni", Isa::kAvx512Vnni, 8, 16,
                                               &gemm_f32_simd<VecAvx512, 8, 1>,
                                               &conv_f32_simd<VecAvx512, 8, 1>};
extern const DwConvF32Kernel kDwConvF32Avx512Vnni{"dwconv_f32_avx512vnni", Isa::kAvx512Vnni,
                                                  &dwconv_f32_simd<VecAvx512>};

}  // namespace edgekd
