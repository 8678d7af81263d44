// Hand-computed cases for the non-GEMM int8 ops (csrc/kernels/ops). Expected values are worked out from
// LiteRT's formulas in the comments next to them; the bit-for-bit comparison against LiteRT itself is
// tests/test_ops_binding.py.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "kernels/kernels.h"
#include "kernels/ops/ops.h"
#include "testing.h"

using namespace edgekd::ops;

namespace {
// The distinct kernels of one family over the tables of every path this build and CPU run (a path that
// shares another's kernel adds nothing), named by the table: each is checked against the reference.
template <class Fn>
std::vector<edgekd::OpKernel<Fn>> kernels_of(edgekd::OpKernel<Fn> edgekd::KernelTable::*family) {
  std::vector<edgekd::OpKernel<Fn>> out;
  for (edgekd::Isa isa : edgekd::compiled_isas()) {
    if (!edgekd::isa_supported(isa)) continue;
    const edgekd::OpKernel<Fn>& k = edgekd::kernel_table(isa).*family;
    bool seen = false;
    for (const auto& o : out) seen = seen || o.fn == k.fn;
    if (!seen) out.push_back(k);
  }
  return out;
}
std::string vec_str(const std::vector<int8_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(int(v[i]));
  return s + "]";
}
// Returns the std::invalid_argument message of f(), or "" if it did not throw.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}
bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST(add_unit_scales) {
  // s = 1 everywhere: m_in = 0.5 -> (2^30, 0); m_out = 2 / 2^20 = 2^-19 -> (2^30, -18).
  // 3 + 4: terms 3<<19 and 4<<19, sum 7<<19, SRDHM -> 7<<18, >> 18 -> 7. Output zero point -5 -> 2.
  const AddParams p = prepare_add(1.f, 0, 1.f, 0, 1.f, -5);
  EXPECT_TRUE(p.left_shift == 20 && p.input1_multiplier == (1 << 30) && p.input1_shift == 0, "input params");
  EXPECT_TRUE(p.output_multiplier == (1 << 30) && p.output_shift == -18, "output shift " << p.output_shift);
  const int8_t a[3] = {3, 100, -128}, b[3] = {4, 100, -128};
  int8_t o[3];
  add_s8_ref(p, {1, 1, 1, 3}, a, {1, 1, 1, 3}, b, o);
  EXPECT_TRUE(o[0] == 2 && o[1] == 127 && o[2] == -128, int(o[0]) << " " << int(o[1]) << " " << int(o[2]));
}

TEST(add_ties_round_away_from_zero) {
  // Output scale 2: (3 + 4) / 2 = 3.5 -> 4 and (-3 - 4) / 2 = -3.5 -> -4 (RoundingDivideByPOT).
  const AddParams p = prepare_add(1.f, 0, 1.f, 0, 2.f, 0);
  const int8_t a[2] = {3, -3}, b[2] = {4, -4};
  int8_t o[2];
  add_s8_ref(p, {1, 1, 1, 2}, a, {1, 1, 1, 2}, b, o);
  EXPECT_TRUE(o[0] == 4 && o[1] == -4, int(o[0]) << " " << int(o[1]));
}

TEST(add_relu6_clamp_and_zero_points_at_bounds) {
  // out scale 0.1, zp -128: RELU6 range [-128 + 0, -128 + 60] = [-128, -68].
  const AddParams p = prepare_add(0.1f, 127, 0.1f, -128, 0.1f, -128, Activation::kRelu6);
  EXPECT_TRUE(p.act.min == -128 && p.act.max == -68, p.act.min << " " << p.act.max);
  const int8_t a[2] = {127, -128}, b[2] = {127, 127};  // reals 0 + 25.5 and -25.5 + 25.5
  int8_t o[2];
  add_s8_ref(p, {1, 1, 1, 2}, a, {1, 1, 1, 2}, b, o);
  EXPECT_TRUE(o[0] == -68 && o[1] == -128, int(o[0]) << " " << int(o[1]));
}

TEST(add_broadcast_squeeze_excite_and_scalar) {
  const AddParams p = prepare_add(1.f, 0, 1.f, 0, 1.f, 0);
  std::vector<int8_t> x(2 * 2 * 3), gate = {10, 20, 30}, out(12), ref(12);
  for (int i = 0; i < 12; ++i) x[i] = int8_t(i - 6);
  add_s8_ref(p, {1, 2, 2, 3}, x.data(), {1, 1, 1, 3}, gate.data(), out.data());
  for (int i = 0; i < 12; ++i) ref[i] = int8_t(x[i] + gate[i % 3]);
  EXPECT_TRUE(out == ref, vec_str(out) << " vs " << vec_str(ref));
  const int8_t s = -7;
  add_s8_ref(p, {1, 1, 1, 1}, &s, {1, 2, 2, 3}, x.data(), out.data());  // scalar first
  for (int i = 0; i < 12; ++i) ref[i] = int8_t(x[i] - 7);
  EXPECT_TRUE(out == ref, vec_str(out));
  EXPECT_TRUE(contains(error_of([&] { add_s8_ref(p, {1, 1, 1, 2}, s == 0 ? nullptr : &s, {1, 1, 1, 3}, x.data(),
                                             out.data()); }), "ADD: input shapes"), "bad broadcast");
}

TEST(mul_float_multiplier) {
  // 0.5 * 0.5 / 0.25 = 1 -> (2^30, 1). (3 - 1) * (-5 - 0) = -10 -> -10 + 3 = -7.
  const MulParams p = prepare_mul(0.5f, 1, 0.5f, 0, 0.25f, 3);
  EXPECT_TRUE(p.output_multiplier == (1 << 30) && p.output_shift == 1, p.output_multiplier << " " << p.output_shift);
  const int8_t a = 3, b = -5;
  int8_t o = 0;
  mul_s8_ref(p, {1, 1, 1, 1}, &a, {1, 1, 1, 1}, &b, &o);
  EXPECT_TRUE(o == -7, int(o));
}

TEST(avg_pool_rounding_and_in_bounds_count) {
  // 2x2 input, 3x3 SAME window stride 1: every window holds the 4 pixels (padding taps are not counted).
  const PoolParams p = prepare_pool({1, 2, 2, 4}, 3, 3, 1, 1, Padding::kSame, 1.f, 0);
  EXPECT_TRUE(p.out_h == 2 && p.out_w == 2 && p.pad_top == 1 && p.pad_left == 1, "geometry");
  // channels: {1,2,3,5} sum 11 -> (11+2)/4 = 3; negatives sum -11 -> (-11-2)/4 = -3;
  // {-1,-2,0,1} sum -2 -> (-2-2)/4 = -1 (tie away from zero); {1,2,0,-1} sum 2 -> 1.
  const int8_t px[4][4] = {{1, -1, -1, 1}, {2, -2, -2, 2}, {3, -3, 0, 0}, {5, -5, 1, -1}};
  int8_t in[16], out[16];
  for (int i = 0; i < 4; ++i) std::memcpy(in + 4 * i, px[i], 4);
  avg_pool_s8(p, in, out);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(out[4 * i] == 3 && out[4 * i + 1] == -3 && out[4 * i + 2] == -1 && out[4 * i + 3] == 1,
                "pixel " << i << ": " << int(out[4 * i]) << "," << int(out[4 * i + 1]) << "," << int(out[4 * i + 2])
                         << "," << int(out[4 * i + 3]));
}

TEST(max_pool_valid_with_relu) {
  const PoolParams p = prepare_pool({1, 2, 2, 1}, 2, 2, 2, 2, Padding::kValid, 1.f, -10, Activation::kRelu);
  const int8_t in[4] = {-50, -60, -40, -70};
  int8_t out = 0;
  max_pool_s8(p, in, &out);
  EXPECT_TRUE(p.out_h == 1 && out == -10, int(out));  // max -40, clamped to the RELU floor zp + 0 = -10
}

TEST(mean_hw_fast_path_neon_block_rounding) {
  // keep_dims, axes {1,2}: real_scale = 1 / 4 -> (2^30, -1). Sum -10 -> SRDHM -5 -> -2.5.
  // Channels in LiteRT's 16-wide NEON block round half up (-2); the tail rounds away from zero (-3).
  const int dims[4] = {1, 2, 2, 17};
  const int32_t axes[2] = {1, 2};
  const MeanParams p = prepare_mean(dims, 4, axes, 2, true, 1.f, 0, 1.f, 0);
  EXPECT_TRUE(p.hw_fast_path && p.multiplier == (1 << 30) && p.shift == -1, "params");
  std::vector<int8_t> in(4 * 17), out(17);
  for (int px = 0; px < 4; ++px)
    for (int c = 0; c < 17; ++c) in[px * 17 + c] = int8_t(-(px + 1));
  mean_s8(p, in.data(), out.data());
  EXPECT_TRUE(out[0] == -2 && out[15] == -2 && out[16] == -3, vec_str(out));
}

TEST(mean_reference_path_without_keep_dims) {
  // Reference QuantizedMeanOrSum: m = (2^30, 1) for s_in/s_out = 1; n = 4 folds in: k = 2,
  // m' = (2^30 << 2) / 4 = 2^30, e' = -1. Sum 1+2+3+4 = 10 -> 2.5 -> 3; zero points subtract 4 * z_in.
  const int dims[4] = {1, 2, 2, 1};
  const int32_t axes[2] = {1, 2};
  const MeanParams p = prepare_mean(dims, 4, axes, 2, false, 1.f, 1, 1.f, 0);
  EXPECT_TRUE(!p.hw_fast_path && p.multiplier == (1 << 30) && p.shift == -1, p.multiplier << " " << p.shift);
  const int8_t in[4] = {2, 3, 4, 5};  // minus zp 1 -> 1..4
  int8_t out = 0;
  mean_s8(p, in, &out);
  EXPECT_TRUE(out == 3, int(out));
}

TEST(mean_hw_table_equals_per_channel_requant) {
  // Global pooling over few pixels reads a table built at prepare time; clearing the table makes mean_s8
  // requantize every sum directly. Both must agree on every channel, in whole 16-blocks and in the tail,
  // for both arithmetics, also when threads take channel chunks (each path's mean_hw kernel on [0, 16) and [16, C)).
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(-128, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.2f);
  for (int trial = 0; trial < 40; ++trial) {
    const int h = 1 + trial % 7, w = 1 + trial % 5, c = 1 + (trial * 13) % 70;
    const int dims[4] = {2, h, w, c};
    const int32_t axes[2] = {2, 1};
    const bool keep = trial % 2 == 0;
    const MeanParams p =
        prepare_mean(dims, 4, axes, 2, keep, scale(rng), byte(rng), scale(rng), byte(rng));
    MeanParams direct = p;
    direct.lut.clear();
    EXPECT_TRUE(p.reduces_hw() && !p.lut.empty(), "table built");
    std::vector<int8_t> in(static_cast<size_t>(2 * h * w * c));
    // Extremes as well as random values, so the table's ends are read.
    for (auto& v : in) v = static_cast<int8_t>(trial % 3 == 0 ? -128 : trial % 3 == 1 ? 127 : byte(rng));
    if (trial % 3 == 2) in[0] = -128;
    std::vector<int8_t> a(2 * c), b(2 * c), chunks(2 * c);
    mean_s8(p, in.data(), a.data());
    mean_s8(direct, in.data(), b.data());
    EXPECT_TRUE(a == b, "trial " << trial << ": " << vec_str(a) << " vs " << vec_str(b));
    for (const auto& k : kernels_of(&edgekd::KernelTable::mean_hw)) {
      std::fill(chunks.begin(), chunks.end(), int8_t(0x55));
      k.fn(p, in.data(), chunks.data(), 0, c < 16 ? c : 16);
      if (c > 16) k.fn(p, in.data(), chunks.data(), 16, c);
      EXPECT_TRUE(a == chunks, k.name << " trial " << trial << ": " << vec_str(chunks) << " vs " << vec_str(a));
    }
  }
}

TEST(relu_family_requantize_and_clamp) {
  // s_in 1, s_out 0.5: real 2 -> (2^30, 2). RELU6 upper bound roundf(6 / 0.5) = 12.
  const LutParams p = prepare_relu(ReluKind::kRelu6, 1.f, 0, 0.5f, 0);
  const int8_t in[4] = {-3, 2, 5, 7};
  int8_t out[4];
  lut_s8(p, in, out, 4);
  EXPECT_TRUE(out[0] == 0 && out[1] == 4 && out[2] == 10 && out[3] == 12,
              int(out[0]) << " " << int(out[1]) << " " << int(out[2]) << " " << int(out[3]));
  const LutParams r1 = prepare_relu(ReluKind::kReluN1To1, 0.25f, 0, 0.25f, 0);  // range [-4, 4]
  const int8_t in1[3] = {-9, 3, 9};
  lut_s8(r1, in1, out, 3);
  EXPECT_TRUE(out[0] == -4 && out[1] == 3 && out[2] == 4, int(out[0]) << " " << int(out[2]));
}

TEST(hard_swish_shape_of_the_curve) {
  const LutParams p = prepare_hard_swish(0.1f, 0, 0.1f, 0);
  const int8_t in[3] = {-50, 0, 50};  // -5, 0, 5: hard_swish gives 0, 0, 5
  int8_t out[3];
  lut_s8(p, in, out, 3);
  EXPECT_TRUE(out[0] == 0 && out[1] == 0 && std::abs(out[2] - 50) <= 1, int(out[0]) << " " << int(out[2]));
}

TEST(logistic_and_softmax_midpoints) {
  const LutParams p = prepare_logistic(0.1f, 5, 1.f / 256, -128);
  const int8_t x = 5;  // real 0 -> 0.5 -> 128 - 128 = 0
  int8_t y = 1;
  lut_s8(p, &x, &y, 1);
  EXPECT_TRUE(y == 0, int(y));
  const SoftmaxParams s = prepare_softmax(1.f, 0.1f, 0, 1.f / 256, -128);
  const int8_t row[2] = {17, 17};  // 0.5 each -> 128 - 128 = 0
  int8_t o[2] = {1, 1};
  softmax_s8(s, row, o, 1, 2);
  EXPECT_TRUE(o[0] == 0 && o[1] == 0, int(o[0]) << " " << int(o[1]));
}

TEST(quantize_ties_depend_on_block) {
  // s = 0.5: 0.25 / 0.5 = 0.5 exactly. LiteRT's 8-wide NEON block rounds to even (0), the scalar tail
  // away from zero (1); element 8 of 9 is in the tail.
  const QuantizeParams p = prepare_quantize(0.5f, 0);
  std::vector<float> x(9, 0.25f);
  x[1] = -0.25f;
  x[8] = 0.75f;  // 1.5 -> 2 either way
  x[7] = 0.75f;
  std::vector<int8_t> q(9);
  quantize_f32_s8(p, x.data(), q.data(), 9);
  EXPECT_TRUE(q[0] == 0 && q[1] == 0 && q[7] == 2 && q[8] == 2, vec_str(q));
  quantize_f32_s8(p, x.data(), q.data(), 2);  // both in the scalar tail now
  EXPECT_TRUE(q[0] == 1 && q[1] == -1, vec_str(q));
  const float big[1] = {1e30f};
  quantize_f32_s8(p, big, q.data(), 1);  // out of int32: x86 conversion gives INT32_MIN -> -128
  EXPECT_TRUE(q[0] == -128, int(q[0]));
  const DequantizeParams d = prepare_dequantize(0.5f, 1);
  const int8_t v = 3;
  float f = 0;
  dequantize_s8_f32(d, &v, &f, 1);
  EXPECT_TRUE(f == 1.0f, f);
}

TEST(pad_and_concat_move_bytes) {
  const int dims[2] = {1, 2};
  const int32_t pads[4] = {1, 0, 0, 2};
  const PadParams p = prepare_pad(dims, 2, pads, -3);
  const int8_t in[2] = {7, 8};
  int8_t out[8];
  pad_s8(p, in, out);
  const int8_t expect[8] = {-3, -3, -3, -3, 7, 8, -3, -3};
  EXPECT_TRUE(p.out.w == 2 && p.out.c == 4 && std::memcmp(out, expect, 8) == 0, "pad");
  const int d0[2] = {2, 2}, d1[2] = {2, 1};
  const int* ds[2] = {d0, d1};
  const float sc[2] = {0.5f, 1.0f};
  const int32_t zp[2] = {0, 0};
  const ConcatParams c = prepare_concat(2, ds, 2, -1, sc, zp, 0.5f, 0);
  const int8_t a[4] = {1, 2, 3, 4}, b[2] = {5, -6};  // b is requantized: x * 2
  const int8_t* ins[2] = {a, b};
  int8_t o[6];
  concat_s8(c, ins, o);
  const int8_t ce[6] = {1, 2, 10, 3, 4, -12};
  EXPECT_TRUE(std::memcmp(o, ce, 6) == 0, "concat " << int(o[2]) << " " << int(o[5]));
}

TEST(bad_parameters_name_op_and_field) {
  EXPECT_TRUE(contains(error_of([] { prepare_add(0.f, 0, 1.f, 0, 1.f, 0); }), "ADD: input1 scale"), "add scale");
  EXPECT_TRUE(contains(error_of([] { prepare_add(1.f, 0, 1.f, 0, 1e-9f, 0); }), "ADD: output scale"), "add out");
  EXPECT_TRUE(contains(error_of([] { prepare_mul(1.f, 200, 1.f, 0, 1.f, 0); }), "MUL: input1 zero point"), "mul zp");
  EXPECT_TRUE(contains(error_of([] { prepare_add(1.f, 0, 1.f, 0, 1.f, 0, Activation::kTanh); }),
                       "ADD: fused activation"), "tanh act");
  EXPECT_TRUE(contains(error_of([] { prepare_pool({1, 4, 4, 1}, 0, 2, 1, 1, Padding::kSame, 1.f, 0); }),
                       "POOL_2D: filter size"), "filter");
  EXPECT_TRUE(contains(error_of([] { prepare_pool({1, 2, 2, 1}, 3, 3, 1, 1, Padding::kValid, 1.f, 0); }),
                       "POOL_2D: filter size"), "valid too big");
  const int dims[4] = {1, 2, 2, 1};
  const int32_t bad_axis[1] = {4};
  EXPECT_TRUE(contains(error_of([&] { prepare_mean(dims, 4, bad_axis, 1, true, 1.f, 0, 1.f, 0); }), "MEAN: axis"),
              "mean axis");
  EXPECT_TRUE(contains(error_of([] { prepare_softmax(1.f, 0.1f, 0, 1.f / 256, 0); }), "SOFTMAX: output zero point"),
              "softmax zp");
  EXPECT_TRUE(contains(error_of([] { prepare_logistic(0.1f, 0, 0.1f, -128); }), "LOGISTIC: output scale"), "logistic");
  EXPECT_TRUE(contains(error_of([] { prepare_hard_swish(1.f, 0, 1e-4f, 0); }), "HARD_SWISH: output scale"), "hswish");
  const int32_t neg[8] = {0, 0, -1, 0, 0, 0, 0, 0};
  EXPECT_TRUE(contains(error_of([&] { prepare_pad(dims, 4, neg, 0); }), "PAD: paddings"), "pad");
  const int d0[2] = {2, 2}, d1[2] = {3, 1};
  const int* ds[2] = {d0, d1};
  const float sc[2] = {1.f, 1.f};
  const int32_t zp[2] = {0, 0};
  EXPECT_TRUE(contains(error_of([&] { prepare_concat(2, ds, 2, 1, sc, zp, 1.f, 0); }), "CONCATENATION: input shape"),
              "concat");
  EXPECT_TRUE(contains(error_of([] { prepare_quantize(-1.f, 0); }), "QUANTIZE: output scale"), "quantize");
}

// ------------------------------------------------------------------------------------------------
// The fast kernels (the ADD / MUL twins of every path this CPU runs, the vectorized pools) against their
// scalar references, bit for bit, over random shapes, channel tails, zero points, scales and activations
// (under qemu for the ARM paths).

namespace {
std::string shape_text(const Shape4& s) {
  return "[" + std::to_string(s.n) + "," + std::to_string(s.h) + "," + std::to_string(s.w) + "," +
         std::to_string(s.c) + "]";
}
// Index of the first differing element, or -1.
int64_t first_difference(const std::vector<int8_t>& a, const std::vector<int8_t>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return static_cast<int64_t>(i);
  return -1;
}
// Random int8 data; one tensor in four is saturated at one end, one in eight at both ends only.
void fill_random(std::mt19937& rng, std::vector<int8_t>& v) {
  const int mode = static_cast<int>(rng() % 8);
  for (auto& x : v) {
    int r = static_cast<int>(rng() % 256) - 128;
    if (mode == 0) r = r < 0 ? -128 : 127;
    else if (mode == 1) r = (r & 7) == 0 ? r : -128 + (r & 3);
    else if (mode == 2) r = (r & 7) == 0 ? r : 127 - (r & 3);
    x = static_cast<int8_t>(r);
  }
}
int random_zp(std::mt19937& rng) {
  const int r = static_cast<int>(rng() % 10);
  return r == 0 ? -128 : r == 1 ? 127 : r == 2 ? 0 : static_cast<int>(rng() % 256) - 128;
}
float random_scale(std::mt19937& rng, float lo_exp, float hi_exp) {
  std::uniform_real_distribution<float> e(lo_exp, hi_exp);
  return std::pow(10.0f, e(rng));
}
Activation random_act(std::mt19937& rng) {
  const Activation acts[4] = {Activation::kNone, Activation::kRelu, Activation::kRelu6, Activation::kReluN1To1};
  return acts[rng() % 4];
}
const int kChannelCounts[] = {1, 2, 3, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 64, 65};
}  // namespace

TEST(pools_equal_reference_on_random_shapes) {
  std::mt19937 rng(1234);
  int checked = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    Shape4 in;
    in.n = 1 + static_cast<int>(rng() % 2);
    in.h = 1 + static_cast<int>(rng() % 12);
    in.w = 1 + static_cast<int>(rng() % 12);
    in.c = kChannelCounts[rng() % (sizeof(kChannelCounts) / sizeof(int))];
    int fh = 1 + static_cast<int>(rng() % 4), fw = 1 + static_cast<int>(rng() % 4);
    if (iter % 50 == 0) {  // a window over 256 taps (the int32 fallback) and a global pool
      in.h = in.w = 17;
      fh = fw = (iter % 100 == 0) ? 17 : 16;
    }
    const int sh = 1 + static_cast<int>(rng() % 3), sw = 1 + static_cast<int>(rng() % 3);
    const Padding pad = rng() % 2 ? Padding::kSame : Padding::kValid;
    const float scale = random_scale(rng, -3.f, 0.f);
    const int zp = random_zp(rng);
    const Activation act = random_act(rng);
    PoolParams p;
    try {
      p = prepare_pool(in, fh, fw, sh, sw, pad, scale, zp, act);
    } catch (const std::invalid_argument&) {
      continue;  // VALID window larger than the input, or a window with no pixel
    }
    std::vector<int8_t> x(static_cast<size_t>(in.size()));
    fill_random(rng, x);
    const size_t n_out = static_cast<size_t>(p.out_shape().size());
    for (int kind = 0; kind < 2; ++kind) {
      std::vector<int8_t> got(n_out, 0x55), want(n_out, 0x33);
      if (kind == 0) {
        max_pool_s8(p, x.data(), got.data());
        max_pool_s8_ref(p, x.data(), want.data());
      } else {
        avg_pool_s8(p, x.data(), got.data());
        avg_pool_s8_ref(p, x.data(), want.data());
      }
      const int64_t d = first_difference(got, want);
      EXPECT_TRUE(d < 0, (kind ? "avg" : "max") << "_pool in " << shape_text(in) << " filter " << fh << "x" << fw
                                                << " stride " << sh << "x" << sw << " pad " << int(pad) << " act ["
                                                << p.act.min << "," << p.act.max << "]: element " << d << " got "
                                                << int(got[d]) << " want " << int(want[d]));
    }
    ++checked;
  }
  EXPECT_TRUE(checked > 1000, "only " << checked << " pool cases were valid");
}

