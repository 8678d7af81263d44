// SignatureDefs and shape signatures (see signatures.h). The field ids are those of TFLite's schema.fbs.
#include "model/signatures.h"

#include <string>

#include "model/flatbuffer_view.h"

namespace edgekd {
namespace {

using fb::Bytes;
using fb::Table;
using fb::Vector;

// table Model
constexpr int kModelSubgraphs = 2, kModelSignatureDefs = 7;
// table SubGraph
constexpr int kSubgraphTensors = 0;
// table Tensor
constexpr int kTensorShapeSignature = 7;
// table SignatureDef
constexpr int kSigInputs = 0, kSigOutputs = 1, kSigKey = 2, kSigSubgraphIndex = 4;
// table TensorMap
constexpr int kMapName = 0, kMapTensorIndex = 1;

// The root table; read_tflite has checked the rest of the file before these run, but each reader stands
// on its own (every reference goes through fb::Table).
Table model_table(const Bytes& b) {
  const uint32_t root = b.read<uint32_t>(0, "root offset");
  if (root < 8 || root >= b.size()) Bytes::fail("root offset", "points outside the file");
  return Table(&b, root, "Model");
}

uint32_t num_tensors(const Table& model, const Vector& subgraphs, uint32_t sg) {
  return model.table_at(subgraphs, sg).vector(kSubgraphTensors, 4, "tensors").size();
}

std::vector<std::pair<std::string, int>> read_maps(const Table& sig, int id, const char* name, uint32_t limit) {
  const Vector v = sig.vector(id, 4, name);
  std::vector<std::pair<std::string, int>> out;
  out.reserve(v.size());
  for (uint32_t i = 0; i < v.size(); ++i) {
    const Table m = sig.table_at(v, i);
    const uint32_t t = m.scalar<uint32_t>(kMapTensorIndex, 0, "tensor_index");
    if (t >= limit)
      Bytes::fail(m.what() + ".tensor_index", "is " + std::to_string(t) + ", but the subgraph has " +
                                                  std::to_string(limit) + " tensors");
    out.emplace_back(m.string(kMapName, "name"), static_cast<int>(t));
  }
  return out;
}

}  // namespace

std::vector<SignatureInfo> read_signature_defs(const uint8_t* data, size_t size) {
  const Bytes b(data, size);
  const Table model = model_table(b);
  const Vector sigs = model.vector(kModelSignatureDefs, 4, "signature_defs");
  const Vector subgraphs = model.vector(kModelSubgraphs, 4, "subgraphs");
  std::vector<SignatureInfo> out;
  out.reserve(sigs.size());
  for (uint32_t i = 0; i < sigs.size(); ++i) {
    const Table s = model.table_at(sigs, i);
    SignatureInfo info;
    info.key = s.string(kSigKey, "signature_key");
    const uint32_t sg = s.scalar<uint32_t>(kSigSubgraphIndex, 0, "subgraph_index");
    if (sg >= subgraphs.size())
      Bytes::fail(s.what() + ".subgraph_index", "is " + std::to_string(sg) + ", but the model has " +
                                                    std::to_string(subgraphs.size()) + " subgraphs");
    info.subgraph_index = static_cast<int>(sg);
    const uint32_t limit = num_tensors(model, subgraphs, sg);
    info.inputs = read_maps(s, kSigInputs, "inputs", limit);
    info.outputs = read_maps(s, kSigOutputs, "outputs", limit);
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::vector<int>> read_shape_signatures(const uint8_t* data, size_t size) {
  const Bytes b(data, size);
  const Table model = model_table(b);
  const Vector subgraphs = model.vector(kModelSubgraphs, 4, "subgraphs");
  if (subgraphs.size() == 0) Bytes::fail("Model.subgraphs", "is empty: the model has no graph");
  const Table sg = model.table_at(subgraphs, 0);
  const Vector tensors = sg.vector(kSubgraphTensors, 4, "tensors");
  std::vector<std::vector<int>> out(tensors.size());
  for (uint32_t i = 0; i < tensors.size(); ++i) {
    const Vector v = sg.table_at(tensors, i).vector(kTensorShapeSignature, 4, "shape_signature");
    out[i].resize(v.size());
    for (uint32_t d = 0; d < v.size(); ++d) out[i][d] = v.at<int32_t>(d);
  }
  return out;
}

}  // namespace edgekd
