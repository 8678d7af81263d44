// Exact requantization of 8 int32 accumulators (one per output column) in AVX2, equal bit for bit to
// Requant::apply_gemm (LiteRT's conv/FC output stage): wrapping left shift, (x*m + 2^30) >> 31, a
// rounding (half up) right shift, + zero point, clamp.
// Included by the AVX2 and AVX-512 VNNI translation units (both compiled with -mavx2); the VNNI path
// requantizes its 512-bit accumulators as two 256-bit halves with this same code, so the requant it runs
// is the one the AVX2 tests check here.
// Everything is in an anonymous namespace: each ISA translation unit gets its own copy, so the linker can
// never pick an AVX-512-compiled copy for the AVX2 path (ODR merging of inline functions).
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace edgekd {
namespace {

// Per-column constants for 8 columns, derived from the output stage once per panel.
struct RequantCols8 {
  __m256i mult, left, right, right_m1;
  bool any_left;      // some column shifts left (TFLite multipliers > 1)
  bool any_int_min;   // some multiplier is INT_MIN (never from QuantizeMultiplier; kept exact anyway)
};

struct RequantRow {
  __m256i zp, lo, hi;
};

inline RequantCols8 requant_cols8(const int32_t* mult, const int32_t* shift) {
  RequantCols8 q;
  const __m256i zero = _mm256_setzero_si256();
  const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(shift));
  q.mult = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult));
  q.left = _mm256_max_epi32(s, zero);
  q.right = _mm256_min_epi32(_mm256_max_epi32(_mm256_sub_epi32(zero, s), zero), _mm256_set1_epi32(31));
  // right - 1 as a logical shift count: for right == 0 it is 0xFFFFFFFF, and vpsrlvd by >= 32 gives 0.
  q.right_m1 = _mm256_sub_epi32(q.right, _mm256_set1_epi32(1));
  q.any_left = !_mm256_testz_si256(q.left, q.left);
  q.any_int_min = _mm256_movemask_epi8(_mm256_cmpeq_epi32(q.mult, _mm256_set1_epi32(INT32_MIN))) != 0;
  return q;
}

inline RequantRow requant_row(int32_t zp, int32_t lo, int32_t hi) {
  return RequantRow{_mm256_set1_epi32(zp), _mm256_set1_epi32(lo), _mm256_set1_epi32(hi)};
}

// Requant::apply_gemm for 8 lanes. Returns the clamped results as int32 lanes (the caller packs them).
inline __m256i requant8(__m256i acc, const RequantCols8& q, const RequantRow& r) {
  const __m256i int_min = _mm256_set1_epi32(INT32_MIN);
  const __m256i x = q.any_left ? _mm256_sllv_epi32(acc, q.left) : acc;  // wraps like the uint32 shift
  // h = (x*m + 2^30) >> 31 (floor): bits 31..62 of the 64-bit sums of the even and odd lanes.
  const __m256i nudge = _mm256_set1_epi64x(INT64_C(1) << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, q.mult), nudge);
  const __m256i odd = _mm256_add_epi64(
      _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(q.mult, 32)), nudge);
  __m256i h = _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
  // INT_MIN * INT_MIN: the formula gives INT_MIN; the definition saturates to INT_MAX (= INT_MIN ^ ~0).
  if (q.any_int_min) {
    const __m256i sat = _mm256_and_si256(_mm256_cmpeq_epi32(x, int_min), _mm256_cmpeq_epi32(q.mult, int_min));
    h = _mm256_xor_si256(h, sat);
  }
  // Round half up without overflow: (h >> right) + bit (right - 1) of h.
  const __m256i half_bit = _mm256_and_si256(_mm256_srlv_epi32(h, q.right_m1), _mm256_set1_epi32(1));
  __m256i v = _mm256_add_epi32(_mm256_srav_epi32(h, q.right), half_bit);
  v = _mm256_add_epi32(v, r.zp);
  return _mm256_min_epi32(_mm256_max_epi32(v, r.lo), r.hi);
}

// 16 clamped int32 lanes (in [-128, 127]) to 16 int8 in column order.
inline __m128i pack16_s32_to_s8(__m256i lo8, __m256i hi8) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo8, hi8), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

// Stores `count` (1..16) bytes of v.
inline void store_s8(int8_t* dst, __m128i v, int count) {
  if (count == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
    for (int i = 0; i < count; ++i) dst[i] = tmp[i];
  }
}

}  // namespace
}  // namespace edgekd
