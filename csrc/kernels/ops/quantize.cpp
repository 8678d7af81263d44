// QUANTIZE (float32 -> int8, int8 -> int8) and DEQUANTIZE (int8 -> float32).
//
// LiteRT's x86 wheel defines USE_NEON (SSE4.1 + NEON_2_SSE), so each of these kernels runs its NEON block
// on the leading multiple of 8 (or 16) elements and its scalar loop on the rest; the two differ slightly,
// and edgekd reproduces both, split at the same index (verified bit for bit against LiteRT).
// float -> int8 (quantize.cc -> optimized_ops::AffineQuantize<int8_t>):
//   NEON block (8 at a time): q = cvt_nearest_even(x * float(1.0 / double(s_out))) -- a FLOAT multiply by the
//     reciprocal, then vcvtnq (ties to even; x86 cvtps2dq gives INT32_MIN out of range); + z_out; clamp.
//   scalar tail: q = (int32)round(double(x) / double(s_out)) + z_out (double division, ties away from zero;
//     cvttsd2si gives INT32_MIN out of range), clamp.
// int8 -> int8 (quantize.cc Prepare: QuantizeMultiplier(double(s_in) / double(s_out)); optimized Requantize):
//   q = clamp(MBQM(x - z_in, m, e) + z_out, -128, 127); the NEON block (16 at a time) rounds the final shift
//   half up (MultiplyByQuantizedMultiplier4Rows). Compiled to two 256-entry tables.
// int8 -> float (dequantize.cc -> optimized Dequantize):
//   NEON block (8): y = float(q) * float(s_in) + float(-z_in * double(s_in)) -- two float roundings
//     (no FMA on x86);  scalar tail: y = float(double(s_in) * (q - z_in)).
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

QuantizeParams prepare_quantize(float out_scale, int32_t out_zp) {
  detail::check_scale("QUANTIZE", "output scale", out_scale);
  detail::check_zero_point("QUANTIZE", "output zero point", out_zp);
  return {out_scale, out_zp};
}

void quantize_f32_s8(const QuantizeParams& p, const float* in, int8_t* out, size_t n) {
  const double scale = static_cast<double>(p.scale);
  const int32_t zp = p.zero_point;
  const float reciprocal = static_cast<float>(1.0f / scale);
  const size_t split = n - n % 8;
  for (size_t i = 0; i < split; ++i) {
    const float r = std::nearbyint(in[i] * reciprocal);  // default rounding mode: ties to even
    const int32_t q = detail::truncate_to_int32_x86(r);
    out[i] = clamp_to_int8(wrap_add(q, zp), -128, 127);
  }
  for (size_t i = split; i < n; ++i) {
    const double r = std::round(static_cast<double>(in[i]) / scale);
    const int32_t q = detail::truncate_to_int32_x86(r);
    out[i] = clamp_to_int8(wrap_add(q, zp), -128, 127);
  }
}

LutParams prepare_requantize(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "QUANTIZE";
  detail::check_scale(op, "input scale", in_scale);
  detail::check_scale(op, "output scale", out_scale);
  detail::check_zero_point(op, "input zero point", in_zp);
  detail::check_zero_point(op, "output zero point", out_zp);
  int32_t m = 0;
  int e = 0;
  detail::quantize_multiplier(static_cast<double>(in_scale) / static_cast<double>(out_scale), &m, &e);
  LutParams p;
  p.block = 16;
  for (int v = -128; v < 128; ++v) {
    p.table[static_cast<uint8_t>(v)] = clamp_to_int8(wrap_add(detail::mbqm_neon_rows(v - in_zp, m, e), out_zp), -128, 127);
    p.tail[static_cast<uint8_t>(v)] =
        clamp_to_int8(wrap_add(multiply_by_quantized_multiplier(v - in_zp, m, e), out_zp), -128, 127);
  }
  return p;
}

DequantizeParams prepare_dequantize(float in_scale, int32_t in_zp) {
  detail::check_scale("DEQUANTIZE", "input scale", in_scale);
  detail::check_zero_point("DEQUANTIZE", "input zero point", in_zp);
  return {in_scale, in_zp};
}

void dequantize_s8_f32(const DequantizeParams& p, const int8_t* in, float* out, size_t n) {
  const double scale = static_cast<double>(p.scale);
  const int32_t zp = p.zero_point;
  const float scale_f = static_cast<float>(scale);
  const float zero_times_scale = static_cast<float>(-zp * scale);
  const size_t split = n - n % 8;
  for (size_t i = 0; i < split; ++i) {
    const float product = static_cast<float>(in[i]) * scale_f;
    out[i] = product + zero_times_scale;
  }
  for (size_t i = split; i < n; ++i) out[i] = static_cast<float>(scale * (int32_t(in[i]) - zp));
}

}  // namespace ops
}  // namespace edgekd
