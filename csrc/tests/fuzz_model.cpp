// libFuzzer target for the model reader, verifier and loader (built with -DEDGEKD_FUZZ=ON and clang; see
// scripts/fuzz_model.sh). Any input must end in success or std::invalid_argument — never a crash, a
// sanitizer report, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "edgekd/runtime.hpp"
#include "model/model_def.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    edgekd::ModelDef def = edgekd::read_tflite(data, size);
    edgekd::verify_model(def);
    // Bound what a fuzzed file may make the loader allocate or compute (real models are not at stake here).
    int64_t activation_bytes = 0;
    for (const edgekd::TensorDef& t : def.tensors) {
      int64_t n = 1;
      for (int32_t d : t.shape) n *= d;
      activation_bytes += n;
    }
    if (activation_bytes > (int64_t(1) << 22)) return 0;
    auto model = edgekd::Model::from_bytes(data, size, 1);
    if (model->info().arena_bytes <= (size_t(1) << 20)) model->run();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
