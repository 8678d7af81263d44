// edgekd-run: run or benchmark an int8 .tflite model on edgekd's runtime, without Python.
//
//   edgekd-run model.tflite [--input x.npy]... [--output y.npy] [--threads T]
//              [--bench --warmup W --runs N] [--profile] [--json]
//
// Without --bench it runs once and prints the outputs (or writes them with --output; a model with several
// outputs writes y.npy, y_1.npy, ...). With --bench it prints latency statistics (min, mean, std, p50,
// p90, p99 in ms), load time, arena bytes and the chosen SIMD path; --profile adds each op's median time. float32 .npy inputs to int8 model
// inputs are quantized with the input's parameters (TFLite's rounding). Missing inputs are zeros in
// real terms (the zero point). Exit status 0 on success, 1 on a user error (message on stderr), 2 on usage.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgekd/runtime.hpp"
#include "kernels/ops/ops.h"
#include "tools/npy.h"

namespace {

struct Args {
  std::string model;
  std::vector<std::string> inputs;
  std::string output;
  bool bench = false, json = false, profile = false;
  int warmup = 10, runs = 100, threads = 1;
};

constexpr const char* kUsage =
    "usage: edgekd-run model.tflite [--input x.npy]... [--output y.npy] [--threads T]\n"
    "                  [--bench [--warmup W] [--runs N]] [--profile] [--json]\n";

constexpr const char* kHelp =
    "Runs an int8 .tflite model on edgekd's native runtime.\n"
    "\n"
    "  --input x.npy    an input (.npy; float32 is quantized with the input's parameters), one per\n"
    "                   model input in order; missing inputs are zeros in real terms\n"
    "  --output y.npy   write the outputs as .npy (several outputs: y.npy, y_1.npy, ...);\n"
    "                   without it the outputs are printed\n"
    "  --threads T      worker threads (1..256, default 1)\n"
    "  --bench          latency statistics in ms: --warmup W untimed runs (default 10), --runs N\n"
    "                   timed runs (default 100)\n"
    "  --profile        adds each op's median time (implies --bench)\n"
    "  --json           print results as JSON\n"
    "  -h, --help       show this help and exit\n"
    "\n"
    "Exit status: 0 success, 1 bad model or input, 2 bad arguments.\n";

[[noreturn]] void usage(const std::string& why) {
  if (!why.empty()) std::cerr << "edgekd-run: " << why << "\n";
  std::cerr << kUsage;
  std::exit(2);
}

[[noreturn]] void help() {
  std::cout << kUsage << "\n" << kHelp;
  std::exit(0);
}

int parse_int(const std::string& flag, const char* v, int lo, int hi) {
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (!*v || *end || x < lo || x > hi) usage(flag + " takes an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(x);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) usage(s + " needs a value");
      return argv[++i];
    };
    if (s == "--input") a.inputs.push_back(next());
    else if (s == "--output") a.output = next();
    else if (s == "--bench") a.bench = true;
    else if (s == "--json") a.json = true;
    else if (s == "--profile") a.bench = a.profile = true;
    else if (s == "--warmup") a.warmup = parse_int(s, next(), 0, 1000000);
    else if (s == "--runs") a.runs = parse_int(s, next(), 1, 10000000);
    else if (s == "--threads") a.threads = parse_int(s, next(), 1, 256);
    else if (s == "-h" || s == "--help") help();
    else if (!s.empty() && s[0] == '-') usage("unknown option " + s);
    else if (a.model.empty()) a.model = s;
    else usage("more than one model given");
  }
  if (a.model.empty()) usage("no model given");
  return a;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += c; }
    else if (static_cast<unsigned char>(c) < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
    else o += c;
  }
  return o;
}

