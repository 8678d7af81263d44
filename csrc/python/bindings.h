// Each binding file registers one concern on the module; bindings.cpp calls them all.
#pragma once
#include <pybind11/pybind11.h>

#include <string>

#include "kernels/kernels.h"

namespace edgekd_py {
// The kernel table of the path `name` names; std::invalid_argument (ValueError) naming `what` and the path
// when the name is unknown, the path not compiled in or not supported by this CPU.
const edgekd::KernelTable& available_table(const std::string& what, const std::string& name);

void register_kernels(pybind11::module_& m);  // bind_kernels.cpp: GEMM / conv kernels (tests, benchmarks)
void register_dwconv(pybind11::module_& m);   // bind_dwconv.cpp: depthwise kernels (tests, benchmarks)
void register_ops(pybind11::module_& m);      // bind_ops.cpp: pooling / eltwise / activation ops
void register_runtime(pybind11::module_& m);  // bind_runtime.cpp: model loading and inference
void register_model(pybind11::module_& m);    // bind_model.cpp: model queries without loading (unsupported ops)
}  // namespace edgekd_py
