// Binary int8 ops with NHWC broadcasting: SUB, SQUARED_DIFFERENCE, DIV, PRELU, MAXIMUM, MINIMUM.
//
// What LiteRT 2.3.0 computes on int8 (every one of these runs scalar reference code, also in the optimized
// builds, so there is no NEON block to reproduce):
//   SUB (sub.cc PrepareGeneralSubOp, reference_ops::Sub / BroadcastQuantSubSlow): ADD's parameters --
//     left_shift 20, twice_max = 2 * max(s1, s2) (float max), m1 = s1 / twice_max, m2 = s2 / twice_max,
//     mo = twice_max / (2^20 * s_out) (doubles, QuantizeMultiplierSmallerThanOneExp) -- and
//     out = clamp(MBQMs(MBQMs((x1 - z1) << 20, m1) - MBQMs((x2 - z2) << 20, m2), mo) + z_out).
//     The second term is subtracted: SRDHM is not odd, so a negated m2 through ADD is not the same.
//   SQUARED_DIFFERENCE (squared_difference.cc): the same with left_shift 7 and mo = twice_max^2 / (2^14 *
//     s_out); the difference is squared in int32 before the output multiplier; no fused activation.
//   DIV (div.cc, reference_ops::DivElementwise / BroadcastDivSlow): m = s1 / (s2 * s_out) (float product and
//     quotient, then QuantizeMultiplier). Per element: signs flipped so that x2 > 0, the reciprocal of x2 in
//     fixed point (GetReciprocal: gemmlowp's one_over_one_plus_x Newton-Raphson), x1 scaled up by its
//     headroom (count of leading sign bits), multiplied by the reciprocal, then by m with the total shift
//     out_shift - recip_shift - headroom. That shift goes beyond 31 where the quotient is tiny; LiteRT's
//     RoundingDivideByPOT then shifts by the count mod 32 with an all-ones mask, as the x86 instructions do
//     with an out-of-range count, and edgekd does the same (rounding_divide_by_pot_x86).
//   PRELU (activations.cc PreluPrepare, reference Prelu / BroadcastPrelu4DSlow): m1 = s_in / s_out (float),
//     m2 = s_in * s_alpha / s_out (float); x = q - z_in; out = MBQM(x, m1) if x >= 0 else
//     MBQM(x * (alpha - z_alpha), m2); + z_out, clamped to int8.
//   MAXIMUM / MINIMUM (maximum_minimum.cc): max / min of the raw int8 values; no requantization, and LiteRT
//     does not check that the scales agree.
// MBQM is quant.h's multiply_by_quantized_multiplier; MBQMs (..SmallerThanOneExp) is the same for shifts <= 0.
#include <algorithm>
#include <cstring>
#include <string>

#include "kernels/ops/fixedpoint.h"
#include "kernels/ops/math_ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

const char* binary_kind_name(BinaryKind kind) {
  switch (kind) {
    case BinaryKind::kSub: return "SUB";
    case BinaryKind::kSquaredDifference: return "SQUARED_DIFFERENCE";
    case BinaryKind::kDiv: return "DIV";
    case BinaryKind::kPrelu: return "PRELU";
    case BinaryKind::kMaximum: return "MAXIMUM";
    case BinaryKind::kMinimum: return "MINIMUM";
  }
  return "?";
}

