// float32 kernels: every path's GEMM, conv driver and depthwise against the scalar reference, within a tight
// relative tolerance (the SIMD kernels sum in the reference's order; only fused multiply-adds round once
// instead of twice), over edge shapes: k, n and m below, at and above the tiles, clamps that bite,
// padding, strides, dilation, channel tails and depth multipliers. Also the float16 -> float32 conversion.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

#include "edgekd/cpu.h"
#include "kernels/float/float_kernels.h"
#include "runtime/float_folding.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace edgekd;

namespace {

std::vector<float> randn(std::mt19937& gen, size_t n) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(gen);
  return v;
}

// Max |got - want| relative to the largest |want| (sums of products cancel, so per-element relative error
// is meaningless near zero); an empty message when within tol.
std::string compare(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  float scale = 1e-30f, worst = 0.0f;
  size_t at = 0;
  for (float w : want) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < got.size(); ++i) {
    const float d = std::fabs(got[i] - want[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (worst <= tol * scale) return "";
  std::ostringstream os;
  os << "element " << at << ": got " << got[at] << ", reference " << want[at] << " (max |diff| " << worst
     << ", scale " << scale << ")";
  return os.str();
}

std::vector<const KernelTable*> simd_tables() {
  std::vector<const KernelTable*> out;
  for (Isa isa : compiled_isas())
    if (isa != Isa::kRef && isa_available(isa)) out.push_back(&kernel_table(isa));
  return out;
}

constexpr float kTol = 2e-6f;

}  // namespace

TEST(float_gemm_every_path_matches_reference) {
  std::mt19937 gen(7);
  const KernelTable& ref = kernel_table(Isa::kRef);
  for (const KernelTable* t : simd_tables()) {
    for (int m : {1, 2, 5, 6, 7, 8, 9, 13, 17})
      for (int n : {1, 7, 8, 15, 16, 17, 33})
        for (int k : {1, 3, 16, 37}) {
          const std::vector<float> a = randn(gen, size_t(m) * k), w = randn(gen, size_t(n) * k), b = randn(gen, n);
          const float lo = (m + n) % 3 ? -0.5f : -INFINITY, hi = (m + k) % 2 ? 1.5f : INFINITY;
          PackedGemmF32 pr, ps;
          pack_gemm_f32(*ref.gemm_f32, w.data(), b.data(), n, k, lo, hi, &pr);
          pack_gemm_f32(*t->gemm_f32, w.data(), b.data(), n, k, lo, hi, &ps);
          std::vector<float> want(size_t(m) * (n + 3), -7.0f), got = want;
          ref.gemm_f32->run(pr, m, a.data(), k, want.data(), n + 3, 0, n);  // strided output
          // Columns in two calls, split at a panel boundary, as threads split them.
          const int split = n > t->gemm_f32->nr ? t->gemm_f32->nr : n;
          t->gemm_f32->run(ps, m, a.data(), k, got.data(), n + 3, 0, split);
          t->gemm_f32->run(ps, m, a.data(), k, got.data(), n + 3, split, n);
          const std::string msg = compare(got, want, kTol);
          EXPECT_TRUE(msg.empty(), t->gemm_f32->name << " m=" << m << " n=" << n << " k=" << k << ": " << msg);
        }
  }
}

TEST(float_conv_every_path_and_thread_count_matches_reference) {
  std::mt19937 gen(11);
  const KernelTable& ref = kernel_table(Isa::kRef);
  std::vector<const KernelTable*> tables = simd_tables();
  tables.push_back(&ref);
  ThreadPool pool(3);
  struct Shape { int h, w, c, oc, kh, kw, s, d, pad; };
  for (const Shape& s : {Shape{9, 9, 5, 7, 3, 3, 2, 1, 1}, Shape{6, 5, 16, 24, 1, 1, 1, 1, 0},
                         Shape{12, 12, 3, 16, 3, 3, 1, 2, 2}, Shape{4, 4, 8, 9, 2, 2, 1, 1, 0},
                         Shape{20, 20, 3, 8, 3, 3, 2, 1, 1}}) {
    ConvF32Params p;
    p.in_h = s.h; p.in_w = s.w; p.in_c = s.c; p.out_c = s.oc; p.kh = s.kh; p.kw = s.kw;
    p.stride_h = p.stride_w = s.s; p.dilation_h = p.dilation_w = s.d; p.pad_top = p.pad_left = s.pad;
    p.out_h = (s.h + 2 * s.pad - (s.kh - 1) * s.d - 1) / s.s + 1;
    p.out_w = (s.w + 2 * s.pad - (s.kw - 1) * s.d - 1) / s.s + 1;
    const std::vector<float> in = randn(gen, size_t(s.h) * s.w * s.c), w = randn(gen, size_t(s.oc) * p.k()),
                             b = randn(gen, s.oc);
    // The definition, written out: bias, then taps in (ky, kx, ic) order.
    std::vector<float> want(size_t(p.m()) * s.oc);
    for (int oy = 0; oy < p.out_h; ++oy)
      for (int ox = 0; ox < p.out_w; ++ox)
        for (int oc = 0; oc < s.oc; ++oc) {
          float acc = b[oc];
          for (int ky = 0; ky < s.kh; ++ky)
            for (int kx = 0; kx < s.kw; ++kx)
              for (int ic = 0; ic < s.c; ++ic) {
                const int iy = oy * s.s - s.pad + ky * s.d, ix = ox * s.s - s.pad + kx * s.d;
                if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w)
                  acc += in[(size_t(iy) * s.w + ix) * s.c + ic] * w[((size_t(oc) * s.kh + ky) * s.kw + kx) * s.c + ic];
              }
          want[(size_t(oy) * p.out_w + ox) * s.oc + oc] = std::max(acc, 0.0f);
        }
    for (const KernelTable* t : tables)
      for (ParallelFor* pl : {static_cast<ParallelFor*>(nullptr), static_cast<ParallelFor*>(&pool)}) {
        const PackedConvF32 c = pack_conv_f32(*t->gemm_f32, p, w.data(), b.data(), 0.0f, INFINITY);
        std::vector<uint8_t> scratch(conv_f32_scratch_bytes(c, pl ? pl->num_threads() : 1));
        std::vector<float> got(want.size());
        run_conv_f32(c, in.data(), got.data(), pl, scratch.data());
        const std::string msg = compare(got, want, kTol);
        EXPECT_TRUE(msg.empty(), t->gemm_f32->name << (pl ? " 3 threads" : "") << " conv " << s.h << "x" << s.w
                                                   << "x" << s.c << " -> " << s.oc << ": " << msg);
      }
  }
}

