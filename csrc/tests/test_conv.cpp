// Conv2D and fully connected against a naive direct convolution, bit for bit, on every runnable path and
// for 1, 2 and 3 threads (which must give identical bytes).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "kernels/conv/conv.h"
#include "kernel_case_helpers.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace edgekd;
using edgekd_test::first_difference;

namespace {

struct Gen {
  std::mt19937 rng;
  explicit Gen(uint32_t s) : rng(s) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
};

// TFLite's output size and padding for SAME / VALID.
void tflite_padding(bool same, int in, int k, int stride, int dilation, int* out, int* pad_before) {
  const int eff = (k - 1) * dilation + 1;
  if (same) {
    *out = (in + stride - 1) / stride;
    const int total = std::max((*out - 1) * stride + eff - in, 0);
    *pad_before = total / 2;
  } else {
    *out = (in - eff + stride) / stride;
    *pad_before = 0;
  }
}

struct ConvCase : edgekd_test::Int8Operands {
  ConvParams p;
  std::string describe() const {
    std::ostringstream os;
    os << "batch=" << p.batch << " in=" << p.in_h << "x" << p.in_w << "x" << p.in_c << " out_c=" << p.out_c
       << " k=" << p.kh << "x" << p.kw << " stride=" << p.stride_h << "x" << p.stride_w << " dil="
       << p.dilation_h << "x" << p.dilation_w << " pad=" << p.pad_top << "," << p.pad_left << " out="
       << p.out_h << "x" << p.out_w << " in_zp=" << p.input_zero_point;
    return os.str();
  }
};

ConvCase make_case(Gen& g, int batch, int in_h, int in_w, int in_c, int out_c, int kh, int kw, int stride,
                   int dilation, bool same) {
  ConvCase c;
  ConvParams& p = c.p;
  p.batch = batch;
  p.in_h = in_h;
  p.in_w = in_w;
  p.in_c = in_c;
  p.out_c = out_c;
  p.kh = kh;
  p.kw = kw;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = dilation;
  tflite_padding(same, in_h, kh, stride, dilation, &p.out_h, &p.pad_top);
  tflite_padding(same, in_w, kw, stride, dilation, &p.out_w, &p.pad_left);
  const int32_t zps[] = {-128, 127, 3, -7};
  p.input_zero_point = zps[g.uniform(0, 3)];
  c.input = edgekd_test::random_int8(g.rng, static_cast<size_t>(batch) * in_h * in_w * in_c, -128, 127);
  c.weights = edgekd_test::random_int8(g.rng, static_cast<size_t>(out_c) * kh * kw * in_c, -127, 127);
  std::vector<int32_t> bias(out_c);  // drawn before the scales
  for (auto& b : bias) b = g.uniform(-20000, 20000);
  const double typical = 100.0 * 70.0 * std::sqrt(static_cast<double>(kh * kw * in_c));
  edgekd_test::fill_channels(&c, out_c, [&](int j) {
    return edgekd_test::ChannelStage{bias[j], g.real(0.5, 2.0) * 60.0 / typical};
  });
  c.out.output_zero_point = g.uniform(-20, 20);
  c.out.act_min = g.uniform(0, 1) ? -128 : c.out.output_zero_point;  // sometimes a fused ReLU
  c.out.act_max = 127;
  return c;
}

// The naive direct convolution (the definition of CONV_2D).
std::vector<int8_t> direct_conv(const ConvCase& c) {
  const ConvParams& p = c.p;
  std::vector<int8_t> out(static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c);
  const Requant rq = c.out.requant();
  for (int b = 0; b < p.batch; ++b)
    for (int oy = 0; oy < p.out_h; ++oy)
      for (int ox = 0; ox < p.out_w; ++ox)
        for (int oc = 0; oc < p.out_c; ++oc) {
          int32_t acc = c.bias[oc];
          for (int ky = 0; ky < p.kh; ++ky)
            for (int kx = 0; kx < p.kw; ++kx) {
              const int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
              const int ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
              if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;  // (pad - zp) * w == 0
              for (int ic = 0; ic < p.in_c; ++ic) {
                const int32_t a = c.input[((static_cast<size_t>(b) * p.in_h + iy) * p.in_w + ix) * p.in_c + ic];
                const int32_t w = c.weights[((static_cast<size_t>(oc) * p.kh + ky) * p.kw + kx) * p.in_c + ic];
                acc += (a - p.input_zero_point) * w;
              }
            }
          out[((static_cast<size_t>(b) * p.out_h + oy) * p.out_w + ox) * p.out_c + oc] = rq.apply_gemm(acc, oc);
        }
  return out;
}

std::vector<Isa> runnable_isas() {
  std::vector<Isa> out;
  for (int i = 0; i < static_cast<int>(Isa::kCount); ++i)
    if (isa_available(static_cast<Isa>(i))) out.push_back(static_cast<Isa>(i));
  return out;
}

}  // namespace

