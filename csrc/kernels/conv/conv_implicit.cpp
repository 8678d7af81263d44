// Convolution as an implicit GEMM: the kernel reads each output pixel's window in place from a bordered
// copy of the input (GemmKernel::run_implicit), so no im2col rows are built. See conv_internal.h.
#include <cstring>
#include <vector>

#include "kernels/bordered_image.h"
#include "kernels/conv/conv_internal.h"

namespace edgekd {
namespace conv_detail {
namespace {

// Every output channel shifts right (shift < 0), as in every real layer: the implicit kernels' output stage.
bool all_shift_right(const OutputStage& out) {
  for (int32_t s : out.shift)
    if (s >= 0) return false;
  return true;
}

// XORs `bytes` bytes with `x`, eight at a time.
void xor_bytes(int8_t* data, size_t bytes, uint8_t x) {
  const uint64_t word = 0x0101010101010101ULL * x;
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t v;
    std::memcpy(&v, data + i, 8);
    v ^= word;
    std::memcpy(data + i, &v, 8);
  }
  for (; i < bytes; ++i) data[i] = static_cast<int8_t>(static_cast<uint8_t>(data[i]) ^ x);
}

// The bordered image of a 3-channel input widened to 4 channels, every byte XORed with x. Each pixel moves
// as one 4-byte word: its 4th byte is the next pixel's first (multiplied by a zero weight), except for the
// last pixel of a row, which takes its 3 bytes alone (the next row may lie past the input's end).
void copy_widened3(const PackedConv& conv, const int8_t* input, uint8_t x, int8_t* dst) {
  const ConvParams& p = conv.params;
  const ConvParams& g = conv.padded;
  const size_t row = static_cast<size_t>(g.in_w) * 4;
  const uint32_t flip = 0x01010101u * x;
  const int fill = static_cast<uint8_t>(p.input_zero_point) ^ x;
  const int x1 = g.in_w - p.pad_left < p.in_w ? g.in_w - p.pad_left : p.in_w;  // input columns that land
  for (int r = 0; r < p.batch * g.in_h; ++r, dst += row) {
    const int b = r / g.in_h, iy = r % g.in_h - p.pad_top;
    if (iy < 0 || iy >= p.in_h || x1 <= 0) {
      std::memset(dst, fill, row);
      continue;
    }
    std::memset(dst, fill, static_cast<size_t>(p.pad_left) * 4);
    const int8_t* src = input + (static_cast<size_t>(b) * p.in_h + iy) * p.in_w * 3;
    int8_t* out = dst + static_cast<size_t>(p.pad_left) * 4;
    for (int ix = 0; ix + 1 < x1; ++ix) {
      uint32_t v;
      std::memcpy(&v, src + 3 * ix, 4);
      v ^= flip;
      std::memcpy(out + 4 * ix, &v, 4);
    }
    uint32_t last = 0;
    std::memcpy(&last, src + 3 * (x1 - 1), 3);
    last ^= flip;
    std::memcpy(out + 4 * (x1 - 1), &last, 4);
    std::memset(out + 4 * x1, fill, row - static_cast<size_t>(p.pad_left + x1) * 4);
  }
}

// Any other widening (e.g. 6 or 7 channels to 8, 30 to 32): pixel by pixel, then XORed whole.
void copy_widened(const PackedConv& conv, const int8_t* input, uint8_t x, int8_t* dst) {
  const ConvParams& p = conv.params;
  const ConvParams& g = conv.padded;
  const size_t cw = static_cast<size_t>(g.in_c), c = static_cast<size_t>(p.in_c);
  std::memset(dst, static_cast<int8_t>(p.input_zero_point), conv.padded_bytes);
  for (int b = 0; b < p.batch; ++b)
    for (int iy = 0; iy < p.in_h && iy + p.pad_top < g.in_h; ++iy)
      for (int ix = 0; ix < p.in_w && ix + p.pad_left < g.in_w; ++ix)
        std::memcpy(dst + ((static_cast<size_t>(b) * g.in_h + iy + p.pad_top) * g.in_w + ix + p.pad_left) * cw,
                    input + ((static_cast<size_t>(b) * p.in_h + iy) * p.in_w + ix) * c, c);
  if (x) xor_bytes(dst, conv.padded_bytes, x);
}

}  // namespace

int implicit_channels(const GemmKernel& kernel, const ConvParams& p, const OutputStage& out) {
  if (!kernel.run_implicit || !all_shift_right(out)) return 0;
  const int c4 = (p.in_c + 3) / 4 * 4;
  return 3 * c4 <= 4 * p.in_c ? c4 : 0;
}

void pack_implicit(const GemmKernel& kernel, const ConvParams& p, int channels, const int8_t* weights,
                   const int32_t* bias, const OutputStage& out, PackedConv* conv) {
  const size_t taps = static_cast<size_t>(p.kh) * p.kw;
  std::vector<int8_t> widened;
  if (channels != p.in_c) {
    widened.assign(static_cast<size_t>(p.out_c) * taps * channels, 0);
    for (size_t j = 0; j < static_cast<size_t>(p.out_c) * taps; ++j)
      std::memcpy(&widened[j * channels], weights + j * p.in_c, static_cast<size_t>(p.in_c));
    weights = widened.data();
  }
  conv->gemm = pack_gemm(kernel, weights, bias, p.out_c, static_cast<int>(taps) * channels, p.input_zero_point, out);
  ConvParams g;
  int64_t bytes = 0;
  if (!bordered_geometry(p, &g, &bytes)) g = p;  // no padding: still copied (made unsigned, widened)
  g.in_c = channels;
  conv->padded = g;
  conv->padded_bytes = static_cast<size_t>(g.batch) * g.in_h * g.in_w * channels;
  conv->implicit = true;
  for (int ky = 0; ky < p.kh; ++ky)
    for (int kx = 0; kx < p.kw; ++kx)
      conv->taps.push_back((static_cast<ptrdiff_t>(ky) * p.dilation_h * g.in_w + kx * p.dilation_w) * channels);
}

void run_implicit(const PackedConv& conv, const int8_t* input, int8_t* output, ParallelFor* pool, int8_t* image) {
  const ConvParams& p = conv.params;
  const GemmKernel& kernel = *conv.kernel;
  const int channels = conv.padded.in_c;
  if (channels == p.in_c) {
    pad_image(conv, input, image);
    if (kernel.implicit_xor) xor_bytes(image, conv.padded_bytes, kernel.implicit_xor);
  } else if (p.in_c == 3) {
    copy_widened3(conv, input, kernel.implicit_xor, image);
  } else {
    copy_widened(conv, input, kernel.implicit_xor, image);
  }
  ImplicitConvA a;
  a.image = image;
  a.row_bytes = static_cast<size_t>(conv.padded.in_w) * channels;
  a.image_bytes = a.row_bytes * conv.padded.in_h;
  a.out_h = p.out_h;
  a.out_w = p.out_w;
  a.stride_h = p.stride_h;
  a.stride_w = p.stride_w;
  a.in_c = channels;
  a.taps = conv.taps.data();
  a.ntaps = static_cast<int>(conv.taps.size());
  const int m = p.m();
  const int row_tiles = (m + kernel.mr - 1) / kernel.mr;
  const int threads = threads_of(pool);
  const int tasks = row_tiles < threads ? row_tiles : threads;
  for_each_task(pool, tasks, [&](int t) {
    int mb, me;
    share_rows(m, kernel.mr, tasks, t, &mb, &me);
    kernel.run_implicit(conv.gemm, a, mb, me, output, static_cast<size_t>(p.out_c));
  });
}

}  // namespace conv_detail
}  // namespace edgekd
