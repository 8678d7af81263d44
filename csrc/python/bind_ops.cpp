// edgekd._core.ops: the non-GEMM int8 ops, one function each (prepare + run in one call), for tests and
// benchmarks. Thin on purpose: checks dtypes, converts shapes, releases the GIL; the arithmetic lives in
// csrc/kernels/ops. std::invalid_argument from prepare becomes ValueError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "edgekd/cpu.h"
#include "kernels/kernels.h"
#include "kernels/ops/ops.h"

namespace py = pybind11;
using namespace edgekd::ops;

namespace {

// The kernels of the path a model loaded now would run on (EDGEKD_ISA or the best available).
const edgekd::KernelTable& current_table() { return edgekd::kernel_table(edgekd::select_isa_from_env()); }

template <class T>
using Arr = py::array_t<T, py::array::c_style>;

template <class T>
Arr<T> take(const py::array& a, const char* op, const char* name, const char* dtype) {
  if (!a.dtype().is(py::dtype::of<T>()))
    throw py::value_error(std::string(op) + ": " + name + " must be a numpy " + dtype + " array, got dtype " +
                          std::string(py::str(a.dtype())));
  if (a.ndim() > 4) throw py::value_error(std::string(op) + ": " + name + " rank must be <= 4");
  return Arr<T>::ensure(a);
}

std::vector<int> dims_of(const py::array& a) {
  std::vector<int> d;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) d.push_back(static_cast<int>(a.shape(i)));
  return d;
}

Arr<int8_t> new_s8(const std::vector<int>& dims) {
  std::vector<py::ssize_t> shape(dims.begin(), dims.end());
  return Arr<int8_t>(shape);
}

// numpy-style broadcast of two shapes (right-aligned), rank = max of the two.
std::vector<int> broadcast_dims(const std::vector<int>& a, const std::vector<int>& b, const char* op) {
  const size_t r = std::max(a.size(), b.size());
  std::vector<int> out(r);
  for (size_t i = 0; i < r; ++i) {
    const int x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (x != y && x != 1 && y != 1) throw py::value_error(std::string(op) + ": input shapes do not broadcast");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

template <class P, class Run>
py::array binary(const char* op, const py::array& a_in, const py::array& b_in, const P& p, Run run) {
  auto a = take<int8_t>(a_in, op, "input1", "int8");
  auto b = take<int8_t>(b_in, op, "input2", "int8");
  const auto da = dims_of(a), db = dims_of(b);
  auto out = new_s8(broadcast_dims(da, db, op));
  const Shape4 sa = shape4(da), sb = shape4(db);
  const int8_t* pa = a.data();
  const int8_t* pb = b.data();
  int8_t* po = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    run(p, sa, pa, sb, pb, po);
  }
  return out;
}

py::array unary_lut(const char* op, const py::array& x_in, const LutParams& p) {
  auto x = take<int8_t>(x_in, op, "input", "int8");
  auto out = new_s8(dims_of(x));
  const size_t n = static_cast<size_t>(x.size());
  const int8_t* px = x.data();
  int8_t* po = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    current_table().lut.fn(p, px, po, n);
  }
  return out;
}

py::array pool(bool is_max, const py::array& x_in, int fh, int fw, int sh, int sw, int padding, float scale,
               int zp, int act) {
  const char* op = is_max ? "MAX_POOL_2D" : "AVERAGE_POOL_2D";
  auto x = take<int8_t>(x_in, op, "input", "int8");
  if (x.ndim() != 4) throw py::value_error(std::string(op) + ": input must be 4-D NHWC");
  const PoolParams p = prepare_pool(shape4(dims_of(x)), fh, fw, sh, sw, static_cast<Padding>(padding), scale, zp,
                                    static_cast<Activation>(act));
  const Shape4 o = p.out_shape();
  auto out = new_s8({o.n, o.h, o.w, o.c});
  const int8_t* px = x.data();
  int8_t* po = out.mutable_data();
  const edgekd::KernelTable& t = current_table();
  {
    py::gil_scoped_release nogil;
    (is_max ? t.max_pool : t.avg_pool).fn(p, px, po);
  }
  return out;
}

}  // namespace