TEST(conv_matches_direct_convolution_all_paths_and_threads) {
  Gen g(11);
  struct Shape { int batch, h, w, ic, oc, kh, kw, stride, dil; bool same; };
  const Shape shapes[] = {
      {1, 9, 9, 3, 8, 3, 3, 2, 1, true},     // first MobileNet layer style
      {1, 8, 7, 5, 17, 3, 3, 1, 1, true},
      {2, 7, 8, 4, 33, 3, 3, 1, 1, false},
      {1, 10, 10, 6, 16, 5, 5, 2, 1, true},
      {1, 9, 11, 3, 7, 3, 3, 1, 2, true},    // dilation
      {1, 12, 12, 2, 9, 3, 2, 3, 2, false},  // non-square kernel, stride 3
      {1, 6, 6, 16, 24, 1, 1, 1, 1, true},   // 1x1 fast path
      {2, 5, 3, 19, 40, 1, 1, 1, 1, false},  // 1x1 fast path, batch 2
      {1, 7, 7, 8, 12, 1, 1, 2, 1, true},    // 1x1 stride 2: im2col
      {1, 3, 3, 64, 70, 3, 3, 1, 1, false},  // 1x1 output map: threads split channels
      {1, 3, 3, 24, 130, 3, 3, 1, 1, true}, // 3 row tiles on 2 threads: an uneven row split
      {1, 1, 1, 1000, 37, 1, 1, 1, 1, true}, // FC-like 1x1 conv
      {1, 4, 4, 3, 5, 4, 4, 1, 1, true},     // even kernel with SAME (asymmetric padding)
      {1, 40, 40, 3, 8, 3, 3, 1, 1, true},   // several im2col blocks per thread
      // im2col copies one span of kw * in_c bytes per kernel row; spans of every length class:
      {1, 28, 28, 1, 16, 3, 3, 1, 1, true},  // 3 bytes (small CNN first layer)
      {1, 11, 13, 3, 16, 3, 3, 2, 1, true},  // 9 bytes, stride 2 (MobileNet first layer)
      {2, 9, 9, 1, 5, 3, 3, 2, 1, true},     // 3 bytes, stride 2, batch 2
      {1, 7, 9, 1, 4, 1, 1, 2, 1, true},     // 1 byte (1x1 stride 2 over one channel)
      {1, 8, 8, 2, 6, 3, 3, 1, 1, true},     // 6 bytes
      {1, 8, 9, 5, 6, 3, 3, 1, 1, true},     // 15 bytes
      {1, 9, 8, 7, 6, 3, 3, 1, 1, false},    // 21 bytes, VALID
      {1, 6, 7, 30, 9, 3, 3, 1, 1, true},    // 90 bytes (memcpy), border fills of 30
      {1, 5, 6, 70, 9, 3, 3, 2, 1, true},    // border fills of 70 bytes (memset)
      {1, 12, 12, 1, 7, 5, 5, 1, 1, true},   // 5 bytes, two padded columns each side
      {1, 10, 9, 1, 5, 3, 3, 1, 3, true},    // dilation over one channel: tap by tap
      {1, 9, 10, 3, 5, 3, 3, 2, 2, true},    // dilation and stride over three channels
      {1, 20, 20, 3, 8, 3, 3, 2, 1, false},  // stride 2 VALID: no padding at all
      {2, 7, 6, 3, 5, 3, 3, 1, 1, true},     // two images through the bordered copy
      // Channels in multiples of 4: the implicit GEMM where the path has one (windows read in place).
      {1, 14, 14, 16, 32, 3, 3, 1, 1, true}, // small CNN second layer: row blocks wrap output rows
      {1, 16, 16, 16, 16, 3, 3, 1, 1, true}, // ResNet-8 style, one 16-column panel
      {1, 9, 9, 8, 8, 3, 3, 2, 1, true},     // stride 2, 8 columns
      {1, 10, 11, 4, 5, 5, 5, 1, 2, true},   // 5x5, dilation 2, 5 columns
      {2, 6, 5, 12, 40, 3, 3, 2, 1, true},   // batch 2, stride 2, a second panel of 8 columns
      {1, 2, 3, 4, 3, 1, 1, 2, 1, true},     // 2 output pixels: fewer rows than a tile
  };
  ThreadPool pool2(2), pool3(3);
  for (const Shape& s : shapes) {
    const ConvCase c = make_case(g, s.batch, s.h, s.w, s.ic, s.oc, s.kh, s.kw, s.stride, s.dil, s.same);
    const std::vector<int8_t> want = direct_conv(c);
    // Small padded inputs go through the bordered copy; each case also runs with it turned off, the path
    // inputs above kMaxPaddedImageBytes take (padding handled per pixel by im2col).
    for (Isa isa : runnable_isas()) for (bool bordered : {true, false}) {
      PackedConv pc = pack_conv(isa, c.p, c.weights.data(), c.bias.data(), c.out);
      const bool expect_direct = s.kh == 1 && s.kw == 1 && s.stride == 1;
      EXPECT_TRUE(pc.direct == expect_direct, c.describe() << ": direct=" << pc.direct);
      const bool padded = c.p.pad_top > 0 || c.p.pad_left > 0 ||
                          (c.p.out_h - 1) * c.p.stride_h + (c.p.kh - 1) * c.p.dilation_h + 1 > c.p.in_h + c.p.pad_top ||
                          (c.p.out_w - 1) * c.p.stride_w + (c.p.kw - 1) * c.p.dilation_w + 1 > c.p.in_w + c.p.pad_left;
      // Channels widened to a multiple of 4 where that adds at most a third (3 -> 4, 6 and 7 -> 8, 30 -> 32).
      const bool widenable = 3 * ((s.ic + 3) / 4 * 4) <= 4 * s.ic;
      const bool expect_implicit = !expect_direct && widenable && kernel_table(isa).gemm->run_implicit;
      EXPECT_TRUE(pc.implicit == expect_implicit, c.describe() << ": implicit=" << pc.implicit);
      EXPECT_TRUE((pc.padded_bytes > 0) == ((padded || expect_implicit) && !expect_direct),
                  c.describe() << ": padded_bytes=" << pc.padded_bytes);
      // Without the bordered copy: im2col with the padding handled per pixel.
      // (An implicit conv's weights are packed for its widened channels: it has no im2col variant.)
      if (!bordered && pc.implicit) continue;
      if (!bordered) pc.padded_bytes = 0;
      ThreadPool* pools[] = {nullptr, &pool2, &pool3};
      for (ThreadPool* pool : pools) {
        std::vector<int8_t> got(want.size(), 0x11);
        run_conv(pc, c.input.data(), got.data(), pool);
        const std::string d = first_difference(got, want, c.p.out_c);
        EXPECT_TRUE(d.empty(), isa_name(isa) << (bordered ? " bordered" : "") << (pc.implicit ? " implicit" : "") << " threads="
                                             << (pool ? pool->num_threads() : 1) << " " << c.describe() << ": " << d);
      }
      // Caller-provided scratch of exactly the advertised size.
      std::vector<uint8_t> scratch(conv_scratch_bytes(pc, 3) + 1);
      std::vector<int8_t> got(want.size(), 0x11);
      run_conv(pc, c.input.data(), got.data(), &pool3, scratch.data(), scratch.size());
      EXPECT_TRUE(first_difference(got, want, c.p.out_c).empty(), isa_name(isa) << " caller scratch " << c.describe());
    }
  }
}

