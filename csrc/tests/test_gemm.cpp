// Every GEMM path against the definition, bit for bit, over a generated sweep of edge shapes.
// Also runs the c4 kernel body (shared by AVX-512 VNNI and ARM dotprod) with scalar emulations of their
// vector operations, so the VNNI packing / folding / tiling / tails are checked even where the CPU lacks it.
#include <algorithm>
#include <stdexcept>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "edgekd/quant.h"
#include "kernels/gemm/gemm_c4_body.h"
#include "kernels/gemm/gemm_c4_configs.h"
#include "kernels/gemm/gemm_common.h"
#include "kernels/kernels.h"
#include "testing.h"

using namespace edgekd;

namespace {

// ---- scalar emulations of the c4 vector operations -------------------------------------------------
template <int Lanes, bool Unsigned>
struct EmuOps {
  static constexpr int kLanes = Lanes;
  struct Acc { int32_t v[Lanes]; };
  struct Av { uint8_t b[4]; };  // the raw bytes; interpreted as u8 (VNNI) or s8 (sdot) in dot()
  struct Wv { int8_t b[Lanes * 4]; };
  static Acc load_bias(const int32_t* p) { Acc a; std::memcpy(a.v, p, sizeof(a.v)); return a; }
  static Wv load_w(const int8_t* p) { Wv w; std::memcpy(w.b, p, sizeof(w.b)); return w; }
  static Av bcast_a(const int8_t* p) {
    Av a;
    std::memcpy(a.b, p, 4);
    if (Unsigned) for (auto& x : a.b) x ^= 0x80;
    return a;
  }
  static constexpr bool kPrepareA = Unsigned;  // as the real ops: VNNI prepares, sdot reads A in place
  static void prepare_a(const int8_t* src, int k, int8_t* dst) {
    const int padded = (k + 63) / 64 * 64;
    for (int i = 0; i < padded; ++i) dst[i] = static_cast<int8_t>((i < k ? src[i] : 0) ^ (Unsigned ? 0x80 : 0));
  }
  static Av bcast_prepared(const int8_t* p) {
    Av a;
    std::memcpy(a.b, p, 4);
    return a;
  }
  static Acc dot(Acc acc, Av a, Wv w) {
    for (int l = 0; l < Lanes; ++l) {
      for (int i = 0; i < 4; ++i) {
        const int32_t av = Unsigned ? static_cast<int32_t>(a.b[i]) : static_cast<int32_t>(static_cast<int8_t>(a.b[i]));
        acc.v[l] = wrap_add(acc.v[l], av * w.b[4 * l + i]);
      }
    }
    return acc;
  }
  static void requant_store(Acc acc, const int32_t* mult, const int32_t* shift, const OutputStage& os,
                            int8_t* c, int count) {
    Requant r;
    r.multiplier = mult;
    r.shift = shift;
    r.output_zero_point = os.output_zero_point;
    r.act_min = os.act_min;
    r.act_max = os.act_max;
    for (int l = 0; l < count; ++l) c[l] = r.apply_gemm(acc.v[l], l);
  }
};

using gemm_c4_config::kNeonDotActOffset;
using gemm_c4_config::kNeonDotLanes;
using gemm_c4_config::kNeonDotMr;
using gemm_c4_config::kNeonDotNv;
using gemm_c4_config::kVnniActOffset;
using gemm_c4_config::kVnniLanes;
using gemm_c4_config::kVnniMr;
using gemm_c4_config::kVnniNv;
using EmuVnni = EmuOps<kVnniLanes, true>;
using EmuDot = EmuOps<kNeonDotLanes, false>;

void pack_emu_vnni(const int8_t* w, const int32_t* bias, int n, int k, int32_t zp, PackedGemm* out) {
  gemm_pack::pack_c4(w, bias, n, k, zp, Isa::kAvx512Vnni, kVnniNv * kVnniLanes, kVnniActOffset, out);
}
void run_emu_vnni(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int nb,
                  int ne) {
  gemm_c4::run<EmuVnni, kVnniMr, kVnniNv>(p, m, a, lda, c, ldc, nb, ne);
}
void pack_emu_dot(const int8_t* w, const int32_t* bias, int n, int k, int32_t zp, PackedGemm* out) {
  gemm_pack::pack_c4(w, bias, n, k, zp, Isa::kNeonDot, kNeonDotNv * kNeonDotLanes, kNeonDotActOffset, out);
}
void run_emu_dot(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int nb,
                 int ne) {
  gemm_c4::run<EmuDot, kNeonDotMr, kNeonDotNv>(p, m, a, lda, c, ldc, nb, ne);
}
const GemmKernel kEmuVnni{"gemm_s8_8x32c4_avx512vnni(emulated)", Isa::kAvx512Vnni, kVnniMr,
                         kVnniNv * kVnniLanes, &pack_emu_vnni, &run_emu_vnni};
const GemmKernel kEmuDot{"gemm_s8_4x16c4_neondot(emulated)", Isa::kNeonDot, kNeonDotMr,
                        kNeonDotNv * kNeonDotLanes, &pack_emu_dot, &run_emu_dot};

// ---- the problem and the definition ------------------------------------------------------------------
struct Problem {
  int m = 1, n = 1, k = 1;
  size_t lda = 1, ldc = 1;
  int32_t a_zp = 0;
  std::vector<int8_t> a, w;
  std::vector<int32_t> bias;
  bool has_bias = true;
  OutputStage out;
  std::string describe() const {
    std::ostringstream os;
    os << "m=" << m << " n=" << n << " k=" << k << " lda=" << lda << " ldc=" << ldc << " a_zp=" << a_zp
       << " out_zp=" << out.output_zero_point << " clamp=[" << out.act_min << "," << out.act_max << "]"
       << (has_bias ? "" : " no-bias");
    return os.str();
  }
};

// Written independently of gemm_ref.cpp: the definition straight from quant.h.
std::vector<int8_t> definition(const Problem& p) {
  std::vector<int8_t> c(static_cast<size_t>(p.m) * p.ldc, 0x5A);
  const Requant rq = p.out.requant();
  for (int i = 0; i < p.m; ++i) {
    for (int j = 0; j < p.n; ++j) {
      uint32_t acc = p.has_bias ? static_cast<uint32_t>(p.bias[j]) : 0u;
      for (int kk = 0; kk < p.k; ++kk) {
        const int32_t av = p.a[i * p.lda + kk] - p.a_zp;
        acc += static_cast<uint32_t>(av * p.w[static_cast<size_t>(j) * p.k + kk]);
      }
      c[i * p.ldc + j] = rq.apply_gemm(static_cast<int32_t>(acc), j);
    }
  }
  return c;
}

// Runs `kern` on p, optionally split into two column ranges at a multiple of nr (as threads split N).
std::vector<int8_t> run_kernel(const GemmKernel& kern, const Problem& p, bool split_n) {
  PackedGemm packed;
  kern.pack(p.w.data(), p.has_bias ? p.bias.data() : nullptr, p.n, p.k, p.a_zp, &packed);
  packed.out = p.out;
  std::vector<int8_t> c(static_cast<size_t>(p.m) * p.ldc, 0x5A);  // sentinel in the stride padding
  const int panels = (p.n + kern.nr - 1) / kern.nr;
  if (split_n && panels > 1) {
    const int mid = (panels / 2) * kern.nr;
    kern.run(packed, p.m, p.a.data(), p.lda, c.data(), p.ldc, 0, mid);
    kern.run(packed, p.m, p.a.data(), p.lda, c.data(), p.ldc, mid, p.n);
  } else {
    kern.run(packed, p.m, p.a.data(), p.lda, c.data(), p.ldc, 0, p.n);
  }
  return c;
}

bool compare(const GemmKernel& kern, const Problem& p, const std::vector<int8_t>& got,
             const std::vector<int8_t>& want, std::string* msg) {
  for (size_t idx = 0; idx < want.size(); ++idx) {
    if (got[idx] != want[idx]) {
      std::ostringstream os;
      const size_t row = idx / p.ldc, col = idx % p.ldc;
      os << kern.name << ": " << p.describe() << ": first difference at C[" << row << "][" << col << "]"
         << (col >= static_cast<size_t>(p.n) ? " (stride padding, must be untouched)" : "")
         << ": got " << int(got[idx]) << ", want " << int(want[idx]);
      if (col < static_cast<size_t>(p.n))
        os << " (mult=" << p.out.multiplier[col] << " shift=" << p.out.shift[col] << ")";
      *msg = os.str();
      return false;
    }
  }
  return true;
}

struct Gen {
  std::mt19937 rng;
  explicit Gen(uint32_t seed) : rng(seed) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
};

// A random problem; `style` varies zero points, clamps and multipliers so that the sweep covers them.
Problem make_problem(Gen& g, int m, int n, int k, int style) {
  Problem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.lda = k + (style % 3 == 1 ? 5 : 0);
  p.ldc = n + (style % 2 == 1 ? 3 : 0);
  const int32_t zps[] = {-128, 127, 0, g.uniform(-128, 127)};
  p.a_zp = zps[style % 4];
  p.a.resize(static_cast<size_t>(m) * p.lda);
  for (auto& x : p.a) x = static_cast<int8_t>(g.uniform(-128, 127));
  p.w.resize(static_cast<size_t>(n) * k);
  for (auto& x : p.w) x = static_cast<int8_t>(g.uniform(style % 5 == 4 ? -128 : -127, 127));
  p.has_bias = style % 7 != 6;
  p.bias.resize(n);
  for (auto& b : p.bias) b = g.uniform(-40000, 40000);
  p.out.multiplier.resize(n);
  p.out.shift.resize(n);
  // Scale so that typical accumulators land around the int8 range; some channels shift left.
  const double typical = 128.0 * 64.0 * std::sqrt(static_cast<double>(k) + 1.0);
  for (int j = 0; j < n; ++j) {
    double real = g.real(0.3, 3.0) * 100.0 / typical;
    if (j % 5 == 3) real *= 1 << g.uniform(1, 12);  // shift > 0 for small k
    if (j % 7 == 5) real *= 1e-3;                   // deep right shift
    quantize_multiplier(real, &p.out.multiplier[j], &p.out.shift[j]);
  }
  p.out.output_zero_point = zps[(style + 1) % 4];
  if (style % 3 == 2) {  // a clamp that bites (e.g. fused ReLU6-like range)
    p.out.act_min = g.uniform(-128, 0);
    p.out.act_max = g.uniform(p.out.act_min, 127);
  }
  return p;
}

struct Path {
  const GemmKernel* kernel;
  bool runnable;
};

std::vector<Path> paths_under_test() {
  std::vector<Path> out;
  for (int i = 0; i < static_cast<int>(Isa::kCount); ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isa_compiled(isa)) continue;
    const bool ok = isa_available(isa);
    out.push_back({kernel_table(isa).gemm, ok});
    if (!ok) std::printf("  (skipping %s: this CPU lacks %s)\n", kernel_table(isa).gemm->name, isa_name(isa));
  }
  out.push_back({&kEmuVnni, true});
  out.push_back({&kEmuDot, true});
  return out;
}

