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

// Sign-extends `len` bytes to int16 and zero-pads to an even count (the pack zero-padded W the same way).
inline void widen_row(const int8_t* src, int len, int16_t* dst) {
  int i = 0;
  for (; i + 16 <= len; i += 16) {
    const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), v);
  }
  for (; i < len; ++i) dst[i] = src[i];
  if (len & 1) dst[len] = 0;
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

void run_avx2(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  if (m <= 0 || n_begin >= n_end) return;
  alignas(32) int16_t abuf[kMr * (kKcMax + 32)];
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
