// RESHAPE / SQUEEZE: a copy of the bytes. The target shape is static (a constant, possibly folded from the
// converter's SHAPE -> STRIDED_SLICE -> PACK chain at load) and must agree with the output tensor's shape.
#include <cstring>

#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class ReshapeOp : public Op {
 public:
  size_t bytes = 0;
  void run(const RunContext& ctx) const override {
    if (ctx.ptrs[outputs[0]] != ctx.ptrs[inputs[0]]) std::memcpy(ctx.ptrs[outputs[0]], ctx.ptrs[inputs[0]], bytes);
  }
  std::string family() const override { return "reshape"; }
  std::string kernel() const override { return "copy"; }
};

}  // namespace

std::unique_ptr<Op> build_reshape(BuildContext& ctx) {
  ctx.expect_io(1, 2, 1);
  const int in = ctx.input(0), shape_t = ctx.input(1), out = ctx.output(0);
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  if (x.type != o.type) ctx.fail_tensor(out, "output type differs from the input's");
  ctx.expect_elements(out, x.elements, "output");
  if (ctx.op().builtin_code == tfl::kReshape) {
    std::vector<int32_t> target;
    bool have = false;
    if (shape_t >= 0 && ctx.tensor(shape_t).shape.size() == 1) {
      target = ctx.const_ints(shape_t, "shape");
      have = true;
    } else if (ctx.op().options.has_new_shape) {
      target = ctx.op().options.new_shape;
      have = true;
    }
    if (have) {
      int unknown = -1;
      int64_t known = 1;
      for (size_t d = 0; d < target.size(); ++d) {
        if (target[d] == -1) {
          if (unknown >= 0) ctx.fail("the new shape has more than one -1");
          unknown = static_cast<int>(d);
        } else if (target[d] < 0) {
          ctx.fail("the new shape has a negative dimension");
        } else {
          known *= target[d];
          if (known > (int64_t(1) << 31)) ctx.fail("the new shape is too large");
        }
      }
      std::vector<int> s(target.begin(), target.end());
      if (unknown >= 0) {
        if (known == 0 || x.elements % known != 0) ctx.fail("the new shape does not divide the input's elements");
        s[unknown] = static_cast<int>(x.elements / known);
      }
      ctx.expect_shape(out, s, "output");
    }
  }
  auto op = std::make_unique<ReshapeOp>();
  op->bytes = static_cast<size_t>(x.bytes);
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd
