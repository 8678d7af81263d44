// The shape and reduction kernels (kernels/ops/shape_ops.h): every path's RESIZE_BILINEAR twin against the
// reference bit for bit over edge shapes (channel counts around the 16-lane step, up- and downscaling, each
// coordinate mode), and the strided copy, reductions and arg-min/max against naive loops. The comparison
// with LiteRT itself is tests/test_ops_shape.py.
#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "kernels/kernels.h"
#include "kernels/ops/shape_ops.h"
#include "testing.h"

using namespace edgekd::ops;

namespace {

std::vector<int8_t> random_s8(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

}  // namespace

TEST(resize_bilinear_twins_equal_the_reference) {
  std::mt19937 rng(1);
  const int channels[] = {1, 3, 15, 16, 17, 32, 33, 64};
  const int sizes[][4] = {{4, 4, 8, 8}, {5, 7, 9, 13}, {10, 10, 3, 4}, {1, 3, 5, 6}, {6, 6, 6, 6}, {3, 5, 1, 1}};
  const bool flags[][2] = {{false, false}, {true, false}, {false, true}};
  for (edgekd::Isa isa : edgekd::compiled_isas()) {
    if (!edgekd::isa_supported(isa)) continue;
    const auto& k = edgekd::kernel_table(isa).shape.resize_bilinear;
    for (int C : channels)
      for (const auto& s : sizes)
        for (const auto& f : flags) {
          const ResizeParams p = prepare_resize_bilinear(2, s[0], s[1], C, s[2], s[3], f[0], f[1]);
          const std::vector<int8_t> in = random_s8(size_t(2) * s[0] * s[1] * C, rng);
          std::vector<int8_t> want(size_t(2) * s[2] * s[3] * C), got(want.size());
          resize_bilinear_s8_ref(p, in.data(), want.data(), 0, s[2]);
          k.fn(p, in.data(), got.data(), 0, s[2]);
          const auto diff = std::mismatch(want.begin(), want.end(), got.begin());
          EXPECT_TRUE(diff.first == want.end(), k.name << " C=" << C << " " << s[0] << "x" << s[1] << "->" << s[2] << "x"
                                                       << s[3] << " align=" << f[0] << " half=" << f[1] << ": first difference at "
                                                       << (diff.first - want.begin()) << ": " << int(*diff.second)
                                                       << " vs reference " << int(*diff.first));
        }
  }
}

TEST(bilinear_extremes_stay_exact) {
  // All taps at -128 / 127: every output is the tap itself (weights sum to 2^20).
  for (int8_t v : {int8_t(-128), int8_t(127)}) {
    const ResizeParams p = prepare_resize_bilinear(1, 3, 3, 16, 7, 5, false, true);
    std::vector<int8_t> in(3 * 3 * 16, v), out(7 * 5 * 16);
    for (edgekd::Isa isa : edgekd::compiled_isas()) {
      if (!edgekd::isa_supported(isa)) continue;
      edgekd::kernel_table(isa).shape.resize_bilinear.fn(p, in.data(), out.data(), 0, 7);
      EXPECT_TRUE(std::all_of(out.begin(), out.end(), [v](int8_t o) { return o == v; }), "value " << int(v));
    }
  }
}

TEST(strided_copy_transposes_match_naive_indexing) {
  std::mt19937 rng(2);
  for (int trial = 0; trial < 60; ++trial) {
    const int rank = 2 + trial % 5;
    std::vector<int> shape(rank);
    for (int& d : shape) d = 1 + static_cast<int>(rng() % (rank <= 3 ? 70 : 7));
    std::vector<int> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const std::vector<int64_t> strides = dense_strides(shape);
    std::vector<int64_t> dims(rank), in_strides(rank);
    for (int k = 0; k < rank; ++k) {
      dims[k] = shape[perm[k]];
      in_strides[k] = strides[perm[k]];
    }
    const StridedCopy c = make_strided_copy(rank, dims.data(), in_strides.data(), 0, 1);
    int64_t n = 1;
    for (int d : shape) n *= d;
    std::vector<int8_t> in = random_s8(static_cast<size_t>(n), rng), out(in.size());
    strided_copy(c, reinterpret_cast<const uint8_t*>(in.data()), reinterpret_cast<uint8_t*>(out.data()));
    std::vector<int64_t> idx(rank, 0);
    for (int64_t o = 0; o < n; ++o) {
      int64_t src = 0;
      for (int k = 0; k < rank; ++k) src += idx[k] * in_strides[k];
      EXPECT_TRUE(out[o] == in[src], "trial " << trial << " rank " << rank << " output " << o);
      for (int k = rank - 1; k >= 0; --k) {
        if (++idx[k] < dims[k]) break;
        idx[k] = 0;
      }
    }
  }
}

TEST(reductions_and_arg_match_naive_loops) {
  std::mt19937 rng(3);
  const int dims[4] = {2, 3, 4, 5};
  const std::vector<int8_t> in = random_s8(120, rng);
  const int32_t axes[2] = {1, 3};
  ReduceParams p = prepare_reduce(dims, 4, axes, 2, "SUM");
  prepare_sum_requant(p, 1.0f, 0, 1.0f, 0);  // sum of raw values, clamped
  std::vector<int8_t> sum(10), mx(10);
  std::vector<int32_t> acc(10);
  reduce_sum_s8(p, in.data(), sum.data(), acc.data());
  reduce_max_s8(p, in.data(), mx.data());
  for (int a = 0; a < 2; ++a)
    for (int c = 0; c < 4; ++c) {
      int s = 0, m = -128;
      for (int b = 0; b < 3; ++b)
        for (int d = 0; d < 5; ++d) {
          const int v = in[((a * 3 + b) * 4 + c) * 5 + d];
          s += v;
          m = std::max(m, v);
        }
      EXPECT_TRUE(sum[a * 4 + c] == std::max(-128, std::min(127, s)), "sum " << a << "," << c);
      EXPECT_TRUE(mx[a * 4 + c] == m, "max " << a << "," << c);
    }
  // Ties: the first index of the extreme, on a contiguous axis and a strided one.
  const int8_t t[12] = {1, 5, 5, 0, -2, -2, 7, 7, -2, 3, -9, -9};
  int32_t last[3], mid[4];
  arg_minmax_s8({3, 4, 1, true, false}, t, last);
  EXPECT_TRUE(last[0] == 1 && last[1] == 2 && last[2] == 1, last[0] << last[1] << last[2]);
  arg_minmax_s8({1, 3, 4, false, false}, t, mid);  // min over the 3 rows of a [3][4] tensor
  EXPECT_TRUE(mid[0] == 1 && mid[1] == 1 && mid[2] == 2 && mid[3] == 2, mid[0] << mid[1] << mid[2] << mid[3]);
}

TEST(gather_reports_the_first_bad_index) {
  const uint8_t table[6] = {0, 1, 2, 3, 4, 5};
  const int32_t idx[3] = {2, 3, 1};
  GatherParams g;
  g.axis_size = 3;
  g.coords = 3;
  g.inner_bytes = 2;
  uint8_t out[6];
  EXPECT_TRUE(gather(g, table, idx, out) == 1, "position of index 3");
  const int32_t ok[3] = {2, 0, 1};
  EXPECT_TRUE(gather(g, table, ok, out) == -1 && out[0] == 4 && out[3] == 1, "rows");
}

EDGEKD_TEST_MAIN()
