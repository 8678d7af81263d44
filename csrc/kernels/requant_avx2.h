// Exact requantization of 8 int32 accumulators (one per output column) in AVX2, equal bit for bit to
// Requant::apply_gemm (LiteRT's conv/FC output stage): wrapping left shift, h = (x*m + 2^30) >> 31, a
// rounding (half up) right shift by r, + zero point, clamp.
//
// The two roundings fold into one 64-bit shift. Nested floor divisions compose and 2^(r-1) is an integer,
// so for r >= 1
//   floor((floor((x*m + 2^30) / 2^31) + 2^(r-1)) / 2^r) = floor((x*m + 2^30 + 2^(30+r)) / 2^(31+r)),
// and for r = 0 it is floor((x*m + 2^30) / 2^31). |x*m| <= 2^62 and the nudge is below 2^62, so the sum
// fits in int64. AVX2 has no 64-bit arithmetic right shift: adding 2^63 makes the sum non-negative, and a
// logical shift by s = 31 + r then gives floor(sum / 2^s) + 2^(63-s) exactly. The low 32 bits are the
// result plus 2^(32-r) (0 mod 2^32 for r = 0), which is subtracted together with adding the zero point.
// The one case where h itself is not the formula's, INT_MIN * INT_MIN (the definition saturates to
// INT_MAX), differs only for r = 0 (for r >= 1 both round to 2^(31-r)) and is patched in those lanes.
// For r >= 1 the odd columns shift by r - 1 instead of 31 + r: bits [31 + r, 63 + r) of their sums then
// sit in the high dwords, already where the odd columns go, and one blend merges them with the even ones
// (9 instructions per 8 columns instead of 10; r = 0 takes the general form).
//
// The per-column constants depend only on the output stage, so callers build them once per panel.
// Clamping happens after the saturating int32 -> int8 pack: the pack saturates to [-128, 127], which
// contains the activation range, so clamp(saturate(v)) = clamp(v), and a full range needs no clamp at all.
//
// Included by the AVX2 and AVX-512 VNNI translation units of the GEMM and of depthwise (whose channels in
// whole groups of 8 have this same output stage); the VNNI GEMM requantizes its 512-bit accumulators as
// two 256-bit halves with this code, so the requant it runs is the one the AVX2 tests check here.
// Everything is in an anonymous namespace: each ISA translation unit gets its own copy, so the linker can
// never pick an AVX-512-compiled copy for the AVX2 path (ODR merging of inline functions).
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace edgekd {
namespace {

// Per-column constants for 8 columns. Even lanes (0, 2, 4, 6) and odd lanes run through separate 64-bit
// multiplies, so their 64-bit constants are kept apart: *_even[q] belongs to column 2q, *_odd[q] to 2q+1.
struct RequantCols8 {
  __m256i mult;        // the multipliers; vpmuldq reads the low (even) dword of each qword
  __m256i mult_odd;    // the odd columns' multipliers moved to the low dword
  __m256i nudge_even;  // 2^63 + 2^30 + (r ? 2^(30+r) : 0)
  __m256i nudge_odd;
  __m256i shift_even;  // 31 + r
  __m256i shift_odd;
  __m256i shift_odd_hi;  // r - 1 (used only when every column has r >= 1)
  __m256i left;        // left shift per column (TFLite multipliers > 1), 0 for right shifts
  __m256i offset;      // zero point - 2^(32-r), mod 2^32
  __m256i sat;         // all ones where mult == INT_MIN and r == 0 (INT_MIN * INT_MIN saturates there)
  bool any_left;
  bool any_sat;
  bool any_r0;  // some column has r = 0 (no right shift after the high multiply)
  // requant8<false> leaves out the left shift and the INT_MIN patch and moves the odd columns with
  // shift_odd_hi; it is exact only when none of these holds.
  bool general() const { return any_left || any_sat || any_r0; }
};

// mult, shift: 8 columns. zero_point: the output zero point (folded into `offset`).
inline RequantCols8 requant_cols8(const int32_t* mult, const int32_t* shift, int32_t zero_point) {
  RequantCols8 q;
  const __m256i zero = _mm256_setzero_si256();
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(shift));
  q.mult = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult));
  q.mult_odd = _mm256_srli_epi64(q.mult, 32);
  q.left = _mm256_max_epi32(s, zero);
  const __m256i r = _mm256_min_epi32(_mm256_max_epi32(_mm256_sub_epi32(zero, s), zero), _mm256_set1_epi32(31));
  const __m256i r_is0 = _mm256_cmpeq_epi32(r, zero);
  // 2^(30+r) for r >= 1, as 64-bit lanes: 1 << (30 + r) in 64 bits; masked off for r == 0.
  const __m256i r_even = _mm256_and_si256(r, _mm256_set1_epi64x(0xFFFFFFFF));
  const __m256i r_odd = _mm256_srli_epi64(r, 32);
  const __m256i keep_even = _mm256_andnot_si256(_mm256_cmpeq_epi64(r_even, zero), _mm256_set1_epi64x(-1));
  const __m256i keep_odd = _mm256_andnot_si256(_mm256_cmpeq_epi64(r_odd, zero), _mm256_set1_epi64x(-1));
  const __m256i base = _mm256_set1_epi64x(static_cast<int64_t>((UINT64_C(1) << 63) + (UINT64_C(1) << 30)));
  const __m256i c30 = _mm256_set1_epi64x(30);
  const __m256i c31 = _mm256_set1_epi64x(31);
  const __m256i one64 = _mm256_set1_epi64x(1);
  q.nudge_even = _mm256_add_epi64(
      base, _mm256_and_si256(keep_even, _mm256_sllv_epi64(one64, _mm256_add_epi64(r_even, c30))));
  q.nudge_odd = _mm256_add_epi64(
      base, _mm256_and_si256(keep_odd, _mm256_sllv_epi64(one64, _mm256_add_epi64(r_odd, c30))));
  q.shift_even = _mm256_add_epi64(r_even, c31);
  q.shift_odd = _mm256_add_epi64(r_odd, c31);
  q.shift_odd_hi = _mm256_sub_epi64(r_odd, _mm256_set1_epi64x(1));
  // 2^(32-r) mod 2^32: 1 << (32 - r) as a 32-bit shift, which is 0 for r == 0 (count 32).
  const __m256i corr = _mm256_sllv_epi32(one, _mm256_sub_epi32(_mm256_set1_epi32(32), r));
  q.offset = _mm256_sub_epi32(_mm256_set1_epi32(zero_point), corr);
  q.sat = _mm256_and_si256(_mm256_cmpeq_epi32(q.mult, _mm256_set1_epi32(INT32_MIN)), r_is0);
  q.any_left = !_mm256_testz_si256(q.left, q.left);
  q.any_sat = !_mm256_testz_si256(q.sat, q.sat);
  q.any_r0 = !_mm256_testz_si256(r_is0, r_is0);
  return q;
}

