// AVX2 int8 GEMM, 4x16 register tile, weights in "c2" k-pairs.
// AVX2 has no exact 8-bit dot product (vpmaddubsw saturates its int16 pair sums), so both operands are
// sign-extended to int16 and multiplied with vpmaddwd, which sums pairs exactly into int32:
//   - W is stored as int8 (same memory as the model) and widened on load with vpmovsxbw;
//   - a block of up to 4 rows of A is widened once into a small int16 buffer and broadcast by k-pair.
// The activation zero point is folded into the bias at pack time. Requantization is exact (see
// gemm_requant_avx2.h). Cache blocking: panels are processed in groups whose weights fit in L2 while all
// rows of A stream past them.
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm/gemm_common.h"
#include "kernels/gemm/gemm_requant_avx2.h"

namespace edgekd {
namespace {

// 4 rows: 8 accumulators + 2 weight vectors + 4 broadcasts fit the 16 ymm registers. With 6 rows GCC
// hoists the 6 broadcasts and spills accumulators to the stack inside the loop (measured slower).
constexpr int kMr = 4;
constexpr int kNr = 16;
constexpr int kKcMax = 2048;               // k per widened A chunk (4 x 2048 int16 = 16 KiB of stack)
constexpr size_t kL2PanelBytes = 128 * 1024;  // weights of one group of panels kept hot in L2

void pack_avx2(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  out->isa = Isa::kAvx2;
  out->n = n;
  out->k = k;
  out->a_zero_point = a_zero_point;
  gemm_pack::fold_bias(w, bias, n, k, a_zero_point, gemm_pack::round_up(n, kNr), out);
  gemm_pack::pack_cgroups(w, n, k, kNr, 2, out);
}

// Loads n bytes (0..7) into the low bytes of a uint64, the rest zero, without reading past src + n:
// two overlapping loads whose common bytes are equal, so OR-ing them is exact.
inline uint64_t load_upto7(const int8_t* src, int n) {
  if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    return static_cast<uint64_t>(a) | (static_cast<uint64_t>(b) << (8 * (n - 4)));
  }
  if (n >= 2) {
    uint16_t a, b;
    std::memcpy(&a, src, 2);
    std::memcpy(&b, src + n - 2, 2);
    return static_cast<uint64_t>(a) | (static_cast<uint64_t>(b) << (8 * (n - 2)));
  }
  return n ? static_cast<uint8_t>(*src) : 0;
}

// Loads n bytes (0..15) into the low bytes of an xmm, the rest zero, without reading past src + n.
inline __m128i load_partial16(const int8_t* src, int n) {
  uint64_t lo, hi = 0;
  if (n >= 8) {
    std::memcpy(&lo, src, 8);
    hi = load_upto7(src + 8, n - 8);
  } else {
    lo = load_upto7(src, n);
  }
  return _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
}

// Sign-extends `len` bytes to int16 and zero-pads to an even count (the pack zero-padded W the same way).
// Writes whole 16-element groups: dst must have room for len rounded up to 16.
inline void widen_row(const int8_t* src, int len, int16_t* dst) {
  int i = 0;
  for (; i + 16 <= len; i += 16) {
    const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), v);
  }
  if (i < len) {
    const __m256i v = _mm256_cvtepi8_epi16(load_partial16(src + i, len - i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), v);
  }
}

inline __m256i bcast_pair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm256_set1_epi32(v);
}

