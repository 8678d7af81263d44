// Peak loop for ARMv8.0 NEON: the GEMM kernel's instruction pair, smull + sadalp (8 MACs per pair),
// 8 independent chains, in asm so the chains stay in registers.
#include <cstdint>

#include "peak.h"

namespace edgekd {
namespace {

void chains_neon(uint64_t& n) {
  __asm__ volatile(
      EDGEKD_PEAK_NEON_SETUP
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
      : EDGEKD_PEAK_NEON_CLOBBERS);
}

}  // namespace

extern const PeakLoop kPeakNeon{Isa::kNeon, &peak_loop<chains_neon, 8 * 8>,
    "smull+sadalp (8 int8 MACs per instruction pair, independent)", 4};

}  // namespace edgekd
