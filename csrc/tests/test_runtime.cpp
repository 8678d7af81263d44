// Runtime tests without Python: models built in C++ (runtime_test_models.h), run on every SIMD path this
// build and CPU offer and compared with the reference path bit for bit; hand-checked arithmetic; the C API.
// Cross-compiled for aarch64 and run under qemu by scripts/arm_tests.sh, so neon / neondot are covered there.
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "edgekd/cpu.h"
#include "edgekd/edgekd.h"
#include "edgekd/runtime.hpp"
#include "runtime/planner.h"
#include "runtime/thread_pool.h"
#include "runtime_test_models.h"
#include "testing.h"

using namespace edgekd_test;

namespace {

std::unique_ptr<edgekd::Model> load_on(const std::vector<uint8_t>& bytes, const char* path, int threads = 1) {
  setenv("EDGEKD_ISA", path, 1);
  auto m = edgekd::Model::from_bytes(bytes.data(), bytes.size(), threads);
  unsetenv("EDGEKD_ISA");
  return m;
}

std::vector<int8_t> run_once(edgekd::Model& m, const std::vector<int8_t>& x) {
  m.set_input(0, x.data(), x.size());
  m.run();
  std::vector<int8_t> y(m.outputs()[0].bytes);
  m.get_output(0, y.data(), y.size());
  return y;
}

std::vector<int8_t> random_input(const edgekd::Model& m, unsigned seed) {
  Rng r(seed);
  std::vector<int8_t> x(m.inputs()[0].bytes);
  for (auto& v : x) v = static_cast<int8_t>(r.i(-128, 127));
  return x;
}

std::vector<edgekd::Isa> available() {
  std::vector<edgekd::Isa> out;
  for (int i = 0; i < static_cast<int>(edgekd::Isa::kCount); ++i)
    if (edgekd::isa_available(static_cast<edgekd::Isa>(i))) out.push_back(static_cast<edgekd::Isa>(i));
  return out;
}

}  // namespace

TEST(fully_connected_hand_checked) {
  // out = x0 + 2*x1 + 3 with every scale 1 and zero point 0 (multiplier exactly 1).
  TModel m;
  const int in = m.add_tensor(act("x", {1, 2}, 1.0f, 0));
  TTensor w;
  w.name = "w"; w.shape = {1, 2}; w.data = bytes_of(std::vector<int8_t>{1, 2}); w.scale = {1.0f}; w.zero_point = {0};
  const int wi = m.add_tensor(w);
  const int bi = m.add_tensor(int32_const("b", {1}, {3}));
  const int out = m.add_tensor(act("y", {1, 1}, 1.0f, 0));
  m.ops.push_back({9, {in, wi, bi}, {out}, {scalar_u8(0, 0)}, 8});
  m.inputs = {in};
  m.outputs = {out};
  auto model = edgekd::Model::from_bytes(write_model(m).data(), write_model(m).size());
  for (auto xs : std::vector<std::pair<int, int>>{{0, 0}, {10, 20}, {-50, -30}, {100, 100}}) {
    std::vector<int8_t> x{static_cast<int8_t>(xs.first), static_cast<int8_t>(xs.second)};
    const int expect = std::max(-128, std::min(127, xs.first + 2 * xs.second + 3));
    const auto y = run_once(*model, x);
    EXPECT_TRUE(y[0] == expect, "x=(" << xs.first << "," << xs.second << ") got " << int(y[0]) << " want " << expect);
  }
}

TEST(every_path_equals_ref) {
  for (unsigned seed = 0; seed < 6; ++seed) {
    const auto bytes = write_model(tiny_mobilenet(seed, 10 + seed, 9 + 2 * seed, 1 + seed % 4, seed % 2 == 1));
    auto ref = load_on(bytes, "ref");
    for (unsigned s = 0; s < 3; ++s) {
      const auto x = random_input(*ref, seed * 10 + s);
      const auto want = run_once(*ref, x);
      for (edgekd::Isa isa : available()) {
        for (int threads : {1, 3}) {
          auto m = load_on(bytes, edgekd::isa_name(isa), threads);
          EXPECT_TRUE(m->info().path == edgekd::isa_name(isa), "path " << m->info().path);
          const auto got = run_once(*m, x);
          EXPECT_TRUE(got == want, "seed " << seed << " input " << s << ": path " << edgekd::isa_name(isa)
                                           << " threads " << threads << " differs from ref");
        }
      }
    }
  }
}

