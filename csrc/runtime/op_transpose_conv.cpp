// TRANSPOSE_CONV (int8, per-channel weights, optional bias, output_shape input). A transposed convolution is a
// convolution of the input with zeros inserted between its pixels (stride - 1 per gap; the zero point, real
// 0) by the spatially flipped filter, padded by kh - 1 - pad_top at the top and kw - 1 - pad_left at the left.
// So at load the flipped weights are packed for the path's CONV_2D (the GEMM kernels), and each run writes
// the zero-inserted input into the scratch and runs that conv. The GEMM's output stage rounds as LiteRT's
// NEON block does, which covers the channels below the last multiple of 8; the others (and layers the conv
// cannot express) are recomputed by the reference kernel. See ops::TransposeConvParams for the arithmetic.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/conv/conv.h"
#include "runtime/op_quant_params.h"

namespace edgekd {
namespace {

size_t align64(size_t n) { return (n + 63) / 64 * 64; }

constexpr int kMaxStride = 1 << 12;
// The zero-inserted input is a scratch buffer; layers that would need more run on the reference kernel.
constexpr int64_t kMaxUpsampledBytes = int64_t(1) << 26;

class TransposeConvOp : public Op {
 public:
  ops::TransposeConvParams p;
  OutputStage stage;
  std::vector<int8_t> weights;  // [out_c][kh][kw][in_c], as in the file
  std::vector<int32_t> bias;    // [out_c] or empty
  OpKernel<TransposeConvFn> ref;
  bool use_conv = false;
  PackedConv conv;              // over the zero-inserted input
  size_t upsampled_bytes = 0;
  bool parallel = false;

  size_t scratch_bytes(int threads) const override {
    return use_conv ? align64(upsampled_bytes) + conv_scratch_bytes(conv, threads) : 0;
  }
  void run(const RunContext& ctx) const override {
    const int8_t* in = ctx.as<const int8_t>(inputs[0]);
    int8_t* out = ctx.as<int8_t>(outputs[0]);
    const int32_t* b = bias.empty() ? nullptr : bias.data();
    if (use_conv) {
      int8_t* up = static_cast<int8_t*>(ctx.scratch);
      upsample(in, up);
      const size_t used = align64(upsampled_bytes);
      run_conv(conv, up, out, parallel ? ctx.pool : nullptr, up + used, ctx.scratch_bytes - used);
    }
    const int first = use_conv ? p.neon_channels : 0;
    if (first < p.out_c) ref.fn(p, in, weights.data(), b, out, first, p.out_c);
  }
  std::string family() const override { return "transpose_conv"; }
  std::string kernel() const override {
    return use_conv ? std::string(conv.kernel->name) + (p.neon_channels < p.out_c ? "+" + std::string(ref.name) : "")
                    : ref.name;
  }

