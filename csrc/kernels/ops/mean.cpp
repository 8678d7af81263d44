// MEAN on int8 (reduce.cc EvalMean, LiteRT 2.3.0 with the builtin, "generic optimized" kernels).
//
// Two different arithmetics, chosen like reduce.cc chooses them:
// 1. keep_dims && rank 4 && the axes resolve to exactly {1, 2} (global average pooling written as MEAN):
//    optimized/integer_ops/mean.h. Sum of the RAW int8 values (zero point not subtracted), then
//      real_scale = s_in / (float(H * W) * s_out)      (float arithmetic), QuantizeMultiplier -> (m, e)
//      bias       = z_out - trunc(z_in * s_in / s_out +- 0.5f)   (float, rounded half away from zero)
//      out        = clamp(MBQM(sum, m, e) + bias, -128, 127)
//    Channels are processed in blocks of 16 from 0 by the kernel's NEON branch (compiled into the x86 wheel
//    via NEON_2_SSE; LiteRT runs MEAN single-threaded by default), whose final shift rounds half UP
//    (MultiplyByQuantizedMultiplier4Rows); the channel tail uses MBQM (half away from zero).
// 2. Anything else (keep_dims false, other axes, other ranks): reference_ops::QuantizedMeanOrSum with
//    the multiplier from PrepareMeanOrSum: QuantizeMultiplier(double(s_in) / double(s_out)) -> (m, e), then
//    the element count n is folded in: k = min(floor(log2 n), 32, 31 + e); m' = (int64(m) << k) / n
//    (truncating), e' = e - k;  out = clamp(MBQM(int32(sum - z_in * n), m', e') + z_out, -128, 127).
// No fused activation exists for MEAN.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

Shape4 MeanParams::out_shape() const {
  return {reduce[0] ? 1 : in.n, reduce[1] ? 1 : in.h, reduce[2] ? 1 : in.w, reduce[3] ? 1 : in.c};
}

