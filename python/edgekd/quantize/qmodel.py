"""The quantizable model: the captured float graph with BN folded and activations fused the way TFLite fuses
them, as a torch module that runs in three modes.

* ``float``: the original float arithmetic (BN with its running statistics) — the fp32 reference;
* ``calibrate``: float, while observers record the range of every tensor that gets its own int8 parameters;
* ``fake``: the int8 simulation (fake-quantized weights, biases and activations); trainable for QAT.

Each ``QOp`` becomes exactly one TFLite op at export (a conv with padding TFLite's SAME cannot express gets a
PAD in front), and each op output is one int8 tensor, so per-op records here are per-layer records there.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import EdgekdError
from .capture import FloatGraph, FloatNode, capture
from .fake_quant import (fake_quant_activation, fake_quant_activation_learned, fake_quant_bias, fake_quant_weight,
                         weight_scales)
from .fold import bn_scale_shift, fold_bn
from .observers import Observer, make_observer, qparams_from_range

# Output parameters fixed by the op, as TensorFlow's converter sets them.
FIXED_QPARAMS = {
    "sigmoid": (1.0 / 256.0, -128),
    "softmax": (1.0 / 256.0, -128),
    # hard-sigmoid's clamp to [0, 1] is done by the int8 range itself: [-128, 127] maps onto [0, 1] exactly
    "hardsigmoid": (1.0 / 255.0, -128),
}
# Ops whose output keeps the input's parameters (TFLite's pooling, resize and reshape kernels do not requantize).
SAME_AS_INPUT = {"maxpool", "avgpool", "mean", "reshape", "resize"}
WEIGHTED = {"conv", "linear", "affine", "deconv"}
FUSABLE_ACT = {"conv", "linear", "affine", "add"}


@dataclass
class QOp:
    name: str
    kind: str
    inputs: list[str]
    where: str
    attrs: dict[str, Any] = field(default_factory=dict)
    shape: tuple[int, ...] = ()
    act: str = "none"  # fused activation: none | relu | relu6
    hardsigmoid: bool = False  # conv/linear/affine followed by hardsigmoid, folded into its weights
    key: str = ""  # submodule key in QuantModel.layers for weighted ops

    @property
    def qparam_rule(self) -> str:
        if self.hardsigmoid or self.kind in ("sigmoid", "softmax"):
            return "fixed"
        if self.kind in SAME_AS_INPUT:
            return "same"
        return "observe"


class QLayer(nn.Module):
    """Weights of one weighted op: the float layer (a copy), an optional BN to fold, and the PTQ bias correction."""

    def __init__(self, layer: nn.Module | None, bn: nn.Module | None, channels: int) -> None:
        super().__init__()
        self.layer = layer
        self.bn = bn
        self.register_buffer("bias_correction", torch.zeros(channels))

    def weight(self) -> torch.Tensor:
        """The layer's weight with output channels first (a ConvTranspose2d stores [in, out, kh, kw])."""
        w = self.layer.weight
        return w.transpose(0, 1) if isinstance(self.layer, nn.ConvTranspose2d) else w

    def effective(self, hardsigmoid: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight and bias as exported: BN folded, hard-sigmoid's x/6 + 1/2 folded, bias correction added.
        An affine op (a standalone BN or hard-sigmoid) has a per-channel weight of shape [C]; a deconv's
        weight has output channels first."""
        if self.layer is not None:
            w = self.weight()
            b = self.layer.bias if self.layer.bias is not None else torch.zeros(w.shape[0], dtype=w.dtype)
            if self.bn is not None:
                w, b = fold_bn(w, b, self.bn)
        else:
            c = self.bias_correction.shape[0]
            if self.bn is not None:
                w, b = bn_scale_shift(self.bn)
            else:
                w, b = torch.ones(c), torch.zeros(c)
        if hardsigmoid:
            w, b = w / 6.0, b / 6.0 + 0.5
        return w, b + self.bias_correction


def _conv(op: QOp, layer: nn.Conv2d, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return F.conv2d(x, w, b, layer.stride, layer.padding, layer.dilation, layer.groups)


class QuantModel(nn.Module):
    def __init__(self, ops: list[QOp], layers: dict[str, QLayer], input_name: str, outputs: list[str],
                 input_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.ops = ops
        self.layers = nn.ModuleDict(layers)
        self.input_name = input_name
        self.output_names = outputs
        self.input_shape = input_shape  # without batch
        self.mode = "float"
        self.bn_frozen = False
        self.observers: dict[str, Observer] = {}
        self.qparams: dict[str, tuple[float, int]] = {}
        self.records: dict[str, torch.Tensor] | None = None
        self.shared: dict[str, str] = {}  # tensor -> key of the parameters it shares (concat groups)
        self.ranges: dict[str, tuple[float, float]] = {}
        self.ema_momentum = 0.0  # QAT: > 0 moves activation ranges toward each training batch's
        self.log_scales = nn.ParameterDict()  # QAT with learned ranges: log of each activation scale
        self._by_name = {op.name: op for op in ops}

    # ---------------------------------------------------------------- parameters
    def op(self, name: str) -> QOp:
        return self._by_name[name]

    def qp(self, name: str) -> tuple[float, int]:
        """int8 (scale, zero_point) of tensor ``name``."""
        name = self.source_of(name)
        return self.qparams[self.shared.get(name, name)]

    def _share_concat_params(self) -> None:
        """LiteRT's int8 CONCATENATION requires its inputs and output to have one scale and zero point (as TF's
        converter arranges): tensors joined by a concat share parameters computed from the union of their
        ranges. Groups are transitive (a tensor in two concats joins both groups)."""
        parent: dict[str, str] = {}

        def find(a: str) -> str:
            while parent.get(a, a) != a:
                a = parent[a]
            return a

        for op in self.ops:
            if op.kind == "cat":
                for i in op.inputs:
                    ra, rb = find(op.name), find(self.source_of(i))
                    if ra != rb:
                        parent[rb] = ra
        members: dict[str, list[str]] = {}
        for name in parent:
            members.setdefault(find(name), []).append(name)
        self.shared = {}
        for root, names in members.items():
            group = [root] + [n for n in names if n != root]
            fixed = {self.qparams[n] for n in group if self._by_name[n].qparam_rule == "fixed"}
            if len(fixed) > 1:
                raise EdgekdError(f"concat joins tensors with different fixed int8 parameters: {', '.join(group)}")
            key = f"shared:{root}"
            for n in group:
                self.shared[n] = key
            self._update_shared(key, fixed.pop() if fixed else None)

    def _update_shared(self, key: str, fixed: tuple[float, int] | None = None) -> None:
        names = [n for n, k in self.shared.items() if k == key]
        if fixed is not None:
            self.qparams[key] = fixed
            return
        lo = min(self.ranges[n][0] for n in names if n in self.ranges)
        hi = max(self.ranges[n][1] for n in names if n in self.ranges)
        self.qparams[key] = qparams_from_range(lo, hi)

    def source_of(self, name: str) -> str:
        """The tensor whose parameters ``name`` shares (through pools, means and reshapes)."""
        op = self._by_name.get(name)
        while op is not None and op.qparam_rule == "same":
            name = op.inputs[0]
            op = self._by_name.get(name)
        return name

    def start_calibration(self, observer: str = "minmax") -> None:
        self.observers = {op.name: make_observer(observer) for op in self.ops if op.qparam_rule == "observe"}
        self.mode = "calibrate"

    def finish_calibration(self) -> None:
        """Turn observed ranges into int8 parameters for every tensor."""
        for op in self.ops:
            if op.qparam_rule == "observe":
                self.ranges[op.name] = self.observers[op.name].range()
                self.qparams[op.name] = qparams_from_range(*self.ranges[op.name])
            elif op.qparam_rule == "fixed":
                self.qparams[op.name] = FIXED_QPARAMS["hardsigmoid" if op.hardsigmoid else op.kind]
        for op in self.ops:
            if op.qparam_rule == "same":
                self.qparams[op.name] = self.qparams[self.source_of(op.name)]
        self._share_concat_params()
        self.mode = "fake"

    def learn_ranges(self) -> None:
        """Make the scale of every observed activation (outside concat groups) a trainable parameter (LSQ)."""
        for op in self.ops:
            if op.qparam_rule == "observe" and op.name not in self.shared and op.kind != "input":
                self.log_scales[op.name] = nn.Parameter(torch.tensor(self.qparams[op.name][0]).log())

    def fix_learned_ranges(self) -> None:
        """Write the learned scales back into the int8 parameters (float32, as the file stores them)."""
        import numpy as np

        for name, p in self.log_scales.items():
            scale = float(np.float32(float(p.detach().exp())))
            zp = self.qparams[name][1]
            self.qparams[name] = (scale, zp)
            self.ranges[name] = (scale * (-128 - zp), scale * (127 - zp))
        self.log_scales = nn.ParameterDict()

    def _track_range(self, name: str, y: torch.Tensor) -> None:
        m = self.ema_momentum
        lo, hi = self.ranges[name]
        lo = (1 - m) * lo + m * float(y.detach().min())
        hi = (1 - m) * hi + m * float(y.detach().max())
        self.ranges[name] = (lo, hi)
        self.qparams[name] = qparams_from_range(lo, hi)
        if name in self.shared:
            self._update_shared(self.shared[name])

    # ---------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        env: dict[str, torch.Tensor] = {}
        fake = self.mode == "fake"
        for op in self.ops:
            ins = [env[i] for i in op.inputs]
            if op.kind == "input":
                y = x
            elif op.kind in WEIGHTED:
                y = self._weighted(op, ins[0], fake)
            else:
                y = self._plain(op, ins)
            if op.kind in FUSABLE_ACT:
                if op.act == "relu":
                    y = F.relu(y)
                elif op.act == "relu6":
                    y = F.relu6(y)
            if op.hardsigmoid and not fake:
                y = torch.clamp(y, 0.0, 1.0)
            if self.mode == "calibrate" and op.name in self.observers:
                self.observers[op.name].update(y)
            if fake and self.ema_momentum and self.training and op.qparam_rule == "observe":
                self._track_range(op.name, y)
            if fake and op.name in self.log_scales:
                scale = self.log_scales[op.name].exp()
                zp = self.qparams[op.name][1]
                self.qparams[op.name] = (float(scale.detach()), zp)  # consumers' bias scales follow it
                y = fake_quant_activation_learned(y, scale, zp)
            elif fake:  # "same" ops too: a pooled mean falls between grid points and the kernel rounds it
                y = fake_quant_activation(y, *self.qp(op.name))
            if self.records is not None:
                self.records[op.name] = y.detach()
            env[op.name] = y
        outs = tuple(env[n] for n in self.output_names)
        return outs[0] if len(outs) == 1 else outs

    def _weighted(self, op: QOp, x: torch.Tensor, fake: bool) -> torch.Tensor:
        ql: QLayer = self.layers[op.key]  # type: ignore[assignment]
        bn_live = ql.bn is not None and self.training and not self.bn_frozen and fake
        if bn_live:
            return self._weighted_bn_training(op, ql, x)
        w, b = ql.effective(op.hardsigmoid)
        if fake:
            s_in = self.qp(op.inputs[0])[0]
            s_w = weight_scales(w)
            w = fake_quant_weight(w)
            b = fake_quant_bias(b, s_in, s_w)
        return self._apply(op, ql, x, w, b)

    def _apply(self, op: QOp, ql: QLayer, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if op.kind == "conv":
            return _conv(op, ql.layer, x, w, b)  # type: ignore[arg-type]
        if op.kind == "linear":
            return F.linear(x, w, b)
        if op.kind == "deconv":
            layer = ql.layer
            return F.conv_transpose2d(x, w.transpose(0, 1), b, layer.stride, layer.padding, layer.output_padding)
        if x.dim() == 4:  # affine: per-channel scale and shift, exported as a 1x1 depthwise conv
            return x * w.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)
        return x * w.reshape(1, -1) + b.reshape(1, -1)

    def _weighted_bn_training(self, op: QOp, ql: QLayer, x: torch.Tensor) -> torch.Tensor:
        """QAT before BN is frozen: quantize the weight folded with the running statistics, undo the fold on the
        output, and let BN normalize with the batch statistics (and update its running ones). Once frozen, the
        plain folded path above is exactly what is exported."""
        bn = ql.bn
        assert bn is not None
        k, _ = bn_scale_shift(bn)
        k = torch.where(k.abs() > 1e-12, k, torch.full_like(k, 1e-12))
        if ql.layer is None:  # a standalone BN: nothing to quantize before it
            y = bn(x)
        else:
            w = ql.weight() * k.reshape((-1,) + (1,) * (ql.layer.weight.dim() - 1))
            wq = fake_quant_weight(w)
            zero = torch.zeros(w.shape[0], dtype=w.dtype)
            y = self._apply(op, ql, x, wq, zero)
            shape = (1, -1, 1, 1) if y.dim() == 4 else (1, -1)
            y = y / k.reshape(shape)
            if ql.layer.bias is not None:
                y = y + ql.layer.bias.reshape(shape)
            y = bn(y)
        if op.hardsigmoid:
            y = y / 6.0 + 0.5
        return y

    def _plain(self, op: QOp, ins: list[torch.Tensor]) -> torch.Tensor:
        x = ins[0]
        k, a = op.kind, op.attrs
        if k == "add":
            return ins[0] + ins[1]
        if k == "mul":
            return ins[0] * ins[1]
        if k == "cat":
            return torch.cat(ins, dim=a["dim"])
        if k == "relu":
            return F.relu(x)
        if k == "relu6":
            return F.relu6(x)
        if k == "hardswish":
            return F.hardswish(x)
        if k == "sigmoid":
            return torch.sigmoid(x)
        if k == "softmax":
            return torch.softmax(x, dim=a["dim"])
        if k == "maxpool":
            return F.max_pool2d(x, a["kernel"], a["stride"], a["padding"], a["dilation"], a["ceil_mode"])
        if k == "avgpool":
            return F.avg_pool2d(x, a["kernel"], a["stride"], a["padding"], a["ceil_mode"], a["count_include_pad"])
        if k == "mean":
            return x.mean(dim=(2, 3), keepdim=a["keepdim"])
        if k == "reshape":
            return x.reshape((x.shape[0],) + tuple(op.shape[1:]))
        if k == "resize":
            return F.interpolate(x, size=tuple(op.shape[2:]), mode=a["mode"],
                                 align_corners=a["align_corners"] if a["mode"] == "bilinear" else None)
        raise EdgekdError(f"internal: no forward for op kind {k} at {op.where}")


# -------------------------------------------------------------------- building from a captured graph
def build(model: nn.Module, example_input: torch.Tensor) -> QuantModel:
    """Capture ``model`` (a copy is taken; the original is not modified), fold BN, fuse activations."""
    if example_input.dim() < 2:
        raise EdgekdError(f"example input must have a batch dimension; got shape {tuple(example_input.shape)}")
    # Two samples, so that a reshape that mixes the batch dimension into the features is visible in the shapes.
    ex = example_input[:1].expand((2,) + tuple(example_input.shape[1:])).contiguous()
    model = copy.deepcopy(model).eval()
    graph = capture(model, ex)
    return _fuse(graph)


def _fuse(graph: FloatGraph) -> QuantModel:
    alias: dict[str, str] = {}  # float node name -> the QOp that produces its value
    ops: list[QOp] = []
    by_name: dict[str, QOp] = {}
    layers: dict[str, QLayer] = {}
    users: dict[str, list[FloatNode]] = {n.name: [] for n in graph.nodes}
    for n in graph.nodes:
        for i in n.inputs:
            users[i].append(n)

    def resolve(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    def sole_user(producer_node_name: str) -> bool:
        return len(users[producer_node_name]) == 1 and producer_node_name not in graph.outputs

    def add(op: QOp) -> None:
        ops.append(op)
        by_name[op.name] = op

    for n in graph.nodes:
        if n.shape and n.kind != "input" and len(n.shape) >= 1 and n.shape[0] != 2:
            raise EdgekdError(f"{n.kind} at {n.where} changes the batch dimension (output shape {n.shape} for "
                              "a batch of 2); edgekd keeps dimension 0 as the batch")
        ins = [resolve(i) for i in n.inputs]
        if n.kind == "identity":
            alias[n.name] = ins[0]
            continue
        if n.kind == "input":
            add(QOp(n.name, "input", [], n.where, shape=n.shape))
            continue
        if n.kind in ("conv", "linear", "deconv"):
            key = f"l{len(layers)}"
            layers[key] = QLayer(n.module, None, n.module.out_features if n.kind == "linear" else n.module.out_channels)
            if n.kind == "linear" and len(n.shape) != 2:
                raise EdgekdError(f"Linear at {n.where} gets a rank-{len(n.shape)} input; edgekd exports Linear on "
                                  "[batch, features] tensors (flatten first)")
            add(QOp(n.name, n.kind, ins, n.where, shape=n.shape, key=key))
            continue
        prod = by_name.get(ins[0]) if ins else None
        prod_node = n.inputs[0] if n.inputs else ""
        if n.kind == "bn":
            if (prod is not None and prod.kind in ("conv", "linear", "deconv") and layers[prod.key].bn is None
                    and prod.act == "none" and not prod.hardsigmoid and sole_user(prod_node)):
                layers[prod.key].bn = n.module
                prod.where += f"+{n.where}"
                alias[n.name] = prod.name
                continue
            if len(n.shape) not in (2, 4):
                raise EdgekdError(f"BatchNorm at {n.where} on a rank-{len(n.shape)} tensor is not supported")
            key = f"l{len(layers)}"
            layers[key] = QLayer(None, n.module, n.shape[1])
            add(QOp(n.name, "affine", ins, n.where, shape=n.shape, key=key))
            continue
        if n.kind == "hardsigmoid":
            if (prod is not None and prod.kind in WEIGHTED and prod.act == "none" and not prod.hardsigmoid
                    and sole_user(prod_node)):
                prod.hardsigmoid = True
                prod.where += f"+{n.where}"
                alias[n.name] = prod.name
                continue
            if len(n.shape) not in (2, 4):
                raise EdgekdError(f"hardsigmoid at {n.where} on a rank-{len(n.shape)} tensor is not supported")
            key = f"l{len(layers)}"
            layers[key] = QLayer(None, None, n.shape[1])
            add(QOp(n.name, "affine", ins, n.where, shape=n.shape, key=key, hardsigmoid=True))
            continue
        if n.kind in ("relu", "relu6"):
            if (prod is not None and prod.kind in FUSABLE_ACT and prod.act == "none" and not prod.hardsigmoid
                    and sole_user(prod_node)):
                prod.act = n.kind
                prod.where += f"+{n.where}"
                alias[n.name] = prod.name
                continue
        _check_plain(n)
        add(QOp(n.name, n.kind, ins, n.where, attrs=dict(n.attrs), shape=n.shape))

    outputs = [resolve(o) for o in graph.outputs]
    input_op = ops[0]
    return QuantModel(ops, layers, input_op.name, outputs, tuple(input_op.shape[1:]))


def _check_plain(n: FloatNode) -> None:
    rank = len(n.shape)
    if (n.kind in ("maxpool", "avgpool", "resize") and rank != 4) or (n.kind == "mean" and rank not in (4, 2)):
        raise EdgekdError(f"{n.kind} at {n.where} needs a 4-D NCHW input (output shape {n.shape})")
    if n.kind == "mean":
        dims = tuple(sorted(d % 4 for d in n.attrs["dims"]))
        if dims != (2, 3):
            raise EdgekdError(f"mean at {n.where} over dims {n.attrs['dims']}; edgekd exports the mean over H and W")
    if n.kind == "cat":
        n.attrs["dim"] = n.attrs["dim"] % rank
        if n.attrs["dim"] == 0:
            raise EdgekdError(f"cat at {n.where} along the batch dimension is not supported")
    if n.kind == "softmax":
        dim = n.attrs.get("dim")
        if dim is None or dim % rank != (1 if rank == 4 else rank - 1):
            raise EdgekdError(f"softmax at {n.where} over dim {dim}; edgekd exports softmax over the last "
                              "(or, for NCHW, the channel) dimension")