namespace {

void check_binary_quant(const char* op, float s1, int32_t z1, float s2, int32_t z2, float so, int32_t zo) {
  detail::check_scale(op, "input1 scale", s1);
  detail::check_scale(op, "input2 scale", s2);
  detail::check_scale(op, "output scale", so);
  detail::check_zero_point(op, "input1 zero point", z1);
  detail::check_zero_point(op, "input2 zero point", z2);
  detail::check_zero_point(op, "output zero point", zo);
}

// QuantizeMultiplierSmallerThanOneExp: LiteRT aborts outside (0, 1); edgekd refuses the model.
void quantize_below_one(const char* op, const char* field, double real, int32_t* m, int* shift) {
  if (!(real > 0.0 && real < 1.0))
    detail::fail(op, field, "real multiplier " + std::to_string(real) + " must be in (0, 1)");
  detail::quantize_multiplier(real, m, shift);
}

// SUB and SQUARED_DIFFERENCE: both inputs rescaled to twice the larger scale, `left_shift` bits up.
BinaryParams prepare_rescaled_difference(BinaryKind kind, int left_shift, float s1, int32_t z1, float s2,
                                         int32_t z2, float so, int32_t zo, Activation act) {
  const char* op = binary_kind_name(kind);
  check_binary_quant(op, s1, z1, s2, z2, so, zo);
  BinaryParams p;
  p.kind = kind;
  p.input1_offset = -z1;
  p.input2_offset = -z2;
  p.output_offset = zo;
  p.act = activation_range(act, so, zo, op);
  const double twice_max = 2 * std::max(s1, s2);  // float max, then double
  int32_t m1 = 0, m2 = 0;
  int e1 = 0, e2 = 0;
  quantize_below_one(op, "input1 scale", s1 / twice_max, &m1, &e1);
  quantize_below_one(op, "input2 scale", s2 / twice_max, &m2, &e2);
  const double real_out = kind == BinaryKind::kSub
                              ? twice_max / ((1 << left_shift) * so)
                              : (twice_max * twice_max) / ((1 << (2 * left_shift)) * so);
  quantize_below_one(op, "output scale", real_out, &p.output_multiplier, &p.output_shift);
  for (int v = -128; v < 128; ++v) {
    p.term1[v & 255] = multiply_by_quantized_multiplier((v - z1) * (1 << left_shift), m1, e1);
    p.term2[v & 255] = multiply_by_quantized_multiplier((v - z2) * (1 << left_shift), m2, e2);
  }
  return p;
}

// gemmlowp RoundingDivideByPOT as LiteRT's x86 build runs it for any count up to 63: past 31 the mask
// (int32 of 2^e - 1) is all ones and the arithmetic shift takes the count mod 32.
inline int32_t rounding_divide_by_pot_x86(int32_t x, int exponent) {
  if (exponent <= 31) return rounding_divide_by_pot(x, exponent);
  const int32_t threshold = -1 + (x < 0 ? 1 : 0);
  return (x >> (exponent & 31)) + (x > threshold ? 1 : 0);
}

// CountLeadingSignBits (GCC's __builtin_clrsb; 31 for 0).
inline int leading_sign_bits(int32_t x) { return x == 0 ? 31 : __builtin_clrsb(x); }

inline int32_t div_element(const BinaryParams& p, int8_t a, int8_t b) {
  int32_t x1 = p.input1_offset + a, x2 = p.input2_offset + b;
  if (x2 < 0) {
    x1 = -x1;
    x2 = -x2;
  }
  // GetReciprocal(x2, 31): x2 = 0 (a division by the zero point, which LiteRT only DCHECKs) shifts by 32,
  // which x86 takes as 0.
  const int headroom_plus_one = x2 == 0 ? 32 : __builtin_clz(static_cast<uint32_t>(x2));
  const int recip_shift = 31 - headroom_plus_one;
  const uint32_t shifted = static_cast<uint32_t>(x2) << (headroom_plus_one & 31);
  const int32_t inv = fixedpoint::one_over_one_plus_x(static_cast<int32_t>(shifted - (uint32_t(1) << 31)));
  const int headroom = leading_sign_bits(x1);
  const int32_t unscaled = srdhm(static_cast<int32_t>(static_cast<uint32_t>(x1) << headroom), inv);
  const int total_shift = p.output_shift - recip_shift - headroom;  // <= 0 (prepare_div bounds out_shift)
  const int32_t r = wrap_add(p.output_offset,
                             rounding_divide_by_pot_x86(srdhm(unscaled, p.output_multiplier), -total_shift));
  return clamp_to_int8(r, p.act.min, p.act.max);
}

template <BinaryKind K>
inline int8_t element(const BinaryParams& p, int8_t a, int8_t b) {
  if constexpr (K == BinaryKind::kMaximum) {
    return a > b ? a : b;
  } else if constexpr (K == BinaryKind::kMinimum) {
    return a < b ? a : b;
  } else if constexpr (K == BinaryKind::kDiv) {
    return div_element(p, a, b);
  } else if constexpr (K == BinaryKind::kPrelu) {
    const int32_t x = p.input1_offset + a;
    const int32_t r = x >= 0 ? multiply_by_quantized_multiplier(x, p.output_multiplier, p.output_shift)
                             : multiply_by_quantized_multiplier(x * (p.input2_offset + b), p.alpha_multiplier,
                                                                p.alpha_shift);
    return clamp_to_int8(r + p.output_offset, -128, 127);
  } else {
    int32_t d = p.term1[static_cast<uint8_t>(a)] - p.term2[static_cast<uint8_t>(b)];
    if constexpr (K == BinaryKind::kSquaredDifference) d = wrap_mul(d, d);
    const int32_t r = multiply_by_quantized_multiplier(d, p.output_multiplier, p.output_shift);
    return clamp_to_int8(wrap_add(r, p.output_offset), p.act.min, p.act.max);
  }
}

template <BinaryKind K>
void run_binary(const BinaryParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                int8_t* out) {
  detail::broadcast_binary(binary_kind_name(K), s1, in1, s2, in2, out, detail::NeonRuns{},
                           [&p](const int8_t* pa, bool a_step, const int8_t* pb, bool b_step, int8_t* po,
                                int64_t len, bool) {
                             if (a_step && b_step) {
                               for (int64_t i = 0; i < len; ++i) po[i] = element<K>(p, pa[i], pb[i]);
                             } else if (a_step) {
                               const int8_t vb = pb[0];
                               for (int64_t i = 0; i < len; ++i) po[i] = element<K>(p, pa[i], vb);
                             } else if (b_step) {
                               const int8_t va = pa[0];
                               for (int64_t i = 0; i < len; ++i) po[i] = element<K>(p, va, pb[i]);
                             } else {
                               std::memset(po, static_cast<uint8_t>(element<K>(p, pa[0], pb[0])),
                                           static_cast<size_t>(len));
                             }
                           });
}

}  // namespace

