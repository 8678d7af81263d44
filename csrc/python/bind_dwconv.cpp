#include "bindings.h"

namespace edgekd_py {
void register_dwconv(pybind11::module_& m) {}
}  // namespace edgekd_py
