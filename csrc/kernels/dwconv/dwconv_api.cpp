// Depthwise conv entry points: validation, TFLite padding, pack with output stage, threaded run.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/bordered_image.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/parallel.h"

namespace edgekd {
namespace {

// Padded inputs whose bordered image (PackedDwConv::bordered) is at most this size are copied into it
// first: the border pixels' tap setup and per-pixel path cost more than the copy (on a 6x6 map 20 of 36
// pixels are border pixels, on 3x3 all but one).
constexpr size_t kMaxBorderedBytes = 64 * 1024;

// Bounds keep every index product the kernels form (oy * stride, ky * dilation, ...) inside int.
constexpr int kMaxSpatial = 1 << 15;
constexpr int64_t kMaxChannels = 1 << 24;

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("depthwise_conv_2d: " + what);
}

void check_range(const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    bad(std::string(field) + " = " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
        std::to_string(hi) + "]");
}

}  // namespace

void validate_dwconv_params(const DwConvParams& p) {
  check_range("batch", p.batch, 1, kMaxSpatial);
  check_range("in_h", p.in_h, 1, kMaxSpatial);
  check_range("in_w", p.in_w, 1, kMaxSpatial);
  check_range("in_c", p.in_c, 1, kMaxChannels);
  check_range("depth_multiplier", p.depth_multiplier, 1, kMaxChannels);
  check_range("in_c * depth_multiplier", static_cast<int64_t>(p.in_c) * p.depth_multiplier, 1, kMaxChannels);
  check_range("out_h", p.out_h, 1, kMaxSpatial);
  check_range("out_w", p.out_w, 1, kMaxSpatial);
  check_range("kh", p.kh, 1, kMaxSpatial);
  check_range("kw", p.kw, 1, kMaxSpatial);
  check_range("stride_h", p.stride_h, 1, kMaxSpatial);
  check_range("stride_w", p.stride_w, 1, kMaxSpatial);
  check_range("dilation_h", p.dilation_h, 1, kMaxSpatial);
  check_range("dilation_w", p.dilation_w, 1, kMaxSpatial);
  check_range("pad_top", p.pad_top, 0, kMaxSpatial);
  check_range("pad_left", p.pad_left, 0, kMaxSpatial);
  check_range("input_zero_point", p.input_zero_point, -128, 127);
}

void validate_dwconv_output_stage(const OutputStage& out, int out_c) {
  if (static_cast<int64_t>(out.multiplier.size()) != out_c)
    bad("output multiplier has " + std::to_string(out.multiplier.size()) + " entries, expected out_c = " +
        std::to_string(out_c));
  if (static_cast<int64_t>(out.shift.size()) != out_c)
    bad("output shift has " + std::to_string(out.shift.size()) + " entries, expected out_c = " +
        std::to_string(out_c));
  for (int c = 0; c < out_c; ++c)
    if (out.shift[c] < -31 || out.shift[c] > 30)
      bad("output shift[" + std::to_string(c) + "] = " + std::to_string(out.shift[c]) +
          " is outside [-31, 30]");
  check_range("output_zero_point", out.output_zero_point, -128, 127);
  check_range("act_min", out.act_min, -128, 127);
  check_range("act_max", out.act_max, out.act_min, 127);
}

void compute_dwconv_padding(DwConvParams* p, Padding padding) {
  check_range("in_h", p->in_h, 1, kMaxSpatial);
  check_range("in_w", p->in_w, 1, kMaxSpatial);
  check_range("kh", p->kh, 1, kMaxSpatial);
  check_range("kw", p->kw, 1, kMaxSpatial);
  check_range("stride_h", p->stride_h, 1, kMaxSpatial);
  check_range("stride_w", p->stride_w, 1, kMaxSpatial);
  check_range("dilation_h", p->dilation_h, 1, kMaxSpatial);
  check_range("dilation_w", p->dilation_w, 1, kMaxSpatial);
  // TFLite: effective filter (k-1)*d+1; SAME out = ceil(in/s), VALID out = ceil((in-eff+1)/s);
  // total padding max((out-1)*s + eff - in, 0), the smaller half before.
  auto one_dim = [&](const char* name, int in, int k, int s, int d, int* out, int* pad) {
    const int64_t eff = static_cast<int64_t>(k - 1) * d + 1;
    const int64_t o = padding == Padding::kSame ? (in + s - 1) / s : (in - eff + s) / s;
    if (o < 1)
      bad(std::string("VALID padding leaves no output along ") + name + " (input " + std::to_string(in) +
          ", effective kernel " + std::to_string(eff) + ")");
    const int64_t total = (o - 1) * s + eff - in;
    *out = static_cast<int>(o);
    *pad = static_cast<int>(total > 0 ? total / 2 : 0);
  };
  one_dim("height", p->in_h, p->kh, p->stride_h, p->dilation_h, &p->out_h, &p->pad_top);
  one_dim("width", p->in_w, p->kw, p->stride_w, p->dilation_w, &p->out_w, &p->pad_left);
}

PackedDwConv pack_dwconv(const DwConvKernel& kernel, const DwConvParams& params, const int8_t* weights,
                         const int32_t* bias, const OutputStage& out) {
  validate_dwconv_params(params);
  validate_dwconv_output_stage(out, params.out_c());
  if (weights == nullptr) bad("weights are null");
  PackedDwConv packed;
  kernel.pack(params, weights, bias, &packed);
  packed.out = out;
  packed.general_stage = false;
  for (int i = 0; i < params.out_c(); ++i)
    if (out.shift[i] >= 0 || out.multiplier[i] == INT32_MIN) packed.general_stage = true;
  DwConvParams bordered;
  int64_t bytes = 0;
  if (kernel.isa != Isa::kRef && bordered_geometry(params, &bordered, &bytes) &&
      bytes <= int64_t{kMaxBorderedBytes}) {
    packed.bordered = bordered;
    packed.bordered_bytes = static_cast<size_t>(bytes);
  }
  return packed;
}

