"""The same network for the peer runtimes: an int8 ir.Graph turned into its float twin (weights
dequantized) as a PyTorch module (PyTorch fp32) and as ONNX, which ONNX Runtime's own quantize_static
turns into an int8 QDQ model. 4-D activations are NCHW inside both, as those runtimes prefer."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import ir
from ..errors import EdgekdError

_ACTS = {"NONE": None, "RELU": (0.0, None), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}


def _const(g: ir.Graph, i: int) -> np.ndarray:
    t = g.tensors[i]
    if t.data is None:
        raise EdgekdError(f"tensor {i} ({t.name}) should be a constant")
    if t.dtype == "int32" and t.quant is not None:
        return (t.quant.scale.astype(np.float64) * t.data.astype(np.float64)).astype(np.float32)
    if t.quant is not None and t.dtype in ("int8", "uint8", "int16"):
        return t.quant.dequantize(t.data)
    return np.asarray(t.data)


def _bias(g: ir.Graph, op: ir.Op, n: int) -> np.ndarray:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        return _const(g, op.inputs[2]).reshape(-1)
    return np.zeros(n, np.float32)


def _same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    eff = (k - 1) * d + 1
    out = (size + s - 1) // s
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def _nchw_axis(axis: int, rank: int) -> int:
    axis = axis % rank
    return {0: 0, 1: 2, 2: 3, 3: 1}[axis] if rank == 4 else axis


# --- PyTorch fp32 --------------------------------------------------------------------------------

def to_torch(g: ir.Graph):
    """A torch.nn.Module computing g in float32; input and output NHWC like the .tflite."""
    import torch
    import torch.nn.functional as F

    steps = []  # (callable(env)) in order
    params = torch.nn.ParameterList()

    def P(a: np.ndarray):
        p = torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(a, np.float32)), requires_grad=False)
        params.append(p)
        return p

    def act(y, name):
        lim = _ACTS[name]
        if lim is None:
            return y
        return torch.clamp(y, min=lim[0], max=lim[1])

    def spatial_pad(x, op, kh, kw):
        o = {**ir.OPTION_DEFAULTS.get(op.type, {}), **op.options}
        if o.get("padding", "VALID") != "SAME":
            return x
        dh, dw = int(o.get("dilation_h_factor", 1)), int(o.get("dilation_w_factor", 1))
        t, b = _same_pads(x.shape[2], kh, int(o["stride_h"]), dh)
        l, r = _same_pads(x.shape[3], kw, int(o["stride_w"]), dw)
        return F.pad(x, (l, r, t, b)) if (t or b or l or r) else x

    for op in g.ops:
        o = {**ir.OPTION_DEFAULTS.get(op.type, {}), **op.options}
        ins, out = op.inputs, op.outputs[0]
        rank_out = len(g.tensors[out].shape)
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w = _const(g, ins[1])
            if op.type == "CONV_2D":
                wt, groups = w.transpose(0, 3, 1, 2), 1                # OHWI -> OIHW
            else:
                wt = w.transpose(3, 0, 1, 2)                           # 1HWC -> C1HW
                groups = g.tensors[ins[0]].shape[3]
            W, B = P(wt), P(_bias(g, op, wt.shape[0]))
            kh, kw = wt.shape[2], wt.shape[3]

            def f(env, ins=ins, W=W, B=B, o=o, groups=groups, kh=kh, kw=kw, op=op):
                x = spatial_pad(env[ins[0]], op, kh, kw)
                y = F.conv2d(x, W, B, stride=(int(o["stride_h"]), int(o["stride_w"])),
                             dilation=(int(o["dilation_h_factor"]), int(o["dilation_w_factor"])), groups=groups)
                return act(y, o["fused_activation_function"])
        elif op.type == "FULLY_CONNECTED":
            W = P(_const(g, ins[1]))
            B = P(_bias(g, op, W.shape[0]))

            def f(env, ins=ins, W=W, B=B, o=o):
                x = env[ins[0]]
                if x.dim() == 4:
                    x = x.permute(0, 2, 3, 1)
                return act(F.linear(x.reshape(-1, W.shape[1]), W, B), o["fused_activation_function"])
        elif op.type in ("ADD", "MUL"):
            consts = {i: P(_nchw_const(g, i)) for i in ins if g.tensors[i].data is not None}

            def f(env, ins=ins, o=o, consts=consts, mul=op.type == "MUL"):
                a, b = (consts.get(i, env.get(i)) for i in ins[:2])
                return act(a * b if mul else a + b, o.get("fused_activation_function", "NONE"))
        elif op.type in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
            def f(env, ins=ins, o=o, op=op):
                kh, kw = int(o["filter_height"]), int(o["filter_width"])
                x = env[ins[0]]
                if o.get("padding") == "SAME":
                    t, b = _same_pads(x.shape[2], kh, int(o["stride_h"]), 1)
                    l, r = _same_pads(x.shape[3], kw, int(o["stride_w"]), 1)
                    if op.type == "MAX_POOL_2D":
                        x = F.pad(x, (l, r, t, b), value=float("-inf"))
                    else:  # TFLite averages over in-bounds taps only
                        ones = F.pad(torch.ones_like(x[:, :1]), (l, r, t, b))
                        s = F.avg_pool2d(F.pad(x, (l, r, t, b)), (kh, kw), (int(o["stride_h"]), int(o["stride_w"])))
                        c = F.avg_pool2d(ones, (kh, kw), (int(o["stride_h"]), int(o["stride_w"])))
                        return act(s / c, o["fused_activation_function"])
                pool = F.max_pool2d if op.type == "MAX_POOL_2D" else F.avg_pool2d
                return act(pool(x, (kh, kw), (int(o["stride_h"]), int(o["stride_w"]))), o["fused_activation_function"])
        elif op.type == "MEAN":
            axes = [int(a) for a in np.asarray(_const(g, ins[1])).reshape(-1)]
            rank = len(g.tensors[ins[0]].shape)
            dims = sorted(_nchw_axis(a, rank) for a in axes)

            def f(env, ins=ins, dims=dims, keep=bool(o.get("keep_dims", False))):
                return env[ins[0]].mean(dim=dims, keepdim=keep)
        elif op.type == "PAD":
            p = np.asarray(_const(g, ins[1])).astype(int)

            def f(env, ins=ins, p=p):
                return F.pad(env[ins[0]], (p[2][0], p[2][1], p[1][0], p[1][1]))
        elif op.type == "CONCATENATION":
            rank = len(g.tensors[out].shape)

            def f(env, ins=ins, dim=_nchw_axis(int(o["axis"]), rank), o=o):
                return act(torch.cat([env[i] for i in ins], dim=dim), o.get("fused_activation_function", "NONE"))
        elif op.type == "RESHAPE":
            shape = g.tensors[out].shape

            def f(env, ins=ins, shape=shape):
                x = env[ins[0]]
                if x.dim() == 4:
                    x = x.permute(0, 2, 3, 1)
                y = x.reshape(shape)
                return y.permute(0, 3, 1, 2) if len(shape) == 4 else y
        elif op.type in ("SOFTMAX", "LOGISTIC", "HARD_SWISH", "RELU", "RELU6", "QUANTIZE", "DEQUANTIZE"):
            fn = {"SOFTMAX": lambda x, b=float(o.get("beta", 1.0)): torch.softmax(x * b, dim=-1 if x.dim() != 4 else 1),
                  "LOGISTIC": torch.sigmoid, "HARD_SWISH": F.hardswish, "RELU": F.relu,
                  "RELU6": F.relu6, "QUANTIZE": lambda x: x, "DEQUANTIZE": lambda x: x}[op.type]

            def f(env, ins=ins, fn=fn):
                return fn(env[ins[0]])
        else:
            raise EdgekdError(f"op {op.type} has no float twin for the peer benchmarks")
        steps.append((f, out, rank_out))

    in_idx, out_idx = g.inputs[0], g.outputs[0]

    class FloatTwin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.params = params

        def forward(self, x):
            env = {in_idx: x.permute(0, 3, 1, 2) if x.dim() == 4 else x}
            for f, o, _ in steps:
                env[o] = f(env)
            y = env[out_idx]
            return y.permute(0, 2, 3, 1) if y.dim() == 4 else y

    m = FloatTwin().eval()
    m.edgekd_input_shape = tuple(g.tensors[in_idx].shape)
    return m


def _nchw_const(g: ir.Graph, i: int) -> np.ndarray:
    a = _const(g, i)
    return a.transpose(0, 3, 1, 2) if a.ndim == 4 else a


# --- ONNX (float, then ONNX Runtime's own int8 QDQ) ------------------------------------------------

def to_onnx_float(g: ir.Graph, opset: int = 17):
    """The float twin as an onnx.ModelProto (NCHW inside, NHWC at the edges like the .tflite)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    names: dict[int, str] = {}
    counter = [0]

    def fresh(base: str) -> str:
        counter[0] += 1
        return f"{base}_{counter[0]}"

    def const(a: np.ndarray, base: str, dtype=np.float32) -> str:
        n = fresh(base)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(a, dtype), n))
        return n

    def node(op_type: str, inputs: list[str], **attrs) -> str:
        y = fresh(op_type.lower())
        nodes.append(helper.make_node(op_type, inputs, [y], **attrs))
        return y

    def act(y: str, name: str) -> str:
        lim = _ACTS[name]
        if lim is None:
            return y
        if lim == (0.0, None):
            return node("Relu", [y])
        return node("Clip", [y, const(np.array(lim[0]), "lo"), const(np.array(lim[1]), "hi")])

    def shape_of(i: int) -> tuple[int, ...]:
        return tuple(g.tensors[i].shape)

    def nchw_shape(i: int) -> tuple[int, ...]:
        s = shape_of(i)
        return (s[0], s[3], s[1], s[2]) if len(s) == 4 else s

    def get(i: int) -> str:
        if i in names:
            return names[i]
        return const(_nchw_const(g, i), "c")

    x_in = g.inputs[0]
    names[x_in] = node("Transpose", ["input"], perm=[0, 3, 1, 2]) if len(shape_of(x_in)) == 4 else "input"
    for op in g.ops:
        o = {**ir.OPTION_DEFAULTS.get(op.type, {}), **op.options}
        ins, out = op.inputs, op.outputs[0]
        fa = o.get("fused_activation_function", "NONE")
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w = _const(g, ins[1])
            if op.type == "CONV_2D":
                wt, group = w.transpose(0, 3, 1, 2), 1
            else:
                wt, group = w.transpose(3, 0, 1, 2), shape_of(ins[0])[3]
            kh, kw = wt.shape[2], wt.shape[3]
            sh, sw = int(o["stride_h"]), int(o["stride_w"])
            dh, dw = int(o["dilation_h_factor"]), int(o["dilation_w_factor"])
            H, W_ = shape_of(ins[0])[1], shape_of(ins[0])[2]
            pads = [0, 0, 0, 0]
            if o["padding"] == "SAME":
                t, b = _same_pads(H, kh, sh, dh)
                l, r = _same_pads(W_, kw, sw, dw)
                pads = [t, l, b, r]
            y = node("Conv", [get(ins[0]), const(wt, "w"), const(_bias(g, op, wt.shape[0]), "b")],
                     strides=[sh, sw], dilations=[dh, dw], pads=pads, group=group, kernel_shape=[kh, kw])
            y = act(y, fa)
        elif op.type == "FULLY_CONNECTED":
            w = _const(g, ins[1])
            x = get(ins[0])
            if len(shape_of(ins[0])) == 4:
                x = node("Transpose", [x], perm=[0, 2, 3, 1])
            if len(shape_of(ins[0])) != 2:
                x = node("Reshape", [x, const(np.array([-1, w.shape[1]]), "s", np.int64)])
            y = act(node("Gemm", [x, const(w, "w"), const(_bias(g, op, w.shape[0]), "b")], transB=1), fa)
        elif op.type in ("ADD", "MUL"):
            y = act(node("Add" if op.type == "ADD" else "Mul", [get(ins[0]), get(ins[1])]), fa)
        elif op.type in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
            kh, kw, sh, sw = (int(o[k]) for k in ("filter_height", "filter_width", "stride_h", "stride_w"))
            pads = [0, 0, 0, 0]
            if o["padding"] == "SAME":
                t, b = _same_pads(shape_of(ins[0])[1], kh, sh, 1)
                l, r = _same_pads(shape_of(ins[0])[2], kw, sw, 1)
                pads = [t, l, b, r]
            kind = "MaxPool" if op.type == "MAX_POOL_2D" else "AveragePool"
            extra = {} if kind == "MaxPool" else {"count_include_pad": 0}
            y = act(node(kind, [get(ins[0])], kernel_shape=[kh, kw], strides=[sh, sw], pads=pads, **extra), fa)
        elif op.type == "MEAN":
            axes = sorted(_nchw_axis(int(a), len(shape_of(ins[0]))) for a in np.asarray(_const(g, ins[1])).reshape(-1))
            keep = int(bool(o.get("keep_dims", False)))
            if axes == [2, 3] and keep:
                y = node("GlobalAveragePool", [get(ins[0])])
            else:
                y = node("ReduceMean", [get(ins[0])], axes=axes, keepdims=keep)  # opset 17: axes attribute
        elif op.type == "PAD":
            p = np.asarray(_const(g, ins[1])).astype(np.int64)
            pp = [p[0][0], p[3][0], p[1][0], p[2][0], p[0][1], p[3][1], p[1][1], p[2][1]]
            y = node("Pad", [get(ins[0]), const(np.array(pp), "pads", np.int64)])
        elif op.type == "CONCATENATION":
            y = act(node("Concat", [get(i) for i in ins], axis=_nchw_axis(int(o["axis"]), len(shape_of(out)))), fa)
        elif op.type == "RESHAPE":
            x = get(ins[0])
            if len(shape_of(ins[0])) == 4:
                x = node("Transpose", [x], perm=[0, 2, 3, 1])
            y = node("Reshape", [x, const(np.array(shape_of(out)), "s", np.int64)])
            if len(shape_of(out)) == 4:
                y = node("Transpose", [y], perm=[0, 3, 1, 2])
        elif op.type == "SOFTMAX":
            y = get(ins[0])
            if float(o.get("beta", 1.0)) != 1.0:
                y = node("Mul", [y, const(np.array(float(o["beta"])), "beta")])
            y = node("Softmax", [y], axis=-1 if len(shape_of(out)) != 4 else 1)
        elif op.type in ("LOGISTIC", "HARD_SWISH", "RELU", "RELU6", "QUANTIZE", "DEQUANTIZE"):
            x = get(ins[0])
            if op.type == "RELU6":
                y = act(x, "RELU6")
            elif op.type in ("QUANTIZE", "DEQUANTIZE"):
                y = node("Identity", [x])
            else:
                y = node({"LOGISTIC": "Sigmoid", "HARD_SWISH": "HardSwish", "RELU": "Relu"}[op.type], [x])
        else:
            raise EdgekdError(f"op {op.type} has no float twin for the peer benchmarks")
        names[out] = y
    y = names[g.outputs[0]]
    if len(shape_of(g.outputs[0])) == 4:
        y = node("Transpose", [y], perm=[0, 2, 3, 1])
    nodes.append(helper.make_node("Identity", [y], ["output"]))
    graph = helper.make_graph(
        nodes, g.name or "edgekd",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(shape_of(x_in)))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(shape_of(g.outputs[0])))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model


def to_onnx_qdq(g: ir.Graph, path: Path, calib_batches: int = 8, seed: int = 0) -> Path:
    """ONNX Runtime int8 (QDQ, per-channel weights) from its own quantize_static over random calibration
    inputs drawn from the .tflite input's real range."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    path = Path(path)
    float_path = path.with_suffix(".float.onnx")
    onnx.save(to_onnx_float(g), float_path)
    t = g.tensors[g.inputs[0]]
    lo, hi = 0.0, 1.0
    if t.quant is not None and t.dtype == "int8":
        s, zp = float(t.quant.scale[0]), int(t.quant.zero_point[0])
        lo, hi = s * (-128 - zp), s * (127 - zp)
    rng = np.random.default_rng(seed)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"input": rng.uniform(lo, hi, t.shape).astype(np.float32)}
                            for _ in range(calib_batches)])

        def get_next(self):
            return next(self.it, None)

    quantize_static(str(float_path), str(path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    float_path.unlink(missing_ok=True)
    return path
