// The reference depthwise conv: the definition of the arithmetic. Accumulation as TFLite's
// DepthwiseConvPerChannel (taps outside the input are skipped, the same as reading the input zero point);
// requantization as LiteRT's builtin depthwise kernel actually runs it (kLiteRtRequantGroup).
#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_internal.h"

namespace edgekd {
namespace dwconv {
namespace {

// Requantization of output channel `oc` as LiteRT's depthwise does it (see kLiteRtRequantGroup).
int8_t requant_channel(const Requant& rq, int32_t acc, int oc, int half_up_end) {
  if (oc >= half_up_end) return rq.apply(acc, oc);
  const int32_t shift = rq.shf(oc);
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t x = srdhm(static_cast<int32_t>(static_cast<uint32_t>(acc) << left), rq.mult(oc));
  // vrshl: add 2^(right-1), shift arithmetically; computed in 64 bits so the add cannot overflow.
  const int32_t r =
      right == 0 ? x : static_cast<int32_t>((static_cast<int64_t>(x) + (int64_t{1} << (right - 1))) >> right);
  return clamp_to_int8(wrap_add(r, rq.output_zero_point), rq.act_min, rq.act_max);
}

}  // namespace

void run_reference(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output,
                   int oh_begin, int oh_end) {
  const DwConvParams s = g;  // a local copy: the int8 output stores cannot alias it
  const int8_t* w = reinterpret_cast<const int8_t*>(p.weights.data());
  const int32_t* bias = p.bias.data();
  const Requant rq = p.out.requant();
  const int out_c = s.out_c();
  const int half_up_end = out_c / kLiteRtRequantGroup * kLiteRtRequantGroup;
  for (int b = 0; b < s.batch; ++b) {
    for (int oy = oh_begin; oy < oh_end; ++oy) {
      for (int ox = 0; ox < s.out_w; ++ox) {
        const int iy0 = oy * s.stride_h - s.pad_top;
        const int ix0 = ox * s.stride_w - s.pad_left;
        int8_t* out = output + ((static_cast<size_t>(b) * s.out_h + oy) * s.out_w + ox) * out_c;
        for (int ic = 0; ic < s.in_c; ++ic) {
          for (int m = 0; m < s.depth_multiplier; ++m) {
            const int oc = ic * s.depth_multiplier + m;
            int32_t acc = 0;
            for (int ky = 0; ky < s.kh; ++ky) {
              const int iy = iy0 + ky * s.dilation_h;
              if (iy < 0 || iy >= s.in_h) continue;
              for (int kx = 0; kx < s.kw; ++kx) {
                const int ix = ix0 + kx * s.dilation_w;
                if (ix < 0 || ix >= s.in_w) continue;
                const int32_t x =
                    input[((static_cast<size_t>(b) * s.in_h + iy) * s.in_w + ix) * s.in_c + ic];
                const int32_t wv = w[(static_cast<size_t>(ky) * s.kw + kx) * out_c + oc];
                acc = wrap_add(acc, (x - s.input_zero_point) * wv);  // exact mod 2^32 like every path
              }
            }
            out[oc] = requant_channel(rq, wrap_add(acc, bias[oc]), oc, half_up_end);
          }
        }
      }
    }
  }
}

namespace {
void pack_ref(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out) {
  pack_reference(params, w, bias, Isa::kRef, out);
}
}  // namespace

}  // namespace dwconv

const DwConvKernel kDwConvRef{"dwconv_generic_ref", Isa::kRef, &dwconv::pack_ref, &dwconv::run_reference};

}  // namespace edgekd
