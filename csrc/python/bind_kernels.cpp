// GEMM / fully-connected kernels for tests and benchmarks: pack once for a named path, run on numpy arrays.
// Thin: validation and arithmetic live in csrc/kernels/{gemm,conv}; C++ errors surface as ValueError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings.h"
#include "kernels/conv/conv.h"
#include "runtime/thread_pool.h"

namespace py = pybind11;

namespace {


// A C-contiguous array of exactly dtype T and the given rank; shape entries < 0 are free.
template <typename T>
py::array_t<T, py::array::c_style> as_dense(const py::array& a, const char* name, std::vector<py::ssize_t> shape) {
  if (!a.dtype().is(py::dtype::of<T>()))
    throw std::invalid_argument(std::string("gemm: ") + name + " must have dtype " +
                                py::str(py::dtype::of<T>()).cast<std::string>() + ", got " +
                                py::str(a.dtype()).cast<std::string>());
  if (a.ndim() != static_cast<py::ssize_t>(shape.size()))
    throw std::invalid_argument(std::string("gemm: ") + name + " must have " + std::to_string(shape.size()) +
                                " dimensions, got " + std::to_string(a.ndim()));
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] >= 0 && a.shape(i) != shape[i])
      throw std::invalid_argument(std::string("gemm: ") + name + " dimension " + std::to_string(i) + " is " +
                                  std::to_string(a.shape(i)) + ", expected " + std::to_string(shape[i]));
  return py::array_t<T, py::array::c_style>::ensure(a);
}

std::vector<int32_t> to_vector(const py::array& a, const char* name, py::ssize_t n) {
  const auto v = as_dense<int32_t>(a, name, {n});
  return std::vector<int32_t>(v.data(), v.data() + n);
}

// Weights packed once for one path; run() computes C = requant(A W^T + bias).
class PackedGemmPy {
 public:
  PackedGemmPy(const std::string& isa, const py::array& weights, const std::optional<py::array>& bias,
               int input_zero_point, const py::array& multiplier, const py::array& shift, int output_zero_point,
               int act_min, int act_max, int threads)
      : kernel_(edgekd_py::available_table("gemm", isa).gemm) {
    if (threads < 1) throw std::invalid_argument("gemm: threads must be >= 1");
    if (weights.ndim() != 2) throw std::invalid_argument("gemm: weights must be [N, K]");
    const py::ssize_t n = weights.shape(0), k = weights.shape(1);
    const auto w = as_dense<int8_t>(weights, "weights", {n, k});
    std::optional<py::array_t<int32_t, py::array::c_style>> b;
    if (bias) b = as_dense<int32_t>(*bias, "bias", {n});
    edgekd::OutputStage out;
    out.multiplier = to_vector(multiplier, "multiplier", n);
    out.shift = to_vector(shift, "shift", n);
    out.output_zero_point = output_zero_point;
    out.act_min = act_min;
    out.act_max = act_max;
    packed_ = edgekd::pack_gemm(*kernel_, w.data(), b ? b->data() : nullptr, static_cast<int>(n),
                                static_cast<int>(k), input_zero_point, out);
    if (threads > 1) pool_ = std::make_unique<edgekd::ThreadPool>(threads);
  }

