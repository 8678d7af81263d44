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
// long the caller polls for the chunks other threads claimed before it starts yielding its core to them
// (when the machine is oversubscribed, such a thread may be waiting for exactly that core).
constexpr auto kWorkerSpin = std::chrono::microseconds(300);
constexpr auto kCallerSpin = std::chrono::microseconds(50);
// How long the caller waits for the workers' chunks before it claims those whose worker has not started:
// as long as its own chunk took, and at least kMinStealAfter. Running a late worker's chunk then costs at
// most one chunk more than waiting would have, while a descheduled worker would cost a scheduler slice; a
// worker that is merely a little late to a long chunk is waited for, which keeps chunk i's rows on core i.
// The minimum is short next to a worker's wake-up (tens of microseconds on a VM) and long enough that a
// running worker's tiny chunk usually ends first, so the caller rarely touches the workers' claim lines.
constexpr auto kMinStealAfter = std::chrono::microseconds(4);


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

void ThreadPool::chunk_bounds(int n, int chunks, int i, int* begin, int* end) {
  const int base = n / chunks, rem = n % chunks;
  *begin = i * base + std::min(i, rem);
  *end = *begin + base + (i < rem ? 1 : 0);
}

ThreadPool::ThreadPool(int num_threads) : claims_(static_cast<size_t>(std::max(1, num_threads))) {
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

bool ThreadPool::claim(int c, uint32_t gen) {
  std::atomic<uint32_t>& g = claims_[static_cast<size_t>(c)].gen;
  uint32_t v = g.load(std::memory_order_acquire);
  // Claimable while the last claim is from an earlier job (wrap-around safe). A claim that succeeds
  // proves job `gen` is still running: the caller finishes a job only after every chunk of it is claimed.
  while (static_cast<int32_t>(gen - v) > 0) {
    if (g.compare_exchange_weak(v, gen, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
  }
  return false;
}

void ThreadPool::run_chunk(int chunk) {
  const int n = job_n_.load(std::memory_order_relaxed), chunks = job_chunks_.load(std::memory_order_relaxed);
  int b, e;
  chunk_bounds(n, chunks, chunk, &b, &e);
  try {
    if (b < e) (*job_.load(std::memory_order_relaxed))(b, e);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_) error_ = std::current_exception();
    failed_.store(true, std::memory_order_release);
  }
}

void ThreadPool::worker_loop(int index) {
  uint32_t seen = 0;
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
    if (index < job_chunks_.load(std::memory_order_relaxed) && claim(index, seen)) {
      run_chunk(index);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
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
  // Every chunk of the previous job is done (the wait below), so no thread uses these fields now.
  job_.store(&fn, std::memory_order_relaxed);
  job_n_.store(n, std::memory_order_relaxed);
  job_chunks_.store(chunks, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  const uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
  generation_.store(gen, std::memory_order_seq_cst);
  // Spinning workers pick the job up from generation_. Only when some worker has gone to sleep does the
  // caller take the mutex and notify (see worker_loop).
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lock(mu_); }  // a worker between its check and its wait gets the notify
    start_cv_.notify_all();
  }
  const auto t0 = std::chrono::steady_clock::now();
  run_chunk(0);
  const auto own = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  int workers_chunks = chunks - 1;  // chunks the workers run; the caller takes back those not started
  auto done = [&] { return done_.load(std::memory_order_acquire) == workers_chunks; };
  if (!spin_until(done, std::max(own, kMinStealAfter))) {
    for (int c = 1; c < chunks; ++c) {
      if (claim(c, gen)) {
        run_chunk(c);
        --workers_chunks;
      }
    }
    if (!spin_until(done, kCallerSpin)) {
      while (!done()) std::this_thread::yield();
    }
  }
  if (failed_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mu_);
    std::exception_ptr e = error_;
    error_ = nullptr;
    failed_.store(false, std::memory_order_relaxed);
    std::rethrow_exception(e);
  }
}

}  // namespace edgekd
