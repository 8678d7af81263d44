#include "runtime/shape_folding.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {
namespace {

void set_folded(BuildContext& ctx, int t, const std::vector<int32_t>& values) {
  RtTensor& x = ctx.mutable_tensor(t);
  if (x.type != tfl::kInt32) ctx.fail_tensor(t, "folded shape values must be int32");
  if (static_cast<int64_t>(values.size()) != x.elements)
    ctx.fail_tensor(t, "folding computes " + std::to_string(values.size()) + " values but the tensor holds " +
                           std::to_string(x.elements));
  x.folded_data.resize(values.size() * 4);
  if (!values.empty()) std::memcpy(x.folded_data.data(), values.data(), values.size() * 4);
  x.const_data = x.folded_data.data();
  if (values.empty()) x.const_data = reinterpret_cast<const uint8_t*>("");  // constant, zero elements
}

bool all_inputs_constant(const BuildContext& ctx) {
  for (int t : ctx.op().inputs)
    if (t >= 0 && !ctx.tensor(t).is_constant()) return false;
  return true;
}

// 1-D strided slice of constant int32 values (the slice of a shape vector).
std::vector<int32_t> fold_strided_slice(BuildContext& ctx) {
  ctx.expect_io(4, 4, 1);
  const OpOptions& o = ctx.op().options;
  if (o.ellipsis_mask || o.new_axis_mask) ctx.fail("ellipsis / new-axis masks cannot be folded");
  const std::vector<int32_t> v = ctx.const_ints(ctx.input(0), "input");
  const std::vector<int32_t> b = ctx.const_ints(ctx.input(1), "begin");
  const std::vector<int32_t> e = ctx.const_ints(ctx.input(2), "end");
  const std::vector<int32_t> s = ctx.const_ints(ctx.input(3), "strides");
  if (b.size() != 1 || e.size() != 1 || s.size() != 1) ctx.fail("begin / end / strides must have one value");
  const int64_t n = static_cast<int64_t>(v.size());
  const int64_t stride = s[0];
  if (stride == 0) ctx.fail("stride 0");
  auto clamp_index = [&](int64_t i) {
    if (i < 0) i += n;
    if (stride > 0) return std::max<int64_t>(0, std::min<int64_t>(i, n));
    return std::max<int64_t>(-1, std::min<int64_t>(i, n - 1));
  };
  std::vector<int32_t> out;
  if (o.shrink_axis_mask & 1) {
    int64_t i = b[0] < 0 ? b[0] + n : b[0];
    if (i < 0 || i >= n) ctx.fail("shrink index out of range");
    out.push_back(v[static_cast<size_t>(i)]);
    return out;
  }
  int64_t begin = (o.begin_mask & 1) ? (stride > 0 ? 0 : n - 1) : clamp_index(b[0]);
  int64_t end = (o.end_mask & 1) ? (stride > 0 ? n : -1) : clamp_index(e[0]);
  if (o.slice_offset && !(o.end_mask & 1)) end = clamp_index(begin + e[0]);
  for (int64_t i = begin; stride > 0 ? i < end : i > end; i += stride) out.push_back(v[static_cast<size_t>(i)]);
  return out;
}

std::vector<int32_t> fold_pack(BuildContext& ctx) {
  const size_t n = ctx.op().inputs.size();
  if (n == 0) ctx.fail("has no inputs");
  ctx.expect_io(n, n, 1);
  std::vector<int32_t> out;
  const std::vector<int>& shape0 = ctx.tensor(ctx.input(0)).shape;
  if (ctx.op().options.axis != 0 && !(shape0.empty() && ctx.op().options.axis == -1))
    ctx.fail("only PACK along axis 0 can be folded");
  for (size_t k = 0; k < n; ++k) {
    if (ctx.tensor(ctx.input(k)).shape != shape0) ctx.fail_tensor(ctx.input(k), "PACK inputs must share a shape");
    const std::vector<int32_t> v = ctx.const_ints(ctx.input(k), "input");
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace

std::vector<bool> fold_shape_ops(const ModelDef& model, std::vector<RtTensor>& tensors) {
  std::vector<bool> folded(model.operators.size(), false);
  BuildContext ctx(model, tensors, Isa::kRef);
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const OperatorDef& op = model.operators[i];
    ctx.set_op(&op);
    switch (op.builtin_code) {
      case tfl::kShape: {
        ctx.expect_io(1, 1, 1);
        const std::vector<int>& s = tensors[ctx.input(0)].shape;
        set_folded(ctx, ctx.output(0), std::vector<int32_t>(s.begin(), s.end()));
        folded[i] = true;
        break;
      }
      case tfl::kStridedSlice:
        // Slices of activations, and of constants other than 1-D int32 values, run at run time (op_slice.cpp).
        if (!all_inputs_constant(ctx) || op.inputs.empty() || op.inputs[0] < 0 ||
            tensors[op.inputs[0]].type != tfl::kInt32 || tensors[op.inputs[0]].shape.size() != 1)
          break;
        set_folded(ctx, ctx.output(0), fold_strided_slice(ctx));
        folded[i] = true;
        break;
      case tfl::kPack:
        if (!all_inputs_constant(ctx)) break;
        set_folded(ctx, ctx.output(0), fold_pack(ctx));
        folded[i] = true;
        break;
      case tfl::kTranspose:  // layout transposes of constants (weights of models exported from PyTorch)
        if (!all_inputs_constant(ctx)) break;
        fold_transpose(ctx);
        folded[i] = true;
        break;
      default:
        break;
    }
  }
  return folded;
}

}  // namespace edgekd
