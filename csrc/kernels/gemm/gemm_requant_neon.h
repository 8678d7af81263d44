// Exact requantization of int32 accumulators in NEON, equal bit for bit to Requant::apply_gemm (LiteRT's
// conv/FC output stage): vqrdmulhq_s32 is (x*m + 2^30) >> 31 with INT_MIN^2 saturating, vrshlq_s32 the
// rounding (half up) right shift without intermediate overflow, then the zero point (an int32 add that
// wraps like the definition's) and the clamp.
// The column parameters (multiplier, left shift, negated right shift) are loaded once per tile and serve
// every row of it; the narrowing to int8 saturates twice (int32 -> int16 -> int8), which keeps every value
// outside [-128, 127] outside it on the same side, so one int8 clamp after it equals the int32 clamp.
// Per 16 outputs: 12 (16 with left shifts) arithmetic ops, 6 narrowing ops and 2 for the clamp.
// Anonymous namespace: each ISA translation unit keeps its own copy (no cross-flag ODR merging).
#pragma once
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "kernels/kernels.h"

namespace edgekd {
namespace {

// The output stage of 4 columns, ready for vector use.
struct RequantCols4 {
  int32x4_t left;       // max(shift, 0)
  int32x4_t mult;
  int32x4_t neg_right;  // -min(-shift, 31) where shift < 0, else 0: vrshlq_s32 shifts right by it
};

inline RequantCols4 load_requant_cols4(const int32_t* mult, const int32_t* shift) {
  const int32x4_t s = vld1q_s32(shift);
  const int32x4_t zero = vdupq_n_s32(0);
  return {vmaxq_s32(s, zero), vld1q_s32(mult), vmaxq_s32(vminq_s32(s, zero), vdupq_n_s32(-31))};
}

// The zero point and the clamp bounds, once per tile.
struct RequantConsts {
  int32x4_t zero_point;
  int8x16_t lo, hi;
};

inline RequantConsts load_requant_consts(const OutputStage& os) {
  return {vdupq_n_s32(os.output_zero_point), vdupq_n_s8(static_cast<int8_t>(os.act_min)),
          vdupq_n_s8(static_cast<int8_t>(os.act_max))};
}

// Whether some column of [n_begin, n_end) shifts left: only then the kernels instantiate the wrapping left
// shift (kLeft), which LiteRT's multipliers below 0.5 (the usual case) never need.
inline bool any_left_shift(const OutputStage& os, int n_begin, int n_end) {
  const int32_t* s = os.shift.data();
  int j = n_begin;
  int32x4_t most = vdupq_n_s32(0);
  for (; j + 4 <= n_end; j += 4) most = vmaxq_s32(most, vld1q_s32(s + j));
  int32_t m = vmaxvq_s32(most);
  for (; j < n_end; ++j) m = s[j] > m ? s[j] : m;
  return m > 0;
}

// requant(acc) + zero point, in int32 (not yet clamped).
template <bool kLeft>
inline int32x4_t requant4(int32x4_t acc, const RequantCols4& q, const RequantConsts& k) {
  if (kLeft) acc = vshlq_s32(acc, q.left);  // wrapping left shift, as the definition's uint32 shift
  return vaddq_s32(vrshlq_s32(vqrdmulhq_s32(acc, q.mult), q.neg_right), k.zero_point);
}

// Four requantized vectors to 16 int8, clamped.
inline int8x16_t narrow_clamp16(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d, const RequantConsts& k) {
  const int16x8_t ab = vqmovn_high_s32(vqmovn_s32(a), b);
  const int16x8_t cd = vqmovn_high_s32(vqmovn_s32(c), d);
  return vminq_s8(vmaxq_s8(vqmovn_high_s16(vqmovn_s16(ab), cd), k.lo), k.hi);
}

// Copies n (0 <= n < kLimit <= 16) bytes in fixed-size pieces (a variable-size memcpy is a library call;
// partial panels, e.g. 8 output channels, meet this on every row).
template <int kLimit>
inline void copy_short(int8_t* dst, const int8_t* src, int n) {
  int i = 0;
  if (kLimit > 8 && (n & 8)) { std::memcpy(dst, src, 8); i = 8; }
  if (kLimit > 4 && (n & 4)) { std::memcpy(dst + i, src + i, 4); i += 4; }
  if (kLimit > 2 && (n & 2)) { std::memcpy(dst + i, src + i, 2); i += 2; }
  if (n & 1) dst[i] = src[i];
}

// Stores the first `count` (0..16) bytes of v.
inline void store_s8_partial(int8_t* dst, int8x16_t v, int count) {
  if (count == 16) {
    vst1q_s8(dst, v);
    return;
  }
  int8_t tmp[16];
  vst1q_s8(tmp, v);
  copy_short<16>(dst, tmp, count);
}

// The output stage of the last panel of nr columns covering [.., n_end), zero-padded to nr values (when
// n_end is not a multiple of nr: the output stage holds exactly n values).
inline void pad_last_panel(const OutputStage& os, int n_end, int nr, int32_t* mult, int32_t* shift) {
  const int col0 = (n_end - 1) / nr * nr;
  for (int j = 0; j < nr; ++j) {
    mult[j] = col0 + j < n_end ? os.multiplier[col0 + j] : 0;
    shift[j] = col0 + j < n_end ? os.shift[col0 + j] : 0;
  }
}

}  // namespace
}  // namespace edgekd
