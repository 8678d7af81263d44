// The int8 multiply-accumulate peak of one core, measured in the same run as a benchmark so that GEMM
// speed can be quoted as a fraction of it (clock, turbo and noisy neighbours affect both alike).
#pragma once
#include <cstdint>

#include "edgekd/cpu.h"

namespace edgekd {

struct Int8Peak {
  Isa isa = Isa::kRef;
  const char* instruction = "";  // e.g. "vpmaddwd ymm (int16 pairs)"
  int macs_per_instruction = 0;
  double macs_per_second = 0;    // best of the timed repetitions
};

// Runs a loop of independent multiply-accumulate instructions of `isa` (avx2: vpmaddwd; avx512vnni:
// vpdpbusd; neon: smull+sadalp pairs; neondot: sdot) for about `seconds` on the calling thread.
// Throws std::invalid_argument if the path is not available on this CPU or has no peak loop (ref).
Int8Peak measure_int8_peak(Isa isa, double seconds);

namespace peak_detail {
// Each runs `iterations` rounds of its unrolled block and returns the MACs done (and a value that
// depends on every result, so nothing is optimised away, through *sink).
uint64_t loop_avx2(uint64_t iterations, int32_t* sink);
uint64_t loop_avx512vnni(uint64_t iterations, int32_t* sink);
uint64_t loop_neon(uint64_t iterations, int32_t* sink);
uint64_t loop_neondot(uint64_t iterations, int32_t* sink);
}  // namespace peak_detail

}  // namespace edgekd
