// GATHER (gather.cc): rows of the params tensor (a constant embedding table or an activation) picked by
// int16 / int32 / int64 indices, with LiteRT's axis and batch_dims. Constant indices are checked at load;
// an index outside the axis at run time fails the inference with an error naming the op (bad input values:
// std::invalid_argument, ValueError in Python), as LiteRT's invoke fails ("gather index out of bounds"),
// and nothing out of bounds is read.
#include <stdexcept>

#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {
namespace {

class GatherOp : public Op {
 public:
  ops::GatherParams p;
  OpKernel<GatherFn> k;  // from the model's kernel table
  std::string indices_name;
  void run(const RunContext& ctx) const override {
    const void* idx = ctx.ptrs[inputs[1]];
    const int64_t bad = k.fn(p, ctx.as<const uint8_t>(inputs[0]), idx, ctx.as<uint8_t>(outputs[0]));
    if (bad >= 0)
      throw std::invalid_argument(name + ": index " + std::to_string(ops::gather_index(p, idx, bad)) +
                               " at position " + std::to_string(bad) + " of " + indices_name +
                               " is out of range [0, " + std::to_string(p.axis_size) + ")");
  }
  std::string family() const override { return "gather"; }
  std::string kernel() const override { return k.name; }
};

}  // namespace

std::unique_ptr<Op> build_gather(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), idx_t = ctx.input(1), out = ctx.output(0);
  const int elem = expect_same_type(ctx, in, out);
  const RtTensor &x = ctx.tensor(in), &ix = ctx.tensor(idx_t);
  ops::GatherParams p;
  switch (ix.type) {
    case tfl::kInt16: p.index_bytes = 2; break;
    case tfl::kInt32: p.index_bytes = 4; break;
    case tfl::kInt64: p.index_bytes = 8; break;
    default: ctx.fail_tensor(idx_t, std::string("indices must be int16, int32 or int64, are ") + tfl::tensor_type_name(ix.type));
  }
  const int rank = static_cast<int>(x.shape.size()), idx_rank = static_cast<int>(ix.shape.size());
  if (rank < 1) ctx.fail_tensor(in, "params must have rank 1 or more");
  const int axis = normalize_axis(ctx, ctx.op().options.axis, rank, in, "axis");
  int batch_dims = ctx.op().options.batch_dims;
  if (batch_dims < 0) batch_dims += idx_rank;
  if (batch_dims < 0 || batch_dims > axis || batch_dims >= rank || batch_dims > idx_rank)
    ctx.fail("batch_dims " + std::to_string(ctx.op().options.batch_dims) + " is out of range for axis " +
             std::to_string(axis) + " and indices of rank " + std::to_string(idx_rank));
  std::vector<int> out_shape;
  for (int k = 0; k < batch_dims; ++k) {
    if (x.shape[k] != ix.shape[k]) ctx.fail_tensor(idx_t, "batch dimension " + std::to_string(k) + " differs from the params'");
    p.batch *= x.shape[k];
  }
  for (int k = 0; k < axis; ++k) out_shape.push_back(x.shape[k]);
  for (int k = batch_dims; k < axis; ++k) p.outer *= x.shape[k];
  for (int k = batch_dims; k < idx_rank; ++k) {
    out_shape.push_back(ix.shape[k]);
    p.coords *= ix.shape[k];
  }
  p.inner_bytes = elem;
  for (int k = axis + 1; k < rank; ++k) {
    out_shape.push_back(x.shape[k]);
    p.inner_bytes *= x.shape[k];
  }
  p.axis_size = x.shape[axis];
  ctx.expect_shape(out, out_shape, "output");
  if (ix.is_constant())
    for (int64_t i = 0; i < ix.elements; ++i) {
      const int64_t v = ops::gather_index(p, ix.const_data, i);
      if (v < 0 || v >= p.axis_size)
        ctx.fail_tensor(idx_t, "index " + std::to_string(v) + " at position " + std::to_string(i) +
                                   " is out of range [0, " + std::to_string(p.axis_size) + ")");
    }
  auto op = std::make_unique<GatherOp>();
  op->p = p;
  op->k = ctx.kernels().shape.gather;
  op->indices_name = describe_tensor(ctx.model(), idx_t);
  op->inputs = {in, idx_t};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
