// Static shape folding: shapes are static in an int8 .tflite, so the SHAPE -> STRIDED_SLICE -> PACK chain
// TensorFlow's converter emits for Flatten (and any other shape arithmetic on constants) is computed at load.
// Folded ops' outputs become constants; the ops are dropped from the schedule.
#pragma once
#include <vector>

#include "model/model_def.h"
#include "runtime/op.h"

namespace edgekd {

// Returns, per operator, whether it was folded. Throws std::invalid_argument naming the op on bad input.
std::vector<bool> fold_shape_ops(const ModelDef& model, std::vector<RtTensor>& tensors);

}  // namespace edgekd
