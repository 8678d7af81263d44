// Recurrent ops with state: the integer UNIDIRECTIONAL_SEQUENCE_LSTM (int8 activations, int16 cell state,
// LiteRT's "8x8_16" kernel) and int8 SVDF (int16 state). The runtime prepares the parameters once
// (csrc/runtime/op_lstm.cpp, op_svdf.cpp) as LiteRT's Prepare does; these kernels are the arithmetic of
// LiteRT's lstm_eval.cc (EvalInteger8x8_16) and reference svdf.h (EvalIntegerSVDF), portable tensor utils
// included, bit for bit. Their matrix-vector products go through the path's MatVecFn.
#pragma once
#include <cstddef>
#include <cstdint>

namespace edgekd {
namespace ops {

// out[r] = sum_c w[r * cols + c] * x[c] for r in [0, rows), int32 wrapping (exact modulo 2^32).
using MatVecFn = void(const int8_t* w, int rows, int cols, const int8_t* x, int32_t* out);
void matvec_s8_ref(const int8_t* w, int rows, int cols, const int8_t* x, int32_t* out);
namespace detail {
void matvec_s8_avx2(const int8_t* w, int rows, int cols, const int8_t* x, int32_t* out);  // matvec_avx2.cpp
}  // namespace detail

// One LSTM gate: input and recurrent products (with the zero points folded into `*_bias`), an optional
// peephole, an optional layer norm, then a sigmoid (or tanh for the cell gate) in Q3.12 -> Q0.15.
struct LstmGate {
  const int8_t* input_weights = nullptr;      // [n_cell][n_input]; nullptr: the gate is absent (CIFG input)
  const int32_t* input_bias = nullptr;        // [n_cell]: bias (none with layer norm) - input_zp * row sums
  int32_t input_multiplier = 0, input_shift = 0;
  const int8_t* recurrent_weights = nullptr;  // [n_cell][n_output]
  const int32_t* recurrent_bias = nullptr;    // [n_cell]: - output_state_zp * row sums
  int32_t recurrent_multiplier = 0, recurrent_shift = 0;
  const int16_t* peephole = nullptr;          // [n_cell] or nullptr
  int32_t peephole_multiplier = 0, peephole_shift = 0;
  const int16_t* layer_norm = nullptr;        // [n_cell] or nullptr
  const int32_t* layer_norm_bias = nullptr;   // [n_cell]: the gate's bias, added after normalizing
  int32_t layer_norm_multiplier = 0, layer_norm_shift = 0, variance_guard = 1;
};

// The int16 activations as 65536-entry tables indexed by the input's bits (uint16_t(x)), filled once per
// process from the fixed-point definitions (fixed_point_int16.h): logistic or tanh of a value with
// `integer_bits` (0..6) integer bits.
const int16_t* logistic_int16_table(int integer_bits);
const int16_t* tanh_int16_table(int integer_bits);

struct LstmParams {
  int n_batch = 1, n_input = 0, n_cell = 0, n_output = 0, max_time = 1;
  // Tables of the gate activations (sigmoid and tanh of Q3.12) and of tanh of the cell state (nullptr when
  // its scale leaves tanh undefined, see lstm.cpp).
  const int16_t* sigmoid_table = nullptr;
  const int16_t* tanh_gate_table = nullptr;
  const int16_t* tanh_cell_table = nullptr;
  bool time_major = false;
  LstmGate gates[4];  // input (absent with CIFG), forget, cell, output
  int cell_scale_log2 = -11;        // cell state scale = 2^cell_scale_log2
  int16_t cell_clip = 0;            // quantized; 0 = no clipping
  int8_t proj_clip = 0;
  int32_t hidden_multiplier = 0, hidden_shift = 0, hidden_zero_point = 0;
  const int8_t* projection = nullptr;  // [n_output][n_cell] or nullptr
  const int32_t* projection_bias = nullptr;  // [n_output]: bias + hidden_zp * row sums
  int32_t projection_multiplier = 0, projection_shift = 0;
  int32_t output_state_zero_point = 0;
};

// Scratch for one call: 4 int16 gates + int8 hidden + int32 products, each n_batch * max(n_cell, n_output).
size_t lstm_scratch_bytes(const LstmParams& p);

// Runs the sequence: input [max_time][n_batch][n_input] (time major) or [n_batch][max_time][n_input],
// output likewise with n_output; output_state [n_batch][n_output] and cell_state [n_batch][n_cell] carry in
// and out.
void lstm_s8(const LstmParams& p, MatVecFn* matvec, const int8_t* input, int8_t* output_state,
             int16_t* cell_state, int8_t* output, void* scratch);

struct SvdfParams {
  int n_batch = 1, n_input = 0, n_filter = 0, rank = 1, n_memory = 0;
  const int8_t* weights_feature = nullptr;  // [n_filter][n_input]
  const int32_t* feature_bias = nullptr;    // [n_filter]: - input_zp * row sums
  const int16_t* weights_time = nullptr;    // [n_filter][n_memory]
  const int32_t* bias = nullptr;            // [n_filter / rank] or nullptr
  int32_t multiplier1 = 0, shift1 = 0;      // input * feature -> state
  int32_t multiplier2 = 0, shift2 = 0;      // state * time -> output
  int32_t output_zero_point = 0;
  int n_unit() const { return n_filter / rank; }
};

size_t svdf_scratch_bytes(const SvdfParams& p);

// input [n_batch][n_input] -> output [n_batch][n_unit]; state [n_batch][n_filter][n_memory] shifts by one.
void svdf_s8(const SvdfParams& p, MatVecFn* matvec, const int8_t* input, int16_t* state, int8_t* output,
             void* scratch);

}  // namespace ops
}  // namespace edgekd
