// Exact TFLite requantization of 4 int32 accumulators in NEON, equal bit for bit to Requant::apply.
// vqrdmulhq_s32 is gemmlowp's SaturatingRoundingDoublingHighMul exactly (including INT_MIN * INT_MIN ->
// INT_MAX); vrshlq_s32 rounds half up, so negative values are first nudged down by one (gemmlowp's
// fixup) to make ties round away from zero as RoundingDivideByPOT does.
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
  const int32x4_t neg_right = vminq_s32(s, zero);  // -right, as vrshlq wants it
  const int32x4_t x = vshlq_s32(acc, left);        // wrapping left shift
  const int32x4_t h = vqrdmulhq_s32(x, vld1q_s32(mult));
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(h, neg_right), 31);  // -1 where h < 0 and right > 0
  const int32x4_t r = vrshlq_s32(vqaddq_s32(h, fixup), neg_right);
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
