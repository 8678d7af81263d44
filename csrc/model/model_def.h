// The parsed TFLite model: plain data, with views into the caller's bytes for constant buffers.
// Produced by read_tflite() (model_reader.cpp), checked by verify_model() (verifier.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace edgekd {

struct QuantDef {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int quantized_dimension = 0;
  bool present() const { return !scale.empty(); }
};

struct TensorDef {
  std::string name;
  std::vector<int32_t> shape;
  int type = 0;            // tfl::TensorType
  uint32_t buffer = 0;     // index into ModelDef::buffers; buffer 0 is the empty sentinel
  QuantDef quant;
  bool is_variable = false;
  bool sparse = false;
};

struct BufferDef {
  const uint8_t* data = nullptr;  // nullptr / 0 when the buffer is empty
  size_t size = 0;
};

// The builtin options edgekd reads, flattened. Defaults are the schema's defaults.
struct OpOptions {
  int padding = 0;  // tfl::Padding
  int stride_w = 1, stride_h = 1, dilation_w = 1, dilation_h = 1;
  int depth_multiplier = 1;
  int filter_w = 1, filter_h = 1;
  int activation = 0;  // tfl::Activation
  int weights_format = 0;
  bool keep_num_dims = false;
  bool keep_dims = false;
  int axis = 0;
  bool has_new_shape = false;
  std::vector<int32_t> new_shape;
  float beta = 1.0f;
  int begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
  bool slice_offset = false;
  int values_count = 0;
  std::vector<int32_t> squeeze_dims;
  // Stateful ops (UNIDIRECTIONAL_SEQUENCE_LSTM, SVDF).
  float cell_clip = 0.0f, proj_clip = 0.0f;
  bool time_major = false;
  bool asymmetric_quantize_inputs = false;
  bool diagonal_recurrent_tensors = false;
  int rank = 0;
  std::string container, shared_name;  // VAR_HANDLE: the resource variable's key
  int init_subgraph_index = 0;         // CALL_ONCE
  // Shape and reduction ops.
  int num_splits = 0;
  int batch_dims = 0;
  int block_size = 0;
  bool align_corners = false, half_pixel_centers = false;
  int output_type = 0;  // ARG_MAX / ARG_MIN: tfl::TensorType of the indices (the schema's default, FLOAT32, is invalid)
  // ---- math ops
  float alpha = 0.0f;        // LEAKY_RELU
  bool approximate = false;  // GELU
  bool adj_x = false, adj_y = false;  // BATCH_MATMUL
  // ---- end math ops
};

struct OperatorDef {
  int index = 0;         // position in subgraph 0's operator list
  int builtin_code = 0;  // resolved: max(deprecated_builtin_code, builtin_code)
  std::string custom_code;
  int version = 1;
  std::vector<int32_t> inputs, outputs;  // -1 = optional input absent
  std::vector<int32_t> intermediates;    // tensors that carry quantization for an op's inner stages (LSTM)
  OpOptions options;
};

struct ModelDef {
  uint32_t version = 0;
  std::string description;
  std::vector<TensorDef> tensors;
  std::vector<int32_t> inputs, outputs;
  std::vector<OperatorDef> operators;
  std::vector<BufferDef> buffers;
  int num_subgraphs = 0;
};

// Parses subgraph 0 (or another) of a .tflite flatbuffer. `data` must outlive the result (buffers point into
// it). Throws std::invalid_argument naming the field on any malformed, truncated or out-of-range content.
ModelDef read_tflite(const uint8_t* data, size_t size, int subgraph = 0);

// Checks indices, types, shapes and buffer sizes across the model (see verifier.cpp).
void verify_model(const ModelDef& model);

// Bytes per element of a tfl::TensorType, 0 for types edgekd cannot hold.
int64_t tensor_type_size(int type);

// "op 3 (CONV_2D)" — how errors name an operator.
std::string describe_op(const OperatorDef& op);
// "tensor 7 'conv1/weights'".
std::string describe_tensor(const ModelDef& model, int index);

}  // namespace edgekd
