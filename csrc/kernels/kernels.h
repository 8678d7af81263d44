// The kernel tables: one table per SIMD path, holding the kernel of every op family the runtime runs.
// Layouts are NHWC; int8 activations per tensor; int8 weights symmetric per output channel.
// GEMM and depthwise pack their weights per path (GemmKernel, DwConvKernel below; drivers in
// kernels/conv/conv.h and kernels/dwconv/dwconv.h); the other families are one function each whose
// parameters prepare_<op> computes (kernels/ops/ops.h), and a path without its own twin of one holds the
// ref path's entry. Kernel names say op, types and path: "add_s8_avx2", "mean_hw_s8_ref" ("_ref" is the
// portable C++ every path can run; the scalar definitions the tests compare against are ops::*_ref).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "edgekd/cpu.h"
#include "edgekd/quant.h"
#include "kernels/ops/math_ops.h"
#include "kernels/ops/ops.h"
#include "kernels/ops/recurrent.h"
#include "kernels/ops/shape_ops.h"

namespace edgekd {

// 64-byte aligned, zero-initialised byte storage for packed weights and scratch.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes) { resize(bytes); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : ptr_(o.ptr_), size_(o.size_) { o.ptr_ = nullptr; o.size_ = 0; }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept;
  ~AlignedBuffer();
  void resize(size_t bytes);  // discards contents, zero-fills
  uint8_t* data() { return ptr_; }
  const uint8_t* data() const { return ptr_; }
  size_t size() const { return size_; }
  template <typename T> T* as() { return reinterpret_cast<T*>(ptr_); }
  template <typename T> const T* as() const { return reinterpret_cast<const T*>(ptr_); }

 private:
  uint8_t* ptr_ = nullptr;
  size_t size_ = 0;
};

// Output stage shared by GEMM, conv and depthwise: per-channel multiplier/shift, zero point, clamp.
struct OutputStage {
  std::vector<int32_t> multiplier;  // [n] (expanded to per channel even for per-tensor weights)
  std::vector<int32_t> shift;       // [n]
  int32_t output_zero_point = 0;
  int32_t act_min = -128;
  int32_t act_max = 127;
  Requant requant() const {
    Requant r;
    r.multiplier = multiplier.data();
    r.shift = shift.data();
    r.per_channel = true;
    r.output_zero_point = output_zero_point;
    r.act_min = act_min;
    r.act_max = act_max;
    return r;
  }
};

// ---------------------------------------------------------------------------------------------------
// GEMM / fully connected:  C[m][j] = requant_j( sum_k (A[m][k] - a_zp) * W[j][k] + bias[j] )
// A: int8 [M][K], row stride lda.  W: int8 [N][K] (TFLite FC / conv weight layout, K contiguous).
// The activation zero point is folded into the packed bias at pack time (bias - a_zp * sum_k W[j][k]),
// and on VNNI also the +128 shift that makes activations unsigned.
struct PackedGemm {
  Isa isa = Isa::kRef;
  int n = 0, k = 0;
  int32_t a_zero_point = 0;
  // No weight is -128 (set by the NEON pack): two products then fit an int16 sum, which gemm_neon's
  // smull + smlal2 pairs rely on; -128 weights (outside TFLite's symmetric spec) take its exact slower loop.
  bool no_min_weight = false;
  AlignedBuffer weights;         // layout private to the path's kernel
  std::vector<int32_t> bias;     // [n padded to the kernel's nr]; SIMD paths fold zero points in, ref keeps it raw
  OutputStage out;
};

// The A operand of an implicit GEMM: GEMM row r is output pixel r of a convolution over a bordered image
// (its padding written out: every window inside), read in place without im2col. Row r's k-th group of taps
// starts at origin(r) + taps[t], origin(r) = image + b * image_bytes + oy * stride_h * row_bytes
// + ox * stride_w * in_c for r = (b * out_h + oy) * out_w + ox; K is ntaps * in_c in tap order.
struct ImplicitConvA {
  const int8_t* image = nullptr;  // every byte XORed with GemmKernel::implicit_xor
  size_t image_bytes = 0, row_bytes = 0;
  int out_h = 0, out_w = 0, stride_h = 1, stride_w = 1, in_c = 0;
  const ptrdiff_t* taps = nullptr;
  int ntaps = 0;
};

