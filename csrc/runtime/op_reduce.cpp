// SUM and REDUCE_MAX over constant axes (reduce.cc), ARG_MAX and ARG_MIN over a constant axis
// (arg_min_max.cc), on int8 inputs.
#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {
namespace {

class ReduceOp : public Op {
 public:
  ops::ReduceParams p;
  bool sum = true;
  OpKernel<ReduceSumFn> sum_k;  // from the model's kernel table
  OpKernel<ReduceMaxFn> max_k;
  void run(const RunContext& ctx) const override {
    if (sum) sum_k.fn(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]), static_cast<int32_t*>(ctx.scratch));
    else max_k.fn(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]));
  }
  size_t scratch_bytes(int) const override { return sum ? static_cast<size_t>(p.num_outputs) * 4 : 0; }
  std::string family() const override { return "reduce"; }
  std::string kernel() const override { return sum ? sum_k.name : max_k.name; }
};

class ArgOp : public Op {
 public:
  ops::ArgParams p;
  OpKernel<ArgMinMaxFn> k;
  void run(const RunContext& ctx) const override { k.fn(p, ctx.as<const int8_t>(inputs[0]), ctx.ptrs[outputs[0]]); }
  std::string family() const override { return "arg_minmax"; }
  std::string kernel() const override { return k.name; }
};

}  // namespace

std::unique_ptr<Op> build_reduce(BuildContext& ctx) {
  const bool sum = ctx.op().builtin_code == tfl::kSum;
  const char* name = sum ? "SUM" : "REDUCE_MAX";
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), axes_t = ctx.input(1), out = ctx.output(0);
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  if (!sum && (x.scale != o.scale || x.zero_point != o.zero_point))
    ctx.fail_tensor(out, "REDUCE_MAX needs the output's scale and zero point to equal the input's");
  const std::vector<int32_t> axes = ctx.const_ints(axes_t, "axis");
  const int rank = static_cast<int>(x.shape.size());
  auto op = std::make_unique<ReduceOp>();
  op->sum = sum;
  try {
    op->p = ops::prepare_reduce(x.shape.data(), rank, axes.data(), static_cast<int>(axes.size()), name);
    if (sum) ops::prepare_sum_requant(op->p, x.scale, x.zero_point, o.scale, o.zero_point);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  std::vector<bool> reduced(rank, false);
  for (int32_t a : axes) reduced[a < 0 ? a + rank : a] = true;
  std::vector<int> out_shape;
  for (int k = 0; k < rank; ++k) {
    if (!reduced[k]) out_shape.push_back(x.shape[k]);
    else if (ctx.op().options.keep_dims) out_shape.push_back(1);
  }
  ctx.expect_shape(out, out_shape, "output");
  op->sum_k = ctx.kernels().shape.reduce_sum;
  op->max_k = ctx.kernels().shape.reduce_max;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

std::unique_ptr<Op> build_arg_minmax(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), axis_t = ctx.input(1), out = ctx.output(0);
  ctx.expect_type(in, tfl::kInt8, "input");
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  if (o.type != tfl::kInt32 && o.type != tfl::kInt64)
    ctx.fail_tensor(out, std::string("output must be int32 or int64, is ") + tfl::tensor_type_name(o.type));
  if (ctx.op().options.output_type != o.type)
    ctx.fail_tensor(out, std::string("output_type option (") + tfl::tensor_type_name(ctx.op().options.output_type) +
                             ") differs from the output's type");
  const std::vector<int32_t> axis_v = ctx.const_ints(axis_t, "axis");
  if (axis_v.size() != 1) ctx.fail_tensor(axis_t, "axis must hold one value");
  const int rank = static_cast<int>(x.shape.size());
  if (rank < 1) ctx.fail_tensor(in, "the input must have rank 1 or more");
  const int axis = normalize_axis(ctx, axis_v[0], rank, axis_t, "axis");
  if (x.shape[axis] < 1) ctx.fail_tensor(in, "cannot reduce an empty axis");
  ops::ArgParams p;
  std::vector<int> out_shape;
  for (int k = 0; k < rank; ++k) {
    if (k < axis) p.outer *= x.shape[k];
    if (k > axis) p.inner *= x.shape[k];
    if (k != axis) out_shape.push_back(x.shape[k]);
  }
  p.axis_size = x.shape[axis];
  p.is_max = ctx.op().builtin_code == tfl::kArgMax;
  p.out_int64 = o.type == tfl::kInt64;
  ctx.expect_shape(out, out_shape, "output");
  auto op = std::make_unique<ArgOp>();
  op->p = p;
  op->k = ctx.kernels().shape.arg_minmax;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
