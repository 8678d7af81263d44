// CONCATENATION on the ops kernels (inputs with other scales are requantized as LiteRT does).
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class ConcatOp : public Op {
 public:
  ops::ConcatParams p;
  mutable std::vector<const int8_t*> in_ptrs;  // sized at load; filled per run (no allocation)
  OpKernel<ConcatFn> k;                        // from the model's kernel table
  void run(const RunContext& ctx) const override {
    for (size_t i = 0; i < inputs.size(); ++i) in_ptrs[i] = ctx.as<const int8_t>(inputs[i]);
    k.fn(p, in_ptrs.data(), ctx.as<int8_t>(outputs[0]));
  }
  std::string family() const override { return "concat"; }
  std::string kernel() const override { return k.name; }
};

}  // namespace

std::unique_ptr<Op> build_concat(BuildContext& ctx) {
  const size_t n = ctx.op().inputs.size();
  if (n < 1) ctx.fail("has no inputs");
  ctx.expect_io(n, n, 1);
  const int out = ctx.output(0);
  ctx.expect_int8_per_tensor(out, "output");
  const RtTensor& o = ctx.tensor(out);
  const size_t rank = ctx.tensor(ctx.input(0)).shape.size();
  if (rank == 0 || rank > 6) ctx.fail_tensor(ctx.input(0), "rank must be 1 to 6");
  int axis = ctx.op().options.axis;
  if (axis < 0) axis += static_cast<int>(rank);
  if (axis < 0 || axis >= static_cast<int>(rank)) ctx.fail("axis " + std::to_string(ctx.op().options.axis) + " out of range");
  std::vector<const int*> dims;
  std::vector<float> scales;
  std::vector<int32_t> zps;
  std::vector<int> expect = ctx.tensor(ctx.input(0)).shape;
  expect[axis] = 0;
  for (size_t k = 0; k < n; ++k) {
    const int t = ctx.input(k);
    ctx.expect_int8_per_tensor(t, "input");
    const RtTensor& x = ctx.tensor(t);
    if (x.shape.size() != rank) ctx.fail_tensor(t, "inputs must all have the same rank");
    for (size_t d = 0; d < rank; ++d)
      if (static_cast<int>(d) != axis && x.shape[d] != expect[d])
        ctx.fail_tensor(t, "input dimension " + std::to_string(d) + " differs from input 0's");
    expect[axis] += x.shape[axis];
    dims.push_back(x.shape.data());
    scales.push_back(x.scale);
    zps.push_back(x.zero_point);
  }
  ctx.expect_shape(out, expect, "output");
  auto op = std::make_unique<ConcatOp>();
  op->k = ctx.kernels().concat;
  try {
    op->p = ops::prepare_concat(static_cast<int>(n), dims.data(), static_cast<int>(rank), axis, scales.data(),
                                zps.data(), o.scale, o.zero_point, ctx.activation(ctx.op().options.activation));
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  for (size_t k = 0; k < n; ++k) op->inputs.push_back(ctx.input(k));
  op->in_ptrs.resize(n);
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