namespace {
// Random broadcast pairs: each dimension of each operand is the output's or 1 (same shape half the time).
void random_binary_shapes(std::mt19937& rng, Shape4* a, Shape4* b) {
  Shape4 o;
  o.n = 1 + static_cast<int>(rng() % 2);
  o.h = 1 + static_cast<int>(rng() % 9);
  o.w = 1 + static_cast<int>(rng() % 9);
  o.c = kChannelCounts[rng() % (sizeof(kChannelCounts) / sizeof(int))];
  *a = *b = o;
  const int mode = static_cast<int>(rng() % 8);
  if (mode < 4) return;  // same shape: the hot case
  auto squeeze = [&](Shape4* s) {
    if (rng() % 2) s->n = 1;
    if (rng() % 2) s->h = 1;
    if (rng() % 2) s->w = 1;
    if (rng() % 2) s->c = 1;
  };
  if (mode == 4) { squeeze(b); return; }
  if (mode == 5) { squeeze(a); return; }
  if (mode == 6) { b->h = b->w = 1; if (rng() % 2) std::swap(*a, *b); return; }  // squeeze-excite
  squeeze(a);
  squeeze(b);
}

}  // namespace

TEST(add_mul_equal_reference_on_random_shapes) {
  const auto add_kernels = kernels_of(&edgekd::KernelTable::add);
  const auto mul_kernels = kernels_of(&edgekd::KernelTable::mul);
  std::mt19937 rng(99);
  int checked_add = 0, checked_mul = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    Shape4 s1, s2;
    random_binary_shapes(rng, &s1, &s2);
    std::vector<int8_t> x(static_cast<size_t>(s1.size())), y(static_cast<size_t>(s2.size()));
    fill_random(rng, x);
    fill_random(rng, y);
    const Shape4 o = broadcast_shape(s1, s2);
    const size_t n = static_cast<size_t>(o.size());
    const float sa = random_scale(rng, -3.f, 0.f), sb = random_scale(rng, -3.f, 0.f);
    const int za = random_zp(rng), zb = random_zp(rng), zo = random_zp(rng);
    const Activation act = random_act(rng);
    // ADD: output scales from 1000x below the inputs (int16 wrap in the NEON output stage) to 10x above.
    try {
      const AddParams p = prepare_add(sa, za, sb, zb, std::max(sa, sb) * random_scale(rng, -3.f, 1.f), zo, act);
      std::vector<int8_t> want(n, 0x33);
      add_s8_ref(p, s1, x.data(), s2, y.data(), want.data());
      for (const auto& k : add_kernels) {
      std::vector<int8_t> got(n, 0x55);
      k.fn(p, s1, x.data(), s2, y.data(), got.data());
      const int64_t d = first_difference(got, want);
      EXPECT_TRUE(d < 0, k.name << " " << shape_text(s1) << " x " << shape_text(s2) << " zp " << za << "," << zb << "," << zo
                                << " act [" << p.act.min << "," << p.act.max << "]: element " << d << " got "
                                << int(got[d]) << " want " << int(want[d]));
      }
      ++checked_add;
    } catch (const std::invalid_argument&) {
    }
    // MUL: output scales from far below to above s1*s2 (shifts from left 13 to right 20).
    try {
      const MulParams p = prepare_mul(sa, za, sb, zb, sa * sb * random_scale(rng, -4.f, 6.f), zo, act);
      std::vector<int8_t> want(n, 0x33);
      mul_s8_ref(p, s1, x.data(), s2, y.data(), want.data());
      for (const auto& k : mul_kernels) {
      std::vector<int8_t> got(n, 0x55);
      k.fn(p, s1, x.data(), s2, y.data(), got.data());
      const int64_t d = first_difference(got, want);
      EXPECT_TRUE(d < 0, k.name << " " << shape_text(s1) << " x " << shape_text(s2) << " zp " << za << "," << zb << "," << zo
                                << " shift " << p.output_shift << " act [" << p.act.min << "," << p.act.max
                                << "]: element " << d << " got " << int(got[d]) << " want " << int(want[d]));
      }
      ++checked_mul;
    } catch (const std::invalid_argument&) {
    }
  }
  EXPECT_TRUE(checked_add > 2000 && checked_mul > 2000, checked_add << " ADD and " << checked_mul << " MUL cases");
}

