// MAX_POOL_2D and AVERAGE_POOL_2D on int8 NHWC.
//
// LiteRT (pooling.cc Prepare, optimized/integer_ops/pooling.h; scalar on x86):
// - Output size and padding from ComputePaddingHeightWidth (dilation 1): SAME: out = ceil(in / stride),
//   pad = max(0, ((out - 1) * stride + filter - in)) / 2 (the odd extra goes after); VALID: out =
//   (in - filter + stride) / stride, pad 0.
// - Taps outside the input are skipped, not read as padding: the average divides by the number of
//   in-bounds taps only.
// - Average: int32 sum of the raw int8 values (zero points are not subtracted: input and output share
//   them), then round half away from zero by hand: sum > 0 ? (sum + n/2) / n : (sum - n/2) / n with C's
//   truncating division, then the fused activation clamp. A window with no in-bounds tap makes LiteRT fail;
//   prepare rejects it.
// - Input and output scale / zero point are only DCHECKed equal by LiteRT; the values are used as is.
#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

PoolParams prepare_pool(const Shape4& in, int filter_h, int filter_w, int stride_h, int stride_w,
                        Padding padding, float out_scale, int32_t out_zp, Activation act) {
  const char* op = "POOL_2D";
  if (in.n < 1 || in.h < 1 || in.w < 1 || in.c < 1)
    detail::fail(op, "input shape", detail::shape_str(in) + " has an empty dimension");
  if (filter_h < 1 || filter_w < 1)
    detail::fail(op, "filter size", std::to_string(filter_h) + "x" + std::to_string(filter_w) + " must be >= 1");
  if (stride_h < 1 || stride_w < 1)
    detail::fail(op, "stride", std::to_string(stride_h) + "x" + std::to_string(stride_w) + " must be >= 1");
  if (padding != Padding::kSame && padding != Padding::kValid)
    detail::fail(op, "padding", "must be SAME (0) or VALID (1)");
  PoolParams p;
  p.batch = in.n;
  p.in_h = in.h;
  p.in_w = in.w;
  p.channels = in.c;
  p.filter_h = filter_h;
  p.filter_w = filter_w;
  p.stride_h = stride_h;
  p.stride_w = stride_w;
  auto out_size = [&](int size, int filter, int stride) {
    return padding == Padding::kSame ? (size + stride - 1) / stride : (size + stride - filter) / stride;
  };
  p.out_h = out_size(in.h, filter_h, stride_h);
  p.out_w = out_size(in.w, filter_w, stride_w);
  if (p.out_h < 1 || p.out_w < 1)
    detail::fail(op, "filter size", "is larger than the input with VALID padding (empty output)");
  auto pad = [&](int size, int filter, int stride, int out) {
    if (padding == Padding::kValid) return 0;
    const int total = (out - 1) * stride + filter - size;
    return total > 0 ? total / 2 : 0;
  };
  p.pad_top = pad(in.h, filter_h, stride_h, p.out_h);
  p.pad_left = pad(in.w, filter_w, stride_w, p.out_w);
  // Every window must see at least one input pixel (LiteRT's AveragePool returns an error otherwise).
  for (int oy = 0; oy < p.out_h; ++oy) {
    const int y0 = oy * stride_h - p.pad_top;
    if (std::min(filter_h, in.h - y0) - std::max(0, -y0) <= 0)
      detail::fail(op, "padding", "leaves a pooling window with no input pixel");
  }
  for (int ox = 0; ox < p.out_w; ++ox) {
    const int x0 = ox * stride_w - p.pad_left;
    if (std::min(filter_w, in.w - x0) - std::max(0, -x0) <= 0)
      detail::fail(op, "padding", "leaves a pooling window with no input pixel");
  }
  p.act = activation_range(act, out_scale, out_zp, op);
  return p;
}

namespace {

// Visits every output pixel with its clipped window; `reduce(out_pixel, y0, y1, x0, x1, in_origin)`.
template <class F>
void for_each_window(const PoolParams& p, F reduce) {
  for (int b = 0; b < p.batch; ++b) {
    for (int oy = 0; oy < p.out_h; ++oy) {
      const int iy0 = oy * p.stride_h - p.pad_top;
      const int fy0 = std::max(0, -iy0), fy1 = std::min(p.filter_h, p.in_h - iy0);
      for (int ox = 0; ox < p.out_w; ++ox) {
        const int ix0 = ox * p.stride_w - p.pad_left;
        const int fx0 = std::max(0, -ix0), fx1 = std::min(p.filter_w, p.in_w - ix0);
        const int64_t out_index = ((int64_t(b) * p.out_h + oy) * p.out_w + ox) * p.channels;
        reduce(out_index, b, iy0 + fy0, iy0 + fy1, ix0 + fx0, ix0 + fx1);
      }
    }
  }
}

constexpr int kTranche = 256;  // channels accumulated at once (stack buffer)

}  // namespace

