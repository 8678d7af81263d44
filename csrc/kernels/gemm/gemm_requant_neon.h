// Exact requantization of 4 int32 accumulators in NEON, equal bit for bit to
// Requant::apply_gemm (LiteRT's conv/FC output stage): vqrdmulhq_s32 is (x*m + 2^30) >> 31 with INT_MIN^2
// saturating, vrshlq_s32 the rounding (half up) right shift, then zero point and clamp.
// Anonymous namespace: each ISA translation unit keeps its own copy (no cross-flag ODR merging).
#pragma once
#include <arm_neon.h>

#include <cstdint>

#include "kernels/kernels.h"

namespace edgekd {
namespace {

inline int8x8_t requant4_to_s8(int32x4_t acc, const int32_t* mult, const int32_t* shift, const OutputStage& os) {
  const int32x4_t s = vld1q_s32(shift);
  const int32x4_t zero = vdupq_n_s32(0);
  const int32x4_t left = vmaxq_s32(s, zero);
  const int32x4_t neg_right = vmaxq_s32(vminq_s32(s, zero), vdupq_n_s32(-31));  // -right, as vrshlq wants it
  const int32x4_t x = vshlq_s32(acc, left);          // wrapping left shift
  const int32x4_t h = vqrdmulhq_s32(x, vld1q_s32(mult));  // (x*m + 2^30) >> 31, INT_MIN^2 saturates
  const int32x4_t r = vrshlq_s32(h, neg_right);       // rounding half up, no intermediate overflow
  int32x4_t v = vaddq_s32(r, vdupq_n_s32(os.output_zero_point));
  v = vmaxq_s32(v, vdupq_n_s32(os.act_min));
  v = vminq_s32(v, vdupq_n_s32(os.act_max));
  const int16x4_t v16 = vqmovn_s32(v);
  return vqmovn_s16(vcombine_s16(v16, v16));
}

inline void store_s8x4(int8_t* dst, int8x8_t v, int count) {
  if (count == 4) {
    vst1_lane_s32(reinterpret_cast<int32_t*>(dst), vreinterpret_s32_s8(v), 0);
  } else {
    int8_t tmp[8];
    vst1_s8(tmp, v);
    for (int i = 0; i < count; ++i) dst[i] = tmp[i];
  }
}

}  // namespace
}  // namespace edgekd