struct GemmKernel {
  const char* name;  // e.g. "gemm_s8_4x16c4_avx512vnni"
  Isa isa;
  int mr, nr;        // register tile (rows of A, columns of C)
  // w: [n][k] row-major; bias: [n] or nullptr. Fills `out` except `out.out`, which the caller sets.
  void (*pack)(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out);
  // Computes rows [0, m) and columns [n_begin, n_end) of C. n_begin is a multiple of nr.
  void (*run)(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc,
              int n_begin, int n_end);
  // Two or three rows left over after the full tiles run as one more full tile over the last mr rows
  // (rows recomputed, same bytes), so a call whose m is not a multiple of mr costs about a whole tile more.
  bool overlapped_tail = false;
  // Optional (nullptr: convolutions build im2col rows): rows [m_begin, m_end) and all columns of C (rows
  // ldc apart, row 0 at c) from an implicit A. Needs in_c % 4 == 0 and a right shift on every output
  // channel (shift < 0).
  void (*run_implicit)(const PackedGemm& p, const ImplicitConvA& a, int m_begin, int m_end, int8_t* c,
                       size_t ldc) = nullptr;
  uint8_t implicit_xor = 0;  // applied to the image's bytes first (0x80: unsigned for vpdpbusd)
};

// ---------------------------------------------------------------------------------------------------
// Depthwise conv 2D (NHWC). Output channel oc = ic * depth_multiplier + d. Weights [kh][kw][oc].
struct DwConvParams {
  int batch = 1, in_h = 0, in_w = 0, in_c = 0, depth_multiplier = 1;
  int out_h = 0, out_w = 0;
  int kh = 0, kw = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;  // padding is filled with the input zero point (real 0)
  int32_t input_zero_point = 0;
  int out_c() const { return in_c * depth_multiplier; }
};

struct PackedDwConv {
  Isa isa = Isa::kRef;
  DwConvParams params;
  AlignedBuffer weights;      // layout private to the kernel
  std::vector<int32_t> bias;  // [out_c padded], as the kernel wants it
  OutputStage out;
  const char* variant = "";   // the kernel actually used, e.g. "dwconv_3x3s1_avx2" or "dwconv_generic_ref"
  // Some channel of `out` shifts left, has no right shift, or has an INT32_MIN multiplier (set by
  // pack_dwconv; the x86 paths take a shorter requantization when it is false).
  bool general_stage = true;
  // No weight is -128 (set by the NEON packs): two taps' products then fit an int16 sum.
  bool no_min_weight = false;
  // Padded inputs up to a size (set by pack_dwconv): run_dwconv copies the rows each thread's output rows
  // read into a zero-point-bordered image of geometry `bordered` (no padding, every window inside; its
  // whole size is bordered_bytes) and runs the kernel on that. 0: the kernel reads the input and handles
  // the padding per pixel.
  DwConvParams bordered;
  size_t bordered_bytes = 0;
};

struct DwConvKernel {
  const char* name;
  Isa isa;
  // w: [kh][kw][out_c]; bias [out_c] or nullptr. Fills `out` except `out.out`.
  void (*pack)(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out);
  // Output rows [oh_begin, oh_end) of every batch image, the input read with geometry g: p.params, or the
  // same conv over a bordered copy (other input sizes, no padding). input/output NHWC, dense.
  void (*run)(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output, int oh_begin,
              int oh_end);
};

// ---------------------------------------------------------------------------------------------------
// Families without packing: one function, its name and the path whose code it is.
template <class Fn>
struct OpKernel {
  const char* name = "";
  Isa isa = Isa::kRef;
  Fn* fn = nullptr;
};

using AddFn = void(const ops::AddParams&, const ops::Shape4&, const int8_t*, const ops::Shape4&, const int8_t*,
                   int8_t*);
using MulFn = void(const ops::MulParams&, const ops::Shape4&, const int8_t*, const ops::Shape4&, const int8_t*,
                   int8_t*);
// MEAN over height and width (p.reduces_hw()): outputs of channels [c_begin, c_end); see ops::mean_hw_s8_ref.
using MeanHwFn = void(const ops::MeanParams&, const int8_t*, int8_t*, int c_begin, int c_end);
using MeanFn = void(const ops::MeanParams&, const int8_t*, int8_t*);
using PoolFn = void(const ops::PoolParams&, const int8_t*, int8_t*);
using LutFn = void(const ops::LutParams&, const int8_t*, int8_t*, size_t);
using SoftmaxFn = void(const ops::SoftmaxParams&, const int8_t*, int8_t*, int64_t outer, int depth);
using QuantizeFn = void(const ops::QuantizeParams&, const float*, int8_t*, size_t);
using DequantizeFn = void(const ops::DequantizeParams&, const int8_t*, float*, size_t);
using PadFn = void(const ops::PadParams&, const int8_t*, int8_t*);
using ConcatFn = void(const ops::ConcatParams&, const int8_t* const*, int8_t*);
// ---- math ops
using BinaryFn = void(const ops::BinaryParams&, const ops::Shape4&, const int8_t*, const ops::Shape4&,
                      const int8_t*, int8_t*);
