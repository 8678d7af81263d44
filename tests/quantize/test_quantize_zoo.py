"""Every zoo model quantizes, exports and runs: int8 outputs of the exported file (edgekd's runtime when built,
LiteRT otherwise) against the fp32 model reach an SQNR of at least 30 dB."""
from __future__ import annotations

import pytest
import torch

from edgekd.distill import zoo
from edgekd.quantize.export import to_ir
from edgekd.quantize.ptq import quantize_ptq
from edgekd.quantize.report import Int8Runner
from edgekd.tflite import write_tflite
from quantize_helpers import randomize_bn, sqnr

SHAPES = {
    "tiny_mlp": (1, 8, 8), "hinton_mlp_student": (1, 28, 28), "hinton_mlp_teacher": (1, 28, 28),
    "cnn_student_8x8": (1, 8, 8), "cnn_teacher_8x8": (1, 8, 8), "cnn_student": (1, 28, 28),
    "cnn_teacher": (1, 28, 28), "mobilenetv2_student": (3, 32, 32),
}


def test_every_zoo_model_is_covered():
    assert set(zoo.names()) <= set(SHAPES), f"zoo models without an SQNR test: {set(zoo.names()) - set(SHAPES)}"


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_zoo_model_int8_sqnr(name):
    if name not in zoo.names():
        pytest.skip(f"{name} is not in the zoo")
    shape = SHAPES[name]
    torch.manual_seed(0)
    model = randomize_bn(zoo.build(name, shape, 10))
    g = torch.Generator().manual_seed(1)
    # image-like inputs in [0, 1], as edgekd's data loaders produce
    calib = [torch.rand((16,) + shape, generator=g) for _ in range(4)]
    x = torch.rand((32,) + shape, generator=g)
    qm = quantize_ptq(model, calib, calib_batches=4)
    graph, info = to_ir(qm)
    runner = Int8Runner(write_tflite(graph), info)
    with torch.no_grad():
        ref = model(x).numpy()
    got = runner(x.numpy())
    assert sqnr(ref, got) >= 30.0, f"{name}: {sqnr(ref, got):.1f} dB in {runner.backend}"
