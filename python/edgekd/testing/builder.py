"""GraphBuilder: build int8 ir.Graphs layer by layer with random but valid quantization.

Each layer gets random float weights (He-normal), quantized per output channel, symmetric, to
[-127, 127]; bias is int32 at scale ``s_in * s_w[c]``. The builder carries a float simulation of a
small calibration batch through the network (with the dequantized weights), and picks every
activation's scale and zero point from the simulated range, the way post-training calibration does,
so that outputs do not saturate. Ops whose int8 kernels require fixed output parameters (SOFTMAX,
LOGISTIC: scale 1/256, zero point -128) or unchanged parameters (pooling, PAD, RESHAPE, the
Flatten chain) get them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .. import ir
from . import float_ops as F


@dataclass
class Act:
    """An activation under construction: its tensor index and the float values of the calibration
    batch flowing through it (batch dimension = the builder's calibration batch)."""

    index: int
    value: np.ndarray


def act_quant_params(lo: float, hi: float) -> tuple[float, int]:
    """Asymmetric int8 (scale, zero point) covering [lo, hi] and real 0 exactly."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-6:
        hi = lo + 1e-3
    scale = (hi - lo) / 255.0
    zp = int(np.clip(np.round(-128.0 - lo / scale), -128, 127))
    return scale, zp


def quantize_per_channel(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel int8 weights in [-127, 127] and their scales."""
    red = tuple(d for d in range(w.ndim) if d != axis)
    amax = np.max(np.abs(w), axis=red)
    scale = np.where(amax > 0, amax / 127.0, 1e-6).astype(np.float32)
    bshape = [1] * w.ndim
    bshape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(bshape)), -127, 127).astype(np.int8)
    return q, scale


