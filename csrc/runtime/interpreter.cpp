// edgekd::Model: load (read, verify, fold, build ops, plan the arena, pack weights) and run.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <set>
#include <stdexcept>

#include "edgekd/cpu.h"
#include "edgekd/runtime.hpp"
#include "kernels/kernels.h"
#include "model/model_def.h"
#include "model/signatures.h"
#include "model/tflite_schema.h"
#include "runtime/model_bytes.h"
#include "runtime/float_folding.h"
#include "runtime/op.h"
#include "runtime/planner.h"
#include "runtime/resource_variables.h"
#include "runtime/shape_folding.h"
#include "runtime/thread_pool.h"
#include "runtime/unsupported_ops.h"

namespace edgekd {

struct Model::Impl {
  ModelBytes bytes;
  ModelDef def;
  std::vector<RtTensor> tensors;
  std::vector<std::unique_ptr<Op>> ops;
  std::vector<std::unique_ptr<Op>> regions;  // fused regions (they run members of ops)
  std::vector<const Op*> schedule;           // what run() runs: ops, with fused runs replaced by their region
  std::unique_ptr<ThreadPool> pool;
  AlignedBuffer arena;
  AlignedBuffer scratch;
  AlignedBuffer state;         // variable tensors: they live across inferences, outside the arena
  std::vector<int> variables;  // their tensor indices
  RunContext ctx;
  std::vector<TensorInfo> inputs, outputs;
  ModelInfo info;
  std::vector<SignatureInfo> signatures;
  std::vector<std::vector<int>> shape_signatures;

