// The AVX-512 VNNI GEMM's own tiles and output stage (gemm_avx512vnni.cpp) against the reference GEMM, bit
// for bit, over the shapes where its paths split: last panels of 1..8 columns (two rows per vector),
// 9..16 (one vector) and 17..32; rows in whole 8-row blocks, leftovers (overlapped block or, when the
// output overlaps A, smaller tiles) and more rows than one preparation of A holds; dense rows (lda == k,
// k a multiple of 4: prepared as one span) and strided ones; M = 1; output stages whose panels mix the
// short and the general form; clamps on either side. test_gemm.cpp sweeps every path over generic edge
// shapes; this one follows this kernel's branches.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "edgekd/quant.h"
#include "kernel_case_helpers.h"
#include "kernels/kernels.h"
#include "testing.h"

using namespace edgekd;

namespace {

// input: A [m][lda]; weights: W [n][k].
struct Problem : edgekd_test::Int8Operands {
  int m, n, k;
  size_t lda, ldc;
  int32_t a_zp;
  std::string describe() const {
    std::ostringstream os;
    os << "m=" << m << " n=" << n << " k=" << k << " lda=" << lda << " ldc=" << ldc << " a_zp=" << a_zp
       << " out_zp=" << out.output_zero_point << " clamp=[" << out.act_min << "," << out.act_max << "]";
    return os.str();
  }
};

// general: every fifth column shifts left (requant8's general form for its panel only).
Problem make(std::mt19937& gen, int m, int n, int k, bool dense, bool general, int style) {
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  Problem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.lda = dense ? k : k + 3;
  p.ldc = n + (style % 2 ? 5 : 0);
  p.a_zp = style % 3 == 0 ? -128 : style % 3 == 1 ? 127 : uniform(-20, 20);
  p.input = edgekd_test::random_int8(gen, static_cast<size_t>(m) * p.lda, -128, 127);
  p.weights = edgekd_test::random_int8(gen, static_cast<size_t>(n) * k, -127, 127);
  edgekd_test::fill_channels(&p, n, [&](int j) {
    const int32_t bias = uniform(-30000, 30000);
    double real = std::ldexp(1.0 + uniform(0, 1 << 20) / double(1 << 20), -uniform(6, 14)) / std::sqrt(k);
    if (general && j % 5 == 2) real *= 1 << uniform(14, 18);  // >= 1: a left shift or shift 0
    return edgekd_test::ChannelStage{bias, real};
  });
  p.out.output_zero_point = uniform(-128, 127);
  if (style % 4 == 1) {  // ReLU6-like: only the upper bound bites
    p.out.act_min = -128;
    p.out.act_max = uniform(0, 100);
  } else if (style % 4 == 2) {  // both bounds bite
    p.out.act_min = uniform(-100, -10);
    p.out.act_max = uniform(10, 100);
  } else if (style % 4 == 3) {  // only the lower bound
    p.out.act_min = uniform(-60, 0);
  }
  return p;
}

std::vector<int8_t> run(const GemmKernel& kern, const Problem& p) {
  PackedGemm packed;
  kern.pack(p.weights.data(), p.bias.data(), p.n, p.k, p.a_zp, &packed);
  packed.out = p.out;
  std::vector<int8_t> c(static_cast<size_t>(p.m) * p.ldc, 0x5A);  // sentinel in the stride padding
  kern.run(packed, p.m, p.input.data(), p.lda, c.data(), p.ldc, 0, p.n);
  return c;
}

std::string check(const Problem& p) {
  const std::vector<int8_t> want = run(*kernel_table(Isa::kRef).gemm, p);
  const std::vector<int8_t> got = run(*kernel_table(Isa::kAvx512Vnni).gemm, p);
  const std::string diff = edgekd_test::first_difference(got, want, p.ldc);
  return diff.empty() ? diff : p.describe() + ": C: " + diff;
}

bool vnni_here() {
  if (isa_compiled(Isa::kAvx512Vnni) && isa_available(Isa::kAvx512Vnni)) return true;
  std::printf("  (skipped: the AVX-512 VNNI path is not compiled in or this CPU lacks it)\n");
  return false;
}

}  // namespace

TEST(vnni_gemm_panel_widths_row_counts_and_layouts) {
  if (!vnni_here()) return;
  std::mt19937 gen(21);
  const int ns[] = {1, 5, 8, 9, 12, 16, 17, 24, 31, 32, 40, 48, 56, 96, 100};
  const int ms[] = {1, 2, 7, 8, 9, 15, 16, 17, 36, 50};
  const int ks[] = {4, 8, 16, 24, 27, 64, 144};
  int style = 0, checked = 0;
  for (int n : ns)
    for (int m : ms)
      for (int k : ks) {
        const Problem p = make(gen, m, n, k, style % 2 == 0, style % 7 == 3, style);
        ++style;
        ++checked;
        const std::string err = check(p);
        EXPECT_TRUE(err.empty(), err);
      }
  std::printf("  %d problems checked\n", checked);
}

TEST(vnni_gemm_more_rows_than_one_preparation) {
  if (!vnni_here()) return;
  // Dense k = 16: 260 blocks of 8 rows are prepared at once, so 2304 + 5 rows take two preparations and an
  // overlapped last block; strided rows are prepared per row, 8 blocks at once at this k.
  std::mt19937 gen(22);
  int style = 0;
  for (bool dense : {true, false})
    for (int m : {2309, 2304, 71})
      for (int n : {8, 24, 96}) {
        const Problem p = make(gen, m, n, 16, dense, false, style++);
        const std::string err = check(p);
        EXPECT_TRUE(err.empty(), err);
      }
}

TEST(vnni_gemm_in_place_runs_without_the_overlapped_block) {
  if (!vnni_here()) return;
  // C written over A (same buffer, C's row i at or before A's row i): the 3 leftover rows must run as their
  // own tile, not as an overlapped block that re-reads rows whose bytes C already overwrote.
  std::mt19937 gen(23);
  const int m = 11, n = 16, k = 32;
  const Problem p = make(gen, m, n, k, true, false, 0);
  const std::vector<int8_t> want = run(*kernel_table(Isa::kRef).gemm, p);
  std::vector<int8_t> buf(p.input);
  PackedGemm packed;
  const GemmKernel& kern = *kernel_table(Isa::kAvx512Vnni).gemm;
  kern.pack(p.weights.data(), p.bias.data(), n, k, p.a_zp, &packed);
  packed.out = p.out;
  kern.run(packed, m, buf.data(), k, buf.data(), n, 0, n);
  EXPECT_TRUE(std::vector<int8_t>(buf.begin(), buf.begin() + m * n) == want, "in-place output differs from ref");
}

EDGEKD_TEST_MAIN()
