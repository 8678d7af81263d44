// Depthwise conv kernels for tests and benchmarks: pack once for a named path, run on numpy arrays.
// Thin: validation and arithmetic live in csrc/kernels/dwconv; C++ errors surface as ValueError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "bindings.h"
#include "kernels/dwconv/dwconv.h"
#include "runtime/thread_pool.h"

namespace py = pybind11;

namespace {

using edgekd::DwConvKernel;

// A packed depthwise conv bound to one path.
class DepthwiseConv {
 public:
  DepthwiseConv(const std::string& isa, py::array weights, std::optional<py::array> bias,
                std::array<int, 4> input_shape, int depth_multiplier, std::array<int, 2> stride,
                std::array<int, 2> dilation, const std::string& padding, int input_zero_point,
                py::array multiplier, py::array shift, int output_zero_point, int act_min, int act_max)
      : kernel_(edgekd_py::available_table("depthwise_conv_2d", isa).dwconv) {
    edgekd::DwConvParams p;
    p.batch = input_shape[0];
    p.in_h = input_shape[1];
    p.in_w = input_shape[2];
    p.in_c = input_shape[3];
    p.depth_multiplier = depth_multiplier;
    p.stride_h = stride[0];
    p.stride_w = stride[1];
    p.dilation_h = dilation[0];
    p.dilation_w = dilation[1];
    p.input_zero_point = input_zero_point;
    if (weights.ndim() != 3) throw std::invalid_argument("depthwise_conv_2d: weights must be [kh, kw, out_c]");
    p.kh = static_cast<int>(weights.shape(0));
    p.kw = static_cast<int>(weights.shape(1));
    if (padding == "same" || padding == "SAME") {
      edgekd::compute_dwconv_padding(&p, edgekd::Padding::kSame);
    } else if (padding == "valid" || padding == "VALID") {
      edgekd::compute_dwconv_padding(&p, edgekd::Padding::kValid);
    } else {
      throw std::invalid_argument("depthwise_conv_2d: padding must be 'same' or 'valid', got '" + padding + "'");
    }
    const py::ssize_t out_c = static_cast<py::ssize_t>(p.in_c) * p.depth_multiplier;
    const auto w = as_dense<int8_t>(weights, "weights", {p.kh, p.kw, out_c});
    std::optional<py::array_t<int32_t>> b;
    if (bias) b = as_dense<int32_t>(*bias, "bias", {out_c});
    edgekd::OutputStage out;
    const auto m = as_dense<int32_t>(multiplier, "multiplier", {out_c});
    const auto s = as_dense<int32_t>(shift, "shift", {out_c});
    out.multiplier.assign(m.data(), m.data() + out_c);
    out.shift.assign(s.data(), s.data() + out_c);
    out.output_zero_point = output_zero_point;
    out.act_min = act_min;
    out.act_max = act_max;
    packed_ = edgekd::pack_dwconv(*kernel_, p, w.data(), b ? b->data() : nullptr, out);
  }

  py::array_t<int8_t> run(py::array input, int threads) {
    const edgekd::DwConvParams& p = packed_.params;
    const auto x = as_dense<int8_t>(input, "input", {p.batch, p.in_h, p.in_w, p.in_c});
    if (threads < 1) throw std::invalid_argument("depthwise_conv_2d: threads must be >= 1");
    py::array_t<int8_t> y({p.batch, p.out_h, p.out_w, p.out_c()});
    {
      py::gil_scoped_release release;
      // One run at a time per object: the pool is not reentrant and may be replaced here.
      std::lock_guard<std::mutex> lock(run_mu_);
      if (threads > 1 && (!pool_ || pool_->num_threads() != threads))
        pool_ = std::make_unique<edgekd::ThreadPool>(threads);
      edgekd::run_dwconv(*kernel_, packed_, x.data(), y.mutable_data(), threads > 1 ? pool_.get() : nullptr);
    }
    return y;
  }

  std::string variant() const { return packed_.variant; }
  std::string isa() const { return edgekd::isa_name(packed_.isa); }
  std::array<int, 4> output_shape() const {
    const edgekd::DwConvParams& p = packed_.params;
    return {p.batch, p.out_h, p.out_w, p.out_c()};
  }
  std::array<int, 2> padding_before() const { return {packed_.params.pad_top, packed_.params.pad_left}; }
  int64_t macs() const {
    const edgekd::DwConvParams& p = packed_.params;
    return static_cast<int64_t>(p.batch) * p.out_h * p.out_w * p.out_c() * p.kh * p.kw;
  }

 private:
  // The array as a C-contiguous array of T with exactly `shape`; a clear error naming `what` otherwise.
  template <typename T>
  static py::array_t<T> as_dense(const py::array& a, const char* what, std::initializer_list<py::ssize_t> shape) {
    if (!py::isinstance<py::array_t<T>>(a))
      throw std::invalid_argument(std::string("depthwise_conv_2d: ") + what + " must have dtype " +
                                  py::str(py::dtype::of<T>()).cast<std::string>() + ", got " +
                                  py::str(a.dtype()).cast<std::string>());
    const std::vector<py::ssize_t> want(shape);
    std::vector<py::ssize_t> got(a.shape(), a.shape() + a.ndim());
    if (got != want) {
      std::string g, w;
      for (auto v : got) g += (g.empty() ? "" : ", ") + std::to_string(v);
      for (auto v : want) w += (w.empty() ? "" : ", ") + std::to_string(v);
      throw std::invalid_argument(std::string("depthwise_conv_2d: ") + what + " has shape (" + g +
                                  "), expected (" + w + ")");
    }
    return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
  }

  const DwConvKernel* kernel_;
  edgekd::PackedDwConv packed_;
  std::unique_ptr<edgekd::ThreadPool> pool_;
  std::mutex run_mu_;
};

}  // namespace

namespace edgekd_py {
void register_dwconv(py::module_& m) {
  py::class_<DepthwiseConv>(m, "DepthwiseConv",
                            "int8 depthwise conv packed for one SIMD path (tests and benchmarks).\n"
                            "weights int8 [kh, kw, out_c]; bias int32 [out_c] or None; multiplier/shift int32 "
                            "[out_c] (TFLite QuantizeMultiplier form); padding 'same' or 'valid'.")
      .def(py::init<const std::string&, py::array, std::optional<py::array>, std::array<int, 4>, int,
                    std::array<int, 2>, std::array<int, 2>, const std::string&, int, py::array, py::array, int,
                    int, int>(),
           py::arg("isa"), py::arg("weights"), py::arg("bias"), py::arg("input_shape"), py::kw_only(),
           py::arg("depth_multiplier") = 1, py::arg("stride") = std::array<int, 2>{1, 1},
           py::arg("dilation") = std::array<int, 2>{1, 1}, py::arg("padding") = "same",
           py::arg("input_zero_point") = 0, py::arg("multiplier"), py::arg("shift"),
           py::arg("output_zero_point") = 0, py::arg("act_min") = -128, py::arg("act_max") = 127)
      .def("run", &DepthwiseConv::run, py::arg("input"), py::arg("threads") = 1,
           "input int8 NHWC of input_shape -> int8 NHWC output (GIL released while running).")
      .def_property_readonly("variant", &DepthwiseConv::variant)
      .def_property_readonly("isa", &DepthwiseConv::isa)
      .def_property_readonly("output_shape", &DepthwiseConv::output_shape)
      .def_property_readonly("padding_before", &DepthwiseConv::padding_before)
      .def_property_readonly("macs", &DepthwiseConv::macs, "multiply-accumulates per run");
}
}  // namespace edgekd_py
