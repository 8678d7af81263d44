// Table activations LEAKY_RELU, ELU, EXP, GELU, RSQRT, and LOG_SOFTMAX.
//
// Each table op's LiteRT int8 output is a function of the input byte alone, so the arithmetic below runs
// once per possible input at prepare (see activations.cpp):
//   LEAKY_RELU (activations.cc LeakyReluPrepare, reference_ops::QuantizeLeakyRelu): m_alpha =
//     s_in * alpha / s_out and m_id = s_in / s_out, both in FLOAT then QuantizeMultiplier;
//     x = q - z_in; out = z_out + MBQM(x, x >= 0 ? m_id : m_alpha), clamped. A negative alpha quantizes
//     |alpha| and negates the product, as LiteRT's reference does.
//   ELU / EXP / GELU (LUTPopulate<int8_t>): f(s_in * (q - z_in)) requantized in float, with
//     ELU f = x < 0 ? expm1f(x) : x, EXP f = expf, GELU (reference/gelu.h GeluTransform*)
//     exact f = 0.5f * x * erfcf(x * -float(M_SQRT1_2)),
//     approximate f = 0.5f * x * (1 + tanhf(float(sqrt(2 / pi)) * (x + 0.044715f * x * x * x))).
//   RSQRT (elementwise.cc RsqrtEvalQuantizedInt8): m = 1 / (sqrtf(s_in) * s_out) (float product, double
//     quotient); x = q - z_in; x == 0 -> 127; else GetInvSqrtQuantizedMultiplierExp(x) (fixed-point
//     Newton-Raphson, 5 steps), data = MBQM(1, inv, inv_shift + 20), out = MBQM(data, m, shift - 20) + z_out.
// LOG_SOFTMAX (activations.cc LogSoftmaxPrepare + optimized_ops::LogSoftmax<int8_t>, the generic optimized
// kernel): a float table t[255 - k] = expf(-s_in * k); per row mx = max(q), sum = sum of t[255 - mx + q] in
// index order, log_sum = logf(sum); scale = s_in / s_out, pre = (s_in * mx + log_sum) / s_out;
// out = clamp((int)(rintf(scale * q - pre) + z_out)). Output must be 16/256, zero point 127.
#include <cmath>
#include <limits>
#include <string>

#include "kernels/ops/fixedpoint.h"
#include "kernels/ops/math_ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

LutParams prepare_leaky_relu(float alpha, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "LEAKY_RELU";
  detail::check_unary(op, in_scale, in_zp, out_scale, out_zp);
  if (!std::isfinite(alpha)) detail::fail(op, "alpha", "must be finite");
  const float real_alpha = in_scale * alpha / out_scale;  // float, as LeakyReluPrepare
  const float real_identity = in_scale / out_scale;
  int32_t m_alpha = 0, m_id = 0;
  int e_alpha = 0, e_id = 0;
  detail::quantize_multiplier(std::fabs(static_cast<double>(real_alpha)), &m_alpha, &e_alpha);
  detail::quantize_multiplier(static_cast<double>(real_identity), &m_id, &e_id);
  const bool negative = real_alpha < 0;
  return detail::make_lut([&](int v) -> int8_t {
    const int32_t x = v - in_zp;
    int32_t r;
    if (x >= 0) {
      r = multiply_by_quantized_multiplier(x, m_id, e_id);
    } else {
      r = multiply_by_quantized_multiplier(x, m_alpha, e_alpha);
      if (negative) r = -r;
    }
    return clamp_to_int8(out_zp + r, -128, 127);
  });
}

LutParams prepare_elu(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  detail::check_unary("ELU", in_scale, in_zp, out_scale, out_zp);
  return detail::float_function_lut(in_scale, in_zp, out_scale, out_zp,
                                    [](float x) { return x < 0.0f ? std::expm1(x) : x; });
}

LutParams prepare_exp(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  detail::check_unary("EXP", in_scale, in_zp, out_scale, out_zp);
  return detail::float_function_lut(in_scale, in_zp, out_scale, out_zp, [](float x) { return std::exp(x); });
}

LutParams prepare_gelu(bool approximate, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  detail::check_unary("GELU", in_scale, in_zp, out_scale, out_zp);
  if (approximate) {
    constexpr float kSqrt2dPi = static_cast<float>(M_2_SQRTPI * M_SQRT1_2);
    return detail::float_function_lut(in_scale, in_zp, out_scale, out_zp, [](float x) {
      return 0.5f * x * (1.f + std::tanh(kSqrt2dPi * (x + 0.044715f * x * x * x)));
    });
  }
  return detail::float_function_lut(in_scale, in_zp, out_scale, out_zp, [](float x) {
    return 0.5f * x * std::erfc(x * static_cast<float>(-M_SQRT1_2));
  });
}

