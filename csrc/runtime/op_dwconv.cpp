// DEPTHWISE_CONV_2D on the depthwise kernels (csrc/kernels/dwconv): weights packed once for the path.
#include "kernels/dwconv/dwconv.h"
#include "runtime/op_quant_params.h"
#include "runtime/thread_pool.h"

namespace edgekd {
namespace {

class DepthwiseConv2DOp : public Op {
 public:
  const DwConvKernel* kernel_fn = nullptr;
  PackedDwConv packed;
  bool parallel = true;
  void run(const RunContext& ctx) const override {
    run_dwconv(*kernel_fn, packed, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]),
               parallel ? ctx.pool : nullptr, ctx.scratch, ctx.scratch_bytes);
  }
  size_t scratch_bytes(int) const override { return dwconv_scratch_bytes(packed); }
  int band_rows() const override { return packed.params.batch == 1 ? packed.params.out_h : 0; }
  void run_band(const RunContext& ctx, int r0, int r1) const override {
    run_dwconv_rows(*kernel_fn, packed, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]), r0, r1,
                    ctx.scratch, ctx.scratch_bytes);
  }
  std::string family() const override { return "dwconv"; }
  std::string kernel() const override { return packed.variant && *packed.variant ? packed.variant : kernel_fn->name; }
};

}  // namespace

std::unique_ptr<Op> build_depthwise_conv2d(BuildContext& ctx) {
  ctx.expect_io(2, 3, 1);
  const int in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
  const OpOptions& o = ctx.op().options;
  ctx.expect_conv_operands(in, filter, out);
  const std::vector<int>& is = ctx.tensor(in).shape;
  const std::vector<int>& fs = ctx.tensor(filter).shape;
  for (int d : is) if (d <= 0) ctx.fail_tensor(in, "input has an empty dimension");
  for (int d : fs) if (d <= 0) ctx.fail_tensor(filter, "filter has an empty dimension");
  if (fs[0] != 1) ctx.fail_tensor(filter, "depthwise filter must have shape [1, kh, kw, channels]");
  const int out_c = fs[3];
  if (out_c % is[3] != 0)
    ctx.fail_tensor(filter, "filter channels " + std::to_string(out_c) + " are not a multiple of the input's " +
                                std::to_string(is[3]));
  const int dm = out_c / is[3];
  if (o.depth_multiplier != 0 && o.depth_multiplier != dm)
    ctx.fail("depth_multiplier " + std::to_string(o.depth_multiplier) + " disagrees with the filter (" +
             std::to_string(dm) + ")");
  if (o.stride_w <= 0 || o.stride_h <= 0) ctx.fail("strides must be positive");
  if (o.dilation_w <= 0 || o.dilation_h <= 0) ctx.fail("dilation factors must be positive");
  if (o.padding != tfl::kSame && o.padding != tfl::kValid) ctx.fail("unknown padding " + std::to_string(o.padding));

  DwConvParams p;
  p.batch = is[0]; p.in_h = is[1]; p.in_w = is[2]; p.in_c = is[3]; p.depth_multiplier = dm;
  p.kh = fs[1]; p.kw = fs[2];
  p.stride_h = o.stride_h; p.stride_w = o.stride_w; p.dilation_h = o.dilation_h; p.dilation_w = o.dilation_w;
  const PaddedDim ph = compute_padded_dim(p.in_h, p.kh, p.stride_h, p.dilation_h, o.padding);
  const PaddedDim pw = compute_padded_dim(p.in_w, p.kw, p.stride_w, p.dilation_w, o.padding);
  if (ph.out <= 0 || pw.out <= 0) ctx.fail("the filter is larger than the (padded) input");
  p.out_h = ph.out; p.out_w = pw.out; p.pad_top = ph.pad_before; p.pad_left = pw.pad_before;
  p.input_zero_point = ctx.tensor(in).zero_point;
  ctx.expect_shape(out, {p.batch, p.out_h, p.out_w, out_c}, "output");

  OutputStage stage;
  fill_output_stage(ctx, in, filter, out, out_c, 3, ctx.activation(o.activation), false, &stage);
  const std::vector<int32_t> b = const_bias(ctx, bias, out_c);
  auto op = std::make_unique<DepthwiseConv2DOp>();
  op->kernel_fn = kernel_table(ctx.isa()).dwconv;
  op->parallel = int64_t(p.batch) * p.out_h * p.out_w * out_c * p.kh * p.kw >= kMinParallelMacs;
  op->packed = pack_dwconv(*op->kernel_fn, p, reinterpret_cast<const int8_t*>(ctx.tensor(filter).const_data),
                           b.empty() ? nullptr : b.data(), stage);
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