// Elementwise ops split across threads (equal shapes in whole 16-element blocks, squeeze-excite gates by
// rows) must give the bytes one thread gives, on every path: HARD_SWISH, MUL by a [1,1,1,C] gate on either
// side, same-shape ADD, with C = 40 and 23x23 pixels so the tail is not a whole block.
TEST(split_elementwise_ops_equal_one_thread) {
  Rng r(21);
  TModel m;
  const int in = m.add_tensor(act("in", {1, 23, 23, 40}, 0.05f, 3));
  const int gate = m.add_tensor(act("gate", {1, 1, 1, 40}, 1.0f / 256, -128));
  const int h = m.add_tensor(act("hswish", {1, 23, 23, 40}, 0.04f, -20));
  m.ops.push_back({117, {in}, {h}, {}, 0});
  const int g1 = m.add_tensor(act("gated", {1, 23, 23, 40}, 0.03f, -5));
  m.ops.push_back({18, {h, gate}, {g1}, {scalar_u8(0, 0)}, 21});
  const int g2 = m.add_tensor(act("gated2", {1, 23, 23, 40}, 0.02f, 7));
  m.ops.push_back({18, {gate, g1}, {g2}, {scalar_u8(0, 1)}, 21});
  const int out = m.add_tensor(act("sum", {1, 23, 23, 40}, 0.06f, -2));
  m.ops.push_back({0, {g2, h}, {out}, {scalar_u8(0, 0)}, 11});
  m.inputs = {in, gate};
  m.outputs = {out};
  const auto bytes = write_model(m);
  auto run2 = [&](edgekd::Model& model, const std::vector<int8_t>& x, const std::vector<int8_t>& g) {
    model.set_input(0, x.data(), x.size());
    model.set_input(1, g.data(), g.size());
    model.run();
    std::vector<int8_t> y(model.outputs()[0].bytes);
    model.get_output(0, y.data(), y.size());
    return y;
  };
  std::vector<int8_t> x(23 * 23 * 40), g(40);
  for (auto& v : x) v = static_cast<int8_t>(r.i(-128, 127));
  for (auto& v : g) v = static_cast<int8_t>(r.i(-128, 127));
  auto ref = load_on(bytes, "ref");
  const auto want = run2(*ref, x, g);
  for (edgekd::Isa isa : available()) {
    for (int threads : {1, 2, 3}) {
      auto model = load_on(bytes, edgekd::isa_name(isa), threads);
      EXPECT_TRUE(run2(*model, x, g) == want, edgekd::isa_name(isa) << " threads " << threads << " differs from ref");
    }
  }
}

// On several threads, a depthwise or 1x1 conv and the 1x1 convs / same-shape ADD after it run as one fused
// region, each thread its own band of rows (interpreter.cpp). Bands must give the bytes one thread gives on
// every path, and a band may only begin where each op of the region allows it (whole 16-element ADD
// blocks; whole GEMM row tiles unless the kernel overlaps its last tile): 8x8 maps fuse, and on 6x5 maps on
// 2 threads (a band at pixel 15) the ADD must stay out of any region.
TEST(fused_regions_equal_one_thread) {
  struct Case {
    int h, w;
  };
  int fused_models = 0, add_declined = 0;
  for (Case c : {Case{16, 16}, Case{12, 10}, Case{16, 10}, Case{24, 18}, Case{30, 22}}) {
    for (unsigned seed = 0; seed < 2; ++seed) {
      const auto bytes = write_model(tiny_mobilenet(seed, c.h, c.w, 3));
      auto ref = load_on(bytes, "ref");
      std::vector<std::vector<int8_t>> xs, want;
      for (unsigned s = 0; s < 8; ++s) {
        xs.push_back(random_input(*ref, seed * 100 + s));
        want.push_back(run_once(*ref, xs.back()));
      }
      for (edgekd::Isa isa : available()) {
        for (int threads : {2, 3, 4}) {
          auto m = load_on(bytes, edgekd::isa_name(isa), threads);
          const edgekd::ModelInfo& info = m->info();
          if (info.num_fused_ops > 0) ++fused_models;
          if (threads == 2 && c.h == 12) {
            // conv, dw, project, skip, ADD: at most dw + project fuse; the skip conv's region would end in the
            // ADD, so it has no region of two.
            EXPECT_TRUE(info.num_fused_ops <= 2, info.num_fused_ops << " ops fused on 6x5 maps");
            ++add_declined;
          }
          EXPECT_TRUE(info.num_fused_ops == 0 || info.num_fused_ops >= 2 * info.num_fused_regions,
                      info.num_fused_ops << " ops in " << info.num_fused_regions << " regions");
          for (size_t s = 0; s < xs.size(); ++s)
            EXPECT_TRUE(run_once(*m, xs[s]) == want[s],
                        c.h << "x" << c.w << " seed " << seed << " input " << s << " " << edgekd::isa_name(isa)
                            << " threads " << threads << " (" << info.num_fused_ops << " ops fused) differs from ref");
        }
      }
    }
  }
  EXPECT_TRUE(fused_models > 0, "no model formed a fused region");
  EXPECT_TRUE(add_declined > 0, "no 6x5 case ran");
}

