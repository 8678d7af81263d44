// Depthwise conv with depth multiplier > 1 on the SIMD paths (x86: dwconv_multiplier_x86.inc; NEON and
// dotprod: PathNeonMul in dwconv_neon.inc) against the reference kernel, bit for bit, over edge shapes:
// multipliers that do and do not divide 16, one input channel (speech front ends) to several blocks of
// output channels, output channel tails of every size mod
// 16 and mod 8 (LiteRT rounds the last out_c % 8 channels differently), kernels from 1x1 to 10x8, strides,
// dilations, SAME/VALID padding at both zero-point extremes, clamps, left shifts, extreme biases, batches,
// thread counts, and both the bordered copy and in-place padding.
#include <cmath>
#include <cstdint>
#include <cstdio>
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
using edgekd_test::dwconv_shape;

namespace {

std::vector<const DwConvKernel*> simd_kernels() {
  std::vector<const DwConvKernel*> k;
#ifdef EDGEKD_HAVE_AVX2
  if (isa_available(Isa::kAvx2)) k.push_back(&kDwConvAvx2);
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
  if (isa_available(Isa::kAvx512Vnni)) k.push_back(&kDwConvAvx512Vnni);
#endif
#ifdef EDGEKD_HAVE_NEON
  if (isa_available(Isa::kNeon)) k.push_back(&kDwConvNeon);
#endif
#ifdef EDGEKD_HAVE_NEONDOT
  if (isa_available(Isa::kNeonDot)) k.push_back(&kDwConvNeonDot);
#endif
  if (k.empty()) std::printf("  (no SIMD path runs here: nothing to compare)\n");
  return k;
}

enum class Stage { kTypical, kClampBites, kLeftShifts, kBiasExtremes };

struct Case : edgekd_test::Int8Operands {
  DwConvParams p;
  std::string describe() const {
    std::ostringstream os;
    os << "N=" << p.batch << " H=" << p.in_h << " W=" << p.in_w << " C=" << p.in_c << " dm=" << p.depth_multiplier
       << " k=" << p.kh << "x" << p.kw << " s=" << p.stride_h << "x" << p.stride_w << " d=" << p.dilation_h << "x"
       << p.dilation_w << " pad=" << p.pad_top << "," << p.pad_left << " in_zp=" << p.input_zero_point
       << " clamp=[" << out.act_min << "," << out.act_max << "]";
    return os.str();
  }
};

Case make_case(DwConvParams p, Padding pad, std::mt19937& gen, Stage stage) {
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  compute_dwconv_padding(&p, pad);
  Case c;
  c.p = p;
  const int oc = p.out_c();
  c.input = edgekd_test::random_int8(gen, static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c, -128, 127);
  c.weights = edgekd_test::random_int8(gen, static_cast<size_t>(p.kh) * p.kw * oc, -127, 127);
  c.weights[0] = -128;
  edgekd_test::fill_channels(&c, oc, [&](int i) {
    const int32_t bias = stage == Stage::kBiasExtremes
                             ? (i % 2 ? INT32_MIN + uniform(0, 1000) : INT32_MAX - uniform(0, 1000))
                             : uniform(-20000, 20000);
    double scale = std::ldexp(1.0 + uniform(0, 1 << 20) / double(1 << 20), -uniform(6, 12));
    if (stage == Stage::kLeftShifts) scale = std::ldexp(1.0 + uniform(0, 1000) / 1000.0, uniform(0, 3));
    if (stage == Stage::kBiasExtremes) scale = std::ldexp(1.0 + uniform(0, 1000) / 1000.0, -uniform(20, 31));
    return edgekd_test::ChannelStage{bias, scale};
  });
  c.out.output_zero_point = uniform(-128, 127);
  if (stage == Stage::kClampBites) {
    c.out.act_min = -40;
    c.out.act_max = 50;
  }
  return c;
}

std::vector<int8_t> run(const DwConvKernel& k, const Case& c, bool bordered, ThreadPool* pool,
                        std::string* variant) {
  PackedDwConv packed = pack_dwconv(k, c.p, c.weights.data(), c.bias.data(), c.out);
  if (!bordered) packed.bordered_bytes = 0;
  if (variant) *variant = packed.variant;
  std::vector<int8_t> out(static_cast<size_t>(c.p.batch) * c.p.out_h * c.p.out_w * c.p.out_c(), 0x5A);
  run_dwconv(k, packed, c.input.data(), out.data(), pool);
  return out;
}

// "" when every SIMD path equals the reference (and names the multiplier variant), else the first failure.
std::string check(const Case& c, ThreadPool* pool = nullptr) {
  const std::vector<int8_t> want = run(kDwConvRef, c, true, nullptr, nullptr);
  for (const DwConvKernel* k : simd_kernels()) {
    for (bool bordered : {true, false}) {
      std::string variant;
      const std::vector<int8_t> got = run(*k, c, bordered, pool, &variant);
      if (variant.find("dwconv_multiplier_") != 0)
        return std::string(k->name) + " chose " + variant + " for " + c.describe();
      const std::string diff = edgekd_test::first_difference(got, want, c.p.out_c());
      if (!diff.empty())
        return variant + (bordered ? " (bordered)" : "") + " vs ref, " + c.describe() + ": " + diff;
    }
  }
  return "";
}

}  // namespace

