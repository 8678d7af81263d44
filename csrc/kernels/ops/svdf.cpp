// int8 SVDF with int16 state: LiteRT's reference EvalIntegerSVDF. Each inference shifts the whole state
// buffer left by one element (one memmove over every batch and filter, as LiteRT does), writes the newest
// feature projection into each filter's last slot, then reduces the filters over time and rank.
#include <algorithm>
#include <cstring>

#include "edgekd/quant.h"
#include "kernels/ops/recurrent.h"

namespace edgekd {
namespace ops {

size_t svdf_scratch_bytes(const SvdfParams& p) {
  return static_cast<size_t>(p.n_batch) * p.n_filter * sizeof(int32_t);
}

void svdf_s8(const SvdfParams& p, MatVecFn* matvec, const int8_t* input, int16_t* state, int8_t* output,
             void* scratch) {
  const size_t state_len = static_cast<size_t>(p.n_batch) * p.n_memory * p.n_filter;
  if (state_len > 1) std::memmove(state, state + 1, (state_len - 1) * sizeof(int16_t));
  int32_t* acc = static_cast<int32_t*>(scratch);
  for (int b = 0; b < p.n_batch; ++b) {
    matvec(p.weights_feature, p.n_filter, p.n_input, input + static_cast<size_t>(b) * p.n_input, acc);
    int16_t* newest = state + static_cast<size_t>(b) * p.n_filter * p.n_memory + (p.n_memory - 1);
    for (int f = 0; f < p.n_filter; ++f) {
      const int32_t v = multiply_by_quantized_multiplier(wrap_add(acc[f], p.feature_bias[f]), p.multiplier1, p.shift1);
      newest[static_cast<size_t>(f) * p.n_memory] = static_cast<int16_t>(std::min(32767, std::max(-32768, v)));
    }
  }
  // Per filter: the dot product of its time weights with its memory.
  for (int b = 0; b < p.n_batch; ++b)
    for (int f = 0; f < p.n_filter; ++f) {
      const int16_t* w = p.weights_time + static_cast<size_t>(f) * p.n_memory;
      const int16_t* s = state + (static_cast<size_t>(b) * p.n_filter + f) * p.n_memory;
      int32_t dot = 0;
      for (int m = 0; m < p.n_memory; ++m) dot = wrap_add(dot, int32_t(w[m]) * s[m]);
      acc[b * p.n_filter + f] = dot;
    }
  // Sum each unit's `rank` filters, add the bias, requantize.
  const int n_unit = p.n_unit();
  for (int i = 0; i < p.n_batch * n_unit; ++i) {
    int32_t sum = 0;
    for (int r = 0; r < p.rank; ++r) sum = wrap_add(sum, acc[i * p.rank + r]);
    if (p.bias) sum = wrap_add(sum, p.bias[i % n_unit]);
    const int32_t v = wrap_add(multiply_by_quantized_multiplier(sum, p.multiplier2, p.shift2), p.output_zero_point);
    output[i] = static_cast<int8_t>(std::min(127, std::max(-128, v)));
  }
}

}  // namespace ops
}  // namespace edgekd
