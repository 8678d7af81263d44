// CPU feature detection and SIMD path selection ("compiled AND supported").
#pragma once
#include <string>
#include <vector>

namespace edgekd {

// The SIMD paths edgekd can run. `kRef` is the portable C++ reference: the definition of the arithmetic.
enum class Isa { kRef = 0, kAvx2, kAvx512Vnni, kNeon, kNeonDot, kCount };

struct CpuFeatures {
  std::string arch;  // "x86_64", "aarch64", or the compiler's idea of something else
  // x86 (all false elsewhere). The wide ones are only true when the OS saves the registers (xgetbv).
  bool sse41 = false, avx = false, avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
  bool avx_vnni = false;
  // aarch64 (from getauxval(AT_HWCAP / AT_HWCAP2)).
  bool asimd = false, asimddp = false, i8mm = false;
};

// Detected once, cached. Compiled without ISA flags (csrc/cpu/cpu_features.cpp).
const CpuFeatures& cpu_features();

const char* isa_name(Isa isa);
// Parses "ref", "avx2", "avx512vnni", "neon", "neondot"; throws std::invalid_argument otherwise.
Isa isa_from_name(const std::string& name);
bool isa_compiled(Isa isa);   // this build carries the path
bool isa_supported(Isa isa);  // this CPU (and OS) can run it
inline bool isa_available(Isa isa) { return isa_compiled(isa) && isa_supported(isa); }
std::vector<Isa> compiled_isas();

// The path a model loaded now runs on: EDGEKD_ISA if set (throws std::runtime_error naming the path and why
// it cannot run here), otherwise the best available one. Reads the environment at every call: each model
// keeps the path chosen at its load, so models on different paths can share a process.
Isa select_isa_from_env();

}  // namespace edgekd
