// The int8 multiply-accumulate peak of one core, for quoting GEMM speed as a fraction of it (bench_gemm.py
// runs the gemm_peak executable in the same session as the GEMMs: clock, turbo and noisy neighbours affect
// both alike). Not part of the shipped library.
#pragma once
#include <cstdint>

namespace edgekd {
namespace peak_detail {
// Each runs `iterations` rounds of its unrolled block of independent multiply-accumulate instructions and
// returns the MACs done (and a value that depends on every result, so nothing is optimised away, through
// *sink). Each is defined only where its path is compiled in (peak_<isa>.cpp, that path's flags).
uint64_t loop_avx2(uint64_t iterations, int32_t* sink);
uint64_t loop_avx512vnni(uint64_t iterations, int32_t* sink);
uint64_t loop_neon(uint64_t iterations, int32_t* sink);
uint64_t loop_neondot(uint64_t iterations, int32_t* sink);
}  // namespace peak_detail
}  // namespace edgekd
