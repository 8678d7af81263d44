"""`edgekd quantize` exports upsampling students (segmenters, detectors' feature pyramids): ConvTranspose2d as
TRANSPOSE_CONV, nearest and bilinear upsampling as RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR. The written file
runs in LiteRT's builtin kernels like the int8 simulation, equals edgekd's runtime once that has the ops, and the
QDQ ONNX graph carries the same quantization."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn as nn

from edgekd.errors import EdgekdError
from edgekd.quantize.export import export_tflite, to_ir
from edgekd.quantize.ptq import quantize_ptq
from edgekd.tflite import read_tflite
from quantize_helpers import edgekd_runtime, litert_run, randomize_bn, sqnr
from quantize_models import Resizes, UNetish

SHAPE = (3, 16, 16)
# Upsampling ops edgekd's runtime may not have yet (they land separately): until then the runtime comparison
# checks that load names only these, and is skipped.
PENDING_IN_RUNTIME = {"TRANSPOSE_CONV", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"}


@pytest.fixture(scope="module")
def quantized():
    torch.manual_seed(0)
    model = randomize_bn(UNetish())
    qm = quantize_ptq(model, [torch.randn((16,) + SHAPE) for _ in range(4)], calib_batches=4)
    return model, qm, torch.randn((6,) + SHAPE)


def test_litert_runs_the_file_like_the_simulation(quantized):
    model, qm, x = quantized
    with torch.no_grad():
        sim, ref = qm(x).numpy(), model(x).numpy()
    got = litert_run(export_tflite(qm), x.numpy()).transpose(0, 3, 1, 2)  # NHWC out
    step = qm.qp(qm.output_names[0])[0]
    diff = np.abs(got - sim) / step
    # One step here and there per layer (test_each_upsampling_alone_is_within_one_step) that the following
    # layers carry: seven layers deep, about a quarter of the outputs are one step apart.
    assert diff.max() <= 2.0 + 1e-4, f"{diff.max()} steps apart"
    assert diff.mean() <= 0.35, f"mean difference {diff.mean()} steps"
    assert sqnr(ref, got) >= 25.0


@pytest.mark.parametrize("layer", [
    nn.ConvTranspose2d(4, 6, 2, stride=2), nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1),
    nn.ConvTranspose2d(4, 6, 3, stride=1, padding=1), nn.Upsample(scale_factor=3, mode="nearest"),
    nn.Upsample(scale_factor=2, mode="bilinear"), nn.Upsample(size=(13, 11), mode="bilinear", align_corners=True),
], ids=["deconv_k2s2", "deconv_k4s2p1", "deconv_k3s1p1", "nearest_x3", "bilinear_x2", "bilinear_align_13x11"])
def test_each_upsampling_alone_is_within_one_step(layer):
    """LiteRT requantizes a deconv in fixed point and weighs bilinear taps in 1/1024ths, rounding ties up in the
    raw int8 domain; the simulation rounds exactly, half away from zero: at most one step apart."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), layer).eval()
    qm = quantize_ptq(model, [torch.randn(16, 3, 7, 7) for _ in range(2)], calib_batches=2)
    x = torch.randn(4, 3, 7, 7)
    with torch.no_grad():
        sim = qm(x).numpy()
    got = litert_run(export_tflite(qm), x.numpy()).transpose(0, 3, 1, 2)
    diff = np.abs(got - sim) / qm.qp(qm.output_names[0])[0]
    assert diff.max() <= 1.0 + 1e-4, f"{diff.max()} steps apart"


def test_written_ops_and_options(quantized):
    _, qm, _ = quantized
    g = read_tflite(export_tflite(qm))
    types = [op.type for op in g.ops]
    assert types.count("TRANSPOSE_CONV") == 2 and types.count("RESIZE_BILINEAR") == 2
    assert types.count("RESIZE_NEAREST_NEIGHBOR") == 1 and "RELU" in types  # ReLU after a deconv stays an op
    t = {x.name: x for x in g.tensors}
    deconvs = [op for op in g.ops if op.type == "TRANSPOSE_CONV"]
    assert [g.options_with_defaults(op)["padding"] for op in deconvs] == ["VALID", "SAME"]
    shape_t, w, data, bias = (g.tensors[i] for i in deconvs[0].inputs)
    assert list(shape_t.data) == [1, 16, 16, 8] and w.shape == (8, 2, 2, 16) and data.shape == (1, 8, 8, 16)
    assert w.quant.quantized_dimension == 0 and w.quant.per_channel_count == 8 and bias.dtype == "int32"
    assert np.allclose(bias.quant.scale, data.quant.scale[0] * w.quant.scale, rtol=1e-6)
    resizes = [op for op in g.ops if op.type.startswith("RESIZE")]
    opts = [(op.type, g.options_with_defaults(op)) for op in resizes]
    assert opts == [("RESIZE_NEAREST_NEIGHBOR", {"align_corners": False, "half_pixel_centers": False}),
                    ("RESIZE_BILINEAR", {"align_corners": False, "half_pixel_centers": True}),
                    ("RESIZE_BILINEAR", {"align_corners": True, "half_pixel_centers": False})]
    assert list(g.tensors[resizes[2].inputs[1]].data) == [20, 20]
    for op in resizes:  # int8 resizes do not requantize
        assert g.tensors[op.inputs[0]].quant == g.tensors[op.outputs[0]].quant
    assert t["up2/weights"].shape == (8, 4, 4, 16)


