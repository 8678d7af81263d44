// The tile walk shared by the NEON and dotprod GEMMs: groups of column panels whose weights stay in L2
// (256 KiB), and inside a group every block of MR rows against each panel, so a block of A is reused by
// the whole group; and the operands of their assembly tiles. Anonymous namespace: each ISA translation
// unit keeps its own copy.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/gemm/gemm_common.h"
#include "kernels/gemm/gemm_requant_neon.h"
#include "kernels/kernels.h"

namespace edgekd {
namespace {

// The output stage of the last panel when it has fewer than NR columns, zero-padded (set up once per call:
// every row block meets it).
template <int NR>
struct PanelPad {
  int32_t mult[NR], shift[NR];
};

// The tiles of C's rows [0, m) and columns [n_begin, n_end) in panels of NR columns:
// tile(rows, a_rows, c_rows, panel, pad) computes `rows` (1..MR) rows of one panel, from A rows a_rows into
// C rows c_rows. Where C does not alias A, two or more rows left after the full blocks run as one more full
// block over the last MR rows, recomputing rows of the block before with the same instructions (the same
// bytes, written again by this thread): the full tile is assembly, the smaller ones are not, and bands of a
// fused region may then start at any row (GemmKernel::overlapped_tail).
template <int MR, int NR, class Tile>
inline void for_each_tile(const PackedGemm& p, size_t panel_bytes, int m, const int8_t* a, size_t lda, int8_t* c,
                          size_t ldc, int n_begin, int n_end, Tile&& tile) {
  constexpr size_t kL2PanelBytes = 256 * 1024;
  PanelPad<NR> pad;
  pad_last_panel(p.out, n_end, NR, pad.mult, pad.shift);
  const bool overlap_ok = !gemm_run::overlaps(a, (m - 1) * lda + p.k, c, (m - 1) * ldc + n_end);
  int group = static_cast<int>(kL2PanelBytes / (panel_bytes ? panel_bytes : 1));
  if (group < 1) group = 1;
  const int first_panel = n_begin / NR;
  const int last_panel = (n_end + NR - 1) / NR;
  for (int pb = first_panel; pb < last_panel; pb += group) {
    const int pe = pb + group < last_panel ? pb + group : last_panel;
    for (int m0 = 0; m0 < m; m0 += MR) {
      int rows = m - m0 < MR ? m - m0 : MR;
      int first = m0;
      if (rows >= 2 && rows < MR && m >= MR && overlap_ok) {
        rows = MR;
        first = m - MR;
      }
      for (int panel = pb; panel < pe; ++panel) tile(rows, a + first * lda, c + first * ldc, panel, pad);
    }
  }
}

// The operands of an assembly tile (gemm_neon_asm.h, gemm_neondot_asm.h).
struct AsmTileArgs {
  const int8_t* a;       // row 0 of A; rows lda apart
  size_t lda;
  const int8_t* w;       // the panel's packed weights
  int steps;             // blocks of 16 k read in place
  int groups;            // then whole groups of 4 k read in place (dotprod; 0 on NEON)
  const int8_t* tail;    // then the last k as zero-padded rows (16 bytes each on NEON, 4 on dotprod), or null
  const int32_t* bias;   // the panel's folded biases
  const int32_t* mult;   // its multipliers
  const int32_t* shift;  // its shifts, all <= 0
  int32_t zero_point;
  int8_t act_min, act_max;
  int8_t* c;             // row 0 of the panel's output columns; rows ldc apart
  size_t ldc;
};

// Runs an assembly tile of MR rows over the panel of NR columns at col0 (cols of them real): copies the
// last tail_len (< TailBytes) k of each row, from tail_at, into zero-padded rows, takes the padded output
// stage of a partial panel (pad_mult, pad_shift) and copies a partial panel's columns out.
template <int MR, int NR, int TailBytes, class Fn>
inline void run_asm_tile(Fn fn, const PackedGemm& p, const int8_t* a, size_t lda, const int8_t* w, int steps,
                         int groups, int tail_at, int tail_len, int8_t* c, size_t ldc, int col0, int cols,
                         const int32_t* pad_mult, const int32_t* pad_shift) {
  alignas(16) int8_t tail[MR][TailBytes];
  if (tail_len) {
    std::memset(tail, 0, sizeof(tail));
    for (int r = 0; r < MR; ++r) copy_short<TailBytes>(tail[r], a + r * lda + tail_at, tail_len);
  }
  alignas(16) int8_t part[MR][NR];
  const bool full = cols == NR;
  fn(AsmTileArgs{a, lda, w, steps, groups, tail_len ? &tail[0][0] : nullptr, p.bias.data() + col0,
                 full ? p.out.multiplier.data() + col0 : pad_mult, full ? p.out.shift.data() + col0 : pad_shift,
                 p.out.output_zero_point, static_cast<int8_t>(p.out.act_min), static_cast<int8_t>(p.out.act_max),
                 full ? c + col0 : &part[0][0], full ? ldc : NR});
  if (!full)
    for (int r = 0; r < MR; ++r) copy_short<NR>(c + r * ldc + col0, part[r], cols);
}

}  // namespace
}  // namespace edgekd