MeanParams prepare_mean(const int* in_dims, int rank, const int32_t* axes, int num_axes, bool keep_dims,
                        float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "MEAN";
  if (rank < 1 || rank > 4) detail::fail(op, "input rank", "must be 1..4, got " + std::to_string(rank));
  if (num_axes < 0 || (num_axes > 0 && axes == nullptr)) detail::fail(op, "axis", "is missing");
  detail::check_scale(op, "input scale", in_scale);
  detail::check_scale(op, "output scale", out_scale);
  detail::check_zero_point(op, "input zero point", in_zp);
  detail::check_zero_point(op, "output zero point", out_zp);
  MeanParams p;
  p.in = shape4(in_dims, rank);
  if (p.in.size() == 0) detail::fail(op, "input shape", "is empty");
  // ResolveAxis: negative axes count from the end; duplicates collapse.
  std::vector<int> resolved;
  for (int i = 0; i < num_axes; ++i) {
    int a = axes[i];
    if (a < -rank || a >= rank)
      detail::fail(op, "axis", std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    if (a < 0) a += rank;
    if (std::find(resolved.begin(), resolved.end(), a) == resolved.end()) resolved.push_back(a);
  }
  for (int a : resolved) p.reduce[a + (4 - rank)] = true;
  p.num_reduced = 1;
  for (int d = 0; d < 4; ++d)
    if (p.reduce[d]) p.num_reduced *= p.in.dim(d);
  p.input_zp = in_zp;
  p.output_zp = out_zp;

  p.hw_fast_path = keep_dims && rank == 4 && resolved.size() == 2 &&
                   std::find(resolved.begin(), resolved.end(), 1) != resolved.end() &&
                   std::find(resolved.begin(), resolved.end(), 2) != resolved.end();
  if (p.hw_fast_path) {
    const float num = static_cast<float>(p.in.h * p.in.w);
    float temp = in_zp * in_scale / out_scale;
    temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
    p.bias = static_cast<int32_t>(static_cast<uint32_t>(out_zp) - static_cast<uint32_t>(detail::truncate_to_int32_x86(temp)));
    const float real_scale = in_scale / (num * out_scale);
    detail::quantize_multiplier(real_scale, &p.multiplier, &p.shift);
  } else {
    int32_t m = 0;
    int e = 0;
    detail::quantize_multiplier(static_cast<double>(in_scale) / static_cast<double>(out_scale), &m, &e);
    const uint64_t n = static_cast<uint64_t>(p.num_reduced);
    int k = 63 - __builtin_clzll(n);
    k = std::min(k, 32);
    k = std::min(k, 31 + e);
    p.multiplier = static_cast<int32_t>((static_cast<int64_t>(m) << k) / static_cast<int64_t>(n));
    p.shift = e - k;
  }
  return p;
}

namespace {

// MEAN over height and width with keep_dims (every MobileNet's global pool): per image, sum each channel
// over the pixels in uint32 (the int32 wrap the general path gets by truncating its int64 sums), pixel
// rows added as contiguous vectors, in a per-thread buffer that is allocated once.
void mean_hw_s8(const MeanParams& p, const int8_t* in, int8_t* out) {
  const int C = p.in.c;
  static thread_local std::vector<uint32_t> acc;
  if (acc.size() < static_cast<size_t>(C)) acc.resize(static_cast<size_t>(C));
  uint32_t* a = acc.data();
  const int64_t pixels = int64_t(p.in.h) * p.in.w;
  const int split = C - C % 16;
  for (int n = 0; n < p.in.n; ++n) {
    std::fill(a, a + C, 0u);
    const int8_t* src = in + n * pixels * C;
    for (int64_t px = 0; px < pixels; ++px, src += C)
      for (int c = 0; c < C; ++c) a[c] += static_cast<uint32_t>(static_cast<int32_t>(src[c]));
    int8_t* dst = out + int64_t(n) * C;
    for (int c = 0; c < C; ++c) {
      const int32_t s = static_cast<int32_t>(a[c]);
      const int32_t v = c < split ? detail::mbqm_neon_rows(s, p.multiplier, p.shift)
                                  : multiply_by_quantized_multiplier(s, p.multiplier, p.shift);
      dst[c] = clamp_to_int8(wrap_add(v, p.bias), -128, 127);
    }
  }
}

}  // namespace

void mean_s8(const MeanParams& p, const int8_t* in, int8_t* out) {
  if (p.hw_fast_path) {
    mean_hw_s8(p, in, out);
    return;
  }
  const Shape4 o = p.out_shape();
  const int64_t out_size = o.size();
  std::vector<int64_t> acc(static_cast<size_t>(out_size), 0);
  const int C = p.in.c;
  for (int n = 0; n < p.in.n; ++n) {
    for (int h = 0; h < p.in.h; ++h) {
      for (int w = 0; w < p.in.w; ++w) {
        const int8_t* src = in + ((int64_t(n) * p.in.h + h) * p.in.w + w) * C;
        const int64_t base = ((int64_t(p.reduce[0] ? 0 : n) * o.h + (p.reduce[1] ? 0 : h)) * o.w +
                              (p.reduce[2] ? 0 : w)) * o.c;
        int64_t* dst = acc.data() + base;
        if (p.reduce[3]) {
          int32_t s = 0;
          for (int c = 0; c < C; ++c) s += src[c];
          dst[0] += s;
        } else {
          for (int c = 0; c < C; ++c) dst[c] += src[c];
        }
      }
    }
  }
  const int64_t zp_total = int64_t(p.input_zp) * p.num_reduced;
  for (int64_t i = 0; i < out_size; ++i) {
    // int32 wrap as LiteRT's int32 temp_sum does (exact for any real tensor size).
    const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(acc[i] - zp_total));
    const int32_t v = multiply_by_quantized_multiplier(shifted, p.multiplier, p.shift);
    out[i] = clamp_to_int8(wrap_add(v, p.output_zp), -128, 127);
  }
}

}  // namespace ops
}  // namespace edgekd
