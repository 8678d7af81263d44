// float32 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED on the float kernels of the model's path
// (KernelTable::gemm_f32, dwconv_f32; csrc/kernels/float). Weights are packed once at load.
#include <cstring>

#include "kernels/float/float_kernels.h"
#include "kernels/float/float_ops.h"
#include "model/tflite_schema.h"
#include "runtime/op_float.h"

namespace edgekd {
namespace {

class FloatConvOp : public Op {
 public:
  PackedConvF32 packed;
  bool parallel = true;
  void run(const RunContext& ctx) const override {
    run_conv_f32(packed, ctx.as<const float>(inputs[0]), ctx.as<float>(outputs[0]), parallel ? ctx.pool : nullptr,
                 ctx.scratch);
  }
  size_t scratch_bytes(int num_threads) const override { return conv_f32_scratch_bytes(packed, num_threads); }
  std::string family() const override { return "gemm_f32"; }
  std::string kernel() const override { return packed.kernel->name; }
};

class FloatDwConvOp : public Op {
 public:
  DwConvF32Params p;
  const DwConvF32Kernel* k = nullptr;
  std::vector<float> weights, bias;
  bool parallel = true;
  void run(const RunContext& ctx) const override {
    run_dwconv_f32(*k, p, weights.data(), bias.data(), ctx.as<const float>(inputs[0]), ctx.as<float>(outputs[0]),
                   parallel ? ctx.pool : nullptr);
  }
  std::string family() const override { return "depthwise_conv2d_f32"; }
  std::string kernel() const override { return k->name; }
};

class FloatFullyConnectedOp : public Op {
 public:
  const GemmF32Kernel* k = nullptr;
  PackedGemmF32 packed;
  int batch = 1;
  bool parallel = true;
  void run(const RunContext& ctx) const override {
    run_gemm_f32(*k, packed, batch, ctx.as<const float>(inputs[0]), static_cast<size_t>(packed.k),
                 ctx.as<float>(outputs[0]), static_cast<size_t>(packed.n), parallel ? ctx.pool : nullptr);
  }
  std::string family() const override { return "gemm_f32"; }
  std::string kernel() const override { return k->name; }
};

// The operands every float weighted op shares: float32 input (not constant) and output, a constant float32
// filter of `rank`, and an optional constant float32 bias of `channels` values (zeros when absent).
std::vector<float> float_operands(BuildContext& ctx, size_t filter_rank, int channels_dim) {
  const int in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
  ctx.expect_type(in, tfl::kFloat32, "input");
  ctx.expect_not_constant(in, "input");
  ctx.expect_type(out, tfl::kFloat32, "output");
  ctx.expect_type(filter, tfl::kFloat32, "filter");
  ctx.expect_constant(filter, "filter");
  ctx.expect_rank(filter, filter_rank, "filter");
  for (int d : ctx.tensor(filter).shape) if (d <= 0) ctx.fail_tensor(filter, "filter has an empty dimension");
  const int channels = ctx.tensor(filter).shape[static_cast<size_t>(channels_dim)];
  std::vector<float> b(static_cast<size_t>(channels), 0.0f);
  if (bias >= 0) {
    ctx.expect_type(bias, tfl::kFloat32, "bias");
    ctx.expect_constant(bias, "bias");
    ctx.expect_elements(bias, channels, "bias");
    std::memcpy(b.data(), ctx.tensor(bias).const_data, b.size() * sizeof(float));
  }
  return b;
}

// A constant's values, copied (the model's buffers need not be 4-byte aligned).
std::vector<float> const_floats(BuildContext& ctx, int t) {
  std::vector<float> v(static_cast<size_t>(ctx.tensor(t).elements));
  std::memcpy(v.data(), ctx.tensor(t).const_data, v.size() * sizeof(float));
  return v;
}

// Strides, dilations, padding and the output size of a 2-D window op over a 4-D input; checks the output.
struct Window {
  int out_h = 0, out_w = 0, pad_top = 0, pad_left = 0;
};
Window conv_window(BuildContext& ctx, int in, int kh, int kw, int out_c) {
  const OpOptions& o = ctx.op().options;
  ctx.expect_rank(in, 4, "input");
  const std::vector<int>& is = ctx.tensor(in).shape;
  for (int d : is) if (d <= 0) ctx.fail_tensor(in, "input has an empty dimension");
  if (o.stride_w <= 0 || o.stride_h <= 0) ctx.fail("strides must be positive");
  if (o.dilation_w <= 0 || o.dilation_h <= 0) ctx.fail("dilation factors must be positive");
  if (o.padding != tfl::kSame && o.padding != tfl::kValid) ctx.fail("unknown padding " + std::to_string(o.padding));
  const PaddedDim ph = compute_padded_dim(is[1], kh, o.stride_h, o.dilation_h, o.padding);
  const PaddedDim pw = compute_padded_dim(is[2], kw, o.stride_w, o.dilation_w, o.padding);
  if (ph.out <= 0 || pw.out <= 0) ctx.fail("the filter is larger than the (padded) input");
  ctx.expect_shape(ctx.output(0), {is[0], ph.out, pw.out, out_c}, "output");
  return {ph.out, pw.out, ph.pad_before, pw.pad_before};
}

}  // namespace

std::unique_ptr<Op> build_float_conv2d(BuildContext& ctx) {
  ctx.expect_io(2, 3, 1);
  const std::vector<float> bias = float_operands(ctx, 4, 0);
  const int in = ctx.input(0), filter = ctx.input(1);
  const OpOptions& o = ctx.op().options;
  const std::vector<int>& fs = ctx.tensor(filter).shape;
  const Window win = conv_window(ctx, in, fs[1], fs[2], fs[0]);
  const std::vector<int>& is = ctx.tensor(in).shape;
  if (fs[3] != is[3])
    ctx.fail_tensor(filter, "filter input depth " + std::to_string(fs[3]) + " differs from the input's " +
                                std::to_string(is[3]) + " (grouped convolution is not supported)");
  ConvF32Params p;
  p.batch = is[0]; p.in_h = is[1]; p.in_w = is[2]; p.in_c = is[3];
  p.out_c = fs[0]; p.kh = fs[1]; p.kw = fs[2];
  p.stride_h = o.stride_h; p.stride_w = o.stride_w; p.dilation_h = o.dilation_h; p.dilation_w = o.dilation_w;
  p.out_h = win.out_h; p.out_w = win.out_w; p.pad_top = win.pad_top; p.pad_left = win.pad_left;
  const fops::Clamp clamp = fops::activation_clamp(ctx.activation(o.activation));
  auto op = std::make_unique<FloatConvOp>();
  op->packed = pack_conv_f32(*ctx.kernels().gemm_f32, p, const_floats(ctx, filter).data(), bias.data(), clamp.lo, clamp.hi);
  op->parallel = int64_t(p.m()) * p.out_c * p.k() >= kMinParallelMacs;
  op->inputs = {in};
  op->outputs = {ctx.output(0)};
  return op;
}

std::unique_ptr<Op> build_float_depthwise_conv2d(BuildContext& ctx) {
  ctx.expect_io(2, 3, 1);
  auto op = std::make_unique<FloatDwConvOp>();
  op->bias = float_operands(ctx, 4, 3);
  const int in = ctx.input(0), filter = ctx.input(1);
  const OpOptions& o = ctx.op().options;
  const std::vector<int>& fs = ctx.tensor(filter).shape;
  if (fs[0] != 1) ctx.fail_tensor(filter, "depthwise filter must have shape [1, kh, kw, channels]");
  const Window win = conv_window(ctx, in, fs[1], fs[2], fs[3]);
  const std::vector<int>& is = ctx.tensor(in).shape;
  if (fs[3] % is[3] != 0)
    ctx.fail_tensor(filter, "filter channels " + std::to_string(fs[3]) + " are not a multiple of the input's " +
                                std::to_string(is[3]));
  DwConvF32Params& p = op->p;
  p.batch = is[0]; p.in_h = is[1]; p.in_w = is[2]; p.in_c = is[3]; p.depth_multiplier = fs[3] / is[3];
  if (o.depth_multiplier != 0 && o.depth_multiplier != p.depth_multiplier)
    ctx.fail("depth_multiplier " + std::to_string(o.depth_multiplier) + " disagrees with the filter (" +
             std::to_string(p.depth_multiplier) + ")");
  p.kh = fs[1]; p.kw = fs[2];
  p.stride_h = o.stride_h; p.stride_w = o.stride_w; p.dilation_h = o.dilation_h; p.dilation_w = o.dilation_w;
  p.out_h = win.out_h; p.out_w = win.out_w; p.pad_top = win.pad_top; p.pad_left = win.pad_left;
  const fops::Clamp clamp = fops::activation_clamp(ctx.activation(o.activation));
  p.lo = clamp.lo;
  p.hi = clamp.hi;
  op->weights = const_floats(ctx, filter);
  op->k = ctx.kernels().dwconv_f32;
  op->parallel = int64_t(p.batch) * p.out_h * p.out_w * fs[3] * p.kh * p.kw >= kMinParallelMacs;
  op->inputs = {in};
  op->outputs = {ctx.output(0)};
  return op;
}

std::unique_ptr<Op> build_float_fully_connected(BuildContext& ctx) {
  ctx.expect_io(2, 3, 1);
  const std::vector<float> bias = float_operands(ctx, 2, 0);
  const int in = ctx.input(0), filter = ctx.input(1), out = ctx.output(0);
  const OpOptions& o = ctx.op().options;
  if (o.weights_format != 0) ctx.fail("only the DEFAULT weights format is supported");
  const int units = ctx.tensor(filter).shape[0], depth = ctx.tensor(filter).shape[1];
  const RtTensor& x = ctx.tensor(in);
  if (x.shape.empty() || x.elements % depth != 0)
    ctx.fail_tensor(in, "input has " + std::to_string(x.elements) + " elements, not a multiple of the filter depth " +
                            std::to_string(depth));
  const int batch = static_cast<int>(x.elements / depth);
  ctx.expect_elements(out, int64_t(batch) * units, "output");
  if (ctx.tensor(out).shape.back() != units) ctx.fail_tensor(out, "output's last dimension must be the number of units");
  const fops::Clamp clamp = fops::activation_clamp(ctx.activation(o.activation));
  auto op = std::make_unique<FloatFullyConnectedOp>();
  op->k = ctx.kernels().gemm_f32;
  pack_gemm_f32(*op->k, const_floats(ctx, filter).data(), bias.data(), units, depth, clamp.lo, clamp.hi, &op->packed);
  op->batch = batch;
  op->parallel = int64_t(batch) * units * depth >= kMinParallelMacs;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