TEST(float_dwconv_every_path_matches_reference) {
  std::mt19937 gen(5);
  ThreadPool pool(2);
  struct Shape { int h, w, c, dm, k, s, d, pad; };
  for (const Shape& s : {Shape{7, 7, 16, 1, 3, 1, 1, 1}, Shape{8, 9, 67, 1, 3, 2, 1, 1}, Shape{5, 5, 3, 1, 5, 1, 1, 2},
                         Shape{9, 9, 24, 1, 3, 1, 2, 2}, Shape{6, 6, 5, 2, 3, 1, 1, 1}, Shape{4, 4, 80, 1, 3, 2, 1, 0},
                         Shape{1, 1, 130, 1, 3, 1, 1, 1}}) {
    DwConvF32Params p;
    p.in_h = s.h; p.in_w = s.w; p.in_c = s.c; p.depth_multiplier = s.dm; p.kh = p.kw = s.k;
    p.stride_h = p.stride_w = s.s; p.dilation_h = p.dilation_w = s.d; p.pad_top = p.pad_left = s.pad;
    p.out_h = (s.h + 2 * s.pad - (s.k - 1) * s.d - 1) / s.s + 1;
    p.out_w = (s.w + 2 * s.pad - (s.k - 1) * s.d - 1) / s.s + 1;
    p.lo = -1.0f;
    p.hi = 2.0f;
    const std::vector<float> in = randn(gen, size_t(s.h) * s.w * s.c), w = randn(gen, size_t(s.k) * s.k * p.out_c()),
                             b = randn(gen, p.out_c());
    std::vector<float> want(size_t(p.out_h) * p.out_w * p.out_c());
    dwconv_f32_ref(p, w.data(), b.data(), in.data(), want.data(), 0, p.out_h);
    for (const KernelTable* t : simd_tables()) {
      std::vector<float> got(want.size());
      run_dwconv_f32(*t->dwconv_f32, p, w.data(), b.data(), in.data(), got.data(), &pool);
      const std::string msg = compare(got, want, kTol);
      EXPECT_TRUE(msg.empty(), t->dwconv_f32->name << " " << s.h << "x" << s.w << "x" << s.c << " dm " << s.dm
                                                   << " k " << s.k << " s " << s.s << " d " << s.d << ": " << msg);
    }
  }
}

TEST(half_to_float_is_exact) {
  // Zeros, normals, the largest finite value, subnormals, infinities, NaN.
  const struct { uint16_t h; float f; } cases[] = {
      {0x0000, 0.0f}, {0x3c00, 1.0f}, {0xc000, -2.0f}, {0x7bff, 65504.0f}, {0x0001, 5.9604644775390625e-8f},
      {0x03ff, 6.097555160522461e-5f}, {0x0400, 6.103515625e-5f}, {0x7c00, INFINITY}, {0xfc00, -INFINITY}};
  for (const auto& c : cases) EXPECT_TRUE(half_to_float(c.h) == c.f, std::hex << c.h << " -> " << half_to_float(c.h));
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)), "NaN");
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)), "negative zero");
}

EDGEKD_TEST_MAIN()
