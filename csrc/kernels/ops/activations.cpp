// Elementwise int8 activations, each compiled into a 256-entry table at prepare time.
//
// Any op whose output depends on a single int8 input value is exactly a function on 256 inputs, so running
// LiteRT's arithmetic once per possible input at prepare gives bit-identical outputs, and inference is one
// table load per element (lut_s8).
//
// RELU / RELU6 / RELU_N1_TO_1 (activations.cc ReluPrepare + QuantizedReluX, reference_ops::ReluX):
//   m = QuantizeMultiplier(double(s_in / s_out)) -- the division is done in FLOAT, then widened.
//   bounds: lo = max(-128, z_out + (int)roundf(a_min / s_out)), hi = min(127, z_out + (int)roundf(a_max / s_out))
//   (float division; RELU has no upper bound); out = clamp(z_out + MBQM(x - z_in, m, e), lo, hi).
// HARD_SWISH (activations.cc HardSwishPrepare, reference/hard_swish.h; the optimized kernel is NEON-only
//   and falls back to the reference on x86): all scales in float; hires = s_in / 128;
//   output multiplier = hires / s_out, reluish multiplier = hires / (3 / 32768), each QuantizeMultiplier'd
//   and then cut to 16 bits with DownScaleInt32ToInt16Multiplier ((m + 2^15) >> 16, saturating); then the
//   int16 fixed-point pipeline below (SRDHM with rounding for the rescales, non-rounding doubling high mul
//   for the final product, as LiteRT does to cancel the bias).
// LOGISTIC / TANH (activations.cc SigmoidPrepare / TanhPrepare for the generic-optimized kernel; common.h
//   LUTPopulateInt8): in float, x = s_in * (q - z_in); y = f(x) with f = 1 / (1 + expf(-x)) or tanhf(x);
//   q_out = clamp((int)(roundf(y * (1 / s_out)) + z_out)). LOGISTIC requires s_out == 1/256 (and in
//   practice z_out = -128). These depend on libm's expf / tanhf; both LiteRT and edgekd call the
//   system's on glibc hosts.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

using detail::check_unary;
using detail::float_function_lut;
using detail::make_lut;

void lut_s8(const LutParams& p, const int8_t* in, int8_t* out, size_t n) {
  const int8_t* t = p.table;
  const size_t split = p.block > 0 ? n - n % static_cast<size_t>(p.block) : n;
  for (size_t i = 0; i < split; ++i) out[i] = t[static_cast<uint8_t>(in[i])];
  const int8_t* tail = p.tail;
  for (size_t i = split; i < n; ++i) out[i] = tail[static_cast<uint8_t>(in[i])];
}

LutParams prepare_relu(ReluKind kind, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = kind == ReluKind::kRelu ? "RELU" : kind == ReluKind::kRelu6 ? "RELU6" : "RELU_N1_TO_1";
  check_unary(op, in_scale, in_zp, out_scale, out_zp);
  int32_t m = 0;
  int e = 0;
  const float real = in_scale / out_scale;  // float division, widened afterwards (ReluPrepare)
  detail::quantize_multiplier(static_cast<double>(real), &m, &e);
  auto bound = [&](float a) {
    const float r = std::round(a / out_scale);
    if (!(r > -2147483648.0f && r < 2147483647.0f)) detail::fail(op, "output scale", "is too small");
    return wrap_add(out_zp, static_cast<int32_t>(r));
  };
  int32_t lo = -128, hi = 127;
  switch (kind) {
    case ReluKind::kRelu: lo = std::max(-128, bound(0.0f)); break;
    case ReluKind::kRelu6:
      lo = std::max(-128, bound(0.0f));
      hi = std::min(127, bound(6.0f));
      break;
    case ReluKind::kReluN1To1:
      lo = std::max(-128, bound(-1.0f));
      hi = std::min(127, bound(1.0f));
      break;
    default: detail::fail("RELU", "kind", "unknown");
  }
  return make_lut([&](int v) -> int8_t {
    const int32_t r = wrap_add(out_zp, multiply_by_quantized_multiplier(v - in_zp, m, e));
    return static_cast<int8_t>(std::min(hi, std::max(lo, r)));
  });
}

