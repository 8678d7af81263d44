// Model loading and inference for Python (edgekd.runtime wraps this). Thin: converts arrays and errors.
// The GIL is released while a model runs, so separate models run concurrently from Python threads.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "bindings.h"
#include "edgekd/runtime.hpp"
#include "kernels/ops/ops.h"

namespace py = pybind11;

namespace edgekd_py {
namespace {

using edgekd::DType;
using edgekd::Model;
using edgekd::OpProfile;
using edgekd::SignatureInfo;
using edgekd::TensorInfo;

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case DType::kFloat32: return py::dtype::of<float>();
    case DType::kInt32: return py::dtype::of<int32_t>();
    case DType::kUInt8: return py::dtype::of<uint8_t>();
    case DType::kInt64: return py::dtype::of<int64_t>();
    case DType::kInt8: return py::dtype::of<int8_t>();
    case DType::kInt16: return py::dtype::of<int16_t>();
    default: return py::dtype("V1");
  }
}

py::dict tensor_dict(const TensorInfo& t) {
  py::dict d;
  d["name"] = t.name;
  d["index"] = t.index;
  d["shape"] = t.shape;
  d["shape_signature"] = t.shape_signature;
  d["dtype"] = numpy_dtype(t.dtype);
  d["scales"] = t.scales;
  d["zero_points"] = t.zero_points;
  d["quantized_dimension"] = t.quantized_dimension;
  d["bytes"] = t.bytes;
  d["is_constant"] = t.is_constant;
  d["is_variable"] = t.is_variable;
  if (t.has_edge_quant) d["edge_quantization"] = py::make_tuple(t.edge_scale, t.edge_zero_point);
  else d["edge_quantization"] = py::none();
  return d;
}

class PyModel {
 public:
  explicit PyModel(std::unique_ptr<Model> m) : m_(std::move(m)) {
    for (const auto& t : m_->inputs()) in_dtypes_.push_back(numpy_dtype(t.dtype));
    for (const auto& t : m_->outputs()) {
      out_dtypes_.push_back(numpy_dtype(t.dtype));
      out_shapes_.emplace_back(t.shape.begin(), t.shape.end());
    }
  }

  py::list inputs() const {
    py::list l;
    for (const auto& t : m_->inputs()) l.append(tensor_dict(t));
    return l;
  }
  py::list outputs() const {
    py::list l;
    for (const auto& t : m_->outputs()) l.append(tensor_dict(t));
    return l;
  }
  py::dict info() const {
    const edgekd::ModelInfo& i = m_->info();
    py::dict d;
    d["path"] = i.path;
    py::dict k;
    for (const auto& kv : i.kernels) k[py::str(kv.first)] = kv.second;
    d["kernels"] = k;
    d["arena_bytes"] = i.arena_bytes;
    d["scratch_bytes"] = i.scratch_bytes;
    d["model_bytes"] = i.model_bytes;
    d["load_ms"] = i.load_ms;
    d["num_ops"] = i.num_ops;
    d["num_folded_ops"] = i.num_folded_ops;
    d["num_threads"] = i.num_threads;
    d["num_fused_regions"] = i.num_fused_regions;
    d["num_fused_ops"] = i.num_fused_ops;
    d["num_variables"] = i.num_variables;
    d["state_bytes"] = i.state_bytes;
    return d;
  }
  // One call per inference: the arrays are checked and the outputs allocated with the GIL held, then
  // run_copying runs the model. The dtype objects are built once, at load: per call this costs about a
  // microsecond over Model::run.
  py::list invoke(const py::list& arrays) {
    const size_t n_in = m_->inputs().size();
    if (arrays.size() != n_in)
      throw py::value_error("the model takes " + std::to_string(n_in) + " inputs, got " +
                            std::to_string(arrays.size()));
    std::vector<py::array> in;
    in.reserve(n_in);
    for (size_t i = 0; i < n_in; ++i) {
      py::array a = arrays[i].cast<py::array>();
      if (!a.dtype().is(in_dtypes_[i]))
        throw py::value_error("input " + std::to_string(i) + " '" + m_->inputs()[i].name + "' takes " +
                              py::str(in_dtypes_[i]).cast<std::string>() + ", got " +
                              py::str(a.dtype()).cast<std::string>());
      if (!(a.flags() & py::array::c_style)) a = py::array::ensure(a, py::array::c_style);
      in.push_back(std::move(a));
    }
    return as_list(run_new_outputs(in.data(), n_in));
  }

  // The common call, with nothing to convert: each x a C-contiguous ndarray of exactly its input's dtype and
  // shape. Returns the output array (a list of them for several outputs), or None for anything else (the
  // caller then takes the general path, which converts or reports the mismatch). No checks left to Python:
  // `model(x)` measured 0.3-1.5 us less per call than through invoke(), and a two-input call 3.6 us less
  // than the Python checks and invoke() it replaces.
  py::object invoke_exact(const py::args& xs) {
    const size_t n_in = in_dtypes_.size(), n_out = out_dtypes_.size();
    if (xs.size() != n_in || n_in == 0 || n_out == 0) return py::none();
    if (n_in == 1 && n_out == 1) {  // no vectors: the one-array case is the one small models call most
      if (!exact_input(xs[0], 0)) return py::none();
      const auto a = py::reinterpret_borrow<py::array>(xs[0]);
      py::array out(out_dtypes_[0], out_shapes_[0]);
      run_copying(&a, 1, &out, 1);
      return std::move(out);
    }
    std::vector<py::array> in;
    in.reserve(n_in);
    for (size_t i = 0; i < n_in; ++i) {
      if (!exact_input(xs[i], i)) return py::none();
      in.push_back(py::reinterpret_borrow<py::array>(xs[i]));
    }
    std::vector<py::array> out = run_new_outputs(in.data(), n_in);
    if (n_out == 1) return std::move(out[0]);
    return as_list(std::move(out));
  }

  py::list signatures() const {
    py::list l;
    for (const SignatureInfo& s : m_->signatures()) {
      py::dict d;
      d["key"] = s.key;
      d["subgraph_index"] = s.subgraph_index;
      d["inputs"] = s.inputs;
      d["outputs"] = s.outputs;
      l.append(d);
    }
    return l;
  }
  // Variable tensors back to their initial values, under the model's mutex like a call.
  void reset_state(bool resource_variables) {
    std::lock_guard<std::mutex> lock(run_mu_);
    m_->reset_state(resource_variables);
  }
  size_t num_tensors() const { return m_->num_tensors(); }
  py::dict tensor_info(size_t i) const { return tensor_dict(m_->tensor_info(i)); }

  // A numpy view of tensor i where the model keeps it (Model::tensor_data), kept alive by `self`; None
  // where no op writes it. Constants are read-only views of the model's bytes.
  static py::object tensor_view(const py::object& self, size_t i) {
    const PyModel& pm = self.cast<const PyModel&>();
    const TensorInfo t = pm.m_->tensor_info(i);
    const void* p = pm.m_->tensor_data(i);
    if (p == nullptr) return py::none();
    if (t.dtype == DType::kOther)
      throw py::value_error("tensor " + std::to_string(i) + " '" + t.name + "' has TFLite type " +
                            std::to_string(t.tflite_type) + ", which has no numpy equivalent here");
    std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
    py::array a(numpy_dtype(t.dtype), shape, p, self);
    if (t.is_constant) py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return std::move(a);
  }

  // LiteRT-style I/O: one persistent array per input and per output, which set_tensor fills, tensor()
  // views and run_staged copies in and out. Inputs keep their values across runs, as LiteRT's do (the
  // arena slot of an input is reused once the model has read it, so it cannot be the input's home).
  py::list staged_inputs() {
    ensure_staged();
    py::list l;
    for (const py::array& a : in_stage_) l.append(a);
    return l;
  }
  py::list staged_outputs() {
    ensure_staged();
    py::list l;
    for (const py::array& a : out_stage_) l.append(a);
    return l;
  }
  void run_staged() {
    ensure_staged();
    run_copying(in_stage_.data(), in_stage_.size(), out_stage_.data(), out_stage_.size());
  }

  // Model::profile (each op's median time over `runs` inferences on the inputs last copied in), with the GIL
  // released and the model's mutex held like a call.
  py::list profile(int runs, bool per_op) {
    std::vector<OpProfile> prof;
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(run_mu_);
      prof = m_->profile(runs, per_op);
    }
    py::list out;
    for (const OpProfile& p : prof) {
      py::dict d;
      d["op"] = p.name;
      d["kernel"] = p.kernel;
      d["ms"] = p.ms;
      out.append(d);
    }
    return out;
  }

 private:
  // x is a C-contiguous ndarray of input i's dtype and shape.
  bool exact_input(py::handle x, size_t i) const {
    if (!py::isinstance<py::array>(x)) return false;
    const auto a = py::reinterpret_borrow<py::array>(x);
    const TensorInfo& t = m_->inputs()[i];
    if (!a.dtype().is(in_dtypes_[i]) || !(a.flags() & py::array::c_style) ||
        a.ndim() != static_cast<py::ssize_t>(t.shape.size()))
      return false;
    for (size_t d = 0; d < t.shape.size(); ++d)
      if (a.shape(static_cast<py::ssize_t>(d)) != t.shape[d]) return false;
    return true;
  }

  // Allocates the output arrays and runs the model into them (run_copying).
  std::vector<py::array> run_new_outputs(const py::array* in, size_t n_in) {
    std::vector<py::array> out;
    out.reserve(out_dtypes_.size());
    for (size_t i = 0; i < out_dtypes_.size(); ++i) out.emplace_back(out_dtypes_[i], out_shapes_[i]);
    run_copying(in, n_in, out.data(), out.size());
    return out;
  }

  static py::list as_list(std::vector<py::array> arrays) {
    py::list result(arrays.size());
    for (size_t i = 0; i < arrays.size(); ++i) result[i] = std::move(arrays[i]);
    return result;
  }

  // Copies the inputs in, runs the model and copies the outputs out, with the GIL released and the model's
  // own mutex held: one inference at a time per model, separate models concurrently. Arrays checked by the
  // caller (dtype, C layout; set_input / get_output check the byte counts).
  void run_copying(const py::array* in, size_t n_in, py::array* out, size_t n_out) {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(run_mu_);
    for (size_t i = 0; i < n_in; ++i) m_->set_input(i, in[i].data(), static_cast<size_t>(in[i].nbytes()));
    m_->run();
    for (size_t i = 0; i < n_out; ++i) m_->get_output(i, out[i].mutable_data(), static_cast<size_t>(out[i].nbytes()));
  }

  void ensure_staged() {
    if (staged_) return;
    for (const TensorInfo& t : m_->inputs()) {
      py::array a(numpy_dtype(t.dtype), std::vector<py::ssize_t>(t.shape.begin(), t.shape.end()));
      std::memset(a.mutable_data(), 0, static_cast<size_t>(a.nbytes()));
      in_stage_.push_back(std::move(a));
    }
    for (size_t i = 0; i < out_dtypes_.size(); ++i) {
      py::array a(out_dtypes_[i], out_shapes_[i]);
      std::memset(a.mutable_data(), 0, static_cast<size_t>(a.nbytes()));
      out_stage_.push_back(std::move(a));
    }
    staged_ = true;
  }

  std::unique_ptr<Model> m_;
  bool staged_ = false;
  std::vector<py::array> in_stage_, out_stage_;
  std::vector<py::dtype> in_dtypes_, out_dtypes_;
  std::vector<std::vector<py::ssize_t>> out_shapes_;
  std::mutex run_mu_;
};

