// Which ops of a model edgekd's runtime has no kernel for, found the way load finds them (read, verify,
// fold, build each op) but without planning an arena or running anything: `edgekd inspect` lists them;
// Model::from_* names them all in one error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgekd {

// Indices (in subgraph 0's operator list) of the ops build_op has no kernel for, in model order.
// Throws std::invalid_argument when the model cannot be read or verified, or when an op is wrong in
// another way and none lacks a kernel.
std::vector<int> unsupported_ops(const uint8_t* data, size_t size);

}  // namespace edgekd
