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

// READ_VARIABLE(handle) -> out copies the variable out; ASSIGN_VARIABLE(handle, value) copies value in.
std::unique_ptr<Op> build_resource_copy(BuildContext& ctx, bool read) {
  ctx.expect_io(read ? 1 : 2, read ? 1 : 2, read ? 1 : 0);
  auto op = std::make_unique<CopyOp>();
  const int value = read ? ctx.output(0) : ctx.input(1);
  const int var = variable_of(ctx, value, read ? "output" : "value");
  op->from = read ? var : value;
  op->to = read ? value : var;
  op->bytes = static_cast<size_t>(ctx.tensor(value).bytes);
  op->inputs = read ? std::vector<int>{var} : std::vector<int>{value, var};
  if (read) op->outputs = {value};
  return op;
}

}  // namespace edgekd
