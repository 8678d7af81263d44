// Peak loop for ARMv8.2 dotprod: 12 independent sdot chains (16 MACs each), in asm so the chains stay in
// registers.
#include <cstdint>

#include "peak.h"

namespace edgekd {
namespace {

void chains_neondot(uint64_t& n) {
  __asm__ volatile(
      EDGEKD_PEAK_NEON_SETUP
      "movi v8.4s, #0\n\t"
      "movi v9.4s, #0\n\t"
      "movi v10.4s, #0\n\t"
      "movi v11.4s, #0\n\t"
      "1:\n\t"
      "sdot v0.4s, v20.16b, v21.16b\n\t"
      "sdot v1.4s, v20.16b, v21.16b\n\t"
      "sdot v2.4s, v20.16b, v21.16b\n\t"
      "sdot v3.4s, v20.16b, v21.16b\n\t"
      "sdot v4.4s, v20.16b, v21.16b\n\t"
      "sdot v5.4s, v20.16b, v21.16b\n\t"
      "sdot v6.4s, v20.16b, v21.16b\n\t"
      "sdot v7.4s, v20.16b, v21.16b\n\t"
      "sdot v8.4s, v20.16b, v21.16b\n\t"
      "sdot v9.4s, v20.16b, v21.16b\n\t"
      "sdot v10.4s, v20.16b, v21.16b\n\t"
      "sdot v11.4s, v20.16b, v21.16b\n\t"
      "subs %0, %0, #1\n\t"
      "b.ne 1b\n\t"
      : "+r"(n)
      :
      : EDGEKD_PEAK_NEON_CLOBBERS);
}

}  // namespace

extern const PeakLoop kPeakNeonDot{Isa::kNeonDot, &peak_loop<chains_neondot, 12 * 16>,
    "sdot q (16 int8 MACs, independent)", 16};

}  // namespace edgekd
