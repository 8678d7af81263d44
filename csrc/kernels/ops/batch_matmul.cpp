// BATCH_MATMUL's one-matrix kernel (portable build) and its parameters; see math_ops.h for LiteRT's arithmetic.
#include <string>

#include "kernels/ops/math_ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {
namespace {
#include "kernels/ops/batch_matmul_body.inc"
}  // namespace

BatchMatMulParams prepare_batch_matmul(float lhs_scale, int32_t lhs_zp, float rhs_scale, int32_t rhs_zp,
                                       float out_scale, int32_t out_zp) {
  const char* op = "BATCH_MATMUL";
  detail::check_scale(op, "lhs scale", lhs_scale);
  detail::check_scale(op, "rhs scale", rhs_scale);
  detail::check_scale(op, "output scale", out_scale);
  detail::check_zero_point(op, "lhs zero point", lhs_zp);
  detail::check_zero_point(op, "rhs zero point", rhs_zp);
  detail::check_zero_point(op, "output zero point", out_zp);
  BatchMatMulParams p;
  p.lhs_offset = -lhs_zp;
  p.rhs_offset = -rhs_zp;
  p.output_offset = out_zp;
  const double product = static_cast<double>(lhs_scale * rhs_scale);  // float product, as LiteRT
  detail::quantize_multiplier(product / static_cast<double>(out_scale), &p.multiplier, &p.shift);
  return p;
}

void batch_matmul_s8_ref(const BatchMatMulParams& p, const int8_t* lhs, const int8_t* rhs, int8_t* out, int m,
                         int n, int k) {
  batch_matmul_rows(p, lhs, rhs, out, m, n, k);
}

}  // namespace ops
}  // namespace edgekd
