// MEAN over H and W, the x86 twin of mean_hw_s8_ref: the same blocks and requantization (mean.cpp), with
// the blocks of 16 channels summed in SSE2 registers. The sums are exact (mod 2^32, as the reference).
#include <emmintrin.h>

#include <cstdint>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {

// Up to 256 pixels add in int16 (|sum| <= 256 * 128 fits), then widen into the int32 totals.
void sum16_sse2(const int8_t* src, int64_t stride, int64_t pixels, uint32_t* out) {
  const __m128i zero = _mm_setzero_si128();
  __m128i t0 = zero, t1 = zero, t2 = zero, t3 = zero;
  for (int64_t done = 0; done < pixels;) {
    const int64_t count = pixels - done < 256 ? pixels - done : 256;
    __m128i lo = zero, hi = zero;
    for (int64_t i = 0; i < count; ++i, src += stride) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
      lo = _mm_add_epi16(lo, _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8));
      hi = _mm_add_epi16(hi, _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8));
    }
    t0 = _mm_add_epi32(t0, _mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 16));
    t1 = _mm_add_epi32(t1, _mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 16));
    t2 = _mm_add_epi32(t2, _mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 16));
    t3 = _mm_add_epi32(t3, _mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 16));
    done += count;
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), t0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), t1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), t2);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 12), t3);
}

}  // namespace

void mean_hw_s8_avx2(const MeanParams& p, const int8_t* in, int8_t* out, int c_begin, int c_end) {
  mean_hw_blocks(p, in, out, c_begin, c_end, &sum16_sse2);
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
