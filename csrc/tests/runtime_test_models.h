// Small int8 test networks built in C++ (no Python): used by test_runtime.cpp, test_model_reader.cpp and
// the fuzz seed corpus.
#pragma once
#include <cmath>
#include <random>

#include "tflite_test_builder.h"

namespace edgekd_test {

struct Rng {
  std::mt19937 g;
  explicit Rng(unsigned seed) : g(seed) {}
  int i(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g); }
  float f(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(g); }
};

inline TTensor act(const std::string& name, std::vector<int32_t> shape, float scale, int64_t zp) {
  TTensor t;
  t.name = name; t.shape = std::move(shape); t.scale = {scale}; t.zero_point = {zp};
  return t;
}

inline TTensor weights(Rng& r, const std::string& name, std::vector<int32_t> shape, int channels, int qdim) {
  TTensor t;
  t.name = name; t.shape = shape;
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  std::vector<int8_t> w(n);
  for (auto& x : w) x = static_cast<int8_t>(r.i(-127, 127));
  t.data = bytes_of(w);
  for (int c = 0; c < channels; ++c) { t.scale.push_back(r.f(0.002f, 0.02f)); t.zero_point.push_back(0); }
  t.quantized_dimension = qdim;
  return t;
}

inline TTensor bias(Rng& r, const std::string& name, int channels) {
  TTensor t;
  t.name = name; t.shape = {channels}; t.type = 2;
  std::vector<int32_t> b(static_cast<size_t>(channels));
  for (auto& x : b) x = r.i(-2000, 2000);
  t.data = bytes_of(b);
  return t;
}

inline TTensor int32_const(const std::string& name, std::vector<int32_t> shape, std::vector<int32_t> v) {
  TTensor t;
  t.name = name; t.shape = std::move(shape); t.type = 2; t.data = bytes_of(v);
  return t;
}

// Conv2DOptions / DepthwiseConv2DOptions / FullyConnectedOptions / ... as builder fields.
inline std::vector<Field> conv_options(int padding, int stride, int act) {
  return {scalar_u8(0, static_cast<uint8_t>(padding)), scalar_i32(1, stride), scalar_i32(2, stride),
          scalar_u8(3, static_cast<uint8_t>(act))};
}
inline std::vector<Field> dw_options(int padding, int stride, int mult, int act) {
  return {scalar_u8(0, static_cast<uint8_t>(padding)), scalar_i32(1, stride), scalar_i32(2, stride),
          scalar_i32(3, mult), scalar_u8(4, static_cast<uint8_t>(act))};
}

