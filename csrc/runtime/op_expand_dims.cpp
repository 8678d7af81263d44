// EXPAND_DIMS (expand_dims.cc): a unit dimension inserted at a constant axis in [-(rank + 1), rank]; at run
// time a RESHAPE (a copy of the bytes).
#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {

std::unique_ptr<Op> build_expand_dims(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), axis_t = ctx.input(1), out = ctx.output(0);
  expect_same_type(ctx, in, out);
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  if (x.quantized != o.quantized || x.scale != o.scale || x.zero_point != o.zero_point)
    ctx.fail_tensor(out, "EXPAND_DIMS needs the output's scale and zero point to equal the input's");
  const std::vector<int32_t> axis_v = ctx.const_ints(axis_t, "axis");
  if (axis_v.size() != 1) ctx.fail_tensor(axis_t, "axis must hold one value");
  const int rank = static_cast<int>(x.shape.size());
  const int axis = normalize_axis(ctx, axis_v[0], rank + 1, axis_t, "axis");
  std::vector<int> out_shape = x.shape;
  out_shape.insert(out_shape.begin() + axis, 1);
  ctx.expect_shape(out, out_shape, "output");
  return build_reshape(ctx);
}

}  // namespace edgekd