namespace edgekd_py {

void register_ops(py::module_& m) {
  py::module_ ops = m.def_submodule("ops", "edgekd's non-GEMM int8 ops (LiteRT builtin arithmetic)");

  ops.def("add", [](const py::array& a, const py::array& b, float s1, int z1, float s2, int z2, float so, int zo,
                    int act) {
    return binary("ADD", a, b, prepare_add(s1, z1, s2, z2, so, zo, static_cast<Activation>(act)),
                  current_table().add.fn);
  }, py::arg("a"), py::arg("b"), py::arg("a_scale"), py::arg("a_zero_point"), py::arg("b_scale"),
     py::arg("b_zero_point"), py::arg("out_scale"), py::arg("out_zero_point"), py::arg("activation") = 0,
     "int8 ADD with numpy broadcasting (rank <= 4); activation is TFLite's ActivationFunctionType.");

  ops.def("mul", [](const py::array& a, const py::array& b, float s1, int z1, float s2, int z2, float so, int zo,
                    int act) {
    return binary("MUL", a, b, prepare_mul(s1, z1, s2, z2, so, zo, static_cast<Activation>(act)),
                  current_table().mul.fn);
  }, py::arg("a"), py::arg("b"), py::arg("a_scale"), py::arg("a_zero_point"), py::arg("b_scale"),
     py::arg("b_zero_point"), py::arg("out_scale"), py::arg("out_zero_point"), py::arg("activation") = 0);

  ops.def("add_params", [](float s1, int z1, float s2, int z2, float so, int zo, int act) {
    const AddParams p = prepare_add(s1, z1, s2, z2, so, zo, static_cast<Activation>(act));
    py::dict d;
    d["input1_multiplier"] = p.input1_multiplier; d["input1_shift"] = p.input1_shift;
    d["input2_multiplier"] = p.input2_multiplier; d["input2_shift"] = p.input2_shift;
    d["output_multiplier"] = p.output_multiplier; d["output_shift"] = p.output_shift;
    d["left_shift"] = p.left_shift; d["act_min"] = p.act.min; d["act_max"] = p.act.max;
    return d;
  }, "The integer parameters prepare_add derives (for inspection).");

  ops.def("max_pool", [](const py::array& x, int fh, int fw, int sh, int sw, int padding, float scale, int zp,
                         int act) { return pool(true, x, fh, fw, sh, sw, padding, scale, zp, act); },
          py::arg("x"), py::arg("filter_h"), py::arg("filter_w"), py::arg("stride_h"), py::arg("stride_w"),
          py::arg("padding"), py::arg("out_scale"), py::arg("out_zero_point"), py::arg("activation") = 0,
          "padding: 0 = SAME, 1 = VALID (TFLite's enum).");
  ops.def("avg_pool", [](const py::array& x, int fh, int fw, int sh, int sw, int padding, float scale, int zp,
                         int act) { return pool(false, x, fh, fw, sh, sw, padding, scale, zp, act); },
          py::arg("x"), py::arg("filter_h"), py::arg("filter_w"), py::arg("stride_h"), py::arg("stride_w"),
          py::arg("padding"), py::arg("out_scale"), py::arg("out_zero_point"), py::arg("activation") = 0);

  ops.def("mean", [](const py::array& x_in, std::vector<int32_t> axes, bool keep_dims, float si, int zi, float so,
                     int zo) {
    auto x = take<int8_t>(x_in, "MEAN", "input", "int8");
    const auto d = dims_of(x);
    const MeanParams p = prepare_mean(d.data(), static_cast<int>(d.size()), axes.data(),
                                      static_cast<int>(axes.size()), keep_dims, si, zi, so, zo);
    std::vector<int> od;
    const int rank = static_cast<int>(d.size());
    for (int i = 0; i < rank; ++i) {
      const bool red = p.reduce[i + 4 - rank];
      if (!red) od.push_back(d[i]);
      else if (keep_dims) od.push_back(1);
    }
    auto out = new_s8(od);
    const int8_t* px = x.data();
    int8_t* po = out.mutable_data();
    const edgekd::KernelTable& t = current_table();
    {
      py::gil_scoped_release nogil;
      if (p.reduces_hw()) t.mean_hw.fn(p, px, po, 0, p.in.c);
      else t.mean.fn(p, px, po);
    }
    return out;
  }, py::arg("x"), py::arg("axes"), py::arg("keep_dims"), py::arg("in_scale"), py::arg("in_zero_point"),
     py::arg("out_scale"), py::arg("out_zero_point"));

  ops.def("relu", [](const py::array& x, int kind, float si, int zi, float so, int zo) {
    return unary_lut("RELU", x, prepare_relu(static_cast<ReluKind>(kind), si, zi, so, zo));
  }, py::arg("x"), py::arg("kind"), py::arg("in_scale"), py::arg("in_zero_point"), py::arg("out_scale"),
     py::arg("out_zero_point"), "kind: 0 = RELU, 1 = RELU6, 2 = RELU_N1_TO_1.");
  ops.def("hard_swish", [](const py::array& x, float si, int zi, float so, int zo) {
    return unary_lut("HARD_SWISH", x, prepare_hard_swish(si, zi, so, zo));
  }, py::arg("x"), py::arg("in_scale"), py::arg("in_zero_point"), py::arg("out_scale"), py::arg("out_zero_point"));
  ops.def("logistic", [](const py::array& x, float si, int zi, float so, int zo) {
    return unary_lut("LOGISTIC", x, prepare_logistic(si, zi, so, zo));
  }, py::arg("x"), py::arg("in_scale"), py::arg("in_zero_point"), py::arg("out_scale"), py::arg("out_zero_point"));
  ops.def("tanh", [](const py::array& x, float si, int zi, float so, int zo) {
    return unary_lut("TANH", x, prepare_tanh(si, zi, so, zo));
  }, py::arg("x"), py::arg("in_scale"), py::arg("in_zero_point"), py::arg("out_scale"), py::arg("out_zero_point"));
  ops.def("requantize", [](const py::array& x, float si, int zi, float so, int zo) {
    return unary_lut("QUANTIZE", x, prepare_requantize(si, zi, so, zo));
  }, py::arg("x"), py::arg("in_scale"), py::arg("in_zero_point"), py::arg("out_scale"), py::arg("out_zero_point"));

  ops.def("softmax", [](const py::array& x_in, float beta, float si, int zi, float so, int zo) {
    auto x = take<int8_t>(x_in, "SOFTMAX", "input", "int8");
    if (x.ndim() < 1 || x.shape(x.ndim() - 1) < 1)
      throw py::value_error("SOFTMAX: input needs a non-empty last dimension");
    const SoftmaxParams p = prepare_softmax(beta, si, zi, so, zo);
    auto out = new_s8(dims_of(x));
    const int depth = static_cast<int>(x.shape(x.ndim() - 1));
    const int64_t outer = static_cast<int64_t>(x.size()) / depth;
    const int8_t* px = x.data();
    int8_t* po = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      softmax_s8(p, px, po, outer, depth);
    }
    return out;
  }, py::arg("x"), py::arg("beta"), py::arg("in_scale"), py::arg("in_zero_point"), py::arg("out_scale"),
     py::arg("out_zero_point"));

