// The runtime's view of one operator: built (validated, parameters prepared, weights packed) once at load,
// run per inference with no allocation. Ops address tensors through RunContext::ptrs, which the
// interpreter fills once the arena is planned.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgekd/cpu.h"
#include "kernels/kernels.h"
#include "kernels/ops/ops.h"
#include "model/model_def.h"
#include "runtime/thread_pool.h"

namespace edgekd {

class ThreadPool;

// A tensor as the runtime holds it.
struct RtTensor {
  std::string name;
  int type = 0;                // tfl::TensorType
  std::vector<int> shape;
  int64_t elements = 1;
  int64_t bytes = 0;
  float scale = 0.0f;          // per-tensor quantization (first entry when per-channel)
  int32_t zero_point = 0;
  bool quantized = false;
  const QuantDef* quant = nullptr;           // full quantization from the file (nullptr: none)
  const uint8_t* const_data = nullptr;       // constant: points into the model bytes or folded_data
  std::vector<uint8_t> folded_data;          // values computed at load (folded shape ops)
  bool is_variable = false;                  // state kept across inferences, outside the arena
  const uint8_t* init_data = nullptr;        // a variable's initial value from the file (nullptr: zero point)
  bool is_resource = false;                  // a variable standing for a resource variable (resource_variables.h)
  int resource = -1;                         // a VAR_HANDLE output: the variable tensor its resource lives in
  bool is_constant() const { return const_data != nullptr; }
};

struct RunContext {
  std::vector<uint8_t*> ptrs;    // per tensor: arena slot or constant bytes
  ThreadPool* pool = nullptr;    // nullptr: single thread
  void* scratch = nullptr;       // shared scratch (ops run one at a time)
  size_t scratch_bytes = 0;
  int num_threads = 1;
  template <typename T> T* as(int t) const { return reinterpret_cast<T*>(ptrs[t]); }
};

class Op {
 public:
  virtual ~Op() = default;
  virtual void run(const RunContext& ctx) const = 0;
  // Scratch bytes run() needs for `num_threads` threads.
  virtual size_t scratch_bytes(int num_threads) const { return 0; }
  // Kernel family ("gemm", "dwconv", "pool", ...) and the kernel chosen, for model.info().
  virtual std::string family() const = 0;
  virtual std::string kernel() const = 0;

  // Bands of rows, for fused regions (see plan_regions in interpreter.cpp). An op that can compute output
  // rows [r0, r1) of its batch-1 output on the calling thread returns the output's height (0: it cannot).
  virtual int band_rows() const { return 0; }
  // True when output row r reads only row r of each input, whose height and width equal the output's (1x1
  // convs, same-shape ADD): such an op can follow the op that wrote its input in the same region with no
  // barrier between them, each thread running its own band.
  virtual bool row_local() const { return false; }
  // Whether a band may begin at output row `row` with results identical to the unsplit op.
  virtual bool band_may_start_at(int /*row*/) const { return true; }
  virtual void run_band(const RunContext& ctx, int r0, int r1) const;

  std::string name;                  // "op 3 (CONV_2D)"
  std::vector<int> inputs, outputs;  // tensors read / written at run time (not constants)
};

// build_op's error for an op type the runtime has no kernel for (a kind of bad input, so still an
// std::invalid_argument for callers that catch those).
struct UnsupportedOpError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// What an op factory sees at load: the model, the runtime tensors, the chosen path, and helpers that
// check and fetch what the op needs, each failing with an error naming the op, the tensor and the rule.
class BuildContext {
 public:
  BuildContext(const ModelDef& model, std::vector<RtTensor>& tensors, Isa isa)
      : model_(model), tensors_(tensors), isa_(isa) {}
  const ModelDef& model() const { return model_; }
  Isa isa() const { return isa_; }
  // The kernels of the model's path: ops take theirs from here at load.
  const KernelTable& kernels() const { return kernel_table(isa_); }
  const OperatorDef& op() const { return *op_; }
  void set_op(const OperatorDef* op) { op_ = op; }

  [[noreturn]] void fail(const std::string& msg) const;
  [[noreturn]] void fail_tensor(int t, const std::string& msg) const;
  // The op's type has no kernel here: throws UnsupportedOpError, so load can go on and name every such op.
  [[noreturn]] void fail_unsupported() const;

