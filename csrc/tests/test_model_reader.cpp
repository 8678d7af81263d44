// The TFLite reader and verifier on valid, malformed, truncated and hostile bytes: every failure is a
// std::invalid_argument naming the field; nothing crashes or hangs (run under ASan/UBSan by
// scripts/sanitize_tests.sh and fuzzed by fuzz_model.cpp).
#include <cstring>
#include <stdexcept>

#include "model/model_def.h"
#include "model/tflite_schema.h"
#include "runtime_test_models.h"
#include "testing.h"

using namespace edgekd_test;

namespace {

// Returns the error message, or "" when the bytes parse and verify.
std::string read_error(const std::vector<uint8_t>& b) {
  try {
    edgekd::ModelDef m = edgekd::read_tflite(b.data(), b.size());
    edgekd::verify_model(m);
    return "";
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(reads_a_valid_model) {
  const TModel src = tiny_mobilenet(0, 12, 10, 3, true);
  const auto bytes = write_model(src);
  const edgekd::ModelDef m = edgekd::read_tflite(bytes.data(), bytes.size());
  edgekd::verify_model(m);
  EXPECT_TRUE(m.tensors.size() == src.tensors.size(), "tensors " << m.tensors.size());
  EXPECT_TRUE(m.operators.size() == src.ops.size(), "operators " << m.operators.size());
  EXPECT_TRUE(m.operators[0].builtin_code == edgekd::tfl::kConv2D, "op 0 code " << m.operators[0].builtin_code);
  EXPECT_TRUE(m.operators[0].options.stride_w == 2 && m.operators[0].options.activation == 3, "conv options");
  EXPECT_TRUE(m.operators[1].options.depth_multiplier == 1, "depthwise options");
  const edgekd::TensorDef& dw = m.tensors[m.operators[1].inputs[1]];
  EXPECT_TRUE(dw.quant.quantized_dimension == 3 && dw.quant.scale.size() == src.tensors[m.operators[1].inputs[1]].scale.size(),
              "per-channel quantization");
  EXPECT_TRUE(m.tensors[0].name == "input" && m.tensors[0].shape == std::vector<int32_t>({1, 12, 10, 3}), "tensor 0");
  const edgekd::BufferDef& b = m.buffers[m.tensors[1].buffer];
  EXPECT_TRUE(b.size == src.tensors[1].data.size() && std::memcmp(b.data, src.tensors[1].data.data(), b.size) == 0,
              "constant bytes");
}

TEST(deprecated_codes_reversed_codes_and_external_buffers) {
  TModel src = tiny_mobilenet(1);
  for (int v = 0; v < 3; ++v) {
    TModel m = src;
    m.deprecated_codes_only = v == 0;
    m.reverse_opcodes = v == 1;
    m.external_buffers = v == 2;
    const auto bytes = write_model(m);
    const edgekd::ModelDef d = edgekd::read_tflite(bytes.data(), bytes.size());
    edgekd::verify_model(d);
    for (size_t i = 0; i < d.operators.size(); ++i)
      EXPECT_TRUE(d.operators[i].builtin_code == src.ops[i].code, "variant " << v << " op " << i);
    const edgekd::BufferDef& b = d.buffers[d.tensors[1].buffer];
    EXPECT_TRUE(b.size == src.tensors[1].data.size() && std::memcmp(b.data, src.tensors[1].data.data(), b.size) == 0,
                "variant " << v << " buffer");
  }
}

TEST(large_opcodes_beyond_the_deprecated_byte) {
  // HARD_SWISH (117) and QUANTIZE (114) fit the byte; a code above 127 is read from builtin_code.
  TModel m;
  const int in = m.add_tensor(act("x", {1, 4}, 0.1f, 0));
  const int out = m.add_tensor(act("y", {1, 4}, 0.1f, 0));
  m.ops.push_back({200, {in}, {out}, {}, 0});
  m.inputs = {in};
  m.outputs = {out};
  const auto bytes = write_model(m);
  const edgekd::ModelDef d = edgekd::read_tflite(bytes.data(), bytes.size());
  EXPECT_TRUE(d.operators[0].builtin_code == 200, "code " << d.operators[0].builtin_code);
}

TEST(truncated_at_every_length) {
  const auto bytes = write_model(tiny_mobilenet(2));
  int accepted = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> t(bytes.begin(), bytes.begin() + static_cast<long>(n));
    if (read_error(t).empty()) ++accepted;
  }
  EXPECT_TRUE(accepted == 0, accepted << " truncated files were accepted");
}

TEST(wrong_magic_and_tiny_files) {
  auto bytes = write_model(tiny_mobilenet(3));
  bytes[5] = 'X';
  EXPECT_TRUE(contains(read_error(bytes), "TFL3"), read_error(bytes));
  EXPECT_TRUE(contains(read_error({}), "too small"), read_error({}));
  EXPECT_TRUE(contains(read_error({0, 0, 0, 0, 'T', 'F', 'L'}), "too small"), "7 bytes");
}

TEST(random_bytes_and_bit_flips) {
  Rng r(11);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> b(static_cast<size_t>(r.i(9, 600)));
    for (auto& x : b) x = static_cast<uint8_t>(r.i(0, 255));
    if (i % 2) std::memcpy(b.data() + 4, "TFL3", 4);
    if (i % 4 == 1) { const uint32_t root = static_cast<uint32_t>(r.i(8, static_cast<int>(b.size()) - 1)); std::memcpy(b.data(), &root, 4); }
    (void)read_error(b);  // must not crash; any result is fine
  }
  const auto good = write_model(tiny_mobilenet(4));
  for (int i = 0; i < 3000; ++i) {
    auto b = good;
    for (int k = r.i(1, 4); k > 0; --k) b[static_cast<size_t>(r.i(0, static_cast<int>(b.size()) - 1))] ^= static_cast<uint8_t>(1 << r.i(0, 7));
    (void)read_error(b);
  }
  EXPECT_TRUE(true, "");
}

TEST(huge_counts_and_offsets) {
  const auto good = write_model(tiny_mobilenet(5));
  int rejected = 0, tried = 0;
  // Every 4-byte word patched to a huge value: no crash, and no allocation the file cannot back.
  for (size_t p = 0; p + 4 <= good.size(); p += 4) {
    for (uint32_t v : {0x7FFFFFFFu, 0xFFFFFFFFu, 0x10000000u}) {
      auto b = good;
      std::memcpy(b.data() + p, &v, 4);
      ++tried;
      if (!read_error(b).empty()) ++rejected;
    }
  }
  EXPECT_TRUE(rejected > tried / 4, rejected << " of " << tried << " rejected");
}

TEST(out_of_range_indices_name_the_field) {
  TModel m = tiny_mobilenet(6);
  m.ops[2].inputs[0] = 999;
  std::string e = read_error(write_model(m));
  EXPECT_TRUE(contains(e, "op 2 (CONV_2D)") && contains(e, "999"), e);
  m = tiny_mobilenet(6);
  m.outputs = {-3};
  e = read_error(write_model(m));
  EXPECT_TRUE(contains(e, "subgraph output 0") && contains(e, "out of range"), e);
  m = tiny_mobilenet(6);
  m.tensors[1].scale.push_back(0.1f);  // scale count no longer matches the channel dimension
  m.tensors[1].zero_point.push_back(0);
  e = read_error(write_model(m));
  EXPECT_TRUE(contains(e, "conv1/w") && contains(e, "per-channel scales"), e);
  m = tiny_mobilenet(6);
  m.tensors[1].data.pop_back();
  e = read_error(write_model(m));
  EXPECT_TRUE(contains(e, "conv1/w") && contains(e, "bytes"), e);
  m = tiny_mobilenet(6);
  m.tensors[0].shape[1] = -4;
  e = read_error(write_model(m));
  EXPECT_TRUE(contains(e, "negative"), e);
  m = tiny_mobilenet(6);
  std::swap(m.ops[0], m.ops[1]);  // reads a tensor before it is produced
  e = read_error(write_model(m));
  EXPECT_TRUE(contains(e, "before any op produces it"), e);
}

EDGEKD_TEST_MAIN()
