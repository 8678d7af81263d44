// edgekd non-GEMM int8 ops: the public header (the runtime codes against this file only).
//
// Every op is two plain functions:
//   prepare_<op>(...)  at load time: float32 scales / zero points as stored in the .tflite -> integer
//                      parameters, computed exactly as LiteRT's builtin kernel's Prepare computes them.
//                      Bad parameters throw std::invalid_argument("<op>: <field> ...").
//   <op>_s8(...)       per inference: dense NHWC int8 buffers. They do not throw, except add_s8_ref / mul_s8_ref
//                      when the two shapes do not broadcast; only mean_s8 allocates (the int64 accumulators of
//                      reductions other than over height and width).
// The runtime calls these functions, and their SIMD twins, through the kernel table of the model's path
// (kernels/kernels.h).
// The arithmetic reproduces LiteRT's BUILTIN int8 kernels (ai-edge-litert 2.3.0, x86-64) bit for bit;
// each .cpp file says which kernel it follows and why each step is the way it is. Note: that wheel is built
// with SSE4.1, so LiteRT's `#ifdef USE_NEON` blocks run on x86 through NEON_2_SSE; where a NEON block rounds
// or saturates differently from the scalar code, edgekd reproduces the block structure (see the .cpp files).
//
// Shapes: tensors of rank <= 4 are viewed as 4-D NHWC with the dimensions right-aligned (TFLite's
// broadcasting rule): [C] -> {1,1,1,C}, [N,C] -> {1,1,N,C}, [N,H,W,C] as is. `shape4(dims, rank)` does that.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>  // prepare_* throw std::invalid_argument
#include <vector>

