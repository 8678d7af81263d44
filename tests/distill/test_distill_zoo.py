"""Model zoo: builds, traces with torch.fx, uses only quantization-friendly modules, sizes as documented."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from edgekd.distill import zoo
from edgekd.errors import EdgekdError

ALLOWED = (nn.Conv2d, nn.BatchNorm2d, nn.Linear, nn.ReLU, nn.ReLU6, nn.Hardswish, nn.MaxPool2d, nn.AvgPool2d,
           nn.AdaptiveAvgPool2d, nn.Flatten)
CONTAINERS = (nn.Sequential, nn.ModuleList)
SHAPES = {"mobilenetv2_student": (3, 32, 32), "cnn_teacher_8x8": (1, 8, 8), "cnn_student_8x8": (1, 8, 8)}


def shape_for(name):
    return SHAPES.get(name, (1, 28, 28))


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_traces_with_fx_and_matches_eager(name):
    torch.manual_seed(0)
    model = zoo.build(name, shape_for(name), 10).eval()
    x = torch.rand(3, *shape_for(name))
    gm = torch.fx.symbolic_trace(model)
    torch.testing.assert_close(gm(x), model(x))
    assert model(x).shape == (3, 10)
    # the only free functions in the graph are residual adds
    fns = {n.target for n in gm.graph.nodes if n.op == "call_function"}
    assert fns <= {__import__("operator").add}, fns


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_only_quantization_friendly_modules(name):
    model = zoo.build(name, shape_for(name), 10)
    for path, m in model.named_modules():
        if path == "" or isinstance(m, CONTAINERS) or type(m).__module__.startswith("edgekd"):
            continue
        assert isinstance(m, ALLOWED), f"{name}.{path}: {type(m).__name__} is not quantization-friendly"
    for m in model.modules():
        if isinstance(m, nn.AdaptiveAvgPool2d):
            assert m.output_size in (1, (1, 1))


def test_mobilenet_has_depthwise_and_residuals():
    model = zoo.build("mobilenetv2_student", (3, 64, 64), 5)
    dw = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.groups == m.in_channels > 1]
    assert len(dw) >= 8
    assert any(getattr(m, "use_residual", False) for m in model.modules())
    assert model(torch.rand(2, 3, 64, 64)).shape == (2, 5)


def test_hinton_sizes():
    t = zoo.build("hinton_mlp_teacher", (1, 28, 28), 10)
    s = zoo.build("hinton_mlp_student", (1, 28, 28), 10)
    assert [m.out_features for m in t.modules() if isinstance(m, nn.Linear)] == [1200, 1200, 10]
    assert [m.out_features for m in s.modules() if isinstance(m, nn.Linear)] == [800, 800, 10]
    assert zoo.count_parameters(t) == 784 * 1200 + 1200 + 1200 * 1200 + 1200 + 1200 * 10 + 10


@pytest.mark.parametrize("teacher, student, shape", [("cnn_teacher", "cnn_student", (1, 28, 28)),
                                                     ("cnn_teacher_8x8", "cnn_student_8x8", (1, 8, 8))])
def test_students_are_at_most_a_tenth_of_their_teacher(teacher, student, shape):
    t, s = zoo.build(teacher, shape, 10), zoo.build(student, shape, 10)
    assert zoo.count_parameters(s) * 10 <= zoo.count_parameters(t)
    assert zoo.size_bytes(s) >= 4 * zoo.count_parameters(s)  # float32 plus BatchNorm buffers


def test_errors_name_the_model():
    with pytest.raises(EdgekdError, match="unknown zoo model 'resnet9000'.*cnn_student"):
        zoo.build("resnet9000", (1, 8, 8), 10)
    with pytest.raises(EdgekdError, match="at least 16x16"):
        zoo.build("mobilenetv2_student", (1, 8, 8), 10)
    with pytest.raises(EdgekdError, match="too small"):
        zoo.build("cnn_student", (1, 2, 2), 10)