  ops.def("quantize", [](const py::array& x_in, float scale, int zp) {
    auto x = take<float>(x_in, "QUANTIZE", "input", "float32");
    const QuantizeParams p = prepare_quantize(scale, zp);
    auto out = new_s8(dims_of(x));
    const float* px = x.data();
    int8_t* po = out.mutable_data();
    const size_t n = static_cast<size_t>(x.size());
    {
      py::gil_scoped_release nogil;
      quantize_f32_s8(p, px, po, n);
    }
    return out;
  }, py::arg("x"), py::arg("out_scale"), py::arg("out_zero_point"));

  ops.def("dequantize", [](const py::array& x_in, float scale, int zp) {
    auto x = take<int8_t>(x_in, "DEQUANTIZE", "input", "int8");
    const DequantizeParams p = prepare_dequantize(scale, zp);
    const auto d = dims_of(x);
    Arr<float> out(std::vector<py::ssize_t>(d.begin(), d.end()));
    const int8_t* px = x.data();
    float* po = out.mutable_data();
    const size_t n = static_cast<size_t>(x.size());
    {
      py::gil_scoped_release nogil;
      dequantize_s8_f32(p, px, po, n);
    }
    return out;
  }, py::arg("x"), py::arg("in_scale"), py::arg("in_zero_point"));

