// RESIZE_BILINEAR int8 on AVX2: 16 channels of one output pixel at a time, bit-exact with
// resize_bilinear_s8_ref. The two taps of a row interleave as int16 pairs, so one vpmaddwd per 8 channels
// computes a * (1024 - fx) + b * fx exactly (weights lie in [-512, 1536], taps in [-128, 127]); the two rows
// combine with vpmulld in int32 (|sum| < 2^31, see resize.cpp), and the rounding by 2^20 half away from zero
// is (|acc| + 2^19) >> 20 with acc's sign put back. Every result lies in int8 (a convex combination, or one
// pixel), so the saturating packs equal the reference's narrowing.
#include <immintrin.h>

#include "kernels/ops/resize_internal.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {

// a * wa + b * wb for 8 channels (the int16 pairs of lo / hi) of two rows' worth of taps.
inline __m256i row_pairs(const int8_t* pa, const int8_t* pb, __m256i wx, __m256i* hi) {
  const __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pa)));
  const __m256i b = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pb)));
  *hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), wx);
  return _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), wx);
}

inline __m256i round_2_20(__m256i acc) {
  const __m256i q = _mm256_srli_epi32(_mm256_add_epi32(_mm256_abs_epi32(acc), _mm256_set1_epi32(1 << 19)), 20);
  return _mm256_sign_epi32(q, acc);
}

}  // namespace

void resize_bilinear_s8_avx2(const ResizeParams& p, const int8_t* in, int8_t* out, int y_begin, int y_end) {
  const int C = p.channels;
  for_each_bilinear_pixel(p, in, out, y_begin, y_end, [C](const int8_t* r0, const int8_t* r1, int64_t c0,
                                                          int64_t c1, int32_t fx, int32_t fy, int8_t* o) {
    const __m256i wy0 = _mm256_set1_epi32(1024 - fy), wy1 = _mm256_set1_epi32(fy);
    const __m256i wx = _mm256_set1_epi32(static_cast<int32_t>((static_cast<uint32_t>(fx) << 16) |
                                                              static_cast<uint16_t>(1024 - fx)));
    int c = 0;
    for (; c + 16 <= C; c += 16) {
      __m256i top_hi, bottom_hi;
      const __m256i top_lo = row_pairs(r0 + c0 + c, r0 + c1 + c, wx, &top_hi);
      const __m256i bottom_lo = row_pairs(r1 + c0 + c, r1 + c1 + c, wx, &bottom_hi);
      const __m256i lo =
          round_2_20(_mm256_add_epi32(_mm256_mullo_epi32(top_lo, wy0), _mm256_mullo_epi32(bottom_lo, wy1)));
      const __m256i hi =
          round_2_20(_mm256_add_epi32(_mm256_mullo_epi32(top_hi, wy0), _mm256_mullo_epi32(bottom_hi, wy1)));
      // Per 128-bit lane: channels 0-7 | 8-15 as int16, then int8 in the low 8 bytes of each lane.
      const __m256i s8 = _mm256_packs_epi16(_mm256_packs_epi32(lo, hi), _mm256_setzero_si256());
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + c), _mm256_castsi256_si128(_mm256_permute4x64_epi64(s8, 0x08)));
    }
    for (; c < C; ++c) o[c] = bilinear_tap(r0[c0 + c], r0[c1 + c], r1[c0 + c], r1[c1 + c], fx, fy);
  });
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
