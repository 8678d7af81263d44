// The verifier: cross-checks what the reader parsed before anything is planned or run. Per-op shape and
// type rules live with the ops (csrc/runtime/op_*.cpp); here are the model-wide invariants that make
// every index and byte count safe to use.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/model_def.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

constexpr int kMaxRank = 6;
constexpr int64_t kMaxTensorBytes = int64_t(1) << 31;

[[noreturn]] void fail(const std::string& msg) { throw std::invalid_argument("invalid model: " + msg); }

int64_t type_size(int type) {
  switch (type) {
    case tfl::kFloat32: case tfl::kInt32: return 4;
    case tfl::kInt64: case tfl::kFloat64: case tfl::kComplex64: return 8;
    case tfl::kFloat16: case tfl::kInt16: return 2;
    case tfl::kInt8: case tfl::kUInt8: case tfl::kBool: return 1;
    case tfl::kResourceType: return 4;  // a handle: VAR_HANDLE's output, never stored
    default: return 0;
  }
}

}  // namespace

std::string describe_op(const OperatorDef& op) {
  const char* n = tfl::builtin_op_name(op.builtin_code);
  std::string name = n ? n : ("builtin op code " + std::to_string(op.builtin_code));
  if (op.builtin_code == tfl::kCustom) name = "CUSTOM '" + op.custom_code + "'";
  return "op " + std::to_string(op.index) + " (" + name + ")";
}

std::string describe_tensor(const ModelDef& model, int index) {
  std::string s = "tensor " + std::to_string(index);
  if (index >= 0 && static_cast<size_t>(index) < model.tensors.size())
    s += " '" + model.tensors[index].name + "'";
  return s;
}

int64_t tensor_type_size(int type) { return type_size(type); }

