// A small persistent thread pool. parallel_for splits [0, n) into contiguous chunks, one per thread; the
// calling thread runs the first chunk. Chunking depends only on (n, num_threads), and every kernel writes
// disjoint outputs, so results are identical for any thread count.
//
// Waking a sleeping thread through a condition variable costs tens of microseconds on a VM, as much as a
// whole small op, and an inference is a burst of back-to-back parallel regions. So workers spin on an
// atomic job counter for a while after each job (kSpinMicros) before they sleep, and the caller spins
// for the workers' chunks to finish. Between bursts (an idle model) the workers sleep.
#pragma once
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace edgekd {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }
  // fn(begin, end) over contiguous chunks of [0, n), at most `max_chunks` (default: one per thread).
  // Blocks until all chunks are done. Exceptions from chunks are rethrown here (the first one).
  // One caller at a time (a Model runs one inference at a time).
  void parallel_for(int n, const std::function<void(int, int)>& fn, int max_chunks = 0);

 private:
  void worker_loop(int index);
  void run_chunk(int index);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_;
  // The job: written by parallel_for before it bumps generation_ (release), read by workers after they
  // see the new generation (acquire).
  const std::function<void(int, int)>* job_ = nullptr;
  int job_n_ = 0, job_chunks_ = 0;
  std::atomic<long> generation_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};       // workers past their spin, about to wait or waiting on start_cv_
  std::atomic<bool> failed_{false};   // error_ is set
  std::exception_ptr error_;           // guarded by mu_
  // Written by every worker as it finishes: on a cache line of its own (the last member, and the class is
  // 64-byte aligned), so the workers' decrements do not take the job's line away from the others reading it.
  alignas(64) std::atomic<int> pending_{0};
};

}  // namespace edgekd
