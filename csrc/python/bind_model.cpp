// Model queries that need no loaded model: which ops the runtime cannot run (`edgekd inspect`).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <vector>

#include "bindings.h"
#include "runtime/unsupported_ops.h"

namespace py = pybind11;

namespace edgekd_py {

void register_model(py::module_& m) {
  m.def(
      "unsupported_ops",
      [](py::buffer data) {
        const py::buffer_info b = data.request();
        const auto* p = static_cast<const uint8_t*>(b.ptr);
        const size_t n = static_cast<size_t>(b.size * b.itemsize);
        py::gil_scoped_release release;
        return edgekd::unsupported_ops(p, n);
      },
      py::arg("data"),
      "Indices of the ops of a .tflite model (bytes) that edgekd's runtime has no kernel for, in model order. "
      "Raises ValueError when the model cannot be read or verified.");
}

}  // namespace edgekd_py
