// TRANSPOSE (any permutation of a tensor of rank <= 6; negative entries count from the end, as LiteRT
// accepts them), its folding when the input is a constant, and the strided-copy op the other
// data-movement ops share.
#include <cstring>

#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {
namespace {

class CopyOp : public Op {
 public:
  std::vector<ops::StridedCopy> copies;  // one per output
  OpKernel<StridedCopyFn> k;             // from the model's kernel table
  const char* fam = "";
  void run(const RunContext& ctx) const override {
    const uint8_t* in = ctx.as<const uint8_t>(inputs[0]);
    for (size_t i = 0; i < copies.size(); ++i) k.fn(copies[i], in, ctx.as<uint8_t>(outputs[i]));
  }
  std::string family() const override { return fam; }
  std::string kernel() const override { return k.name; }
};

// The output shape and the copy of a TRANSPOSE, after checking its operands.
ops::StridedCopy transpose_copy(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), perm_t = ctx.input(1), out = ctx.output(0);
  const int elem = expect_same_type(ctx, in, out);
  const std::vector<int>& shape = ctx.tensor(in).shape;
  const int rank = static_cast<int>(shape.size());
  if (ctx.tensor(perm_t).shape.size() != 1) ctx.fail_tensor(perm_t, "perm must be 1-D");
  const std::vector<int32_t> perm = ctx.const_ints(perm_t, "perm");
  if (static_cast<int>(perm.size()) != rank)
    ctx.fail_tensor(perm_t, "perm has " + std::to_string(perm.size()) + " entries for an input of rank " +
                                std::to_string(rank));
  const std::vector<int64_t> strides = ops::dense_strides(shape);
  std::vector<int> out_shape(rank);
  std::vector<int64_t> dims(rank), in_strides(rank);
  std::vector<bool> used(rank, false);
  for (int k = 0; k < rank; ++k) {
    const int p = normalize_axis(ctx, perm[k], rank, perm_t, "perm entry");
    if (used[p]) ctx.fail_tensor(perm_t, "perm is not a permutation: " + std::to_string(p) + " appears twice");
    used[p] = true;
    out_shape[k] = shape[p];
    dims[k] = shape[p];
    in_strides[k] = strides[p];
  }
  ctx.expect_shape(out, out_shape, "output");
  return ops::make_strided_copy(rank, dims.data(), in_strides.data(), 0, elem);
}

}  // namespace

std::string dims_str(const std::vector<int>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int expect_same_type(const BuildContext& ctx, int in, int out) {
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  if (x.type != o.type)
    ctx.fail_tensor(out, std::string("output type ") + tfl::tensor_type_name(o.type) + " differs from the input's (" +
                             tfl::tensor_type_name(x.type) + ")");
  const int64_t size = tensor_type_size(x.type);
  if (size < 1 || size > 8) ctx.fail_tensor(in, std::string("type ") + tfl::tensor_type_name(x.type) + " is not supported");
  return static_cast<int>(size);
}

int normalize_axis(const BuildContext& ctx, int axis, int rank, int t, const char* what) {
  if (axis < -rank || axis >= rank)
    ctx.fail_tensor(t, std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

std::unique_ptr<Op> make_copy_op(BuildContext& ctx, int in, const std::vector<int>& outs,
                                 std::vector<ops::StridedCopy> copies, const char* family) {
  auto op = std::make_unique<CopyOp>();
  op->k = ctx.kernels().shape.strided_copy;
  op->fam = family;
  op->copies = std::move(copies);
  op->inputs = {in};
  op->outputs = outs;
  return op;
}

std::unique_ptr<Op> build_transpose(BuildContext& ctx) {
  ops::StridedCopy copy = transpose_copy(ctx);
  return make_copy_op(ctx, ctx.input(0), {ctx.output(0)}, {copy}, "transpose");
}

void fold_transpose(BuildContext& ctx) {
  const ops::StridedCopy copy = transpose_copy(ctx);
  const RtTensor& x = ctx.tensor(ctx.input(0));
  RtTensor& o = ctx.mutable_tensor(ctx.output(0));
  o.folded_data.resize(static_cast<size_t>(o.bytes));
  ops::strided_copy(copy, x.const_data, o.folded_data.data());
  o.const_data = o.bytes ? o.folded_data.data() : reinterpret_cast<const uint8_t*>("");  // constant either way
}

}  // namespace edgekd
