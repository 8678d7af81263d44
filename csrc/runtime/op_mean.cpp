// MEAN over constant axes on the ops kernels.
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class MeanOp : public Op {
 public:
  ops::MeanParams p;
  void run(const RunContext& ctx) const override {
    ops::mean_s8(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]));
  }
  std::string family() const override { return "reduce"; }
  std::string kernel() const override { return p.hw_fast_path ? "mean_hw_s8" : "mean_s8"; }
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
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
