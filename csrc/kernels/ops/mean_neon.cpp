// MEAN over H and W, the NEON twin of mean_hw_s8_ref: the same blocks and requantization (mean.cpp), with
// the blocks of 16 channels summed in NEON registers. The sums are exact (mod 2^32, as the reference).
#include <arm_neon.h>

#include <cstdint>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {

// Up to 256 pixels add in int16 (|sum| <= 256 * 128 fits), then widen into the int32 totals.
void sum16_neon(const int8_t* src, int64_t stride, int64_t pixels, uint32_t* out) {
  uint32x4_t t0 = vdupq_n_u32(0), t1 = t0, t2 = t0, t3 = t0;
  for (int64_t done = 0; done < pixels;) {
    const int64_t count = pixels - done < 256 ? pixels - done : 256;
    int16x8_t lo = vdupq_n_s16(0), hi = lo;
    for (int64_t i = 0; i < count; ++i, src += stride) {
      const int8x16_t x = vld1q_s8(src);
      lo = vaddw_s8(lo, vget_low_s8(x));
      hi = vaddw_s8(hi, vget_high_s8(x));
    }
    t0 = vreinterpretq_u32_s32(vaddw_s16(vreinterpretq_s32_u32(t0), vget_low_s16(lo)));
    t1 = vreinterpretq_u32_s32(vaddw_s16(vreinterpretq_s32_u32(t1), vget_high_s16(lo)));
    t2 = vreinterpretq_u32_s32(vaddw_s16(vreinterpretq_s32_u32(t2), vget_low_s16(hi)));
    t3 = vreinterpretq_u32_s32(vaddw_s16(vreinterpretq_s32_u32(t3), vget_high_s16(hi)));
    done += count;
  }
  vst1q_u32(out, t0);
  vst1q_u32(out + 4, t1);
  vst1q_u32(out + 8, t2);
  vst1q_u32(out + 12, t3);
}

}  // namespace

void mean_hw_s8_neon(const MeanParams& p, const int8_t* in, int8_t* out, int c_begin, int c_end) {
  mean_hw_blocks(p, in, out, c_begin, c_end, &sum16_neon);
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
