// SPLIT (inputs: axis, value; num_splits equal parts) and SPLIT_V (inputs: value, size_splits, axis; one
// size may be -1): each output is one strided copy of a run of the axis.
#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {

std::unique_ptr<Op> build_split(BuildContext& ctx) {
  const bool split_v = ctx.op().builtin_code == tfl::kSplitV;
  const size_t n_out = ctx.op().outputs.size();
  if (n_out < 1) ctx.fail("has no outputs");
  ctx.expect_io(split_v ? 3 : 2, split_v ? 3 : 2, n_out);
  const int in = ctx.input(split_v ? 0 : 1), axis_t = ctx.input(split_v ? 2 : 0);
  const std::vector<int>& shape = ctx.tensor(in).shape;
  const int rank = static_cast<int>(shape.size());
  if (rank < 1) ctx.fail_tensor(in, "the input must have rank 1 or more");
  const std::vector<int32_t> axis_v = ctx.const_ints(axis_t, "axis");
  if (axis_v.size() != 1) ctx.fail_tensor(axis_t, "axis must hold one value");
  const int axis = normalize_axis(ctx, axis_v[0], rank, axis_t, "axis");
  if (ctx.op().options.num_splits != static_cast<int>(n_out))
    ctx.fail("num_splits is " + std::to_string(ctx.op().options.num_splits) + " but the op has " +
             std::to_string(n_out) + " outputs");
  const int dim = shape[axis];
  std::vector<int64_t> sizes;
  if (!split_v) {
    if (dim % static_cast<int>(n_out) != 0)
      ctx.fail_tensor(in, "dimension " + std::to_string(axis) + " (" + std::to_string(dim) + ") does not split into " +
                              std::to_string(n_out) + " equal parts");
    sizes.assign(n_out, dim / static_cast<int>(n_out));
  } else {
    const int sizes_t = ctx.input(1);
    const std::vector<int32_t> given = ctx.const_ints(sizes_t, "size_splits");
    if (given.size() != n_out)
      ctx.fail_tensor(sizes_t, "size_splits has " + std::to_string(given.size()) + " values for " +
                                   std::to_string(n_out) + " outputs");
    int64_t total = 0;
    int unknown = -1;
    for (size_t i = 0; i < n_out; ++i) {
      if (given[i] == -1) {
        if (unknown >= 0) ctx.fail_tensor(sizes_t, "size_splits has more than one -1");
        unknown = static_cast<int>(i);
      } else if (given[i] < 0) {
        ctx.fail_tensor(sizes_t, "size_splits has a negative size");
      } else {
        total += given[i];
      }
      sizes.push_back(given[i]);
    }
    if (unknown >= 0 && total <= dim) sizes[unknown] = dim - total;
    else if (total != dim)
      ctx.fail_tensor(sizes_t, "size_splits must sum to dimension " + std::to_string(axis) + " of the input (" +
                                   std::to_string(dim) + ")");
  }
  int64_t outer = 1, inner = 1;
  for (int k = 0; k < axis; ++k) outer *= shape[k];
  for (int k = axis + 1; k < rank; ++k) inner *= shape[k];
  std::vector<ops::StridedCopy> copies;
  std::vector<int> outs;
  int64_t begin = 0;
  for (size_t i = 0; i < n_out; ++i) {
    const int out = ctx.output(i);
    const int elem = expect_same_type(ctx, in, out);
    std::vector<int> out_shape = shape;
    out_shape[axis] = static_cast<int>(sizes[i]);
    ctx.expect_shape(out, out_shape, "output");
    const int64_t dims[2] = {outer, sizes[i] * inner};
    const int64_t strides[2] = {dim * inner, 1};
    copies.push_back(ops::make_strided_copy(2, dims, strides, begin * inner, elem));
    outs.push_back(out);
    begin += sizes[i];
  }
  return make_copy_op(ctx, in, outs, std::move(copies), "split");
}

}  // namespace edgekd
