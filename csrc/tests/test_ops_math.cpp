// The math ops' kernels (kernels/ops/math_ops.h): hand-computed cases, the errors prepare gives, and every
// path's BATCH_MATMUL kernel against the reference bit for bit over edge shapes (this also runs under qemu
// for neon / neondot). The comparison with LiteRT itself is tests/test_ops_math.py.
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "kernels/kernels.h"
#include "kernels/ops/math_ops.h"
#include "testing.h"

using namespace edgekd::ops;

namespace {
std::string prepare_error(void (*f)()) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(sub_unit_scales) {
  // s = 1: terms (v - z) << 20 halved (m = 2^30, shift 0 for 0.5), output 2 / 2^20 = 2^-19.
  const BinaryParams p = prepare_sub(1.f, 0, 1.f, 0, 1.f, 3);
  const int8_t a[3] = {10, -100, 127}, b[3] = {4, 100, -128};
  int8_t o[3];
  binary_s8_ref(p, {1, 1, 1, 3}, a, {1, 1, 1, 3}, b, o);
  EXPECT_TRUE(o[0] == 9 && o[1] == -128 && o[2] == 127, "got " << int(o[0]) << " " << int(o[1]) << " " << int(o[2]));
}

TEST(max_min_broadcast_raw_values) {
  const int8_t a[4] = {-5, 7, 0, 100}, b[1] = {3};
  int8_t o[4];
  binary_s8_ref(prepare_max_min(true), {1, 1, 1, 4}, a, {1, 1, 1, 1}, b, o);
  EXPECT_TRUE(o[0] == 3 && o[1] == 7 && o[2] == 3 && o[3] == 100, "maximum");
  binary_s8_ref(prepare_max_min(false), {1, 1, 1, 1}, b, {1, 1, 1, 4}, a, o);
  EXPECT_TRUE(o[0] == -5 && o[1] == 3 && o[2] == 0 && o[3] == 3, "minimum");
}

TEST(div_and_prelu_small_values) {
  // s1 / (s2 * s_out) = 0.5 / (0.5 * 0.25) = 4: 12 / 3 = 4 -> 16 in the output's quantization; signs flip.
  const BinaryParams d = prepare_div(0.5f, 0, 0.5f, 0, 0.25f, 0);
  EXPECT_TRUE(binary_element(d, 12, 3) == 16 && binary_element(d, -12, 3) == -16 && binary_element(d, 12, -3) == -16,
              "div " << int(binary_element(d, 12, 3)));
  // PRELU: x >= 0 passes through (s_in = s_out), x < 0 times alpha 0.25 (q 64 at scale 1/256).
  const BinaryParams p = prepare_prelu(0.1f, 0, 1.f / 256, 0, 0.1f, 0);
  EXPECT_TRUE(binary_element(p, 40, 64) == 40 && binary_element(p, -40, 64) == -10, "prelu");
}

TEST(table_activations) {
  // LEAKY_RELU alpha 0.5, equal scales: -10 -> -5, 10 -> 10.
  const LutParams l = prepare_leaky_relu(0.5f, 0.1f, 0, 0.1f, 0);
  EXPECT_TRUE(l.table[uint8_t(-10)] == -5 && l.table[10] == 10, "leaky relu");
  // RSQRT: input 4 (scale 1) -> 0.5, output scale 1/64 -> 32; the zero point itself -> 127.
  const LutParams r = prepare_rsqrt(1.f, 0, 1.f / 64, 0);
  EXPECT_TRUE(r.table[4] == 32 && r.table[0] == 127, "rsqrt " << int(r.table[4]));
  // EXP of 0 is 1: at output scale 1/64 and zero point -128, q = -64.
  const LutParams e = prepare_exp(0.05f, 3, 1.f / 64, -128);
  EXPECT_TRUE(e.table[3] == -64, "exp " << int(e.table[3]));
}

TEST(prepare_errors_name_op_and_field) {
  const std::string s = prepare_error([] { prepare_log_softmax(0.1f, 0, 0.1f, 127); });
  EXPECT_TRUE(s.find("LOG_SOFTMAX: output scale") == 0, s);
  const std::string d = prepare_error([] { prepare_div(1.f, 0, 1.f, 0, 1.f / (1 << 24), 0); });
  EXPECT_TRUE(d.find("DIV") == 0, d);
  const std::string q = prepare_error([] { prepare_squared_difference(1.f, 0, 1.f, 300, 1.f, 0); });
  EXPECT_TRUE(q.find("SQUARED_DIFFERENCE: input2 zero point") == 0, q);
}

TEST(batch_matmul_every_path_equals_reference) {
  std::mt19937 rng(5);
  struct Shape {
    int m, n, k;
  };
  const Shape shapes[] = {{1, 1, 1}, {3, 5, 7}, {4, 16, 64}, {7, 3, 33}, {2, 9, 2048}, {2, 3, 2049}, {1, 4, 5000}};
  for (edgekd::Isa isa : edgekd::compiled_isas()) {
    if (!edgekd::isa_supported(isa)) continue;
    const auto& k = edgekd::kernel_table(isa).batch_matmul;
    for (const Shape& s : shapes) {
      for (int zl : {-128, 0, 127}) {
        for (int zr : {-128, 5, 127}) {
          std::vector<int8_t> lhs(size_t(s.m) * s.k), rhs(size_t(s.n) * s.k);
          for (auto& v : lhs) v = int8_t(rng() % 256 - 128);
          for (auto& v : rhs) v = int8_t(rng() % 256 - 128);
          const BatchMatMulParams p = prepare_batch_matmul(0.02f, zl, 0.03f, zr, 0.5f + s.k / 200.f, zl / 2);
          std::vector<int8_t> want(size_t(s.m) * s.n), got(want.size());
          batch_matmul_s8_ref(p, lhs.data(), rhs.data(), want.data(), s.m, s.n, s.k);
          k.fn(p, lhs.data(), rhs.data(), got.data(), s.m, s.n, s.k);
          for (size_t i = 0; i < want.size(); ++i)
            EXPECT_TRUE(want[i] == got[i], k.name << " m" << s.m << " n" << s.n << " k" << s.k << " zl" << zl << " zr"
                                                  << zr << " at " << i << ": " << int(got[i]) << " vs " << int(want[i]));
        }
      }
    }
  }
}

EDGEKD_TEST_MAIN()