using LogSoftmaxFn = void(const ops::LogSoftmaxParams&, const int8_t*, int8_t*, int64_t outer, int depth);
using BatchMatMulFn = void(const ops::BatchMatMulParams&, const int8_t* lhs, const int8_t* rhs, int8_t* out,
                           int m, int n, int k);
using TransposeConvFn = void(const ops::TransposeConvParams&, const int8_t*, const int8_t*, const int32_t*, int8_t*,
                             int c_begin, int c_end);
// ---- end math ops

// Shape and reduction ops (TRANSPOSE, SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
// GATHER, RESIZE_*, SUM, REDUCE_MAX, ARG_MAX, ARG_MIN); see kernels/ops/shape_ops.h.
using StridedCopyFn = void(const ops::StridedCopy&, const uint8_t*, uint8_t*);
using GatherFn = int64_t(const ops::GatherParams&, const uint8_t*, const void*, uint8_t*);
using ResizeBilinearFn = void(const ops::ResizeParams&, const int8_t*, int8_t*, int y_begin, int y_end);
using ResizeNearestFn = void(const ops::ResizeParams&, const uint8_t*, uint8_t*, int y_begin, int y_end);
using ReduceSumFn = void(const ops::ReduceParams&, const int8_t*, int8_t*, int32_t* acc);
using ReduceMaxFn = void(const ops::ReduceParams&, const int8_t*, int8_t*);
using ArgMinMaxFn = void(const ops::ArgParams&, const int8_t*, void*);
struct ShapeOpKernels {
  OpKernel<StridedCopyFn> strided_copy;
  OpKernel<GatherFn> gather;
  OpKernel<ResizeBilinearFn> resize_bilinear;
  OpKernel<ResizeNearestFn> resize_nearest;
  OpKernel<ReduceSumFn> reduce_sum;
  OpKernel<ReduceMaxFn> reduce_max;
  OpKernel<ArgMinMaxFn> arg_minmax;
};

// ---- float32 models: kernels/float/float_kernels.h ----
struct GemmF32Kernel;
struct DwConvF32Kernel;
// ---- end float32 ----

struct KernelTable {
  Isa isa = Isa::kRef;
  const GemmKernel* gemm = nullptr;      // CONV_2D, FULLY_CONNECTED
  const DwConvKernel* dwconv = nullptr;  // DEPTHWISE_CONV_2D
  OpKernel<AddFn> add;
  OpKernel<MulFn> mul;
  OpKernel<MeanHwFn> mean_hw;            // MEAN over H and W (global average pooling)
  OpKernel<MeanFn> mean;                 // MEAN over any other axes
  OpKernel<PoolFn> max_pool, avg_pool;
  OpKernel<LutFn> lut;                   // RELU*, LOGISTIC, TANH, HARD_SWISH, QUANTIZE s8->s8
  OpKernel<SoftmaxFn> softmax;
  OpKernel<QuantizeFn> quantize;         // f32 -> s8
  OpKernel<DequantizeFn> dequantize;     // s8 -> f32
  OpKernel<PadFn> pad;
  OpKernel<ConcatFn> concat;
  // --- stateful ops ---
  OpKernel<ops::MatVecFn> matvec;        // UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF matrix-vector products
  ShapeOpKernels shape;                  // shape and reduction ops
  // ---- math ops
  OpKernel<BinaryFn> binary;             // SUB, SQUARED_DIFFERENCE, DIV, PRELU, MAXIMUM, MINIMUM
  OpKernel<LogSoftmaxFn> log_softmax;
  OpKernel<BatchMatMulFn> batch_matmul;  // one matrix product of BATCH_MATMUL
  OpKernel<TransposeConvFn> transpose_conv;  // TRANSPOSE_CONV where it does not run as a CONV_2D (gemm)
  // ---- end math ops
  // ---- float32 models (kernels/float/, set by set_float_kernels) ----
  const GemmF32Kernel* gemm_f32 = nullptr;      // CONV_2D, FULLY_CONNECTED
  const DwConvF32Kernel* dwconv_f32 = nullptr;  // DEPTHWISE_CONV_2D
  // ---- end float32 ----
};

// The table for a path. Throws std::invalid_argument if the path is not compiled into this build.
const KernelTable& kernel_table(Isa isa);

// Every family of a table with the kernel and path it runs, in table order (for cpu_info and tools).
struct KernelFamily {
  const char* family;
  const char* kernel;
  Isa isa;
};
std::vector<KernelFamily> kernel_families(const KernelTable& table);

}  // namespace edgekd
