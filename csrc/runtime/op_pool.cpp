// MAX_POOL_2D / AVERAGE_POOL_2D on the ops kernels.
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class PoolOp : public Op {
 public:
  ops::PoolParams p;
  bool max_pool = true;
  void run(const RunContext& ctx) const override {
    if (max_pool) ops::max_pool_s8(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]));
    else ops::avg_pool_s8(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]));
  }
  std::string family() const override { return "pool"; }
  std::string kernel() const override { return max_pool ? "max_pool_s8" : "avg_pool_s8"; }
};

}  // namespace

std::unique_ptr<Op> build_pool(BuildContext& ctx, bool max_pool) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  const OpOptions& o = ctx.op().options;
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  ctx.expect_rank(in, 4, "input");
  for (int d : ctx.tensor(in).shape) if (d <= 0) ctx.fail_tensor(in, "input has an empty dimension");
  if (o.stride_w <= 0 || o.stride_h <= 0) ctx.fail("strides must be positive");
  if (o.filter_w <= 0 || o.filter_h <= 0) ctx.fail("filter sizes must be positive");
  if (o.padding != tfl::kSame && o.padding != tfl::kValid) ctx.fail("unknown padding " + std::to_string(o.padding));
  const RtTensor& ot = ctx.tensor(out);
  auto op = std::make_unique<PoolOp>();
  op->max_pool = max_pool;
  try {
    op->p = ops::prepare_pool(ops::shape4(ctx.tensor(in).shape), o.filter_h, o.filter_w, o.stride_h, o.stride_w,
                              static_cast<ops::Padding>(o.padding), ot.scale, ot.zero_point, ctx.activation(o.activation));
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  const ops::Shape4 s = op->p.out_shape();
  ctx.expect_shape(out, {s.n, s.h, s.w, s.c}, "output");
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
