// UNIDIRECTIONAL_SEQUENCE_LSTM, the full-integer form (int8 input and output, int8 weights, int16 cell
// state): the checks and the prepare-time arithmetic of LiteRT's unidirectional_sequence_lstm.cc
// (PopulateQuantizedLstmParams8x8_16, PopulatePrecomputedZPTimesWeightsWithBias). Effective scales are
// computed in float or double exactly where LiteRT's are, since a last-bit difference in a multiplier
// changes outputs. The output and cell states are variable tensors: the runtime keeps them across runs.
#include <cmath>
#include <memory>

#include "kernels/ops/recurrent.h"
#include "model/tflite_schema.h"
#include "runtime/op.h"

namespace edgekd {
namespace {

// Input slots of the op (TFLite's lstm::full indices).
enum Slot : int {
  kInput = 0, kInputToInput = 1, kInputToForget = 2, kInputToCell = 3, kInputToOutput = 4,
  kRecurrentToInput = 5, kRecurrentToForget = 6, kRecurrentToCell = 7, kRecurrentToOutput = 8,
  kCellToInput = 9, kCellToForget = 10, kCellToOutput = 11, kInputGateBias = 12, kForgetGateBias = 13,
  kCellGateBias = 14, kOutputGateBias = 15, kProjectionWeights = 16, kProjectionBias = 17, kOutputState = 18,
  kCellState = 19, kInputLayerNorm = 20, kForgetLayerNorm = 21, kCellLayerNorm = 22, kOutputLayerNorm = 23,
};

class LstmOp : public Op {
 public:
  ops::LstmParams p;
  ops::MatVecFn* matvec = nullptr;
  const char* matvec_name = "";
  int in = 0, out = 0, output_state = 0, cell_state = 0;
  std::vector<int32_t> biases[9];  // per gate input and recurrent effective biases, then the projection's

