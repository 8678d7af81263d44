// Depthwise conv: every SIMD path against the reference, bit for bit, over a generated sweep of edge shapes;
// the reference against a direct formula over an explicitly padded input; thread counts; padding; errors.
// The kernels are used through their symbols (kDwConvAvx2, ...), not kernel_table(), so this test does not
// depend on other kernel families being linked in.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "edgekd/quant.h"
#include "kernels/dwconv/dwconv.h"
#include "kernel_case_helpers.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace edgekd;

namespace {

std::vector<const DwConvKernel*> simd_kernels() {
  std::vector<const DwConvKernel*> k;
#ifdef EDGEKD_HAVE_AVX2
  k.push_back(&kDwConvAvx2);
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
  k.push_back(&kDwConvAvx512Vnni);
#endif
#ifdef EDGEKD_HAVE_NEON
  k.push_back(&kDwConvNeon);
#endif
#ifdef EDGEKD_HAVE_NEONDOT
  k.push_back(&kDwConvNeonDot);
#endif
  std::vector<const DwConvKernel*> runnable;
  for (const DwConvKernel* kernel : k)
    if (isa_available(kernel->isa)) runnable.push_back(kernel);
  return runnable;
}

// One depthwise problem: shape, tensors and output stage.
struct Case {
  DwConvParams p;
  std::vector<int8_t> input, weights;
  std::vector<int32_t> bias;
  OutputStage out;
  bool has_bias = true;

  std::string describe() const {
    std::ostringstream os;
    os << "N=" << p.batch << " H=" << p.in_h << " W=" << p.in_w << " C=" << p.in_c << " dm=" << p.depth_multiplier
       << " k=" << p.kh << "x" << p.kw << " s=" << p.stride_h << "x" << p.stride_w << " d=" << p.dilation_h << "x"
       << p.dilation_w << " pad=" << p.pad_top << "," << p.pad_left << " out=" << p.out_h << "x" << p.out_w
       << " in_zp=" << p.input_zero_point << " out_zp=" << out.output_zero_point << " clamp=[" << out.act_min << ","
       << out.act_max << "]";
    return os.str();
  }
  size_t out_size() const {
    return static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c();
  }
};

struct Rng {
  std::mt19937 gen;
  explicit Rng(uint32_t seed) : gen(seed) {}
  int32_t uniform(int32_t lo, int32_t hi) { return std::uniform_int_distribution<int32_t>(lo, hi)(gen); }
};

enum class Stage { kTypical, kClampBites, kBiasExtremes, kLeftShifts };

// Fills tensors and an output stage. Multipliers come from quantize_multiplier of plausible scales, so the
// requantized values land around the int8 range (and, for kClampBites, beyond a narrow clamp).
Case make_case(DwConvParams p, Padding padding, Rng& rng, Stage stage, int32_t out_zp = 0) {
  Case c;
  compute_dwconv_padding(&p, padding);
  c.p = p;
  const int oc = p.out_c();
  c.input.resize(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c);
  for (auto& v : c.input) v = static_cast<int8_t>(rng.uniform(-128, 127));
  c.weights.resize(static_cast<size_t>(p.kh) * p.kw * oc);
  for (auto& v : c.weights) v = static_cast<int8_t>(rng.uniform(-127, 127));
  // Exercise the extreme weight -128 too (outside TFLite's symmetric range, but int8 allows it).
  if (!c.weights.empty()) c.weights[0] = -128;
  c.bias.resize(oc);
  for (int i = 0; i < oc; ++i) {
    if (stage == Stage::kBiasExtremes) {
      c.bias[i] = (i % 2 == 0) ? INT32_MAX - rng.uniform(0, 1000) : INT32_MIN + rng.uniform(0, 1000);
    } else {
      c.bias[i] = rng.uniform(-20000, 20000);
    }
  }
  c.out.multiplier.resize(oc);
  c.out.shift.resize(oc);
  for (int i = 0; i < oc; ++i) {
    double scale = std::ldexp(1.0 + rng.uniform(0, 1 << 20) / double(1 << 20), -rng.uniform(6, 12));
    if (stage == Stage::kLeftShifts) scale = std::ldexp(1.0 + rng.uniform(0, 1000) / 1000.0, rng.uniform(0, 3));
    if (stage == Stage::kBiasExtremes) scale = std::ldexp(1.0 + rng.uniform(0, 1000) / 1000.0, -rng.uniform(20, 31));
    quantize_multiplier(scale, &c.out.multiplier[i], &c.out.shift[i]);
  }
  c.out.output_zero_point = out_zp;
  if (stage == Stage::kClampBites) {
    c.out.act_min = -40;
    c.out.act_max = 50;
  }
  return c;
}

// bordered = false runs the kernel on the input itself even where pack_dwconv chose a bordered copy, so
// both ways of handling padding stay tested.
std::vector<int8_t> run_kernel(const DwConvKernel& k, const Case& c, ThreadPool* pool = nullptr,
                               const char** variant = nullptr, bool bordered = true) {
  PackedDwConv packed = pack_dwconv(k, c.p, c.weights.data(), c.has_bias ? c.bias.data() : nullptr, c.out);
  if (!bordered) packed.bordered_bytes = 0;
  if (variant) *variant = packed.variant;
  // Poison the output so a skipped element shows up.
  std::vector<int8_t> out(c.out_size(), 0x5A);
  run_dwconv(k, packed, c.input.data(), out.data(), pool);
  return out;
}

// Empty string when equal, else the first differing element with its coordinates.
std::string first_difference(const Case& c, const std::vector<int8_t>& got, const std::vector<int8_t>& want) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (got[i] != want[i]) {
      const int oc = c.p.out_c();
      const size_t pix = i / oc;
      std::ostringstream os;
      os << "first difference at (b=" << pix / (c.p.out_h * c.p.out_w) << ", y=" << (pix / c.p.out_w) % c.p.out_h
         << ", x=" << pix % c.p.out_w << ", c=" << i % oc << "): got " << int(got[i]) << " want " << int(want[i]);
      return os.str();
    }
  }
  return "";
}

