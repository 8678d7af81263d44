// The scalar bilinear tap shared by resize_bilinear_s8_ref and the SIMD twins' channel tails (resize.cpp).
#pragma once
#include <cstdint>

#include "kernels/ops/shape_ops.h"

namespace edgekd {
namespace ops {
namespace detail {

// One output channel from the four taps (rows r0 / r1, columns c0 / c1 already offset to the channel):
// weights in 1/1024 along each axis, the exact integer sum computed along x then along y (the same number
// as LiteRT's four int64 products), rounded half away from zero by 2^20.
inline int8_t bilinear_tap(int32_t a, int32_t b, int32_t c, int32_t d, int32_t fx, int32_t fy) {
  const int32_t top = a * (1024 - fx) + b * fx;
  const int32_t bottom = c * (1024 - fx) + d * fx;
  const int32_t acc = top * (1024 - fy) + bottom * fy;
  const int32_t round = acc > 0 ? (1 << 19) : -(1 << 19);
  return static_cast<int8_t>((acc + round) / (1 << 20));
}

// resize_bilinear_avx2.cpp (the avx2 and avx512vnni tables).
void resize_bilinear_s8_avx2(const ResizeParams& p, const int8_t* in, int8_t* out, int y_begin, int y_end);

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