bool check_one(const GemmKernel& kern, const Problem& p, bool split, std::string* msg) {
  return compare(kern, p, run_kernel(kern, p, split), definition(p), msg);
}

}  // namespace

TEST(ref_kernel_matches_definition) {
  Gen g(1);
  for (int style = 0; style < 12; ++style) {
    const Problem p = make_problem(g, 3, 7, 19 + style, style);
    std::string msg;
    EXPECT_TRUE(check_one(*kernel_table(Isa::kRef).gemm, p, false, &msg), msg);
  }
}

TEST(every_path_matches_definition_over_edge_shapes) {
  Gen g(2);
  int checked = 0;
  for (const Path& path : paths_under_test()) {
    if (!path.runnable) continue;
    const GemmKernel& kern = *path.kernel;
    const int mr = kern.mr, nr = kern.nr;
    std::vector<int> ms = {1, 2, 3, mr - 1, mr, mr + 1, mr + 2, 2 * mr + 3};  // 2-3 left over: overlapped tile
    std::vector<int> ns = {1, 3, nr - 1, nr, nr + 1, 2 * nr, 2 * nr + 7};
    const std::vector<int> ks = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 257};
    int style = 0;
    for (int m : ms) {
      if (m < 1) continue;
      for (int n : ns) {
        if (n < 1) continue;
        for (int k : ks) {
          const Problem p = make_problem(g, m, n, k, style);
          std::string msg;
          EXPECT_TRUE(check_one(kern, p, style % 2 == 0, &msg), msg);
          ++style;
          ++checked;
        }
      }
    }
  }
  std::printf("  %d problems checked\n", checked);
}

