"""Export a calibrated (or QAT-trained) ``QuantModel`` to ``edgekd.ir.Graph`` and .tflite bytes.

Layout: torch is NCHW, TFLite is NHWC. 4-D tensors are transposed at export (weights included); a flatten of a
CxHxW map with H*W > 1 orders features (h, w, c) in NHWC instead of (c, h, w), so the columns of the Linear that
consumes it are permuted to match. Any other use of such a flattened tensor is refused.

Every ``QOp`` becomes one TFLite op with the output parameters the ``QuantModel`` computed, and the weights are
quantized with the same functions the fake-quant simulation uses, so the simulation and the file agree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import ir
from ..errors import EdgekdError
from .fake_quant import quantize_bias, quantize_weight
from .qmodel import QOp, QuantModel

_ACT = {"none": "NONE", "relu": "RELU", "relu6": "RELU6"}


@dataclass
class _T:
    """What export knows about one exported tensor."""

    index: int
    torch_shape: tuple[int, ...]  # NCHW-style shape, batch excluded
    perm: tuple[int, int, int] | None = None  # (C, H, W) when this is a flatten of a CxHxW map in NHWC order


@dataclass
class ExportInfo:
    """How the exported file's edges relate to the torch model."""

    int8_io: bool
    input_shape: tuple[int, ...]  # TFLite shape of the input (batch included)
    output_shapes: list[tuple[int, ...]] = field(default_factory=list)
    nhwc_outputs: list[bool] = field(default_factory=list)  # outputs that are 4-D and therefore NHWC
    op_tensors: dict[str, str] = field(default_factory=dict)  # QOp name -> exported int8 tensor name


def _tfl_shape(torch_shape: tuple[int, ...], batch: int) -> tuple[int, ...]:
    if len(torch_shape) == 3:
        c, h, w = torch_shape
        return (batch, h, w, c)
    return (batch,) + tuple(torch_shape)


def _same_padding_matches(size: int, k: int, s: int, d: int, p: int) -> bool:
    """Whether torch's symmetric padding ``p`` gives the same windows as TFLite's SAME on this size."""
    k_eff = (k - 1) * d + 1
    out_torch = (size + 2 * p - k_eff) // s + 1
    out_same = math.ceil(size / s)
    pad_total = max((out_same - 1) * s + k_eff - size, 0)
    return out_torch == out_same and pad_total // 2 == p


def _transpose_conv_padding(in_size: int, out_size: int, k: int, s: int, p: int) -> str | None:
    """The TFLite padding under which TRANSPOSE_CONV computes torch's ConvTranspose2d on this axis, or None.
    LiteRT pads the way the forward conv from the output back to the input would: only the leading
    padding decides where taps land (torch's output_padding just lengthens the output), so it must equal
    torch's ``p``, and that forward conv must give back the input size."""
    for padding in ("VALID", "SAME"):
        fwd = (out_size + s - 1) // s if padding == "SAME" else (out_size + s - k) // s
        total = max((fwd - 1) * s + k - out_size, 0)
        if fwd == in_size and total // 2 == p:
            return padding
    return None


