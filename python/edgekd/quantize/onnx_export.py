"""The same quantized model as a QDQ ONNX graph, so ONNX Runtime can run (and be benchmarked on) it.

QDQ format: float ops between QuantizeLinear/DequantizeLinear pairs that carry the int8 parameters; weights are
int8 initializers behind a per-channel DequantizeLinear, biases int32 at scale ``s_in * s_w``. ONNX Runtime fuses
these into its own integer kernels (QLinearConv, QGemm, ...). The layout stays NCHW, as in torch. The numbers are
the ones the .tflite gets: same weights, biases, scales and zero points.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import EdgekdError
from .fake_quant import quantize_bias, quantize_weight
from .qmodel import QOp, QuantModel

OPSET = 17


class _OnnxBuilder:
    def __init__(self, qm: QuantModel) -> None:
        from onnx import TensorProto, helper, numpy_helper

        self.helper, self.TP, self.nh = helper, TensorProto, numpy_helper
        self.qm = qm
        self.nodes: list = []
        self.inits: list = []
        self.names: dict[str, str] = {}  # QOp name -> float (dequantized) value name

    def const(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(self.nh.from_array(np.array(arr, copy=True, order="C"), name))  # keeps 0-d scalars 0-d
        return name

    def node(self, op_type: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=output, **attrs))
        return output

    def qdq(self, value: str, name: str) -> str:
        """Quantize ``value`` with tensor ``name``'s parameters and dequantize it again."""
        scale, zp = self.qm.qp(name)
        s = self.const(f"{name}/scale", np.array(scale, np.float32))
        z = self.const(f"{name}/zero_point", np.array(zp, np.int8))
        q = self.node("QuantizeLinear", [value, s, z], f"{name}/q")
        return self.node("DequantizeLinear", [q, s, z], f"{name}/dq")

    def weights(self, op: QOp, w_shape_fn=None, axis: int = 0) -> tuple[str, str]:
        ql = self.qm.layers[op.key]
        with torch.no_grad():
            w, b = ql.effective(op.hardsigmoid)
        wq, ws = quantize_weight(w)
        bq, bs = quantize_bias(b, self.qm.qp(op.inputs[0])[0], ws)
        wq_np = wq.numpy().astype(np.int8)
        if w_shape_fn is not None:
            wq_np = w_shape_fn(wq_np)
        wn = self.node("DequantizeLinear", [
            self.const(f"{op.name}/w_q", wq_np), self.const(f"{op.name}/w_scale", ws.numpy().astype(np.float32)),
            self.const(f"{op.name}/w_zp", np.zeros(len(ws), np.int8))], f"{op.name}/w", axis=axis)
        bn = self.node("DequantizeLinear", [
            self.const(f"{op.name}/b_q", bq.numpy().astype(np.int32)),
            self.const(f"{op.name}/b_scale", bs.numpy().astype(np.float32)),
            self.const(f"{op.name}/b_zp", np.zeros(len(bs), np.int32))], f"{op.name}/b", axis=0)
        return wn, bn

    def act(self, op: QOp, value: str) -> str:
        if op.act == "relu":
            return self.node("Relu", [value], f"{op.name}/relu")
        if op.act == "relu6":
            return self.node("Clip", [value, self.const(f"{op.name}/c0", np.array(0, np.float32)),
                                      self.const(f"{op.name}/c6", np.array(6, np.float32))], f"{op.name}/relu6")
        return value

    def build(self, batch: int | None):
        h, TP = self.helper, self.TP
        inp_op = self.qm.ops[0]
        in_shape = ["N" if batch is None else batch] + list(inp_op.shape[1:])
        graph_in = h.make_tensor_value_info(inp_op.name, TP.FLOAT, in_shape)
        for op in self.qm.ops:
            ins = [self.names[i] for i in op.inputs]
            k, a, o = op.kind, op.attrs, op.name
            if k == "input":
                y = op.name
            elif k == "conv":
                layer = self.qm.layers[op.key].layer
                w, b = self.weights(op)
                p = list(layer.padding)
                y = self.node("Conv", [ins[0], w, b], f"{o}/conv", strides=list(layer.stride), pads=p + p,
                              dilations=list(layer.dilation), group=layer.groups,
                              kernel_shape=list(layer.kernel_size))
                y = self.act(op, y)
            elif k == "deconv":  # ONNX keeps torch's [in, out, kh, kw] layout: channel scales on axis 1
                layer = self.qm.layers[op.key].layer
                w, b = self.weights(op, lambda q: np.ascontiguousarray(q.transpose(1, 0, 2, 3)), axis=1)
                p = list(layer.padding)
                y = self.node("ConvTranspose", [ins[0], w, b], f"{o}/deconv", strides=list(layer.stride),
                              pads=p + p, output_padding=list(layer.output_padding),
                              kernel_shape=list(layer.kernel_size))
            elif k == "resize":
                src = self.qm.op(op.inputs[0]).shape
                scales = np.array([1.0, 1.0] + [op.shape[i] / src[i] for i in (2, 3)], np.float32)
                mode = {"nearest": dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                                        nearest_mode="floor"),
                        "bilinear": dict(mode="linear", coordinate_transformation_mode="align_corners"
                                         if a["align_corners"] else "half_pixel")}[a["mode"]]
                y = self.node("Resize", [ins[0], "", self.const(f"{o}/scales", scales)], f"{o}/resize", **mode)
            elif k == "linear":
                w, b = self.weights(op)
                y = self.act(op, self.node("Gemm", [ins[0], w, b], f"{o}/gemm", transB=1))
            elif k == "affine":
                if len(op.shape) == 4:
                    w, b = self.weights(op, lambda q: q.reshape(-1, 1, 1, 1))
                    y = self.node("Conv", [ins[0], w, b], f"{o}/conv", group=int(op.shape[1]), kernel_shape=[1, 1])
                else:
                    w, b = self.weights(op, lambda q: np.diag(q).astype(np.int8))
                    y = self.node("Gemm", [ins[0], w, b], f"{o}/gemm", transB=1)
                y = self.act(op, y)
            elif k in ("add", "mul"):
                y = self.act(op, self.node("Add" if k == "add" else "Mul", ins, f"{o}/{k}"))
            elif k == "cat":
                y = self.node("Concat", ins, f"{o}/cat", axis=int(a["dim"]))
            elif k == "relu":
                y = self.node("Relu", ins, f"{o}/relu")
            elif k == "relu6":
                op.act = "relu6"
                y = self.act(op, ins[0])
                op.act = "none"
            elif k == "hardswish":
                y = self.node("HardSwish", ins, f"{o}/hardswish")
            elif k == "sigmoid":
                y = self.node("Sigmoid", ins, f"{o}/sigmoid")
            elif k == "softmax":
                y = self.node("Softmax", ins, f"{o}/softmax", axis=int(a["dim"]))
            elif k in ("maxpool", "avgpool"):
                p = list(a["padding"])
                kw = dict(kernel_shape=list(a["kernel"]), strides=list(a["stride"]), pads=p + p,
                          ceil_mode=int(a["ceil_mode"]))
                if k == "avgpool":
                    kw["count_include_pad"] = int(a["count_include_pad"])
                else:
                    kw["dilations"] = list(a["dilation"])
                y = self.node("MaxPool" if k == "maxpool" else "AveragePool", ins, f"{o}/{k}", **kw)
            elif k == "mean":
                y = self.node("GlobalAveragePool", ins, f"{o}/gap")
                if not a["keepdim"]:
                    y = self.node("Flatten", [y], f"{o}/flat", axis=1)
            elif k == "reshape":
                shape = self.const(f"{o}/shape", np.array([0] + list(op.shape[1:]), np.int64))
                y = self.node("Reshape", [ins[0], shape], f"{o}/reshape")
            else:
                raise EdgekdError(f"ONNX export: no mapping for {k} at {op.where}")
            self.names[o] = self.qdq(y, o)
        outputs = []
        for i, name in enumerate(self.qm.output_names):
            out_name = f"output_{i}" if len(self.qm.output_names) > 1 else "output"
            self.node("Identity", [self.names[name]], out_name)
            op = self.qm.op(name)
            outputs.append(h.make_tensor_value_info(out_name, TP.FLOAT, ["N" if batch is None else batch]
                                                    + list(op.shape[1:])))
        graph = h.make_graph(self.nodes, "edgekd", [graph_in], outputs, self.inits)
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", OPSET)], producer_name="edgekd")
        model.ir_version = 8
        return model


def to_onnx(qm: QuantModel, batch: int | None = None):
    """The QDQ ``onnx.ModelProto`` of a calibrated ``qm`` (dynamic batch when ``batch`` is None)."""
    if not qm.qparams:
        raise EdgekdError("the model is not calibrated: run PTQ calibration (or QAT) before ONNX export")
    import onnx

    model = _OnnxBuilder(qm).build(batch)
    onnx.checker.check_model(model)
    return model


def export_onnx(qm: QuantModel, path: str | Path, batch: int | None = None) -> Path:
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    onnx.save(to_onnx(qm, batch), str(tmp))
    tmp.replace(path)
    return path


def run_onnx(path: str | Path, x: np.ndarray) -> np.ndarray:
    """Outputs of the ONNX model on float NCHW inputs, with ONNX Runtime's CPU provider."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return sess.run(None, {name: np.ascontiguousarray(x, np.float32)})[0]