// input [1,H,W,C] -> CONV 3x3 s2 RELU6 -> DWCONV 3x3 s1 RELU6 -> CONV 1x1 -> ADD (residual with a 1x1
// conv branch) -> MEAN(1,2) -> FC -> SOFTMAX; plus, with flatten_chain, a SHAPE/STRIDED_SLICE/PACK/RESHAPE.
inline TModel tiny_mobilenet(unsigned seed, int h = 12, int w = 10, int c = 3, bool flatten_chain = false) {
  Rng r(seed);
  TModel m;
  const int c1 = 8 + r.i(0, 8), c2 = 8 + r.i(0, 4), units = 5 + r.i(0, 5);
  const int oh = (h + 1) / 2, ow = (w + 1) / 2;
  const int in = m.add_tensor(act("input", {1, h, w, c}, r.f(0.005f, 0.02f), r.i(-20, 20)));
  const int w1 = m.add_tensor(weights(r, "conv1/w", {c1, 3, 3, c}, c1, 0));
  const int b1 = m.add_tensor(bias(r, "conv1/b", c1));
  const int a1 = m.add_tensor(act("conv1", {1, oh, ow, c1}, r.f(0.01f, 0.05f), -128));
  m.ops.push_back({3, {in, w1, b1}, {a1}, conv_options(0, 2, 3), 1});
  const int wd = m.add_tensor(weights(r, "dw/w", {1, 3, 3, c1}, c1, 3));
  const int bd = m.add_tensor(bias(r, "dw/b", c1));
  const int a2 = m.add_tensor(act("dw", {1, oh, ow, c1}, r.f(0.01f, 0.05f), -128));
  m.ops.push_back({4, {a1, wd, bd}, {a2}, dw_options(0, 1, 1, 3), 2});
  const int wp = m.add_tensor(weights(r, "project/w", {c2, 1, 1, c1}, c2, 0));
  const int bp = m.add_tensor(bias(r, "project/b", c2));
  const int a3 = m.add_tensor(act("project", {1, oh, ow, c2}, r.f(0.02f, 0.08f), r.i(-10, 10)));
  m.ops.push_back({3, {a2, wp, bp}, {a3}, conv_options(1, 1, 0), 1});
  const int ws = m.add_tensor(weights(r, "skip/w", {c2, 1, 1, c1}, 1, 0));  // per-tensor filter
  const int a4 = m.add_tensor(act("skip", {1, oh, ow, c2}, r.f(0.02f, 0.08f), r.i(-10, 10)));
  m.ops.push_back({3, {a1, ws, -1}, {a4}, conv_options(1, 1, 0), 1});
  const int a5 = m.add_tensor(act("add", {1, oh, ow, c2}, r.f(0.03f, 0.1f), r.i(-10, 10)));
  m.ops.push_back({0, {a3, a4}, {a5}, {scalar_u8(0, 1)}, 11});
  const int axes = m.add_tensor(int32_const("axes", {2}, {1, 2}));
  const int a6 = m.add_tensor(act("mean", {1, c2}, r.f(0.01f, 0.05f), r.i(-10, 10)));
  m.ops.push_back({40, {a5, axes}, {a6}, {scalar_u8(0, 0)}, 27});
  int fc_in = a6;
  if (flatten_chain) {
    const int shp = m.add_tensor(int32_const("shape", {2}, {0, 0}));
    m.tensors[shp].data.clear();  // produced by SHAPE
    const int b = m.add_tensor(int32_const("begin", {1}, {0}));
    const int e = m.add_tensor(int32_const("end", {1}, {1}));
    const int s = m.add_tensor(int32_const("strides", {1}, {1}));
    const int batch = m.add_tensor(int32_const("batch", {}, {0}));
    m.tensors[batch].data.clear();
    const int minus1 = m.add_tensor(int32_const("minus1", {}, {-1}));
    const int packed = m.add_tensor(int32_const("packed", {2}, {0, 0}));
    m.tensors[packed].data.clear();
    const int flat = m.add_tensor(act("flat", {1, c2}, m.tensors[a6].scale[0], m.tensors[a6].zero_point[0]));
    m.ops.push_back({77, {a6}, {shp}, {}, 0});
    m.ops.push_back({45, {shp, b, e, s}, {batch}, {scalar_i32(4, 1)}, 32});
    m.ops.push_back({83, {batch, minus1}, {packed}, {scalar_i32(0, 2), scalar_i32(1, 0)}, 59});
    m.ops.push_back({22, {a6, packed}, {flat}, {}, 0});
    fc_in = flat;
  }
  const int wf = m.add_tensor(weights(r, "fc/w", {units, c2}, units, 0));
  const int bf = m.add_tensor(bias(r, "fc/b", units));
  const int a7 = m.add_tensor(act("logits", {1, units}, r.f(0.05f, 0.2f), r.i(-10, 10)));
  m.ops.push_back({9, {fc_in, wf, bf}, {a7}, {scalar_u8(0, 0)}, 8});
  const int out = m.add_tensor(act("probs", {1, units}, 1.0f / 256, -128));
  m.ops.push_back({25, {a7}, {out}, {scalar_f32(0, 1.0f)}, 9});
  m.inputs = {in};
  m.outputs = {out};
  return m;
}

}  // namespace edgekd_test