TEST(thread_pool_covers_every_index_rethrows_and_wakes) {
  // Every index exactly once, back to back (workers spinning) and after the workers have gone to sleep
  // (past their spin budget); a chunk's exception reaches the caller once, and the pool keeps working.
  edgekd::ThreadPool pool(3);
  for (int round = 0; round < 200; ++round) {
    if (round % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const int n = 1 + round % 37;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int b, int e) {
      for (int i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
    });
    bool once = true;
    for (auto& h : hits) once = once && h.load() == 1;
    EXPECT_TRUE(once, "round " << round << " n " << n);
  }
  for (int thrower : {0, 2}) {
    std::string caught;
    try {
      pool.parallel_for(3, [&](int b, int) {
        if (b == thrower) throw std::runtime_error("chunk " + std::to_string(b));
      });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    EXPECT_TRUE(caught == "chunk " + std::to_string(thrower), "caught '" << caught << "'");
    std::atomic<int> sum{0};
    pool.parallel_for(10, [&](int b, int e) { sum.fetch_add(e - b); });  // no stale error rethrown
    EXPECT_TRUE(sum.load() == 10, sum.load());
  }
  // A worker that has not started (here: asleep past its spin budget, so waking takes microseconds) does
  // not hold the caller up: the caller claims its chunk. Tiny chunks right after the workers fall asleep
  // go to the caller in practically every round; one round in 20 is enough to show the path exists.
  edgekd::ThreadPool pair(2);
  int caller_ran_both = 0;
  for (int round = 0; round < 20; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::thread::id ran[2];
    pair.parallel_for(2, [&](int b, int) { ran[b] = std::this_thread::get_id(); });
    caller_ran_both += ran[0] == std::this_thread::get_id() && ran[1] == ran[0];
  }
  EXPECT_TRUE(caller_ran_both > 0, "the caller never ran a sleeping worker's chunk in 20 rounds");
}

TEST(softmax_output_is_a_distribution) {
  auto m = load_on(write_model(tiny_mobilenet(3)), "ref");
  const auto y = run_once(*m, random_input(*m, 1));
  int sum = 0;
  for (int8_t v : y) sum += v + 128;
  EXPECT_TRUE(sum > 230 && sum < 280, "softmax probabilities sum to " << sum << "/256");
}

TEST(writer_habits_do_not_matter) {
  // Deprecated-only operator codes, reversed operator-code order and buffers stored after the flatbuffer
  // give the same model.
  TModel base = tiny_mobilenet(7, 11, 13, 2, true);
  auto ref = edgekd::Model::from_bytes(write_model(base).data(), write_model(base).size());
  EXPECT_TRUE(ref->info().num_folded_ops == 3, "folded " << ref->info().num_folded_ops);
  const auto x = random_input(*ref, 3);
  const auto want = run_once(*ref, x);
  for (int variant = 0; variant < 3; ++variant) {
    TModel m = base;
    m.deprecated_codes_only = variant == 0;
    m.reverse_opcodes = variant == 1;
    m.external_buffers = variant == 2;
    const auto bytes = write_model(m);
    auto model = edgekd::Model::from_bytes(bytes.data(), bytes.size());
    EXPECT_TRUE(run_once(*model, x) == want, "variant " << variant << " differs");
  }
}

TEST(arena_reuses_memory) {
  auto m = load_on(write_model(tiny_mobilenet(2, 24, 24, 3)), "ref");
  const auto& info = m->info();
  // A lower bound of the sum of all activation sizes: input, conv1 and dw (>= 8 channels each at 12x12),
  // project, skip and add (>= 8 channels each).
  const size_t total = 24 * 24 * 3 + 2 * 12 * 12 * 8 + 3 * 12 * 12 * 8;
  EXPECT_TRUE(info.arena_bytes > 0 && info.arena_bytes % 64 == 0, "arena " << info.arena_bytes);
  EXPECT_TRUE(info.arena_bytes < total, "arena " << info.arena_bytes << " not below " << total);
}

TEST(planner_never_overlaps_live_tensors) {
  Rng r(5);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<edgekd::ArenaRequest> req;
    const int n = r.i(1, 40);
    for (int i = 0; i < n; ++i) {
      const int a = r.i(0, 30), b = a + r.i(0, 10);
      req.push_back({static_cast<size_t>(r.i(0, 5000)), a, b});
    }
    const auto plan = edgekd::plan_arena(req, 64);
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(plan.offsets[i] % 64 == 0, "unaligned offset");
      EXPECT_TRUE(plan.offsets[i] + req[i].bytes <= plan.total_bytes, "past the arena");
      for (int j = i + 1; j < n; ++j) {
        const bool live = !(req[i].last < req[j].first || req[j].last < req[i].first);
        const bool overlap = plan.offsets[i] < plan.offsets[j] + std::max<size_t>(req[j].bytes, 1) &&
                             plan.offsets[j] < plan.offsets[i] + std::max<size_t>(req[i].bytes, 1);
        EXPECT_TRUE(!(live && overlap), "trial " << trial << ": tensors " << i << " and " << j << " overlap");
      }
    }
  }
}

