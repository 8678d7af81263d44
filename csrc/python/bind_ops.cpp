#include "bindings.h"

namespace edgekd_py {
void register_ops(pybind11::module_& m) {}
}  // namespace edgekd_py
