// Depthwise conv, NEON dot-product path (ARMv8.2 +dotprod): taps in groups of 4. The four taps' 16-channel
// rows are transposed with zip1/zip2 so each 32-bit lane holds one channel's 4 taps, then one sdot per 4
// channels accumulates the 4 products exactly in int32 (weights packed kQuadsS8 to match). The last
// taps % 4 taps run as on the neon path (smull + smlal pairs). Requantization and the row driver are
// shared with the neon path (dwconv_neon.inc, dwconv_driver.inc).
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

template <bool kPairs>
struct MacSdot {  // kQuadsS8 weights: per block, per whole group of 4 taps, 16 channels x 4 int8; then taps % 4
  static int block_bytes(int n) { return n * 16; }

  template <int NT, bool Tail>
  static inline void mac(const int8_t* const* taps, int n_rt, ptrdiff_t cofs, int count, const int8_t* w,
                         const TailGuard& g, int32x4_t acc[4]) {
    const int n = NT ? NT : n_rt;
    int t = 0;
    for (; t + 3 < n; t += 4, w += 64) {
      const int8x16_t x0 = load_tap<Tail>(taps[t], cofs, count, g);
      const int8x16_t x1 = load_tap<Tail>(taps[t + 1], cofs, count, g);
      const int8x16_t x2 = load_tap<Tail>(taps[t + 2], cofs, count, g);
      const int8x16_t x3 = load_tap<Tail>(taps[t + 3], cofs, count, g);
      // a: channel pairs (x0, x1), b: (x2, x3); zipping them as 16-bit lanes gives (x0, x1, x2, x3) per channel.
      const int16x8_t a_lo = vreinterpretq_s16_s8(vzip1q_s8(x0, x1));
      const int16x8_t a_hi = vreinterpretq_s16_s8(vzip2q_s8(x0, x1));
      const int16x8_t b_lo = vreinterpretq_s16_s8(vzip1q_s8(x2, x3));
      const int16x8_t b_hi = vreinterpretq_s16_s8(vzip2q_s8(x2, x3));
      acc[0] = vdotq_s32(acc[0], vreinterpretq_s8_s16(vzip1q_s16(a_lo, b_lo)), vld1q_s8(w));
      acc[1] = vdotq_s32(acc[1], vreinterpretq_s8_s16(vzip2q_s16(a_lo, b_lo)), vld1q_s8(w + 16));
      acc[2] = vdotq_s32(acc[2], vreinterpretq_s8_s16(vzip1q_s16(a_hi, b_hi)), vld1q_s8(w + 32));
      acc[3] = vdotq_s32(acc[3], vreinterpretq_s8_s16(vzip2q_s16(a_hi, b_hi)), vld1q_s8(w + 48));
    }
    mac_taps_s8<kPairs, Tail>(taps, t, n, cofs, count, w, g, acc);
  }

  template <int NT>
  static inline void mac8(const int8_t* const* taps, int n_rt, ptrdiff_t cofs, const int8_t* w, int32x4_t acc[4]) {
    const int n = NT ? NT : n_rt;
    int t = 0;
    for (; t + 3 < n; t += 4, w += 64) {
      // The low halves of the 16-channel interleave: channels 0-3 and 4-7, 4 taps each.
      const int8x16_t x0 = vcombine_s8(vld1_s8(taps[t] + cofs), vdup_n_s8(0));
      const int8x16_t x1 = vcombine_s8(vld1_s8(taps[t + 1] + cofs), vdup_n_s8(0));
      const int8x16_t x2 = vcombine_s8(vld1_s8(taps[t + 2] + cofs), vdup_n_s8(0));
      const int8x16_t x3 = vcombine_s8(vld1_s8(taps[t + 3] + cofs), vdup_n_s8(0));
      const int16x8_t a = vreinterpretq_s16_s8(vzip1q_s8(x0, x1));
      const int16x8_t b = vreinterpretq_s16_s8(vzip1q_s8(x2, x3));
      acc[0] = vdotq_s32(acc[0], vreinterpretq_s8_s16(vzip1q_s16(a, b)), vld1q_s8(w));
      acc[1] = vdotq_s32(acc[1], vreinterpretq_s8_s16(vzip2q_s16(a, b)), vld1q_s8(w + 16));
    }
    mac8_taps_s8<kPairs>(taps, t, n, cofs, w, acc);
  }
};

void pack_neondot(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out) {
  pack_simd(params, w, bias, Isa::kNeonDot, Layout::kQuadsS8, out);
}

// Depth multipliers > 1 run PathNeonMul (packed by pack_simd with the block indices).
template <class M>
void run_mac(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output, int oh_begin,
             int oh_end) {
  if (neon_multiplier(p.params, Layout::kQuadsS8)) {
    run_rows<PathNeonMul<M>, 0, 0>(p, g, input, output, oh_begin, oh_end);
  } else {
    run_simd<PathNeon<M>>(p, g, input, output, oh_begin, oh_end);
  }
}

void run_neondot(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output, int oh_begin,
        int oh_end) {
  if (p.no_min_weight) {
    run_mac<MacSdot<true>>(p, g, input, output, oh_begin, oh_end);
  } else {
    run_mac<MacSdot<false>>(p, g, input, output, oh_begin, oh_end);
  }
}

}  // namespace
}  // namespace dwconv

const DwConvKernel kDwConvNeonDot{"dwconv_neondot", Isa::kNeonDot, &dwconv::pack_neondot, &dwconv::run_neondot};

}  // namespace edgekd
