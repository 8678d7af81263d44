// One table of kernels per SIMD path. Each path's kernels are defined in their own translation units
// (csrc/kernels/<family>/<family>_<isa>.cpp) and referenced here only when compiled in.
#include <stdexcept>
#include <string>

#include "kernels/kernels.h"

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
#endif
#ifdef EDGEKD_HAVE_NEON
extern const GemmKernel kGemmNeon;
extern const DwConvKernel kDwConvNeon;
#endif
#ifdef EDGEKD_HAVE_NEONDOT
extern const GemmKernel kGemmNeonDot;
extern const DwConvKernel kDwConvNeonDot;
#endif

const KernelTable& kernel_table(Isa isa) {
  static const KernelTable kRef{Isa::kRef, &kGemmRef, &kDwConvRef};
#ifdef EDGEKD_HAVE_AVX2
  static const KernelTable kAvx2{Isa::kAvx2, &kGemmAvx2, &kDwConvAvx2};
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
  static const KernelTable kAvx512Vnni{Isa::kAvx512Vnni, &kGemmAvx512Vnni, &kDwConvAvx512Vnni};
#endif
#ifdef EDGEKD_HAVE_NEON
  static const KernelTable kNeon{Isa::kNeon, &kGemmNeon, &kDwConvNeon};
#endif
#ifdef EDGEKD_HAVE_NEONDOT
  static const KernelTable kNeonDot{Isa::kNeonDot, &kGemmNeonDot, &kDwConvNeonDot};
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

}  // namespace edgekd