// Requant::apply_gemm for 8 lanes, before the clamp: returns wrap_add(requantized, zero point) as int32
// lanes; pack16_s32_to_s8 / pack8_s32_to_s8 saturate them and clamp_s8 applies the activation range.
// kGeneral = false is for callers that checked general() false once for a whole tile: it leaves out the
// left shift and the INT_MIN patch and merges the odd columns with one blend.
template <bool kGeneral = true>
inline __m256i requant8(__m256i acc, const RequantCols8& q) {
  const __m256i x = kGeneral && q.any_left ? _mm256_sllv_epi32(acc, q.left) : acc;  // wraps like the uint32 shift
  const __m256i even = _mm256_srlv_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, q.mult), q.nudge_even), q.shift_even);
  const __m256i odd_sum = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), q.mult_odd), q.nudge_odd);
  if constexpr (!kGeneral) {
    // Odd columns' results land in the high dwords (r >= 1): low dwords from `even`, high from `odd`.
    const __m256i odd = _mm256_srlv_epi64(odd_sum, q.shift_odd_hi);
    return _mm256_add_epi32(_mm256_blend_epi32(even, odd, 0xAA), q.offset);
  }
  const __m256i odd = _mm256_srlv_epi64(odd_sum, q.shift_odd);
  // Low dword of each qword: even lanes from `even`, odd lanes from `odd` moved up.
  __m256i v = _mm256_blend_epi32(even, _mm256_shuffle_epi32(odd, 0xA0), 0xAA);
  if (q.any_sat) {
    // The formula gives INT_MIN there (2^31 mod 2^32); the definition gives INT_MAX = INT_MIN ^ ~0.
    const __m256i hit = _mm256_and_si256(_mm256_cmpeq_epi32(x, _mm256_set1_epi32(INT32_MIN)), q.sat);
    v = _mm256_xor_si256(v, hit);
  }
  return _mm256_add_epi32(v, q.offset);
}

