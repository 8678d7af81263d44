#include "runtime/planner.h"

#include <algorithm>
#include <numeric>

namespace edgekd {

ArenaPlan plan_arena(const std::vector<ArenaRequest>& requests, size_t alignment) {
  const size_t n = requests.size();
  auto align_up = [alignment](size_t v) { return (v + alignment - 1) / alignment * alignment; };
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  // Largest first; ties by earlier first use, then index, so plans are deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first < requests[b].first;
  });
  ArenaPlan plan;
  plan.offsets.assign(n, 0);
  std::vector<size_t> placed;
  std::vector<std::pair<size_t, size_t>> busy;  // [begin, end) of live overlapping tensors
  for (size_t idx : order) {
    const ArenaRequest& r = requests[idx];
    const size_t size = align_up(std::max<size_t>(r.bytes, 1));
    busy.clear();
    for (size_t p : placed) {
      const ArenaRequest& q = requests[p];
      if (q.last < r.first || r.last < q.first) continue;  // lifetimes do not intersect
      busy.emplace_back(plan.offsets[p], plan.offsets[p] + align_up(std::max<size_t>(q.bytes, 1)));
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& b : busy) {
      if (offset + size <= b.first) break;  // fits in the gap before this one
      offset = std::max(offset, b.second);
    }
    plan.offsets[idx] = offset;
    plan.total_bytes = std::max(plan.total_bytes, offset + size);
    placed.push_back(idx);
  }
  return plan;
}

}  // namespace edgekd