namespace edgekd {
namespace ops {

// ------------------------------------------------------------------------------------------------
// Common types

struct Shape4 {
  int n = 1, h = 1, w = 1, c = 1;
  int64_t size() const { return int64_t(n) * h * w * c; }
  int dim(int i) const { return i == 0 ? n : i == 1 ? h : i == 2 ? w : c; }
  bool operator==(const Shape4& o) const { return n == o.n && h == o.h && w == o.w && c == o.c; }
  bool operator!=(const Shape4& o) const { return !(*this == o); }
};
// Right-aligns a rank <= 4 shape into NHWC. Throws if rank > 4 or a dimension is negative.
Shape4 shape4(const int* dims, int rank);
inline Shape4 shape4(const std::vector<int>& dims) { return shape4(dims.data(), static_cast<int>(dims.size())); }

// TFLite's fused activation (schema ActivationFunctionType). TANH / SIGN_BIT are rejected as fused.
enum class Activation : int { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3, kTanh = 4, kSignBit = 5 };
// TFLite Padding enum.
enum class Padding : int { kSame = 0, kValid = 1 };

// The fused activation's clamp in the output's quantized domain (TFLite CalculateActivationRangeQuantized).
struct ActRange {
  int32_t min = -128, max = 127;
};
ActRange activation_range(Activation act, float out_scale, int32_t out_zero_point, const char* op);

// ------------------------------------------------------------------------------------------------
// ADD (add.cc, reference/integer_ops/add.h): both inputs rescaled to 2*max(s1,s2) with left_shift 20.
struct AddParams {
  int32_t input1_offset = 0, input2_offset = 0, output_offset = 0;  // offsets = -zp_in, +zp_out
  int left_shift = 20;
  int32_t input1_multiplier = 0, input2_multiplier = 0, output_multiplier = 0;
  int input1_shift = 0, input2_shift = 0, output_shift = 0;  // <= 0 (right shifts)
  ActRange act;
};
AddParams prepare_add(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp, float out_scale,
                      int32_t out_zp, Activation act = Activation::kNone);

// MUL (mul.cc, reference/integer_ops/mul.h).
struct MulParams {
  int32_t input1_offset = 0, input2_offset = 0, output_offset = 0;
  int32_t output_multiplier = 0;
  int output_shift = 0;
  ActRange act;
};
MulParams prepare_mul(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp, float out_scale,
                      int32_t out_zp, Activation act = Activation::kNone);

// Broadcast output shape (each dimension equal or 1). Throws "<op>: shapes ... do not broadcast".
Shape4 broadcast_shape(const Shape4& a, const Shape4& b, const char* op = "broadcast");
// `out` has broadcast_shape(s1, s2) elements. Any NHWC broadcast (same shape, [N,1,1,C] vs
// [N,H,W,C], scalar, ...), either operand. Throws std::invalid_argument if the shapes do not broadcast.
// The scalar reference kernels (the definition); the SIMD twins in the kernel tables (add_s8_avx2, ...)
// equal them bit for bit.
void add_s8_ref(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                int8_t* out);
void mul_s8_ref(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                int8_t* out);

// ------------------------------------------------------------------------------------------------
// MAX_POOL_2D / AVERAGE_POOL_2D (pooling.cc, reference/integer_ops/pooling.h). Input and output share
// scale / zero point in a valid model (LiteRT only DCHECKs it); the activation clamp uses the output's.
struct PoolParams {
  int batch = 1, in_h = 0, in_w = 0, channels = 0;
  int out_h = 0, out_w = 0;
  int filter_h = 1, filter_w = 1, stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  ActRange act;
  Shape4 out_shape() const { return {batch, out_h, out_w, channels}; }
};
PoolParams prepare_pool(const Shape4& in, int filter_h, int filter_w, int stride_h, int stride_w,
                        Padding padding, float out_scale, int32_t out_zp, Activation act = Activation::kNone);
void max_pool_s8(const PoolParams& p, const int8_t* in, int8_t* out);
void avg_pool_s8(const PoolParams& p, const int8_t* in, int8_t* out);
// The scalar reference kernels (the definition; the functions above equal them bit for bit).
void max_pool_s8_ref(const PoolParams& p, const int8_t* in, int8_t* out);
void avg_pool_s8_ref(const PoolParams& p, const int8_t* in, int8_t* out);

// ------------------------------------------------------------------------------------------------
// MEAN (reduce.cc). Takes the op as the .tflite has it: the input's dims/rank, the axis tensor, keep_dims.
// keep_dims && rank 4 && axes {1,2} runs LiteRT's optimized_integer_ops::Mean arithmetic; everything
// else the reference QuantizedMeanOrSum arithmetic. Output elements = input elements / reduced elements.
struct MeanParams {
  Shape4 in;                 // the input as 4-D NHWC
  bool reduce[4] = {false, false, false, false};  // per NHWC dimension
  bool hw_fast_path = false;  // optimized_integer_ops::Mean (float-derived bias, sum of raw values)
  int32_t multiplier = 0;
  int shift = 0;
  int32_t bias = 0;                      // fast path: out_zp - round(in_zp * s_in / s_out)
  int32_t input_zp = 0, output_zp = 0;  // reference path
  int64_t num_reduced = 1;
  Shape4 out_shape() const;             // reduced dimensions set to 1
  bool reduces_hw() const;              // exactly H and W reduced (global pooling): the mean_hw kernels apply
  std::vector<int8_t> lut;              // reduces_hw() over few pixels: output of each sum + 128 * pixels
};
constexpr int64_t kMeanLutPixels = 256;  // table of 255 * pixels + 1 bytes
MeanParams prepare_mean(const int* in_dims, int rank, const int32_t* axes, int num_axes, bool keep_dims,
                        float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
void mean_s8(const MeanParams& p, const int8_t* in, int8_t* out);
// mean_s8's outputs for channels [c_begin, c_end) when p.reduces_hw() (the rest untouched); a chunk that
// does not end at C must end at a multiple of 16 (the fast path rounds whole blocks of 16 differently).
// Portable C++; the kernel tables hold SIMD twins (mean_hw_s8_avx2, mean_hw_s8_neon).
void mean_hw_s8_ref(const MeanParams& p, const int8_t* in, int8_t* out, int c_begin, int c_end);

// ------------------------------------------------------------------------------------------------
// Elementwise unary int8 -> int8 ops. Each output depends on one input value only, so prepare runs the
// kernel's exact integer arithmetic on all 256 inputs once and inference is a table lookup: identical
// results by construction and one load per element.
struct LutParams {
  int8_t table[256];  // indexed by uint8_t(input)
  // LiteRT's x86 wheel is built with NEON_2_SSE, so a kernel's NEON block (which can round differently from
  // its scalar tail) runs there too: elements [0, n - n % block) use `table`, the rest `tail`.
  // block == 0: `table` everywhere.
  int block = 0;
  int8_t tail[256];
};
void lut_s8(const LutParams& p, const int8_t* in, int8_t* out, size_t n);

enum class ReluKind : int { kRelu = 0, kRelu6 = 1, kReluN1To1 = 2 };
// RELU / RELU6 / RELU_N1_TO_1 (activations.cc ReluPrepare/Relu6Eval: requantize then clamp).
LutParams prepare_relu(ReluKind kind, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
// HARD_SWISH (activations.cc HardSwishPrepare, reference/hard_swish.h fixed-point math).
LutParams prepare_hard_swish(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
// LOGISTIC (activations.cc SigmoidPrepare: LUT of the float function). Output must be 1/256, -128.
LutParams prepare_logistic(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
// TANH (activations.cc TanhPrepare: LUT of the float function; LiteRT puts no constraint on the output).
LutParams prepare_tanh(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
// QUANTIZE int8 -> int8 (quantize.cc: requantize).
LutParams prepare_requantize(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);

// ------------------------------------------------------------------------------------------------
// SOFTMAX (activations.cc SoftmaxPrepare / optimized SoftmaxInt8LUT). Over the last dimension:
// `outer` rows of `depth` values. Output must be scale 1/256, zero point -128.
struct SoftmaxParams {
  float beta = 1.0f;
  float input_scale = 0.0f;
  int32_t output_zp = -128;
  float output_scale = 1.0f / 256;
  std::vector<float> exp_table;  // 256 entries, see softmax.cpp
};
SoftmaxParams prepare_softmax(float beta, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
void softmax_s8(const SoftmaxParams& p, const int8_t* in, int8_t* out, int64_t outer, int depth);

// ------------------------------------------------------------------------------------------------
// QUANTIZE float32 -> int8 (quantize.cc / reference/quantize.h) and DEQUANTIZE int8 -> float32.
struct QuantizeParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};
QuantizeParams prepare_quantize(float out_scale, int32_t out_zp);
void quantize_f32_s8(const QuantizeParams& p, const float* in, int8_t* out, size_t n);
struct DequantizeParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};
DequantizeParams prepare_dequantize(float in_scale, int32_t in_zp);
void dequantize_s8_f32(const DequantizeParams& p, const int8_t* in, float* out, size_t n);

// ------------------------------------------------------------------------------------------------
// PAD / PADV2 (pad.cc). paddings: [rank][2] (before, after), non-negative. The pad value is the output
// zero point (real 0), or *constant_value for PADV2. Input and output share scale / zero point.
struct PadParams {
  Shape4 in, out;
  int before[4] = {0, 0, 0, 0};
  int8_t pad_value = 0;
};
PadParams prepare_pad(const int* in_dims, int rank, const int32_t* paddings, int32_t out_zp,
                      const int8_t* constant_value = nullptr);
void pad_s8(const PadParams& p, const int8_t* in, int8_t* out);

// ------------------------------------------------------------------------------------------------
// CONCATENATION (concatenation.cc), rank 1..6. axis is in the input's own rank (negative counts from the end).
// LiteRT 2.3.0's int8 kernel requires every input's scale / zero point to equal the output's; an input
// that differs is requantized the way reference ConcatenationWithScaling does (see concat.cpp).
struct ConcatInput {
  int64_t copy_size = 0;  // elements per outer index (axis size * inner size)
  bool requant = false;
  float scale = 1.0f;     // s_in / s_out   (requant only)
  float bias = 0.0f;      // -zp_in * scale (requant only)
  int32_t output_zp = 0;
};
struct ConcatParams {
  int64_t outer = 1;      // product of dims before the axis
  std::vector<ConcatInput> inputs;
  int64_t out_copy_size = 0;
};
ConcatParams prepare_concat(int num_inputs, const int* const* in_dims, int rank, int axis,
                            const float* in_scales, const int32_t* in_zps, float out_scale, int32_t out_zp,
                            Activation act = Activation::kNone);
void concat_s8(const ConcatParams& p, const int8_t* const* inputs, int8_t* out);

}  // namespace ops
}  // namespace edgekd