// LiteRT's depthwise requantization written out in int64: srdhm as round(a*m / 2^31) with ties up (its one
// saturating case aside), then a right shift rounding half up for channels in whole groups of 8 and half
// away from zero for the last out_c % 8 channels.
int8_t litert_depthwise_requant(const OutputStage& o, int32_t acc, int oc, int out_c) {
  const int32_t shift = o.shift[oc];
  const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const int64_t a = static_cast<int32_t>(static_cast<uint32_t>(acc) << left);
  const int64_t m = o.multiplier[oc];
  const int64_t x = (a == INT32_MIN && m == INT32_MIN) ? INT32_MAX : (a * m + (int64_t{1} << 30)) >> 31;
  int64_t r = x;
  if (right > 0) {
    const int64_t half = int64_t{1} << (right - 1);
    const bool half_up = oc < out_c / 8 * 8;
    r = (half_up || x >= 0) ? (x + half) >> right : -((-x + half) >> right);
  }
  const int64_t v = static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(r)) + o.output_zero_point);
  return static_cast<int8_t>(std::min<int64_t>(std::max<int64_t>(v, o.act_min), o.act_max));
}

// Direct formula: pad the input explicitly with the zero point, then sum (x - zp) * w in int64 with no bounds
// checks, add the bias and requantize as LiteRT does (litert_depthwise_requant).
std::vector<int8_t> direct_formula(const Case& c) {
  const DwConvParams& p = c.p;
  const int eff_h = (p.kh - 1) * p.dilation_h + 1, eff_w = (p.kw - 1) * p.dilation_w + 1;
  const int ph = std::max(p.in_h + p.pad_top, (p.out_h - 1) * p.stride_h + eff_h);
  const int pw = std::max(p.in_w + p.pad_left, (p.out_w - 1) * p.stride_w + eff_w);
  std::vector<int8_t> padded(static_cast<size_t>(p.batch) * ph * pw * p.in_c,
                             static_cast<int8_t>(p.input_zero_point));
  for (int b = 0; b < p.batch; ++b)
    for (int y = 0; y < p.in_h; ++y)
      for (int x = 0; x < p.in_w; ++x)
        for (int ch = 0; ch < p.in_c; ++ch)
          padded[((size_t(b) * ph + y + p.pad_top) * pw + x + p.pad_left) * p.in_c + ch] =
              c.input[((size_t(b) * p.in_h + y) * p.in_w + x) * p.in_c + ch];
  std::vector<int8_t> out(c.out_size());
  const int oc_n = p.out_c();
  for (int b = 0; b < p.batch; ++b)
    for (int oy = 0; oy < p.out_h; ++oy)
      for (int ox = 0; ox < p.out_w; ++ox)
        for (int oc = 0; oc < oc_n; ++oc) {
          const int ic = oc / p.depth_multiplier;
          int64_t acc = c.has_bias ? c.bias[oc] : 0;
          for (int ky = 0; ky < p.kh; ++ky)
            for (int kx = 0; kx < p.kw; ++kx) {
              const int y = oy * p.stride_h + ky * p.dilation_h, x = ox * p.stride_w + kx * p.dilation_w;
              const int64_t xv = padded[((size_t(b) * ph + y) * pw + x) * p.in_c + ic];
              acc += (xv - p.input_zero_point) * c.weights[(size_t(ky) * p.kw + kx) * oc_n + oc];
            }
          out[((size_t(b) * p.out_h + oy) * p.out_w + ox) * oc_n + oc] =
              litert_depthwise_requant(c.out, static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(acc))),
                                       oc, oc_n);
        }
  return out;
}