void verify_model(const ModelDef& m) {
  const int nt = static_cast<int>(m.tensors.size());
  if (m.inputs.empty()) fail("subgraph 0 has no inputs");
  if (m.outputs.empty()) fail("subgraph 0 has no outputs");
  if (!m.buffers.empty() && m.buffers[0].size != 0)
    fail("buffer 0 must be the empty sentinel buffer but holds " + std::to_string(m.buffers[0].size) + " bytes");

  for (int i = 0; i < nt; ++i) {
    const TensorDef& t = m.tensors[i];
    const std::string who = describe_tensor(m, i);
    if (t.buffer >= m.buffers.size())
      fail(who + ": buffer index " + std::to_string(t.buffer) + " out of range (" +
           std::to_string(m.buffers.size()) + " buffers)");
    if (t.sparse) fail(who + ": sparse tensors are not supported");
    if (t.shape.size() > kMaxRank)
      fail(who + ": rank " + std::to_string(t.shape.size()) + " exceeds the supported maximum of 6");
    int64_t elems = 1;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0) fail(who + ": shape[" + std::to_string(d) + "] is negative (" + std::to_string(t.shape[d]) + ")");
      elems *= t.shape[d];
      if (elems > kMaxTensorBytes) fail(who + ": more than 2^31 elements");
    }
    const int64_t ts = type_size(t.type);
    if (ts == 0) fail(who + ": tensor type " + std::to_string(t.type) + " (" + tfl::tensor_type_name(t.type) + ") is not supported");
    if (elems * ts > kMaxTensorBytes) fail(who + ": larger than 2 GiB");
    const BufferDef& b = m.buffers[t.buffer];
    if (b.size != 0 && static_cast<int64_t>(b.size) != elems * ts)
      fail(who + ": constant buffer " + std::to_string(t.buffer) + " holds " + std::to_string(b.size) +
           " bytes but shape and type need " + std::to_string(elems * ts));
    const QuantDef& q = t.quant;
    if (q.present()) {
      if (q.zero_point.size() != q.scale.size())
        fail(who + ": quantization has " + std::to_string(q.scale.size()) + " scales but " +
             std::to_string(q.zero_point.size()) + " zero points");
      for (float s : q.scale)
        if (!std::isfinite(s) || s <= 0.0f) fail(who + ": quantization scale " + std::to_string(s) + " is not a positive finite number");
      if (q.scale.size() > 1) {
        if (q.quantized_dimension < 0 || q.quantized_dimension >= static_cast<int>(t.shape.size()))
          fail(who + ": quantized_dimension " + std::to_string(q.quantized_dimension) + " out of range for rank " +
               std::to_string(t.shape.size()));
        if (static_cast<int64_t>(q.scale.size()) != t.shape[q.quantized_dimension])
          fail(who + ": " + std::to_string(q.scale.size()) + " per-channel scales but dimension " +
               std::to_string(q.quantized_dimension) + " has size " + std::to_string(t.shape[q.quantized_dimension]));
      }
      if (t.type == tfl::kInt8)
        for (int64_t zp : q.zero_point)
          if (zp < -128 || zp > 127) fail(who + ": int8 zero point " + std::to_string(zp) + " outside [-128, 127]");
    }
  }

  auto check_index = [&](int32_t idx, const std::string& where, bool optional) {
    if (optional && idx == -1) return;
    if (idx < 0 || idx >= nt)
      fail(where + ": tensor index " + std::to_string(idx) + " out of range (" + std::to_string(nt) + " tensors)");
  };
  // Which tensors have a value before any op runs: model inputs and constants.
  std::vector<char> ready(nt, 0), is_input(nt, 0);
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    check_index(m.inputs[i], "subgraph input " + std::to_string(i), false);
    if (m.buffers[m.tensors[m.inputs[i]].buffer].size != 0)
      fail("subgraph input " + describe_tensor(m, m.inputs[i]) + " is a constant");
    if (m.tensors[m.inputs[i]].is_variable)
      fail("subgraph input " + describe_tensor(m, m.inputs[i]) + " is a variable tensor (state the model keeps)");
    ready[m.inputs[i]] = 1;
    is_input[m.inputs[i]] = 1;
  }
  for (size_t i = 0; i < m.outputs.size(); ++i) check_index(m.outputs[i], "subgraph output " + std::to_string(i), false);
  // Variable tensors (state kept across inferences) hold a value from the start too; ops update them in
  // place through their inputs, never as outputs.
  for (int i = 0; i < nt; ++i)
    if (m.buffers[m.tensors[i].buffer].size != 0 || m.tensors[i].is_variable) ready[i] = 1;

  // Operators must come in execution order: each input exists before the op, each output once.
  for (const OperatorDef& op : m.operators) {
    const std::string who = describe_op(op);
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      check_index(op.inputs[k], who + " input " + std::to_string(k), true);
      if (op.inputs[k] >= 0 && !ready[op.inputs[k]])
        fail(who + " input " + std::to_string(k) + " reads " + describe_tensor(m, op.inputs[k]) +
             " before any op produces it");
    }
    for (size_t k = 0; k < op.intermediates.size(); ++k)
      check_index(op.intermediates[k], who + " intermediate " + std::to_string(k), true);
    // Ops that only update state (ASSIGN_VARIABLE, CALL_ONCE) have no outputs.
    if (op.outputs.empty() && op.builtin_code != tfl::kAssignVariable && op.builtin_code != tfl::kCallOnce)
      fail(who + " has no outputs");
    for (size_t k = 0; k < op.outputs.size(); ++k) {
      check_index(op.outputs[k], who + " output " + std::to_string(k), false);
      const int o = op.outputs[k];
      if (ready[o])
        fail(who + " output " + std::to_string(k) + " writes " + describe_tensor(m, o) +
             (is_input[o] ? ", a model input" : ", which already has a value (constant or produced earlier)"));
      ready[o] = 1;
    }
  }
  for (size_t i = 0; i < m.outputs.size(); ++i)
    if (!ready[m.outputs[i]]) fail("subgraph output " + describe_tensor(m, m.outputs[i]) + " is never produced");
}

}  // namespace edgekd