// Scales at the ends of the float range make s_in / s_out overflow (the fuzzer found a CONCATENATION that
// cast NaN to int). Such a model must load with a clear error or run without undefined behaviour (this test
// runs under UBSan in scripts/sanitize_tests.sh).
TEST(extreme_scale_ratios_are_safe) {
  auto loads_or_names = [](const TModel& model, const char* op) {
    const auto bytes = write_model(model);
    try {
      auto m = load_on(bytes, "ref");
      std::vector<int8_t> x(m->inputs()[0].bytes, 7);
      run_once(*m, x);
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(std::string(e.what()).find(op) != std::string::npos, "error should name " << op << ": " << e.what());
    }
  };
  {
    TModel m;
    const int a = m.add_tensor(act("a", {1, 2, 2, 3}, 3e38f, 5));
    const int b = m.add_tensor(act("b", {1, 2, 2, 3}, 1e-3f, 0));
    const int o = m.add_tensor(act("o", {1, 2, 2, 6}, 1e-38f, 0));
    m.ops.push_back({2, {a, b}, {o}, {scalar_i32(0, 3), scalar_u8(1, 0)}, 10});
    m.inputs = {a, b};
    m.outputs = {o};
    loads_or_names(m, "CONCATENATION");
  }
  {
    TModel m;
    const int in = m.add_tensor(act("in", {1, 4, 4, 3}, 3e38f, 100));
    const int axes = m.add_tensor(int32_const("axes", {2}, {1, 2}));
    const int o = m.add_tensor(act("o", {1, 1, 1, 3}, 1e-38f, 0));
    m.ops.push_back({40, {in, axes}, {o}, {scalar_u8(0, 1)}, 27});
    m.inputs = {in};
    m.outputs = {o};
    loads_or_names(m, "MEAN");
  }
  for (int code : {19, 21}) {  // RELU, RELU6: zero point + a multiplier beyond 2^31 (fuzzer)
    TModel m;
    const int in = m.add_tensor(act("in", {1, 4}, 3e38f, -128));
    const int o = m.add_tensor(act("o", {1, 4}, 1e-38f, 127));
    m.ops.push_back({code, {in}, {o}, {}, 0});
    m.inputs = {in};
    m.outputs = {o};
    loads_or_names(m, code == 19 ? "RELU" : "RELU6");
  }
}