// Square kernel, stride and dilation.
DwConvParams shape(int h, int w, int c, int k, int s, int dm = 1, int dil = 1, int batch = 1) {
  DwConvParams p = edgekd_test::dwconv_shape(h, w, c, dm, k, k, s, s, dil, dil);
  p.batch = batch;
  return p;
}

// Compares every runnable SIMD path with the reference on `c`; returns the first failure message or "".
std::string check_paths(const Case& c, const char* expect_variant_part = nullptr) {
  const std::vector<int8_t> want = run_kernel(kDwConvRef, c);
  for (const DwConvKernel* k : simd_kernels()) {
    const char* variant = "";
    for (bool bordered : {true, false}) {
      const std::vector<int8_t> got = run_kernel(*k, c, nullptr, &variant, bordered);
      const std::string diff = first_difference(c, got, want);
      if (!diff.empty())
        return std::string(k->name) + " (" + variant + (bordered ? ", bordered copy" : "") + ") vs ref, " +
               c.describe() + ": " + diff;
    }
    if (expect_variant_part && std::string(variant).find(expect_variant_part) == std::string::npos)
      return std::string(k->name) + " chose variant " + variant + ", expected one containing " +
             expect_variant_part + " for " + c.describe();
  }
  return "";
}

}  // namespace

TEST(padding_matches_tflite) {
  struct P { int in, k, s, d; Padding pad; int out, before; };
  const P cases[] = {
      {7, 3, 1, 1, Padding::kSame, 7, 1},  {7, 3, 2, 1, Padding::kSame, 4, 1},
      {8, 3, 2, 1, Padding::kSame, 4, 0},  {56, 3, 2, 1, Padding::kSame, 28, 0},
      {9, 5, 2, 1, Padding::kSame, 5, 2},  {7, 3, 2, 1, Padding::kValid, 3, 0},
      {8, 5, 1, 1, Padding::kValid, 4, 0}, {9, 3, 1, 2, Padding::kSame, 9, 2},
      {9, 3, 1, 2, Padding::kValid, 5, 0}, {1, 5, 1, 1, Padding::kSame, 1, 2},
  };
  for (const P& c : cases) {
    DwConvParams p = shape(c.in, c.in + 1, 1, c.k, c.s, 1, c.d);
    compute_dwconv_padding(&p, c.pad);
    EXPECT_TRUE(p.out_h == c.out && p.pad_top == c.before,
                "in=" << c.in << " k=" << c.k << " s=" << c.s << " d=" << c.d << ": out_h=" << p.out_h
                      << " pad_top=" << p.pad_top << ", want " << c.out << " and " << c.before);
  }
  DwConvParams tiny = shape(2, 2, 1, 5, 1);
  bool threw = false;
  try { compute_dwconv_padding(&tiny, Padding::kValid); } catch (const std::invalid_argument&) { threw = true; }
  EXPECT_TRUE(threw, "VALID padding with a kernel larger than the input should throw");
}

