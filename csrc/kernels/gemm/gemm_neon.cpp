// ARMv8.0 NEON int8 GEMM, 4x4 tile over blocks of 16 k ("k16"), for cores without dotprod (Cortex-A53/A57/
// A72). Each (row, column) pair multiplies 16 k into one int32x4: smull of the low 8 k, smlal2 of the high 8
// k into the same int16x8, and sadalp into the accumulator: 3 instructions per 16 multiply-adds. Two int8
// products fit an int16 sum unless both are (-128) x (-128), so the pack checks that no weight is -128
// (TFLite's symmetric weights never are); a weight of -128 takes the exact form with one smull, one smull2
// and two sadalp per 16 k. The four partial sums of a pair are reduced once per tile with addp. Full tiles
// of 4 rows without -128 weights or left shifts (nearly all of them) run as one block of assembly
// (gemm_neon_asm.h).
#include <arm_neon.h>

#include <cstring>

#include "kernels/gemm/gemm_common.h"
#include "kernels/gemm/gemm_neon_asm.h"
#include "kernels/gemm/gemm_requant_neon.h"
#include "kernels/gemm/gemm_tiles_neon.h"

namespace edgekd {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 4;
constexpr int kKb = 16;

void pack_neon(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  out->isa = Isa::kNeon;
  out->n = n;
  out->k = k;
  out->a_zero_point = a_zero_point;
  const size_t count = static_cast<size_t>(n) * k;
  out->no_min_weight = std::memchr(w, 0x80, count) == nullptr;
  gemm_pack::fold_bias(w, bias, n, k, a_zero_point, gemm_pack::round_up(n, kNr), out);
  gemm_pack::pack_kblocks(w, n, k, kNr, kKb, out);
}

template <bool kPairs>
inline int32x4_t mac16(int32x4_t acc, int8x16_t a, int8x16_t w) {
  if (kPairs) return vpadalq_s16(acc, vmlal_high_s8(vmull_s8(vget_low_s8(a), vget_low_s8(w)), a, w));
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(w)));
  return vpadalq_s16(acc, vmull_high_s8(a, w));
}

inline int32x4_t mac8(int32x4_t acc, int8x8_t a, int8x8_t w) { return vpadalq_s16(acc, vmull_s8(a, w)); }

// The last k % 16 of each row against one block of weights (zero beyond k): whole 8 k read in place, the
// rest from a zero-padded copy, so nothing past a row is read.
template <int MR>
inline void mac_tail(int32x4_t (&acc)[MR][kNr], const int8_t* const (&ar)[MR], int krem, const int8_t* wb) {
  int8x16_t wv[kNr];
  for (int j = 0; j < kNr; ++j) wv[j] = vld1q_s8(wb + kKb * j);
  const int whole = krem >= 8 ? 8 : 0;
  for (int r = 0; r < MR; ++r) {
    if (whole) {
      const int8x8_t av = vld1_s8(ar[r]);
      for (int j = 0; j < kNr; ++j) acc[r][j] = mac8(acc[r][j], av, vget_low_s8(wv[j]));
    }
    if (krem > whole) {
      int8_t rest[8] = {};
      copy_short<8>(rest, ar[r] + whole, krem - whole);
      const int8x8_t av = vld1_s8(rest);
      for (int j = 0; j < kNr; ++j)
        acc[r][j] = mac8(acc[r][j], av, whole ? vget_high_s8(wv[j]) : vget_low_s8(wv[j]));
    }
  }
}

template <int L>
inline void store_row4(int8_t* dst, int8x16_t v) {
  vst1q_lane_s32(reinterpret_cast<int32_t*>(dst), vreinterpretq_s32_s8(v), L);
}


