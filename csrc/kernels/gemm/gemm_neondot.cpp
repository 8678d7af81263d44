// ARMv8.2 dotprod int8 GEMM, 4x16c4 (sdot, s8 x s8, exact into int32), for Cortex-A55/A76/A78 class cores.
// Weights are packed in c4 panels of 16 columns (gemm_pack::pack_c4): per group of 4 k, 64 bytes = four
// q-registers of 4 columns x 4 k. The inner loop steps 16 k at a time: one 16-byte load per row of A holds
// four k groups, and the lane-indexed sdot (vdotq_laneq_s32) picks the group, so a step is 4 + 16 loads
// for 64 sdot, with no broadcast or shuffle. 16 accumulators + 4 rows of A + 4 weight vectors fit the 32
// registers without spills. The remaining k groups use a broadcast of 4 bytes of A, the last k % 4 bytes a
// zero-padded copy (the pack zeroed W beyond k). Tiles of 4 rows and of 1 row (batch-1 fully connected)
// without left shifts (nearly all of them) run as one block of assembly each (gemm_neondot_asm.h).
#include <arm_neon.h>

#include <cstring>

#include "kernels/gemm/gemm_c4_configs.h"
#include "kernels/gemm/gemm_common.h"
#include "kernels/gemm/gemm_neondot_asm.h"
#include "kernels/gemm/gemm_requant_neon.h"
#include "kernels/gemm/gemm_tiles_neon.h"

