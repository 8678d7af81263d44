#include "kernels/gemm/gemm_peak.h"

#include <chrono>
#include <stdexcept>
#include <string>

namespace edgekd {

Int8Peak measure_int8_peak(Isa isa, double seconds) {
  if (!isa_available(isa))
    throw std::invalid_argument(std::string("int8 peak: SIMD path '") + isa_name(isa) +
                                "' is not available on this CPU/build");
  Int8Peak r;
  r.isa = isa;
  uint64_t (*loop)(uint64_t, int32_t*) = nullptr;
  switch (isa) {
#ifdef EDGEKD_HAVE_AVX2
    case Isa::kAvx2:
      loop = &peak_detail::loop_avx2;
      r.instruction = "vpmaddwd ymm (16 int16 MACs, independent)";
      r.macs_per_instruction = 16;
      break;
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni:
      loop = &peak_detail::loop_avx512vnni;
      r.instruction = "vpdpbusd zmm (64 int8 MACs, independent)";
      r.macs_per_instruction = 64;
      break;
#endif
#ifdef EDGEKD_HAVE_NEON
    case Isa::kNeon:
      loop = &peak_detail::loop_neon;
      r.instruction = "smull+sadalp (8 int8 MACs per instruction pair, independent)";
      r.macs_per_instruction = 4;
      break;
#endif
#ifdef EDGEKD_HAVE_NEONDOT
    case Isa::kNeonDot:
      loop = &peak_detail::loop_neondot;
      r.instruction = "sdot q (16 int8 MACs, independent)";
      r.macs_per_instruction = 16;
      break;
#endif
    default:
      throw std::invalid_argument(std::string("int8 peak: no peak loop for path '") + isa_name(isa) + "'");
  }
  if (seconds <= 0) seconds = 0.05;
  int32_t sink = 0;
  loop(1000, &sink);  // warm up (wake the vector units, settle the clock)
  // Calibrate the iteration count to ~1/8 of the budget, then keep the best of the repetitions.
  uint64_t iters = 1 << 14;
  using clock = std::chrono::steady_clock;
  for (;;) {
    const auto t0 = clock::now();
    loop(iters, &sink);
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    if (dt > seconds / 8 || iters > (uint64_t(1) << 40)) break;
    iters *= 2;
  }
  const auto start = clock::now();
  double best = 0;
  do {
    const auto t0 = clock::now();
    const uint64_t macs = loop(iters, &sink);
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    if (dt > 0 && macs / dt > best) best = macs / dt;
  } while (std::chrono::duration<double>(clock::now() - start).count() < seconds);
  r.macs_per_second = best;
  return r;
}

}  // namespace edgekd
