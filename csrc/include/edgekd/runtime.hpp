// edgekd's C++ runtime API: load an int8 .tflite model, run it, read its outputs.
//
//   auto model = edgekd::Model::from_file("student.tflite", /*num_threads=*/1);
//   model->set_input(0, x, bytes);
//   model->run();
//   model->get_output(0, y, bytes);
//
// Loading reads and verifies the file, folds static shape ops, plans one arena from tensor lifetimes and
// packs weights for the SIMD path chosen for this process (EDGEKD_ISA or the best available). run()
// allocates nothing. A Model runs one inference at a time; separate Models run concurrently.
// Errors: std::invalid_argument (bad file, unsupported op, wrong input size) naming the op / tensor / field;
// std::runtime_error when a forced EDGEKD_ISA path cannot run here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace edgekd {

enum class DType : int { kFloat32 = 0, kInt32 = 2, kUInt8 = 3, kInt64 = 4, kInt16 = 7, kInt8 = 9, kOther = -1 };

struct TensorInfo {
  std::string name;
  int index = 0;                 // tensor index in the file
  DType dtype = DType::kOther;
  int tflite_type = 0;
  std::vector<int> shape;
  std::vector<int> shape_signature;  // the file's (-1: a dimension left dynamic); empty if it has none
  size_t bytes = 0;
  bool is_constant = false;      // data stored in the file (or folded at load)
  bool is_variable = false;      // state kept across inferences (Model::reset_state restores it)
  std::vector<float> scales;     // empty: not quantized
  std::vector<int64_t> zero_points;
  int quantized_dimension = 0;
  // For a float32 model input (output): the int8 parameters of the QUANTIZE (DEQUANTIZE) at that edge.
  bool has_edge_quant = false;
  float edge_scale = 0.0f;
  int32_t edge_zero_point = 0;
};

struct ModelInfo {
  std::string path;                                     // SIMD path, e.g. "avx2"
  std::map<std::string, std::vector<std::string>> kernels;  // family -> distinct kernels used
  size_t arena_bytes = 0;
  size_t scratch_bytes = 0;
  size_t model_bytes = 0;
  double load_ms = 0.0;
  int num_ops = 0;          // ops run per inference
  int num_folded_ops = 0;   // static shape ops folded at load
  int num_threads = 1;
  int num_fused_regions = 0;  // runs of ops that share one parallel region (threads > 1)
  int num_fused_ops = 0;      // ops inside them
  int num_variables = 0;      // variable tensors: state kept across inferences, outside the arena
  size_t state_bytes = 0;     // their bytes
};

// A SignatureDef: named model inputs and outputs (LiteRT's signature runners call a model by these names).
struct SignatureInfo {
  std::string key;                                   // "serving_default"
  int subgraph_index = 0;
  std::vector<std::pair<std::string, int>> inputs;   // (signature name, tensor index), in file order
  std::vector<std::pair<std::string, int>> outputs;
};

// One op's share of run time, from Model::profile().
struct OpProfile {
  std::string name;    // "op 3 (CONV_2D)"
  std::string kernel;  // kernel chosen at load
  double ms = 0.0;     // median over the profiled runs
};

// Model::profile takes per_op (benchmarks/ab_revision.cpp checks for it).
#define EDGEKD_PROFILE_STEPS 1

class Model {
 public:
  // keep_all_tensors gives every tensor its own arena slot, so intermediates stay readable after run()
  // (tensor_data); it costs the sum of all activations instead of the planned arena.
  static std::unique_ptr<Model> from_file(const std::string& file, int num_threads = 1,
                                          bool keep_all_tensors = false);
  static std::unique_ptr<Model> from_bytes(const void* data, size_t size, int num_threads = 1,
                                           bool keep_all_tensors = false);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  const ModelInfo& info() const;
  const std::vector<SignatureInfo>& signatures() const;
  // Every tensor of the graph, by its index in the file.
  size_t num_tensors() const;
  TensorInfo tensor_info(size_t index) const;
  // A tensor's bytes: constants and variables always; activations only while their slot holds them (model inputs until
  // the op that last reads them, outputs after run(), everything after run() with keep_all_tensors).
  // nullptr for a tensor no op writes.
  const void* tensor_data(size_t index) const;

  // Direct access to the arena slots of model inputs / outputs (valid for the model's lifetime).
  void* input_data(size_t i);
  const void* output_data(size_t i) const;
  // Copies with size checks (std::invalid_argument naming the tensor on a mismatch).
  void set_input(size_t i, const void* data, size_t bytes);
  void get_output(size_t i, void* data, size_t bytes) const;
  void run();
  // Restores every variable tensor (the state of LSTM / SVDF ops) to its initial value: its buffer in the
  // file, or the zero point (int8) / zero. Loading does it once; state otherwise carries across run()s.
  // resource_variables = false leaves the resource variables (VAR_HANDLE) as they are, as LiteRT's
  // reset_all_variables does; true restores them to the value their CALL_ONCE init assigns.
  void reset_state(bool resource_variables = true);
  // Runs the model `runs` times timing every op; returns each op's median time, in execution order.
  // per_op = false times the steps run() takes instead: a fused region (threads > 1) is one entry, named
  // "ops 1-3 (fused)", and the entries sum to an inference as run() runs it. With per_op = true each op of
  // a region runs on its own, as a parallel op.
  std::vector<OpProfile> profile(int runs, bool per_op = true);

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgekd
