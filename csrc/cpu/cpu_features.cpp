// CPU feature detection. This translation unit is compiled WITHOUT ISA flags: nothing in it may
// execute a wide instruction before the check that allows it.
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "edgekd/cpu.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define EDGEKD_X86 1
#elif defined(__aarch64__)
#define EDGEKD_ARM64 1
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#endif

namespace edgekd {
namespace {

#if defined(EDGEKD_X86)
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

void detect_x86(CpuFeatures* f) {
  f->arch = "x86_64";
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return;
  const unsigned max_leaf = a;
  __cpuid_count(1, 0, a, b, c, d);
  f->sse41 = (c >> 19) & 1;
  const bool osxsave = (c >> 27) & 1;
  const bool avx_hw = (c >> 28) & 1;
  const bool fma_hw = (c >> 12) & 1;
  bool ymm_os = false, zmm_os = false;
  if (osxsave) {
    const uint64_t xcr0 = read_xcr0();
    ymm_os = (xcr0 & 0x6) == 0x6;     // XMM and YMM state
    zmm_os = (xcr0 & 0xE6) == 0xE6;   // plus opmask, ZMM_Hi256, Hi16_ZMM
  }
  f->avx = avx_hw && ymm_os;
  f->fma = fma_hw && ymm_os;
  if (max_leaf < 7) return;
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned ebx7 = b, ecx7 = c;
  f->avx2 = ymm_os && ((ebx7 >> 5) & 1);
  f->avx512f = zmm_os && ((ebx7 >> 16) & 1);
  f->avx512dq = zmm_os && ((ebx7 >> 17) & 1);
  f->avx512bw = zmm_os && ((ebx7 >> 30) & 1);
  f->avx512vl = zmm_os && ((ebx7 >> 31) & 1);
  f->avx512vnni = zmm_os && ((ecx7 >> 11) & 1);
  __cpuid_count(7, 1, a, b, c, d);
  f->avx_vnni = ymm_os && ((a >> 4) & 1);
}
#endif

#if defined(EDGEKD_ARM64)
void detect_arm64(CpuFeatures* f) {
  f->arch = "aarch64";
#if defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  f->asimd = (hwcap >> 1) & 1;     // HWCAP_ASIMD
  f->asimddp = (hwcap >> 20) & 1;  // HWCAP_ASIMDDP
  f->i8mm = (hwcap2 >> 13) & 1;    // HWCAP2_I8MM
#else
  f->asimd = true;  // ASIMD is mandatory in ARMv8-A
#endif
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#if defined(EDGEKD_X86)
  detect_x86(&f);
#elif defined(EDGEKD_ARM64)
  detect_arm64(&f);
#else
  f.arch = "other";
#endif
  return f;
}

const char* const kIsaNames[] = {"ref", "avx2", "avx512vnni", "neon", "neondot"};

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

const char* isa_name(Isa isa) {
  const int i = static_cast<int>(isa);
  return (i >= 0 && i < static_cast<int>(Isa::kCount)) ? kIsaNames[i] : "unknown";
}

Isa isa_from_name(const std::string& name) {
  for (int i = 0; i < static_cast<int>(Isa::kCount); ++i)
    if (name == kIsaNames[i]) return static_cast<Isa>(i);
  throw std::invalid_argument("unknown SIMD path '" + name +
                              "' (expected one of: ref, avx2, avx512vnni, neon, neondot)");
}

bool isa_compiled(Isa isa) {
  switch (isa) {
    case Isa::kRef: return true;
#ifdef EDGEKD_HAVE_AVX2
    case Isa::kAvx2: return true;
#endif
#ifdef EDGEKD_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni: return true;
#endif
#ifdef EDGEKD_HAVE_NEON
    case Isa::kNeon: return true;
#endif
#ifdef EDGEKD_HAVE_NEONDOT
    case Isa::kNeonDot: return true;
#endif
    default: return false;
  }
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kRef: return true;
    case Isa::kAvx2: return f.avx2 && f.fma;
    case Isa::kAvx512Vnni: return f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni;
    case Isa::kNeon: return f.asimd;
    case Isa::kNeonDot: return f.asimd && f.asimddp;
    default: return false;
  }
}

std::vector<Isa> compiled_isas() {
  std::vector<Isa> out;
  for (int i = 0; i < static_cast<int>(Isa::kCount); ++i)
    if (isa_compiled(static_cast<Isa>(i))) out.push_back(static_cast<Isa>(i));
  return out;
}

Isa select_isa_from_env() {
  const char* forced = std::getenv("EDGEKD_ISA");
  if (forced != nullptr && forced[0] != '\0') {
    const Isa isa = isa_from_name(forced);
    if (!isa_compiled(isa))
      throw std::runtime_error(std::string("EDGEKD_ISA=") + forced +
                               ": this build of edgekd does not contain that path");
    if (!isa_supported(isa))
      throw std::runtime_error(std::string("EDGEKD_ISA=") + forced +
                               ": this CPU does not support that path (see edgekd info)");
    return isa;
  }
  // Best first.
  const Isa order[] = {Isa::kAvx512Vnni, Isa::kAvx2, Isa::kNeonDot, Isa::kNeon};
  for (Isa isa : order)
    if (isa_available(isa)) return isa;
  return Isa::kRef;
}

}  // namespace edgekd
