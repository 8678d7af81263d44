#include "runtime/resource_variables.h"

#include <map>
#include <stdexcept>
#include <string>

#include "model/tflite_schema.h"

namespace edgekd {
namespace {

std::string key_of(const OperatorDef& op) { return op.options.container + "/" + op.options.shared_name; }

// The resource's variable tensor takes type, shape and quantization from the first tensor read from or
// assigned to it; every other use must agree in type and bytes.
void shape_from(RtTensor& var, const RtTensor& use, const std::string& who) {
  if (var.bytes == 0 && var.type == 0 && var.shape.empty()) {
    var.type = use.type;
    var.shape = use.shape;
    var.elements = use.elements;
    var.bytes = use.bytes;
    var.quant = use.quant;
    var.quantized = use.quantized;
    var.scale = use.scale;
    var.zero_point = use.zero_point;
    return;
  }
  if (var.type != use.type || var.bytes != use.bytes)
    throw std::invalid_argument(who + ": resource variable " + var.name + " is used as " +
                                tfl::tensor_type_name(use.type) + " of " + std::to_string(use.bytes) +
                                " bytes and as " + tfl::tensor_type_name(var.type) + " of " +
                                std::to_string(var.bytes) + " bytes");
}

}  // namespace

std::vector<bool> bind_resource_variables(const uint8_t* data, size_t size, const ModelDef& def,
                                          std::vector<RtTensor>& tensors) {
  std::vector<bool> resolved(def.operators.size(), false);
  std::map<std::string, int> var_of;  // key -> variable tensor
  auto variable = [&](const std::string& key) {
    auto it = var_of.find(key);
    if (it != var_of.end()) return it->second;
    RtTensor v;
    v.name = "'" + key + "'";
    v.is_variable = true;
    v.is_resource = true;
    v.elements = 0;
    tensors.push_back(v);
    return var_of[key] = static_cast<int>(tensors.size()) - 1;
  };
  std::vector<int> call_once;
  for (size_t i = 0; i < def.operators.size(); ++i) {
    const OperatorDef& op = def.operators[i];
    if (op.builtin_code == tfl::kVarHandle && op.outputs.size() == 1) {
      tensors[op.outputs[0]].resource = variable(key_of(op));
      resolved[i] = true;
    } else if (op.builtin_code == tfl::kCallOnce) {
      call_once.push_back(op.options.init_subgraph_index);
      resolved[i] = true;
    }
  }
  for (const OperatorDef& op : def.operators) {
    const bool read = op.builtin_code == tfl::kReadVariable, assign = op.builtin_code == tfl::kAssignVariable;
    if (!(read || assign) || op.inputs.empty() || op.inputs[0] < 0 || tensors[op.inputs[0]].resource < 0) continue;
    const int use = read ? (op.outputs.empty() ? -1 : op.outputs[0]) : (op.inputs.size() > 1 ? op.inputs[1] : -1);
    if (use >= 0) shape_from(tensors[tensors[op.inputs[0]].resource], tensors[use], describe_op(op));
  }
  // Init subgraphs: VAR_HANDLE, then ASSIGN_VARIABLE of a constant, give each resource its initial value.
  for (int sg : call_once) {
    if (sg == 0) throw std::invalid_argument("CALL_ONCE: init_subgraph_index 0 is the main graph");
    const ModelDef init = read_tflite(data, size, sg);
    std::map<int, std::string> handle_key;
    for (const OperatorDef& op : init.operators) {
      const std::string where = "CALL_ONCE init subgraph " + std::to_string(sg) + ", " + describe_op(op);
      auto tensor_ok = [&](int t) { return t >= 0 && static_cast<size_t>(t) < init.tensors.size(); };
      if (op.builtin_code == tfl::kVarHandle && op.outputs.size() == 1 && tensor_ok(op.outputs[0])) {
        handle_key[op.outputs[0]] = key_of(op);
        continue;
      }
      if (op.builtin_code != tfl::kAssignVariable || op.inputs.size() != 2 || !handle_key.count(op.inputs[0]) ||
          !tensor_ok(op.inputs[1]) || init.tensors[op.inputs[1]].buffer >= init.buffers.size())
        throw std::invalid_argument(where + ": is not supported (an init subgraph may hold VAR_HANDLE and "
                                            "ASSIGN_VARIABLE of constants only)");
      const TensorDef& value = init.tensors[op.inputs[1]];
      const BufferDef& buf = init.buffers[value.buffer];
      const int v = variable(handle_key[op.inputs[0]]);
      int64_t elements = 1;
      for (int d : value.shape) elements *= d;
      if (buf.size == 0 || static_cast<int64_t>(buf.size) != elements * tensor_type_size(value.type))
        throw std::invalid_argument(where + ": the initial value must be a constant tensor");
      RtTensor as_used;
      as_used.type = value.type;
      as_used.shape.assign(value.shape.begin(), value.shape.end());
      as_used.elements = elements;
      as_used.bytes = static_cast<int64_t>(buf.size);
      shape_from(tensors[v], as_used, where);
      tensors[v].init_data = buf.data;
    }
  }
  return resolved;
}

}  // namespace edgekd
