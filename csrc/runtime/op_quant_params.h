// Requantization multipliers as LiteRT's Prepare computes them for the conv-like ops, and the constant
// weight / bias fetches they share.
#pragma once
#include <cstring>
#include <vector>

#include "model/tflite_schema.h"
#include "runtime/op.h"

namespace edgekd {

// CONV_2D / DEPTHWISE_CONV_2D / per-channel FULLY_CONNECTED (kernel_util.cc
// PopulateConvolutionQuantizationParams): M[c] = double(s_in) * double(s_w[c]) / double(s_out), with s_w[0]
// for every channel when the filter is quantized per tensor.
// Per-tensor FULLY_CONNECTED (GetQuantizedConvolutionMultipler) multiplies s_in * s_w in float first:
// pass float_product = true.
inline void fill_output_stage(BuildContext& ctx, int input, int filter, int output, int channels,
                              int quantized_dimension_expected, ops::Activation act, bool float_product,
                              OutputStage* out) {
  const RtTensor& w = ctx.tensor(filter);
  if (!w.quantized) ctx.fail_tensor(filter, "filter has no quantization parameters");
  const QuantDef& q = *w.quant;
  const size_t ns = q.scale.size();
  if (ns != 1 && ns != static_cast<size_t>(channels))
    ctx.fail_tensor(filter, "filter has " + std::to_string(ns) + " scales; expected 1 or " + std::to_string(channels));
  if (ns > 1 && q.quantized_dimension != quantized_dimension_expected)
    ctx.fail_tensor(filter, "filter is quantized along dimension " + std::to_string(q.quantized_dimension) +
                                ", expected " + std::to_string(quantized_dimension_expected));
  for (int64_t zp : q.zero_point)
    if (zp != 0) ctx.fail_tensor(filter, "filter zero point must be 0 (symmetric int8 weights), is " + std::to_string(zp));
  const RtTensor& in = ctx.tensor(input);
  const RtTensor& o = ctx.tensor(output);
  out->multiplier.resize(channels);
  out->shift.resize(channels);
  for (int c = 0; c < channels; ++c) {
    const float ws = q.scale[ns == 1 ? 0 : c];
    const double real = float_product ? static_cast<double>(in.scale * ws) / static_cast<double>(o.scale)
                                      : static_cast<double>(in.scale) * static_cast<double>(ws) / static_cast<double>(o.scale);
    int32_t m, s;
    quantize_multiplier(real, &m, &s);
    out->multiplier[c] = m;
    out->shift[c] = s;
  }
  out->output_zero_point = o.zero_point;
  const ops::ActRange r = ops::activation_range(act, o.scale, o.zero_point, describe_op(ctx.op()).c_str());
  out->act_min = r.min;
  out->act_max = r.max;
}

// Bias [channels] int32 (copied so that it is aligned), empty when the op has none.
inline std::vector<int32_t> const_bias(BuildContext& ctx, int bias, int channels) {
  std::vector<int32_t> out;
  if (bias < 0) return out;
  ctx.expect_type(bias, tfl::kInt32, "bias");
  ctx.expect_constant(bias, "bias");
  ctx.expect_elements(bias, channels, "bias");
  out.resize(channels);
  std::memcpy(out.data(), ctx.tensor(bias).const_data, sizeof(int32_t) * channels);
  return out;
}

}  // namespace edgekd