TEST(reference_equals_direct_formula) {
  Rng rng(1);
  const DwConvParams shapes[] = {
      shape(7, 9, 5, 3, 1),         shape(9, 7, 3, 3, 2),         shape(6, 5, 4, 5, 1),
      shape(11, 8, 2, 5, 2),        shape(7, 7, 3, 3, 1, 2),      shape(8, 9, 2, 3, 2, 3),
      shape(9, 9, 3, 3, 1, 1, 2),   shape(10, 7, 2, 2, 3),        shape(5, 6, 3, 1, 1, 2, 1, 2),
      shape(4, 4, 17, 7, 1),
  };
  int n = 0;
  for (const DwConvParams& s : shapes) {
    for (Padding pad : {Padding::kSame, Padding::kValid}) {
      for (Stage st : {Stage::kTypical, Stage::kClampBites, Stage::kBiasExtremes, Stage::kLeftShifts}) {
        DwConvParams p = s;
        p.input_zero_point = (n % 3 == 0) ? -128 : (n % 3 == 1 ? 127 : 5);
        ++n;
        DwConvParams probe = p;
        try { compute_dwconv_padding(&probe, pad); } catch (const std::invalid_argument&) { continue; }
        Case c = make_case(p, pad, rng, st, st == Stage::kBiasExtremes ? 0 : -3);
        c.has_bias = (n % 5 != 0);
        const std::string diff = first_difference(c, run_kernel(kDwConvRef, c), direct_formula(c));
        EXPECT_TRUE(diff.empty(), "ref vs direct formula, " << c.describe() << ": " << diff);
      }
    }
  }
}

// The main sweep: fast variants (3x3/5x5, stride 1/2) around the vector widths, SAME and VALID, zero points at
// both ends, clamps that bite, bias near the int32 limits, left and right shifts.
TEST(simd_fast_variants_match_reference) {
  if (simd_kernels().empty()) {
    std::printf("  (no SIMD dwconv path runnable here: skipped)\n");
    return;
  }
  std::printf("  SIMD paths compared with ref:");
  for (const DwConvKernel* k : simd_kernels()) std::printf(" %s", k->name);
  std::printf("\n");
  Rng rng(2);
  const int channels[] = {1, 7, 8, 15, 16, 17, 24, 33, 144};
  const int spatial[][2] = {{7, 9}, {9, 7}, {5, 5}, {11, 6}, {6, 13}};
  const Stage stages[] = {Stage::kTypical, Stage::kClampBites, Stage::kBiasExtremes, Stage::kLeftShifts};
  const int32_t zps[] = {-128, 127, 0, -7};
  int n = 0;
  for (int k : {3, 5})
    for (int s : {1, 2})
      for (int ch : channels)
        for (Padding pad : {Padding::kSame, Padding::kValid}) {
          const int* hw = spatial[n % 5];
          DwConvParams p = shape(hw[0], hw[1], ch, k, s);
          p.input_zero_point = zps[n % 4];
          const Stage st = stages[(n / 4) % 4];
          ++n;
          Case c = make_case(p, pad, rng, st, st == Stage::kBiasExtremes ? 0 : zps[(n + 1) % 4] / 2);
          c.has_bias = (n % 7 != 0);
          const std::string variant = "_" + std::to_string(k) + "x" + std::to_string(k) + "s" + std::to_string(s) + "_";
          const std::string err = check_paths(c, variant.c_str());
          EXPECT_TRUE(err.empty(), err);
        }
}

