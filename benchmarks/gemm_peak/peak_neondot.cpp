// Peak loop for ARMv8.2 dotprod: 12 independent sdot chains (16 MACs each), in asm so the chains stay in
// registers.
#include <cstdint>

#include "peak.h"

namespace edgekd {
namespace {

uint64_t loop_neondot(uint64_t iterations, int32_t* sink) {
  if (iterations == 0) return 0;
  uint64_t n = iterations;
  __asm__ volatile(
      "movi v20.16b, #1\n\t"
      "movi v21.16b, #2\n\t"
      "movi v0.4s, #0\n\t"
      "movi v1.4s, #0\n\t"
      "movi v2.4s, #0\n\t"
      "movi v3.4s, #0\n\t"
      "movi v4.4s, #0\n\t"
      "movi v5.4s, #0\n\t"
      "movi v6.4s, #0\n\t"
      "movi v7.4s, #0\n\t"
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
      : "cc", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23");
  *sink ^= static_cast<int32_t>(n);
  return iterations * 12 * 16;
}

}  // namespace

extern const PeakLoop kPeakNeonDot{Isa::kNeonDot, &loop_neondot, "sdot q (16 int8 MACs, independent)", 16};

}  // namespace edgekd