TEST(multiplier_kernels_match_reference_over_edge_shapes) {
  std::mt19937 gen(11);
  const DwConvParams shapes[] = {
      dwconv_shape(12, 10, 1, 8, 10, 8),  // speech front end: one channel, multiplier 8, 10x8 kernel
      dwconv_shape(13, 9, 1, 8, 10, 8, 2, 1),  // ... strided in time
      dwconv_shape(7, 8, 3, 2, 3, 3),  // out_c 6: a tail of 6 (< 8: every lane rounds half away)
      dwconv_shape(9, 7, 5, 3, 3, 3, 2, 2),  // out_c 15, multiplier not dividing 16
      dwconv_shape(6, 9, 8, 2, 3, 3, 1, 1, 2, 2),  // out_c 16, dilation 2
      dwconv_shape(8, 8, 17, 2, 5, 5),  // out_c 34: two blocks and a tail of 2
      dwconv_shape(7, 6, 9, 3, 5, 3, 2, 1),  // out_c 27: tail of 11 (8 half up, 3 half away)
      dwconv_shape(5, 7, 3, 16, 1, 1),  // 1x1, a whole block per input channel
      dwconv_shape(6, 5, 2, 17, 3, 1),  // multiplier > 16: blocks straddle input channels
      dwconv_shape(6, 6, 33, 5, 1, 7, 1, 3),  // out_c 165 over 11 blocks, 1x7 kernel
      dwconv_shape(4, 5, 90, 4, 3, 3),  // out_c 360: more than 16 blocks (two chunks of blocks)
      dwconv_shape(3, 3, 2, 4, 4, 4, 1, 1, 2, 1),  // kernel larger than the input (SAME only)
  };
  const Stage stages[] = {Stage::kTypical, Stage::kClampBites, Stage::kLeftShifts, Stage::kBiasExtremes};
  int n = 0;
  for (const DwConvParams& s : shapes)
    for (Padding pad : {Padding::kSame, Padding::kValid}) {
      DwConvParams p = s;
      p.input_zero_point = n % 3 == 0 ? -128 : n % 3 == 1 ? 127 : 5;
      p.batch = n % 4 == 3 ? 2 : 1;
      DwConvParams probe = p;
      try { compute_dwconv_padding(&probe, pad); } catch (const std::invalid_argument&) { continue; }
      const Case c = make_case(p, pad, gen, stages[n % 4]);
      ++n;
      const std::string err = check(c);
      EXPECT_TRUE(err.empty(), err);
    }
  EXPECT_TRUE(n >= 20, "too few cases ran: " + std::to_string(n));
}

TEST(multiplier_kernels_every_stage_on_every_tail) {
  // out_c = 1..40 with multipliers 2..5: every tail size mod 16 and mod 8, under every output stage.
  std::mt19937 gen(5);
  const Stage stages[] = {Stage::kTypical, Stage::kClampBites, Stage::kLeftShifts, Stage::kBiasExtremes};
  for (int dm = 2; dm <= 5; ++dm)
    for (int c = 1; dm * c <= 40; ++c) {
      DwConvParams p = dwconv_shape(5, 6, c, dm, 3, 2, 1, 2);
      p.input_zero_point = (c % 2) ? -7 : 127;
      const Case cs = make_case(p, c % 2 ? Padding::kSame : Padding::kValid, gen, stages[(dm + c) % 4]);
      const std::string err = check(cs);
      EXPECT_TRUE(err.empty(), err);
    }
}

TEST(multiplier_kernels_same_on_every_thread_count) {
  std::mt19937 gen(9);
  const Case c = make_case(dwconv_shape(17, 11, 1, 8, 10, 8), Padding::kSame, gen, Stage::kTypical);
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    const std::string err = check(c, &pool);
    EXPECT_TRUE(err.empty(), std::to_string(threads) + " threads: " + err);
  }
}

EDGEKD_TEST_MAIN()
