// Resource variables (VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE, with a CALL_ONCE init subgraph), as
// TensorFlow's converter writes them for a tf.Variable that a model updates. Each resource (one
// container/shared_name key) becomes a variable tensor of the runtime, appended after the file's tensors:
// READ_VARIABLE copies it out, ASSIGN_VARIABLE copies into it, and the constant the init subgraph assigns
// is its initial value. VAR_HANDLE and CALL_ONCE are resolved here at load and run nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/model_def.h"
#include "runtime/op.h"

namespace edgekd {

// Appends one variable tensor per resource to `tensors`, points each handle tensor at it
// (RtTensor::resource), and returns the ops it resolved (to leave out of the schedule).
std::vector<bool> bind_resource_variables(const uint8_t* data, size_t size, const ModelDef& def,
                                          std::vector<RtTensor>& tensors);

}  // namespace edgekd
