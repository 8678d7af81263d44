// Peak loop for ARMv8.0 NEON: the GEMM kernel's instruction pair, smull + sadalp (8 MACs per pair),
// 8 independent chains, in asm so the chains stay in registers.
#include <cstdint>

#include "peak.h"

namespace edgekd {
namespace {

uint64_t loop_neon(uint64_t iterations, int32_t* sink) {
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
      "1:\n\t"
      "smull v8.8h, v20.8b, v21.8b\n\t"
      "sadalp v0.4s, v8.8h\n\t"
      "smull v9.8h, v20.8b, v21.8b\n\t"
      "sadalp v1.4s, v9.8h\n\t"
      "smull v10.8h, v20.8b, v21.8b\n\t"
      "sadalp v2.4s, v10.8h\n\t"
      "smull v11.8h, v20.8b, v21.8b\n\t"
      "sadalp v3.4s, v11.8h\n\t"
      "smull v12.8h, v20.8b, v21.8b\n\t"
      "sadalp v4.4s, v12.8h\n\t"
      "smull v13.8h, v20.8b, v21.8b\n\t"
      "sadalp v5.4s, v13.8h\n\t"
      "smull v14.8h, v20.8b, v21.8b\n\t"
      "sadalp v6.4s, v14.8h\n\t"
      "smull v15.8h, v20.8b, v21.8b\n\t"
      "sadalp v7.4s, v15.8h\n\t"
      "subs %0, %0, #1\n\t"
      "b.ne 1b\n\t"
      : "+r"(n)
      :
      : "cc", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23");
  *sink ^= static_cast<int32_t>(n);
  return iterations * 8 * 8;
}

}  // namespace

extern const PeakLoop kPeakNeon{Isa::kNeon, &loop_neon,
                                "smull+sadalp (8 int8 MACs per instruction pair, independent)", 4};

}  // namespace edgekd
