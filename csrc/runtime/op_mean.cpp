// MEAN over constant axes on the ops kernels.
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class MeanOp : public Op {
 public:
  ops::MeanParams p;
  OpKernel<MeanHwFn> hw;  // from the model's kernel table
  OpKernel<MeanFn> general;
  void run(const RunContext& ctx) const override {
    const int8_t* in = ctx.as<const int8_t>(inputs[0]);
    int8_t* out = ctx.as<int8_t>(outputs[0]);
    if (!p.reduces_hw()) {
      general.fn(p, in, out);
      return;
    }
    // Global pooling: threads take blocks of 16 channels once the input is large enough to pay for them.
    const int64_t per_channel = int64_t(p.in.n) * p.in.h * p.in.w;
    parallel_elements(ctx, p.in.c, 16, [&](int64_t b, int64_t e) {
      hw.fn(p, in, out, static_cast<int>(b), static_cast<int>(e));
    }, (kMinParallelElements / 2 + per_channel - 1) / per_channel);
  }
  std::string family() const override { return "reduce"; }
  std::string kernel() const override { return p.reduces_hw() ? hw.name : general.name; }
};

}  // namespace

std::unique_ptr<Op> build_mean(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), axes_t = ctx.input(1), out = ctx.output(0);
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  if (x.shape.size() > 4) ctx.fail_tensor(in, "rank above 4 is not supported");
  const std::vector<int32_t> axes = ctx.const_ints(axes_t, "axis");
  auto op = std::make_unique<MeanOp>();
  try {
    op->p = ops::prepare_mean(x.shape.data(), static_cast<int>(x.shape.size()), axes.data(),
                              static_cast<int>(axes.size()), ctx.op().options.keep_dims, x.scale, x.zero_point,
                              o.scale, o.zero_point);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  ctx.expect_elements(out, op->p.out_shape().size(), "output");
  op->hw = ctx.kernels().mean_hw;
  op->general = ctx.kernels().mean;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
