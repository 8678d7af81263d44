// QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32: the model's float edges.
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class QuantizeOp : public Op {
 public:
  ops::QuantizeParams p;
  size_t n = 0;
  OpKernel<QuantizeFn> k;  // from the model's kernel table
  void run(const RunContext& ctx) const override {
    k.fn(p, ctx.as<const float>(inputs[0]), ctx.as<int8_t>(outputs[0]), n);
  }
  std::string family() const override { return "quantize"; }
  std::string kernel() const override { return k.name; }
};

class DequantizeOp : public Op {
 public:
  ops::DequantizeParams p;
  size_t n = 0;
  OpKernel<DequantizeFn> k;  // from the model's kernel table
  void run(const RunContext& ctx) const override {
    k.fn(p, ctx.as<const int8_t>(inputs[0]), ctx.as<float>(outputs[0]), n);
  }
  std::string family() const override { return "quantize"; }
  std::string kernel() const override { return k.name; }
};

}  // namespace

std::unique_ptr<Op> build_quantize(BuildContext& ctx) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  ctx.expect_type(in, tfl::kFloat32, "input");
  ctx.expect_not_constant(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  ctx.expect_shape(out, ctx.tensor(in).shape, "output");
  auto op = std::make_unique<QuantizeOp>();
  const RtTensor& o = ctx.tensor(out);
  try {
    op->p = ops::prepare_quantize(o.scale, o.zero_point);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  op->n = static_cast<size_t>(o.elements);
  op->k = ctx.kernels().quantize;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

std::unique_ptr<Op> build_dequantize(BuildContext& ctx) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_not_constant(in, "input");
  ctx.expect_type(out, tfl::kFloat32, "output");
  ctx.expect_shape(out, ctx.tensor(in).shape, "output");
  auto op = std::make_unique<DequantizeOp>();
  const RtTensor& x = ctx.tensor(in);
  try {
    op->p = ops::prepare_dequantize(x.scale, x.zero_point);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  op->n = static_cast<size_t>(x.elements);
  op->k = ctx.kernels().dequantize;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