// Everything else: other kernel sizes, strides, dilation (generic SIMD variant), depth multipliers 2 and 3
// (every SIMD path's multiplier kernel, test_dwconv_multiplier.cpp), batch > 1.
constexpr const char* kMultiplierVariant = "_multiplier_";

TEST(simd_generic_variants_match_reference) {
  Rng rng(3);
  struct G { DwConvParams p; const char* variant; };
  DwConvParams rect = shape(9, 10, 24, 3, 1);
  rect.kh = 3; rect.kw = 5; rect.stride_h = 1; rect.stride_w = 2;
  DwConvParams dil_rect = shape(12, 11, 17, 3, 1, 1, 2);
  dil_rect.dilation_w = 1;
  const G cases[] = {
      {shape(9, 9, 16, 3, 1, 1, 2), "_generic_"}, {shape(13, 11, 33, 3, 2, 1, 2), "_generic_"},
      {shape(11, 9, 17, 5, 1, 1, 2), "_generic_"}, {shape(8, 8, 24, 1, 1), "_generic_"},
      {shape(9, 8, 15, 2, 2), "_generic_"},         {shape(10, 9, 144, 7, 1), "_generic_"},
      {shape(10, 10, 16, 3, 3), "_generic_"},       {rect, "_generic_"},
      {dil_rect, "_generic_"},                      {shape(7, 9, 8, 3, 1, 2), kMultiplierVariant},
      {shape(9, 7, 5, 3, 2, 3), kMultiplierVariant}, {shape(6, 7, 16, 5, 1, 2, 2), kMultiplierVariant},
      {shape(7, 9, 33, 3, 1, 1, 1, 3), "_3x3s1_"},  {shape(6, 7, 17, 5, 2, 1, 1, 2), "_5x5s2_"},
      // More than 16 blocks of 16 channels: the x86 path sets up its output stage in chunks of 16 blocks.
      {shape(5, 6, 277, 3, 1), "_3x3s1_"},          {shape(6, 5, 520, 5, 2), "_5x5s2_"},
  };
  int n = 0;
  for (const G& g : cases)
    for (Padding pad : {Padding::kSame, Padding::kValid}) {
      DwConvParams p = g.p;
      p.input_zero_point = (n % 2) ? 127 : -128;
      ++n;
      DwConvParams probe = p;
      try { compute_dwconv_padding(&probe, pad); } catch (const std::invalid_argument&) { continue; }
      Case c = make_case(p, pad, rng, n % 3 == 0 ? Stage::kClampBites : Stage::kTypical, 3);
      const std::string err = check_paths(c, g.variant);
      EXPECT_TRUE(err.empty(), err);
    }
}

// Requantization corners: accumulators at INT32_MIN/INT32_MAX (zero weights, extreme biases), multipliers
// 0, 2^30, INT32_MAX and INT32_MIN (srdhm's saturating case), shifts -31 and 30.
TEST(simd_requant_extremes_match_reference) {
  Rng rng(4);
  DwConvParams p = shape(3, 3, 40, 3, 1);
  p.input_zero_point = 0;
  Case c = make_case(p, Padding::kSame, rng, Stage::kTypical);
  std::fill(c.weights.begin(), c.weights.end(), 0);
  const int32_t biases[] = {INT32_MIN, INT32_MAX, INT32_MIN + 1, -(1 << 30), 1 << 30, -1, 0, 1};
  const int32_t mults[] = {INT32_MIN, 1 << 30, INT32_MAX, 0, 1518500250};
  const int32_t shifts[] = {0, -31, 30, -1, 1};
  for (int i = 0; i < p.in_c; ++i) {
    c.bias[i] = biases[i % 8];
    c.out.multiplier[i] = mults[(i / 8) % 5];
    c.out.shift[i] = shifts[(i / 3) % 5];
  }
  c.out.output_zero_point = 0;  // INT32_MAX + zp would wrap: keep the extremes visible in the output
  const std::string err = check_paths(c);
  EXPECT_TRUE(err.empty(), err);

  // The same corners with zero points that make INT32_MAX + zp wrap, with channel counts whose tail block
  // rounds half up (24, 40: c % 8 == 0) or partly half away (21, 45), and on interior pixels (5x7 input).
  for (int channels : {24, 40, 21, 45, 16}) {
    for (int32_t zp : {-128, 127, 5}) {
      DwConvParams q = shape(5, 7, channels, 3, 1);
      q.input_zero_point = 0;
      Case e = make_case(q, Padding::kSame, rng, Stage::kTypical, zp);
      std::fill(e.weights.begin(), e.weights.end(), 0);
      for (int i = 0; i < q.in_c; ++i) {
        e.bias[i] = biases[(i + channels) % 8];
        e.out.multiplier[i] = mults[(i / 8 + zp) % 5 < 0 ? 0 : (i / 8 + zp) % 5];
        e.out.shift[i] = shifts[(i / 3) % 5];
      }
      const std::string err2 = check_paths(e);
      EXPECT_TRUE(err2.empty(), err2);
    }
  }
}

