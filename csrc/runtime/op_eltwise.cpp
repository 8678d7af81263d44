// ADD and MUL (with NHWC broadcasting) on the ops kernels.
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class AddOp : public Op {
 public:
  ops::AddParams p;
  ops::Shape4 s1, s2;
  void run(const RunContext& ctx) const override {
    ops::add_s8(p, s1, ctx.as<const int8_t>(inputs[0]), s2, ctx.as<const int8_t>(inputs[1]), ctx.as<int8_t>(outputs[0]));
  }
  std::string family() const override { return "eltwise"; }
  std::string kernel() const override { return "add_s8"; }
};

class MulOp : public Op {
 public:
  ops::MulParams p;
  ops::Shape4 s1, s2;
  void run(const RunContext& ctx) const override {
    ops::mul_s8(p, s1, ctx.as<const int8_t>(inputs[0]), s2, ctx.as<const int8_t>(inputs[1]), ctx.as<int8_t>(outputs[0]));
  }
  std::string family() const override { return "eltwise"; }
  std::string kernel() const override { return "mul_s8"; }
};

// Checks types and the broadcast output shape; returns the NHWC views of both inputs.
void check_binary(BuildContext& ctx, ops::Shape4* s1, ops::Shape4* s2) {
  ctx.expect_io(2, 2, 1);
  const int a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
  ctx.expect_int8_per_tensor(a, "input 0");
  ctx.expect_int8_per_tensor(b, "input 1");
  ctx.expect_int8_per_tensor(out, "output");
  for (int t : {a, b, out})
    if (ctx.tensor(t).shape.size() > 4) ctx.fail_tensor(t, "rank above 4 is not supported");
  *s1 = ops::shape4(ctx.tensor(a).shape);
  *s2 = ops::shape4(ctx.tensor(b).shape);
  const std::string name = describe_op(ctx.op());
  ops::Shape4 bs;
  try {
    bs = ops::broadcast_shape(*s1, *s2, name.c_str());
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  const size_t rank = std::max(ctx.tensor(a).shape.size(), ctx.tensor(b).shape.size());
  std::vector<int> expect;
  for (size_t i = 4 - rank; i < 4; ++i) expect.push_back(bs.dim(static_cast<int>(i)));
  ctx.expect_shape(out, expect, "output");
}

}  // namespace

std::unique_ptr<Op> build_add(BuildContext& ctx) {
  auto op = std::make_unique<AddOp>();
  check_binary(ctx, &op->s1, &op->s2);
  const RtTensor &a = ctx.tensor(ctx.input(0)), &b = ctx.tensor(ctx.input(1)), &o = ctx.tensor(ctx.output(0));
  op->p = ops::prepare_add(a.scale, a.zero_point, b.scale, b.zero_point, o.scale, o.zero_point,
                           ctx.activation(ctx.op().options.activation));
  op->inputs = {ctx.input(0), ctx.input(1)};
  op->outputs = {ctx.output(0)};
  return op;
}

std::unique_ptr<Op> build_mul(BuildContext& ctx) {
  auto op = std::make_unique<MulOp>();
  check_binary(ctx, &op->s1, &op->s2);
  const RtTensor &a = ctx.tensor(ctx.input(0)), &b = ctx.tensor(ctx.input(1)), &o = ctx.tensor(ctx.output(0));
  op->p = ops::prepare_mul(a.scale, a.zero_point, b.scale, b.zero_point, o.scale, o.zero_point,
                           ctx.activation(ctx.op().options.activation));
  op->inputs = {ctx.input(0), ctx.input(1)};
  op->outputs = {ctx.output(0)};
  return op;
}

}  // namespace edgekd
