// The arena planner: one buffer for every activation, offsets chosen from tensor lifetimes.
// Greedy by size (largest first, each at the lowest aligned offset that does not overlap a placed tensor
// whose lifetime intersects), the strategy TFLite's arena planner and most edge runtimes use.
#pragma once
#include <cstddef>
#include <vector>

namespace edgekd {

struct ArenaRequest {
  size_t bytes = 0;
  int first = 0;  // first step that writes or reads the tensor
  int last = 0;   // last step that reads it (inclusive)
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // per request
  size_t total_bytes = 0;       // arena size (a multiple of the alignment)
};

ArenaPlan plan_arena(const std::vector<ArenaRequest>& requests, size_t alignment = 64);

}  // namespace edgekd
