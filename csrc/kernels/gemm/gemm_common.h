// Weight packing shared by the GEMM paths. It lives in a translation unit compiled WITHOUT ISA flags
// (gemm_pack.cpp), so the ISA files hold only their run loops: no std:: template is instantiated with
// AVX-512 flags and then picked by the linker for a CPU that lacks them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/kernels.h"

namespace edgekd {
namespace gemm_pack {

// Sum of each weight row, mod 2^32 (the fold is exact mod 2^32 like every accumulator).
void row_sums(const int8_t* w, int n, int k, int32_t* sums);

// bias'[j] = bias[j] - act_offset_total * rowsum(W[j]) for j < n, 0 in the padding up to n_padded.
void fold_bias(const int8_t* w, const int32_t* bias, int n, int k, int32_t act_offset_total, int n_padded,
               PackedGemm* out);

// "cG" layout: panels of nr columns; inside a panel, groups of G consecutive k, each group stored as
// nr columns x G bytes: dst[((panel * kgroups + g) * nr + col) * G + i] = W[panel*nr + col][g*G + i].
// Columns beyond n and k beyond k are zero. kgroups = ceil(k / G).
void pack_cgroups(const int8_t* w, int n, int k, int nr, int group, PackedGemm* out);

// "kG" layout for the NEON smull/sadalp kernel: panels of nr columns; inside a panel, blocks of G k for
// each column: dst[((panel * kblocks + b) * nr + col) * G + i] = W[panel*nr + col][b*G + i].
// That is the same bytes as pack_cgroups with group G; kept as one function.
inline void pack_kblocks(const int8_t* w, int n, int k, int nr, int block, PackedGemm* out) {
  pack_cgroups(w, n, k, nr, block, out);
}

// Everything a c4 (dot-product) kernel needs: header fields, bias folded with (a_zero_point + act_offset)
// (act_offset = 128 where activations are made unsigned), weights in c4 panels of nr columns.
void pack_c4(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, Isa isa, int nr,
             int32_t act_offset, PackedGemm* out);

inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

}  // namespace gemm_pack

// Run-loop scaffolding shared by the x86 paths. Internal linkage: each ISA file compiles its own copy with
// its own flags (see above).
namespace gemm_run {
namespace {

// Whether [a, a + a_len) and [c, c + c_len) share a byte (an in-place call must not recompute rows).
inline bool overlaps(const int8_t* a, size_t a_len, const int8_t* c, size_t c_len) {
  const auto a0 = reinterpret_cast<uintptr_t>(a), c0 = reinterpret_cast<uintptr_t>(c);
  return a0 < c0 + c_len && c0 < a0 + a_len;
}

// The panels of nr columns covering [n_begin, n_end), in groups of kGroup (at most 4) and one last group
// of fewer: run(std::integral_constant<int, P>{}, panel) runs panels [panel, panel + P).
template <int kGroup, class Run>
inline void for_panel_groups(int n_begin, int n_end, int nr, Run&& run) {
  static_assert(kGroup >= 1 && kGroup <= 4, "the last group is dispatched for up to 3 panels");
  int panel = n_begin / nr;
  const int last_panel = (n_end + nr - 1) / nr;
  for (; panel + kGroup <= last_panel; panel += kGroup) run(std::integral_constant<int, kGroup>{}, panel);
  switch (last_panel - panel) {
    case 3: run(std::integral_constant<int, 3>{}, panel); break;
    case 2: run(std::integral_constant<int, 2>{}, panel); break;
    case 1: run(std::integral_constant<int, 1>{}, panel); break;
    default: break;
  }
}

}  // namespace
}  // namespace gemm_run
}  // namespace edgekd
