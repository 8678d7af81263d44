// gemmlowp's fixed-point arithmetic on int32 raw values, as LiteRT's integer kernels use it (DIV's
// reciprocal, RSQRT's inverse square root). A value with I integer bits is raw * 2^(I - 31).
#pragma once
#include <cstdint>
#include <limits>

#include "edgekd/quant.h"

namespace edgekd {
namespace ops {
namespace fixedpoint {

inline int32_t wrap_sub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}

// FixedPoint<int32_t, I>::One(): saturates to INT32_MAX when 1.0 is not representable (I = 0).
inline int32_t one(int integer_bits) {
  return integer_bits == 0 ? std::numeric_limits<int32_t>::max() : int32_t(1) << (31 - integer_bits);
}

// SaturatingRoundingMultiplyByPOT<exponent>: a saturating left shift, or a rounding right shift.
inline int32_t mul_by_pot(int32_t x, int exponent) {
  if (exponent < 0) return rounding_divide_by_pot(x, -exponent);
  if (exponent == 0) return x;
  const int32_t threshold = (int32_t(1) << (31 - exponent)) - 1;
  if (x > threshold) return std::numeric_limits<int32_t>::max();
  if (x < -threshold) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(static_cast<uint32_t>(x) << exponent);
}

// Rescale<to>(value with `from` integer bits).
inline int32_t rescale(int32_t x, int from, int to) { return mul_by_pot(x, from - to); }

// gemmlowp RoundingHalfSum.
inline int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = int64_t(a) + int64_t(b);
  return static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
}

// one_over_one_plus_x_for_x_in_0_1 (Newton-Raphson, three steps); a and the result have 0 integer bits.
inline int32_t one_over_one_plus_x(int32_t a) {
  const int32_t half_denominator = rounding_half_sum(a, one(0));             // I = 0
  const int32_t c48_17 = 1515870810, c_neg32_17 = -1010580540;               // I = 2
  int32_t x = wrap_add(c48_17, srdhm(half_denominator, c_neg32_17));         // I = 2
  for (int i = 0; i < 3; ++i) {
    const int32_t hd_x = srdhm(half_denominator, x);                         // I = 2
    const int32_t one_minus = wrap_sub(one(2), hd_x);                       // I = 2
    x = wrap_add(x, rescale(srdhm(x, one_minus), 4, 2));
  }
  return rescale(x, 1, 0);  // ExactMulByPot<-1> (I = 1, same raw), then Rescale<0>
}

}  // namespace fixedpoint
}  // namespace ops
}  // namespace edgekd