TEST(wrong_input_size_is_an_error) {
  auto m = load_on(write_model(tiny_mobilenet(1)), "ref");
  std::vector<int8_t> small(3);
  bool threw = false;
  try {
    m->set_input(0, small.data(), small.size());
  } catch (const std::invalid_argument& e) {
    threw = std::string(e.what()).find("input 0 'input'") != std::string::npos;
  }
  EXPECT_TRUE(threw, "expected an error naming the input");
}

TEST(c_api_round_trip) {
  const auto bytes = write_model(tiny_mobilenet(4));
  edgekd_model* m = nullptr;
  EXPECT_TRUE(edgekd_model_load_bytes(bytes.data(), bytes.size(), 1, &m) == EDGEKD_OK, edgekd_last_error());
  if (!m) return;
  EXPECT_TRUE(edgekd_model_num_inputs(m) == 1 && edgekd_model_num_outputs(m) == 1, "io counts");
  edgekd_tensor_info in, out;
  EXPECT_TRUE(edgekd_model_input_info(m, 0, &in) == EDGEKD_OK, "input info");
  EXPECT_TRUE(edgekd_model_output_info(m, 0, &out) == EDGEKD_OK, "output info");
  EXPECT_TRUE(in.dtype == EDGEKD_INT8 && in.rank == 4 && in.quantized == 1, "input info fields");
  EXPECT_TRUE(std::string(out.name) == "probs" && out.scale == 1.0f / 256 && out.zero_point == -128, "output info");
  auto cpp = edgekd::Model::from_bytes(bytes.data(), bytes.size());
  const auto x = random_input(*cpp, 9);
  const auto want = run_once(*cpp, x);
  std::vector<int8_t> y(out.bytes);
  EXPECT_TRUE(edgekd_model_set_input(m, 0, x.data(), x.size()) == EDGEKD_OK, edgekd_last_error());
  EXPECT_TRUE(edgekd_model_run(m) == EDGEKD_OK, edgekd_last_error());
  EXPECT_TRUE(edgekd_model_get_output(m, 0, y.data(), y.size()) == EDGEKD_OK, edgekd_last_error());
  EXPECT_TRUE(y == want, "C API output differs from the C++ API");
  EXPECT_TRUE(edgekd_model_set_input(m, 0, x.data(), 1) == EDGEKD_INVALID_ARGUMENT, "short input accepted");
  EXPECT_TRUE(std::string(edgekd_last_error()).find("bytes") != std::string::npos, edgekd_last_error());
  EXPECT_TRUE(edgekd_model_input_info(m, 5, &in) == EDGEKD_INVALID_ARGUMENT, "bad index accepted");
  EXPECT_TRUE(edgekd_model_arena_bytes(m) > 0 && std::strlen(edgekd_model_path(m)) > 0, "info");
  edgekd_model_free(m);

  edgekd_model* bad = nullptr;
  const uint8_t junk[16] = {1, 2, 3};
  EXPECT_TRUE(edgekd_model_load_bytes(junk, sizeof junk, 1, &bad) == EDGEKD_INVALID_ARGUMENT && bad == nullptr,
              "junk accepted");
  EXPECT_TRUE(std::string(edgekd_last_error()).find("TFL3") != std::string::npos, edgekd_last_error());
  EXPECT_TRUE(edgekd_model_load_file("/nonexistent/model.tflite", 1, &bad) == EDGEKD_INVALID_ARGUMENT, "missing file");
  EXPECT_TRUE(edgekd_model_load_bytes(nullptr, 10, 1, &bad) == EDGEKD_INVALID_ARGUMENT, "NULL data");
  EXPECT_TRUE(edgekd_model_load_bytes(bytes.data(), bytes.size(), 1, nullptr) == EDGEKD_INVALID_ARGUMENT, "NULL out");
}

EDGEKD_TEST_MAIN()