template <int MR>
void run_rows(const PackedGemm& p, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int panel_begin,
              int panel_end, int n_end, int16_t* abuf) {
  const int k = p.k;
  const int kpairs = (k + 1) / 2;
  const size_t panel_bytes = static_cast<size_t>(kpairs) * 2 * kNr;
  const bool one_chunk = k <= kKcMax;
  // Row stride of the widened rows: just enough for this k (plus one line, so rows do not sit 4 KiB apart).
  const int astride = one_chunk ? (kpairs * 2 + 15) / 16 * 16 + 32 : kKcMax;
  if (one_chunk) {
    for (int r = 0; r < MR; ++r) widen_row(a + r * lda, k, abuf + r * astride);
  }
  const RequantRow rr = requant_row(p.out.output_zero_point, p.out.act_min, p.out.act_max);
  for (int panel = panel_begin; panel < panel_end; ++panel) {
    const int col0 = panel * kNr;
    const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
    const int8_t* w = p.weights.as<int8_t>() + panel * panel_bytes;
    // The accumulators are plain locals of this function (never passed by reference) so that they stay
    // in registers.
    __m256i acc[MR][2];
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.bias.data() + col0));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.bias.data() + col0 + 8));
    for (int r = 0; r < MR; ++r) {
      acc[r][0] = b0;
      acc[r][1] = b1;
    }
    for (int k0 = 0; k0 < k; k0 += kKcMax) {
      const int kc = k - k0 < kKcMax ? k - k0 : kKcMax;
      if (!one_chunk) {
        for (int r = 0; r < MR; ++r) widen_row(a + r * lda + k0, kc, abuf + r * astride);
      }
      const int8_t* wk = w + static_cast<size_t>(k0) * kNr;
      const int kp_end = (kc + 1) / 2;
      for (int kp = 0; kp < kp_end; ++kp) {
        const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wk)));
        const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wk + 16)));
        wk += 2 * kNr;
#pragma GCC unroll 4
        for (int r = 0; r < MR; ++r) {
          const __m256i av = bcast_pair(abuf + r * astride + 2 * kp);
          acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, w0));
          acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, w1));
        }
      }
    }
    // Output stage for these columns (padded locally for a partial panel: the stage holds exactly n).
    const int32_t* mult = p.out.multiplier.data() + col0;
    const int32_t* shift = p.out.shift.data() + col0;
    int32_t mult_pad[kNr] = {0}, shift_pad[kNr] = {0};
    if (cols < kNr) {
      for (int j = 0; j < cols; ++j) {
        mult_pad[j] = mult[j];
        shift_pad[j] = shift[j];
      }
      mult = mult_pad;
      shift = shift_pad;
    }
    const RequantCols8 q0 = requant_cols8(mult, shift);
    const RequantCols8 q1 = requant_cols8(mult + 8, shift + 8);
    for (int r = 0; r < MR; ++r) {
      const __m128i v = pack16_s32_to_s8(requant8(acc[r][0], q0, rr), requant8(acc[r][1], q1, rr));
      store_s8(c + r * ldc + col0, v, cols);
    }
  }
}

// Requantizes one row of one panel (16 columns, `cols` of them real) and stores it at c + col0.
inline void requant_store_panel(const PackedGemm& p, int col0, int cols, __m256i acc0, __m256i acc1,
                                const RequantRow& rr, int8_t* c) {
  const int32_t* mult = p.out.multiplier.data() + col0;
  const int32_t* shift = p.out.shift.data() + col0;
  int32_t mult_pad[kNr] = {0}, shift_pad[kNr] = {0};
  if (cols < kNr) {
    for (int j = 0; j < cols; ++j) {
      mult_pad[j] = mult[j];
      shift_pad[j] = shift[j];
    }
    mult = mult_pad;
    shift = shift_pad;
  }
  const __m128i v = pack16_s32_to_s8(requant8(acc0, requant_cols8(mult, shift), rr),
                                     requant8(acc1, requant_cols8(mult + 8, shift + 8), rr));
  store_s8(c + col0, v, cols);
}