namespace {

// common.h GetInvSqrtQuantizedMultiplierExp with reverse_shift -1: 1 / sqrt(x) as a multiplier and a
// (left) shift, by a fixed-point Newton-Raphson iteration with 3 integer bits.
void inv_sqrt_multiplier(int32_t x, int32_t* multiplier, int* shift) {
  namespace fp = fixedpoint;
  if (x <= 1) {
    *multiplier = std::numeric_limits<int32_t>::max();
    *shift = 0;
    return;
  }
  int s = 11;
  while (x >= (1 << 29)) {
    x /= 4;
    ++s;
  }
  const int pairs = (__builtin_clz(static_cast<uint32_t>(x)) - 1) / 2 - 1;
  s -= pairs;
  x <<= 2 * pairs;
  const int32_t input = x >> 1;                          // I = 3
  const int32_t half_input = fp::mul_by_pot(input, -1);  // I = 3
  const int32_t half_three = (1 << 28) + (1 << 27);      // 1.5, I = 3
  int32_t y = fp::one(3);
  for (int i = 0; i < 5; ++i) {
    const int32_t y3 = fp::rescale(srdhm(srdhm(y, y), y), 9, 3);
    y = fp::rescale(fp::wrap_sub(srdhm(half_three, y), srdhm(half_input, y3)), 6, 3);
  }
  const int32_t half_sqrt_2 = 1518500250;  // sqrt(2) / 2, I = 0
  y = srdhm(y, half_sqrt_2);
  if (s < 0) {
    y = static_cast<int32_t>(static_cast<uint32_t>(y) << -s);
    s = 0;
  }
  *multiplier = y;
  *shift = -s;
}

}  // namespace

LutParams prepare_rsqrt(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "RSQRT";
  detail::check_unary(op, in_scale, in_zp, out_scale, out_zp);
  const double real = 1. / (std::sqrt(in_scale) * out_scale);  // float product, double quotient
  int32_t m = 0;
  int e = 0;
  detail::quantize_multiplier(real, &m, &e);
  constexpr int kShift = 20;
  return detail::make_lut([&](int v) -> int8_t {
    const int32_t x = v - in_zp;
    if (x <= 0) return 127;  // 0 -> the largest output; LiteRT refuses negative inputs at run time
    int32_t inv = 0;
    int inv_shift = 0;
    inv_sqrt_multiplier(x, &inv, &inv_shift);
    const int32_t data = multiply_by_quantized_multiplier(1, inv, inv_shift + kShift);
    const int32_t out = multiply_by_quantized_multiplier(data, m, e - kShift) + out_zp;
    return clamp_to_int8(out, -128, 127);
  });
}

LogSoftmaxParams prepare_log_softmax(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "LOG_SOFTMAX";
  detail::check_unary(op, in_scale, in_zp, out_scale, out_zp);
  if (out_scale != 16.0f / 256) detail::fail(op, "output scale", "must be 16/256 (LiteRT LogSoftmaxPrepare)");
  if (out_zp != 127) detail::fail(op, "output zero point", "must be 127 for int8 (LiteRT LogSoftmaxPrepare)");
  LogSoftmaxParams p;
  p.input_scale = in_scale;
  p.output_scale = out_scale;
  p.output_zp = out_zp;
  const float scale = -in_scale;  // beta 1
  for (int k = 0; k <= 255; ++k) p.table[255 - k] = std::exp(scale * static_cast<float>(k));
  return p;
}

void log_softmax_s8(const LogSoftmaxParams& p, const int8_t* in, int8_t* out, int64_t outer, int depth) {
  const float scale = p.input_scale / p.output_scale;
  for (int64_t row = 0; row < outer; ++row) {
    const int8_t* x = in + row * depth;
    int8_t* y = out + row * depth;
    int8_t mx = -128;
    for (int j = 0; j < depth; ++j) mx = x[j] > mx ? x[j] : mx;
    const float* e = p.table + (255 - mx);  // e[q] for q in [-128, mx]
    float sum = 0.0f;
    for (int j = 0; j < depth; ++j) sum += e[x[j]];
    const float log_sum = std::log(sum);
    const float pre = (p.input_scale * static_cast<float>(mx) + log_sum) / p.output_scale;
    for (int j = 0; j < depth; ++j) {
      const float v = scale * static_cast<float>(x[j]) - pre;
      const int32_t q = detail::truncate_to_int32_x86(std::rint(v) + static_cast<float>(p.output_zp));
      y[j] = clamp_to_int8(q, -128, 127);
    }
  }
}

}  // namespace ops
}  // namespace edgekd
