// The float32 families of each path's kernel table (KernelTable::gemm_f32, dwconv_f32).
#include "kernels/float/float_kernels.h"

namespace edgekd {

#ifdef EDGEKD_HAVE_AVX2
extern const GemmF32Kernel kGemmF32Avx2;
extern const DwConvF32Kernel kDwConvF32Avx2;
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
extern const GemmF32Kernel kGemmF32Avx512Vnni;
extern const DwConvF32Kernel kDwConvF32Avx512Vnni;
#endif
#ifdef EDGEKD_HAVE_NEON
extern const GemmF32Kernel kGemmF32Neon;
extern const DwConvF32Kernel kDwConvF32Neon;
#endif

void set_float_kernels(KernelTable* t) {
  t->gemm_f32 = &kGemmF32Ref;
  t->dwconv_f32 = &kDwConvF32Ref;
  switch (t->isa) {
#ifdef EDGEKD_HAVE_AVX2
    case Isa::kAvx2:
      t->gemm_f32 = &kGemmF32Avx2;
      t->dwconv_f32 = &kDwConvF32Avx2;
      break;
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni:
      t->gemm_f32 = &kGemmF32Avx512Vnni;
      t->dwconv_f32 = &kDwConvF32Avx512Vnni;
      break;
#endif
#ifdef EDGEKD_HAVE_NEON
    case Isa::kNeon:
    case Isa::kNeonDot:
      t->gemm_f32 = &kGemmF32Neon;
      t->dwconv_f32 = &kDwConvF32Neon;
      break;
#endif
    default:
      break;
  }
}

}  // namespace edgekd
