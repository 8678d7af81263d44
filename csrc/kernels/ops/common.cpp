// Shared helpers for the non-GEMM ops: shapes, fused activation ranges, broadcasting, errors.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

Shape4 shape4(const int* dims, int rank) {
  if (rank < 0 || rank > 4) detail::fail("shape", "rank", "must be 0..4, got " + std::to_string(rank));
  if (rank > 0 && dims == nullptr) detail::fail("shape", "dims", "is null");
  int d[4] = {1, 1, 1, 1};
  for (int i = 0; i < rank; ++i) {
    if (dims[i] < 0) detail::fail("shape", "dims", "dimension " + std::to_string(i) + " is negative");
    d[4 - rank + i] = dims[i];
  }
  return {d[0], d[1], d[2], d[3]};
}

// kernel_util.cc CalculateActivationRangeQuantized: the bounds are zp + (int)roundf(f / scale) computed in
// float (f / scale is a float division, TfLiteRound is std::round: ties away from zero), then intersected
// with the int8 range.
ActRange activation_range(Activation act, float out_scale, int32_t out_zp, const char* op) {
  detail::check_scale(op, "output scale", out_scale);
  detail::check_zero_point(op, "output zero point", out_zp);
  auto quantize = [&](float f) {
    const float t = std::round(f / out_scale);
    if (!(t >= -2147483648.0f && t <= 2147483647.0f))
      detail::fail(op, "fused activation", "bound overflows int32 at this output scale");
    return wrap_add(out_zp, static_cast<int32_t>(t));
  };
  ActRange r;
  switch (act) {
    case Activation::kNone: break;
    case Activation::kRelu: r.min = std::max(-128, quantize(0.0f)); break;
    case Activation::kRelu6:
      r.min = std::max(-128, quantize(0.0f));
      r.max = std::min(127, quantize(6.0f));
      break;
    case Activation::kReluN1To1:
      r.min = std::max(-128, quantize(-1.0f));
      r.max = std::min(127, quantize(1.0f));
      break;
    default:
      detail::fail(op, "fused activation", "unsupported (" + std::to_string(static_cast<int>(act)) +
                                               "); only NONE, RELU, RELU_N1_TO_1, RELU6");
  }
  return r;
}

Shape4 broadcast_shape(const Shape4& a, const Shape4& b, const char* op) {
  int out[4];
  for (int i = 0; i < 4; ++i) {
    const int x = a.dim(i), y = b.dim(i);
    if (x != y && x != 1 && y != 1)
      detail::fail(op, "input shapes", detail::shape_str(a) + " and " + detail::shape_str(b) +
                                           " do not broadcast (dimension " + std::to_string(i) + ")");
    out[i] = x == 1 ? y : x;
  }
  return {out[0], out[1], out[2], out[3]};
}

namespace detail {

[[noreturn]] void fail(const char* op, const char* field, const std::string& what) {
  throw std::invalid_argument(std::string(op) + ": " + field + " " + what);
}

void check_scale(const char* op, const char* field, float scale) {
  if (!(scale > 0.0f) || !std::isfinite(scale))
    fail(op, field, "must be a finite positive float, got " + std::to_string(scale));
}

void check_zero_point(const char* op, const char* field, int32_t zp) {
  if (zp < -128 || zp > 127) fail(op, field, "must be in [-128, 127] for int8, got " + std::to_string(zp));
}

std::string shape_str(const Shape4& s) {
  return "[" + std::to_string(s.n) + "," + std::to_string(s.h) + "," + std::to_string(s.w) + "," +
         std::to_string(s.c) + "]";
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
