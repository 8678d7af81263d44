// READ_VARIABLE and ASSIGN_VARIABLE: copies out of and into a resource variable's tensor (bound at load by
// resource_variables.cpp). The variable keeps its value across inferences like any variable tensor.
#include <cstring>
#include <memory>

#include "model/tflite_schema.h"
#include "runtime/op.h"

namespace edgekd {
namespace {

class CopyOp : public Op {
 public:
  int from = 0, to = 0;
  size_t bytes = 0;
  void run(const RunContext& ctx) const override { std::memcpy(ctx.ptrs[to], ctx.ptrs[from], bytes); }
  std::string family() const override { return "resource_variable"; }
  std::string kernel() const override { return "copy"; }
};

// The variable tensor behind the handle input 0, checked against the tensor read or assigned.
int variable_of(BuildContext& ctx, int value, const char* role) {
  const int handle = ctx.input(0);
  const int var = ctx.tensor(handle).resource;
  if (var < 0) ctx.fail_tensor(handle, "is not the output of a VAR_HANDLE");
  const RtTensor &v = ctx.tensor(var), &x = ctx.tensor(value);
  if (v.type != x.type || v.bytes != x.bytes)
    ctx.fail_tensor(value, std::string(role) + " does not match resource variable " + v.name + " (" +
                               tfl::tensor_type_name(v.type) + ", " + std::to_string(v.bytes) + " bytes)");
  return var;
}

}  // namespace

std::unique_ptr<Op> build_read_variable(BuildContext& ctx) {
  ctx.expect_io(1, 1, 1);
  auto op = std::make_unique<CopyOp>();
  op->to = ctx.output(0);
  op->from = variable_of(ctx, op->to, "output");
  op->bytes = static_cast<size_t>(ctx.tensor(op->to).bytes);
  op->inputs = {op->from};
  op->outputs = {op->to};
  return op;
}

std::unique_ptr<Op> build_assign_variable(BuildContext& ctx) {
  ctx.expect_io(2, 2, 0);
  auto op = std::make_unique<CopyOp>();
  op->from = ctx.input(1);
  op->to = variable_of(ctx, op->from, "value");
  op->bytes = static_cast<size_t>(ctx.tensor(op->from).bytes);
  op->inputs = {op->from, op->to};
  return op;
}

}  // namespace edgekd