// The one place LiteRT's depthwise rounding differs by channel: an exact negative tie. acc = -6400,
// multiplier 2^30, shift -8: srdhm gives -3200, and -3200 / 2^8 = -12.5 rounds half up (-12) in the groups of
// 8 channels and half away from zero (-13) in the last out_c % 8. Positive ties agree (+12.5 -> 13).
TEST(every_path_rounds_ties_like_litert) {
  Rng rng(7);
  DwConvParams p = shape(2, 2, 9, 1, 1);  // 1x1 kernel, 9 channels: one group of 8 plus one tail channel
  p.input_zero_point = 0;
  Case c = make_case(p, Padding::kValid, rng, Stage::kTypical);
  std::fill(c.weights.begin(), c.weights.end(), 0);
  for (int i = 0; i < 9; ++i) {
    c.bias[i] = (i % 2 == 0) ? -6400 : 6400;
    c.out.multiplier[i] = 1 << 30;
    c.out.shift[i] = -8;
  }
  c.out.output_zero_point = 0;
  std::vector<const DwConvKernel*> kernels = simd_kernels();
  kernels.push_back(&kDwConvRef);
  for (const DwConvKernel* k : kernels) {
    const std::vector<int8_t> got = run_kernel(*k, c);
    for (int i = 0; i < 9; ++i) {
      const int want = (i % 2 == 1) ? 13 : (i < 8 ? -12 : -13);
      EXPECT_TRUE(got[i] == want,
                  k->name << ": channel " << i << " of 9 gave " << int(got[i]) << ", LiteRT gives " << want);
    }
  }
}

TEST(thread_counts_give_identical_results) {
  Rng rng(5);
  const DwConvParams shapes[] = {shape(13, 11, 24, 3, 1, 1, 1, 2), shape(15, 9, 17, 5, 2),
                                 shape(9, 10, 8, 3, 1, 2), shape(2, 9, 16, 3, 1)};
  std::vector<const DwConvKernel*> kernels = simd_kernels();
  kernels.push_back(&kDwConvRef);
  ThreadPool pool2(2), pool3(3);
  for (const DwConvParams& s : shapes) {
    Case c = make_case(s, Padding::kSame, rng, Stage::kTypical, 1);
    for (const DwConvKernel* k : kernels) {
      const std::vector<int8_t> one = run_kernel(*k, c);
      for (ThreadPool* pool : {&pool2, &pool3}) {
        const std::string diff = first_difference(c, run_kernel(*k, c, pool), one);
        EXPECT_TRUE(diff.empty(), k->name << " with " << pool->num_threads() << " threads vs 1, " << c.describe()
                                          << ": " << diff);
      }
    }
  }
}