TEST(every_path_deep_k_and_big_shapes) {
  // k beyond the AVX2 kernel's widened-A chunk (2048), odd k, and n spanning several L2 panel groups.
  Gen g(3);
  const int shapes[][3] = {{7, 37, 4099}, {13, 70, 2048}, {2, 5, 2049}, {9, 600, 300}, {1, 1280, 1024}};
  for (const Path& path : paths_under_test()) {
    if (!path.runnable) continue;
    int style = 0;
    for (const auto& s : shapes) {
      const Problem p = make_problem(g, s[0], s[1], s[2], style++);
      std::string msg;
      EXPECT_TRUE(check_one(*path.kernel, p, true, &msg), msg);
    }
  }
}

TEST(every_path_single_row_over_panel_and_k_tails) {
  // M = 1 (fully connected at batch 1) has its own AVX2 path that runs several 16-column panels side by
  // side: n covers whole groups of panels plus every remainder, k odd/even/below and above the 16-byte
  // widening step, up to the row that still fits its buffer (8200) and beyond it (9001, the 1-row tile).
  Gen g(6);
  const std::vector<int> ns = {1, 15, 16, 17, 33, 48, 63, 64, 65, 80, 97, 127, 128, 130, 1000};
  const std::vector<int> ks = {1, 2, 3, 9, 15, 16, 17, 27, 31, 144, 1280};
  for (const Path& path : paths_under_test()) {
    if (!path.runnable) continue;
    int style = 0;
    for (int n : ns) {
      for (int k : ks) {
        const Problem p = make_problem(g, 1, n, k, style);
        std::string msg;
        EXPECT_TRUE(check_one(*path.kernel, p, style % 2 == 0, &msg), msg);
        ++style;
      }
    }
    for (int k : {4099, 8200, 9001}) {
      const Problem p = make_problem(g, 1, 70, k, style++);
      std::string msg;
      EXPECT_TRUE(check_one(*path.kernel, p, true, &msg), msg);
    }
  }
}

