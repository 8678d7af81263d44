// int16 fixed-point logistic and tanh as gemmlowp's FixedPoint<int16_t, I> computes them: the integer
// LSTM's gate activations in LiteRT (PortableApplySigmoid / PortableApplyTanh). A value with I integer bits
// is raw / 2^(15 - I). The rules that make the results bit-exact: + and - wrap modulo 2^16, products are
// the saturating rounding doubling high multiply, rescaling left saturates and rescaling right rounds half
// away from zero, and constants are the int32 Q0 constants rounded down to 16 bits.
// Also the int32 inverse square root of the integer layer norm (GetInvSqrtQuantizedMultiplierExp).
#pragma once
#include <cstdint>

#include "edgekd/quant.h"

namespace edgekd {
namespace ops {
namespace fx16 {

inline int16_t wrap(int32_t v) { return static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint32_t>(v))); }
inline int16_t add(int16_t a, int16_t b) { return wrap(int32_t(a) + b); }
inline int16_t sub(int16_t a, int16_t b) { return wrap(int32_t(a) - b); }
inline int16_t neg(int16_t a) { return wrap(-int32_t(a)); }
inline int16_t saturating_add(int16_t a, int16_t b) {
  const int32_t s = int32_t(a) + b;
  return static_cast<int16_t>(s > 32767 ? 32767 : (s < -32768 ? -32768 : s));
}

// Saturating rounding doubling high multiply: the product of two fixed-point values.
inline int16_t mul(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) return INT16_MAX;
  const int32_t ab = int32_t(a) * b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}

// Right shift rounding half away from zero.
inline int16_t rounding_shift_right(int16_t x, int e) {
  const int32_t mask = (1 << e) - 1;
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return static_cast<int16_t>((x >> e) + (remainder > threshold ? 1 : 0));
}

// Left shift saturating at the int16 range.
inline int16_t saturating_shift_left(int16_t x, int e) {
  const int32_t threshold = (1 << (15 - e)) - 1;
  if (x > threshold) return INT16_MAX;
  if (x < -threshold) return INT16_MIN;
  return static_cast<int16_t>(x * (1 << e));
}

// From src_bits to dst_bits integer bits.
inline int16_t rescale(int16_t x, int src_bits, int dst_bits) {
  const int e = src_bits - dst_bits;
  return e > 0 ? saturating_shift_left(x, e) : (e < 0 ? rounding_shift_right(x, -e) : x);
}

// A 32-bit Q0 constant in 16 bits.
inline int16_t constant(int32_t q31) { return static_cast<int16_t>(rounding_divide_by_pot(q31, 16)); }

constexpr int16_t kOneQ0 = INT16_MAX;  // "1" with no integer bits

// exp(a) for a in [-1/4, 0), a with 0 integer bits: a Taylor expansion around -1/8.
inline int16_t exp_quarter_interval(int16_t a) {
  const int16_t exp_minus_one_eighth = constant(1895147668);
  const int16_t one_third = constant(715827883);
  const int16_t x = add(a, int16_t(1 << 12));
  const int16_t x2 = mul(x, x), x3 = mul(x2, x), x4 = mul(x2, x2);
  const int16_t x4_over_4 = rounding_shift_right(x4, 2);
  const int16_t poly = rounding_shift_right(add(mul(add(x4_over_4, x3), one_third), x2), 1);
  return saturating_add(exp_minus_one_eighth, mul(exp_minus_one_eighth, add(x, poly)));
}

// exp(a) for a <= 0 with `bits` integer bits (0..13); the result has 0 integer bits.
inline int16_t exp_on_negative_values(int16_t a, int bits) {
  const int frac = 15 - bits;
  const int16_t quarter = static_cast<int16_t>(1 << (frac - 2));
  const int16_t a_mod_quarter_minus_quarter = sub(static_cast<int16_t>(a & (quarter - 1)), quarter);
  int16_t result = exp_quarter_interval(rescale(a_mod_quarter_minus_quarter, bits, 0));
  const int16_t remainder = sub(a_mod_quarter_minus_quarter, a);
  // exp(-2^k) for k = -2..4 multiplies in for each bit of the remainder.
  static const int32_t kExpNegPow2[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int k = -2; k <= 4; ++k) {
    if (bits <= k) continue;
    if (remainder & (1 << (frac + k))) result = mul(result, constant(kExpNegPow2[k + 2]));
  }
  if (bits > 5 && a < constant(-(1 << (36 - bits)))) result = 0;  // below -32
  return a == 0 ? kOneQ0 : result;
}

// One Newton-Raphson division shared by 1/(1+x) and (1-x)/(1+x) for x in (0, 1); the result has 2 integer
// bits.
inline int16_t reciprocal_of_one_plus_x_q2(int16_t a) {
  const int32_t sum = int32_t(a) + kOneQ0;
  const int16_t half_denominator = static_cast<int16_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int16_t one_q2 = 1 << 13;
  int16_t x = add(constant(1515870810) /* 48/17 */, mul(half_denominator, constant(-1010580540) /* -32/17 */));
  for (int i = 0; i < 3; ++i) {
    const int16_t one_minus_dx = sub(one_q2, mul(half_denominator, x));
    x = add(x, rescale(mul(x, one_minus_dx), 4, 2));
  }
  return x;
}

// gemmlowp::logistic for `bits` integer bits; the result has 0 integer bits.
inline int16_t logistic(int16_t a, int bits) {
  if (a == 0) return constant(1 << 30);
  const int16_t abs_a = a > 0 ? a : neg(a);
  const int16_t positive = rescale(reciprocal_of_one_plus_x_q2(exp_on_negative_values(neg(abs_a), bits)), 1, 0);
  return a > 0 ? positive : sub(kOneQ0, positive);
}

// gemmlowp::tanh for `bits` integer bits; the result has 0 integer bits.
inline int16_t tanh(int16_t a, int bits) {
  if (a == 0) return 0;
  const int16_t negative = a < 0 ? a : neg(a);
  const int16_t q2 = reciprocal_of_one_plus_x_q2(exp_on_negative_values(negative, bits + 1));
  const int16_t t = rescale(sub(q2, int16_t(1 << 13)), 2, 0);
  return a < 0 ? neg(t) : t;
}

}  // namespace fx16

// 1/sqrt(input) as a multiplier and a left shift (TFLite's GetInvSqrtQuantizedMultiplierExp with
// reverse_shift = -1): the integer layer norm's inverse standard deviation.
void inv_sqrt_multiplier(int32_t input, int32_t* multiplier, int32_t* shift);

}  // namespace ops
}  // namespace edgekd
