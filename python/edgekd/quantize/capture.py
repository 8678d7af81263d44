"""Capture a PyTorch model as a flat list of float ops with torch.fx, restricted to what edgekd can quantize.

The result (``FloatGraph``) is a plain list of ``FloatNode`` in topological order; every later stage (BN
folding, fusion, calibration, QAT, export) works on it. Anything outside the supported subset fails here, with
an error that names the module type or function and where it sits in the model, so a user learns early and once
why a model cannot be exported.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp

from ..errors import EdgekdError

# Module types and the op kind each becomes. Dropout and Identity become "identity" and are removed later.
_MODULE_KINDS: dict[type, str] = {
    nn.Conv2d: "conv",
    nn.Linear: "linear",
    nn.BatchNorm2d: "bn",
    nn.BatchNorm1d: "bn",
    nn.ReLU: "relu",
    nn.ReLU6: "relu6",
    nn.Hardswish: "hardswish",
    nn.Hardsigmoid: "hardsigmoid",
    nn.Sigmoid: "sigmoid",
    nn.MaxPool2d: "maxpool",
    nn.AvgPool2d: "avgpool",
    nn.AdaptiveAvgPool2d: "mean",
    nn.Flatten: "reshape",
    nn.Softmax: "softmax",
    nn.Dropout: "identity",
    nn.Dropout2d: "identity",
    nn.Identity: "identity",
    nn.ConvTranspose2d: "deconv",
    nn.Upsample: "resize",
    nn.UpsamplingNearest2d: "resize",
    nn.UpsamplingBilinear2d: "resize",
}

_FUNCTION_KINDS: dict[Any, str] = {
    operator.add: "add", torch.add: "add", operator.iadd: "add",
    operator.mul: "mul", torch.mul: "mul", operator.imul: "mul",
    torch.cat: "cat", torch.concat: "cat",
    torch.flatten: "reshape", torch.reshape: "reshape",
    F.relu: "relu", torch.relu: "relu", F.relu6: "relu6",
    F.hardswish: "hardswish", F.hardsigmoid: "hardsigmoid",
    torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
    F.max_pool2d: "maxpool", F.avg_pool2d: "avgpool", F.adaptive_avg_pool2d: "mean",
    torch.mean: "mean", F.softmax: "softmax", torch.softmax: "softmax",
    F.dropout: "identity",
    F.interpolate: "resize",
}

_METHOD_KINDS: dict[str, str] = {
    "view": "reshape", "reshape": "reshape", "flatten": "reshape",
    "relu": "relu", "sigmoid": "sigmoid", "mean": "mean", "softmax": "softmax",
    "add": "add", "mul": "mul", "contiguous": "identity",
}

# Calls that produce integers (shapes) used only as arguments of view/reshape; they carry no data.
_SHAPE_METHODS = {"size", "dim"}


@dataclass
class FloatNode:
    """One op of the captured float graph. ``inputs`` name producing nodes; ``where`` is the qualified module
    path (for modules) or the fx node name, used in every error message about this op."""

    name: str
    kind: str
    inputs: list[str]
    where: str
    module: nn.Module | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    shape: tuple[int, ...] = ()  # output shape seen with the example input (batch included)


@dataclass
class FloatGraph:
    nodes: list[FloatNode]
    inputs: list[str]
    outputs: list[str]

    def node(self, name: str) -> FloatNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def users(self, name: str) -> list[FloatNode]:
        users = [n for n in self.nodes if name in n.inputs]
        return users


def _describe_target(node: torch.fx.Node) -> str:
    t = node.target
    if callable(t):
        mod = getattr(t, "__module__", None) or ""
        return f"{mod}.{getattr(t, '__name__', repr(t))}".lstrip(".")
    return str(t)


def trace(model: nn.Module) -> torch.fx.GraphModule:
    """torch.fx symbolic trace, with the reason spelled out when the model is not traceable."""
    try:
        return torch.fx.symbolic_trace(model)
    except Exception as e:  # fx raises TraceError, TypeError, RuntimeError... depending on the construct
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise EdgekdError(
            f"model {type(model).__name__} is not traceable by torch.fx ({type(e).__name__}: {reason}); "
            "edgekd needs a static graph: no Python control flow or shape arithmetic on tensor values in "
            "forward(), and no calls into non-torch code with traced tensors"
        ) from e


def capture(model: nn.Module, example_input: torch.Tensor) -> FloatGraph:
    """Trace ``model`` and map every node to a supported op kind.

    ``example_input`` fixes the static shapes that the exported file will have (its batch dimension included).
    """
    gm = trace(model)
    was_training = model.training
    gm.eval()
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(example_input)
    except EdgekdError:
        raise
    except Exception as e:
        raise EdgekdError(
            f"model {type(model).__name__} failed on an example input of shape {tuple(example_input.shape)}: "
            f"{type(e).__name__}: {e}"
        ) from e
    finally:
        model.train(was_training)

    modules = dict(gm.named_modules())
    nodes: list[FloatNode] = []
    inputs: list[str] = []
    outputs: list[str] = []
    shape_nodes: set[str] = set()
    for node in gm.graph.nodes:
        meta = node.meta.get("tensor_meta")
        shape = tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else ()
        tensor_args = _tensor_args(node, shape_nodes)
        if node.op == "placeholder":
            inputs.append(node.name)
            nodes.append(FloatNode(node.name, "input", [], node.name, shape=shape))
        elif node.op == "output":
            outs = node.args[0]
            outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
            for o in outs:
                if not isinstance(o, torch.fx.Node):
                    raise EdgekdError(f"model output {o!r} is not a tensor computed by the model")
                outputs.append(o.name)
        elif node.op == "call_module":
            mod = modules[node.target]
            kind = _MODULE_KINDS.get(type(mod))
            if kind is None:
                raise EdgekdError(
                    f"unsupported module {type(mod).__module__}.{type(mod).__name__} at '{node.target}' "
                    f"(fx node {node.name}); edgekd quantizes Conv2d, Linear, BatchNorm, ReLU, ReLU6, Hardswish, "
                    "Hardsigmoid, Sigmoid, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), Flatten, Softmax, Dropout, "
                    "Identity, ConvTranspose2d, Upsample, add, mul and cat"
                )
            attrs = _module_attrs(kind, mod, node.target)
            nodes.append(FloatNode(node.name, kind, tensor_args, node.target, mod, attrs, shape))
        elif node.op == "call_function" or node.op == "call_method":
            if node.op == "call_method" and node.target in _SHAPE_METHODS:
                shape_nodes.add(node.name)
                continue
            if node.op == "call_function" and node.target is getattr and node.args[1] == "shape":
                shape_nodes.add(node.name)
                continue
            if node.op == "call_function" and node.target is operator.getitem and (
                isinstance(node.args[0], torch.fx.Node) and node.args[0].name in shape_nodes
            ):
                shape_nodes.add(node.name)
                continue
            kind = (_FUNCTION_KINDS if node.op == "call_function" else _METHOD_KINDS).get(node.target)
            if kind is None:
                what = _describe_target(node) if node.op == "call_function" else f"Tensor.{node.target}"
                raise EdgekdError(f"unsupported {node.op.replace('call_', '')} {what} at fx node {node.name} "
                                  f"(args {_fmt_args(node)})")
            attrs = _call_attrs(kind, node)
            nodes.append(FloatNode(node.name, kind, tensor_args, node.name, None, attrs, shape))
        elif node.op == "get_attr":
            raise EdgekdError(
                f"unsupported direct use of parameter or buffer '{node.target}' at fx node {node.name}; "
                "edgekd needs weights inside Conv2d/Linear/BatchNorm modules"
            )
    if len(inputs) != 1:
        raise EdgekdError(f"edgekd exports models with exactly one input; this one has {len(inputs)}: {inputs}")
    graph = FloatGraph(nodes, inputs, outputs)
    _check_binary_inputs(graph)
    return graph


def _tensor_args(node: torch.fx.Node, shape_nodes: set[str]) -> list[str]:
    """Tensor inputs in argument order, duplicates kept (``x + x`` has two inputs; fx's all_input_nodes
    would give one)."""
    found: list[str] = []

    def visit(a: Any) -> None:
        if isinstance(a, torch.fx.Node):
            if a.name not in shape_nodes:
                found.append(a.name)
        elif isinstance(a, (list, tuple)):
            for b in a:
                visit(b)
        elif isinstance(a, dict):
            for b in a.values():
                visit(b)

    visit(node.args)
    visit(node.kwargs)
    return found


def _fmt_args(node: torch.fx.Node) -> str:
    return ", ".join(a.name if isinstance(a, torch.fx.Node) else repr(a) for a in node.args)


def _module_attrs(kind: str, mod: nn.Module, where: str) -> dict[str, Any]:
    if kind == "conv":
        if mod.padding_mode != "zeros":
            raise EdgekdError(f"unsupported Conv2d padding_mode '{mod.padding_mode}' at '{where}' (only zeros)")
        if isinstance(mod.padding, str):
            raise EdgekdError(f"unsupported Conv2d padding='{mod.padding}' at '{where}'; give explicit padding")
        g, cin, cout = mod.groups, mod.in_channels, mod.out_channels
        if g != 1 and not (g == cin and cout % cin == 0):
            raise EdgekdError(
                f"unsupported grouped Conv2d at '{where}' (groups={g}, in={cin}, out={cout}); "
                "edgekd exports groups=1 or depthwise (groups == in_channels)"
            )
        return {}
    if kind == "deconv":
        if mod.padding_mode != "zeros" or mod.groups != 1 or _pair(mod.dilation) != (1, 1):
            raise EdgekdError(f"unsupported ConvTranspose2d at '{where}' (groups={mod.groups}, dilation="
                              f"{mod.dilation}, padding_mode='{mod.padding_mode}'); edgekd exports groups=1, "
                              "dilation 1, zero padding (TFLite's TRANSPOSE_CONV)")
        return {}
    if kind == "resize":
        return _resize_attrs(mod.mode, mod.align_corners, False, f"'{where}'")
    if kind in ("maxpool", "avgpool"):
        return {"kernel": _pair(mod.kernel_size), "stride": _pair(mod.stride or mod.kernel_size),
                "padding": _pair(mod.padding), "ceil_mode": bool(mod.ceil_mode),
                "count_include_pad": bool(getattr(mod, "count_include_pad", True)),
                "dilation": _pair(getattr(mod, "dilation", 1))}
    if kind == "mean":
        size = mod.output_size
        if _pair(size) != (1, 1):
            raise EdgekdError(f"unsupported AdaptiveAvgPool2d(output_size={size}) at '{where}'; only 1 is exported")
        return {"dims": (2, 3), "keepdim": True}
    if kind == "softmax":
        return {"dim": mod.dim}
    if kind == "reshape":
        return {}
    return {}


def _call_attrs(kind: str, node: torch.fx.Node) -> dict[str, Any]:
    args, kwargs = node.args, node.kwargs
    if kind in ("maxpool", "avgpool"):
        names = ["input", "kernel_size", "stride", "padding"]
        vals = dict(zip(names, args))
        vals.update(kwargs)
        k = _pair(vals["kernel_size"])
        s = _pair(vals.get("stride") or k)
        return {"kernel": k, "stride": s, "padding": _pair(vals.get("padding", 0)),
                "ceil_mode": bool(vals.get("ceil_mode", False)),
                "count_include_pad": bool(vals.get("count_include_pad", True)),
                "dilation": _pair(vals.get("dilation", 1))}
    if kind == "mean":
        if node.target is F.adaptive_avg_pool2d:
            size = args[1] if len(args) > 1 else kwargs.get("output_size")
            if _pair(size) != (1, 1):
                raise EdgekdError(f"unsupported adaptive_avg_pool2d(output_size={size}) at fx node {node.name}")
            return {"dims": (2, 3), "keepdim": True}
        dims = args[1] if len(args) > 1 else kwargs.get("dim")
        keep = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
        return {"dims": dims, "keepdim": bool(keep)}
    if kind == "resize":
        names = ["input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"]
        vals = dict(zip(names, args))
        vals.update(kwargs)
        return _resize_attrs(vals.get("mode", "nearest"), vals.get("align_corners"), bool(vals.get("antialias")),
                             f"fx node {node.name}")
    if kind == "cat":
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        return {"dim": int(dim)}
    if kind == "softmax":
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        return {"dim": dim}
    if kind in ("add", "mul"):
        tensors = [a for a in list(args[:2]) if isinstance(a, torch.fx.Node)]
        others = [a for a in list(args[:2]) if not isinstance(a, torch.fx.Node)]
        if len(tensors) != 2 or others or kwargs.get("alpha", 1) != 1:
            raise EdgekdError(
                f"unsupported {kind} at fx node {node.name} (args {_fmt_args(node)}); edgekd exports "
                f"{kind} of two tensors computed by the model, not with Python scalars or constants"
            )
        return {}
    if kind in ("relu", "relu6", "sigmoid", "hardswish", "hardsigmoid") and kwargs.get("inplace"):
        return {}
    return {}


def _resize_attrs(mode: str, align_corners: bool | None, antialias: bool, where: str) -> dict[str, Any]:
    """An upsampling's interpolation; its output size is the node's shape. Nearest is torch's legacy
    'nearest' (TFLite's RESIZE_NEAREST_NEIGHBOR without half-pixel centers), bilinear maps onto
    RESIZE_BILINEAR with half-pixel centers (align_corners=False) or with align_corners."""
    if mode not in ("nearest", "bilinear") or antialias:
        raise EdgekdError(f"unsupported upsampling mode '{mode}'{' with antialias' if antialias else ''} at "
                          f"{where}; edgekd exports 'nearest' and 'bilinear'")
    return {"mode": mode, "align_corners": bool(align_corners) and mode == "bilinear"}


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        return (int(v[0]), int(v[1]))
    return (int(v), int(v))


def _check_binary_inputs(graph: FloatGraph) -> None:
    for n in graph.nodes:
        if n.kind in ("add", "mul") and len(n.inputs) != 2:
            raise EdgekdError(f"unsupported {n.kind} at {n.where}: needs two tensor inputs, got {len(n.inputs)}")
        if n.kind == "cat" and len(n.inputs) < 1:
            raise EdgekdError(f"unsupported cat at {n.where}: no tensor inputs")
