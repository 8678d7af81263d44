// ARMv8.0 NEON int8 GEMM, 4x4 tile over blocks of 16 k ("k16"), for cores without dotprod (Cortex-A53/A57/
// A72). Each (row, column) pair multiplies 16 k with smull/smull2 into two int16x8 (every single product fits
// int16) and pairwise-accumulates them into an int32x4 with sadalp, so the sum is exact for all int8 values
// (two products are never added in int16). The four partial sums are reduced once per tile with addp.
#include <arm_neon.h>

#include "kernels/gemm/gemm_common.h"
#include "kernels/gemm/gemm_requant_neon.h"

namespace edgekd {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 4;
constexpr int kKb = 16;
constexpr size_t kL2PanelBytes = 256 * 1024;

void pack_neon(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  out->isa = Isa::kNeon;
  out->n = n;
  out->k = k;
  out->a_zero_point = a_zero_point;
  gemm_pack::fold_bias(w, bias, n, k, a_zero_point, gemm_pack::round_up(n, kNr), out);
  gemm_pack::pack_kblocks(w, n, k, kNr, kKb, out);
}

inline int32x4_t mac16(int32x4_t acc, int8x16_t a, int8x16_t w) {
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(w)));
  return vpadalq_s16(acc, vmull_high_s8(a, w));
}

template <int MR>
void block(const PackedGemm& p, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int panel, int n_end) {
  const int k = p.k;
  const int kblocks = (k + kKb - 1) / kKb;
  const int kfull = k / kKb;
  const int krem = k - kfull * kKb;
  const int col0 = panel * kNr;
  const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
  const int8_t* w = p.weights.as<int8_t>() + static_cast<size_t>(panel) * kblocks * kNr * kKb;
  int32x4_t acc[MR][kNr];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < kNr; ++j) acc[r][j] = vdupq_n_s32(0);
  for (int b = 0; b < kfull; ++b) {
    const int8_t* wb = w + static_cast<size_t>(b) * kNr * kKb;
    const int8x16_t w0 = vld1q_s8(wb), w1 = vld1q_s8(wb + 16), w2 = vld1q_s8(wb + 32), w3 = vld1q_s8(wb + 48);
    for (int r = 0; r < MR; ++r) {
      const int8x16_t av = vld1q_s8(a + r * lda + b * kKb);
      acc[r][0] = mac16(acc[r][0], av, w0);
      acc[r][1] = mac16(acc[r][1], av, w1);
      acc[r][2] = mac16(acc[r][2], av, w2);
      acc[r][3] = mac16(acc[r][3], av, w3);
    }
  }
  if (krem) {
    // Read only the k that exist; the pack zeroed W beyond k, so the zero padding of A adds nothing.
    const int8_t* wb = w + static_cast<size_t>(kfull) * kNr * kKb;
    const int8x16_t w0 = vld1q_s8(wb), w1 = vld1q_s8(wb + 16), w2 = vld1q_s8(wb + 32), w3 = vld1q_s8(wb + 48);
    for (int r = 0; r < MR; ++r) {
      int8_t tail[kKb] = {0};
      for (int i = 0; i < krem; ++i) tail[i] = a[r * lda + kfull * kKb + i];
      const int8x16_t av = vld1q_s8(tail);
      acc[r][0] = mac16(acc[r][0], av, w0);
      acc[r][1] = mac16(acc[r][1], av, w1);
      acc[r][2] = mac16(acc[r][2], av, w2);
      acc[r][3] = mac16(acc[r][3], av, w3);
    }
  }
  const int32_t* mult = p.out.multiplier.data() + col0;
  const int32_t* shift = p.out.shift.data() + col0;
  int32_t mult_pad[kNr] = {0, 0, 0, 0}, shift_pad[kNr] = {0, 0, 0, 0};
  if (cols < kNr) {
    for (int j = 0; j < cols; ++j) {
      mult_pad[j] = mult[j];
      shift_pad[j] = shift[j];
    }
    mult = mult_pad;
    shift = shift_pad;
  }
  const int32x4_t bias = vld1q_s32(p.bias.data() + col0);
  for (int r = 0; r < MR; ++r) {
    const int32x4_t sums =
        vpaddq_s32(vpaddq_s32(acc[r][0], acc[r][1]), vpaddq_s32(acc[r][2], acc[r][3]));
    store_s8x4(c + r * ldc + col0, requant4_to_s8(vaddq_s32(sums, bias), mult, shift, p.out), cols);
  }
}

void run_neon(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  if (m <= 0 || n_begin >= n_end) return;
  const size_t panel_bytes = static_cast<size_t>((p.k + kKb - 1) / kKb) * kNr * kKb;
  int group = static_cast<int>(kL2PanelBytes / (panel_bytes ? panel_bytes : 1));
  if (group < 1) group = 1;
  const int first_panel = n_begin / kNr;
  const int last_panel = (n_end + kNr - 1) / kNr;
  for (int pb = first_panel; pb < last_panel; pb += group) {
    const int pe = pb + group < last_panel ? pb + group : last_panel;
    for (int m0 = 0; m0 < m; m0 += kMr) {
      const int rows = m - m0 < kMr ? m - m0 : kMr;
      const int8_t* ar = a + m0 * lda;
      int8_t* cr = c + m0 * ldc;
      for (int panel = pb; panel < pe; ++panel) {
        switch (rows) {
          case 1: block<1>(p, ar, lda, cr, ldc, panel, n_end); break;
          case 2: block<2>(p, ar, lda, cr, ldc, panel, n_end); break;
          case 3: block<3>(p, ar, lda, cr, ldc, panel, n_end); break;
          default: block<4>(p, ar, lda, cr, ldc, panel, n_end); break;
        }
      }
    }
  }
}

}  // namespace

extern const GemmKernel kGemmNeon;
const GemmKernel kGemmNeon{"gemm_s8_4x4k16_neon", Isa::kNeon, kMr, kNr, &pack_neon, &run_neon};

}  // namespace edgekd