  ops.def("pad", [](const py::array& x_in, std::vector<std::pair<int32_t, int32_t>> paddings, int out_zp,
                    std::optional<int> constant) {
    auto x = take<int8_t>(x_in, "PAD", "input", "int8");
    const auto d = dims_of(x);
    if (paddings.size() != d.size()) throw py::value_error("PAD: paddings must have one (before, after) per dim");
    std::vector<int32_t> flat;
    for (auto& pr : paddings) { flat.push_back(pr.first); flat.push_back(pr.second); }
    int8_t cv = 0;
    if (constant) {
      if (*constant < -128 || *constant > 127) throw py::value_error("PAD: constant value must fit int8");
      cv = static_cast<int8_t>(*constant);
    }
    const PadParams p = prepare_pad(d.data(), static_cast<int>(d.size()), flat.data(), out_zp,
                                    constant ? &cv : nullptr);
    std::vector<int> od(d);
    for (size_t i = 0; i < d.size(); ++i) od[i] += paddings[i].first + paddings[i].second;
    auto out = new_s8(od);
    const int8_t* px = x.data();
    int8_t* po = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      pad_s8(p, px, po);
    }
    return out;
  }, py::arg("x"), py::arg("paddings"), py::arg("out_zero_point"), py::arg("constant") = py::none());

  ops.def("concat", [](const std::vector<py::array>& xs_in, int axis, std::vector<float> scales,
                       std::vector<int32_t> zps, float so, int zo) {
    const int n = static_cast<int>(xs_in.size());
    if (n == 0) throw py::value_error("CONCATENATION: needs at least one input");
    if (static_cast<int>(scales.size()) != n || static_cast<int>(zps.size()) != n)
      throw py::value_error("CONCATENATION: one scale and zero point per input");
    std::vector<Arr<int8_t>> xs;
    std::vector<std::vector<int>> dims;
    for (auto& a : xs_in) {
      xs.push_back(take<int8_t>(a, "CONCATENATION", "input", "int8"));
      dims.push_back(dims_of(xs.back()));
      if (dims.back().size() != dims[0].size()) throw py::value_error("CONCATENATION: inputs differ in rank");
    }
    std::vector<const int*> dp;
    std::vector<const int8_t*> ptrs;
    for (int i = 0; i < n; ++i) { dp.push_back(dims[i].data()); ptrs.push_back(xs[i].data()); }
    const int rank = static_cast<int>(dims[0].size());
    const ConcatParams p = prepare_concat(n, dp.data(), rank, axis, scales.data(), zps.data(), so, zo);
    std::vector<int> od(dims[0]);
    const int ax = axis < 0 ? axis + rank : axis;
    od[ax] = 0;
    for (auto& d : dims) od[ax] += d[ax];
    auto out = new_s8(od);
    int8_t* po = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      concat_s8(p, ptrs.data(), po);
    }
    return out;
  }, py::arg("xs"), py::arg("axis"), py::arg("in_scales"), py::arg("in_zero_points"), py::arg("out_scale"),
     py::arg("out_zero_point"));
}

}  // namespace edgekd_py