TEST(every_path_accumulators_near_int32_limits) {
  // Accumulators that approach and wrap around the int32 limits: folded and unfolded sums are equal mod
  // 2^32, so every path must agree with the definition even when the int32 sum wraps.
  Gen g(4);
  for (const Path& path : paths_under_test()) {
    if (!path.runnable) continue;
    for (int variant = 0; variant < 6; ++variant) {
      const int m = variant % 3 == 2 ? 1 : 5, n = 35;  // m = 1: the single-row path
      const int k = variant < 3 ? 66000 : 40;
      Problem p = make_problem(g, m, n, k, variant);
      p.a_zp = variant % 2 ? 127 : -128;
      for (auto& x : p.a) x = static_cast<int8_t>(variant % 2 ? -128 : 127);  // |a - zp| = 255
      for (size_t idx = 0; idx < p.w.size(); ++idx) p.w[idx] = static_cast<int8_t>(idx % 3 ? 127 : -127);
      for (int j = 0; j < n; ++j) {
        p.bias[j] = variant >= 3 ? (j % 2 ? INT32_MAX - g.uniform(0, 3000000) : INT32_MIN + g.uniform(0, 3000000))
                                 : g.uniform(-1000, 1000);
        quantize_multiplier(j % 4 == 0 ? 0.9 : g.real(1e-9, 1e-6), &p.out.multiplier[j], &p.out.shift[j]);
      }
      std::string msg;
      EXPECT_TRUE(check_one(*path.kernel, p, variant % 2 == 0, &msg), msg);
    }
  }
}

TEST(every_path_requant_extremes) {
  // Multipliers and shifts at the ends of their ranges, including INT_MIN * INT_MIN saturation in srdhm,
  // left shifts that wrap, right shifts of 31, negative multipliers.
  Gen g(5);
  for (const Path& path : paths_under_test()) {
    if (!path.runnable) continue;
    for (int variant = 0; variant < 4; ++variant) {
      const int m = 3, n = 70, k = 6;
      Problem p = make_problem(g, m, n, k, variant);
      p.a_zp = 0;
      if (variant == 0) std::fill(p.w.begin(), p.w.end(), 0);  // acc == bias exactly
      for (int j = 0; j < n; ++j) {
        const int32_t mults[] = {INT32_MIN, INT32_MAX, 1 << 30, -(1 << 30) - 12345, 0, 1518500250, 1};
        p.out.multiplier[j] = mults[j % 7];
        p.out.shift[j] = (j / 7) % 2 ? g.uniform(-31, -25) : g.uniform(0, 30);
        if (j % 11 == 0) p.out.shift[j] = -31;
        const int32_t biases[] = {INT32_MIN, INT32_MAX, -1, 0, 1 << 30, g.uniform(INT32_MIN, INT32_MAX)};
        p.bias[j] = biases[(j + variant) % 6];
      }
      std::string msg;
      EXPECT_TRUE(check_one(*path.kernel, p, false, &msg), msg);
    }
  }
}

