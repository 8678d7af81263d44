// What the kernels need from a thread pool: run fn(begin, end) over contiguous chunks of [0, n) and wait.
// The runtime's ThreadPool (runtime/thread_pool.h) implements it; kernels see only this interface, so the
// kernels library sits below the runtime. Chunk i of a split is meant for thread i (the caller is thread
// 0); which thread runs a chunk never changes a result.
#pragma once
#include <functional>

namespace edgekd {

class ParallelFor {
 public:
  virtual ~ParallelFor() = default;
  virtual int num_threads() const = 0;
  // fn(begin, end) over contiguous chunks of [0, n), at most `max_chunks` (0: one per thread). Blocks
  // until every chunk is done; an exception from a chunk is rethrown here.
  virtual void parallel_for(int n, const std::function<void(int, int)>& fn, int max_chunks = 0) = 0;
};

}  // namespace edgekd