TEST(add_mul_equal_reference_on_every_input_pair) {
  // All 65536 (a, b) pairs in one same-shape tensor of 65536 + 7 elements (NEON block and scalar tail), and
  // as a broadcast against every scalar value, for a spread of scale ratios and zero points.
  std::mt19937 rng(7);
  const int64_t len = 65536 + 7;
  std::vector<int8_t> x(len), y(len), got(len), want(len);
  for (int64_t i = 0; i < len; ++i) {
    x[i] = static_cast<int8_t>(i & 255);
    y[i] = static_cast<int8_t>((i >> 8) & 255);
  }
  const Shape4 s{1, 1, 1, static_cast<int>(len)};
  const auto add_kernels = kernels_of(&edgekd::KernelTable::add);
  const auto mul_kernels = kernels_of(&edgekd::KernelTable::mul);
  for (int iter = 0; iter < 24; ++iter) {
    const float sa = random_scale(rng, -3.f, 0.f), sb = sa * random_scale(rng, -2.5f, 2.5f);
    const int za = random_zp(rng), zb = random_zp(rng), zo = random_zp(rng);
    const Activation act = iter < 12 ? Activation::kNone : random_act(rng);
    AddParams pa;
    MulParams pm;
    try {
      pa = prepare_add(sa, za, sb, zb, std::max(sa, sb) * random_scale(rng, -3.f, 1.f), zo, act);
      pm = prepare_mul(sa, za, sb, zb, sa * sb * random_scale(rng, -3.f, 3.f), zo, act);
    } catch (const std::invalid_argument&) {
      continue;  // an activation bound beyond int32 at this output scale
    }
    add_s8_ref(pa, s, x.data(), s, y.data(), want.data());
    for (const auto& k : add_kernels) {
      k.fn(pa, s, x.data(), s, y.data(), got.data());
      const int64_t d = first_difference(got, want);
      EXPECT_TRUE(d < 0, k.name << " iter " << iter << " element " << d << " got " << int(got[d]) << " want "
                                << int(want[d]));
    }
    mul_s8_ref(pm, s, x.data(), s, y.data(), want.data());
    for (const auto& k : mul_kernels) {
      k.fn(pm, s, x.data(), s, y.data(), got.data());
      const int64_t d = first_difference(got, want);
      EXPECT_TRUE(d < 0, k.name << " iter " << iter << " element " << d << " got " << int(got[d]) << " want "
                                << int(want[d]));
    }
    // Scalar broadcast (ADD's 8-wide NEON block): 256 values of x against each scalar of y's range.
    const Shape4 row{1, 1, 1, 256 + 5}, one{1, 1, 1, 1};
    for (int v = -128; v < 128; v += 5) {
      const int8_t sv = static_cast<int8_t>(v);
      std::vector<int8_t> g(261), w(261);
      add_s8_ref(pa, row, x.data(), one, &sv, w.data());
      for (const auto& k : add_kernels) {
        k.fn(pa, row, x.data(), one, &sv, g.data());
        const int64_t d = first_difference(g, w);
        EXPECT_TRUE(d < 0, k.name << " scalar " << v << " iter " << iter << " element " << d);
      }
      mul_s8_ref(pm, one, &sv, row, x.data(), w.data());
      for (const auto& k : mul_kernels) {
        k.fn(pm, one, &sv, row, x.data(), g.data());
        const int64_t d = first_difference(g, w);
        EXPECT_TRUE(d < 0, k.name << " scalar " << v << " iter " << iter << " element " << d);
      }
    }
  }
}

