// A small persistent thread pool. parallel_for splits [0, n) into contiguous chunks, one per thread; the
// calling thread runs the first chunk. Chunking depends only on (n, num_threads), and every kernel writes
// disjoint outputs, so results are identical for any thread count.
#pragma once
#include <condition_variable>
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
  void parallel_for(int n, const std::function<void(int, int)>& fn, int max_chunks = 0);

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_n_ = 0, job_chunks_ = 0;
  long generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace edgekd