@pytest.mark.parametrize("name", ["unetish", "resizes"])
def test_edgekd_runtime_equals_litert(name, quantized):
    load = edgekd_runtime()
    if load is None:
        pytest.skip("edgekd's native runtime (edgekd.load) is not built in this install")
    if name == "unetish":
        _, qm, x = quantized
    else:
        torch.manual_seed(0)
        qm = quantize_ptq(Resizes().eval(), [torch.randn(16, 3, 9, 9)], calib_batches=1)
        x = torch.randn(4, 3, 9, 9)
    blob = export_tflite(qm, int8_io=True)
    try:
        model = load(blob)
    except ValueError as e:
        named = set(re.findall(r"op \d+ \(([A-Z0-9_]+)\)", str(e)))
        assert "not supported by edgekd's runtime" in str(e) and named and named <= PENDING_IN_RUNTIME, str(e)
        pytest.skip(f"edgekd's runtime has no {', '.join(sorted(named))} yet")
    from edgekd.testing import litert

    gq = to_ir(qm, int8_io=True)[0]
    q = gq.tensors[gq.inputs[0]].quant
    xq = np.clip(np.round(x.numpy().transpose(0, 2, 3, 1) / q.scale[0]) + q.zero_point[0], -128, 127).astype(np.int8)
    for i in range(len(xq)):
        np.testing.assert_array_equal(np.asarray(model(xq[i:i + 1])), litert.run(blob, [xq[i:i + 1]])[0],
                                      err_msg=f"{name}: sample {i}")


def test_qdq_onnx_equals_the_simulation(quantized):
    ort = pytest.importorskip("onnxruntime")
    from edgekd.quantize.onnx_export import to_onnx

    _, qm, x = quantized
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(to_onnx(qm).SerializeToString(), so, providers=["CPUExecutionProvider"])
    literal = sess.run(None, {qm.input_name: x.numpy()})[0]
    with torch.no_grad():
        sim = qm(x).numpy()
    assert np.abs(literal - sim).max() / qm.qp(qm.output_names[0])[0] <= 1.0 + 1e-4


@pytest.mark.parametrize("layer,match", [
    (nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), "neither TFLite's SAME nor VALID"),
    (nn.Upsample(scale_factor=1.5, mode="nearest"), "whole-number factors only"),
    (nn.Upsample(scale_factor=2, mode="bicubic"), "unsupported upsampling mode 'bicubic'"),
    (nn.ConvTranspose2d(4, 4, 2, stride=2, groups=2), "groups=2"),
])
def test_upsampling_tflite_cannot_express_is_named(layer, match):
    in_ch = 4 if isinstance(layer, nn.ConvTranspose2d) and layer.groups == 2 else 3
    model = nn.Sequential(nn.Conv2d(3, in_ch, 1), layer)
    with pytest.raises(EdgekdError, match=re.escape(match)):
        qm = quantize_ptq(model, [torch.randn(4, 3, 8, 8)], calib_batches=1)
        to_ir(qm)


def test_quantize_and_export_reports_an_upsampling_student(tmp_path):
    """The `edgekd quantize` pipeline end to end on a segmenter: the file is written and evaluated (on
    edgekd's runtime, or LiteRT's while the runtime lacks an op, with the reason in the report)."""
    from edgekd.quantize import quantize_and_export

    torch.manual_seed(0)
    model = randomize_bn(UNetish())
    calib = [(torch.randn(8, *SHAPE), torch.zeros(8, dtype=torch.long)) for _ in range(2)]
    report = quantize_and_export(model, calib, None, tmp_path / "unet.tflite")
    assert (tmp_path / "unet.tflite").exists() and report.sim_sqnr_db >= 30.0
    assert report.int8_backend == "edgekd" or "not supported by edgekd's runtime" in report.int8_backend_note


def test_qat_trains_a_segmenter_through_its_deconvs_and_exports_it():
    """QAT with live BN statistics goes through the deconv's BN (output channels are the weight's dim 1 in
    torch) and a per-pixel cross-entropy; the file then runs like the simulation."""
    from edgekd.quantize.qat import QATConfig, train_qat

    torch.manual_seed(0)
    model = randomize_bn(UNetish())
    x = torch.randn(16, *SHAPE)
    qm = quantize_ptq(model, [x], calib_batches=1)
    data = [(x[i:i + 8], torch.randint(0, 4, (8, 20, 20))) for i in (0, 8)]
    hist = train_qat(qm, data, QATConfig(epochs=2, lr=1e-3))
    assert not hist[0].bn_frozen and hist[1].bn_frozen and all(np.isfinite(h.loss) for h in hist)
    with torch.no_grad():
        sim = qm(x[:4]).numpy()
    got = litert_run(export_tflite(qm), x[:4].numpy()).transpose(0, 3, 1, 2)
    assert np.abs(got - sim).max() / qm.qp(qm.output_names[0])[0] <= 2.0 + 1e-4
