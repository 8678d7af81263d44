// BATCH_MATMUL's kernel compiled with the avx2 path's flags (the source is batch_matmul_body.inc).
#include "kernels/ops/math_ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {
#include "kernels/ops/batch_matmul_body.inc"
}  // namespace

void batch_matmul_s8_avx2(const BatchMatMulParams& p, const int8_t* lhs, const int8_t* rhs, int8_t* out, int m,
                         int n, int k) {
  batch_matmul_rows(p, lhs, rhs, out, m, n, k);
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
