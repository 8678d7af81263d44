// A small persistent thread pool. parallel_for splits [0, n) into contiguous chunks, one per thread, and
// chunk i is meant for thread i (the caller is thread 0), so that consecutive ops that split the same way
// find their rows in the cache of the core that wrote them. Chunking depends only on (n, num_threads), and
// every kernel writes disjoint outputs, so results are identical for any thread count.
//
// Waking a sleeping thread through a condition variable costs tens of microseconds on a VM, as much as a
// whole small op, and an inference is a burst of back-to-back parallel regions. So workers spin on the job
// word for a while after each job (kWorkerSpin) before they sleep, and the caller spins for the chunks to
// finish. Between bursts (an idle model) the workers sleep.
//
// A worker claims its chunk before running it. When the other chunks are not finished as long after the
// caller's own chunk as that chunk took (at least 4 us), the caller claims every chunk whose worker has not
// started (still waking up, or descheduled on an oversubscribed machine: measured, a whole 20 ms scheduler
// slice per op) and runs it itself. parallel_for waits for chunks, never for a worker that has not begun.
// Which thread runs a chunk never changes a result.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "kernels/parallel.h"

namespace edgekd {

// The kernels' ParallelFor (kernels/parallel.h), implemented for the runtime.
class ThreadPool final : public ParallelFor {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const override { return static_cast<int>(workers_.size()) + 1; }
  // fn(begin, end) over contiguous chunks of [0, n), at most `max_chunks` (default: one per thread).
  // Blocks until all chunks are done. Exceptions from chunks are rethrown here (the first one).
  // One caller at a time (a Model runs one inference at a time).
  void parallel_for(int n, const std::function<void(int, int)>& fn, int max_chunks = 0) override;
  // Chunk i of `chunks` over [0, n): what parallel_for hands to thread i when it splits n into `chunks`
  // (min(n, num_threads) when max_chunks does not cap it).
  static void chunk_bounds(int n, int chunks, int i, int* begin, int* end);

 private:
  void worker_loop(int index);
  void run_chunk(int chunk);
  // Claims chunk c (>= 1) for job `gen`: true if no thread had claimed it for that job or a later one.
  bool claim(int c, uint32_t gen);

  // Per worker chunk, on a line of its own: the generation of the last job that claimed it. Worker i
  // claims chunk i on its own line; only a caller stealing a chunk touches another thread's line.
  struct alignas(64) Claim {
    std::atomic<uint32_t> gen{0};
  };

  std::vector<std::thread> workers_;
  std::vector<Claim> claims_;  // [num_threads]; entry 0 unused (the caller's chunk is never stolen)
  std::mutex mu_;
  std::condition_variable start_cv_;
  // The job: fields written by parallel_for before it bumps generation_ (release), read by workers after
  // they see the new generation (acquire) and claim their chunk. Atomics, because a worker that saw the
  // previous job may read them while the caller writes the next job's; its claim then fails, so it never
  // uses them.
  std::atomic<const std::function<void(int, int)>*> job_{nullptr};
  std::atomic<int> job_n_{0}, job_chunks_{0};
  std::atomic<uint32_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};       // workers past their spin, about to wait or waiting on start_cv_
  std::atomic<bool> failed_{false};   // error_ is set
  std::exception_ptr error_;           // guarded by mu_
  // Chunks the workers finished in the current job, on a cache line of its own (the last member, and the
  // class is 64-byte aligned), so the workers' increments do not take the job's line away from the others.
  alignas(64) std::atomic<int> done_{0};
};

}  // namespace edgekd