namespace {

// common.h DownScaleInt32ToInt16Multiplier.
int16_t downscale_multiplier_to_int16(int32_t m) {
  constexpr int32_t kRound = 1 << 15;
  if (m >= std::numeric_limits<int32_t>::max() - kRound) return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((m + kRound) >> 16);
}

int16_t saturating_left_shift16(int16_t v, int amount) {
  const int64_t r = static_cast<int64_t>(v) * (int64_t(1) << amount);
  return static_cast<int16_t>(std::max<int64_t>(INT16_MIN, std::min<int64_t>(INT16_MAX, r)));
}

// Non-rounding doubling high multiply (hard_swish.h SaturatingDoublingHighMul): truncating division.
int16_t saturating_doubling_high_mul16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) return INT16_MAX;
  return static_cast<int16_t>((int32_t(a) * int32_t(b)) / (1 << 15));
}

}  // namespace

LutParams prepare_hard_swish(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "HARD_SWISH";
  check_unary(op, in_scale, in_zp, out_scale, out_zp);
  const float hires_input_scale = (1.0f / 128.0f) * in_scale;
  const float reluish_scale = 3.0f / 32768.0f;
  const float output_multiplier = hires_input_scale / out_scale;
  const float reluish_multiplier = hires_input_scale / reluish_scale;
  int32_t out_m32 = 0, rel_m32 = 0;
  int out_exp = 0, rel_exp = 0;
  detail::quantize_multiplier(output_multiplier, &out_m32, &out_exp);
  detail::quantize_multiplier(reluish_multiplier, &rel_m32, &rel_exp);
  if (out_exp > 0)
    detail::fail(op, "output scale", "must be >= input scale / 128 (LiteRT needs output_multiplier_exponent <= 0)");
  const int16_t out_m = downscale_multiplier_to_int16(out_m32);
  const int16_t rel_m = downscale_multiplier_to_int16(rel_m32);
  return make_lut([&](int v) -> int8_t {
    const int16_t input_value = static_cast<int16_t>(v - in_zp);
    const int16_t hires = static_cast<int16_t>(input_value * (1 << 7));
    const int16_t preshift_out = detail::srdhm16(hires, out_m);
    int16_t reluish = hires;
    if (rel_exp > 0) reluish = saturating_left_shift16(reluish, rel_exp - 1);
    reluish = detail::srdhm16(reluish, rel_m);
    if (rel_exp > 0) reluish = saturating_left_shift16(reluish, 1);
    if (rel_exp < 0) reluish = detail::rounding_divide_by_pot16(reluish, -rel_exp);
    reluish = static_cast<int16_t>((int32_t(reluish) + (1 << 15)) >> 1);
    const int16_t preshift_output_value = saturating_doubling_high_mul16(reluish, preshift_out);
    int16_t out = detail::rounding_divide_by_pot16(preshift_output_value, -out_exp);
    out = static_cast<int16_t>(out + out_zp);
    out = std::min<int16_t>(out, 127);
    out = std::max<int16_t>(out, -128);
    return static_cast<int8_t>(out);
  });
}

LutParams prepare_logistic(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "LOGISTIC";
  check_unary(op, in_scale, in_zp, out_scale, out_zp);
  if (!(static_cast<double>(out_scale) == 1. / 256))
    detail::fail(op, "output scale", "must be 1/256 for int8 (LiteRT SigmoidPrepare), got " + std::to_string(out_scale));
  return float_function_lut(in_scale, in_zp, out_scale, out_zp,
                            [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
}

LutParams prepare_tanh(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  check_unary("TANH", in_scale, in_zp, out_scale, out_zp);
  return float_function_lut(in_scale, in_zp, out_scale, out_zp, [](float x) { return std::tanh(x); });
}

}  // namespace ops
}  // namespace edgekd
