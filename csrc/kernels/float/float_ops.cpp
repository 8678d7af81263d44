// float32 elementwise, pooling, reduction and layout kernels (see float_ops.h).
#include "kernels/float/float_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

namespace edgekd {
namespace fops {
namespace {

inline float clampf(float v, Clamp c) { return std::min(std::max(v, c.lo), c.hi); }

template <class F>
void binary_loop(const ops::Shape4& s1, const float* a, const ops::Shape4& s2, const float* b, float* out, Clamp c,
                 F f) {
  if (s1 == s2) {
    for (int64_t i = 0, n = s1.size(); i < n; ++i) out[i] = clampf(f(a[i], b[i]), c);
    return;
  }
  const ops::Shape4 o = ops::broadcast_shape(s1, s2, "float binary op");
  // Strides per NHWC dimension, 0 where an operand broadcasts.
  auto strides = [](const ops::Shape4& s, int64_t st[4]) {
    int64_t acc = 1;
    for (int d = 3; d >= 0; --d) {
      st[d] = s.dim(d) == 1 ? 0 : acc;
      acc *= s.dim(d);
    }
  };
  int64_t sa[4] = {0, 0, 0, 0}, sb[4] = {0, 0, 0, 0};
  strides(s1, sa);
  strides(s2, sb);
  for (int n = 0; n < o.n; ++n)
    for (int h = 0; h < o.h; ++h)
      for (int w = 0; w < o.w; ++w) {
        const float* pa = a + n * sa[0] + h * sa[1] + w * sa[2];
        const float* pb = b + n * sb[0] + h * sb[1] + w * sb[2];
        for (int ch = 0; ch < o.c; ++ch, ++out) *out = clampf(f(pa[ch * sa[3]], pb[ch * sb[3]]), c);
      }
}

}  // namespace

Clamp activation_clamp(ops::Activation act) {
  const float inf = std::numeric_limits<float>::infinity();
  switch (act) {
    case ops::Activation::kNone: return {-inf, inf};
    case ops::Activation::kRelu: return {0.0f, inf};
    case ops::Activation::kReluN1To1: return {-1.0f, 1.0f};
    case ops::Activation::kRelu6: return {0.0f, 6.0f};
    default: throw std::invalid_argument("fused activation TANH / SIGN_BIT is not supported");
  }
}

void binary_f32(Binary op, const ops::Shape4& s1, const float* a, const ops::Shape4& s2, const float* b, float* out,
                Clamp clamp) {
  if (op == Binary::kAdd) {
    binary_loop(s1, a, s2, b, out, clamp, [](float x, float y) { return x + y; });
  } else {
    binary_loop(s1, a, s2, b, out, clamp, [](float x, float y) { return x * y; });
  }
}

void unary_f32(Unary op, const float* in, float* out, size_t n) {
  switch (op) {
    case Unary::kRelu: for (size_t i = 0; i < n; ++i) out[i] = std::max(in[i], 0.0f); break;
    case Unary::kRelu6: for (size_t i = 0; i < n; ++i) out[i] = std::min(std::max(in[i], 0.0f), 6.0f); break;
    case Unary::kReluN1To1: for (size_t i = 0; i < n; ++i) out[i] = std::min(std::max(in[i], -1.0f), 1.0f); break;
    case Unary::kLogistic: for (size_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-in[i])); break;
    case Unary::kTanh: for (size_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]); break;
    case Unary::kHardSwish:
      for (size_t i = 0; i < n; ++i) out[i] = in[i] * std::min(std::max(in[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
      break;
  }
}

void softmax_f32(const float* in, float* out, int64_t outer, int depth, float beta) {
  for (int64_t r = 0; r < outer; ++r, in += depth, out += depth) {
    const float mx = *std::max_element(in, in + depth);
    float sum = 0.0f;
    for (int i = 0; i < depth; ++i) sum += out[i] = std::exp((in[i] - mx) * beta);
    const float inv = 1.0f / sum;
    for (int i = 0; i < depth; ++i) out[i] *= inv;
  }
}

namespace {

// For each output pixel: the window's taps inside the input, folded by `reduce` (init, step, finish).
template <class Init, class Step, class Finish>
void pool_loop(const ops::PoolParams& p, const float* in, float* out, Init init, Step step, Finish finish) {
  const int C = p.channels;
  std::vector<float> acc(static_cast<size_t>(C));
  for (int b = 0; b < p.batch; ++b)
    for (int oy = 0; oy < p.out_h; ++oy)
      for (int ox = 0; ox < p.out_w; ++ox, out += C) {
        const int y0 = std::max(0, oy * p.stride_h - p.pad_top);
        const int y1 = std::min(p.in_h, oy * p.stride_h - p.pad_top + p.filter_h);
        const int x0 = std::max(0, ox * p.stride_w - p.pad_left);
        const int x1 = std::min(p.in_w, ox * p.stride_w - p.pad_left + p.filter_w);
        init(acc.data());
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) step(acc.data(), in + ((static_cast<size_t>(b) * p.in_h + y) * p.in_w + x) * C);
        finish(acc.data(), out, (y1 - y0) * (x1 - x0));
      }
}

}  // namespace

void max_pool_f32(const ops::PoolParams& p, const float* in, float* out, Clamp clamp) {
  const int C = p.channels;
  pool_loop(
      p, in, out, [C](float* a) { std::fill(a, a + C, -std::numeric_limits<float>::infinity()); },
      [C](float* a, const float* x) {
        for (int c = 0; c < C; ++c) a[c] = std::max(a[c], x[c]);
      },
      [C, clamp](const float* a, float* o, int) {
        for (int c = 0; c < C; ++c) o[c] = clampf(a[c], clamp);
      });
}

void avg_pool_f32(const ops::PoolParams& p, const float* in, float* out, Clamp clamp) {
  const int C = p.channels;
  pool_loop(
      p, in, out, [C](float* a) { std::fill(a, a + C, 0.0f); },
      [C](float* a, const float* x) {
        for (int c = 0; c < C; ++c) a[c] += x[c];
      },
      [C, clamp](const float* a, float* o, int taps) {
        for (int c = 0; c < C; ++c) o[c] = clampf(a[c] / static_cast<float>(taps), clamp);
      });
}

void mean_f32(const ops::MeanParams& p, const float* in, float* out) {
  const ops::Shape4 o = p.out_shape();
  std::fill(out, out + o.size(), 0.0f);
  // Output strides per NHWC dimension, 0 on reduced ones.
  int64_t st[4], acc = 1;
  for (int d = 3; d >= 0; --d) {
    st[d] = p.reduce[d] ? 0 : acc;
    acc *= o.dim(d);
  }
  for (int n = 0; n < p.in.n; ++n)
    for (int h = 0; h < p.in.h; ++h)
      for (int w = 0; w < p.in.w; ++w) {
        float* dst = out + n * st[0] + h * st[1] + w * st[2];
        if (st[3]) {
          for (int c = 0; c < p.in.c; ++c) dst[c] += in[c];
        } else {
          for (int c = 0; c < p.in.c; ++c) dst[0] += in[c];
        }
        in += p.in.c;
      }
  const float count = static_cast<float>(p.num_reduced);
  for (int64_t i = 0; i < o.size(); ++i) out[i] /= count;
}

void pad_f32(const ops::PadParams& p, const float* in, float* out, float value) {
  const ops::Shape4& s = p.in;
  std::fill(out, out + p.out.size(), value);
  for (int n = 0; n < s.n; ++n)
    for (int h = 0; h < s.h; ++h)
      for (int w = 0; w < s.w; ++w, in += s.c) {
        const int64_t at =
            ((int64_t(n + p.before[0]) * p.out.h + h + p.before[1]) * p.out.w + w + p.before[2]) * p.out.c + p.before[3];
        std::memcpy(out + at, in, sizeof(float) * static_cast<size_t>(s.c));
      }
}

void concat_f32(const ops::ConcatParams& p, const float* const* inputs, float* out) {
  for (int64_t k = 0; k < p.outer; ++k)
    for (size_t i = 0; i < p.inputs.size(); ++i) {
      const int64_t n = p.inputs[i].copy_size;
      std::memcpy(out, inputs[i] + k * n, sizeof(float) * static_cast<size_t>(n));
      out += n;
    }
}

}  // namespace fops
}  // namespace edgekd
