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

// One per path, each defined only where its path is compiled in (peak_<isa>.cpp, that path's flags).
extern const PeakLoop kPeakAvx2, kPeakAvx512Vnni, kPeakNeon, kPeakNeonDot;

}  // namespace edgekd
