// Weight packing shared by the GEMM paths. It lives in a translation unit compiled WITHOUT ISA flags
// (gemm_pack.cpp), so the ISA files hold only their run loops: no std:: template is instantiated with
// AVX-512 flags and then picked by the linker for a CPU that lacks them.
#pragma once
#include <cstdint>

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
}  // namespace edgekd
