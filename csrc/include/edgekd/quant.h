// The int8 arithmetic contract: TFLite's quantization spec as LiteRT's builtin kernels compute it.
// Everything here is the definition; SIMD kernels must reproduce it bit for bit.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace edgekd {

// TFLite QuantizeMultiplier: real = q * 2^shift with q in [2^30, 2^31) as an int32 (Q31).
// shift > 0 is a left shift. Zero or denormal-small multipliers become (0, 0).
inline void quantize_multiplier(double real, int32_t* multiplier, int32_t* shift) {
  if (real == 0.0) { *multiplier = 0; *shift = 0; return; }
  // Scales come from the model file: a ratio of extreme (or hostile) ones can overflow to inf or be NaN.
  if (!std::isfinite(real) || real < 0.0)
    throw std::invalid_argument("quantization multiplier " + std::to_string(real) +
                                " (a ratio of the tensors' scales) is not a finite positive number");
  int exp = 0;
  const double q = std::frexp(real, &exp);
  int64_t q_fixed = static_cast<int64_t>(std::round(q * (1LL << 31)));
  if (q_fixed == (1LL << 31)) { q_fixed /= 2; ++exp; }
  if (exp < -31) { exp = 0; q_fixed = 0; }
  if (exp > 30) { exp = 30; q_fixed = (1LL << 31) - 1; }
  *multiplier = static_cast<int32_t>(q_fixed);
  *shift = exp;
}

// gemmlowp SaturatingRoundingDoublingHighMul.
inline int32_t srdhm(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));  // truncating division, as gemmlowp
}

// gemmlowp RoundingDivideByPOT: round half away from zero.
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// TFLite MultiplyByQuantizedMultiplier (the default, double-rounding variant).
// The left shift wraps like the int32 multiply TFLite does (done in uint32 to stay defined).
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  return rounding_divide_by_pot(srdhm(shifted, multiplier), right);
}

// The output stage of LiteRT's int8 CONV_2D and FULLY_CONNECTED, whose GEMM runs through ruy: the same two
// steps as above but both rounding half up: h = (x * M + 2^30) >> 31 (floor; INT_MIN * INT_MIN saturates,
// as NEON's vqrdmulh does), then a rounding right shift that adds half (computed without overflow).
// Measured against LiteRT 2.3's builtin kernels: this matches on every tie where the round-away form
// above and a single-rounding form each differ from it.
inline int32_t multiply_by_quantized_multiplier_gemm(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : (shift < -31 ? 31 : -shift);
  const int32_t xs = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  int32_t h;
  if (xs == std::numeric_limits<int32_t>::min() && multiplier == std::numeric_limits<int32_t>::min()) {
    h = std::numeric_limits<int32_t>::max();
  } else {
    h = static_cast<int32_t>((static_cast<int64_t>(xs) * multiplier + (INT64_C(1) << 30)) >> 31);
  }
  if (right == 0) return h;
  return (h >> right) + ((h >> (right - 1)) & 1);  // floor(h / 2^right + 1/2)
}

// int32 add that wraps instead of being undefined (accumulators are exact mod 2^32 in every path).
inline int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t wrap_mul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

inline int8_t clamp_to_int8(int32_t v, int32_t lo, int32_t hi) {
  return static_cast<int8_t>(v < lo ? lo : (v > hi ? hi : v));
}

// Per-output-channel requantization of an int32 accumulator to int8.
struct Requant {
  const int32_t* multiplier = nullptr;  // [n], or one value when per_channel == false
  const int32_t* shift = nullptr;       // [n], or one value
  bool per_channel = true;
  int32_t output_zero_point = 0;
  int32_t act_min = -128;  // fused activation clamp, in the output's quantized domain
  int32_t act_max = 127;
  int32_t mult(int c) const { return multiplier[per_channel ? c : 0]; }
  int32_t shf(int c) const { return shift[per_channel ? c : 0]; }
  int8_t apply(int32_t acc, int c) const {
    // int32 add as TFLite does it; wraps (not UB) like the SIMD paths' vector adds.
    const int32_t v = wrap_add(multiply_by_quantized_multiplier(acc, mult(c), shf(c)), output_zero_point);
    return clamp_to_int8(v, act_min, act_max);
  }
  // GEMM-based ops (CONV_2D, FULLY_CONNECTED): LiteRT's (ruy's) output stage.
  int8_t apply_gemm(int32_t acc, int c) const {
    const int32_t v = wrap_add(multiply_by_quantized_multiplier_gemm(acc, mult(c), shf(c)), output_zero_point);
    return clamp_to_int8(v, act_min, act_max);
  }
};

}  // namespace edgekd