std::string shape_str(const std::vector<int>& s, bool json) {
  std::string o = json ? "[" : "(";
  for (size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
  return o + (json ? "]" : ")");
}

void feed_input(edgekd::Model& m, size_t i, const std::string& path) {
  const edgekd::TensorInfo& t = m.inputs()[i];
  edgekd::npy::Array a = edgekd::npy::load(path);
  int64_t count = 1;
  for (int64_t d : a.shape) count *= d;
  int64_t want = 1;
  for (int d : t.shape) want *= d;
  if (count != want)
    throw std::invalid_argument(path + ": has " + std::to_string(count) + " elements, input '" + t.name + "' takes " +
                                std::to_string(want) + " " + shape_str(t.shape, false));
  const std::string descr = edgekd::npy::descr_for_tflite_type(t.tflite_type);
  if (a.descr == descr || (descr == "|i1" && a.descr == "<i1")) {
    m.set_input(i, a.data.data(), a.data.size());
  } else if (a.descr == "<f4" && t.dtype == edgekd::DType::kInt8 && !t.scales.empty()) {
    const auto p = edgekd::ops::prepare_quantize(t.scales[0], static_cast<int32_t>(t.zero_points[0]));
    std::vector<float> f(static_cast<size_t>(count));
    std::memcpy(f.data(), a.data.data(), f.size() * 4);
    edgekd::ops::quantize_f32_s8(p, f.data(), static_cast<int8_t*>(m.input_data(i)), f.size());
  } else {
    throw std::invalid_argument(path + ": dtype " + a.descr + " does not fit input '" + t.name + "' (" + descr + ")");
  }
}

void zero_input(edgekd::Model& m, size_t i) {
  const edgekd::TensorInfo& t = m.inputs()[i];
  int8_t fill = 0;
  if (t.dtype == edgekd::DType::kInt8 && !t.zero_points.empty()) fill = static_cast<int8_t>(t.zero_points[0]);
  if (t.dtype == edgekd::DType::kInt8) std::memset(m.input_data(i), fill, t.bytes);
  else std::memset(m.input_data(i), 0, t.bytes);
}

std::string values_str(const edgekd::TensorInfo& t, const void* data, size_t limit) {
  std::ostringstream o;
  size_t n = 1;
  for (int d : t.shape) n *= static_cast<size_t>(d);
  o << "[";
  for (size_t k = 0; k < n && k < limit; ++k) {
    if (k) o << ", ";
    switch (t.dtype) {
      case edgekd::DType::kFloat32: o << static_cast<const float*>(data)[k]; break;
      case edgekd::DType::kInt8: o << int(static_cast<const int8_t*>(data)[k]); break;
      case edgekd::DType::kUInt8: o << int(static_cast<const uint8_t*>(data)[k]); break;
      case edgekd::DType::kInt32: o << static_cast<const int32_t*>(data)[k]; break;
      case edgekd::DType::kInt64: o << static_cast<const int64_t*>(data)[k]; break;
      default: o << "?"; break;
    }
  }
  if (n > limit) o << ", ...";
  o << "]";
  return o.str();
}

std::string kernels_json(const edgekd::ModelInfo& info) {
  std::string o = "{";
  bool first = true;
  for (const auto& kv : info.kernels) {
    o += (first ? "" : ", ") + std::string("\"") + kv.first + "\": [";
    for (size_t i = 0; i < kv.second.size(); ++i) o += (i ? ", \"" : "\"") + json_escape(kv.second[i]) + "\"";
    o += "]";
    first = false;
  }
  return o + "}";
}

int run(const Args& a) {
  auto model = edgekd::Model::from_file(a.model, a.threads);
  edgekd::Model& m = *model;
  if (a.inputs.size() > m.inputs().size())
    throw std::invalid_argument("the model takes " + std::to_string(m.inputs().size()) + " inputs, got " +
                                std::to_string(a.inputs.size()) + " --input files");
  for (size_t i = 0; i < m.inputs().size(); ++i) {
    if (i < a.inputs.size()) feed_input(m, i, a.inputs[i]);
    else zero_input(m, i);
  }
  const edgekd::ModelInfo& info = m.info();

  if (!a.bench) {
    m.run();
    for (size_t i = 0; i < m.outputs().size() && !a.output.empty(); ++i) {
      const edgekd::TensorInfo& t = m.outputs()[i];
      edgekd::npy::Array arr;
      arr.descr = edgekd::npy::descr_for_tflite_type(t.tflite_type);
      arr.shape.assign(t.shape.begin(), t.shape.end());
      const uint8_t* p = static_cast<const uint8_t*>(m.output_data(i));
      arr.data.assign(p, p + t.bytes);
      std::string path = a.output;
      if (i > 0) {
        const size_t dot = path.rfind(".npy");
        path = (dot == std::string::npos ? path : path.substr(0, dot)) + "_" + std::to_string(i) + ".npy";
      }
      edgekd::npy::save(path, arr);
    }
    if (a.json) {
      std::cout << "{\"model\": \"" << json_escape(a.model) << "\", \"path\": \"" << info.path
                << "\", \"load_ms\": " << info.load_ms << ", \"arena_bytes\": " << info.arena_bytes
                << ", \"kernels\": " << kernels_json(info) << ", \"outputs\": [";
      for (size_t i = 0; i < m.outputs().size(); ++i) {
        const edgekd::TensorInfo& t = m.outputs()[i];
        std::cout << (i ? ", " : "") << "{\"name\": \"" << json_escape(t.name) << "\", \"shape\": "
                  << shape_str(t.shape, true) << ", \"values\": " << values_str(t, m.output_data(i), SIZE_MAX) << "}";
      }
      std::cout << "]}\n";
    } else {
      std::cout << "model: " << a.model << "  path: " << info.path << "  load: " << info.load_ms
                << " ms  arena: " << info.arena_bytes << " bytes\n";
      for (size_t i = 0; i < m.outputs().size(); ++i) {
        const edgekd::TensorInfo& t = m.outputs()[i];
        std::cout << "output " << i << " '" << t.name << "' " << shape_str(t.shape, false) << ": "
                  << values_str(t, m.output_data(i), 64) << "\n";
      }
    }
    return 0;
  }

  for (int i = 0; i < a.warmup; ++i) m.run();
  std::vector<double> ms(static_cast<size_t>(a.runs));
  for (int i = 0; i < a.runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    m.run();
    ms[static_cast<size_t>(i)] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  double mean = 0;
  for (double v : ms) mean += v;
  mean /= ms.size();
  double var = 0;
  for (double v : ms) var += (v - mean) * (v - mean);
  const double stddev = ms.size() > 1 ? std::sqrt(var / (ms.size() - 1)) : 0.0;
  std::vector<double> s = ms;
  std::sort(s.begin(), s.end());
  auto pct = [&](double p) {  // nearest-rank percentile
    size_t k = static_cast<size_t>(std::ceil(p / 100.0 * s.size()));
    return s[k == 0 ? 0 : k - 1];
  };
  std::vector<edgekd::OpProfile> prof;
  if (a.profile) prof = m.profile(a.runs);
  if (a.json) {
    std::cout << "{\"model\": \"" << json_escape(a.model) << "\", \"path\": \"" << info.path
              << "\", \"threads\": " << a.threads << ", \"warmup\": " << a.warmup << ", \"runs\": " << a.runs
              << ", \"load_ms\": " << info.load_ms << ", \"arena_bytes\": " << info.arena_bytes
              << ", \"fused_ops\": " << info.num_fused_ops << ", \"fused_regions\": " << info.num_fused_regions
              << ", \"kernels\": " << kernels_json(info) << ", \"latency_ms\": {\"min\": " << s.front()
              << ", \"mean\": " << mean << ", \"std\": " << stddev << ", \"p50\": " << pct(50)
              << ", \"p90\": " << pct(90) << ", \"p99\": " << pct(99) << ", \"max\": " << s.back() << "}";
    if (a.profile) {
      std::cout << ", \"ops\": [";
      for (size_t i = 0; i < prof.size(); ++i)
        std::cout << (i ? ", " : "") << "{\"name\": \"" << json_escape(prof[i].name) << "\", \"kernel\": \""
                  << json_escape(prof[i].kernel) << "\", \"ms\": " << prof[i].ms << "}";
      std::cout << "]";
    }
    std::cout << "}\n";
  } else {
    std::printf("model: %s\npath: %s  threads: %d  load: %.3f ms  arena: %zu bytes  fused: %d ops in %d regions\n",
                a.model.c_str(), info.path.c_str(), a.threads, info.load_ms, info.arena_bytes, info.num_fused_ops,
                info.num_fused_regions);
    std::printf("latency over %d runs (ms): min %.4f  mean %.4f  std %.4f  p50 %.4f  p90 %.4f  p99 %.4f\n", a.runs,
                s.front(), mean, stddev, pct(50), pct(90), pct(99));
    if (a.profile) {
      double total = 0;
      for (const auto& o : prof) total += o.ms;
      std::printf("per-op median over %d runs (ms), sum %.4f:\n", a.runs, total);
      for (const auto& o : prof)
        std::printf("  %-28s %-34s %9.4f  %5.1f%%\n", o.name.c_str(), o.kernel.c_str(), o.ms, 100.0 * o.ms / total);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  try {
    return run(a);
  } catch (const std::exception& e) {
    std::cerr << "edgekd-run: " << e.what() << "\n";
    return 1;
  }
}
