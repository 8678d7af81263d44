// RESIZE_BILINEAR int8 on NEON: 8 channels of one output pixel at a time, bit-exact with
// resize_bilinear_s8_ref (same arithmetic as resize_bilinear_avx2.cpp): taps widened to int16, the x step
// as int16 x int16 -> int32 multiply-accumulates (weights lie in [-512, 1536]), the y step in int32
// (|sum| < 2^31), then (|acc| + 2^19) >> 20 with acc's sign put back and a narrowing that never saturates
// (every result lies in int8).
#include <arm_neon.h>

#include "kernels/ops/resize_internal.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {

inline int32x4_t round_2_20(int32x4_t acc) {
  const int32x4_t q = vreinterpretq_s32_u32(
      vshrq_n_u32(vreinterpretq_u32_s32(vaddq_s32(vabsq_s32(acc), vdupq_n_s32(1 << 19))), 20));
  return vbslq_s32(vcltq_s32(acc, vdupq_n_s32(0)), vnegq_s32(q), q);
}

// Rows r0 / r1 of 4 channels (int16 taps a, b of each row) to the rounded output.
inline int32x4_t pixel4(int16x4_t a0, int16x4_t b0, int16x4_t a1, int16x4_t b1, int16_t wx0, int16_t wx1,
                        int32_t wy0, int32_t wy1) {
  const int32x4_t top = vmlal_n_s16(vmull_n_s16(a0, wx0), b0, wx1);
  const int32x4_t bottom = vmlal_n_s16(vmull_n_s16(a1, wx0), b1, wx1);
  return round_2_20(vmlaq_n_s32(vmulq_n_s32(top, wy0), bottom, wy1));
}

}  // namespace

void resize_bilinear_s8_neon(const ResizeParams& p, const int8_t* in, int8_t* out, int y_begin, int y_end) {
  const int C = p.channels;
  for_each_bilinear_pixel(p, in, out, y_begin, y_end, [C](const int8_t* r0, const int8_t* r1, int64_t c0,
                                                          int64_t c1, int32_t fx, int32_t fy, int8_t* o) {
    const int16_t wx0 = static_cast<int16_t>(1024 - fx), wx1 = static_cast<int16_t>(fx);
    const int32_t wy0 = 1024 - fy, wy1 = fy;
    int c = 0;
    for (; c + 8 <= C; c += 8) {
      const int16x8_t a0 = vmovl_s8(vld1_s8(r0 + c0 + c)), b0 = vmovl_s8(vld1_s8(r0 + c1 + c));
      const int16x8_t a1 = vmovl_s8(vld1_s8(r1 + c0 + c)), b1 = vmovl_s8(vld1_s8(r1 + c1 + c));
      const int32x4_t lo = pixel4(vget_low_s16(a0), vget_low_s16(b0), vget_low_s16(a1), vget_low_s16(b1), wx0, wx1,
                                  wy0, wy1);
      const int32x4_t hi = pixel4(vget_high_s16(a0), vget_high_s16(b0), vget_high_s16(a1), vget_high_s16(b1), wx0,
                                  wx1, wy0, wy1);
      vst1_s8(o + c, vqmovn_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi))));
    }
    for (; c < C; ++c) o[c] = bilinear_tap(r0[c0 + c], r0[c1 + c], r1[c0 + c], r1[c1 + c], fx, fy);
  });
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
