// The reference GEMM: the literal definition, one output at a time. It keeps the raw weights and the raw
// bias (no folding) so that the tests check every SIMD path's folded zero points against the definition.
#include <cstring>

#include "kernels/kernels.h"

namespace edgekd {
namespace {

void pack_ref(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  out->isa = Isa::kRef;
  out->n = n;
  out->k = k;
  out->a_zero_point = a_zero_point;
  out->weights.resize(static_cast<size_t>(n) * k);
  if (n > 0 && k > 0) std::memcpy(out->weights.data(), w, static_cast<size_t>(n) * k);
  out->bias.assign(static_cast<size_t>(n), 0);
  if (bias) std::memcpy(out->bias.data(), bias, sizeof(int32_t) * n);
}

void run_ref(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
             int n_end) {
  const Requant rq = p.out.requant();
  const int8_t* w = p.weights.as<int8_t>();
  for (int i = 0; i < m; ++i) {
    const int8_t* arow = a + i * lda;
    for (int j = n_begin; j < n_end; ++j) {
      const int8_t* wrow = w + static_cast<size_t>(j) * p.k;
      int32_t acc = p.bias[j];
      for (int kk = 0; kk < p.k; ++kk) {
        acc = wrap_add(acc, wrap_mul(static_cast<int32_t>(arow[kk]) - p.a_zero_point, wrow[kk]));
      }
      c[i * ldc + j] = rq.apply_gemm(acc, j);
    }
  }
}

}  // namespace

extern const GemmKernel kGemmRef;
const GemmKernel kGemmRef{"gemm_s8_1x1_ref", Isa::kRef, 1, 1, &pack_ref, &run_ref};

}  // namespace edgekd