TEST(small_padded_inputs_run_on_a_bordered_copy) {
  Rng rng(9);
  const Case same = make_case(shape(6, 6, 24, 3, 1), Padding::kSame, rng, Stage::kTypical);
  const Case valid = make_case(shape(6, 6, 24, 3, 1), Padding::kValid, rng, Stage::kTypical);
  const Case big = make_case(shape(48, 48, 48, 3, 2), Padding::kSame, rng, Stage::kTypical);  // 49x49x48
  auto bordered_bytes = [](const DwConvKernel& k, const Case& c) {
    return pack_dwconv(k, c.p, c.weights.data(), c.bias.data(), c.out).bordered_bytes;
  };
  EXPECT_TRUE(bordered_bytes(kDwConvRef, same) == 0, "the reference path reads its input directly");
  for (const DwConvKernel* k : simd_kernels()) {
    EXPECT_TRUE(bordered_bytes(*k, same) == 8 * 8 * 24, k->name << ": a 6x6 SAME input runs on an 8x8 copy");
    EXPECT_TRUE(bordered_bytes(*k, valid) == 0, k->name << ": VALID needs no copy");
    EXPECT_TRUE(bordered_bytes(*k, big) == 0, k->name << ": a 49x49x48 image is over the size limit");
    // With the runtime's scratch: the same result; a scratch too small for the image: a clear error.
    const PackedDwConv packed = pack_dwconv(*k, same.p, same.weights.data(), same.bias.data(), same.out);
    std::vector<int8_t> scratch(dwconv_scratch_bytes(packed)), got(same.out_size());
    run_dwconv(*k, packed, same.input.data(), got.data(), nullptr, scratch.data(), scratch.size());
    EXPECT_TRUE(got == run_kernel(*k, same), k->name << ": the caller's scratch changed the result");
    bool threw = false;
    try {
      run_dwconv(*k, packed, same.input.data(), got.data(), nullptr, scratch.data(), scratch.size() - 1);
    } catch (const std::invalid_argument& e) {
      threw = std::string(e.what()).find("scratch") != std::string::npos;
    }
    EXPECT_TRUE(threw, k->name << ": a short scratch should throw naming it");
  }
}

TEST(bad_parameters_throw) {
  Rng rng(6);
  Case c = make_case(shape(5, 5, 8, 3, 1), Padding::kSame, rng, Stage::kTypical);
  auto throws = [&](DwConvParams p, const OutputStage& out, const char* field) {
    try {
      pack_dwconv(kDwConvRef, p, c.weights.data(), c.bias.data(), out);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what()).find(field) != std::string::npos;
    }
    return false;
  };
  DwConvParams p = c.p;
  p.in_c = 0;
  EXPECT_TRUE(throws(p, c.out, "in_c"), "in_c = 0 should throw naming in_c");
  p = c.p;
  p.stride_w = 0;
  EXPECT_TRUE(throws(p, c.out, "stride_w"), "stride_w = 0 should throw naming stride_w");
  p = c.p;
  p.input_zero_point = 128;
  EXPECT_TRUE(throws(p, c.out, "input_zero_point"), "input_zero_point = 128 should throw");
  OutputStage out = c.out;
  out.shift.pop_back();
  EXPECT_TRUE(throws(c.p, out, "shift"), "a short shift vector should throw");
  out = c.out;
  out.shift[3] = 31;
  EXPECT_TRUE(throws(c.p, out, "shift[3]"), "shift 31 should throw naming shift[3]");
  out = c.out;
  out.act_min = 10;
  out.act_max = 5;
  EXPECT_TRUE(throws(c.p, out, "act_max"), "act_min > act_max should throw");

  // Weights packed for one path and run with another: a clear error, not garbage.
  for (const DwConvKernel* k : simd_kernels()) {
    PackedDwConv packed = pack_dwconv(*k, c.p, c.weights.data(), c.bias.data(), c.out);
    std::vector<int8_t> outbuf(c.out_size());
    bool threw = false;
    try {
      run_dwconv(kDwConvRef, packed, c.input.data(), outbuf.data(), nullptr);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    EXPECT_TRUE(threw, "running " << k->name << " weights with the ref kernel should throw");
  }
}

EDGEKD_TEST_MAIN()
