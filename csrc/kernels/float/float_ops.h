// float32 kernels of the elementwise, pooling, reduction and layout ops (portable C++, which the compiler
// vectorizes for the baseline ISA). Geometry comes from the int8 ops' prepare_* functions (ops.h), so both
// types agree on shapes, padding and broadcasting. Fused activations are a clamp to [lo, hi].
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/ops/ops.h"

namespace edgekd {
namespace fops {

struct Clamp {
  float lo, hi;
};
// The clamp of a fused activation (NONE, RELU, RELU_N1_TO_1, RELU6); TANH / SIGN_BIT throw.
Clamp activation_clamp(ops::Activation act);

enum class Binary { kAdd, kMul };
// out = clamp(a op b), NHWC broadcasting as ops::broadcast_shape.
void binary_f32(Binary op, const ops::Shape4& s1, const float* a, const ops::Shape4& s2, const float* b, float* out,
                Clamp clamp);

enum class Unary { kRelu, kRelu6, kReluN1To1, kLogistic, kTanh, kHardSwish };
void unary_f32(Unary op, const float* in, float* out, size_t n);

// Over the last dimension: outer rows of depth values.
void softmax_f32(const float* in, float* out, int64_t outer, int depth, float beta);

// Average pooling divides by the number of taps inside the input, as TFLite's float kernel does.
void max_pool_f32(const ops::PoolParams& p, const float* in, float* out, Clamp clamp);
void avg_pool_f32(const ops::PoolParams& p, const float* in, float* out, Clamp clamp);

// p from ops::prepare_mean (its geometry: p.in, p.reduce, p.num_reduced).
void mean_f32(const ops::MeanParams& p, const float* in, float* out);

// p from ops::prepare_pad (its geometry); padding is `value`.
void pad_f32(const ops::PadParams& p, const float* in, float* out, float value);

// p from ops::prepare_concat (its outer / copy sizes).
void concat_f32(const ops::ConcatParams& p, const float* const* inputs, float* out);

}  // namespace fops
}  // namespace edgekd