  void load(int num_threads, bool keep_all_tensors = false);
  void place_variables();
  void reset_state(bool resources = true);
  TensorInfo describe(int t) const;
};

namespace {

DType dtype_of(int type) {
  switch (type) {
    case tfl::kFloat32: return DType::kFloat32;
    case tfl::kInt32: return DType::kInt32;
    case tfl::kUInt8: return DType::kUInt8;
    case tfl::kInt64: return DType::kInt64;
    case tfl::kInt8: return DType::kInt8;
    case tfl::kInt16: return DType::kInt16;
    default: return DType::kOther;
  }
}

// Fused regions. An inference on several threads is a burst of parallel regions, one per op, and each
// costs a fork, a join and the slowest thread's lag. But after an op that can run by bands of output rows
// (a depthwise or 1x1 conv), the ops that read only the same rows of its output (1x1 convs, same-shape ADD)
// need no barrier: thread t can run its band of every op in turn. A MobileNetV2 block -- depthwise,
// projection, residual ADD, next expansion -- becomes one region, and each band stays in the cache of the
// core that computes it. Bands are the pool's own chunks of the head's rows, so every thread gets one.
// A region's tensors all live for the whole region (its ops run at once on different threads), so a region
// stops growing at kMaxRegionBytes of tensors: on large maps (MobileNetV2 1.0 at 224x224) the barriers
// cost little next to each op and the longer lifetimes cost cache (measured 1.02 at 2 threads unbounded).
constexpr int kMinBandRowsPerThread = 2;
constexpr int64_t kMaxRegionBytes = 256 * 1024;

struct RegionPlan {
  size_t begin, end;  // ops [begin, end)
  int rows;
};

std::vector<RegionPlan> plan_regions(const std::vector<std::unique_ptr<Op>>& ops,
                                     const std::vector<RtTensor>& tensors, int threads) {
  std::vector<RegionPlan> plans;
  if (threads < 2) return plans;
  std::vector<int> seen;
  int64_t bytes = 0;
  auto add_tensors = [&](const Op& op) {  // bytes of the region's tensors with op's added
    for (const std::vector<int>* list : {&op.inputs, &op.outputs})
      for (int t : *list)
        if (std::find(seen.begin(), seen.end(), t) == seen.end()) {
          seen.push_back(t);
          bytes += tensors[t].bytes;
        }
    return bytes;
  };
  for (size_t i = 0; i < ops.size();) {
    const int rows = ops[i]->band_rows();
    size_t j = i + 1;
    seen.clear();
    bytes = 0;
    if (rows >= kMinBandRowsPerThread * threads && add_tensors(*ops[i]) <= kMaxRegionBytes) {
      const int chunks = std::min(rows, threads);
      auto bands_fit = [&](const Op& op) {
        for (int c = 1; c < chunks; ++c) {
          int b, e;
          ThreadPool::chunk_bounds(rows, chunks, c, &b, &e);
          if (!op.band_may_start_at(b)) return false;
        }
        return true;
      };
      auto reads = [](const Op& op, int t) {
        return std::find(op.inputs.begin(), op.inputs.end(), t) != op.inputs.end();
      };
      if (bands_fit(*ops[i])) {
        // The scratch is shared by all ops (they run one at a time, except in a region): only the head may
        // use it, each band in its own slot.
        while (j < ops.size() && ops[j]->row_local() && ops[j]->band_rows() == rows &&
               ops[j]->scratch_bytes(threads) == 0 && reads(*ops[j], ops[j - 1]->outputs[0]) &&
               bands_fit(*ops[j]) && add_tensors(*ops[j]) <= kMaxRegionBytes)
          ++j;
      }
    }
    if (j - i >= 2) plans.push_back({i, j, rows});
    i = j;
  }
  return plans;
}

void init_tensors(const ModelDef& def, std::vector<RtTensor>& tensors) {
  tensors.resize(def.tensors.size());
  for (size_t i = 0; i < def.tensors.size(); ++i) {
    const TensorDef& d = def.tensors[i];
    RtTensor& t = tensors[i];
    t.name = d.name;
    t.type = d.type;
    t.shape.assign(d.shape.begin(), d.shape.end());
    t.elements = 1;
    for (int s : t.shape) t.elements *= s;
    t.bytes = t.elements * tensor_type_size(d.type);
    t.quant = &d.quant;
    if (d.quant.present()) {
      t.quantized = true;
      t.scale = d.quant.scale[0];
      t.zero_point = static_cast<int32_t>(d.quant.zero_point[0]);
    }
    const BufferDef& b = def.buffers[d.buffer];
    if (d.is_variable) {
      t.is_variable = true;
      t.init_data = b.size ? b.data : nullptr;
    } else if (b.size) {
      t.const_data = b.data;
    }
  }
}

// Builds every op that shape folding left, into `ops`. An op type without a kernel does not stop the loop:
// the indices of all such ops are returned, so that one error can name every op a model needs and the
// runtime lacks. Any other error is thrown, the first one, once no op lacks a kernel.
std::vector<int> build_ops(const ModelDef& def, std::vector<RtTensor>& tensors, const std::vector<bool>& folded,
                           Isa isa, std::vector<std::unique_ptr<Op>>& ops, std::string* missing_message) {
  BuildContext bctx(def, tensors, isa);
  std::vector<int> missing;
  std::exception_ptr first_error;
  for (size_t i = 0; i < def.operators.size(); ++i) {
    if (folded[i]) continue;
    bctx.set_op(&def.operators[i]);
    try {
      ops.push_back(build_op(bctx));
    } catch (const UnsupportedOpError& e) {
      if (missing.empty() && missing_message) *missing_message = e.what();
      missing.push_back(static_cast<int>(i));
    } catch (const std::invalid_argument&) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (missing.empty() && first_error) std::rethrow_exception(first_error);
  return missing;
}

class RegionOp : public Op {
 public:
  std::vector<const Op*> members;
  int rows = 0;
  void run(const RunContext& ctx) const override {
    // Two pointers captured: the pool's std::function holds them without allocating.
    ctx.pool->parallel_for(rows, [this, &ctx](int r0, int r1) {
      for (const Op* op : members) op->run_band(ctx, r0, r1);
    });
  }
  std::string family() const override { return "region"; }
  std::string kernel() const override {
    std::string k;
    for (const Op* op : members) k += (k.empty() ? "" : " + ") + op->kernel();
    return k;
  }
};

}  // namespace

TensorInfo Model::Impl::describe(int t) const {
  const RtTensor& x = tensors[t];
  TensorInfo i;
  i.name = x.name;
  i.index = t;
  i.tflite_type = x.type;
  i.dtype = dtype_of(x.type);
  i.shape = x.shape;
  if (static_cast<size_t>(t) < shape_signatures.size()) i.shape_signature = shape_signatures[t];
  i.bytes = static_cast<size_t>(x.bytes);
  i.is_constant = x.is_constant();
  i.is_variable = x.is_variable;
  if (x.quant && x.quant->present()) {
    i.scales = x.quant->scale;
    i.zero_points = x.quant->zero_point;
    i.quantized_dimension = x.quant->quantized_dimension;
  }
  return i;
}

void Model::Impl::load(int num_threads, bool keep_all_tensors) {
  const auto t0 = std::chrono::steady_clock::now();
  if (num_threads < 1 || num_threads > 256)
    throw std::invalid_argument("num_threads must be between 1 and 256, is " + std::to_string(num_threads));
  const Isa isa = select_isa_from_env();
  def = read_tflite(bytes.data(), bytes.size());
  verify_model(def);
  signatures = read_signature_defs(bytes.data(), bytes.size());
  shape_signatures = read_shape_signatures(bytes.data(), bytes.size());

  init_tensors(def, tensors);

  std::vector<bool> folded = fold_shape_ops(def, tensors);
  fold_float16_dequantize(def, tensors, folded);  // float16 weights
  const std::vector<bool> resolved = bind_resource_variables(bytes.data(), bytes.size(), def, tensors);
  for (size_t i = 0; i < folded.size(); ++i) folded[i] = folded[i] || resolved[i];
  info.num_folded_ops = static_cast<int>(std::count(folded.begin(), folded.end(), true));
  std::string first_missing;
  const std::vector<int> missing = build_ops(def, tensors, folded, isa, ops, &first_missing);
  if (missing.size() == 1) throw std::invalid_argument(first_missing);
  if (!missing.empty()) {
    std::string list;
    for (int i : missing) list += (list.empty() ? "" : ", ") + describe_op(def.operators[i]);
    throw std::invalid_argument(std::to_string(missing.size()) + " ops are not supported by edgekd's runtime: " +
                                list);
  }

  // Lifetimes in steps: model inputs live from step 0, outputs to the end; everything else from the op
  // that writes it to the last op that reads it. Ops of one fused region run at once on different threads,
  // so a tensor any of them touches lives across the whole region.
  const int steps = static_cast<int>(ops.size());
  const int nt = static_cast<int>(tensors.size());
  std::vector<int> step_first(steps), step_last(steps);
  for (int s = 0; s < steps; ++s) step_first[s] = step_last[s] = s;
  size_t next_op = 0;  // ops before it are in the schedule
  for (const RegionPlan& r : plan_regions(ops, tensors, num_threads)) {
    while (next_op < r.begin) schedule.push_back(ops[next_op++].get());
    auto region = std::make_unique<RegionOp>();
    region->rows = r.rows;
    region->name = "ops " + std::to_string(r.begin) + "-" + std::to_string(r.end - 1) + " (fused)";
    for (size_t s = r.begin; s < r.end; ++s) {
      region->members.push_back(ops[s].get());
      step_first[s] = static_cast<int>(r.begin);
      step_last[s] = static_cast<int>(r.end - 1);
    }
    info.num_fused_ops += static_cast<int>(r.end - r.begin);
    schedule.push_back(region.get());
    regions.push_back(std::move(region));
    next_op = r.end;
  }
  while (next_op < ops.size()) schedule.push_back(ops[next_op++].get());
  std::vector<int> first(nt, -1), last(nt, -1);
  for (int t : def.inputs) { first[t] = 0; last[t] = std::max(last[t], 0); }
  for (int s = 0; s < steps; ++s) {
    for (int t : ops[s]->inputs) last[t] = std::max(last[t], step_last[s]);
    for (int t : ops[s]->outputs) {
      if (first[t] < 0) first[t] = step_first[s];
      last[t] = std::max(last[t], step_last[s]);
    }
  }
  for (int t : def.outputs) last[t] = steps;
  if (keep_all_tensors)
    for (int t = 0; t < nt; ++t)
      if (first[t] >= 0) last[t] = steps;
  std::vector<ArenaRequest> req;
  std::vector<int> req_tensor;
  for (int t = 0; t < nt; ++t) {
    if (tensors[t].is_constant() || tensors[t].is_variable || first[t] < 0) continue;
    req.push_back({static_cast<size_t>(tensors[t].bytes), first[t], last[t]});
    req_tensor.push_back(t);
  }
  const ArenaPlan plan = plan_arena(req, 64);
  arena.resize(plan.total_bytes);

  ctx.ptrs.assign(nt, nullptr);
  for (int t = 0; t < nt; ++t)
    if (tensors[t].is_constant()) ctx.ptrs[t] = const_cast<uint8_t*>(tensors[t].const_data);
  for (size_t r = 0; r < req.size(); ++r) ctx.ptrs[req_tensor[r]] = arena.data() + plan.offsets[r];
  place_variables();

  size_t scratch_bytes = 0;
  for (const auto& op : ops) scratch_bytes = std::max(scratch_bytes, op->scratch_bytes(num_threads));
  scratch.resize(scratch_bytes);
  if (num_threads > 1) pool = std::make_unique<ThreadPool>(num_threads);
  ctx.pool = pool.get();
  ctx.scratch = scratch_bytes ? scratch.data() : nullptr;
  ctx.scratch_bytes = scratch_bytes;
  ctx.num_threads = num_threads;

  for (int t : def.inputs) inputs.push_back(describe(t));
  for (int t : def.outputs) outputs.push_back(describe(t));
  // The int8 parameters at float edges, so callers can feed / read int8 directly.
  for (TensorInfo& in : inputs) {
    if (in.dtype != DType::kFloat32) continue;
    for (const auto& op : ops)
      if (op->family() == "quantize" && op->inputs[0] == in.index) {
        const RtTensor& q = tensors[op->outputs[0]];
        if (q.type != tfl::kInt8) continue;
        in.has_edge_quant = true; in.edge_scale = q.scale; in.edge_zero_point = q.zero_point;
        break;
      }
  }
  for (TensorInfo& out : outputs) {
    if (out.dtype != DType::kFloat32) continue;
    for (const auto& op : ops)
      if (op->family() == "quantize" && op->outputs[0] == out.index && tensors[op->inputs[0]].type == tfl::kInt8) {
        const RtTensor& q = tensors[op->inputs[0]];
        out.has_edge_quant = true; out.edge_scale = q.scale; out.edge_zero_point = q.zero_point;
        break;
      }
  }

  info.path = isa_name(isa);
  std::map<std::string, std::set<std::string>> kernels;
  for (const auto& op : ops) kernels[op->family()].insert(op->kernel());
  for (const auto& kv : kernels) info.kernels[kv.first].assign(kv.second.begin(), kv.second.end());
  info.arena_bytes = plan.total_bytes;
  info.scratch_bytes = scratch_bytes;
  info.model_bytes = bytes.size();
  info.num_ops = steps;
  info.num_threads = num_threads;
  info.num_fused_regions = static_cast<int>(regions.size());
  info.num_variables = static_cast<int>(variables.size());
  info.state_bytes = state.size();
  info.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Variable tensors get 64-byte aligned slots of their own in `state`, which no inference reuses.
void Model::Impl::place_variables() {
  std::vector<size_t> offsets;
  size_t total = 0;
  for (size_t t = 0; t < tensors.size(); ++t) {
    if (!tensors[t].is_variable) continue;
    variables.push_back(static_cast<int>(t));
    offsets.push_back(total);
    total += (static_cast<size_t>(tensors[t].bytes) + 63) / 64 * 64;
  }
  state.resize(total);
  for (size_t v = 0; v < variables.size(); ++v) ctx.ptrs[variables[v]] = state.data() + offsets[v];
  reset_state();
}

// LiteRT fills a variable with its int8 zero point (other types: 0); edgekd also starts one that has a buffer
// in the file from that buffer (LiteRT refuses such files), and a resource variable from the constant its
// CALL_ONCE init subgraph assigns (LiteRT's reset_all_variables leaves resource variables alone).
void Model::Impl::reset_state(bool resources) {
  for (int t : variables) {
    const RtTensor& x = tensors[t];
    if (x.is_resource && !resources) continue;
    if (x.init_data) std::memcpy(ctx.ptrs[t], x.init_data, static_cast<size_t>(x.bytes));
    else std::memset(ctx.ptrs[t], x.type == tfl::kInt8 ? x.zero_point : 0, static_cast<size_t>(x.bytes));
  }
}

std::vector<int> unsupported_ops(const uint8_t* data, size_t size) {
  const ModelDef def = read_tflite(data, size);
  verify_model(def);
  std::vector<RtTensor> tensors;
  init_tensors(def, tensors);
  std::vector<bool> folded = fold_shape_ops(def, tensors);
  fold_float16_dequantize(def, tensors, folded);  // float16 weights
  const std::vector<bool> resolved = bind_resource_variables(data, size, def, tensors);
  for (size_t i = 0; i < folded.size(); ++i) folded[i] = folded[i] || resolved[i];
  std::vector<std::unique_ptr<Op>> ops;
  return build_ops(def, tensors, folded, select_isa_from_env(), ops, nullptr);
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::from_file(const std::string& file, int num_threads, bool keep_all_tensors) {
  const auto t0 = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  impl->bytes = ModelBytes::map_file(file);
  try {
    impl->load(num_threads, keep_all_tensors);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(file + ": " + e.what());
  }
  impl->info.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

std::unique_ptr<Model> Model::from_bytes(const void* data, size_t size, int num_threads, bool keep_all_tensors) {
  const auto t0 = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  impl->bytes = ModelBytes::copy_of(data, size);
  impl->load(num_threads, keep_all_tensors);
  impl->info.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

const std::vector<TensorInfo>& Model::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Model::outputs() const { return impl_->outputs; }
const ModelInfo& Model::info() const { return impl_->info; }
const std::vector<SignatureInfo>& Model::signatures() const { return impl_->signatures; }
size_t Model::num_tensors() const { return impl_->def.tensors.size(); }  // the file's (not resource variables)

TensorInfo Model::tensor_info(size_t index) const {
  if (index >= num_tensors())
    throw std::invalid_argument("tensor index " + std::to_string(index) + " out of range (the model has " +
                                std::to_string(impl_->tensors.size()) + " tensors)");
  return impl_->describe(static_cast<int>(index));
}

const void* Model::tensor_data(size_t index) const {
  if (index >= num_tensors())
    throw std::invalid_argument("tensor index " + std::to_string(index) + " out of range (the model has " +
                                std::to_string(impl_->tensors.size()) + " tensors)");
  return impl_->ctx.ptrs[index];
}

void* Model::input_data(size_t i) {
  if (i >= impl_->inputs.size()) throw std::invalid_argument("input index " + std::to_string(i) + " out of range");
  return impl_->ctx.ptrs[impl_->inputs[i].index];
}

const void* Model::output_data(size_t i) const {
  if (i >= impl_->outputs.size()) throw std::invalid_argument("output index " + std::to_string(i) + " out of range");
  return impl_->ctx.ptrs[impl_->outputs[i].index];
}

void Model::set_input(size_t i, const void* data, size_t bytes) {
  void* dst = input_data(i);
  const TensorInfo& t = impl_->inputs[i];
  if (bytes != t.bytes)
    throw std::invalid_argument("input " + std::to_string(i) + " '" + t.name + "' takes " + std::to_string(t.bytes) +
                                " bytes, got " + std::to_string(bytes));
  if (bytes) std::memcpy(dst, data, bytes);
}

void Model::get_output(size_t i, void* data, size_t bytes) const {
  const void* src = output_data(i);
  const TensorInfo& t = impl_->outputs[i];
  if (bytes != t.bytes)
    throw std::invalid_argument("output " + std::to_string(i) + " '" + t.name + "' holds " + std::to_string(t.bytes) +
                                " bytes, got a buffer of " + std::to_string(bytes));
  if (bytes) std::memcpy(data, src, bytes);
}

void Model::run() {
  for (const Op* op : impl_->schedule) op->run(impl_->ctx);
}

void Model::reset_state(bool resource_variables) { impl_->reset_state(resource_variables); }

std::vector<OpProfile> Model::profile(int runs, bool per_op) {
  if (runs < 1) throw std::invalid_argument("profile: runs must be at least 1");
  std::vector<const Op*> steps;
  if (per_op) {
    for (const auto& op : impl_->ops) steps.push_back(op.get());
  } else {
    steps = impl_->schedule;
  }
  const size_t n = steps.size();
  std::vector<std::vector<double>> times(n, std::vector<double>(static_cast<size_t>(runs)));
  for (int r = 0; r < runs; ++r) {
    for (size_t i = 0; i < n; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      steps[i]->run(impl_->ctx);
      times[i][static_cast<size_t>(r)] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  std::vector<OpProfile> out(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<double>& t = times[i];
    std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
    out[i] = {steps[i]->name, steps[i]->kernel(), t[t.size() / 2]};
  }
  return out;
}

}  // namespace edgekd