BinaryParams prepare_sub(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp, float out_scale,
                         int32_t out_zp, Activation act) {
  return prepare_rescaled_difference(BinaryKind::kSub, 20, in1_scale, in1_zp, in2_scale, in2_zp, out_scale,
                                     out_zp, act);
}

BinaryParams prepare_squared_difference(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp,
                                        float out_scale, int32_t out_zp) {
  return prepare_rescaled_difference(BinaryKind::kSquaredDifference, 7, in1_scale, in1_zp, in2_scale, in2_zp,
                                     out_scale, out_zp, Activation::kNone);
}

BinaryParams prepare_div(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp, float out_scale,
                         int32_t out_zp, Activation act) {
  const char* op = "DIV";
  check_binary_quant(op, in1_scale, in1_zp, in2_scale, in2_zp, out_scale, out_zp);
  BinaryParams p;
  p.kind = BinaryKind::kDiv;
  p.input1_offset = -in1_zp;
  p.input2_offset = -in2_zp;
  p.output_offset = out_zp;
  p.act = activation_range(act, out_scale, out_zp, op);
  const float real = in1_scale / (in2_scale * out_scale);  // float, as div.cc
  detail::quantize_multiplier(static_cast<double>(real), &p.output_multiplier, &p.output_shift);
  // The element's total shift, out_shift - recip_shift - headroom, must stay <= 0; headroom >= 22.
  if (p.output_shift > 22 || p.output_multiplier == 0)
    detail::fail(op, "scales", "give a multiplier s1 / (s2 * s_out) outside what LiteRT computes");
  return p;
}

BinaryParams prepare_prelu(float in_scale, int32_t in_zp, float alpha_scale, int32_t alpha_zp, float out_scale,
                           int32_t out_zp) {
  const char* op = "PRELU";
  check_binary_quant(op, in_scale, in_zp, alpha_scale, alpha_zp, out_scale, out_zp);
  BinaryParams p;
  p.kind = BinaryKind::kPrelu;
  p.input1_offset = -in_zp;
  p.input2_offset = -alpha_zp;
  p.output_offset = out_zp;
  const float real1 = in_scale / out_scale;                // float, as PreluPrepare
  const float real2 = in_scale * alpha_scale / out_scale;  // float
  detail::quantize_multiplier(static_cast<double>(real1), &p.output_multiplier, &p.output_shift);
  detail::quantize_multiplier(static_cast<double>(real2), &p.alpha_multiplier, &p.alpha_shift);
  return p;
}

BinaryParams prepare_max_min(bool maximum) {
  BinaryParams p;
  p.kind = maximum ? BinaryKind::kMaximum : BinaryKind::kMinimum;
  return p;
}

int8_t binary_element(const BinaryParams& p, int8_t a, int8_t b) {
  switch (p.kind) {
    case BinaryKind::kSub: return element<BinaryKind::kSub>(p, a, b);
    case BinaryKind::kSquaredDifference: return element<BinaryKind::kSquaredDifference>(p, a, b);
    case BinaryKind::kDiv: return element<BinaryKind::kDiv>(p, a, b);
    case BinaryKind::kPrelu: return element<BinaryKind::kPrelu>(p, a, b);
    case BinaryKind::kMaximum: return element<BinaryKind::kMaximum>(p, a, b);
    case BinaryKind::kMinimum: return element<BinaryKind::kMinimum>(p, a, b);
  }
  return 0;
}

void binary_s8_ref(const BinaryParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2,
                   const int8_t* in2, int8_t* out) {
  switch (p.kind) {
    case BinaryKind::kSub: return run_binary<BinaryKind::kSub>(p, s1, in1, s2, in2, out);
    case BinaryKind::kSquaredDifference:
      return run_binary<BinaryKind::kSquaredDifference>(p, s1, in1, s2, in2, out);
    case BinaryKind::kDiv: return run_binary<BinaryKind::kDiv>(p, s1, in1, s2, in2, out);
    case BinaryKind::kPrelu: return run_binary<BinaryKind::kPrelu>(p, s1, in1, s2, in2, out);
    case BinaryKind::kMaximum: return run_binary<BinaryKind::kMaximum>(p, s1, in1, s2, in2, out);
    case BinaryKind::kMinimum: return run_binary<BinaryKind::kMinimum>(p, s1, in1, s2, in2, out);
  }
}

}  // namespace ops
}  // namespace edgekd
