"""The QDQ ONNX export carries the same quantization as the .tflite.

With graph optimizations off, ONNX Runtime evaluates the QDQ graph literally, which must equal the int8
simulation. With them on (the default), ONNX Runtime fuses QDQ into its own int8 kernels; on x86 without VNNI
those use u8 x s8 pairs that saturate int16 for full-range 8-bit weights (ONNX Runtime's documented
reduce_range caveat), so only a looser bound holds there.
"""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from edgekd.quantize.onnx_export import export_onnx, run_onnx, to_onnx
from edgekd.quantize.ptq import quantize_ptq
from quantize_helpers import randomize_bn, sqnr
from quantize_models import MLPBN, Branchy, FlatMLP, MobileV3ish, Pools

CASES = {"mobilev3ish": (MobileV3ish, (1, 12, 12)), "branchy": (Branchy, (3, 16, 16)),
         "mlp_bn": (MLPBN, (1, 8, 8)), "pools": (Pools, (2, 10, 10)), "flat_mlp": (FlatMLP, (20,))}


@pytest.mark.parametrize("name", sorted(CASES))
def test_qdq_graph_equals_the_simulation(name, tmp_path):
    cls, shape = CASES[name]
    torch.manual_seed(0)
    model = randomize_bn(cls())
    qm = quantize_ptq(model, [torch.randn((16,) + shape) for _ in range(3)], calib_batches=3)
    x = torch.randn((8,) + shape)
    with torch.no_grad():
        sim = qm(x).numpy()
        ref = model(x).numpy()
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(to_onnx(qm).SerializeToString(), so, providers=["CPUExecutionProvider"])
    literal = sess.run(None, {qm.input_name: x.numpy()})[0]
    step = qm.qp(qm.output_names[0])[0]
    assert np.abs(literal - sim).max() / step <= 1.0 + 1e-4
    path = export_onnx(qm, tmp_path / f"{name}.onnx")
    fused = run_onnx(path, x.numpy())
    assert fused.shape == ref.shape and np.isfinite(fused).all()
    assert sqnr(ref, literal) >= 25.0