  void expect_io(size_t min_inputs, size_t max_inputs, size_t num_outputs) const;
  int input(size_t k) const;   // tensor index of input k, or -1 when absent (optional)
  int output(size_t k) const;
  const RtTensor& tensor(int t) const { return tensors_[t]; }
  RtTensor& mutable_tensor(int t) { return tensors_[t]; }
  void expect_type(int t, int type, const char* role) const;
  // int8 activation with per-tensor quantization.
  void expect_int8_per_tensor(int t, const char* role) const;
  void expect_rank(int t, size_t rank, const char* role) const;
  void expect_shape(int t, const std::vector<int>& shape, const char* role) const;
  void expect_elements(int t, int64_t elements, const char* role) const;
  void expect_constant(int t, const char* role) const;
  void expect_not_constant(int t, const char* role) const;
  // A variable tensor (state an op reads and updates in place across inferences).
  void expect_variable(int t, const char* role) const;
  // The scale of a tensor quantized per tensor (a failure names the tensor otherwise).
  float per_tensor_scale(int t, const char* role) const;
  // CONV_2D / DEPTHWISE_CONV_2D operands: int8 per-tensor 4-D input (not constant) and output, constant
  // int8 4-D filter.
  void expect_conv_operands(int in, int filter, int out) const;
  // Values of a constant int32 (or int64, narrowed) tensor.
  std::vector<int32_t> const_ints(int t, const char* role) const;
  ops::Activation activation(int act) const;

 private:
  const ModelDef& model_;
  std::vector<RtTensor>& tensors_;
  Isa isa_;
  const OperatorDef* op_ = nullptr;
};

// Builds the runtime op for `op` (an error naming the op for unsupported ops / types / options).
std::unique_ptr<Op> build_op(BuildContext& ctx);

// Factories, one per op file.
std::unique_ptr<Op> build_conv2d(BuildContext& ctx);
std::unique_ptr<Op> build_depthwise_conv2d(BuildContext& ctx);
std::unique_ptr<Op> build_fully_connected(BuildContext& ctx);
std::unique_ptr<Op> build_add(BuildContext& ctx);
std::unique_ptr<Op> build_mul(BuildContext& ctx);
std::unique_ptr<Op> build_pool(BuildContext& ctx, bool max_pool);
std::unique_ptr<Op> build_mean(BuildContext& ctx);
std::unique_ptr<Op> build_pad(BuildContext& ctx);
std::unique_ptr<Op> build_concat(BuildContext& ctx);
std::unique_ptr<Op> build_reshape(BuildContext& ctx);
std::unique_ptr<Op> build_softmax(BuildContext& ctx);
std::unique_ptr<Op> build_lut_activation(BuildContext& ctx);  // RELU*, LOGISTIC, HARD_SWISH, TANH, QUANTIZE s8->s8
std::unique_ptr<Op> build_quantize(BuildContext& ctx);        // QUANTIZE f32->s8 (s8->s8 goes to the LUT)
std::unique_ptr<Op> build_dequantize(BuildContext& ctx);
// --- stateful ops ---
std::unique_ptr<Op> build_unidirectional_sequence_lstm(BuildContext& ctx);  // op_lstm.cpp
std::unique_ptr<Op> build_svdf(BuildContext& ctx);                          // op_svdf.cpp
std::unique_ptr<Op> build_resource_copy(BuildContext& ctx, bool read);      // op_resource.cpp
// ---- math ops
std::unique_ptr<Op> build_math_binary(BuildContext& ctx);  // SUB, SQUARED_DIFFERENCE, DIV, PRELU, MAXIMUM, MINIMUM
std::unique_ptr<Op> build_log_softmax(BuildContext& ctx);
std::unique_ptr<Op> build_batch_matmul(BuildContext& ctx);
std::unique_ptr<Op> build_transpose_conv(BuildContext& ctx);
// ---- end math ops

// Ops with fewer multiply-accumulates than this run on the calling thread only: waking workers costs more
// than it saves on such small ops (results are identical either way).
constexpr int64_t kMinParallelMacs = int64_t(1) << 14;

// Elementwise ops with fewer elements than this run on the calling thread only.
constexpr int64_t kMinParallelElements = int64_t(1) << 14;

// fn(begin, end) over [0, n) on the pool, in chunks that start at multiples of `align` (so a kernel that
// treats the last n % align elements differently, as LiteRT's NEON blocks do, sees the same tail in the
// last chunk and whole blocks elsewhere); on the calling thread when n < min_n or there is no pool.
// A template, and the pool's job captures one pointer, so no std::function allocates per inference.
template <class Fn>
void parallel_elements(const RunContext& ctx, int64_t n, int64_t align, const Fn& fn,
                       int64_t min_n = kMinParallelElements) {
  if (!ctx.pool || ctx.pool->num_threads() < 2 || n < min_n || n < 2) {
    fn(int64_t(0), n);
    return;
  }
  struct Job {
    const Fn* fn;
    int64_t n, align;
  } job{&fn, n, align};
  const Job* j = &job;
  ctx.pool->parallel_for(static_cast<int>((n + align - 1) / align), [j](int ub, int ue) {
    const int64_t e = int64_t(ue) * j->align;
    (*j->fn)(int64_t(ub) * j->align, e < j->n ? e : j->n);
  });
}

// TFLite's SAME / VALID output size and leading padding (ComputePaddingHeightWidth).
struct PaddedDim {
  int out = 0, pad_before = 0;
};
PaddedDim compute_padded_dim(int in, int filter, int stride, int dilation, int padding /* tfl::Padding */);

}  // namespace edgekd