// M == 1 (fully connected at batch 1): every weight is used once, so the 4-row tile would run at a quarter
// of its width. Instead P panels run side by side on the one widened row: each k-pair broadcast feeds 2P
// independent accumulators, and the P weight streams are read once, as int8. (Tried and dropped: making
// the row unsigned and splitting it into nibbles so that vpmaddubsw is exact and the weights need no
// widening; on Zen 3 it ran 1.4x slower than this.)
template <int P>
void gemv_panels(const PackedGemm& p, const int16_t* a16, int panel, int n_end, const RequantRow& rr,
                 int8_t* c) {
  const int kpairs = (p.k + 1) / 2;
  const size_t panel_bytes = static_cast<size_t>(kpairs) * 2 * kNr;
  const int8_t* w = p.weights.as<int8_t>() + panel * panel_bytes;
  __m256i acc[P][2];
  for (int q = 0; q < P; ++q) {
    const int32_t* bias = p.bias.data() + (panel + q) * kNr;
    acc[q][0] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias));
    acc[q][1] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + 8));
  }
  for (int kp = 0; kp < kpairs; ++kp) {
    const __m256i av = bcast_pair(a16 + 2 * kp);
    const int8_t* wk = w + static_cast<size_t>(kp) * 2 * kNr;
#pragma GCC unroll 8
    for (int q = 0; q < P; ++q) {
      const int8_t* wq = wk + q * panel_bytes;
      const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wq)));
      const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wq + 16)));
      acc[q][0] = _mm256_add_epi32(acc[q][0], _mm256_madd_epi16(av, w0));
      acc[q][1] = _mm256_add_epi32(acc[q][1], _mm256_madd_epi16(av, w1));
    }
  }
  for (int q = 0; q < P; ++q) {
    const int col0 = (panel + q) * kNr;
    const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
    requant_store_panel(p, col0, cols, acc[q][0], acc[q][1], rr, c);
  }
}

constexpr int kGemvPanels = 4;

// Columns [n_begin, n_end) of one row; a16 holds the widened row (k rounded up to even, zero-padded).
void run_gemv(const PackedGemm& p, const int16_t* a16, int8_t* c, int n_begin, int n_end) {
  const RequantRow rr = requant_row(p.out.output_zero_point, p.out.act_min, p.out.act_max);
  int panel = n_begin / kNr;
  const int last_panel = (n_end + kNr - 1) / kNr;
  for (; panel + kGemvPanels <= last_panel; panel += kGemvPanels)
    gemv_panels<kGemvPanels>(p, a16, panel, n_end, rr, c);
  switch (last_panel - panel) {
    case 3: gemv_panels<3>(p, a16, panel, n_end, rr, c); break;
    case 2: gemv_panels<2>(p, a16, panel, n_end, rr, c); break;
    case 1: gemv_panels<1>(p, a16, panel, n_end, rr, c); break;
    default: break;
  }
}

void run_avx2(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  if (m <= 0 || n_begin >= n_end) return;
  alignas(32) int16_t abuf[kMr * (kKcMax + 32)];
  // One row: the widened row (k <= about 8000) stays in the buffer for every panel.
  if (m == 1 && (p.k + 15) / 16 * 16 <= kMr * (kKcMax + 32)) {
    widen_row(a, p.k, abuf);
    run_gemv(p, abuf, c, n_begin, n_end);
    return;
  }
  const int kpairs = (p.k + 1) / 2;
  const size_t panel_bytes = static_cast<size_t>(kpairs) * 2 * kNr;
  int group = static_cast<int>(kL2PanelBytes / (panel_bytes ? panel_bytes : 1));
  if (group < 1) group = 1;
  const int first_panel = n_begin / kNr;
  const int last_panel = (n_end + kNr - 1) / kNr;
  for (int pb = first_panel; pb < last_panel; pb += group) {
    const int pe = pb + group < last_panel ? pb + group : last_panel;
    for (int m0 = 0; m0 < m; m0 += kMr) {
      const int8_t* arows = a + m0 * lda;
      int8_t* crows = c + m0 * ldc;
      switch (m - m0 < kMr ? m - m0 : kMr) {
        case 1: run_rows<1>(p, arows, lda, crows, ldc, pb, pe, n_end, abuf); break;
        case 2: run_rows<2>(p, arows, lda, crows, ldc, pb, pe, n_end, abuf); break;
        case 3: run_rows<3>(p, arows, lda, crows, ldc, pb, pe, n_end, abuf); break;
        default: run_rows<4>(p, arows, lda, crows, ldc, pb, pe, n_end, abuf); break;
      }
    }
  }
}

}  // namespace

extern const GemmKernel kGemmAvx2;
const GemmKernel kGemmAvx2{"gemm_s8_4x16c2_avx2", Isa::kAvx2, kMr, kNr, &pack_avx2, &run_avx2};

}  // namespace edgekd
