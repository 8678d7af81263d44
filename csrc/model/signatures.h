// What LiteRT's Python API reports beyond the graph edgekd runs: the model's SignatureDefs (named inputs and
// outputs, for get_signature_list and signature runners) and each tensor's shape_signature (-1 marks a
// dimension the converter left dynamic). Read from the same bounds-checked view as the model itself.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "edgekd/runtime.hpp"

namespace edgekd {

// Model.signature_defs in file order. Tensor indices are checked against the tensors of the subgraph each
// signature names. Throws std::invalid_argument naming the field on malformed content.
std::vector<SignatureInfo> read_signature_defs(const uint8_t* data, size_t size);

// shape_signature of every tensor of subgraph 0, in tensor order; empty where the file has none.
std::vector<std::vector<int>> read_shape_signatures(const uint8_t* data, size_t size);

}  // namespace edgekd
