// float32 ops (op_float_*.cpp). build_op hands an op to build_float_op first; it builds the float32 version
// of the op types it knows when their data is float32 and returns nullptr for everything else.
#pragma once
#include <memory>

#include "runtime/op.h"

namespace edgekd {

std::unique_ptr<Op> build_float_op(BuildContext& ctx);

// op_float_conv.cpp
std::unique_ptr<Op> build_float_conv2d(BuildContext& ctx);
std::unique_ptr<Op> build_float_depthwise_conv2d(BuildContext& ctx);
std::unique_ptr<Op> build_float_fully_connected(BuildContext& ctx);

}  // namespace edgekd
