"""Capture: the supported subset goes through; anything else fails with an error naming it and where it is."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from edgekd.errors import EdgekdError
from edgekd.quantize.capture import capture
from edgekd.quantize.qmodel import build

X = torch.zeros(2, 3, 8, 8)


class WithGELU(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Sequential(nn.Identity(), nn.GELU())

    def forward(self, x):
        return self.head(self.conv(x))


class WithTanh(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.tanh(self.conv(x))


class DataDependent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        y = self.conv(x)
        if y.sum() > 0:  # control flow on a tensor value: fx cannot trace it
            return y
        return -y


class RawParameter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, 3, 1, 1))

    def forward(self, x):
        return x * self.scale


def test_unsupported_module_is_named_with_its_path():
    with pytest.raises(EdgekdError, match=r"unsupported module torch\.nn\.modules\.activation\.GELU at 'head\.1'"):
        capture(WithGELU(), X)


def test_unsupported_function_is_named_with_its_node():
    with pytest.raises(EdgekdError, match=r"unsupported function .*tanh at fx node tanh"):
        capture(WithTanh(), X)


def test_non_traceable_model_says_why():
    with pytest.raises(EdgekdError, match=r"DataDependent is not traceable by torch\.fx .*control flow"):
        capture(DataDependent(), X)


def test_direct_parameter_use_is_refused():
    with pytest.raises(EdgekdError, match=r"parameter or buffer 'scale'"):
        capture(RawParameter(), X)


def test_grouped_conv_that_is_not_depthwise_is_refused():
    with pytest.raises(EdgekdError, match=r"grouped Conv2d at '0' \(groups=2"):
        capture(nn.Sequential(nn.Conv2d(4, 4, 3, groups=2)), torch.zeros(2, 4, 8, 8))


def test_adaptive_pool_to_more_than_one_is_refused():
    with pytest.raises(EdgekdError, match=r"AdaptiveAvgPool2d\(output_size=2\) at '1'"):
        capture(nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(2)), X)


def test_scalar_arithmetic_is_refused_with_its_args():
    class AddScalar(nn.Module):
        def forward(self, x):
            return x + 3

    with pytest.raises(EdgekdError, match=r"unsupported add at fx node add .*x, 3"):
        capture(AddScalar(), X)


def test_batch_mixing_reshape_is_refused():
    class FlattenAll(nn.Module):
        def forward(self, x):
            return x.reshape(-1)

    with pytest.raises(EdgekdError, match="changes the batch dimension"):
        build(FlattenAll(), X[:1])


def test_fusion_folds_bn_and_activations_and_drops_dropout():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
                          nn.Conv2d(4, 4, 1), nn.Hardsigmoid(), nn.Flatten(), nn.Linear(144, 10),
                          nn.BatchNorm1d(10), nn.ReLU6())
    qm = build(model, X[:1])
    kinds = [(op.kind, op.act, op.hardsigmoid, op.where) for op in qm.ops[1:]]
    assert qm.ops[0].kind == "input"
    assert kinds == [
        ("conv", "relu", False, "0+1+2"),
        ("conv", "none", True, "4+5"),
        ("reshape", "none", False, "6"),
        ("linear", "relu6", False, "7+8+9"),
    ]


def test_bn_with_two_users_is_not_folded():
    class Branch(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.bn = nn.BatchNorm2d(4)

        def forward(self, x):
            y = self.conv(x)
            return self.bn(y) + y  # the conv output is used twice: BN cannot be folded into it

    qm = build(Branch(), X[:1])
    assert [op.kind for op in qm.ops] == ["input", "conv", "affine", "add"]


def test_float_mode_equals_the_original_model():
    from quantize_helpers import randomize_bn

    model = randomize_bn(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU6(),
                                       nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.BatchNorm2d(8),
                                       nn.Hardswish(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5)))
    x = torch.randn(4, 3, 8, 8)
    qm = build(model, x)
    with torch.no_grad():
        assert torch.allclose(qm(x), model(x), atol=1e-5)
