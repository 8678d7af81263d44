// SOFTMAX on int8 -> int8 over the last dimension.
//
// LiteRT 2.3.0 on x86 (activations.cc SoftmaxPrepare/SoftmaxQuantized<int8_t, int8_t> with the generic
// optimized kernel; TFLITE_SOFTMAX_USE_UINT16_LUT is only defined for clang on aarch64) runs
// optimized_ops::Softmax with PopulateSoftmaxLookupTable, a FLOAT exp table, not the gemmlowp fixed-point
// path of reference_ops::Softmax:
//   table[255 - k] = expf((-s_in * beta) * k) for k = 0..255        (float products)
//   per row: mx = max(q); e(q) = table[255 - mx + q] = exp(-s_in * beta * (mx - q))
//            sum = e(q_0) + e(q_1) + ... in float, left to right
//            inv = 1.0f / (sum * s_out)
//            out = clamp((int)roundf(e(q_j) * inv) + z_out, -128, 127)
// The sum is accumulated strictly in index order (float addition is not associative); the compiler may not
// reorder it without -ffast-math, which edgekd never uses. Prepare enforces LiteRT's output constraints:
// zero point -128, |s_out - 1/256| <= 0.001/256.
#include <cmath>
#include <string>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

SoftmaxParams prepare_softmax(float beta, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "SOFTMAX";
  detail::check_scale(op, "input scale", in_scale);
  detail::check_scale(op, "output scale", out_scale);
  detail::check_zero_point(op, "input zero point", in_zp);
  if (!std::isfinite(beta)) detail::fail(op, "beta", "must be finite");
  if (out_zp != -128) detail::fail(op, "output zero point", "must be -128 for int8, got " + std::to_string(out_zp));
  if (!(std::fabs(out_scale - 1.f / 256) <= 0.001f * 1.f / 256))
    detail::fail(op, "output scale", "must be 1/256 for int8, got " + std::to_string(out_scale));
  SoftmaxParams p;
  p.beta = beta;
  p.input_scale = in_scale;
  p.output_scale = out_scale;
  p.output_zp = out_zp;
  p.exp_table.resize(256);
  const float scale = -in_scale * beta;
  for (int k = 0; k <= 255; ++k) p.exp_table[255 - k] = std::exp(scale * static_cast<float>(k));
  return p;
}

namespace {

// One output: LiteRT's clamp((int)roundf(e * inv) + z_out, -128, 127).
inline int8_t softmax_out(float e, float inv, int32_t zp) {
  return clamp_to_int8(static_cast<int32_t>(std::round(e * inv)) + zp, -128, 127);
}

}  // namespace

void softmax_s8(const SoftmaxParams& p, const int8_t* in, int8_t* out, int64_t outer, int depth) {
  const float* table = p.exp_table.data();
  int8_t lut[256];
  for (int64_t row = 0; row < outer; ++row) {
    const int8_t* x = in + row * depth;
    int8_t* y = out + row * depth;
    // The maximum as unsigned bytes (x + 128), which SSE2 and NEON compare directly.
    uint8_t mx_u = 0;
    for (int j = 0; j < depth; ++j) {
      const uint8_t u = static_cast<uint8_t>(x[j] ^ 0x80);
      mx_u = u > mx_u ? u : mx_u;
    }
    const int32_t mx = static_cast<int32_t>(mx_u) - 128;
    const float* e = table + (255 - mx);  // e[q] for q in [-128, mx]
    float sum = 0.0f;
    for (int j = 0; j < depth; ++j) sum += e[x[j]];
    const float inv = 1.0f / (sum * p.output_scale);
    const int levels = mx + 129;  // the input values a row can hold, -128..mx
    if (depth > levels) {
      // Long rows (classifier heads): each of the few possible outputs is computed once, the row looks up.
      for (int q = -128; q <= mx; ++q) lut[q + 128] = softmax_out(e[q], inv, p.output_zp);
      for (int j = 0; j < depth; ++j) y[j] = lut[x[j] + 128];
    } else {
      for (int j = 0; j < depth; ++j) y[j] = softmax_out(e[x[j]], inv, p.output_zp);
    }
  }
}

}  // namespace ops
}  // namespace edgekd
