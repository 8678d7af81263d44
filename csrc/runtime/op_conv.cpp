// CONV_2D on the conv kernels (csrc/kernels/conv): weights packed once for the chosen path.
#include "kernels/conv/conv.h"
#include "runtime/op_quant_params.h"
#include "runtime/thread_pool.h"

namespace edgekd {
namespace {

class Conv2DOp : public Op {
 public:
  PackedConv packed;
  bool parallel = true;
  void run(const RunContext& ctx) const override {
    run_conv(packed, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]), parallel ? ctx.pool : nullptr,
             ctx.scratch, ctx.scratch_bytes);
  }
  size_t scratch_bytes(int num_threads) const override { return conv_scratch_bytes(packed, num_threads); }
  int band_rows() const override { return packed.direct && packed.params.batch == 1 ? packed.params.out_h : 0; }
  bool row_local() const override { return band_rows() > 0; }
  // A band of whole row tiles, so that only the last band runs the GEMM's remainder rows (a slower tile),
  // unless the kernel runs them as an overlapped full tile.
  bool band_may_start_at(int row) const override {
    return packed.kernel->overlapped_tail || row * packed.params.out_w % packed.kernel->mr == 0;
  }
  void run_band(const RunContext& ctx, int r0, int r1) const override {
    run_conv_rows(packed, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]), r0, r1);
  }
  std::string family() const override { return "gemm"; }
  std::string kernel() const override { return packed.kernel ? packed.kernel->name : "?"; }
};

}  // namespace

std::unique_ptr<Op> build_conv2d(BuildContext& ctx) {
  ctx.expect_io(2, 3, 1);
  const int in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
  const OpOptions& o = ctx.op().options;
  ctx.expect_conv_operands(in, filter, out);
  const std::vector<int>& is = ctx.tensor(in).shape;
  const std::vector<int>& fs = ctx.tensor(filter).shape;
  if (fs[3] != is[3])
    ctx.fail_tensor(filter, "filter input depth " + std::to_string(fs[3]) + " differs from the input's " +
                                std::to_string(is[3]) + " (grouped convolution is not supported)");
  if (o.stride_w <= 0 || o.stride_h <= 0) ctx.fail("strides must be positive");
  if (o.dilation_w <= 0 || o.dilation_h <= 0) ctx.fail("dilation factors must be positive");
  if (o.padding != tfl::kSame && o.padding != tfl::kValid) ctx.fail("unknown padding " + std::to_string(o.padding));
  for (int d : is) if (d <= 0) ctx.fail_tensor(in, "input has an empty dimension");
  for (int d : fs) if (d <= 0) ctx.fail_tensor(filter, "filter has an empty dimension");

  ConvParams p;
  p.batch = is[0]; p.in_h = is[1]; p.in_w = is[2]; p.in_c = is[3];
  p.out_c = fs[0]; p.kh = fs[1]; p.kw = fs[2];
  p.stride_h = o.stride_h; p.stride_w = o.stride_w;
  p.dilation_h = o.dilation_h; p.dilation_w = o.dilation_w;
  const PaddedDim ph = compute_padded_dim(p.in_h, p.kh, p.stride_h, p.dilation_h, o.padding);
  const PaddedDim pw = compute_padded_dim(p.in_w, p.kw, p.stride_w, p.dilation_w, o.padding);
  if (ph.out <= 0 || pw.out <= 0) ctx.fail("the filter is larger than the (padded) input");
  p.out_h = ph.out; p.out_w = pw.out; p.pad_top = ph.pad_before; p.pad_left = pw.pad_before;
  p.input_zero_point = ctx.tensor(in).zero_point;
  ctx.expect_shape(out, {p.batch, p.out_h, p.out_w, p.out_c}, "output");

  OutputStage stage;
  fill_output_stage(ctx, in, filter, out, p.out_c, 0, ctx.activation(o.activation), false, &stage);
  const std::vector<int32_t> b = const_bias(ctx, bias, p.out_c);
  auto op = std::make_unique<Conv2DOp>();
  op->packed = pack_conv(kernel_table(ctx.isa()), p, reinterpret_cast<const int8_t*>(ctx.tensor(filter).const_data),
                         b.empty() ? nullptr : b.data(), stage);
  op->parallel = int64_t(p.m()) * p.out_c * p.k() >= kMinParallelMacs;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