#include "kernels/requant_avx2_asm.h"  // EK_RQ8: the same steps as assembly text

// The activation clamp, applied to int8 lanes after the saturating pack.
struct RequantClamp {
  __m128i lo, hi;
  bool active;  // false when the range is all of int8: the pack's saturation is the clamp
};

inline RequantClamp requant_clamp(int32_t act_min, int32_t act_max) {
  const int32_t lo = act_min < -128 ? -128 : act_min;
  const int32_t hi = act_max > 127 ? 127 : act_max;
  return RequantClamp{_mm_set1_epi8(static_cast<char>(lo)), _mm_set1_epi8(static_cast<char>(hi)),
                      lo > -128 || hi < 127};
}

inline __m128i clamp_s8(__m128i v, const RequantClamp& c) {
  return c.active ? _mm_min_epi8(_mm_max_epi8(v, c.lo), c.hi) : v;
}

// 16 int32 lanes to 16 int8 (signed saturation) in column order.
inline __m128i pack16_s32_to_s8(__m256i lo8, __m256i hi8) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo8, hi8), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

// Four groups of 8 int32 lanes to 32 int8 (signed saturation): the bytes of v0, then v1, v2, v3, each in
// column order. Two rows of a 16-column tile (v0, v1 one row; v2, v3 the next) or four rows of an 8-column
// one, at 4 instructions per 32 outputs.
inline __m256i pack32_s32_to_s8(__m256i v0, __m256i v1, __m256i v2, __m256i v3) {
  // After the two in-lane packs, dword d of the 128-bit lane L holds lanes 4L..4L+3 of v_d.
  const __m256i w = _mm256_packs_epi16(_mm256_packs_epi32(v0, v1), _mm256_packs_epi32(v2, v3));
  return _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

inline __m256i clamp_s8x32(__m256i v, const RequantClamp& c) {
  if (!c.active) return v;
  const __m256i lo = _mm256_broadcastsi128_si256(c.lo), hi = _mm256_broadcastsi128_si256(c.hi);
  return _mm256_min_epi8(_mm256_max_epi8(v, lo), hi);
}

// 8 int32 lanes to 8 int8 (signed saturation) in the low 8 bytes, column order.
inline __m128i pack8_s32_to_s8(__m256i v) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return _mm_packs_epi16(w, w);
}

// Stores `count` (1..8) bytes: the low 8 bytes of v.
inline void store_s8x8(int8_t* dst, __m128i v, int count) {
  if (count == 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), v);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
    for (int i = 0; i < count; ++i) dst[i] = tmp[i];
  }
}

// Stores `count` (1..16) bytes of v.
inline void store_s8(int8_t* dst, __m128i v, int count) {
  if (count == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v);
  } else if (count == 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), v);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
    for (int i = 0; i < count; ++i) dst[i] = tmp[i];
  }
}

}  // namespace
}  // namespace edgekd