TEST(conv_with_padding_wider_than_the_kernel) {
  // Explicit paddings beyond what SAME gives: some windows lie entirely in the padding (horizontally,
  // vertically or both), and the border pixels' kernel rows are partly or wholly padding.
  Gen g(14);
  struct Shape { int h, w, ic, kh, kw, stride, dil, pad_top, pad_left, out_h, out_w; };
  const Shape shapes[] = {
      {6, 6, 1, 3, 3, 1, 1, 4, 4, 9, 9},
      {5, 7, 3, 3, 3, 2, 1, 3, 5, 4, 6},
      {6, 5, 2, 2, 3, 1, 2, 2, 4, 7, 8},
      {4, 4, 17, 3, 3, 1, 1, 4, 4, 8, 8},
      {2, 2, 3, 3, 3, 1, 1, 5, 5, 1, 1},  // the only window lies wholly in the padding, past the image
      {3, 5, 2, 3, 3, 1, 1, 0, 6, 1, 2},  // left padding wider than the bordered image
  };
  ThreadPool pool2(2);
  for (const Shape& s : shapes) {
    ConvCase c = make_case(g, 1, s.h, s.w, s.ic, 11, s.kh, s.kw, s.stride, s.dil, false);
    c.p.pad_top = s.pad_top;
    c.p.pad_left = s.pad_left;
    c.p.out_h = s.out_h;
    c.p.out_w = s.out_w;
    const std::vector<int8_t> want = direct_conv(c);
    for (Isa isa : runnable_isas()) for (bool bordered : {true, false}) {
      PackedConv pc = pack_conv(isa, c.p, c.weights.data(), c.bias.data(), c.out);
      EXPECT_TRUE(pc.padded_bytes > 0, c.describe() << " takes the bordered copy");
      if (!bordered && pc.implicit) continue;  // packed for its widened channels: no im2col variant
      if (!bordered) pc.padded_bytes = 0;
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
        std::vector<int8_t> got(want.size(), 0x11);
        run_conv(pc, c.input.data(), got.data(), pool);
        const std::string d = first_difference(got, want, c.p.out_c);
        EXPECT_TRUE(d.empty(), isa_name(isa) << " threads=" << (pool ? pool->num_threads() : 1) << " "
                                             << c.describe() << ": " << d);
      }
    }
  }
}

