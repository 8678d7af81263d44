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

// Calls pixel(r0, r1, c0, c1, fx, fy, dst) for every output pixel of rows [y_begin, y_end) of every image:
// rows r0 / r1 and channel offsets c0 / c1 of its four taps, their weights, and where its channels go.
template <class Pixel>
inline void for_each_bilinear_pixel(const ResizeParams& p, const int8_t* in, int8_t* out, int y_begin, int y_end,
                                    const Pixel& pixel) {
  const int C = p.channels;
  const int64_t in_row = int64_t(p.in_w) * C, out_row = int64_t(p.out_w) * C;
  for (int b = 0; b < p.batch; ++b) {
    const int8_t* image = in + b * p.in_h * in_row;
    for (int y = y_begin; y < y_end; ++y) {
      const int8_t* r0 = image + p.y.lo[y] * in_row;
      const int8_t* r1 = image + p.y.hi[y] * in_row;
      int8_t* dst = out + (int64_t(b) * p.out_h + y) * out_row;
      for (int x = 0; x < p.out_w; ++x)
        pixel(r0, r1, int64_t(p.x.lo[x]) * C, int64_t(p.x.hi[x]) * C, p.x.frac[x], p.y.frac[y], dst + int64_t(x) * C);
    }
  }
}

// resize_bilinear_avx2.cpp (the avx2 and avx512vnni tables), resize_bilinear_neon.cpp (neon, neondot).
void resize_bilinear_s8_avx2(const ResizeParams& p, const int8_t* in, int8_t* out, int y_begin, int y_end);
void resize_bilinear_s8_neon(const ResizeParams& p, const int8_t* in, int8_t* out, int y_begin, int y_end);

}  // namespace detail
}  // namespace ops
}  // namespace edgekd