namespace {

// Bordered rows per output row: the stride, plus (once per chunk of rows) the halo the window reaches past
// it. A chunk of output rows [begin, end) copies its rows to slot begin * (stride + halo): chunks never
// overlap, so threads need no barrier between copying and computing.
int bordered_rows_per_output_row(const DwConvParams& p) {
  const int eff = (p.kh - 1) * p.dilation_h + 1;
  return p.stride_h + (eff > p.stride_h ? eff - p.stride_h : 0);
}

size_t bordered_row_bytes(const PackedDwConv& packed) {
  return static_cast<size_t>(packed.bordered.in_w) * packed.params.in_c;
}

}  // namespace

size_t dwconv_scratch_bytes(const PackedDwConv& packed) {
  if (!packed.bordered_bytes) return 0;
  return static_cast<size_t>(packed.params.out_h) * bordered_rows_per_output_row(packed.params) *
         bordered_row_bytes(packed);
}

namespace {

void check_dwconv_call(const DwConvKernel& kernel, const PackedDwConv& packed, const int8_t* input, int8_t* output) {
  if (packed.isa != kernel.isa)
    bad(std::string("weights were packed for the '") + isa_name(packed.isa) + "' path, not for kernel '" +
        kernel.name + "'");
  // The output stage was validated by pack_dwconv (as run_gemm relies on pack_gemm); checking its out_c
  // entries again here cost 5% of a small layer's run.
  if (input == nullptr || output == nullptr) bad("input or output buffer is null");
}

// Output rows [begin, end) of every image; `scratch` holds dwconv_scratch_bytes(packed) bytes when the
// kernel runs on a bordered copy. Each band copies the bordered rows its output rows read (halo included)
// into its own slot (at its first row) and runs the kernel on them as a conv of (end - begin) output rows
// without padding, one image at a time.
void dwconv_band(const DwConvKernel& kernel, const PackedDwConv& packed, const int8_t* input, int8_t* output,
                 int begin, int end, void* scratch) {
  const DwConvParams& p = packed.params;
  if (!packed.bordered_bytes) {
    kernel.run(packed, p, input, output, begin, end);
    return;
  }
  const size_t row_bytes = bordered_row_bytes(packed);
  int8_t* slot =
      static_cast<int8_t*>(scratch) + static_cast<size_t>(begin) * bordered_rows_per_output_row(p) * row_bytes;
  DwConvParams g = packed.bordered;
  g.batch = 1;
  g.out_h = end - begin;
  g.in_h = (g.out_h - 1) * p.stride_h + (p.kh - 1) * p.dilation_h + 1;
  const size_t in_image = static_cast<size_t>(p.in_h) * p.in_w * p.in_c;
  const size_t out_image = static_cast<size_t>(p.out_h) * p.out_w * p.out_c();
  for (int b = 0; b < p.batch; ++b) {
    copy_bordered_rows(input + b * in_image, p.in_h, p.in_w, static_cast<size_t>(p.in_c),
                       p.pad_top - begin * p.stride_h, p.pad_left, g.in_h, g.in_w,
                       static_cast<int8_t>(p.input_zero_point), slot, 0, g.in_h);
    int8_t* out = output + b * out_image + static_cast<size_t>(begin) * p.out_w * p.out_c();
    kernel.run(packed, g, slot, out, 0, g.out_h);
  }
}

// The caller's scratch, or `own` sized to what the bordered copy needs.
void* dwconv_scratch(const PackedDwConv& packed, void* scratch, size_t scratch_bytes, AlignedBuffer* own) {
  if (!packed.bordered_bytes) return scratch;
  const size_t need = dwconv_scratch_bytes(packed);
  if (!scratch) {
    own->resize(need);
    return own->data();
  }
  if (scratch_bytes < need)
    bad("scratch of " + std::to_string(scratch_bytes) + " bytes is smaller than the " + std::to_string(need) +
        " bytes needed");
  return scratch;
}

}  // namespace

void run_dwconv(const DwConvKernel& kernel, const PackedDwConv& packed, const int8_t* input, int8_t* output,
                ParallelFor* pool, void* scratch, size_t scratch_bytes) {
  check_dwconv_call(kernel, packed, input, output);
  AlignedBuffer own;
  scratch = dwconv_scratch(packed, scratch, scratch_bytes, &own);
  const int rows = packed.params.out_h;
  auto chunk = [&](int begin, int end) { dwconv_band(kernel, packed, input, output, begin, end, scratch); };
  if (pool == nullptr || pool->num_threads() == 1) {
    chunk(0, rows);
  } else {
    pool->parallel_for(rows, [&chunk](int begin, int end) { chunk(begin, end); });  // one capture: no allocation
  }
}

void run_dwconv_rows(const DwConvKernel& kernel, const PackedDwConv& packed, const int8_t* input, int8_t* output,
                     int row_begin, int row_end, void* scratch, size_t scratch_bytes) {
  check_dwconv_call(kernel, packed, input, output);
  if (row_begin < 0 || row_end > packed.params.out_h || row_begin >= row_end)
    bad("output rows [" + std::to_string(row_begin) + ", " + std::to_string(row_end) + ") are not inside [0, " +
        std::to_string(packed.params.out_h) + ")");
  AlignedBuffer own;
  dwconv_band(kernel, packed, input, output, row_begin, row_end, dwconv_scratch(packed, scratch, scratch_bytes, &own));
}

}  // namespace edgekd
