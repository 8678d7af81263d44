// The C API over edgekd::Model: exceptions become status codes and a per-thread message.
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "edgekd/edgekd.h"
#include "edgekd/runtime.hpp"

struct edgekd_model {
  std::unique_ptr<edgekd::Model> model;
};

namespace {

thread_local std::string g_last_error;

edgekd_status fail(edgekd_status s, const std::string& msg) {
  g_last_error = msg;
  return s;
}

template <typename F>
edgekd_status guarded(F&& f) {
  try {
    g_last_error.clear();
    f();
    return EDGEKD_OK;
  } catch (const std::invalid_argument& e) {
    return fail(EDGEKD_INVALID_ARGUMENT, e.what());
  } catch (const std::out_of_range& e) {
    return fail(EDGEKD_INVALID_ARGUMENT, e.what());
  } catch (const std::bad_alloc&) {
    return fail(EDGEKD_INTERNAL, "out of memory");
  } catch (const std::runtime_error& e) {
    return fail(EDGEKD_UNAVAILABLE, e.what());
  } catch (const std::exception& e) {
    return fail(EDGEKD_INTERNAL, e.what());
  } catch (...) {
    return fail(EDGEKD_INTERNAL, "unknown error");
  }
}

void fill_info(const edgekd::TensorInfo& t, edgekd_tensor_info* out) {
  out->name = t.name.c_str();
  out->index = t.index;
  out->dtype = t.tflite_type;
  out->rank = static_cast<int>(t.shape.size());
  for (int d = 0; d < EDGEKD_MAX_RANK; ++d) out->dims[d] = d < out->rank ? t.shape[d] : 0;
  out->bytes = t.bytes;
  out->quantized = t.scales.empty() ? 0 : 1;
  out->scale = t.scales.empty() ? 0.0f : t.scales[0];
  out->zero_point = t.zero_points.empty() ? 0 : static_cast<int32_t>(t.zero_points[0]);
}

}  // namespace

extern "C" {

edgekd_status edgekd_model_load_file(const char* path, int num_threads, edgekd_model** out) {
  if (!out) return fail(EDGEKD_INVALID_ARGUMENT, "out must not be NULL");
  *out = nullptr;
  if (!path) return fail(EDGEKD_INVALID_ARGUMENT, "path must not be NULL");
  return guarded([&] {
    auto m = std::make_unique<edgekd_model>();
    m->model = edgekd::Model::from_file(path, num_threads);
    *out = m.release();
  });
}

edgekd_status edgekd_model_load_bytes(const void* data, size_t size, int num_threads, edgekd_model** out) {
  if (!out) return fail(EDGEKD_INVALID_ARGUMENT, "out must not be NULL");
  *out = nullptr;
  if (!data && size) return fail(EDGEKD_INVALID_ARGUMENT, "data must not be NULL");
  return guarded([&] {
    auto m = std::make_unique<edgekd_model>();
    m->model = edgekd::Model::from_bytes(data ? data : "", size, num_threads);
    *out = m.release();
  });
}

void edgekd_model_free(edgekd_model* model) { delete model; }

int edgekd_model_num_inputs(const edgekd_model* model) {
  return model ? static_cast<int>(model->model->inputs().size()) : 0;
}
int edgekd_model_num_outputs(const edgekd_model* model) {
  return model ? static_cast<int>(model->model->outputs().size()) : 0;
}

edgekd_status edgekd_model_input_info(const edgekd_model* model, int i, edgekd_tensor_info* out) {
  if (!model || !out) return fail(EDGEKD_INVALID_ARGUMENT, "model and out must not be NULL");
  if (i < 0 || i >= edgekd_model_num_inputs(model))
    return fail(EDGEKD_INVALID_ARGUMENT, "input index " + std::to_string(i) + " out of range");
  fill_info(model->model->inputs()[i], out);
  return EDGEKD_OK;
}

edgekd_status edgekd_model_output_info(const edgekd_model* model, int i, edgekd_tensor_info* out) {
  if (!model || !out) return fail(EDGEKD_INVALID_ARGUMENT, "model and out must not be NULL");
  if (i < 0 || i >= edgekd_model_num_outputs(model))
    return fail(EDGEKD_INVALID_ARGUMENT, "output index " + std::to_string(i) + " out of range");
  fill_info(model->model->outputs()[i], out);
  return EDGEKD_OK;
}

edgekd_status edgekd_model_set_input(edgekd_model* model, int i, const void* data, size_t bytes) {
  if (!model || (!data && bytes)) return fail(EDGEKD_INVALID_ARGUMENT, "model and data must not be NULL");
  if (i < 0) return fail(EDGEKD_INVALID_ARGUMENT, "input index " + std::to_string(i) + " out of range");
  return guarded([&] { model->model->set_input(static_cast<size_t>(i), data, bytes); });
}

edgekd_status edgekd_model_run(edgekd_model* model) {
  if (!model) return fail(EDGEKD_INVALID_ARGUMENT, "model must not be NULL");
  return guarded([&] { model->model->run(); });
}

edgekd_status edgekd_model_reset_state(edgekd_model* model) {
  if (!model) return fail(EDGEKD_INVALID_ARGUMENT, "model must not be NULL");
  return guarded([&] { model->model->reset_state(); });
}

edgekd_status edgekd_model_get_output(const edgekd_model* model, int i, void* data, size_t bytes) {
  if (!model || (!data && bytes)) return fail(EDGEKD_INVALID_ARGUMENT, "model and data must not be NULL");
  if (i < 0) return fail(EDGEKD_INVALID_ARGUMENT, "output index " + std::to_string(i) + " out of range");
  return guarded([&] { model->model->get_output(static_cast<size_t>(i), data, bytes); });
}

const char* edgekd_model_path(const edgekd_model* model) { return model ? model->model->info().path.c_str() : ""; }
size_t edgekd_model_arena_bytes(const edgekd_model* model) { return model ? model->model->info().arena_bytes : 0; }
double edgekd_model_load_ms(const edgekd_model* model) { return model ? model->model->info().load_ms : 0.0; }

const char* edgekd_last_error(void) { return g_last_error.c_str(); }
const char* edgekd_version(void) { return EDGEKD_VERSION; }

}  // extern "C"
