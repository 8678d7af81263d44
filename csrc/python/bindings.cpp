// edgekd._core: the pybind11 binding. Thin on purpose: converts arrays and errors, holds no logic.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "edgekd/cpu.h"
#include "kernels/kernels.h"

namespace py = pybind11;

const edgekd::KernelTable& edgekd_py::available_table(const std::string& what, const std::string& name) {
  const edgekd::Isa isa = edgekd::isa_from_name(name);  // invalid_argument on unknown names
  if (!edgekd::isa_compiled(isa))
    throw std::invalid_argument(what + ": path '" + name + "' is not compiled into this build");
  if (!edgekd::isa_supported(isa))
    throw std::invalid_argument(what + ": path '" + name + "' cannot run on this CPU");
  return edgekd::kernel_table(isa);
}

namespace {

py::dict cpu_info_dict() {
  using namespace edgekd;
  const CpuFeatures& f = cpu_features();
  py::dict features;
  if (f.arch == "x86_64") {
    features["sse4_1"] = f.sse41; features["avx"] = f.avx; features["avx2"] = f.avx2;
    features["fma"] = f.fma; features["avx512f"] = f.avx512f; features["avx512bw"] = f.avx512bw;
    features["avx512vl"] = f.avx512vl; features["avx512dq"] = f.avx512dq;
    features["avx512vnni"] = f.avx512vnni; features["avx_vnni"] = f.avx_vnni;
  } else if (f.arch == "aarch64") {
    features["asimd"] = f.asimd; features["asimddp"] = f.asimddp; features["i8mm"] = f.i8mm;
  }
  py::list compiled, supported;
  for (int i = 0; i < static_cast<int>(Isa::kCount); ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (isa_compiled(isa)) compiled.append(isa_name(isa));
    if (isa_supported(isa)) supported.append(isa_name(isa));
  }
  py::dict out;
  out["arch"] = f.arch;
  out["features"] = features;
  out["compiled_paths"] = compiled;
  out["supported_paths"] = supported;
  const Isa chosen = select_isa_from_env();
  out["path"] = isa_name(chosen);
  // The kernel each family runs on the chosen path, from its table ("_ref": portable C++).
  py::dict kernels;
  for (const KernelFamily& k : kernel_families(kernel_table(chosen))) {
    py::dict d;
    d["path"] = isa_name(k.isa);
    d["kernel"] = k.kernel;
    kernels[k.family] = d;
  }
  out["kernels"] = kernels;
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "edgekd native int8 core";
  m.attr("__version__") = EDGEKD_VERSION;
  m.def("cpu_info", &cpu_info_dict,
        "Detected CPU features, compiled and supported SIMD paths, and the chosen path.");
  edgekd_py::register_kernels(m);
  edgekd_py::register_dwconv(m);
  edgekd_py::register_ops(m);
  edgekd_py::register_runtime(m);
  edgekd_py::register_model(m);
}