namespace edgekd {
namespace {

using gemm_c4_config::kNeonDotActOffset;
using gemm_c4_config::kNeonDotLanes;
using gemm_c4_config::kNeonDotMr;
using gemm_c4_config::kNeonDotNv;

constexpr int kMr = kNeonDotMr;
constexpr int kNv = kNeonDotNv;
constexpr int kNr = kNv * kNeonDotLanes;
static_assert(kNeonDotLanes == 4, "a q-register holds 4 int32 columns");

// One k group (4 k) of weights, lane Q of each row's 16 bytes of A.
template <int Q, int MR>
inline void dot_group(int32x4_t (&acc)[MR][kNv], const int8x16_t (&av)[MR], const int8_t* wg) {
  int8x16_t wv[kNv];
  for (int v = 0; v < kNv; ++v) wv[v] = vld1q_s8(wg + 16 * v);
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < kNv; ++v) acc[r][v] = vdotq_laneq_s32(acc[r][v], wv[v], av[r], Q);
}

// One k group of weights against 4 bytes of A per row (broadcast).
template <int MR>
inline void dot_bcast(int32x4_t (&acc)[MR][kNv], const int8_t* const (&a4)[MR], const int8_t* wg) {
  int8x16_t wv[kNv];
  for (int v = 0; v < kNv; ++v) wv[v] = vld1q_s8(wg + 16 * v);
  for (int r = 0; r < MR; ++r) {
    int32_t bytes;
    std::memcpy(&bytes, a4[r], sizeof(bytes));
    const int8x16_t av = vreinterpretq_s8_s32(vdupq_n_s32(bytes));
    for (int v = 0; v < kNv; ++v) acc[r][v] = vdotq_s32(acc[r][v], wv[v], av);
  }
}


template <int MR, bool kLeft>
void tile(const PackedGemm& p, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int panel, int n_end,
          const PanelPad<kNr>& pad) {
  const int k = p.k;
  const int kgroups = (k + 3) / 4;
  const int ksteps = k / 16;
  const int kfull = k / 4;
  const int krem = k - 4 * kfull;
  const int col0 = panel * kNr;
  const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
  const int8_t* w = p.weights.as<int8_t>() + static_cast<size_t>(panel) * kgroups * kNr * 4;
  const int8_t* ar[MR];
  for (int r = 0; r < MR; ++r) ar[r] = a + r * lda;

  if constexpr ((MR == kMr || MR == 1) && !kLeft) {
    run_asm_tile<MR, kNr, 4>(MR == 1 ? tile_1x16_asm : tile_4x16_asm, p, a, lda, w, ksteps, kfull - 4 * ksteps,
                             4 * kfull, krem, c, ldc, col0, cols, pad.mult, pad.shift);
    return;
  }

  int32x4_t acc[MR][kNv];
  for (int v = 0; v < kNv; ++v) {
    const int32x4_t b = vld1q_s32(p.bias.data() + col0 + 4 * v);
    for (int r = 0; r < MR; ++r) acc[r][v] = b;
  }
  for (int s = 0; s < ksteps; ++s) {
    int8x16_t av[MR];
    for (int r = 0; r < MR; ++r) av[r] = vld1q_s8(ar[r] + 16 * s);
    const int8_t* ws = w + static_cast<size_t>(s) * 4 * kNr * 4;
    dot_group<0>(acc, av, ws);
    dot_group<1>(acc, av, ws + kNr * 4);
    dot_group<2>(acc, av, ws + 2 * kNr * 4);
    dot_group<3>(acc, av, ws + 3 * kNr * 4);
  }
  for (int g = 4 * ksteps; g < kfull; ++g) {
    const int8_t* a4[MR];
    for (int r = 0; r < MR; ++r) a4[r] = ar[r] + 4 * g;
    dot_bcast(acc, a4, w + static_cast<size_t>(g) * kNr * 4);
  }
  if (krem) {
    // Read only the k that exist (no over-read past a row): the zero-padded W makes the padding add nothing.
    int8_t tail[MR][4] = {};
    const int8_t* a4[MR];
    for (int r = 0; r < MR; ++r) {
      for (int i = 0; i < krem; ++i) tail[r][i] = ar[r][4 * kfull + i];
      a4[r] = tail[r];
    }
    dot_bcast(acc, a4, w + static_cast<size_t>(kfull) * kNr * 4);
  }

  const bool full = cols == kNr;
  RequantCols4 q[kNv];
  for (int v = 0; v < kNv; ++v)
    q[v] = load_requant_cols4((full ? p.out.multiplier.data() + col0 : pad.mult) + 4 * v,
                              (full ? p.out.shift.data() + col0 : pad.shift) + 4 * v);
  const RequantConsts consts = load_requant_consts(p.out);
  for (int r = 0; r < MR; ++r) {
    const int8x16_t out = narrow_clamp16(requant4<kLeft>(acc[r][0], q[0], consts),
                                         requant4<kLeft>(acc[r][1], q[1], consts),
                                         requant4<kLeft>(acc[r][2], q[2], consts),
                                         requant4<kLeft>(acc[r][3], q[3], consts), consts);
    store_s8_partial(c + r * ldc + col0, out, cols);
  }
}

template <bool kLeft>
void run_rows(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  const size_t panel_bytes = static_cast<size_t>((p.k + 3) / 4) * kNr * 4;
  for_each_tile<kMr, kNr>(p, panel_bytes, m, a, lda, c, ldc, n_begin, n_end,
                          [&](int rows, const int8_t* ar, int8_t* cr, int panel, const PanelPad<kNr>& pad) {
    switch (rows) {
      case 1: tile<1, kLeft>(p, ar, lda, cr, ldc, panel, n_end, pad); break;
      case 2: tile<2, kLeft>(p, ar, lda, cr, ldc, panel, n_end, pad); break;
      case 3: tile<3, kLeft>(p, ar, lda, cr, ldc, panel, n_end, pad); break;
      default: tile<kMr, kLeft>(p, ar, lda, cr, ldc, panel, n_end, pad); break;
    }
  });
}

void pack_dot(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  gemm_pack::pack_c4(w, bias, n, k, a_zero_point, Isa::kNeonDot, kNr, kNeonDotActOffset, out);
}

void run_dot(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
             int n_end) {
  if (m <= 0 || n_begin >= n_end) return;
  if (any_left_shift(p.out, n_begin, n_end)) {
    run_rows<true>(p, m, a, lda, c, ldc, n_begin, n_end);
  } else {
    run_rows<false>(p, m, a, lda, c, ldc, n_begin, n_end);
  }
}

}  // namespace

extern const GemmKernel kGemmNeonDot;
const GemmKernel kGemmNeonDot{"gemm_s8_4x16c4_neondot", Isa::kNeonDot, kMr, kNr, &pack_dot, &run_dot,
                              /*overlapped_tail=*/true};

}  // namespace edgekd
