// The integer LSTM (UNIDIRECTIONAL_SEQUENCE_LSTM with int8 input, int16 cell state): LiteRT's
// LstmStepInteger8x8_16 and the portable tensor utils it calls, step by step. Quirks kept on purpose
// (they change results): the peephole runs over n_output elements per batch, the projected hidden state
// takes -hidden_zp as its zero point, and every stage saturates where LiteRT's does.
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "edgekd/quant.h"
#include "kernels/ops/fixed_point_int16.h"
#include "kernels/ops/recurrent.h"

namespace edgekd {
namespace ops {

namespace {

int16_t clamp16(int32_t v) { return static_cast<int16_t>(std::min(32767, std::max(-32768, v))); }
int8_t clamp8(int32_t v) { return static_cast<int8_t>(std::min(127, std::max(-128, v))); }
int32_t wrap_sub(int32_t a, int32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b)); }

// int32 left shift by e, saturating (gemmlowp's SaturatingRoundingMultiplyByPOT<e> for e > 0).
int32_t saturating_shift_left32(int32_t x, int e) {
  const int32_t threshold = static_cast<int32_t>((int64_t(1) << (31 - e)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return static_cast<int32_t>(static_cast<uint32_t>(x) << e);
}

// gate[b][i] = sat16(gate[b][i] + zp + mbqm(bias[i] + W[i] . x[b]))  (MatrixBatchVectorMultiplyAccumulate)
template <typename T>
void accumulate_product(MatVecFn* matvec, const int8_t* w, const int32_t* bias, int32_t mult, int32_t shift,
                        int n_batch, int cols, int rows, const int8_t* x, int32_t zp, int32_t* acc, T* out) {
  const int32_t lo = sizeof(T) == 1 ? -128 : -32768, hi = sizeof(T) == 1 ? 127 : 32767;
  for (int b = 0; b < n_batch; ++b) {
    matvec(w, rows, cols, x + static_cast<size_t>(b) * cols, acc);
    T* o = out + static_cast<size_t>(b) * rows;
    for (int r = 0; r < rows; ++r) {
      const int32_t v = wrap_add(wrap_add(multiply_by_quantized_multiplier(wrap_add(acc[r], bias[r]), mult, shift), zp), o[r]);
      o[r] = static_cast<T>(std::min(hi, std::max(lo, v)));
    }
  }
}

// PortableApplyLayerNorm: normalizes each batch row of the gate in place.
void layer_norm(const LstmGate& g, int n_batch, int n_cell, int16_t* gate) {
  const int32_t two_to_20 = 1 << 20;
  for (int b = 0; b < n_batch; ++b) {
    int16_t* row = gate + static_cast<size_t>(b) * n_cell;
    int64_t sum = 0, sum_sq = 0;
    for (int j = 0; j < n_cell; ++j) {
      sum += row[j];
      sum_sq += int32_t(row[j]) * row[j];
    }
    const int32_t mean = static_cast<int32_t>(sum * 1024 / n_cell);
    const int64_t variance = sum_sq * (two_to_20 / n_cell) - int64_t(mean) * mean;
    int32_t variance2 = static_cast<int32_t>(variance / two_to_20);
    if (variance2 < 1) variance2 = g.variance_guard;
    int32_t inv_mult, inv_shift;
    inv_sqrt_multiplier(variance2, &inv_mult, &inv_shift);
    for (int j = 0; j < n_cell; ++j) {
      const int32_t shifted = wrap_sub(wrap_mul(1024, row[j]), mean);
      const int32_t rescaled = multiply_by_quantized_multiplier(shifted, inv_mult, inv_shift);
      const int64_t v3 = wrap_add(wrap_mul(rescaled, g.layer_norm[j]), g.layer_norm_bias[j]);
      const int32_t v4 = static_cast<int32_t>((v3 > 0 ? v3 + 512 : v3 - 512) / 1024);
      row[j] = clamp16(multiply_by_quantized_multiplier(v4, g.layer_norm_multiplier, g.layer_norm_shift + 12));
    }
  }
}

struct Scratch {
  int16_t* gate[4];
  int8_t* hidden;
  int32_t* acc;
};

Scratch carve(const LstmParams& p, void* scratch) {
  const size_t n = static_cast<size_t>(p.n_batch) * std::max(p.n_cell, p.n_output);
  Scratch s;
  int16_t* g = static_cast<int16_t*>(scratch);
  for (int k = 0; k < 4; ++k) s.gate[k] = g + k * n;
  s.acc = reinterpret_cast<int32_t*>(g + 4 * n);
  s.hidden = reinterpret_cast<int8_t*>(s.acc + n);
  return s;
}

void compute_gate(const LstmParams& p, MatVecFn* matvec, const LstmGate& g, bool tanh_gate, int n_batch,
                  const int8_t* input, const int8_t* output_state, const int16_t* cell_state, int32_t* acc,
                  int16_t* gate) {
  const size_t n = static_cast<size_t>(n_batch) * p.n_cell;
  std::fill_n(gate, n, int16_t(0));
  accumulate_product(matvec, g.input_weights, g.input_bias, g.input_multiplier, g.input_shift, n_batch,
                     p.n_input, p.n_cell, input, 0, acc, gate);
  accumulate_product(matvec, g.recurrent_weights, g.recurrent_bias, g.recurrent_multiplier, g.recurrent_shift,
                     n_batch, p.n_output, p.n_cell, output_state, 0, acc, gate);
  if (g.peephole) {  // VectorBatchVectorCwiseProductAccumulate over n_output per batch, as LiteRT calls it
    for (size_t k = 0; k < static_cast<size_t>(n_batch) * p.n_output; ++k) {
      const int32_t prod = int32_t(g.peephole[k % p.n_output]) * cell_state[k];
      gate[k] = clamp16(multiply_by_quantized_multiplier(prod, g.peephole_multiplier, g.peephole_shift) + gate[k]);
    }
  }
  if (g.layer_norm) layer_norm(g, n_batch, p.n_cell, gate);
  const int16_t* table = tanh_gate ? p.tanh_gate_table : p.sigmoid_table;
  for (size_t k = 0; k < n; ++k) gate[k] = table[static_cast<uint16_t>(gate[k])];
}

// int16 x int16 products rounded down by 2^shift (CwiseMul with a shift).
int16_t mul_shift(int16_t a, int16_t b, int shift) {
  return static_cast<int16_t>(rounding_divide_by_pot(int32_t(a) * b, shift));
}

// One time step for n_batch rows; LstmStepInteger8x8_16.
void step(const LstmParams& p, MatVecFn* matvec, int n_batch, const int8_t* input, int8_t* output_state,
          int16_t* cell_state, int8_t* output, const Scratch& s) {
  const bool cifg = p.gates[0].input_weights == nullptr;
  for (int k = cifg ? 1 : 0; k < 4; ++k)
    if (k != 3)
      compute_gate(p, matvec, p.gates[k], k == 2, n_batch, input, output_state, cell_state, s.acc, s.gate[k]);
  // Cell: c = f * c + i * g (i = 1 - f with CIFG), saturating, then clipped.
  const size_t n = static_cast<size_t>(n_batch) * p.n_cell;
  const int shift = 30 + p.cell_scale_log2;
  for (size_t k = 0; k < n; ++k) {
    const int16_t fc = mul_shift(s.gate[1][k], cell_state[k], 15);
    const int16_t in_gate = cifg ? static_cast<int16_t>(32767 - s.gate[1][k]) : s.gate[0][k];
    int16_t c = fx16::saturating_add(fc, mul_shift(in_gate, s.gate[2][k], shift));
    if (p.cell_clip > 0) c = std::min<int16_t>(p.cell_clip, std::max<int16_t>(-p.cell_clip, c));
    cell_state[k] = c;
  }
  compute_gate(p, matvec, p.gates[3], false, n_batch, input, output_state, cell_state, s.acc, s.gate[3]);
  // Hidden: o * tanh(c), to int8 at the hidden scale; projected when the LSTM has a projection.
  // tanh(c) goes where the input gate was. LiteRT's ApplyTanh handles 0 to 6 integer bits and otherwise
  // writes nothing, so with a cell scale outside [2^-15, 2^-9] the input gate's values stand in for it.
  int16_t* tanh_c = s.gate[0];
  if (p.tanh_cell_table)
    for (size_t k = 0; k < n; ++k) tanh_c[k] = p.tanh_cell_table[static_cast<uint16_t>(cell_state[k])];
  int8_t* hidden = p.projection ? s.hidden : output_state;
  const int32_t hidden_zp = p.projection ? -p.hidden_zero_point : p.hidden_zero_point;
  for (size_t k = 0; k < n; ++k) {
    const int32_t v = multiply_by_quantized_multiplier(int32_t(s.gate[3][k]) * tanh_c[k], p.hidden_multiplier,
                                                       p.hidden_shift);
    hidden[k] = clamp8(v + hidden_zp);
  }
  const size_t n_out = static_cast<size_t>(n_batch) * p.n_output;
  if (p.projection) {
    std::memset(output_state, 0, n_out);
    accumulate_product(matvec, p.projection, p.projection_bias, p.projection_multiplier, p.projection_shift,
                       n_batch, p.n_cell, p.n_output, hidden, p.output_state_zero_point, s.acc, output_state);
    if (p.proj_clip > 0)
      for (size_t k = 0; k < n_out; ++k)
        output_state[k] = std::min<int8_t>(p.proj_clip, std::max<int8_t>(-p.proj_clip, output_state[k]));
  }
  std::memcpy(output, output_state, n_out);
}

const int16_t* activation_table(bool tanh, int bits) {
  static std::once_flag once[2][7];
  static std::unique_ptr<int16_t[]> tables[2][7];
  if (bits < 0 || bits > 6) return nullptr;
  std::call_once(once[tanh][bits], [tanh, bits] {
    tables[tanh][bits].reset(new int16_t[65536]);
    for (int v = -32768; v < 32768; ++v) {
      const int16_t x = static_cast<int16_t>(v);
      tables[tanh][bits][static_cast<uint16_t>(x)] = tanh ? fx16::tanh(x, bits) : fx16::logistic(x, bits);
    }
  });
  return tables[tanh][bits].get();
}

}  // namespace

const int16_t* logistic_int16_table(int integer_bits) { return activation_table(false, integer_bits); }
const int16_t* tanh_int16_table(int integer_bits) { return activation_table(true, integer_bits); }

void inv_sqrt_multiplier(int32_t input, int32_t* multiplier, int32_t* shift) {
  if (input <= 1) {  // 0 and 1 both give "1"
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  int s = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++s;
  }
  const int pairs = (__builtin_clz(static_cast<uint32_t>(input)) - 1) / 2 - 1;
  s -= pairs;
  input <<= 2 * pairs;
  // Newton-Raphson on x = 1/sqrt(input) with 3 integer bits, from x = 1, five iterations.
  const int32_t half_input = rounding_divide_by_pot(input >> 1, 1);
  const int32_t half_three = (1 << 28) + (1 << 27);
  int32_t x = 1 << 28;
  for (int i = 0; i < 5; ++i) {
    const int32_t x3 = saturating_shift_left32(srdhm(srdhm(x, x), x), 6);
    x = saturating_shift_left32(wrap_sub(srdhm(half_three, x), srdhm(half_input, x3)), 3);
  }
  x = srdhm(x, 1518500250);  // sqrt(2) / 2
  if (s < 0) {
    x = static_cast<int32_t>(static_cast<uint32_t>(x) << -s);
    s = 0;
  }
  *multiplier = x;
  *shift = -s;
}

void matvec_s8_ref(const int8_t* w, int rows, int cols, const int8_t* x, int32_t* out) {
  for (int r = 0; r < rows; ++r) {
    int32_t acc = 0;
    const int8_t* row = w + static_cast<size_t>(r) * cols;
    for (int c = 0; c < cols; ++c) acc = wrap_add(acc, int32_t(row[c]) * x[c]);
    out[r] = acc;
  }
}

size_t lstm_scratch_bytes(const LstmParams& p) {
  const size_t n = static_cast<size_t>(p.n_batch) * std::max(p.n_cell, p.n_output);
  return n * (4 * sizeof(int16_t) + sizeof(int32_t) + 1);
}

void lstm_s8(const LstmParams& p, MatVecFn* matvec, const int8_t* input, int8_t* output_state,
             int16_t* cell_state, int8_t* output, void* scratch) {
  const Scratch s = carve(p, scratch);
  const size_t in_step = p.n_input, out_step = p.n_output;
  if (p.time_major) {
    for (int t = 0; t < p.max_time; ++t)
      step(p, matvec, p.n_batch, input + t * p.n_batch * in_step, output_state, cell_state,
           output + t * p.n_batch * out_step, s);
    return;
  }
  for (int b = 0; b < p.n_batch; ++b)
    for (int t = 0; t < p.max_time; ++t) {
      const size_t row = static_cast<size_t>(b) * p.max_time + t;
      step(p, matvec, 1, input + row * in_step, output_state + b * out_step, cell_state + b * p.n_cell,
           output + row * out_step, s);
    }
}

}  // namespace ops
}  // namespace edgekd