TEST(fully_connected_matches_definition_all_paths_and_threads) {
  Gen g(12);
  const int shapes[][3] = {{1, 1024, 1280}, {3, 64, 10}, {1, 7, 3}, {9, 300, 37}, {1, 9, 70}, {1, 33, 200}};
  ThreadPool pool3(3);
  for (const auto& s : shapes) {
    const int batch = s[0], in_f = s[1], out_f = s[2];
    ConvCase c = make_case(g, batch, 1, 1, in_f, out_f, 1, 1, 1, 1, true);
    const std::vector<int8_t> want = direct_conv(c);
    for (Isa isa : runnable_isas()) {
      const PackedFullyConnected fc = pack_fully_connected(isa, in_f, out_f, c.weights.data(), c.bias.data(),
                                                           c.p.input_zero_point, c.out);
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool3}) {
        std::vector<int8_t> got(want.size(), 0x11);
        run_fully_connected(fc, batch, c.input.data(), got.data(), pool);
        const std::string d = first_difference(got, want, out_f);
        EXPECT_TRUE(d.empty(), isa_name(isa) << " FC batch=" << batch << " in=" << in_f << " out=" << out_f
                                             << ": " << d);
      }
    }
  }
}

TEST(conv_rejects_bad_parameters_with_a_message) {
  Gen g(13);
  ConvCase c = make_case(g, 1, 5, 5, 3, 4, 3, 3, 1, 1, true);
  auto expect_throw = [&](ConvParams p, OutputStage out, const std::string& needle) -> std::string {
    try {
      pack_conv(Isa::kRef, p, c.weights.data(), c.bias.data(), out);
    } catch (const std::invalid_argument& e) {
      if (std::string(e.what()).find(needle) == std::string::npos) return std::string("message: ") + e.what();
      return "";
    }
    return "no exception for " + needle;
  };
  ConvParams p = c.p;
  p.in_c = 0;
  std::string r = expect_throw(p, c.out, "in_c");
  EXPECT_TRUE(r.empty(), r);
  p = c.p;
  p.stride_h = 0;
  r = expect_throw(p, c.out, "stride_h");
  EXPECT_TRUE(r.empty(), r);
  p = c.p;
  p.out_h = 50;
  r = expect_throw(p, c.out, "out_h");
  EXPECT_TRUE(r.empty(), r);
  OutputStage bad = c.out;
  bad.multiplier.pop_back();
  r = expect_throw(c.p, bad, "multipliers");
  EXPECT_TRUE(r.empty(), r);
  bad = c.out;
  bad.shift[1] = 40;
  r = expect_throw(c.p, bad, "shift");
  EXPECT_TRUE(r.empty(), r);
  p = c.p;
  p.input_zero_point = 200;
  r = expect_throw(p, c.out, "zero point");
  EXPECT_TRUE(r.empty(), r);
  // Too-small caller scratch is an error, not an overrun.
  const PackedConv pc = pack_conv(Isa::kRef, c.p, c.weights.data(), c.bias.data(), c.out);
  std::vector<int8_t> outbuf(static_cast<size_t>(c.p.out_h) * c.p.out_w * c.p.out_c);
  uint8_t tiny[4];
  bool threw = false;
  try {
    run_conv(pc, c.input.data(), outbuf.data(), nullptr, tiny, sizeof(tiny));
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  EXPECT_TRUE(threw, "scratch too small was accepted");
}

EDGEKD_TEST_MAIN()
