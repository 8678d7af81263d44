// Private helpers shared by the op implementations (not part of the public ops.h contract).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "edgekd/quant.h"
#include "kernels/ops/ops.h"

namespace edgekd {
namespace ops {
namespace detail {

// Throws std::invalid_argument("<op>: <field> <what>").
[[noreturn]] void fail(const char* op, const char* field, const std::string& what);
void check_scale(const char* op, const char* field, float scale);
void check_zero_point(const char* op, const char* field, int32_t zp);
std::string shape_str(const Shape4& s);

// (int32_t)x as LiteRT's x86 build computes it: cvttss2si truncates toward zero and gives INT32_MIN (the
// "integer indefinite") for NaN and for anything outside int32, where a C++ cast would be undefined.
inline int32_t truncate_to_int32_x86(double x) {
  return (x > -2147483649.0 && x < 2147483648.0) ? static_cast<int32_t>(x) : INT32_MIN;
}

// TFLite QuantizeMultiplier with the int `shift` type LiteRT uses.
inline void quantize_multiplier(double real, int32_t* m, int* shift) {
  int32_t s = 0;
  edgekd::quantize_multiplier(real, m, &s);
  *shift = s;
}

// gemmlowp's int16 SaturatingRoundingDoublingHighMul (HARD_SWISH).
inline int16_t srdhm16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) return INT16_MAX;
  const int32_t ab = int32_t(a) * int32_t(b);
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}
// gemmlowp's int16 RoundingDivideByPOT (ties away from zero).
inline int16_t rounding_divide_by_pot16(int16_t x, int exponent) {
  const int16_t mask = static_cast<int16_t>((1 << exponent) - 1);
  const int16_t remainder = static_cast<int16_t>(x & mask);
  const int16_t threshold = static_cast<int16_t>((mask >> 1) + (x < 0 ? 1 : 0));
  return static_cast<int16_t>((x >> exponent) + (remainder > threshold ? 1 : 0));
}

// MultiplyByQuantizedMultiplier4Rows (common.h, double-rounding build) as LiteRT's NEON blocks compute it:
// vshlq (wrapping left shift), vqrdmulhq (= SRDHM), then vrshlq by the right shift, which rounds half UP
// (toward +inf), unlike RoundingDivideByPOT's half away from zero. Differs only on negative exact ties.
inline int32_t mbqm_neon_rows(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  const int64_t v = srdhm(shifted, multiplier);
  if (right == 0) return static_cast<int32_t>(v);
  return static_cast<int32_t>((v + (int64_t(1) << (right - 1))) >> right);
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