std::unique_ptr<PyModel> load_file(const std::string& path, int num_threads, bool keep_all_tensors) {
  std::unique_ptr<Model> m;
  {
    py::gil_scoped_release release;
    m = Model::from_file(path, num_threads, keep_all_tensors);
  }
  return std::make_unique<PyModel>(std::move(m));
}

std::unique_ptr<PyModel> load_bytes(const py::bytes& data, int num_threads, bool keep_all_tensors) {
  std::string_view v = data;  // copied by Model::from_bytes
  std::unique_ptr<Model> m;
  {
    py::gil_scoped_release release;
    m = Model::from_bytes(v.data(), v.size(), num_threads, keep_all_tensors);
  }
  return std::make_unique<PyModel>(std::move(m));
}

// TFLite's float -> int8 quantization and back (the same functions the QUANTIZE / DEQUANTIZE ops run), so the
// Python edges round exactly as the model's own edges do.
py::array_t<int8_t> quantize(const py::array_t<float, py::array::c_style | py::array::forcecast>& x, float scale,
                             int32_t zero_point) {
  const edgekd::ops::QuantizeParams p = edgekd::ops::prepare_quantize(scale, zero_point);
  py::array_t<int8_t> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  edgekd::ops::quantize_f32_s8(p, x.data(), out.mutable_data(), static_cast<size_t>(x.size()));
  return out;
}

py::array_t<float> dequantize(const py::array_t<int8_t, py::array::c_style>& x, float scale, int32_t zero_point) {
  const edgekd::ops::DequantizeParams p = edgekd::ops::prepare_dequantize(scale, zero_point);
  py::array_t<float> out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  edgekd::ops::dequantize_s8_f32(p, x.data(), out.mutable_data(), static_cast<size_t>(x.size()));
  return out;
}

}  // namespace

void register_runtime(py::module_& m) {
  py::class_<PyModel>(m, "Model", "A loaded int8 .tflite model (use edgekd.load).")
      .def_static("from_file", &load_file, py::arg("path"), py::arg("num_threads") = 1,
                  py::arg("keep_all_tensors") = false)
      .def_static("from_bytes", &load_bytes, py::arg("data"), py::arg("num_threads") = 1,
                  py::arg("keep_all_tensors") = false)
      .def("inputs", &PyModel::inputs)
      .def("outputs", &PyModel::outputs)
      .def("info", &PyModel::info)
      .def("invoke", &PyModel::invoke, py::arg("arrays"))
      .def("invoke_exact", &PyModel::invoke_exact)
      .def("signatures", &PyModel::signatures)
      .def("num_tensors", &PyModel::num_tensors)
      .def("tensor_info", &PyModel::tensor_info, py::arg("index"))
      .def("tensor_view", &PyModel::tensor_view, py::arg("index"))
      .def("staged_inputs", &PyModel::staged_inputs)
      .def("staged_outputs", &PyModel::staged_outputs)
      .def("run_staged", &PyModel::run_staged)
      .def("reset_state", &PyModel::reset_state, py::arg("resource_variables") = true)
      .def("profile", &PyModel::profile, py::arg("runs"), py::arg("per_op") = true);
  m.def("runtime_quantize", &quantize, py::arg("x"), py::arg("scale"), py::arg("zero_point"),
        "float32 -> int8 as TFLite's QUANTIZE computes it.");
  m.def("runtime_dequantize", &dequantize, py::arg("x"), py::arg("scale"), py::arg("zero_point"),
        "int8 -> float32 as TFLite's DEQUANTIZE computes it.");
}

}  // namespace edgekd_py
