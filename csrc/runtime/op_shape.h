// Shape and reduction ops: TRANSPOSE, SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
// GATHER, EXPAND_DIMS, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, SUM, REDUCE_MAX, ARG_MAX, ARG_MIN.
// The ops that only move bytes (every one up to EXPAND_DIMS, and RESIZE_NEAREST_NEIGHBOR) take any tensor
// type and, like LiteRT, copy the input's bytes whatever the output's quantization says.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "runtime/op.h"

namespace edgekd {

std::unique_ptr<Op> build_transpose(BuildContext& ctx);
std::unique_ptr<Op> build_slice(BuildContext& ctx);
std::unique_ptr<Op> build_strided_slice(BuildContext& ctx);
std::unique_ptr<Op> build_split(BuildContext& ctx);  // SPLIT and SPLIT_V
std::unique_ptr<Op> build_space_depth(BuildContext& ctx);  // DEPTH_TO_SPACE and SPACE_TO_DEPTH
std::unique_ptr<Op> build_gather(BuildContext& ctx);
std::unique_ptr<Op> build_expand_dims(BuildContext& ctx);
std::unique_ptr<Op> build_resize(BuildContext& ctx);  // RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR
std::unique_ptr<Op> build_reduce(BuildContext& ctx);  // SUM and REDUCE_MAX
std::unique_ptr<Op> build_arg_minmax(BuildContext& ctx);

// Shape folding: a TRANSPOSE whose input is a constant becomes a constant output (the permuted bytes).
void fold_transpose(BuildContext& ctx);

// Helpers shared by the op files above.
// Input and output share a type edgekd can hold; returns its element size in bytes.
int expect_same_type(const BuildContext& ctx, int in, int out);
// An axis in [-rank, rank) made non-negative, or an error naming the op and `t`.
int normalize_axis(const BuildContext& ctx, int axis, int rank, int t, const char* what);
// The op running one strided copy per output (all from input `in`).
std::unique_ptr<Op> make_copy_op(BuildContext& ctx, int in, const std::vector<int>& outs,
                                 std::vector<ops::StridedCopy> copies, const char* family);
std::string dims_str(const std::vector<int>& s);

}  // namespace edgekd