TEST(add_equal_reference_at_exact_shortcuts_extreme_scales_and_tails) {
  // Power-of-two scale ratios (multiplier 2^30 on one or both inputs: the one-shift term), output scales
  // whose output shift is 0 (the rounding shift is the identity) or beyond 20 (the zero point is not folded
  // into the rounding constant), zero points at both ends, every activation; each over all 65536 input pairs
  // in stretches of lengths around the 16 / 32 / 64-lane steps, same shape and against a scalar.
  std::mt19937 rng(31);
  const auto add_kernels = kernels_of(&edgekd::KernelTable::add);
  std::vector<int8_t> x(65536), y(65536);
  for (int i = 0; i < 65536; ++i) {
    x[i] = static_cast<int8_t>(i & 255);
    y[i] = static_cast<int8_t>((i >> 8) & 255);
  }
  const float ratios[] = {1.f, 2.f, 0.5f, 0.125f, 8.f, 1.f / 4096.f, 1.f / 2097152.f, 0.7f};
  // out scale = max(s1, s2) * f: f = 2^-19 / 0.75 gives output shift 0; f = 85 a shift of 25.
  const float outs[] = {1.f / (0.75f * 524288.f), 1.f / 65536.f, 0.02f, 1.f, 3.f, 85.f, 3000.f};
  const int lengths[] = {1, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 200, 1000};
  const Activation acts[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6, Activation::kReluN1To1};
  int checked = 0;
  for (float ratio : ratios) {
    for (float f : outs) {
      const float sa = 0.03f, sb = sa * ratio;
      const int za = rng() % 2 ? -128 : 127, zb = static_cast<int>(rng() % 256) - 128;
      const int zo = (checked % 3 == 0) ? -128 : (checked % 3 == 1 ? 127 : static_cast<int>(rng() % 256) - 128);
      AddParams p;
      try {
        p = prepare_add(sa, za, sb, zb, std::max(sa, sb) * f, zo, acts[checked % 4]);
      } catch (const std::invalid_argument&) {
        continue;
      }
      ++checked;
      const int len = lengths[checked % 13];
      for (int start = 0; start + len <= 65536; start += len) {
        const Shape4 s{1, 1, 1, len}, one{1, 1, 1, 1};
        std::vector<int8_t> want(len), got(len);
        const bool bcast = (start / len) % 4 == 3;  // some stretches against one scalar of y
        add_s8_ref(p, s, x.data() + start, bcast ? one : s, y.data() + start, want.data());
        for (const auto& k : add_kernels) {
          k.fn(p, s, x.data() + start, bcast ? one : s, y.data() + start, got.data());
          const int64_t d = first_difference(got, want);
          EXPECT_TRUE(d < 0, k.name << " ratio " << ratio << " out " << f << " zp " << za << "," << zb << ","
                                    << zo << " len " << len << " start " << start << " element " << d << " got "
                                    << int(got[d]) << " want " << int(want[d]));
          if (d >= 0) return;
        }
      }
    }
  }
  EXPECT_TRUE(checked > 40, checked << " parameter sets");
}

EDGEKD_TEST_MAIN()
