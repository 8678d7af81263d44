// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR on int8 NHWC (LiteRT 2.3.0 builtin kernels).
//
// RESIZE_BILINEAR: for int8 the builtin "optimized" kernel calls reference_ops::ResizeBilinearInteger, which
// uses no float at all:
//   scale_10 = (1024 * in + out / 2) / out            ((in - 1), (out - 1) with align_corners and out > 1)
//   src_10   = v * scale_10   (+ scale_10 / 2 - 512 with half_pixel_centers)
//   lo = max(src_10 / 1024, 0) (C++ division), hi = min((src_10 + 1023) / 1024, in - 1), f = src_10 - 1024 lo
//   acc = sum of the four taps times (1024 - fy | fy) * (1024 - fx | fx)          (exact integers)
//   out = int8((acc + (acc > 0 ? 2^19 : -2^19)) / 2^20)                 (rounds half away from zero)
// The four products are exact integers, so the sum is computed separably (along x, then along y) in int32:
// the same number. Near the top edge with half_pixel_centers, f is negative and both taps are row 0.
// LiteRT reads past the input where src_10 / 1024 passes the last row (possible only for upscaling by
// more than about 1000x); edgekd clamps the tap instead and keeps the weights in [-512, 1536].
//
// RESIZE_NEAREST_NEIGHBOR: the builtin kernel (optimized_ops) copies bytes. Without align_corners and
// half_pixel_centers it uses 16-bit fixed point: scale = (in << 16) / out + 1, src = min((v * scale) >> 16,
// in - 1). With either flag it falls back to the reference float arithmetic:
//   scale = align_corners && out > 1 ? (in - 1) / float(out - 1) : in / float(out)
//   src = min(align_corners ? int(roundf((v + off) * scale)) : int(floorf((v + off) * scale)), in - 1)
//   with off = 0.5f and src >= 0 under half_pixel_centers.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/ops/ops_internal.h"
#include "kernels/ops/shape_ops.h"

