// Data-movement and reduction ops on int8 tensors of any rank up to 6: TRANSPOSE, SLICE, STRIDED_SLICE,
// SPLIT, SPLIT_V, DEPTH_TO_SPACE, SPACE_TO_DEPTH (all one strided copy), GATHER, RESIZE_BILINEAR,
// RESIZE_NEAREST_NEIGHBOR, SUM, REDUCE_MAX, ARG_MAX, ARG_MIN. Same two-step contract as ops.h: prepare_* at
// load (throws std::invalid_argument naming the op and field), the kernel per inference (no allocation, no
// throw). The arithmetic of each follows LiteRT's builtin kernel (see the .cpp files).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgekd {
namespace ops {

// ------------------------------------------------------------------------------------------------
// A strided copy: the output, dense, is [dims[0]]...[dims[rank-1]] bytes; output element (i0, ..., ik) is the
// input byte at in_offset + sum_k i_k * in_stride[k] (strides in bytes, negative for reversed slices).
// make_strided_copy drops unit dimensions and merges dimensions the input holds contiguously, so a copy
// whose rows are contiguous in the input runs as one memcpy per row.
constexpr int kMaxCopyDims = 8;
struct StridedCopy {
  int rank = 0;
  int64_t dims[kMaxCopyDims] = {};
  int64_t in_stride[kMaxCopyDims] = {};
  int64_t in_offset = 0;
  int64_t bytes() const;
};
// dims / in_strides / in_offset in elements of elem_bytes bytes; rank <= kMaxCopyDims - 1.
StridedCopy make_strided_copy(int rank, const int64_t* dims, const int64_t* in_strides, int64_t in_offset,
                              int elem_bytes);
// Dense element strides of a shape.
std::vector<int64_t> dense_strides(const std::vector<int>& shape);
void strided_copy(const StridedCopy& p, const uint8_t* in, uint8_t* out);

// ------------------------------------------------------------------------------------------------
// GATHER (gather.cc, reference/gather.h): out[b][o][j][inner] = in[b][o][indices[b][j]][inner].
struct GatherParams {
  int64_t batch = 1, outer = 1, axis_size = 1, coords = 1;
  int64_t inner_bytes = 1;
  int index_bytes = 4;  // 2, 4 or 8 (int16, int32, int64 indices)
};
// Returns -1, or the position in `indices` of the first index outside [0, axis_size) (nothing is read for
// it; LiteRT fails the invoke the same way).
int64_t gather(const GatherParams& p, const uint8_t* in, const void* indices, uint8_t* out);
// The index at position i of an int16 / int32 / int64 index array.
int64_t gather_index(const GatherParams& p, const void* indices, int64_t i);

// ------------------------------------------------------------------------------------------------
// RESIZE_BILINEAR (int8: reference_ops::ResizeBilinearInteger, 10 fractional bits, rounding half away from
// zero) and RESIZE_NEAREST_NEIGHBOR (optimized_ops::ResizeNearestNeighbor: 16-bit fixed point without
// align_corners / half_pixel_centers, reference float index arithmetic with them). NHWC; the source rows
// and columns of every output row and column are computed once at prepare.
struct ResizeAxis {
  std::vector<int32_t> lo, hi;  // source indices per output index (clamped into the input)
  std::vector<int32_t> frac;    // bilinear: weight of `hi` in 1/1024 (may lie outside [0, 1024])
};
struct ResizeParams {
  int batch = 1, in_h = 0, in_w = 0, channels = 0, out_h = 0, out_w = 0;
  ResizeAxis y, x;
};
ResizeParams prepare_resize_bilinear(int batch, int in_h, int in_w, int channels, int out_h, int out_w,
                                     bool align_corners, bool half_pixel_centers);
ResizeParams prepare_resize_nearest(int batch, int in_h, int in_w, int channels, int out_h, int out_w,
                                    bool align_corners, bool half_pixel_centers);
// Output rows [y_begin, y_end) of every image.
void resize_bilinear_s8_ref(const ResizeParams& p, const int8_t* in, int8_t* out, int y_begin, int y_end);
// Any element size (channels counted in bytes).
void resize_nearest(const ResizeParams& p, const uint8_t* in, uint8_t* out, int y_begin, int y_end);

// ------------------------------------------------------------------------------------------------
// SUM / REDUCE_MAX over any axes of an int8 tensor of rank <= 6, and ARG_MAX / ARG_MIN over one axis.
// The input is viewed as [outer][reduced][inner]-style loops by a list of (size, reduced) dimensions.
struct ReduceParams {
  int rank = 0;
  int64_t dims[6] = {};
  bool reduced[6] = {};
  int64_t num_reduced = 1, num_outputs = 1;
  // SUM (optimized_ops::QuantizedMeanOrSum, compute_sum): float scale = s_in / s_out,
  // bias = float(-z_in) * scale * float(n); out = clamp(int(round(float(sum) * scale + bias)) + z_out).
  float scale = 1.0f, bias = 0.0f;
  int32_t output_zp = 0;
};
ReduceParams prepare_reduce(const int* dims, int rank, const int32_t* axes, int num_axes, const char* op);
void prepare_sum_requant(ReduceParams& p, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp);
// `acc` holds num_outputs int32 sums (the caller's scratch).
void reduce_sum_s8(const ReduceParams& p, const int8_t* in, int8_t* out, int32_t* acc);
void reduce_max_s8(const ReduceParams& p, const int8_t* in, int8_t* out);

struct ArgParams {
  int64_t outer = 1, axis_size = 1, inner = 1;
  bool is_max = true;
  bool out_int64 = false;
};
// First index of the maximum (minimum) along the axis, as LiteRT's int8 kernels return it.
void arg_minmax_s8(const ArgParams& p, const int8_t* in, void* out);

}  // namespace ops
}  // namespace edgekd