class _Exporter:
    def __init__(self, qm: QuantModel, int8_io: bool, batch: int, name: str) -> None:
        if not qm.qparams:
            raise EdgekdError("the model is not calibrated: run PTQ calibration (or QAT) before export")
        self.qm = qm
        self.batch = batch
        self.int8_io = int8_io
        self.g = ir.Graph(name=name, description="edgekd quantize")
        self.t: dict[str, _T] = {}
        self.info = ExportInfo(int8_io, ())

    # ---------------------------------------------------------------- helpers
    def act_tensor(self, name: str, torch_shape: tuple[int, ...], qname: str) -> int:
        scale, zp = self.qm.qp(qname)
        return self.g.add_activation(name, _tfl_shape(torch_shape, self.batch), scale, zp)

    def src(self, op: QOp, i: int = 0) -> _T:
        return self.t[op.inputs[i]]

    def no_perm(self, op: QOp) -> None:
        for name in op.inputs:
            if self.t[name].perm is not None:
                c, h, w = self.t[name].perm
                raise EdgekdError(
                    f"{op.kind} at {op.where} consumes a flattened {c}x{h}x{w} feature map; TFLite's NHWC order "
                    "differs from torch's there and edgekd can only reorder the Linear that follows a flatten "
                    "(pool to 1x1 first, or feed the flatten straight into a Linear)")

    def pad(self, op: QOp, x: _T, p: tuple[int, int]) -> _T:
        """An explicit PAD (with the input zero point, i.e. real 0) for padding TFLite's SAME cannot express."""
        c, h, w = x.torch_shape
        shape = (c, h + 2 * p[0], w + 2 * p[1])
        paddings = np.array([[0, 0], [p[0], p[0]], [p[1], p[1]], [0, 0]], np.int32)
        pt = self.g.add_constant(f"{op.name}/paddings", paddings)
        q = self.g.tensors[x.index].quant
        out = self.g.add_tensor(f"{op.name}/padded", _tfl_shape(shape, self.batch), "int8",
                                quant=ir.QuantParams.per_tensor(float(q.scale[0]), int(q.zero_point[0])))
        self.g.add_op("PAD", [x.index, pt], [out])
        return _T(out, shape)

    def padding_for(self, op: QOp, x: _T, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int],
                    p: tuple[int, int]) -> tuple[str, _T]:
        if p == (0, 0):
            return "VALID", x
        _, h, w = x.torch_shape
        if _same_padding_matches(h, k[0], s[0], d[0], p[0]) and _same_padding_matches(w, k[1], s[1], d[1], p[1]):
            return "SAME", x
        return "VALID", self.pad(op, x, p)

    # ---------------------------------------------------------------- ops
    def run(self) -> tuple[ir.Graph, ExportInfo]:
        for op in self.qm.ops:
            getattr(self, f"op_{op.kind}")(op)
            self.info.op_tensors[op.name] = self.g.tensors[self.t[op.name].index].name
        for name in self.qm.output_names:
            t = self.t[name]
            if t.perm is not None:
                raise EdgekdError(f"model output {name} is a flattened feature map with H*W > 1; its NHWC "
                                  "order differs from torch's")
            tensor = self.g.tensors[t.index]
            if self.int8_io:
                out = t.index
            else:
                out = self.g.add_tensor(f"{name}/float", tensor.shape, "float32")
                self.g.add_op("DEQUANTIZE", [t.index], [out])
            self.g.outputs.append(out)
            self.info.output_shapes.append(tensor.shape)
            self.info.nhwc_outputs.append(len(t.torch_shape) == 3)
        self.g.validate()
        return self.g, self.info

    def op_input(self, op: QOp) -> None:
        shape = tuple(op.shape[1:])
        if len(shape) not in (1, 3):
            raise EdgekdError(f"model input of shape {op.shape}: edgekd exports [N, C, H, W] or [N, F] inputs")
        q = self.act_tensor(op.name, shape, op.name)
        if self.int8_io:
            self.g.inputs.append(q)
        else:
            f = self.g.add_tensor(f"{op.name}/float", _tfl_shape(shape, self.batch), "float32")
            self.g.inputs.append(f)
            self.g.add_op("QUANTIZE", [f], [q])
        self.info.input_shape = _tfl_shape(shape, self.batch)
        self.t[op.name] = _T(q, shape)

    def _weights(self, op: QOp) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray, np.ndarray]:
        ql = self.qm.layers[op.key]
        with torch.no_grad():
            w, b = ql.effective(op.hardsigmoid)
        s_in = self.qm.qp(op.inputs[0])[0]
        wq, ws = quantize_weight(w)
        bq, bs = quantize_bias(b, s_in, ws)
        return w, wq, ws, bq.numpy().astype(np.int32), bs.numpy()

    def _bias(self, op: QOp, bq: np.ndarray, bs: np.ndarray) -> int:
        return self.g.add_constant(f"{op.name}/bias", bq, ir.QuantParams.per_channel(bs.astype(np.float32), 0))

    def op_conv(self, op: QOp) -> None:
        layer = self.qm.layers[op.key].layer
        x = self.src(op)
        self.no_perm(op)
        _, wq, ws, bq, bs = self._weights(op)
        k, s, d = tuple(layer.kernel_size), tuple(layer.stride), tuple(layer.dilation)
        padding, x = self.padding_for(op, x, k, s, d, tuple(layer.padding))
        wq_np = wq.numpy().astype(np.int8)
        common = dict(padding=padding, stride_h=s[0], stride_w=s[1], dilation_h_factor=d[0],
                      dilation_w_factor=d[1], fused_activation_function=_ACT[op.act])
        if layer.groups == 1:
            wt = self.g.add_constant(f"{op.name}/weights", np.ascontiguousarray(wq_np.transpose(0, 2, 3, 1)),
                                     ir.QuantParams.per_channel(ws.numpy(), 0))
            op_type = "CONV_2D"
        else:  # depthwise: [O, 1, kh, kw] -> [1, kh, kw, O]
            wt = self.g.add_constant(f"{op.name}/weights", np.ascontiguousarray(wq_np.transpose(1, 2, 3, 0)),
                                     ir.QuantParams.per_channel(ws.numpy(), 3))
            common["depth_multiplier"] = layer.out_channels // layer.in_channels
            op_type = "DEPTHWISE_CONV_2D"
        out_shape = tuple(op.shape[1:])
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op(op_type, [x.index, wt, self._bias(op, bq, bs)], [out], common)
        self.t[op.name] = _T(out, out_shape)

    def op_deconv(self, op: QOp) -> None:
        """ConvTranspose2d -> TRANSPOSE_CONV (output shape, weights [O, KH, KW, I], input, bias)."""
        layer = self.qm.layers[op.key].layer
        x = self.src(op)
        self.no_perm(op)
        _, wq, ws, bq, bs = self._weights(op)  # weights with output channels first: [O, I, kh, kw]
        out_shape = tuple(op.shape[1:])
        k, s, p = tuple(layer.kernel_size), tuple(layer.stride), tuple(layer.padding)
        pads = [_transpose_conv_padding(x.torch_shape[1 + i], out_shape[1 + i], k[i], s[i], p[i]) for i in (0, 1)]
        if None in pads or pads[0] != pads[1]:
            raise EdgekdError(f"ConvTranspose2d at {op.where}: padding {p} with output_padding {layer.output_padding}"
                              f" from {x.torch_shape[1:]} to {out_shape[1:]} is neither TFLite's SAME nor VALID "
                              "(use padding (k - stride) / 2 and output_padding (k - stride) % 2, or 0 and 0)")
        wt = self.g.add_constant(f"{op.name}/weights",
                                 np.ascontiguousarray(wq.numpy().astype(np.int8).transpose(0, 2, 3, 1)),
                                 ir.QuantParams.per_channel(ws.numpy(), 0))
        shape = self.g.add_constant(f"{op.name}/output_shape", np.array(_tfl_shape(out_shape, self.batch), np.int32))
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op("TRANSPOSE_CONV", [shape, wt, x.index, self._bias(op, bq, bs)], [out], padding=pads[0],
                      stride_h=s[0], stride_w=s[1])
        self.t[op.name] = _T(out, out_shape)

    def op_resize(self, op: QOp) -> None:
        """Upsampling -> RESIZE_NEAREST_NEIGHBOR (torch's 'nearest', whole-number factors only: torch and
        LiteRT compute the source index from the scale with their own float rounding otherwise) or
        RESIZE_BILINEAR (half-pixel centers, or align_corners)."""
        x = self.src(op)
        self.no_perm(op)
        out_shape = tuple(op.shape[1:])
        mode, align = op.attrs["mode"], op.attrs["align_corners"]
        if mode == "nearest" and any(o % i for o, i in zip(out_shape[1:], x.torch_shape[1:])):
            raise EdgekdError(f"nearest upsampling at {op.where} from {x.torch_shape[1:]} to {out_shape[1:]}: edgekd "
                              "exports whole-number factors only")
        size = self.g.add_constant(f"{op.name}/size", np.array(out_shape[1:], np.int32))
        out = self.act_tensor(op.name, out_shape, op.name)
        if mode == "nearest":
            self.g.add_op("RESIZE_NEAREST_NEIGHBOR", [x.index, size], [out])
        else:
            self.g.add_op("RESIZE_BILINEAR", [x.index, size], [out], align_corners=align, half_pixel_centers=not align)
        self.t[op.name] = _T(out, out_shape)

    def op_linear(self, op: QOp) -> None:
        x = self.src(op)
        _, wq, ws, bq, bs = self._weights(op)
        wq_np = wq.numpy().astype(np.int8)
        if x.perm is not None:  # torch feature order (c, h, w) -> NHWC flatten order (h, w, c)
            c, h, w = x.perm
            wq_np = wq_np.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(wq_np.shape[0], -1)
        wt = self.g.add_constant(f"{op.name}/weights", np.ascontiguousarray(wq_np),
                                 ir.QuantParams.per_channel(ws.numpy(), 0))
        out_shape = tuple(op.shape[1:])
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op("FULLY_CONNECTED", [x.index, wt, self._bias(op, bq, bs)], [out],
                      fused_activation_function=_ACT[op.act])
        self.t[op.name] = _T(out, out_shape)

    def op_affine(self, op: QOp) -> None:
        """Per-channel x * a + b (a standalone BN or hard-sigmoid): a 1x1 depthwise conv on 4-D tensors, a
        diagonal FULLY_CONNECTED on [N, C]."""
        x = self.src(op)
        self.no_perm(op)
        _, wq, ws, bq, bs = self._weights(op)
        wq_np = wq.numpy().astype(np.int8)
        out_shape = tuple(op.shape[1:])
        out = self.act_tensor(op.name, out_shape, op.name)
        if len(out_shape) == 3:
            wt = self.g.add_constant(f"{op.name}/weights", wq_np.reshape(1, 1, 1, -1),
                                     ir.QuantParams.per_channel(ws.numpy(), 3))
            self.g.add_op("DEPTHWISE_CONV_2D", [x.index, wt, self._bias(op, bq, bs)], [out],
                          padding="VALID", fused_activation_function=_ACT[op.act])
        else:
            wt = self.g.add_constant(f"{op.name}/weights", np.diag(wq_np).astype(np.int8),
                                     ir.QuantParams.per_channel(ws.numpy(), 0))
            self.g.add_op("FULLY_CONNECTED", [x.index, wt, self._bias(op, bq, bs)], [out],
                          fused_activation_function=_ACT[op.act])
        self.t[op.name] = _T(out, out_shape)

    def _binary(self, op: QOp, op_type: str, **opts) -> None:
        a, b = self.src(op, 0), self.src(op, 1)
        if a.perm != b.perm or len(a.torch_shape) != len(b.torch_shape):
            self.no_perm(op)
            if len(a.torch_shape) != len(b.torch_shape):
                raise EdgekdError(f"{op.kind} at {op.where} of rank-{len(a.torch_shape) + 1} and "
                                  f"rank-{len(b.torch_shape) + 1} tensors; edgekd broadcasts equal ranks only")
        out_shape = tuple(op.shape[1:])
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op(op_type, [a.index, b.index], [out], **opts)
        self.t[op.name] = _T(out, out_shape, a.perm)

    def op_add(self, op: QOp) -> None:
        self._binary(op, "ADD", fused_activation_function=_ACT[op.act])

    def op_mul(self, op: QOp) -> None:
        self._binary(op, "MUL")

    def op_cat(self, op: QOp) -> None:
        self.no_perm(op)
        rank = len(op.shape)
        axis = op.attrs["dim"]
        if rank == 4:
            axis = {1: 3, 2: 1, 3: 2}[axis]
        out_shape = tuple(op.shape[1:])
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op("CONCATENATION", [self.t[i].index for i in op.inputs], [out], axis=axis)
        self.t[op.name] = _T(out, out_shape)

    def _pool(self, op: QOp, op_type: str) -> None:
        a = op.attrs
        x = self.src(op)
        self.no_perm(op)
        k, s, p, d = a["kernel"], a["stride"], a["padding"], a["dilation"]
        if d != (1, 1):
            raise EdgekdError(f"{op.kind} at {op.where} with dilation {d}; TFLite pools have no dilation")
        _, h, w = x.torch_shape
        out_shape = tuple(op.shape[1:])
        floor_out = ((h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1)
        if a["ceil_mode"] and floor_out != out_shape[1:]:
            raise EdgekdError(f"{op.kind} at {op.where} with ceil_mode=True changes the output size; "
                              "TFLite pools round down")
        if p == (0, 0):
            padding = "VALID"
        elif op.kind == "avgpool" and a["count_include_pad"]:
            padding, x = "VALID", self.pad(op, x, p)  # zeros counted in the average, as torch does
        elif (_same_padding_matches(h, k[0], s[0], 1, p[0]) and _same_padding_matches(w, k[1], s[1], 1, p[1])):
            padding = "SAME"  # TFLite ignores the padded cells, as torch's max pool and count_include_pad=False
        elif op.kind == "maxpool" and int(self.g.tensors[x.index].quant.zero_point[0]) == -128:
            padding, x = "VALID", self.pad(op, x, p)  # input >= 0 everywhere, so a 0 pad never wins the max
        else:
            raise EdgekdError(f"{op.kind} at {op.where}: padding {p} on a {h}x{w} input cannot be expressed "
                              "with TFLite's SAME or an explicit zero PAD")
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op(op_type, [x.index], [out], padding=padding, stride_h=s[0], stride_w=s[1],
                      filter_height=k[0], filter_width=k[1])
        self.t[op.name] = _T(out, out_shape)

    def op_maxpool(self, op: QOp) -> None:
        self._pool(op, "MAX_POOL_2D")

    def op_avgpool(self, op: QOp) -> None:
        self._pool(op, "AVERAGE_POOL_2D")

    def op_mean(self, op: QOp) -> None:
        x = self.src(op)
        self.no_perm(op)
        out_shape = tuple(op.shape[1:])
        axes = self.g.add_constant(f"{op.name}/axes", np.array([1, 2], np.int32))
        keep = bool(op.attrs["keepdim"])
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op("MEAN", [x.index, axes], [out], keep_dims=keep)
        self.t[op.name] = _T(out, out_shape)

    def op_reshape(self, op: QOp) -> None:
        x = self.src(op)
        out_shape = tuple(op.shape[1:])
        perm = None
        if len(x.torch_shape) == 3:
            c, h, w = x.torch_shape
            if len(out_shape) == 1 and h * w > 1:
                perm = (c, h, w)
            elif len(out_shape) == 3 and not (h * w == 1 and out_shape[1] * out_shape[2] == 1):
                raise EdgekdError(f"reshape at {op.where} from {x.torch_shape} to {out_shape}: edgekd exports "
                                  "reshapes of 4-D maps only to [N, features] or between 1x1 maps")
            elif len(out_shape) not in (1, 3):
                raise EdgekdError(f"reshape at {op.where} to rank {len(out_shape) + 1} is not supported")
        else:
            if out_shape != x.torch_shape:
                self.no_perm(op)
            perm = x.perm
            if len(out_shape) == 3 and out_shape[1] * out_shape[2] != 1:
                raise EdgekdError(f"reshape at {op.where} from {x.torch_shape} to {out_shape}: a vector becomes "
                                  "a 4-D map only as Cx1x1")
            if len(out_shape) not in (1, 3):
                raise EdgekdError(f"reshape at {op.where} to rank {len(out_shape) + 1} is not supported")
        tshape = _tfl_shape(out_shape, self.batch)
        shp = self.g.add_constant(f"{op.name}/shape", np.array(tshape, np.int32))
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op("RESHAPE", [x.index, shp], [out], new_shape=list(tshape))
        self.t[op.name] = _T(out, out_shape, perm)

    def _unary(self, op: QOp, op_type: str, **opts) -> None:
        x = self.src(op)
        out_shape = tuple(op.shape[1:])
        out = self.act_tensor(op.name, out_shape, op.name)
        self.g.add_op(op_type, [x.index], [out], **opts)
        self.t[op.name] = _T(out, out_shape, x.perm)

    def op_relu(self, op: QOp) -> None:
        self._unary(op, "RELU")

    def op_relu6(self, op: QOp) -> None:
        self._unary(op, "RELU6")

    def op_hardswish(self, op: QOp) -> None:
        self._unary(op, "HARD_SWISH")

    def op_sigmoid(self, op: QOp) -> None:
        self._unary(op, "LOGISTIC")

    def op_softmax(self, op: QOp) -> None:
        self.no_perm(op)
        self._unary(op, "SOFTMAX", beta=1.0)


def to_ir(qm: QuantModel, *, int8_io: bool = False, batch: int = 1, name: str = "edgekd") -> tuple[ir.Graph, ExportInfo]:
    """The int8 graph of ``qm``: float32 input and output through QUANTIZE/DEQUANTIZE, or int8 edges when
    ``int8_io``. ``batch`` is the static batch dimension written into the file."""
    return _Exporter(qm, int8_io, batch, name).run()


def export_tflite(qm: QuantModel, path: str | Path | None = None, *, int8_io: bool = False, batch: int = 1,
                  name: str = "edgekd") -> bytes:
    """.tflite bytes of ``qm``; also written to ``path`` (atomically) when given."""
    from ..tflite import save, write_tflite

    graph, _ = to_ir(qm, int8_io=int8_io, batch=batch, name=name)
    if path is not None:
        save(graph, path)
    return write_tflite(graph)