namespace edgekd {
namespace ops {
namespace {

void check_sizes(const char* op, int batch, int in_h, int in_w, int channels, int out_h, int out_w) {
  if (batch < 1 || in_h < 1 || in_w < 1 || channels < 1)
    detail::fail(op, "input shape", "must have no empty dimension");
  if (out_h < 1 || out_w < 1)
    detail::fail(op, "size", "must be positive, is [" + std::to_string(out_h) + ", " + std::to_string(out_w) + "]");
  constexpr int kMax = 1 << 20;  // keeps the 10-bit fixed point of every index inside int32
  if (in_h > kMax || in_w > kMax || out_h > kMax || out_w > kMax) detail::fail(op, "size", "is too large");
}

ResizeAxis bilinear_axis(int in, int out, bool align_corners, bool half_pixel_centers) {
  int32_t scale_10 = ((1 << 10) * in + out / 2) / out;
  if (align_corners && out > 1) scale_10 = ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
  ResizeAxis a;
  for (int v = 0; v < out; ++v) {
    const int32_t src = half_pixel_centers ? v * scale_10 + scale_10 / 2 - (1 << 9) : v * scale_10;
    const int32_t lo = std::max(src / (1 << 10), 0);
    const int32_t hi = std::min((src + (1 << 10) - 1) / (1 << 10), in - 1);
    a.lo.push_back(std::min(lo, in - 1));
    a.hi.push_back(std::max(hi, 0));
    a.frac.push_back(std::min(std::max(src - (1 << 10) * lo, -512), 1536));
  }
  return a;
}

int32_t nearest_index(int v, int in, int out, bool align_corners, bool half_pixel_centers) {
  if (!align_corners && !half_pixel_centers) {
    const int64_t scale = (int64_t(in) << 16) / out + 1;
    return static_cast<int32_t>(std::min<int64_t>((v * scale) >> 16, in - 1));
  }
  const float scale = (align_corners && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                                 : static_cast<float>(in) / static_cast<float>(out);
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  const float x = (static_cast<float>(v) + offset) * scale;
  int32_t s = std::min(detail::truncate_to_int32_x86(align_corners ? std::round(x) : std::floor(x)), in - 1);
  if (half_pixel_centers) s = std::max(s, 0);
  return std::max(s, 0);  // LiteRT cannot go below 0 here either; the clamp makes that plain
}

}  // namespace

ResizeParams prepare_resize_bilinear(int batch, int in_h, int in_w, int channels, int out_h, int out_w,
                                     bool align_corners, bool half_pixel_centers) {
  const char* op = "RESIZE_BILINEAR";
  check_sizes(op, batch, in_h, in_w, channels, out_h, out_w);
  if (align_corners && half_pixel_centers)
    detail::fail(op, "options", "align_corners and half_pixel_centers cannot both be true");
  ResizeParams p{batch, in_h, in_w, channels, out_h, out_w, {}, {}};
  p.y = bilinear_axis(in_h, out_h, align_corners, half_pixel_centers);
  p.x = bilinear_axis(in_w, out_w, align_corners, half_pixel_centers);
  return p;
}

ResizeParams prepare_resize_nearest(int batch, int in_h, int in_w, int channels, int out_h, int out_w,
                                    bool align_corners, bool half_pixel_centers) {
  check_sizes("RESIZE_NEAREST_NEIGHBOR", batch, in_h, in_w, channels, out_h, out_w);
  ResizeParams p{batch, in_h, in_w, channels, out_h, out_w, {}, {}};
  for (int v = 0; v < out_h; ++v) p.y.lo.push_back(nearest_index(v, in_h, out_h, align_corners, half_pixel_centers));
  for (int v = 0; v < out_w; ++v) p.x.lo.push_back(nearest_index(v, in_w, out_w, align_corners, half_pixel_centers));
  return p;
}

void resize_bilinear_s8_ref(const ResizeParams& p, const int8_t* in, int8_t* out, int y_begin, int y_end) {
  const int C = p.channels;
  const int64_t in_row = int64_t(p.in_w) * C, out_row = int64_t(p.out_w) * C;
  for (int b = 0; b < p.batch; ++b) {
    const int8_t* image = in + b * p.in_h * in_row;
    for (int y = y_begin; y < y_end; ++y) {
      const int8_t* r0 = image + p.y.lo[y] * in_row;
      const int8_t* r1 = image + p.y.hi[y] * in_row;
      const int32_t fy = p.y.frac[y];
      int8_t* dst = out + (int64_t(b) * p.out_h + y) * out_row;
      for (int x = 0; x < p.out_w; ++x) {
        const int64_t c0 = int64_t(p.x.lo[x]) * C, c1 = int64_t(p.x.hi[x]) * C;
        const int32_t fx = p.x.frac[x];
        for (int c = 0; c < C; ++c) {
          const int32_t top = r0[c0 + c] * (1024 - fx) + r0[c1 + c] * fx;
          const int32_t bottom = r1[c0 + c] * (1024 - fx) + r1[c1 + c] * fx;
          const int32_t acc = top * (1024 - fy) + bottom * fy;
          const int32_t round = acc > 0 ? (1 << 19) : -(1 << 19);
          dst[int64_t(x) * C + c] = static_cast<int8_t>((acc + round) / (1 << 20));
        }
      }
    }
  }
}

void resize_nearest(const ResizeParams& p, const uint8_t* in, uint8_t* out, int y_begin, int y_end) {
  const size_t C = static_cast<size_t>(p.channels);
  const int64_t in_row = int64_t(p.in_w) * p.channels, out_row = int64_t(p.out_w) * p.channels;
  for (int b = 0; b < p.batch; ++b) {
    const uint8_t* image = in + b * p.in_h * in_row;
    for (int y = y_begin; y < y_end; ++y) {
      const uint8_t* src = image + p.y.lo[y] * in_row;
      uint8_t* dst = out + (int64_t(b) * p.out_h + y) * out_row;
      for (int x = 0; x < p.out_w; ++x) std::memcpy(dst + x * C, src + p.x.lo[x] * C, C);
    }
  }
}

}  // namespace ops
}  // namespace edgekd
