// Load-time folding for float models: DEQUANTIZE of a constant float16 tensor (the weights of a model
// converted with float16 weights) becomes a constant float32 tensor, and the op leaves the schedule.
#pragma once
#include <vector>

#include "model/model_def.h"
#include "runtime/op.h"

namespace edgekd {

// Marks the folded ops in `folded` (per operator) and gives their outputs float32 values.
void fold_float16_dequantize(const ModelDef& model, std::vector<RtTensor>& tensors, std::vector<bool>& folded);

// IEEE binary16 to binary32, exact (subnormals, infinities and NaNs included).
float half_to_float(uint16_t h);

}  // namespace edgekd
