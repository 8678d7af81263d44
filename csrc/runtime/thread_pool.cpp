#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EDGEKD_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define EDGEKD_CPU_RELAX() asm volatile("yield" ::: "memory")
#else
#define EDGEKD_CPU_RELAX() ((void)0)
#endif

namespace edgekd {
namespace {

// How long a worker keeps polling for the next job before it sleeps on the condition variable, and how
// long the caller polls for the workers' chunks before it starts yielding its core to them (when the
// machine is oversubscribed, a worker may be waiting for exactly that core).
constexpr auto kWorkerSpin = std::chrono::microseconds(300);
constexpr auto kCallerSpin = std::chrono::microseconds(50);

void chunk_bounds(int n, int chunks, int i, int* begin, int* end) {
  const int base = n / chunks, rem = n % chunks;
  *begin = i * base + std::min(i, rem);
  *end = *begin + base + (i < rem ? 1 : 0);
}

// Polls `ready` for about `budget`; true if it became true.
template <class Ready>
bool spin_until(const Ready& ready, std::chrono::microseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      EDGEKD_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() > deadline) return ready();
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  const int extra = std::max(1, num_threads) - 1;
  workers_.reserve(extra);
  for (int i = 0; i < extra; ++i) workers_.emplace_back([this, i] { worker_loop(i + 1); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_release);
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_chunk(int index) {
  if (index >= job_chunks_) return;
  int b, e;
  chunk_bounds(job_n_, job_chunks_, index, &b, &e);
  try {
    if (b < e) (*job_)(b, e);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_) error_ = std::current_exception();
    failed_.store(true, std::memory_order_release);
  }
}

void ThreadPool::worker_loop(int index) {
  long seen = 0;
  for (;;) {
    auto has_work = [&] {
      return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spin_until(has_work, kWorkerSpin)) {
      // Announce the sleep before the predicate is checked under the lock (both sequentially consistent):
      // a caller that bumps generation_ and then reads sleepers_ == 0 bumped it before this increment,
      // so the check below sees the new job and the worker does not sleep through it.
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      start_cv_.wait(lock, [&] {
        return stop_.load(std::memory_order_seq_cst) || generation_.load(std::memory_order_seq_cst) != seen;
      });
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    run_chunk(index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(int n, const std::function<void(int, int)>& fn, int max_chunks) {
  if (n <= 0) return;
  int chunks = std::min(n, num_threads());
  if (max_chunks > 0) chunks = std::min(chunks, max_chunks);
  if (chunks <= 1 || workers_.empty()) {
    fn(0, n);
    return;
  }
  // The job fields are published by the generation_ bump; spinning workers pick it up from there. Only
  // when some worker has gone to sleep does the caller take the mutex and notify (see worker_loop).
  job_ = &fn;
  job_n_ = n;
  job_chunks_ = chunks;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lock(mu_); }  // a worker between its check and its wait gets the notify
    start_cv_.notify_all();
  }
  run_chunk(0);
  auto done = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(done, kCallerSpin)) {
    while (!done()) std::this_thread::yield();
  }
  job_ = nullptr;
  if (failed_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mu_);
    std::exception_ptr e = error_;
    error_ = nullptr;
    failed_.store(false, std::memory_order_relaxed);
    std::rethrow_exception(e);
  }
}

}  // namespace edgekd
