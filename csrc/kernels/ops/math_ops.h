// edgekd int8 math ops: SUB, SQUARED_DIFFERENCE, DIV, PRELU, MAXIMUM, MINIMUM (binary, broadcasting),
// LEAKY_RELU, ELU, GELU, EXP, RSQRT (256-entry tables, ops::LutParams), LOG_SOFTMAX and BATCH_MATMUL.
// Same contract as ops.h: prepare_<op> turns the .tflite's float scales into LiteRT's integer parameters
// (throwing std::invalid_argument("<op>: <field> ...") on bad ones); the kernels do not throw.
// What each op computes in LiteRT 2.3.0 is written next to its code (math_binary.cpp, math_unary.cpp,
// log_softmax.cpp, batch_matmul.cpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/ops/ops.h"

namespace edgekd {
namespace ops {

// ------------------------------------------------------------------------------------------------
// Binary elementwise ops with NHWC broadcasting (rank <= 4), each output a function of one value of
// each input.
enum class BinaryKind : int { kSub = 0, kSquaredDifference, kDiv, kPrelu, kMaximum, kMinimum };
const char* binary_kind_name(BinaryKind kind);  // "SUB", ...

struct BinaryParams {
  BinaryKind kind = BinaryKind::kSub;
  int32_t input1_offset = 0, input2_offset = 0, output_offset = 0;  // -zp_in1, -zp_in2, +zp_out
  // SUB / SQUARED_DIFFERENCE: each input's rescaled term, (v + offset) << left_shift through its
  // multiplier, for every int8 v (indexed by uint8_t(v)).
  int32_t term1[256] = {}, term2[256] = {};
  // The output multiplier (SUB, SQUARED_DIFFERENCE, DIV; PRELU: the x >= 0 branch).
  int32_t output_multiplier = 0;
  int output_shift = 0;
  // PRELU: the x < 0 branch, applied to (x - zp_in) * (alpha - zp_alpha).
  int32_t alpha_multiplier = 0;
  int alpha_shift = 0;
  ActRange act;
};

BinaryParams prepare_sub(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp, float out_scale,
                         int32_t out_zp, Activation act = Activation::kNone);
BinaryParams prepare_squared_difference(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp,
                                        float out_scale, int32_t out_zp);
BinaryParams prepare_div(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp, float out_scale,
                         int32_t out_zp, Activation act = Activation::kNone);
// input 1 is the input, input 2 alpha.
BinaryParams prepare_prelu(float in_scale, int32_t in_zp, float alpha_scale, int32_t alpha_zp, float out_scale,
                           int32_t out_zp);
// MAXIMUM / MINIMUM compare the raw int8 values (LiteRT does not requantize).
BinaryParams prepare_max_min(bool maximum);

// One output element for input values a and b (the definition; binary_s8_ref applies it everywhere).
int8_t binary_element(const BinaryParams& p, int8_t a, int8_t b);
// out has broadcast_shape(s1, s2) elements.
void binary_s8_ref(const BinaryParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2,
                   const int8_t* in2, int8_t* out);

// ------------------------------------------------------------------------------------------------
// Table activations (evaluated through lut_s8).
// LEAKY_RELU (activations.cc LeakyReluPrepare, reference QuantizeLeakyRelu).
LutParams prepare_leaky_relu(float alpha, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
// ELU, EXP, GELU (LUTPopulate of the float function).
LutParams prepare_elu(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
LutParams prepare_exp(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
LutParams prepare_gelu(bool approximate, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
// RSQRT (elementwise.cc RsqrtEvalQuantizedInt8: fixed-point Newton-Raphson). LiteRT refuses to run on an
// input below the zero point; the table gives such inputs the output of the zero point (127).
LutParams prepare_rsqrt(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);

// ------------------------------------------------------------------------------------------------
// LOG_SOFTMAX over the last dimension (activations.cc LogSoftmaxPrepare + optimized_ops::LogSoftmax: a
// float exp table). Output must be scale 16/256, zero point 127.
struct LogSoftmaxParams {
  float input_scale = 0.0f, output_scale = 16.0f / 256;
  int32_t output_zp = 127;
  float table[256] = {};  // table[255 - k] = expf(-s_in * k)
};
LogSoftmaxParams prepare_log_softmax(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
void log_softmax_s8(const LogSoftmaxParams& p, const int8_t* in, int8_t* out, int64_t outer, int depth);

// ------------------------------------------------------------------------------------------------
// BATCH_MATMUL, one matrix product (batch_matmul.cc EvalInt8Int8, reference_ops::BatchMatMul):
// out[i][j] = clamp(MBQM(sum_k (lhs[i][k] - z_lhs) * (rhs[j][k] - z_rhs), m) + z_out) with
// m = float(s_lhs * s_rhs) / s_out (the product in float, the quotient in double), no fused activation.
// lhs rows [m][k], rhs rows [n][k] (the right-hand matrix transposed), out [m][n], all dense.
struct BatchMatMulParams {
  int32_t lhs_offset = 0, rhs_offset = 0, output_offset = 0;  // -z_lhs, -z_rhs, +z_out
  int32_t multiplier = 0;
  int shift = 0;
};
BatchMatMulParams prepare_batch_matmul(float lhs_scale, int32_t lhs_zp, float rhs_scale, int32_t rhs_zp,
                                       float out_scale, int32_t out_zp);
void batch_matmul_s8_ref(const BatchMatMulParams& p, const int8_t* lhs, const int8_t* rhs, int8_t* out, int m,
                         int n, int k);

}  // namespace ops
}  // namespace edgekd