TEST(every_path_requant_over_all_shifts_and_extreme_accumulators) {
  // The output stage alone, over many (accumulator, multiplier, shift) triples: k = 1 with W in {-1, 0, 1}
  // makes each accumulator the bias plus at most one small row term, so the biases place accumulators
  // anywhere in int32 (ends, powers of two, ties of the rounding shift). Every shift in [-31, 31] plus
  // out-of-range right shifts (clamped to 31); multipliers at INT_MIN (with x = INT_MIN: saturation),
  // INT_MAX, 2^30, negative, tiny and random; zero points at both ends; full and biting clamps. m = 1 runs
  // the AVX2 single-row path, m = 5 the tile path with a row pair and an odd row; n = 16c + 8 ends on a
  // half-width panel.
  Gen g(7);
  for (const Path& path : paths_under_test()) {
    if (!path.runnable) continue;
    for (int iter = 0; iter < 120; ++iter) {
      const int m = iter % 2 ? 5 : 1, n = 16 * 4 + 8, k = 1;
      Problem p = make_problem(g, m, n, k, iter);
      p.a_zp = iter % 3 == 0 ? 0 : g.uniform(-128, 127);
      for (int j = 0; j < n; ++j) p.w[j] = static_cast<int8_t>(j % 3 - 1);
      p.has_bias = true;
      // Every third problem right-shifts every column (r >= 1), so whole tiles take requant8's short form.
      const bool right_only = iter % 3 == 2;
      for (int j = 0; j < n; ++j) {
        // every shift in [-31, 31] across iterations
        const int shift = right_only ? -1 - (iter * 7 + j) % 31 : (iter * 7 + j) % 63 - 31;
        p.out.shift[j] = j % 29 == 0 ? -32 - g.uniform(0, 10) : shift;
        const int32_t mults[] = {INT32_MIN, INT32_MAX, 1 << 30, g.uniform(1 << 30, INT32_MAX),
                                 g.uniform(INT32_MIN, INT32_MAX), 0, 1, -1, -(1 << 30) - g.uniform(0, 99)};
        p.out.multiplier[j] = mults[g.uniform(0, 8)];
        const int e = g.uniform(0, 31);
        const int32_t biases[] = {INT32_MIN, INT32_MAX, 0, 1, -1, 1 << 30, -(1 << 30),
                                  static_cast<int32_t>((static_cast<uint32_t>(1) << e) + static_cast<uint32_t>(g.uniform(-2, 2))),
                                  -(1 << (e < 31 ? e : 30)) + g.uniform(-2, 2), g.uniform(INT32_MIN, INT32_MAX),
                                  g.uniform(-100000, 100000)};
        p.bias[j] = biases[g.uniform(0, 10)];
        if (j % 9 == 4) {  // W = 0 here: x = INT_MIN after the left shift, times INT_MIN
          p.out.multiplier[j] = INT32_MIN;
          p.bias[j] = static_cast<int32_t>(0x80000000u >> (p.out.shift[j] > 0 ? p.out.shift[j] : 0));
        }
      }
      // Zero point 0 too: INT_MIN vs the saturated INT_MAX only shows there (any other one wraps both
      // to the same end of int8).
      const int32_t zps[] = {-128, 127, 0, g.uniform(-128, 127)};
      p.out.output_zero_point = zps[iter % 4];
      if (iter % 5 == 2) {
        p.out.act_min = g.uniform(-128, 0);
        p.out.act_max = g.uniform(p.out.act_min, 127);
      }
      std::string msg;
      EXPECT_TRUE(check_one(*path.kernel, p, iter % 4 == 1, &msg), msg);
    }
  }
}

TEST(kernel_names_and_tiles) {
  for (const Path& path : paths_under_test()) {
    const GemmKernel& k = *path.kernel;
    EXPECT_TRUE(std::string(k.name).rfind("gemm_s8_", 0) == 0, k.name);
    EXPECT_TRUE(std::string(k.name).find(isa_name(k.isa)) != std::string::npos, k.name);
    EXPECT_TRUE(k.mr >= 1 && k.nr >= 1, k.name);
  }
}

EDGEKD_TEST_MAIN()