class GraphBuilder:
    def __init__(self, name: str = "main", seed: int = 0, calib_batch: int = 2) -> None:
        self.g = ir.Graph(name=name, description=f"edgekd test model {name}")
        self.rng = np.random.default_rng(seed)
        self.calib_batch = calib_batch
        self._counts: dict[str, int] = {}

    # ---- naming and tensors ---------------------------------------------------------------------
    def _name(self, base: str, name: str | None) -> str:
        if name:
            return name
        k = self._counts.get(base, 0)
        self._counts[base] = k + 1
        return f"{base}_{k}" if k else base

    def quant(self, a: Act) -> ir.QuantParams:
        q = self.g.tensors[a.index].quant
        assert q is not None, self.g.tensors[a.index].name
        return q

    def _emit(self, name: str, value: np.ndarray, shape: Sequence[int],
              fixed: tuple[float, int] | None = None, dtype: str = "int8") -> Act:
        """A new activation tensor holding ``value`` (fake-quantized so the simulation tracks int8)."""
        if dtype == "float32":
            idx = self.g.add_tensor(name, shape, "float32")
            return Act(idx, value.astype(np.float32))
        # 10% headroom: the calibration batch is tiny, other inputs reach a little further
        scale, zp = fixed if fixed is not None else act_quant_params(1.1 * value.min(), 1.1 * value.max())
        idx = self.g.add_activation(name, shape, scale, zp)
        q = np.clip(np.round(value / scale) + zp, -128, 127)
        return Act(idx, ((q - zp) * scale).astype(np.float32))

    def _same_as(self, name: str, src: Act, value: np.ndarray, shape: Sequence[int]) -> Act:
        q = self.quant(src)
        return self._emit(name, value, shape, (float(q.scale[0]), int(q.zero_point[0])))

    def shape(self, a: Act) -> tuple[int, ...]:
        return self.g.tensors[a.index].shape

    def _out_shape(self, a: Act, value: np.ndarray) -> tuple[int, ...]:
        """Graph shape for a simulated value: the graph's batch, the value's other dims."""
        return (self.shape(a)[0],) + tuple(value.shape[1:])

    def _weights(self, name: str, shape: Sequence[int], fan_in: int, axis: int, in_scale: float,
                 compute: Callable[[np.ndarray, np.ndarray | None], np.ndarray], bias: bool = True,
                 bias_shift: float = 0.0) -> tuple[int, int, np.ndarray]:
        """Random weights (and bias) for a layer, normalized so that the layer's float output on the
        calibration batch has unit standard deviation (a data-dependent init: without batch norm a
        random deep net drifts until ReLU6 clamps everything), then quantized per channel.
        Returns (weights index, bias index or -1, float output computed by ``compute(w, b)``)."""
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(np.float32)
        b = self.rng.normal(0.0, 0.1, size=shape[axis]).astype(np.float32) if bias else None
        y = compute(w, b)
        std = float(y.std())
        f = np.float32(1.0 / std) if std > 1e-8 else np.float32(1.0)
        w *= f
        y *= f
        if b is not None:
            b = b * f + np.float32(bias_shift)
            y += np.float32(bias_shift)
        qw, sw = quantize_per_channel(w, axis)
        wi = self.g.add_constant(f"{name}/weights", qw, ir.QuantParams.per_channel(sw, axis))
        if b is None:
            return wi, -1, y
        bscale = (in_scale * sw).astype(np.float32)
        qb = np.round(b / bscale).clip(-(2**31), 2**31 - 1).astype(np.int32)
        bi = self.g.add_constant(f"{name}/bias", qb, ir.QuantParams.per_channel(bscale, 0))
        return wi, bi, y

    # ---- graph inputs and outputs ---------------------------------------------------------------
    def input(self, shape: Sequence[int], lo: float = -1.0, hi: float = 1.0, name: str = "input",
              dtype: str = "int8") -> Act:
        value = self.rng.uniform(lo, hi, size=(self.calib_batch,) + tuple(shape[1:])).astype(np.float32)
        if dtype == "float32":
            a = self._emit(name, value, shape, dtype="float32")
        else:
            a = self._emit(name, value, shape, act_quant_params(lo, hi))
        self.g.inputs.append(a.index)
        return a

    def output(self, *acts: Act) -> ir.Graph:
        self.g.outputs = [a.index for a in acts]
        self.g.validate()
        return self.g

    # ---- layers ---------------------------------------------------------------------------------
    def conv2d(self, x: Act, out_ch: int, k: int = 3, stride: int = 1, padding: str = "SAME",
               act: str = "NONE", dilation: int = 1, bias_shift: float = 0.0, name: str | None = None) -> Act:
        """``bias_shift`` adds a constant to every bias (TF folds hard-sigmoid's ``+ 3`` that way)."""
        name = self._name("conv", name)
        cin = self.shape(x)[3]
        wi, bi, y = self._weights(
            name, (out_ch, k, k, cin), k * k * cin, 0, float(self.quant(x).scale[0]),
            lambda w, b: F.conv2d(x.value, w, b, (stride, stride), padding, (dilation, dilation)),
            bias_shift=bias_shift)
        y = F.activation(y, act)
        out = self._emit(name, y, self._out_shape(x, y))
        self.g.add_op("CONV_2D", [x.index, wi, bi], [out.index], padding=padding, stride_w=stride,
                      stride_h=stride, fused_activation_function=act, dilation_w_factor=dilation,
                      dilation_h_factor=dilation)
        return out

    def depthwise(self, x: Act, k: int = 3, stride: int = 1, padding: str = "SAME", multiplier: int = 1,
                  act: str = "NONE", dilation: int = 1, name: str | None = None) -> Act:
        name = self._name("dwconv", name)
        c = self.shape(x)[3]
        wi, bi, y = self._weights(
            name, (1, k, k, c * multiplier), k * k, 3, float(self.quant(x).scale[0]),
            lambda w, b: F.depthwise_conv2d(x.value, w, b, (stride, stride), padding, multiplier,
                                            (dilation, dilation)))
        y = F.activation(y, act)
        out = self._emit(name, y, self._out_shape(x, y))
        self.g.add_op("DEPTHWISE_CONV_2D", [x.index, wi, bi], [out.index], padding=padding, stride_w=stride,
                      stride_h=stride, depth_multiplier=multiplier, fused_activation_function=act,
                      dilation_w_factor=dilation, dilation_h_factor=dilation)
        return out

    def fully_connected(self, x: Act, units: int, act: str = "NONE", bias: bool = True,
                        name: str | None = None) -> Act:
        name = self._name("fc", name)
        shape = self.shape(x)
        cin = shape[-1]
        wi, bi, y = self._weights(name, (units, cin), cin, 0, float(self.quant(x).scale[0]),
                                  lambda w, b: F.fully_connected(x.value, w, b), bias)
        y = F.activation(y, act)
        rows = int(np.prod(shape[:-1]))
        out = self._emit(name, y, (rows, units))
        self.g.add_op("FULLY_CONNECTED", [x.index, wi, bi] if bias else [x.index, wi, -1], [out.index],
                      fused_activation_function=act)
        return out

    def add(self, a: Act, b: Act, act: str = "NONE", name: str | None = None) -> Act:
        y = F.activation(a.value + b.value, act)
        out = self._emit(self._name("add", name), y, self._broadcast_shape(a, b))
        self.g.add_op("ADD", [a.index, b.index], [out.index], fused_activation_function=act)
        return out

    def mul(self, a: Act, b: Act, act: str = "NONE", name: str | None = None) -> Act:
        y = F.activation(a.value * b.value, act)
        out = self._emit(self._name("mul", name), y, self._broadcast_shape(a, b))
        self.g.add_op("MUL", [a.index, b.index], [out.index], fused_activation_function=act)
        return out

    def mul_const(self, x: Act, value: float, name: str | None = None) -> Act:
        """x * a scalar constant; the constant is int8 [] quantized over [min(0,v), max(0,v)], as TF's
        converter stores the 1/6 of hard-sigmoid."""
        name = self._name("mul", name)
        scale, zp = act_quant_params(min(value, 0.0), max(value, 0.0))
        qv = np.int8(np.clip(np.round(value / scale) + zp, -128, 127))
        ci = self.g.add_constant(f"{name}/constant", np.array(qv, np.int8), ir.QuantParams.per_tensor(scale, zp))
        y = x.value * np.float32((int(qv) - zp) * scale)
        out = self._emit(name, y, self.shape(x))
        self.g.add_op("MUL", [x.index, ci], [out.index])
        return out

    def _broadcast_shape(self, a: Act, b: Act) -> tuple[int, ...]:
        return tuple(np.broadcast_shapes(self.shape(a), self.shape(b)))

    def pool(self, x: Act, kind: str, k: int = 2, stride: int = 2, padding: str = "VALID",
             name: str | None = None) -> Act:
        op = {"max": "MAX_POOL_2D", "avg": "AVERAGE_POOL_2D"}[kind]
        y = F.pool2d(x.value, kind, (k, k), (stride, stride), padding)
        # LiteRT's int8 pooling kernels do not rescale: output parameters equal the input's.
        out = self._same_as(self._name(f"{kind}pool", name), x, y, self._out_shape(x, y))
        self.g.add_op(op, [x.index], [out.index], padding=padding, stride_w=stride, stride_h=stride,
                      filter_width=k, filter_height=k)
        return out

    def mean(self, x: Act, axes: Sequence[int] = (1, 2), keep_dims: bool = False,
             name: str | None = None) -> Act:
        name = self._name("mean", name)
        y = x.value.mean(axis=tuple(axes), keepdims=keep_dims)
        ax = self.g.add_constant(f"{name}/axis", np.asarray(axes, np.int32))
        out = self._emit(name, y, self._out_shape(x, y))
        self.g.add_op("MEAN", [x.index, ax], [out.index], keep_dims=keep_dims)
        return out

    def pad(self, x: Act, paddings: Sequence[Sequence[int]], name: str | None = None) -> Act:
        name = self._name("pad", name)
        p = np.asarray(paddings, np.int32)
        y = np.pad(x.value, [(0, 0)] + [tuple(r) for r in p[1:]])
        pi = self.g.add_constant(f"{name}/paddings", p)
        out = self._same_as(name, x, y, self._out_shape(x, y))
        self.g.add_op("PAD", [x.index, pi], [out.index])
        return out

    def concat(self, xs: Sequence[Act], axis: int = -1, act: str = "NONE", name: str | None = None) -> Act:
        # LiteRT's int8 CONCATENATION does not rescale: every input must share the output's parameters.
        q0 = self.quant(xs[0])
        for a in xs[1:]:
            if self.quant(a) != q0:
                raise ValueError(f"concat: input {self.g.tensors[a.index].name!r} is quantized differently "
                                 f"from {self.g.tensors[xs[0].index].name!r}")
        y = np.concatenate([a.value for a in xs], axis=axis)
        shape = list(self.shape(xs[0]))
        ax = axis % len(shape)
        shape[ax] = sum(self.shape(a)[ax] for a in xs)
        out = self._same_as(self._name("concat", name), xs[0], F.activation(y, act), shape)
        self.g.add_op("CONCATENATION", [a.index for a in xs], [out.index], axis=axis,
                      fused_activation_function=act)
        return out

    def reshape(self, x: Act, new_shape: Sequence[int], name: str | None = None) -> Act:
        name = self._name("reshape", name)
        shape = tuple(int(d) for d in np.empty(self.shape(x), np.bool_).reshape(tuple(new_shape)).shape)
        y = x.value.reshape((self.calib_batch,) + shape[1:])
        si = self.g.add_constant(f"{name}/shape", np.asarray(shape, np.int32))
        out = self._same_as(name, x, y, shape)
        self.g.add_op("RESHAPE", [x.index, si], [out.index], new_shape=list(shape))
        return out

    def flatten_chain(self, x: Act, name: str | None = None) -> Act:
        """Keras Flatten as TF's converter emits it with a dynamic batch:
        SHAPE -> STRIDED_SLICE (batch) -> PACK (batch, -1) -> RESHAPE."""
        name = self._name("flatten", name)
        shape = self.shape(x)
        g = self.g
        shp = g.add_tensor(f"{name}/shape", (len(shape),), "int32")
        g.add_op("SHAPE", [x.index], [shp], out_type="int32")
        begin = g.add_constant(f"{name}/begin", np.array([0], np.int32))
        end = g.add_constant(f"{name}/end", np.array([1], np.int32))
        strides = g.add_constant(f"{name}/strides", np.array([1], np.int32))
        batch = g.add_tensor(f"{name}/batch", (), "int32")
        g.add_op("STRIDED_SLICE", [shp, begin, end, strides], [batch], shrink_axis_mask=1)
        minus1 = g.add_constant(f"{name}/minus1", np.array(-1, np.int32))
        packed = g.add_tensor(f"{name}/new_shape", (2,), "int32")
        g.add_op("PACK", [batch, minus1], [packed], values_count=2, axis=0)
        flat = (shape[0], int(np.prod(shape[1:])))
        y = x.value.reshape(self.calib_batch, -1)
        out = self._same_as(name, x, y, flat)
        g.add_op("RESHAPE", [x.index, packed], [out.index])
        return out

    def softmax(self, x: Act, beta: float = 1.0, name: str | None = None) -> Act:
        y = F.softmax(x.value, beta)
        out = self._emit(self._name("softmax", name), y, self.shape(x), (1.0 / 256.0, -128))
        self.g.add_op("SOFTMAX", [x.index], [out.index], beta=beta)
        return out

    def logistic(self, x: Act, name: str | None = None) -> Act:
        y = F.logistic(x.value)
        out = self._emit(self._name("logistic", name), y, self.shape(x), (1.0 / 256.0, -128))
        self.g.add_op("LOGISTIC", [x.index], [out.index])
        return out

    def hard_swish(self, x: Act, name: str | None = None) -> Act:
        y = F.hard_swish(x.value)
        out = self._emit(self._name("hard_swish", name), y, self.shape(x))
        self.g.add_op("HARD_SWISH", [x.index], [out.index])
        return out

    def relu(self, x: Act, six: bool = False, name: str | None = None) -> Act:
        y = F.activation(x.value, "RELU6" if six else "RELU")
        out = self._emit(self._name("relu6" if six else "relu", name), y, self.shape(x))
        self.g.add_op("RELU6" if six else "RELU", [x.index], [out.index])
        return out

    def quantize(self, x: Act, name: str | None = None) -> Act:
        """float32 -> int8, or int8 -> int8 with new parameters (a requantize)."""
        out = self._emit(self._name("quantize", name), x.value, self.shape(x))
        if self.g.tensors[x.index].dtype == "int8":  # make the requantize non-trivial
            q = self.quant(out)
            q.scale = (q.scale * 1.25).astype(np.float32)
        self.g.add_op("QUANTIZE", [x.index], [out.index])
        return out

    def dequantize(self, x: Act, name: str | None = None) -> Act:
        out = self._emit(self._name("dequantize", name), x.value, self.shape(x), dtype="float32")
        self.g.add_op("DEQUANTIZE", [x.index], [out.index])
        return out