template <int MR, bool kPairs, bool kLeft>
void tile(const PackedGemm& p, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int panel, int n_end,
          const PanelPad<kNr>& pad) {
  const int k = p.k;
  const int kblocks = (k + kKb - 1) / kKb;
  const int kfull = k / kKb;
  const int krem = k - kfull * kKb;
  const int col0 = panel * kNr;
  const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
  const int8_t* w = p.weights.as<int8_t>() + static_cast<size_t>(panel) * kblocks * kNr * kKb;
  const int8_t* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = a + r * lda;
  const bool full = cols == kNr;
  if constexpr ((MR == kMr || MR == 1) && kPairs && !kLeft) {
    run_asm_tile<MR, kNr, kKb>(MR == 1 ? tile_1x4_asm : tile_4x4_asm, p, a, lda, w, kfull, 0, kfull * kKb, krem,
                               c, ldc, col0, cols, pad.mult, pad.shift);
    return;
  }
  int32x4_t acc[MR][kNr];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < kNr; ++j) acc[r][j] = vdupq_n_s32(0);
  for (int b = 0; b < kfull; ++b) {
    const int8_t* wb = w + static_cast<size_t>(b) * kNr * kKb;
    const int8x16_t w0 = vld1q_s8(wb), w1 = vld1q_s8(wb + 16), w2 = vld1q_s8(wb + 32), w3 = vld1q_s8(wb + 48);
    for (int r = 0; r < MR; ++r) {
      const int8x16_t av = vld1q_s8(ar[r] + b * kKb);
      acc[r][0] = mac16<kPairs>(acc[r][0], av, w0);
      acc[r][1] = mac16<kPairs>(acc[r][1], av, w1);
      acc[r][2] = mac16<kPairs>(acc[r][2], av, w2);
      acc[r][3] = mac16<kPairs>(acc[r][3], av, w3);
    }
  }
  if (krem) {
    const int8_t* at[MR];
    for (int r = 0; r < MR; ++r) at[r] = ar[r] + kfull * kKb;
    mac_tail(acc, at, krem, w + static_cast<size_t>(kfull) * kNr * kKb);
  }

  const RequantCols4 q = load_requant_cols4(full ? p.out.multiplier.data() + col0 : pad.mult,
                                            full ? p.out.shift.data() + col0 : pad.shift);
  const RequantConsts consts = load_requant_consts(p.out);
  const int32x4_t bias = vld1q_s32(p.bias.data() + col0);
  int32x4_t rows[kMr];
  for (int r = 0; r < kMr; ++r) {
    const int rr = r < MR ? r : MR - 1;  // rows beyond MR repeat the last one (not stored)
    const int32x4_t sums = vaddq_s32(
        vpaddq_s32(vpaddq_s32(acc[rr][0], acc[rr][1]), vpaddq_s32(acc[rr][2], acc[rr][3])), bias);
    rows[r] = r < MR ? requant4<kLeft>(sums, q, consts) : rows[MR - 1];
  }
  const int8x16_t out = narrow_clamp16(rows[0], rows[1], rows[2], rows[3], consts);
  int8_t* cc = c + col0;
  if (full) {
    store_row4<0>(cc, out);
    if (MR > 1) store_row4<1>(cc + ldc, out);
    if (MR > 2) store_row4<2>(cc + 2 * ldc, out);
    if (MR > 3) store_row4<3>(cc + 3 * ldc, out);
  } else {
    int8_t tmp[16];
    vst1q_s8(tmp, out);
    for (int r = 0; r < MR; ++r) copy_short<kNr>(cc + r * ldc, tmp + 4 * r, cols);
  }
}

template <bool kPairs, bool kLeft>
void run_tiles(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
               int n_end) {
  const size_t panel_bytes = static_cast<size_t>((p.k + kKb - 1) / kKb) * kNr * kKb;
  for_each_tile<kMr, kNr>(p, panel_bytes, m, a, lda, c, ldc, n_begin, n_end,
                          [&](int rows, const int8_t* ar, int8_t* cr, int panel, const PanelPad<kNr>& pad) {
    switch (rows) {
      case 1: tile<1, kPairs, kLeft>(p, ar, lda, cr, ldc, panel, n_end, pad); break;
      case 2: tile<2, kPairs, kLeft>(p, ar, lda, cr, ldc, panel, n_end, pad); break;
      case 3: tile<3, kPairs, kLeft>(p, ar, lda, cr, ldc, panel, n_end, pad); break;
      default: tile<kMr, kPairs, kLeft>(p, ar, lda, cr, ldc, panel, n_end, pad); break;
    }
  });
}

void run_neon(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  if (m <= 0 || n_begin >= n_end) return;
  const bool left = any_left_shift(p.out, n_begin, n_end);
  if (p.no_min_weight) {
    if (left) run_tiles<true, true>(p, m, a, lda, c, ldc, n_begin, n_end);
    else run_tiles<true, false>(p, m, a, lda, c, ldc, n_begin, n_end);
  } else {
    if (left) run_tiles<false, true>(p, m, a, lda, c, ldc, n_begin, n_end);
    else run_tiles<false, false>(p, m, a, lda, c, ldc, n_begin, n_end);
  }
}

}  // namespace

extern const GemmKernel kGemmNeon;
const GemmKernel kGemmNeon{"gemm_s8_4x4k16_neon", Isa::kNeon, kMr, kNr, &pack_neon, &run_neon,
                           /*overlapped_tail=*/true};

}  // namespace edgekd