  void run(const RunContext& ctx) const override {
    ops::lstm_s8(p, matvec, ctx.as<int8_t>(in), ctx.as<int8_t>(output_state), ctx.as<int16_t>(cell_state),
                 ctx.as<int8_t>(out), ctx.scratch);
  }
  size_t scratch_bytes(int) const override { return ops::lstm_scratch_bytes(p); }
  std::string family() const override { return "lstm"; }
  std::string kernel() const override { return std::string("lstm_s8x8_16 + ") + matvec_name; }
};

// bias + zero_point * row sums of w ([rows][cols]); TFLite's PrecomputeZeroPointTimesWeightWithBias.
std::vector<int32_t> fold_zero_point(const BuildContext& ctx, int w, int bias, int32_t zero_point) {
  const RtTensor& wt = ctx.tensor(w);
  const int rows = wt.shape[0], cols = wt.shape[1];
  std::vector<int32_t> out(static_cast<size_t>(rows), 0);
  if (bias >= 0)
    for (int r = 0; r < rows; ++r) out[r] = reinterpret_cast<const int32_t*>(ctx.tensor(bias).const_data)[r];
  const int8_t* data = reinterpret_cast<const int8_t*>(wt.const_data);
  for (int r = 0; r < rows; ++r) {
    int32_t sum = 0;
    for (int c = 0; c < cols; ++c) sum += data[static_cast<size_t>(r) * cols + c];
    out[r] = wrap_add(out[r], wrap_mul(sum, zero_point));
  }
  return out;
}


void expect_const(BuildContext& ctx, int t, int type, const std::vector<int>& shape, const char* role) {
  ctx.expect_constant(t, role);
  ctx.expect_type(t, type, role);
  ctx.expect_shape(t, shape, role);
}

}  // namespace

std::unique_ptr<Op> build_unidirectional_sequence_lstm(BuildContext& ctx) {
  ctx.expect_io(1, 24, 1);
  const OperatorDef& def = ctx.op();
  if (def.inputs.size() != 20 && def.inputs.size() != 24)
    ctx.fail("expects 20 or 24 inputs, has " + std::to_string(def.inputs.size()));
  auto in = [&](int slot) { return ctx.input(static_cast<size_t>(slot)); };
  for (int slot : {kInputToForget, kInputToCell, kInputToOutput, kRecurrentToForget, kRecurrentToCell,
                   kRecurrentToOutput, kForgetGateBias, kCellGateBias, kOutputGateBias, kOutputState, kCellState})
    if (in(slot) < 0) ctx.fail("required input " + std::to_string(slot) + " is missing");
  const int x = in(kInput), y = ctx.output(0);
  if (ctx.tensor(x).type != tfl::kInt8)
    ctx.fail("only the full-integer LSTM (int8 input, int16 cell state) is supported; input is " +
             std::string(tfl::tensor_type_name(ctx.tensor(x).type)));
  ctx.expect_int8_per_tensor(x, "input");
  ctx.expect_int8_per_tensor(y, "output");
  ctx.expect_not_constant(x, "input");
  const RtTensor& xt = ctx.tensor(x);
  if (xt.shape.size() != 2 && xt.shape.size() != 3) ctx.fail_tensor(x, "input must have rank 2 or 3");
  if (def.options.diagonal_recurrent_tensors) ctx.fail("diagonal recurrent weights are not supported");

  auto op = std::make_unique<LstmOp>();
  ops::LstmParams& p = op->p;
  p.time_major = def.options.time_major;
  const bool rank3 = xt.shape.size() == 3;
  p.max_time = rank3 ? xt.shape[p.time_major ? 0 : 1] : 1;
  p.n_batch = rank3 ? xt.shape[p.time_major ? 1 : 0] : xt.shape[0];
  p.n_input = xt.shape.back();
  ctx.expect_rank(in(kInputToOutput), 2, "input_to_output_weights");
  p.n_cell = ctx.tensor(in(kInputToOutput)).shape[0];
  ctx.expect_rank(in(kRecurrentToOutput), 2, "recurrent_to_output_weights");
  p.n_output = ctx.tensor(in(kRecurrentToOutput)).shape[1];
  std::vector<int> out_shape = xt.shape;
  out_shape.back() = p.n_output;
  ctx.expect_shape(y, out_shape, "output");

  const bool cifg = in(kInputToInput) < 0;
  const bool layer_norm = def.inputs.size() == 24 && in(kForgetLayerNorm) >= 0;
  const bool peephole = in(kCellToOutput) >= 0;
  const bool projection = in(kProjectionWeights) >= 0;
  if (cifg != (in(kRecurrentToInput) < 0)) ctx.fail("input_to_input and recurrent_to_input weights must both be present or both absent");
  if (cifg != (in(kInputGateBias) < 0)) ctx.fail("the input gate bias must be present exactly when the input gate is");
  if (peephole != (in(kCellToForget) >= 0) || (!cifg && peephole != (in(kCellToInput) >= 0)))
    ctx.fail("peephole weights must be all present or all absent");
  if (!projection && in(kProjectionBias) >= 0) ctx.fail("a projection bias needs projection weights");
  if (layer_norm && (in(kCellLayerNorm) < 0 || in(kOutputLayerNorm) < 0 || cifg != (in(kInputLayerNorm) < 0)))
    ctx.fail("layer norm coefficients must be present for every gate");

  // States: variables, int8 output state and a power-of-two int16 cell state.
  op->output_state = in(kOutputState);
  op->cell_state = in(kCellState);
  ctx.expect_variable(op->output_state, "output_state");
  ctx.expect_variable(op->cell_state, "cell_state");
  ctx.expect_int8_per_tensor(op->output_state, "output_state");
  ctx.expect_type(op->cell_state, tfl::kInt16, "cell_state");
  ctx.expect_elements(op->output_state, int64_t(p.n_batch) * p.n_output, "output_state");
  ctx.expect_elements(op->cell_state, int64_t(p.n_batch) * p.n_cell, "cell_state");
  const float cell_scale = ctx.per_tensor_scale(op->cell_state, "cell_state");
  {
    const float log2 = std::log(cell_scale) * (1.0f / std::log(2.0f));
    const float rounded = std::round(log2);
    if (std::abs(log2 - rounded) >= 1e-3f) ctx.fail_tensor(op->cell_state, "cell_state scale must be a power of two");
    p.cell_scale_log2 = static_cast<int>(rounded);
  }
  // Outside [2^-15, 2^-9] LiteRT's tanh of the cell reads the input gate's buffer instead (see lstm.cpp): edgekd
  // follows it there, but with CIFG that buffer holds nothing defined.
  if ((p.cell_scale_log2 < -15 || p.cell_scale_log2 > -9) && in(kInputToInput) < 0)
    ctx.fail_tensor(op->cell_state, "a CIFG LSTM needs a cell_state scale between 2^-15 and 2^-9, has 2^" +
                                        std::to_string(p.cell_scale_log2));
  if (p.cell_scale_log2 < -30 || p.cell_scale_log2 > 1)
    ctx.fail_tensor(op->cell_state, "cell_state scale 2^" + std::to_string(p.cell_scale_log2) + " is out of range");

  // Intermediates: the gates' matmul scales (layer norm only) and the hidden state's scale and zero point.
  if (def.intermediates.size() != 5)
    ctx.fail("the integer LSTM needs 5 intermediate tensors (gate and hidden scales), has " +
             std::to_string(def.intermediates.size()));
  float inter_scale[5];
  for (int k = 0; k < 5; ++k) {
    if (k < 4 && !layer_norm) { inter_scale[k] = static_cast<float>(std::pow(2, -12)); continue; }
    const int t = def.intermediates[k];
    if (t < 0 || !ctx.tensor(t).quantized) ctx.fail("intermediate " + std::to_string(k) + " has no quantization");
    inter_scale[k] = ctx.tensor(t).scale;
  }
  p.hidden_zero_point = ctx.tensor(def.intermediates[4]).zero_point;

  const float input_scale = xt.scale;
  const float state_scale = ctx.tensor(op->output_state).scale;
  p.output_state_zero_point = ctx.tensor(op->output_state).zero_point;
  const int gate_in[4] = {kInputToInput, kInputToForget, kInputToCell, kInputToOutput};
  const int gate_rec[4] = {kRecurrentToInput, kRecurrentToForget, kRecurrentToCell, kRecurrentToOutput};
  const int gate_peep[4] = {kCellToInput, kCellToForget, -1, kCellToOutput};
  const int gate_bias[4] = {kInputGateBias, kForgetGateBias, kCellGateBias, kOutputGateBias};
  const int gate_ln[4] = {kInputLayerNorm, kForgetLayerNorm, kCellLayerNorm, kOutputLayerNorm};
  for (int g = cifg ? 1 : 0; g < 4; ++g) {
    ops::LstmGate& gate = p.gates[g];
    const int wi = in(gate_in[g]), wr = in(gate_rec[g]), b = in(gate_bias[g]);
    expect_const(ctx, wi, tfl::kInt8, {p.n_cell, p.n_input}, "input weights");
    expect_const(ctx, wr, tfl::kInt8, {p.n_cell, p.n_output}, "recurrent weights");
    expect_const(ctx, b, tfl::kInt32, {p.n_cell}, "gate bias");
    const float wi_scale = ctx.per_tensor_scale(wi, "input weights");
    const float wr_scale = ctx.per_tensor_scale(wr, "recurrent weights");
    quantize_multiplier(wi_scale * input_scale / inter_scale[g], &gate.input_multiplier, &gate.input_shift);
    quantize_multiplier(wr_scale * state_scale / inter_scale[g], &gate.recurrent_multiplier, &gate.recurrent_shift);
    op->biases[2 * g] = fold_zero_point(ctx, wi, layer_norm ? -1 : b, -xt.zero_point);
    op->biases[2 * g + 1] = fold_zero_point(ctx, wr, -1, -p.output_state_zero_point);
    gate.input_weights = reinterpret_cast<const int8_t*>(ctx.tensor(wi).const_data);
    gate.recurrent_weights = reinterpret_cast<const int8_t*>(ctx.tensor(wr).const_data);
    gate.input_bias = op->biases[2 * g].data();
    gate.recurrent_bias = op->biases[2 * g + 1].data();
    if (peephole && gate_peep[g] >= 0) {
      const int c = in(gate_peep[g]);
      expect_const(ctx, c, tfl::kInt16, {p.n_cell}, "peephole weights");
      const float s = static_cast<float>(std::pow(2, p.cell_scale_log2) * ctx.per_tensor_scale(c, "peephole weights") /
                                         inter_scale[g]);
      quantize_multiplier(s, &gate.peephole_multiplier, &gate.peephole_shift);
      gate.peephole = reinterpret_cast<const int16_t*>(ctx.tensor(c).const_data);
    }
    if (layer_norm) {
      const int l = in(gate_ln[g]);
      expect_const(ctx, l, tfl::kInt16, {p.n_cell}, "layer norm coefficients");
      const float s = ctx.per_tensor_scale(l, "layer norm coefficients");
      quantize_multiplier(s, &gate.layer_norm_multiplier, &gate.layer_norm_shift);
      gate.variance_guard = std::max(1, static_cast<int32_t>(10000 * s));
      gate.layer_norm = reinterpret_cast<const int16_t*>(ctx.tensor(l).const_data);
      gate.layer_norm_bias = reinterpret_cast<const int32_t*>(ctx.tensor(b).const_data);
    }
  }

  const float hidden_scale = static_cast<float>(std::pow(2, -15) / inter_scale[4] * std::pow(2, -15));
  quantize_multiplier(hidden_scale, &p.hidden_multiplier, &p.hidden_shift);
  if (projection) {
    const int w = in(kProjectionWeights), b = in(kProjectionBias);
    expect_const(ctx, w, tfl::kInt8, {p.n_output, p.n_cell}, "projection weights");
    if (b >= 0) expect_const(ctx, b, tfl::kInt32, {p.n_output}, "projection bias");
    const float s = ctx.per_tensor_scale(w, "projection weights") * inter_scale[4] / state_scale;
    quantize_multiplier(s, &p.projection_multiplier, &p.projection_shift);
    op->biases[8] = fold_zero_point(ctx, w, b, p.hidden_zero_point);
    p.projection = reinterpret_cast<const int8_t*>(ctx.tensor(w).const_data);
    p.projection_bias = op->biases[8].data();
  } else if (p.n_output != p.n_cell) {
    ctx.fail("without a projection the output size (" + std::to_string(p.n_output) + ") must equal the cell count (" +
             std::to_string(p.n_cell) + ")");
  }
  const float cell_clip = def.options.cell_clip, proj_clip = def.options.proj_clip;
  if (cell_clip < 0 || proj_clip < 0) ctx.fail("cell_clip and proj_clip must not be negative");
  if (cell_clip > 0)
    p.cell_clip = static_cast<int16_t>(std::min(std::max(cell_clip / cell_scale, -32768.0f), 32767.0f));
  if (proj_clip > 0)
    p.proj_clip = static_cast<int8_t>(std::min(std::max(proj_clip / ctx.tensor(y).scale, -128.0f), 127.0f));

  p.sigmoid_table = ops::logistic_int16_table(3);
  p.tanh_gate_table = ops::tanh_int16_table(3);
  p.tanh_cell_table = ops::tanh_int16_table(15 + p.cell_scale_log2);
  op->matvec = ctx.kernels().matvec.fn;
  op->matvec_name = ctx.kernels().matvec.name;
  op->in = x;
  op->out = y;
  op->inputs = {x, op->output_state, op->cell_state};
  op->outputs = {y};
  return op;
}

}  // namespace edgekd