  // a: int8 [M, K] (rows may be strided; elements contiguous). out: optional int8 [M, N] to fill.
  py::array_t<int8_t> run(const py::array& a, std::optional<py::array_t<int8_t>> out) const {
    if (!a.dtype().is(py::dtype::of<int8_t>()))
      throw std::invalid_argument("gemm: a must have dtype int8, got " + py::str(a.dtype()).cast<std::string>());
    if (a.ndim() != 2 || a.shape(1) != packed_.k)
      throw std::invalid_argument("gemm: a must be [M, " + std::to_string(packed_.k) + "]");
    const py::ssize_t m = a.shape(0);
    py::array_t<int8_t> arr = py::array_t<int8_t>::ensure(a);
    // Row-strided views run as they are (lda = row stride); anything else is made contiguous.
    if (!(arr.strides(1) == 1 && arr.strides(0) >= packed_.k))
      arr = py::array_t<int8_t, py::array::c_style>::ensure(a);
    const size_t lda = m > 1 ? static_cast<size_t>(arr.strides(0)) : static_cast<size_t>(packed_.k);
    py::array_t<int8_t> c;
    if (out) {
      c = *out;
      if (c.ndim() != 2 || c.shape(0) != m || c.shape(1) != packed_.n || c.strides(1) != 1 ||
          (m > 1 && c.strides(0) < packed_.n) || !c.writeable())
        throw std::invalid_argument("gemm: out must be a writeable int8 [M, N] array with contiguous rows");
    } else {
      c = py::array_t<int8_t>({m, static_cast<py::ssize_t>(packed_.n)});
    }
    const size_t ldc = m > 1 ? static_cast<size_t>(c.strides(0)) : static_cast<size_t>(packed_.n);
    const int8_t* ap = arr.data();
    int8_t* cp = c.mutable_data();
    {
      py::gil_scoped_release release;
      edgekd::run_gemm(*kernel_, packed_, static_cast<int>(m), ap, lda, cp, ldc, pool_.get());
    }
    return c;
  }

  std::string kernel_name() const { return kernel_->name; }
  std::string isa() const { return edgekd::isa_name(kernel_->isa); }
  int mr() const { return kernel_->mr; }
  int nr() const { return kernel_->nr; }
  int n() const { return packed_.n; }
  int k() const { return packed_.k; }

 private:
  const edgekd::GemmKernel* kernel_;
  edgekd::PackedGemm packed_;
  std::unique_ptr<edgekd::ThreadPool> pool_;
};

}  // namespace

namespace edgekd_py {

void register_kernels(pybind11::module_& m) {
  py::class_<PackedGemmPy>(m, "PackedGemm",
                           "int8 GEMM / fully connected with weights packed once for one SIMD path:\n"
                           "C[m][j] = clamp(out_zp + requant_j(bias[j] + sum_k (A[m][k] - in_zp) * W[j][k])).")
      .def(py::init<const std::string&, const py::array&, const std::optional<py::array>&, int, const py::array&,
                    const py::array&, int, int, int, int>(),
           py::arg("isa"), py::arg("weights"), py::arg("bias"), py::arg("input_zero_point"),
           py::arg("multiplier"), py::arg("shift"), py::arg("output_zero_point") = 0, py::arg("act_min") = -128,
           py::arg("act_max") = 127, py::arg("threads") = 1)
      .def("run", &PackedGemmPy::run, py::arg("a"), py::arg("out") = py::none(),
           "A: int8 [M, K] -> C: int8 [M, N] (written into `out` when given).")
      .def_property_readonly("kernel", &PackedGemmPy::kernel_name)
      .def_property_readonly("isa", &PackedGemmPy::isa)
      .def_property_readonly("mr", &PackedGemmPy::mr)
      .def_property_readonly("nr", &PackedGemmPy::nr)
      .def_property_readonly("n", &PackedGemmPy::n)
      .def_property_readonly("k", &PackedGemmPy::k);

  m.def(
      "gemm",
      [](const py::array& a, const py::array& weights, const std::optional<py::array>& bias, int input_zero_point,
         const py::array& multiplier, const py::array& shift, int output_zero_point, int act_min, int act_max,
         const std::string& isa, int threads) {
        return PackedGemmPy(isa, weights, bias, input_zero_point, multiplier, shift, output_zero_point, act_min,
                            act_max, threads)
            .run(a, std::nullopt);
      },
      py::arg("a"), py::arg("weights"), py::arg("bias"), py::arg("input_zero_point"), py::arg("multiplier"),
      py::arg("shift"), py::arg("output_zero_point") = 0, py::arg("act_min") = -128, py::arg("act_max") = 127,
      py::arg("isa") = "ref", py::arg("threads") = 1,
      "One-shot int8 GEMM (pack + run) on the named SIMD path; see PackedGemm.");
}

}  // namespace edgekd_py
