// DEQUANTIZE float16 -> float32 of constants, folded at load (see float_folding.h).
#include "runtime/float_folding.h"

#include <cstring>

#include "model/tflite_schema.h"

namespace edgekd {

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // infinity, NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalize
    int e = 113;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

void fold_float16_dequantize(const ModelDef& model, std::vector<RtTensor>& tensors, std::vector<bool>& folded) {
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const OperatorDef& op = model.operators[i];
    if (folded[i] || op.builtin_code != tfl::kDequantize || op.inputs.size() != 1 || op.outputs.size() != 1) continue;
    const RtTensor& in = tensors[static_cast<size_t>(op.inputs[0])];
    RtTensor& out = tensors[static_cast<size_t>(op.outputs[0])];
    if (in.type != tfl::kFloat16 || !in.is_constant() || out.type != tfl::kFloat32 || out.elements != in.elements)
      continue;
    out.folded_data.resize(static_cast<size_t>(out.elements) * sizeof(float));
    for (int64_t k = 0; k < in.elements; ++k) {
      uint16_t h;
      std::memcpy(&h, in.const_data + 2 * k, sizeof h);
      const float f = half_to_float(h);
      std::memcpy(out.folded_data.data() + 4 * k, &f, sizeof f);
    }
    out.const_data = out.folded_data.data();
    folded[i] = true;
  }
}

}  // namespace edgekd
