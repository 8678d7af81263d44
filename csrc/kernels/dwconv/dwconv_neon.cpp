// Depthwise conv, NEON path (ARMv8.0 ASIMD): per tap, smull int8 x int8 -> int16 (exact, |x|,|w| <= 128)
// and saddw into four int32x4 accumulators per block of 16 channels. Requantization and the row driver are
// shared with the neondot path (dwconv_neon.inc, dwconv_driver.inc); packing is in dwconv_pack.cpp.
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_internal.h"

namespace edgekd {
namespace dwconv {
namespace {

#include "kernels/dwconv/dwconv_driver.inc"
#include "kernels/dwconv/dwconv_neon.inc"

struct MacSmull {  // kTapsS8 weights: per block, per tap, 16 int8
  static int block_bytes(int n) { return n * 16; }

  template <int NT, bool Tail>
  static inline void mac(const int8_t* const* taps, int n_rt, ptrdiff_t cofs, int count, const int8_t* w,
                         const TailGuard& g, int32x4_t acc[4]) {
    const int n = NT ? NT : n_rt;
    for (int t = 0; t < n; ++t, w += 16) {
      const int8x16_t x = load_tap<Tail>(taps[t], cofs, count, g);
      const int8x16_t wv = vld1q_s8(w);
      const int16x8_t p0 = vmull_s8(vget_low_s8(x), vget_low_s8(wv));
      const int16x8_t p1 = vmull_high_s8(x, wv);
      acc[0] = vaddw_s16(acc[0], vget_low_s16(p0));
      acc[1] = vaddw_high_s16(acc[1], p0);
      acc[2] = vaddw_s16(acc[2], vget_low_s16(p1));
      acc[3] = vaddw_high_s16(acc[3], p1);
    }
  }
};

void pack_neon(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out) {
  pack_simd(params, w, bias, Isa::kNeon, Layout::kTapsS8, out);
}

}  // namespace
}  // namespace dwconv

const DwConvKernel kDwConvNeon{"dwconv_neon", Isa::kNeon, &dwconv::pack_neon,
                               &dwconv::run_simd<dwconv::PathNeon<dwconv::MacSmull>>};

}  // namespace edgekd
