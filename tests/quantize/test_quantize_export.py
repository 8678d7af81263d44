"""Exported files load in LiteRT's builtin kernels and compute what the int8 simulation computes; they equal
edgekd's runtime when it is built. The graph has the fusions TFLite's converter would make."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from edgekd.quantize.export import export_tflite, to_ir
from edgekd.quantize.ptq import quantize_ptq
from edgekd.tflite import read_tflite
from quantize_helpers import edgekd_runtime, litert_run, randomize_bn, sqnr
from quantize_models import MLPBN, Branchy, FlatMLP, MobileV3ish, Pools

CASES = {
    "mobilev3ish": (MobileV3ish, (1, 12, 12)),
    "branchy": (Branchy, (3, 16, 16)),
    "mlp_bn": (MLPBN, (1, 8, 8)),
    "pools": (Pools, (2, 10, 10)),
    "flat_mlp": (FlatMLP, (20,)),
}


def _quantized(name: str, observer: str = "minmax"):
    cls, shape = CASES[name]
    torch.manual_seed(0)
    model = randomize_bn(cls())
    calib = [torch.randn((16,) + shape) for _ in range(4)]
    qm = quantize_ptq(model, calib, calib_batches=4, observer=observer)
    x = torch.randn((8,) + shape)
    return model, qm, x


@pytest.mark.parametrize("name", sorted(CASES))
def test_litert_runs_the_file_like_the_simulation(name):
    model, qm, x = _quantized(name)
    blob = export_tflite(qm)
    with torch.no_grad():
        sim = qm(x).numpy()
        ref = model(x).numpy()
    got = litert_run(blob, x.numpy())
    step = qm.qp(qm.output_names[0])[0]
    diff = np.abs(got - sim) / step
    # The simulation rounds exactly; LiteRT requantizes in fixed point, and its int8 MEAN rounds some values
    # with a fractional part of ~0.44 up (measured), so a step here and there can differ, and one step
    # in a mean can move the next layer's output by one step.
    assert diff.max() <= 2.0 + 1e-4, f"{name}: {diff.max()} steps apart"
    assert diff.mean() <= 0.5, f"{name}: mean difference {diff.mean()} steps"
    assert sqnr(ref, got) >= 25.0


@pytest.mark.parametrize("name", sorted(CASES))
def test_edgekd_runtime_equals_litert(name, tmp_path):
    load = edgekd_runtime()
    if load is None:
        pytest.skip("edgekd's native runtime (edgekd.load) is not built in this install")
    _, qm, x = _quantized(name)
    blob = export_tflite(qm, int8_io=True)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(blob)
    from edgekd.testing import litert

    gq = to_ir(qm, int8_io=True)[0]
    s, zp = float(gq.tensors[gq.inputs[0]].quant.scale[0]), int(gq.tensors[gq.inputs[0]].quant.zero_point[0])
    xn = x.numpy().transpose(0, 2, 3, 1) if x.dim() == 4 else x.numpy()
    xq = np.clip(np.round(xn / s) + zp, -128, 127).astype(np.int8)
    model = load(str(path))
    for i in range(len(xq)):
        want = litert.run(blob, [xq[i:i + 1]])[0]
        got = np.asarray(model(xq[i:i + 1]))
        assert got.dtype == np.int8
        np.testing.assert_array_equal(got, want, err_msg=f"{name}: sample {i}")


def test_fusions_and_layout_in_the_written_file():
    _, qm, _ = _quantized("mobilev3ish")
    g = read_tflite(export_tflite(qm))
    types = [op.type for op in g.ops]
    assert types == ["QUANTIZE", "CONV_2D", "PAD", "DEPTHWISE_CONV_2D", "CONV_2D", "HARD_SWISH", "MEAN", "CONV_2D",
                     "CONV_2D", "MUL", "MAX_POOL_2D", "CONV_2D", "LOGISTIC", "ADD", "RESHAPE",
                     "FULLY_CONNECTED", "DEQUANTIZE"]
    opts = [g.options_with_defaults(op) for op in g.ops]
    assert opts[1]["fused_activation_function"] == "RELU"  # BN folded, ReLU fused
    assert opts[3]["fused_activation_function"] == "RELU6" and opts[3]["padding"] == "VALID"
    assert opts[1]["padding"] == "SAME"  # 3x3 stride 1 padding 1 is TFLite's SAME
    t = {x.name: x for x in g.tensors}
    assert t["c1/weights"].shape == (8, 3, 3, 1) and t["c1/weights"].quant.quantized_dimension == 0
    assert t["dw/weights"].shape == (1, 3, 3, 8) and t["dw/weights"].quant.quantized_dimension == 3
    assert t["fc/weights"].shape == (10, 144) and t["fc/weights"].quant.per_channel_count == 10
    w = t["c1/weights"].data
    assert w.dtype == np.int8 and w.min() >= -127 and np.abs(w).max(axis=(1, 2, 3)).min() == 127
    bias = t["c1/bias"]
    assert bias.dtype == "int32" and np.allclose(
        bias.quant.scale, t["x"].quant.scale[0] * t["c1/weights"].quant.scale, rtol=1e-6)
    assert (t["sig"].quant.scale[0], t["sig"].quant.zero_point[0]) == (np.float32(1 / 256), -128)
    assert (t["se_fc2"].quant.scale[0], t["se_fc2"].quant.zero_point[0]) == (np.float32(1 / 255), -128)
    assert t["mp"].quant == t["mul"].quant  # pooling keeps its input's parameters
    assert g.tensors[g.inputs[0]].dtype == "float32" and g.tensors[g.inputs[0]].shape == (1, 12, 12, 1)


def test_standalone_ops_and_explicit_pads():
    _, qm, _ = _quantized("branchy")
    types = [op.type for op in read_tflite(export_tflite(qm)).ops]
    assert types == ["QUANTIZE", "CONV_2D", "CONV_2D", "ADD", "CONV_2D", "CONCATENATION", "RELU",
                     "DEPTHWISE_CONV_2D", "PAD", "AVERAGE_POOL_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN",
                     "RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX", "DEQUANTIZE"]
    _, qm, _ = _quantized("pools")
    g = read_tflite(export_tflite(qm))
    pools = [g.options_with_defaults(op)["padding"] for op in g.ops if op.type == "MAX_POOL_2D"]
    assert pools == ["SAME", "VALID"] and [op.type for op in g.ops].count("PAD") == 1
    gate = next(op for op in g.ops if op.type == "DEPTHWISE_CONV_2D")  # the standalone hard-sigmoid
    out = g.tensors[gate.outputs[0]].quant
    assert (out.scale[0], out.zero_point[0]) == (np.float32(1 / 255), -128)


def test_int8_edges():
    _, qm, x = _quantized("mlp_bn")
    g = read_tflite(export_tflite(qm, int8_io=True))
    assert g.tensors[g.inputs[0]].dtype == "int8" and g.tensors[g.outputs[0]].dtype == "int8"
    assert [op.type for op in g.ops] == ["RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED"]


def test_export_before_calibration_is_refused():
    from edgekd.errors import EdgekdError
    from edgekd.quantize.qmodel import build

    with pytest.raises(EdgekdError, match="not calibrated"):
        export_tflite(build(MLPBN().eval(), torch.zeros(1, 1, 8, 8)))


def test_flattened_map_feeding_something_else_than_linear_is_refused():
    from edgekd.errors import EdgekdError

    class FlatAdd(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c = torch.nn.Conv2d(1, 2, 1)

        def forward(self, x):
            y = torch.flatten(self.c(x), 1)
            return torch.cat([y, y], 1)

    qm = quantize_ptq(FlatAdd().eval(), [torch.randn(4, 1, 3, 3)], calib_batches=1)
    with pytest.raises(EdgekdError, match=r"cat at cat consumes a flattened 2x3x3 feature map"):
        export_tflite(qm)
