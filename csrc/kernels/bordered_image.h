// The bordered copy that conv and depthwise make of small padded inputs: with the padding written out,
// every output pixel's window lies inside the image, so no pixel takes the per-tap border path.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace edgekd {

// The geometry of a conv's input with its padding written out: every row and column its windows reach, no
// padding. False (out and bytes untouched) when every window already lies inside the input. bytes: the
// bordered image's size. P: ConvParams or DwConvParams, which name these fields alike.
template <class P>
bool bordered_geometry(const P& p, P* out, int64_t* bytes) {
  const int64_t h = int64_t{p.out_h - 1} * p.stride_h + int64_t{p.kh - 1} * p.dilation_h + 1;
  const int64_t w = int64_t{p.out_w - 1} * p.stride_w + int64_t{p.kw - 1} * p.dilation_w + 1;
  if (p.pad_top == 0 && p.pad_left == 0 && h - p.pad_top <= p.in_h && w - p.pad_left <= p.in_w) return false;
  *out = p;
  out->in_h = static_cast<int>(h);
  out->in_w = static_cast<int>(w);
  out->pad_top = out->pad_left = 0;
  *bytes = int64_t{p.batch} * h * w * p.in_c;
  return true;
}

// Copies NHWC `input` [batch][in_h][in_w][c] into `dst` [batch][out_h][out_w][c]: input pixel (y, x) lands
// at (y + top, x + left) where that is inside dst; every other byte is `fill` (the input zero point).
// Only dst rows [row_begin, row_end) of the batch * out_h rows are written (threads split the rows).
inline void copy_bordered_rows(const int8_t* input, int in_h, int in_w, size_t c, int top, int left,
                               int out_h, int out_w, int8_t fill, int8_t* dst, int row_begin, int row_end) {
  const size_t out_row = static_cast<size_t>(out_w) * c;
  // Input columns [0, x1) land at columns [left, left + x1); a left padding as wide as the whole image
  // (explicit paddings allow it) leaves no input column in it.
  const int lcols = left < out_w ? left : out_w;
  const int x1 = out_w - lcols < in_w ? out_w - lcols : in_w;
  const size_t lbytes = static_cast<size_t>(lcols) * c, copy = static_cast<size_t>(x1) * c;
  dst += static_cast<size_t>(row_begin) * out_row;
  for (int r = row_begin; r < row_end; ++r, dst += out_row) {
    const int b = r / out_h, iy = r % out_h - top;
    if (iy < 0 || iy >= in_h) {
      std::memset(dst, fill, out_row);
      continue;
    }
    std::memset(dst, fill, lbytes);
    std::memcpy(dst + lbytes, input + (static_cast<size_t>(b) * in_h + iy) * in_w * c, copy);
    std::memset(dst + lbytes + copy, fill, out_row - lbytes - copy);
  }
}

}  // namespace edgekd
