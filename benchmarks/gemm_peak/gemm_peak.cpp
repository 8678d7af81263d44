// gemm_peak: one core's int8 MAC peak on a SIMD path, as one JSON object per path on stdout.
//
//   gemm_peak PATH|all [SECONDS]     e.g. gemm_peak avx512vnni 0.05
//
// {"isa": "avx2", "instruction": "vpmaddwd ymm ...", "macs_per_instruction": 16, "macs_per_second": 1.2e11}
// `all`: every path this build carries and this CPU runs that has a peak loop. A path that cannot run here
// (or has no loop: ref) is one line on stderr and exit status 2.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "peak.h"

namespace {

using edgekd::Isa;

using edgekd::PeakLoop;

// The loops this build carries (peak_<isa>.cpp), one per SIMD path.
const std::vector<const PeakLoop*> kLoops = {
#ifdef EDGEKD_HAVE_AVX2
    &edgekd::kPeakAvx2,
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
    &edgekd::kPeakAvx512Vnni,
#endif
#ifdef EDGEKD_HAVE_NEON
    &edgekd::kPeakNeon,
#endif
#ifdef EDGEKD_HAVE_NEONDOT
    &edgekd::kPeakNeonDot,
#endif
};

// Best MAC/s over repetitions of the loop for about `seconds` on the calling thread.
double measure(const PeakLoop& p, double seconds) {
  if (seconds <= 0) seconds = 0.05;
  int32_t sink = 0;
  p.loop(1000, &sink);  // warm up (wake the vector units, settle the clock)
  // Calibrate the iteration count to ~1/8 of the budget, then keep the best of the repetitions.
  uint64_t iters = 1 << 14;
  using clock = std::chrono::steady_clock;
  for (;;) {
    const auto t0 = clock::now();
    p.loop(iters, &sink);
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    if (dt > seconds / 8 || iters > (uint64_t(1) << 40)) break;
    iters *= 2;
  }
  const auto start = clock::now();
  double best = 0;
  do {
    const auto t0 = clock::now();
    const uint64_t macs = p.loop(iters, &sink);
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    if (dt > 0 && macs / dt > best) best = macs / dt;
  } while (std::chrono::duration<double>(clock::now() - start).count() < seconds);
  return best;
}

void print(const PeakLoop& p, double macs_per_second) {
  std::printf("{\"isa\": \"%s\", \"instruction\": \"%s\", \"macs_per_instruction\": %d, "
              "\"macs_per_second\": %.6g}\n",
              edgekd::isa_name(p.isa), p.instruction, p.macs_per_instruction, macs_per_second);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: gemm_peak PATH|all [SECONDS]\n");
    return 2;
  }
  const std::string which = argv[1];
  const double seconds = argc == 3 ? std::atof(argv[2]) : 0.2;
  try {
    if (which == "all") {
      for (const PeakLoop* p : kLoops)
        if (edgekd::isa_supported(p->isa)) print(*p, measure(*p, seconds));
      return 0;
    }
    const Isa isa = edgekd::isa_from_name(which);
    if (!edgekd::isa_available(isa))
      throw std::invalid_argument("SIMD path '" + which + "' is not available on this CPU/build");
    for (const PeakLoop* p : kLoops)
      if (p->isa == isa) {
        print(*p, measure(*p, seconds));
        return 0;
      }
    throw std::invalid_argument("no peak loop for path '" + which + "'");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gemm_peak: %s\n", e.what());
    return 2;
  }
}
