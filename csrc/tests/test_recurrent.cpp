// The stateful ops' kernels: the matrix-vector twins against matvec_s8_ref bit for bit over edge shapes and
// extreme values, and the int16 fixed-point activations' symmetries and accuracy. The LSTM and SVDF
// against LiteRT itself are tests/test_state_ops.py.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "kernels/kernels.h"
#include "kernels/ops/fixed_point_int16.h"
#include "kernels/ops/recurrent.h"
#include "testing.h"

namespace fx16 = edgekd::ops::fx16;

TEST(matvec_twins_equal_the_reference) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(-128, 127);
  for (edgekd::Isa isa : edgekd::compiled_isas()) {
    if (!edgekd::isa_supported(isa)) continue;
    const auto& k = edgekd::kernel_table(isa).matvec;
    for (int rows : {1, 3, 4, 5, 8, 17})
      for (int cols : {1, 15, 16, 17, 32, 33, 100})
        for (int fill : {0, -128, 127}) {  // 0: random; else every weight and input at that extreme
          std::vector<int8_t> w(static_cast<size_t>(rows) * cols), x(static_cast<size_t>(cols));
          for (auto& v : w) v = static_cast<int8_t>(fill ? fill : byte(rng));
          for (auto& v : x) v = static_cast<int8_t>(fill ? fill : byte(rng));
          std::vector<int32_t> want(static_cast<size_t>(rows)), got(static_cast<size_t>(rows), -1);
          edgekd::ops::matvec_s8_ref(w.data(), rows, cols, x.data(), want.data());
          k.fn(w.data(), rows, cols, x.data(), got.data());
          for (int r = 0; r < rows; ++r)
            EXPECT_TRUE(got[r] == want[r], std::string(k.name) + " rows " + std::to_string(rows) + " cols " +
                                               std::to_string(cols) + " row " + std::to_string(r) + ": " +
                                               std::to_string(got[r]) + " vs " + std::to_string(want[r]));
        }
  }
}

TEST(fixed_point_activations_are_symmetric_and_close) {
  EXPECT_TRUE(fx16::logistic(0, 3) == 16384, "logistic(0) is one half");
  EXPECT_TRUE(fx16::tanh(0, 3) == 0, "tanh(0) is 0");
  for (int bits = 0; bits <= 6; ++bits) {
    double worst_t = 0, worst_s = 0;
    for (int v = -32767; v <= 32767; ++v) {
      const int16_t x = static_cast<int16_t>(v), nx = static_cast<int16_t>(-v);
      const int t = fx16::tanh(x, bits), s = fx16::logistic(x, bits);
      EXPECT_TRUE(t == -fx16::tanh(nx, bits), "tanh is odd at " + std::to_string(v));
      if (v != 0) EXPECT_TRUE(s + fx16::logistic(nx, bits) == 32767, "logistic(x) + logistic(-x) is one at " + std::to_string(v));
      // Not monotonic: with few fractional bits gemmlowp's int16 exp wobbles by about 16 units (LiteRT
      // computes the same wobble); the error bound below holds.
      const double real = v / std::pow(2.0, 15 - bits);
      worst_t = std::max(worst_t, std::abs(t / 32768.0 - std::tanh(real)));
      worst_s = std::max(worst_s, std::abs(s / 32768.0 - 1.0 / (1.0 + std::exp(-real))));
    }
    EXPECT_TRUE(worst_t < 1e-3 && worst_s < 1e-3,
                "bits " + std::to_string(bits) + ": worst error tanh " + std::to_string(worst_t) + ", logistic " +
                    std::to_string(worst_s));
  }
}

TEST(inverse_square_root_multiplier) {
  for (int32_t v : {2, 3, 4, 100, 1 << 20, 123456789, (1 << 30) + 7}) {
    int32_t m, s;
    edgekd::ops::inv_sqrt_multiplier(v, &m, &s);
    const double got = m / 2147483648.0 * std::pow(2.0, s);
    EXPECT_TRUE(std::abs(got * std::sqrt(double(v)) - 1.0) < 1e-4, "1/sqrt(" + std::to_string(v) + ") = " + std::to_string(got));
  }
}

EDGEKD_TEST_MAIN()
