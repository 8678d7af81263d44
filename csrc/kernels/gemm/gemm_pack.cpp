#include <cstring>

#include "kernels/gemm/gemm_common.h"

namespace edgekd {
namespace gemm_pack {

void row_sums(const int8_t* w, int n, int k, int32_t* sums) {
  for (int j = 0; j < n; ++j) {
    int32_t s = 0;
    const int8_t* row = w + static_cast<size_t>(j) * k;
    for (int i = 0; i < k; ++i) s = wrap_add(s, row[i]);
    sums[j] = s;
  }
}

void fold_bias(const int8_t* w, const int32_t* bias, int n, int k, int32_t act_offset_total, int n_padded,
               PackedGemm* out) {
  out->bias.assign(static_cast<size_t>(n_padded), 0);
  row_sums(w, n, k, out->bias.data());
  for (int j = 0; j < n; ++j) {
    const uint32_t folded = static_cast<uint32_t>(wrap_mul(act_offset_total, out->bias[j]));
    out->bias[j] = static_cast<int32_t>(static_cast<uint32_t>(bias ? bias[j] : 0) - folded);
  }
}

void pack_cgroups(const int8_t* w, int n, int k, int nr, int group, PackedGemm* out) {
  const int panels = (n + nr - 1) / nr;
  const int kgroups = (k + group - 1) / group;
  out->weights.resize(static_cast<size_t>(panels) * kgroups * nr * group);
  int8_t* dst = out->weights.as<int8_t>();
  for (int p = 0; p < panels; ++p) {
    for (int g = 0; g < kgroups; ++g) {
      int8_t* blk = dst + (static_cast<size_t>(p) * kgroups + g) * nr * group;
      for (int c = 0; c < nr; ++c) {
        const int j = p * nr + c;
        if (j >= n) continue;  // resize() zero-filled the padding
        const int8_t* row = w + static_cast<size_t>(j) * k;
        for (int i = 0; i < group; ++i) {
          const int kk = g * group + i;
          if (kk < k) blk[c * group + i] = row[kk];
        }
      }
    }
  }
}

void pack_c4(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, Isa isa, int nr,
             int32_t act_offset, PackedGemm* out) {
  out->isa = isa;
  out->n = n;
  out->k = k;
  out->a_zero_point = a_zero_point;
  fold_bias(w, bias, n, k, wrap_add(a_zero_point, act_offset), round_up(n, nr), out);
  pack_cgroups(w, n, k, nr, 4, out);
}

}  // namespace gemm_pack
}  // namespace edgekd
