// PAD with constant paddings on the ops kernels (pads with the zero point: real 0).
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class PadOp : public Op {
 public:
  ops::PadParams p;
  OpKernel<PadFn> k;  // from the model's kernel table
  void run(const RunContext& ctx) const override {
    k.fn(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]));
  }
  std::string family() const override { return "pad"; }
  std::string kernel() const override { return k.name; }
};

}  // namespace

std::unique_ptr<Op> build_pad(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), pads_t = ctx.input(1), out = ctx.output(0);
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  if (x.shape.size() > 4) ctx.fail_tensor(in, "rank above 4 is not supported");
  if (x.scale != o.scale || x.zero_point != o.zero_point)
    ctx.fail_tensor(out, "PAD needs the output's scale and zero point to equal the input's");
  const std::vector<int32_t> pads = ctx.const_ints(pads_t, "paddings");
  if (pads.size() != 2 * x.shape.size())
    ctx.fail_tensor(pads_t, "paddings must have shape [rank, 2] (" + std::to_string(2 * x.shape.size()) +
                                " values), has " + std::to_string(pads.size()));
  std::vector<int> expect(x.shape.size());
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (pads[2 * d] < 0 || pads[2 * d + 1] < 0) ctx.fail_tensor(pads_t, "negative padding");
    const int64_t v = int64_t(x.shape[d]) + pads[2 * d] + pads[2 * d + 1];
    if (v > (1 << 30)) ctx.fail_tensor(pads_t, "padding too large");
    expect[d] = static_cast<int>(v);
  }
  ctx.expect_shape(out, expect, "output");
  auto op = std::make_unique<PadOp>();
  op->k = ctx.kernels().pad;
  try {
    op->p = ops::prepare_pad(x.shape.data(), static_cast<int>(x.shape.size()), pads.data(), o.zero_point);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
