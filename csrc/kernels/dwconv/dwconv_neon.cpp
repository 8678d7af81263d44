// Depthwise conv, NEON path (ARMv8.0 ASIMD): per pair of taps, smull + smlal int8 x int8 -> int16 (exact
// unless a weight is -128: then one tap at a time) and saddw into four int32x4 accumulators per block of 16
// channels. Requantization and the row driver are
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

template <bool kPairs>
struct MacSmull {  // kTapsS8 weights: per block, per tap, 16 int8
  static int block_bytes(int n) { return n * 16; }

  template <int NT, bool Tail>
  static inline void mac(const int8_t* const* taps, int n_rt, ptrdiff_t cofs, int count, const int8_t* w,
                         const TailGuard& g, int32x4_t acc[4]) {
    mac_taps_s8<kPairs, Tail>(taps, 0, NT ? NT : n_rt, cofs, count, w, g, acc);
  }

  template <int NT>
  static inline void mac8(const int8_t* const* taps, int n_rt, ptrdiff_t cofs, const int8_t* w, int32x4_t acc[4]) {
    mac8_taps_s8<kPairs>(taps, 0, NT ? NT : n_rt, cofs, w, acc);
  }
};

void pack_neon(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out) {
  pack_simd(params, w, bias, Isa::kNeon, Layout::kTapsS8, out);
}

// Depth multipliers > 1 run PathNeonMul (packed by pack_simd with the block indices).
template <class M>
void run_mac(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output, int oh_begin,
             int oh_end) {
  if (neon_multiplier(p.params, Layout::kTapsS8)) {
    run_rows<PathNeonMul<M>, 0, 0>(p, g, input, output, oh_begin, oh_end);
  } else {
    run_simd<PathNeon<M>>(p, g, input, output, oh_begin, oh_end);
  }
}

void run_neon(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output, int oh_begin,
     int oh_end) {
  if (p.no_min_weight) {
    run_mac<MacSmull<true>>(p, g, input, output, oh_begin, oh_end);
  } else {
    run_mac<MacSmull<false>>(p, g, input, output, oh_begin, oh_end);
  }
}

}  // namespace
}  // namespace dwconv

const DwConvKernel kDwConvNeon{"dwconv_neon", Isa::kNeon, &dwconv::pack_neon, &dwconv::run_neon};

}  // namespace edgekd
