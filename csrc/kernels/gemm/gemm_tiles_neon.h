// The tile walk shared by the NEON and dotprod GEMMs: groups of column panels whose weights stay in L2
// (256 KiB), and inside a group every block of MR rows against each panel, so a block of A is reused by
// the whole group. Anonymous namespace: each ISA translation unit keeps its own copy.
#pragma once
#include <cstddef>

namespace edgekd {
namespace {

// tile(rows, m0, panel) computes rows [m0, m0 + rows) (rows in 1..MR) of one panel of nr columns.
// overlap_ok (C does not alias A): two or more rows left after the full blocks run as one more full block
// over the last MR rows, recomputing rows of the block before with the same instructions (the same bytes,
// written again by this thread): the full tile is assembly, the smaller ones are not, and bands of a
// fused region may then start at any row (GemmKernel::overlapped_tail).
template <int MR, class Tile>
inline void for_each_tile(size_t panel_bytes, int m, int nr, int n_begin, int n_end, bool overlap_ok,
                          Tile&& tile) {
  constexpr size_t kL2PanelBytes = 256 * 1024;
  int group = static_cast<int>(kL2PanelBytes / (panel_bytes ? panel_bytes : 1));
  if (group < 1) group = 1;
  const int first_panel = n_begin / nr;
  const int last_panel = (n_end + nr - 1) / nr;
  for (int pb = first_panel; pb < last_panel; pb += group) {
    const int pe = pb + group < last_panel ? pb + group : last_panel;
    for (int m0 = 0; m0 < m; m0 += MR) {
      int rows = m - m0 < MR ? m - m0 : MR;
      int first = m0;
      if (rows >= 2 && rows < MR && m >= MR && overlap_ok) {
        rows = MR;
        first = m - MR;
      }
      for (int panel = pb; panel < pe; ++panel) tile(rows, first, panel);
    }
  }
}

}  // namespace
}  // namespace edgekd