 private:
  // The input with stride - 1 zero-point pixels between neighbours (conv.params geometry).
  void upsample(const int8_t* in, int8_t* up) const {
    const ConvParams& g = conv.params;
    std::memset(up, static_cast<uint8_t>(p.input_zero_point), upsampled_bytes);
    for (int b = 0; b < p.batch; ++b)
      for (int y = 0; y < p.in_h; ++y)
        for (int x = 0; x < p.in_w; ++x)
          std::memcpy(up + ((int64_t(b) * g.in_h + int64_t(y) * p.stride_h) * g.in_w + int64_t(x) * p.stride_w) * p.in_c,
                      in + ((int64_t(b) * p.in_h + y) * p.in_w + x) * p.in_c, static_cast<size_t>(p.in_c));
  }
};

}  // namespace

std::unique_ptr<Op> build_transpose_conv(BuildContext& ctx) {
  ctx.expect_io(3, 4, 1);
  const int shape_t = ctx.input(0), filter = ctx.input(1), in = ctx.input(2), bias = ctx.input(3);
  const int out = ctx.output(0);
  ctx.expect_conv_operands(in, filter, out);
  const OpOptions& o = ctx.op().options;
  const std::vector<int32_t> out_shape = ctx.const_ints(shape_t, "output_shape");
  const std::vector<int>& is = ctx.tensor(in).shape;
  const std::vector<int>& fs = ctx.tensor(filter).shape;
  if (out_shape.size() != 4) ctx.fail_tensor(shape_t, "output_shape must hold 4 values");
  ctx.expect_shape(out, std::vector<int>(out_shape.begin(), out_shape.end()), "output");
  for (int d : is) if (d <= 0) ctx.fail_tensor(in, "input has an empty dimension");
  for (int d : fs) if (d <= 0) ctx.fail_tensor(filter, "filter has an empty dimension");
  for (int d : out_shape) if (d <= 0) ctx.fail_tensor(shape_t, "output_shape has an empty dimension");
  if (fs[3] != is[3])
    ctx.fail_tensor(filter, "filter input depth " + std::to_string(fs[3]) + " differs from the input's " +
                                std::to_string(is[3]));
  if (fs[0] != out_shape[3])
    ctx.fail_tensor(filter, "filter has " + std::to_string(fs[0]) + " output channels, output_shape " +
                                std::to_string(out_shape[3]));
  if (out_shape[0] != is[0]) ctx.fail_tensor(shape_t, "output_shape batch differs from the input's");
  if (o.stride_w <= 0 || o.stride_h <= 0 || o.stride_w > kMaxStride || o.stride_h > kMaxStride)
    ctx.fail("strides must be in [1, " + std::to_string(kMaxStride) + "]");
  if (o.padding != tfl::kSame && o.padding != tfl::kValid) ctx.fail("unknown padding " + std::to_string(o.padding));

  auto op = std::make_unique<TransposeConvOp>();
  ops::TransposeConvParams& p = op->p;
  p.batch = is[0]; p.in_h = is[1]; p.in_w = is[2]; p.in_c = is[3];
  p.out_h = out_shape[1]; p.out_w = out_shape[2]; p.out_c = out_shape[3];
  p.kh = fs[1]; p.kw = fs[2]; p.stride_h = o.stride_h; p.stride_w = o.stride_w;
  // LiteRT pads as a convolution from the output back to the input would (ComputePaddingHeightWidth).
  const PaddedDim ph = compute_padded_dim(p.out_h, p.kh, p.stride_h, 1, o.padding);
  const PaddedDim pw = compute_padded_dim(p.out_w, p.kw, p.stride_w, 1, o.padding);
  if (ph.out != p.in_h || pw.out != p.in_w)
    ctx.fail_tensor(shape_t, "output_shape " + std::to_string(p.out_h) + "x" + std::to_string(p.out_w) +
                                 " does not give the input's " + std::to_string(p.in_h) + "x" +
                                 std::to_string(p.in_w) + " with this filter, stride and padding");
  p.pad_top = ph.pad_before;
  p.pad_left = pw.pad_before;
  p.input_zero_point = ctx.tensor(in).zero_point;
  p.neon_channels = p.out_c / 8 * 8;
  fill_output_stage(ctx, in, filter, out, p.out_c, 0, ctx.activation(o.activation), false, &op->stage);
  p.out = op->stage.requant();
  op->bias = const_bias(ctx, bias, p.out_c);
  const int8_t* w = reinterpret_cast<const int8_t*>(ctx.tensor(filter).const_data);
  op->weights.assign(w, w + ctx.tensor(filter).elements);
  op->ref = ctx.kernels().transpose_conv;

  // The same layer as a stride-1 conv over the zero-inserted input, where the conv kernels can express it.
  ConvParams c;
  c.batch = p.batch; c.in_c = p.in_c; c.out_c = p.out_c; c.kh = p.kh; c.kw = p.kw;
  const int64_t up_h = int64_t(p.in_h - 1) * p.stride_h + 1, up_w = int64_t(p.in_w - 1) * p.stride_w + 1;
  const int64_t up_bytes = int64_t(p.batch) * up_h * up_w * p.in_c;
  c.in_h = static_cast<int>(std::min<int64_t>(up_h, INT32_MAX));
  c.in_w = static_cast<int>(std::min<int64_t>(up_w, INT32_MAX));
  c.pad_top = p.kh - 1 - p.pad_top;
  c.pad_left = p.kw - 1 - p.pad_left;
  c.out_h = p.out_h; c.out_w = p.out_w;
  c.input_zero_point = p.input_zero_point;
  if (c.pad_top >= 0 && c.pad_left >= 0 && up_bytes <= kMaxUpsampledBytes) {
    std::vector<int8_t> flipped(op->weights.size());
    const int64_t tap = p.in_c;
    for (int oc = 0; oc < p.out_c; ++oc)
      for (int fy = 0; fy < p.kh; ++fy)
        for (int fx = 0; fx < p.kw; ++fx)
          std::memcpy(&flipped[((int64_t(oc) * p.kh + (p.kh - 1 - fy)) * p.kw + (p.kw - 1 - fx)) * tap],
                      &op->weights[((int64_t(oc) * p.kh + fy) * p.kw + fx) * tap], static_cast<size_t>(tap));
    try {
      op->conv = pack_conv(ctx.kernels(), c, flipped.data(), op->bias.empty() ? nullptr : op->bias.data(), op->stage);
      op->use_conv = true;
      op->upsampled_bytes = static_cast<size_t>(up_bytes);
      op->parallel = int64_t(c.m()) * c.out_c * c.k() >= kMinParallelMacs;
    } catch (const std::invalid_argument&) {
      op->use_conv = false;  // a geometry the conv kernels refuse (windows wholly in the padding): reference
    }
  }
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
