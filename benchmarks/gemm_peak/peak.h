// The int8 multiply-accumulate peak of one core, for quoting GEMM speed as a fraction of it (bench_gemm.py
// runs the gemm_peak executable in the same session as the GEMMs: clock, turbo and noisy neighbours affect
// both alike). Not part of the shipped library.
#pragma once
#include <cstdint>

#include "edgekd/cpu.h"

namespace edgekd {

// A path's peak loop: runs `iterations` rounds of its unrolled block of independent multiply-accumulate
// instructions and returns the MACs done (and a value that depends on every result, so nothing is
// optimised away, through *sink).
struct PeakLoop {
  Isa isa;
  uint64_t (*loop)(uint64_t iterations, int32_t* sink);
  const char* instruction;
  int macs_per_instruction;
};

// The driver every peak loop shares: `Chains(n)` is the path's asm block of independent chains, which
// counts `n` (iterations) down to zero; the count is folded into *sink so the compiler keeps the block.
template <void (*Chains)(uint64_t& n), uint64_t kMacsPerIteration>
uint64_t peak_loop(uint64_t iterations, int32_t* sink) {
  if (iterations == 0) return 0;
  uint64_t n = iterations;
  Chains(n);
  *sink ^= static_cast<int32_t>(n);
  return iterations * kMacsPerIteration;
}

// The NEON loops' common asm: v20/v21 hold the int8 operands, v0-v7 start the first eight chains, and
// both loops clobber the same registers; the setup ends at the loop head (label 1).
#define EDGEKD_PEAK_NEON_SETUP                                                                              \
  "movi v20.16b, #1\n\t"                                                                                     \
  "movi v21.16b, #2\n\t"                                                                                     \
  "movi v0.4s, #0\n\t"                                                                                       \
  "movi v1.4s, #0\n\t"                                                                                       \
  "movi v2.4s, #0\n\t"                                                                                       \
  "movi v3.4s, #0\n\t"                                                                                       \
  "movi v4.4s, #0\n\t"                                                                                       \
  "movi v5.4s, #0\n\t"                                                                                       \
  "movi v6.4s, #0\n\t"                                                                                       \
  "movi v7.4s, #0\n\t"                                                                                       \
  "1:\n\t"
#define EDGEKD_PEAK_NEON_CLOBBERS                                                                           \
  "cc", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", \
      "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23"

// One per path, each defined only where its path is compiled in (peak_<isa>.cpp, that path's flags).
extern const PeakLoop kPeakAvx2, kPeakAvx512Vnni, kPeakNeon, kPeakNeonDot;

}  // namespace edgekd