void max_pool_s8_ref(const PoolParams& p, const int8_t* in, int8_t* out) {
  const int C = p.channels;
  const int8_t lo = static_cast<int8_t>(p.act.min), hi = static_cast<int8_t>(p.act.max);
  for_each_window(p, [&](int64_t out_index, int b, int y0, int y1, int x0, int x1) {
    for (int c0 = 0; c0 < C; c0 += kTranche) {
      const int cn = std::min(kTranche, C - c0);
      int8_t acc[kTranche];
      for (int c = 0; c < cn; ++c) acc[c] = -128;
      for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) {
          const int8_t* src = in + ((int64_t(b) * p.in_h + y) * p.in_w + x) * C + c0;
          for (int c = 0; c < cn; ++c) acc[c] = std::max(acc[c], src[c]);
        }
      }
      int8_t* dst = out + out_index + c0;
      for (int c = 0; c < cn; ++c) dst[c] = std::min(std::max(acc[c], lo), hi);
    }
  });
}

void avg_pool_s8_ref(const PoolParams& p, const int8_t* in, int8_t* out) {
  const int C = p.channels;
  const int32_t lo = p.act.min, hi = p.act.max;
  for_each_window(p, [&](int64_t out_index, int b, int y0, int y1, int x0, int x1) {
    const int32_t count = (y1 - y0) * (x1 - x0);
    const int32_t half = count / 2;
    for (int c0 = 0; c0 < C; c0 += kTranche) {
      const int cn = std::min(kTranche, C - c0);
      int32_t acc[kTranche];
      for (int c = 0; c < cn; ++c) acc[c] = 0;
      for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) {
          const int8_t* src = in + ((int64_t(b) * p.in_h + y) * p.in_w + x) * C + c0;
          for (int c = 0; c < cn; ++c) acc[c] += src[c];
        }
      }
      int8_t* dst = out + out_index + c0;
      for (int c = 0; c < cn; ++c) {
        const int32_t s = acc[c];
        const int32_t avg = s > 0 ? (s + half) / count : (s - half) / count;
        dst[c] = clamp_to_int8(avg, lo, hi);
      }
    }
  });
}

// ------------------------------------------------------------------------------------------------
// The kernels the runtime calls: the same arithmetic, 16 channels at a time in portable GCC/Clang vector
// extensions (SSE2 on any x86-64, NEON on aarch64, no ISA flag needed). Equal to the *_ref functions above
// bit for bit (csrc/tests/test_ops.cpp compares them over random shapes).

