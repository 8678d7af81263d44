// One table of kernels per SIMD path. Each path's kernels are defined in their own translation units
// (csrc/kernels/<family>/<family>_<isa>.cpp, compiled with that path's flags) and referenced here only when
// compiled in; a family without a twin on a path keeps the ref table's entry.
#include <stdexcept>
#include <string>

#include "kernels/float/float_kernels.h"
#include "kernels/kernels.h"
#include "kernels/ops/ops_internal.h"
#include "kernels/ops/resize_internal.h"

namespace edgekd {

extern const GemmKernel kGemmRef;
extern const DwConvKernel kDwConvRef;
#ifdef EDGEKD_HAVE_AVX2
extern const GemmKernel kGemmAvx2;
extern const DwConvKernel kDwConvAvx2;
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
extern const GemmKernel kGemmAvx512Vnni;
extern const DwConvKernel kDwConvAvx512Vnni;
namespace ops {
namespace detail {
// eltwise_avx512vnni.cpp (declared here: only this table refers to them).
void add_s8_avx512vnni(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2,
                       const int8_t* in2, int8_t* out);
void mul_s8_avx512vnni(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2,
                       const int8_t* in2, int8_t* out);
}  // namespace detail
}  // namespace ops
#endif
#ifdef EDGEKD_HAVE_NEON
extern const GemmKernel kGemmNeon;
extern const DwConvKernel kDwConvNeon;
#endif
#ifdef EDGEKD_HAVE_NEONDOT
extern const GemmKernel kGemmNeonDot;
extern const DwConvKernel kDwConvNeonDot;
#endif

// ---- math ops: the SIMD builds of BATCH_MATMUL's kernel (batch_matmul_<isa>.cpp)
namespace ops {
namespace detail {
void batch_matmul_s8_avx2(const BatchMatMulParams&, const int8_t*, const int8_t*, int8_t*, int, int, int);
void batch_matmul_s8_avx512vnni(const BatchMatMulParams&, const int8_t*, const int8_t*, int8_t*, int, int, int);
void batch_matmul_s8_neon(const BatchMatMulParams&, const int8_t*, const int8_t*, int8_t*, int, int, int);
}  // namespace detail
}  // namespace ops
// ---- end math ops

namespace {

// Shape and reduction ops: portable on every path.
ShapeOpKernels shape_op_kernels_ref() {
  const Isa r = Isa::kRef;
  ShapeOpKernels k;
  k.strided_copy = {"strided_copy_ref", r, &ops::strided_copy};
  k.gather = {"gather_ref", r, &ops::gather};
  k.resize_bilinear = {"resize_bilinear_s8_ref", r, &ops::resize_bilinear_s8_ref};
  k.resize_nearest = {"resize_nearest_ref", r, &ops::resize_nearest};
  k.reduce_sum = {"reduce_sum_s8_ref", r, &ops::reduce_sum_s8};
  k.reduce_max = {"reduce_max_s8_ref", r, &ops::reduce_max_s8};
  k.arg_minmax = {"arg_minmax_s8_ref", r, &ops::arg_minmax_s8};
  return k;
}

// The portable kernels: the ref path's table, and every other path's entry where it has no twin.
KernelTable ref_table() {
  const Isa r = Isa::kRef;
  KernelTable t;
  t.isa = r;
  t.gemm = &kGemmRef;
  t.dwconv = &kDwConvRef;
  t.add = {"add_s8_ref", r, &ops::add_s8_ref};
  t.mul = {"mul_s8_ref", r, &ops::mul_s8_ref};
  t.mean_hw = {"mean_hw_s8_ref", r, &ops::mean_hw_s8_ref};
  t.mean = {"mean_s8_ref", r, &ops::mean_s8};
  t.max_pool = {"max_pool_s8_ref", r, &ops::max_pool_s8};
  t.avg_pool = {"avg_pool_s8_ref", r, &ops::avg_pool_s8};
  t.lut = {"lut_s8_ref", r, &ops::lut_s8};
  t.softmax = {"softmax_s8_ref", r, &ops::softmax_s8};
  t.quantize = {"quantize_f32_s8_ref", r, &ops::quantize_f32_s8};
  t.dequantize = {"dequantize_s8_f32_ref", r, &ops::dequantize_s8_f32};
  t.pad = {"pad_s8_ref", r, &ops::pad_s8};
  t.concat = {"concat_s8_ref", r, &ops::concat_s8};
  t.matvec = {"matvec_s8_ref", r, &ops::matvec_s8_ref};
  t.shape = shape_op_kernels_ref();
  // ---- math ops
  t.binary = {"binary_s8_ref", r, &ops::binary_s8_ref};
  t.log_softmax = {"log_softmax_s8_ref", r, &ops::log_softmax_s8};
  t.batch_matmul = {"batch_matmul_s8_ref", r, &ops::batch_matmul_s8_ref};
  t.transpose_conv = {"transpose_conv_s8_ref", r, &ops::transpose_conv_s8_ref};
  // ---- end math ops
  set_float_kernels(&t);
  return t;
}

// ---- math ops: a path's own builds of the math kernels (the others stay the ref table's).
void add_math_twins(Isa isa, KernelTable* t) {
  switch (isa) {
#ifdef EDGEKD_HAVE_AVX2
    case Isa::kAvx2: t->batch_matmul = {"batch_matmul_s8_avx2", isa, &ops::detail::batch_matmul_s8_avx2}; break;
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni:
      t->batch_matmul = {"batch_matmul_s8_avx512vnni", isa, &ops::detail::batch_matmul_s8_avx512vnni};
      break;
#endif
#ifdef EDGEKD_HAVE_NEON
    case Isa::kNeon: case Isa::kNeonDot:
      t->batch_matmul = {"batch_matmul_s8_neon", Isa::kNeon, &ops::detail::batch_matmul_s8_neon};
      break;
#endif
    default: break;
  }
}
// ---- end math ops

// The SIMD twins of the one-function families a path carries (the rest stay the ref table's).
struct OpTwins {
  OpKernel<AddFn> add;
  OpKernel<MulFn> mul;
  OpKernel<MeanHwFn> mean_hw;
  OpKernel<ResizeBilinearFn> resize_bilinear;  // shape ops; none: the ref entry
  OpKernel<ops::MatVecFn> matvec;  // stateful ops (LSTM, SVDF)
};

KernelTable path_table(Isa isa, const GemmKernel* gemm, const DwConvKernel* dwconv, const OpTwins& twins) {
  KernelTable t = ref_table();
  t.isa = isa;
  t.gemm = gemm;
  t.dwconv = dwconv;
  t.add = twins.add;
  t.mul = twins.mul;
  t.mean_hw = twins.mean_hw;
  if (twins.resize_bilinear.fn) t.shape.resize_bilinear = twins.resize_bilinear;
  t.matvec = twins.matvec;
  add_math_twins(isa, &t);
  set_float_kernels(&t);
  return t;
}

// The AVX-512 path has its own ADD / MUL and runs the AVX2 MEAN; neondot runs the NEON twins.
#ifdef EDGEKD_HAVE_AVX2
const OpTwins kX86Twins{{"add_s8_avx2", Isa::kAvx2, &ops::detail::add_s8_avx2},
                        {"mul_s8_avx2", Isa::kAvx2, &ops::detail::mul_s8_avx2},
                        {"mean_hw_s8_avx2", Isa::kAvx2, &ops::detail::mean_hw_s8_avx2},
                        {"resize_bilinear_s8_avx2", Isa::kAvx2, &ops::detail::resize_bilinear_s8_avx2},
                        {"matvec_s8_avx2", Isa::kAvx2, &ops::detail::matvec_s8_avx2}};
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
const OpTwins kAvx512Twins{{"add_s8_avx512vnni", Isa::kAvx512Vnni, &ops::detail::add_s8_avx512vnni},
                           {"mul_s8_avx512vnni", Isa::kAvx512Vnni, &ops::detail::mul_s8_avx512vnni},
                           {"mean_hw_s8_avx2", Isa::kAvx2, &ops::detail::mean_hw_s8_avx2},
                           {"resize_bilinear_s8_avx2", Isa::kAvx2, &ops::detail::resize_bilinear_s8_avx2},
                           {"matvec_s8_avx2", Isa::kAvx2, &ops::detail::matvec_s8_avx2}};
#endif
#ifdef EDGEKD_HAVE_NEON
const OpTwins kArmTwins{{"add_s8_neon", Isa::kNeon, &ops::detail::add_s8_neon},
                        {"mul_s8_neon", Isa::kNeon, &ops::detail::mul_s8_neon},
                        {"mean_hw_s8_neon", Isa::kNeon, &ops::detail::mean_hw_s8_neon},
                        {"resize_bilinear_s8_neon", Isa::kNeon, &ops::detail::resize_bilinear_s8_neon},
                        {"matvec_s8_ref", Isa::kRef, &ops::matvec_s8_ref}};
#endif

}  // namespace

const KernelTable& kernel_table(Isa isa) {
  static const KernelTable kRef = ref_table();
#ifdef EDGEKD_HAVE_AVX2
  static const KernelTable kAvx2 = path_table(Isa::kAvx2, &kGemmAvx2, &kDwConvAvx2, kX86Twins);
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
  static const KernelTable kAvx512Vnni =
      path_table(Isa::kAvx512Vnni, &kGemmAvx512Vnni, &kDwConvAvx512Vnni, kAvx512Twins);
#endif
#ifdef EDGEKD_HAVE_NEON
  static const KernelTable kNeon = path_table(Isa::kNeon, &kGemmNeon, &kDwConvNeon, kArmTwins);
#endif
#ifdef EDGEKD_HAVE_NEONDOT
  static const KernelTable kNeonDot = path_table(Isa::kNeonDot, &kGemmNeonDot, &kDwConvNeonDot, kArmTwins);
#endif
  switch (isa) {
    case Isa::kRef: return kRef;
#ifdef EDGEKD_HAVE_AVX2
    case Isa::kAvx2: return kAvx2;
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni: return kAvx512Vnni;
#endif
#ifdef EDGEKD_HAVE_NEON
    case Isa::kNeon: return kNeon;
#endif
#ifdef EDGEKD_HAVE_NEONDOT
    case Isa::kNeonDot: return kNeonDot;
#endif
    default:
      throw std::invalid_argument(std::string("SIMD path '") + isa_name(isa) +
                                  "' is not compiled into this build of edgekd");
  }
}

std::vector<KernelFamily> kernel_families(const KernelTable& t) {
  return {{"gemm", t.gemm->name, t.gemm->isa},
          {"depthwise_conv2d", t.dwconv->name, t.dwconv->isa},
          {"add", t.add.name, t.add.isa},
          {"mul", t.mul.name, t.mul.isa},
          {"mean_hw", t.mean_hw.name, t.mean_hw.isa},
          {"mean", t.mean.name, t.mean.isa},
          {"max_pool", t.max_pool.name, t.max_pool.isa},
          {"avg_pool", t.avg_pool.name, t.avg_pool.isa},
          {"activation_lut", t.lut.name, t.lut.isa},
          {"softmax", t.softmax.name, t.softmax.isa},
          {"quantize", t.quantize.name, t.quantize.isa},
          {"dequantize", t.dequantize.name, t.dequantize.isa},
          {"pad", t.pad.name, t.pad.isa},
          {"concat", t.concat.name, t.concat.isa},
          // shape and reduction ops
          {"strided_copy", t.shape.strided_copy.name, t.shape.strided_copy.isa},
          {"gather", t.shape.gather.name, t.shape.gather.isa},
          {"resize_bilinear", t.shape.resize_bilinear.name, t.shape.resize_bilinear.isa},
          {"resize_nearest", t.shape.resize_nearest.name, t.shape.resize_nearest.isa},
          {"reduce_sum", t.shape.reduce_sum.name, t.shape.reduce_sum.isa},
          {"reduce_max", t.shape.reduce_max.name, t.shape.reduce_max.isa},
          {"arg_minmax", t.shape.arg_minmax.name, t.shape.arg_minmax.isa},
          // ---- math ops
          {"math_binary", t.binary.name, t.binary.isa},
          {"log_softmax", t.log_softmax.name, t.log_softmax.isa},
          {"batch_matmul", t.batch_matmul.name, t.batch_matmul.isa},
          {"transpose_conv", t.transpose_conv.name, t.transpose_conv.isa},
          {"gemm_f32", t.gemm_f32->name, t.gemm_f32->isa},
          {"depthwise_conv2d_f32", t.dwconv_f32->name, t.dwconv_f32->isa},
          // --- stateful ops ---
          {"matvec", t.matvec.name, t.matvec.isa}};
}

}  // namespace edgekd
