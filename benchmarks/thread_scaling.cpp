// Per-op thread scaling of one model in ONE process (see thread_scaling.sh): the model loaded twice, at
// thread counts A and B, profiled in alternating rounds; per op, the median over rounds of each count's
// median time and their ratio A / B (the speedup of B over A when B > A). Separate processes on this
// project's shared VM disagree by 5-30% from phase to phase; alternating rounds in one process do not.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "edgekd/runtime.hpp"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s model.tflite [threads_a=1] [threads_b=2] [rounds=16] [runs=200]\n", argv[0]);
    return 2;
  }
  const int ta = argc > 2 ? std::atoi(argv[2]) : 1, tb = argc > 3 ? std::atoi(argv[3]) : 2;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 16, runs = argc > 5 ? std::atoi(argv[5]) : 200;
  if (ta < 1 || tb < 1 || ta > 256 || tb > 256 || rounds < 1 || runs < 1) {
    std::fprintf(stderr, "thread counts must be 1..256, rounds and runs positive\n");
    return 2;
  }
  std::vector<std::string> names;
  std::vector<std::vector<double>> times[2];  // [count][op][round]
  try {
    std::unique_ptr<edgekd::Model> models[2] = {edgekd::Model::from_file(argv[1], ta),
                                                edgekd::Model::from_file(argv[1], tb)};
    for (int r = 0; r < rounds; ++r) {
      for (int k = 0; k < 2; ++k) {
        const int which = (r + k) % 2;  // the order alternates every round
        const std::vector<edgekd::OpProfile> prof = models[which]->profile(runs);
        std::vector<std::vector<double>>& t = times[which];
        t.resize(prof.size());
        if (names.empty())
          for (const auto& p : prof) names.push_back(p.name + " " + p.kernel);
        for (size_t i = 0; i < prof.size(); ++i) t[i].push_back(prof[i].ms * 1000);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("%s, %d rounds of %d runs, per-op median us\n", argv[1], rounds, runs);
  std::printf("%-52s %9s %9s %7s\n", "op", (std::to_string(ta) + " thr").c_str(), (std::to_string(tb) + " thr").c_str(),
              "ratio");
  double sa = 0, sb = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const double a = median(times[0][i]), b = median(times[1][i]);
    sa += a;
    sb += b;
    std::printf("%-52s %9.2f %9.2f %7.2f\n", names[i].c_str(), a, b, a / b);
  }
  std::printf("%-52s %9.1f %9.1f %7.2f\n", "all ops", sa, sb, sa / sb);
  return 0;
}