namespace {

typedef int8_t v16i8 __attribute__((vector_size(16)));
typedef int8_t v8i8 __attribute__((vector_size(8)));
typedef int8_t v4i8 __attribute__((vector_size(4)));
typedef int16_t v8i16 __attribute__((vector_size(16)));
typedef int16_t v4i16 __attribute__((vector_size(8)));
typedef int32_t v4i32 __attribute__((vector_size(16)));
typedef float v4f32 __attribute__((vector_size(16)));

template <class V>
inline V load_vec(const int8_t* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <class V>
inline void store_vec(int8_t* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}
// Element-wise max / min through compare and select (no vector ternary: GCC and Clang differ on it).
template <class V>
inline V vmax(V a, V b) {
  const V m = a > b;
  return (a & m) | (b & ~m);
}
template <class V>
inline V vmin(V a, V b) {
  const V m = a < b;
  return (a & m) | (b & ~m);
}

constexpr int kBlock = 16;  // channels per vector

// Averages one window's int16 channel sums (n in-bounds taps, n <= 256) the reference way:
// (s > 0 ? s + n/2 : s - n/2) / n truncating, then the clamp. The division is done in float: |s +- n/2| is
// below 2^22, so the float quotient is exact or off by less than the distance to the next integer and
// truncation matches C's integer division.
inline v4i8 average4(v4i16 sum16, int32_t half, float count, v4i32 lo, v4i32 hi) {
  const v4i32 s = __builtin_convertvector(sum16, v4i32);
  const v4i32 positive = s > 0;
  const v4i32 rounded = s + ((v4i32{} + half) & positive) - ((v4i32{} + half) & ~positive);
  const v4f32 q = __builtin_convertvector(rounded, v4f32) / count;
  const v4i32 avg = __builtin_convertvector(q, v4i32);  // truncates toward zero
  return __builtin_convertvector(vmin(vmax(avg, lo), hi), v4i8);
}

}  // namespace

// Fewer channels than one vector (the first layers of small CNNs): the channel count is a template
// constant, so the per-tap loop over channels unrolls into C running maxima. The reference's tranche
// buffer costs about 80 instructions per output at 4 channels.
namespace {
template <int C>
void max_pool_s8_narrow(const PoolParams& p, const int8_t* in, int8_t* out) {
  const int8_t lo = static_cast<int8_t>(p.act.min), hi = static_cast<int8_t>(p.act.max);
  const int64_t row_stride = int64_t(p.in_w) * C;
  for_each_window(p, [&](int64_t out_index, int b, int y0, int y1, int x0, int x1) {
    const int8_t* row = in + ((int64_t(b) * p.in_h + y0) * p.in_w + x0) * C;
    int8_t m[C];
    for (int c = 0; c < C; ++c) m[c] = -128;
    for (int y = y0; y < y1; ++y, row += row_stride) {
      const int8_t* src = row;
      for (int x = x0; x < x1; ++x, src += C)
        for (int c = 0; c < C; ++c) m[c] = src[c] > m[c] ? src[c] : m[c];
    }
    for (int c = 0; c < C; ++c) out[out_index + c] = m[c] < lo ? lo : (m[c] > hi ? hi : m[c]);
  });
}

template <int... Cs>
bool max_pool_s8_narrow_any(const PoolParams& p, const int8_t* in, int8_t* out,
                            std::integer_sequence<int, Cs...>) {
  return ((p.channels == Cs + 1 ? (max_pool_s8_narrow<Cs + 1>(p, in, out), true) : false) || ...);
}
}  // namespace

void max_pool_s8(const PoolParams& p, const int8_t* in, int8_t* out) {
  const int C = p.channels;
  if (C < kBlock) {
    max_pool_s8_narrow_any(p, in, out, std::make_integer_sequence<int, kBlock - 1>{});
    return;
  }
  const v16i8 lo = v16i8{} + static_cast<int8_t>(p.act.min), hi = v16i8{} + static_cast<int8_t>(p.act.max);
  const v16i8 floor = v16i8{} + static_cast<int8_t>(-128);
  const int64_t row_stride = int64_t(p.in_w) * C;
  for_each_window(p, [&](int64_t out_index, int b, int y0, int y1, int x0, int x1) {
    const int8_t* window = in + ((int64_t(b) * p.in_h + y0) * p.in_w + x0) * C;
    const int rows = y1 - y0, cols = x1 - x0;
    int8_t* dst = out + out_index;
    auto block = [&](int c) {
      v16i8 acc = floor;
      const int8_t* row = window + c;
      for (int y = 0; y < rows; ++y, row += row_stride) {
        const int8_t* src = row;
        for (int x = 0; x < cols; ++x, src += C) acc = vmax(acc, load_vec<v16i8>(src));
      }
      store_vec(dst + c, vmin(vmax(acc, lo), hi));
    };
    int c = 0;
    for (; c + kBlock <= C; c += kBlock) block(c);
    if (c < C) block(C - kBlock);  // the tail: the last 16 channels again (same values rewritten)
  });
}

void avg_pool_s8(const PoolParams& p, const int8_t* in, int8_t* out) {
  const int C = p.channels;
  // int16 sums need at most 256 taps per window (256 * -128 = INT16_MIN).
  if (C < kBlock || int64_t(p.filter_h) * p.filter_w > 256) return avg_pool_s8_ref(p, in, out);
  const v4i32 lo = v4i32{} + p.act.min, hi = v4i32{} + p.act.max;
  const int64_t row_stride = int64_t(p.in_w) * C;
  for_each_window(p, [&](int64_t out_index, int b, int y0, int y1, int x0, int x1) {
    const int8_t* window = in + ((int64_t(b) * p.in_h + y0) * p.in_w + x0) * C;
    const int rows = y1 - y0, cols = x1 - x0;
    const int32_t count = rows * cols;
    const int32_t half = count / 2;
    const float fcount = static_cast<float>(count);
    int8_t* dst = out + out_index;
    auto block = [&](int c) {
      v8i16 s0 = {}, s1 = {};
      const int8_t* row = window + c;
      for (int y = 0; y < rows; ++y, row += row_stride) {
        const int8_t* src = row;
        for (int x = 0; x < cols; ++x, src += C) {
          s0 += __builtin_convertvector(load_vec<v8i8>(src), v8i16);
          s1 += __builtin_convertvector(load_vec<v8i8>(src + 8), v8i16);
        }
      }
      store_vec(dst + c, average4(__builtin_shufflevector(s0, s0, 0, 1, 2, 3), half, fcount, lo, hi));
      store_vec(dst + c + 4, average4(__builtin_shufflevector(s0, s0, 4, 5, 6, 7), half, fcount, lo, hi));
      store_vec(dst + c + 8, average4(__builtin_shufflevector(s1, s1, 0, 1, 2, 3), half, fcount, lo, hi));
      store_vec(dst + c + 12, average4(__builtin_shufflevector(s1, s1, 4, 5, 6, 7), half, fcount, lo, hi));
    };
    int c = 0;
    for (; c + kBlock <= C; c += kBlock) block(c);
    if (c < C) block(C - kBlock);
  });
}

}  // namespace ops
}  // namespace edgekd
