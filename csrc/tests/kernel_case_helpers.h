// What the int8 kernel tests (conv, depthwise conv, GEMM) build their cases from and report with: random
// int8 tensors, per-channel bias and output stage, depthwise shapes, and the first byte where a path's
// output differs from the reference.
#pragma once
#include <cstddef>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "edgekd/quant.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/kernels.h"

namespace edgekd_test {

// The operands of one int8 case: activations, weights, and per output channel a bias and the output stage.
struct Int8Operands {
  std::vector<int8_t> input, weights;
  std::vector<int32_t> bias;
  edgekd::OutputStage out;
};

// `n` bytes uniform in [lo, hi], drawn in order from `gen`.
inline std::vector<int8_t> random_int8(std::mt19937& gen, size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(dist(gen));
  return v;
}

// One output channel: its bias and the real scale its multiplier and shift encode.
struct ChannelStage {
  int32_t bias;
  double scale;
};

// Sizes the bias and the output stage's multiplier/shift to `channels` and fills channel j from
// stage_of(j), called once per channel in order (so a case draws its random numbers in a fixed order).
template <class StageOf>
void fill_channels(Int8Operands* ops, int channels, StageOf stage_of) {
  ops->bias.resize(channels);
  ops->out.multiplier.resize(channels);
  ops->out.shift.resize(channels);
  for (int j = 0; j < channels; ++j) {
    const ChannelStage s = stage_of(j);
    ops->bias[j] = s.bias;
    edgekd::quantize_multiplier(s.scale, &ops->out.multiplier[j], &ops->out.shift[j]);
  }
}

// A depthwise layer's shape before padding (compute_dwconv_padding): batch 1, input zero point 0.
inline edgekd::DwConvParams dwconv_shape(int h, int w, int c, int dm, int kh, int kw, int sh = 1, int sw = 1,
                                         int dh = 1, int dw = 1) {
  edgekd::DwConvParams p;
  p.in_h = h;
  p.in_w = w;
  p.in_c = c;
  p.depth_multiplier = dm;
  p.kh = kh;
  p.kw = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.dilation_h = dh;
  p.dilation_w = dw;
  return p;
}

// "" when `got` equals `want`, else where they first differ, as [row][column] of rows `row_len` bytes
// long (a pixel's channels, or a GEMM output row with its stride), and both bytes.
inline std::string first_difference(const std::vector<int8_t>& got, const std::vector<int8_t>& want,
                                    size_t row_len) {
  if (got.size() != want.size())
    return "got " + std::to_string(got.size()) + " bytes, want " + std::to_string(want.size());
  for (size_t i = 0; i < want.size(); ++i)
    if (got[i] != want[i]) {
      std::ostringstream os;
      os << "first difference at flat index " << i << " ([" << i / row_len << "][" << i % row_len
         << "]): got " << int(got[i]) << ", want " << int(want[i]);
      return os.str();
    }
  return "";
}

}  // namespace edgekd_test
