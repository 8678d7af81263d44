// Per-op A/B of two builds of the runtime in ONE process (see ab_revision.sh): the working tree's
// edgekd_core and a base revision's, compiled with -Dedgekd=edgekd_base so both link side by side. Rounds
// alternate which build runs first; each round times Model::profile() of both on the same model and
// thread count, and reports the median and quartiles of the per-round new / base ratios over entries
// [first, last]: ops, where a build runs fused regions (threads > 1) each region as one entry, so an op
// range is only comparable between builds that fuse alike (the whole model always is). On this project's
// shared VM, whose speed drifts in phases of minutes, separate processes disagree by 5-30%; here two
// identical builds measure 0.98-1.01.
//
// Built twice from this one file: with -DAB_BASE (and the base tree's headers, -Dedgekd=edgekd_base) it
// defines base_profile(); without, new_profile() and main().
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "edgekd/runtime.hpp"

namespace {

// Per-op median milliseconds over `runs` inferences; one model per thread count, loaded on first use.
std::vector<double> profile_ms(const char* path, int threads, int runs) {
  static std::unique_ptr<edgekd::Model> models[65];
  std::unique_ptr<edgekd::Model>& m = models[threads];
  if (!m) m = edgekd::Model::from_file(path, threads);
  std::vector<double> ms;
#ifdef EDGEKD_PROFILE_STEPS
  for (const auto& op : m->profile(runs, /*per_op=*/false)) ms.push_back(op.ms);  // fused regions as run
#else
  for (const auto& op : m->profile(runs)) ms.push_back(op.ms);
#endif
  return ms;
}

}  // namespace

#ifdef AB_BASE
std::vector<double> base_profile(const char* path, int threads, int runs) { return profile_ms(path, threads, runs); }
#else
std::vector<double> base_profile(const char* path, int threads, int runs);

namespace {

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

double sum_ops(const std::vector<double>& ms, int first, int last) {
  double s = 0;
  for (int i = first; i <= last && i < static_cast<int>(ms.size()); ++i) s += ms[static_cast<size_t>(i)];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s model.tflite threads [rounds=16] [runs=100] [first_op=0] [last_op=all]\n", argv[0]);
    return 2;
  }
  const char* path = argv[1];
  const int threads = std::atoi(argv[2]);
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 16;
  const int runs = argc > 4 ? std::atoi(argv[4]) : 100;
  const int first = argc > 5 ? std::atoi(argv[5]) : 0;
  const int last = argc > 6 ? std::atoi(argv[6]) : 1 << 30;
  if (threads < 1 || threads > 64 || rounds < 1 || runs < 1) {
    std::fprintf(stderr, "threads must be 1..64, rounds and runs positive\n");
    return 2;
  }
  std::vector<double> base, fresh, ratio;
  try {
    for (int r = 0; r < rounds; ++r) {
      double b = 0, n = 0;
      for (int k = 0; k < 2; ++k) {
        if ((r + k) % 2) b = sum_ops(base_profile(path, threads, runs), first, last);
        else n = sum_ops(profile_ms(path, threads, runs), first, last);
      }
      base.push_back(b);
      fresh.push_back(n);
      ratio.push_back(n / b);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("%s, %d thread(s), ops %d..%s, %d rounds of %d runs: base %.1f us, new %.1f us, "
              "new / base median %.3f (quartiles %.3f-%.3f)\n",
              path, threads, first, last == 1 << 30 ? "end" : std::to_string(last).c_str(), rounds, runs,
              quantile(base, 0.5) * 1000, quantile(fresh, 0.5) * 1000, quantile(ratio, 0.5),
              quantile(ratio, 0.25), quantile(ratio, 0.75));
  return 0;
}
#endif
