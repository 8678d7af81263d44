"""Model zoo: teachers and students for distillation, every one exportable to int8 TFLite.

Every model is built only from modules the quantizer knows how to lower to TFLite builtin int8 ops:
Conv2d (including depthwise, ``groups == in_channels``), BatchNorm2d (folded into the conv), Linear, ReLU,
ReLU6, Hardswish, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), Flatten and a residual ``+``. No Dropout,
no custom autograd, no data-dependent control flow: each model traces with ``torch.fx.symbolic_trace``
(tests/distill/test_zoo.py checks it for every entry).

Inputs are NCHW float32; see :mod:`edgekd.distill.data` for the preprocessing (pixels scaled to [0, 1]).
Build a model with :func:`build` from its zoo name, the input shape ``(C, H, W)`` and the number of
classes; checkpoints store exactly these three so that ``edgekd quantize`` can rebuild the module.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from ..errors import EdgekdError

InputShape = tuple[int, int, int]


def _mlp(in_features: int, hidden: list[int], num_classes: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def _conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1,
                  act: type[nn.Module] = nn.ReLU) -> list[nn.Module]:
    # bias=False: the BatchNorm that follows supplies the bias once folded.
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout), act()]


def hinton_mlp_teacher(input_shape: InputShape, num_classes: int) -> nn.Module:
    """Hinton et al. (2015)'s MNIST teacher: 784-1200-1200-10 (the input width follows input_shape)."""
    return _mlp(math.prod(input_shape), [1200, 1200], num_classes)


def hinton_mlp_student(input_shape: InputShape, num_classes: int) -> nn.Module:
    """Hinton et al. (2015)'s MNIST student: 784-800-800-10."""
    return _mlp(math.prod(input_shape), [800, 800], num_classes)


def tiny_mlp(input_shape: InputShape, num_classes: int) -> nn.Module:
    """A 32-unit MLP: the smallest baseline, useful for 8x8 digits."""
    return _mlp(math.prod(input_shape), [32], num_classes)


class _PooledCNN(nn.Module):
    """conv blocks, each followed by a 2x2 max-pool, then a classifier on the flattened map.

    Spatial size is halved per block; an 8x8 input with two blocks ends at 2x2, a 28x28 one at 7x7.
    """

    def __init__(self, input_shape: InputShape, num_classes: int, widths: list[int], hidden: int):
        super().__init__()
        c, h, w = input_shape
        blocks: list[nn.Module] = []
        for width in widths:
            blocks += _conv_bn_relu(c, width) + [nn.MaxPool2d(2)]
            c, h, w = width, h // 2, w // 2
        if h < 1 or w < 1:
            raise EdgekdError(f"input {input_shape} is too small for {len(widths)} pooling blocks")
        self.features = nn.Sequential(*blocks)
        head: list[nn.Module] = [nn.Flatten()]
        flat = c * h * w
        if hidden:
            head += [nn.Linear(flat, hidden), nn.ReLU()]
            flat = hidden
        head.append(nn.Linear(flat, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def cnn_teacher(input_shape: InputShape, num_classes: int) -> nn.Module:
    """CNN teacher for 28x28x1 (MNIST-like): 16-32 channels, 256-unit head; ~0.41 M parameters.

    Deliberately modest in compute (1.4 M MACs per image) so that CPU-only training of a few epochs fits a
    CI-sized budget; the capacity sits in the 1568x256 fully-connected layer."""
    return _PooledCNN(input_shape, num_classes, widths=[16, 32], hidden=256)


def cnn_student(input_shape: InputShape, num_classes: int) -> nn.Module:
    """Tiny CNN student for 28x28x1: 8-16 channels, linear head; ~9 k parameters (1/45 of cnn_teacher)."""
    return _PooledCNN(input_shape, num_classes, widths=[8, 16], hidden=0)


def cnn_teacher_8x8(input_shape: InputShape, num_classes: int) -> nn.Module:
    """CNN teacher for 8x8x1 digits: 16-32 channels, 128-unit head; ~22 k parameters (fast enough for the demo)."""
    return _PooledCNN(input_shape, num_classes, widths=[16, 32], hidden=128)


def cnn_student_8x8(input_shape: InputShape, num_classes: int) -> nn.Module:
    """Tiny CNN student for 8x8x1 digits: 4-8 channels, linear head; ~0.7 k parameters (1/33 of the teacher)."""
    return _PooledCNN(input_shape, num_classes, widths=[4, 8], hidden=0)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise, 1x1 linear projection, residual add when shapes match."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += _conv_bn_relu(cin, mid, k=1, act=nn.ReLU6)
        layers += _conv_bn_relu(mid, mid, k=3, stride=stride, groups=mid, act=nn.ReLU6)
        layers += [nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)
        self.use_residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        # use_residual is a Python bool fixed at construction, so fx traces one straight-line graph.
        return x + y if self.use_residual else y


class MobileNetV2Student(nn.Module):
    """A narrow MobileNetV2 (width 0.35-like) for inputs of 32x32 and up (e.g. 3x32x32 or 3x96x96)."""

    # (expand, out channels, repeats, first stride)
    CONFIG = [(1, 8, 1, 1), (6, 16, 2, 2), (6, 24, 2, 2), (6, 32, 2, 2), (6, 56, 1, 1)]

    def __init__(self, input_shape: InputShape, num_classes: int):
        super().__init__()
        c = input_shape[0]
        layers: list[nn.Module] = _conv_bn_relu(c, 16, k=3, stride=2, act=nn.ReLU6)
        cin = 16
        for expand, cout, repeats, stride in self.CONFIG:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers += _conv_bn_relu(cin, 256, k=1, act=nn.Hardswish)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(256, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


def mobilenetv2_student(input_shape: InputShape, num_classes: int) -> nn.Module:
    if min(input_shape[1:]) < 16:
        raise EdgekdError(f"mobilenetv2_student needs inputs of at least 16x16, got {input_shape}")
    return MobileNetV2Student(input_shape, num_classes)


@dataclass(frozen=True)
class ZooEntry:
    build: Callable[[InputShape, int], nn.Module]
    role: str  # "teacher" or "student"
    summary: str


ZOO: dict[str, ZooEntry] = {
    "hinton_mlp_teacher": ZooEntry(hinton_mlp_teacher, "teacher", "MLP 784-1200-1200-10 (Hinton et al.)"),
    "hinton_mlp_student": ZooEntry(hinton_mlp_student, "student", "MLP 784-800-800-10 (Hinton et al.)"),
    "tiny_mlp": ZooEntry(tiny_mlp, "student", "MLP with one 32-unit hidden layer"),
    "cnn_teacher": ZooEntry(cnn_teacher, "teacher", "CNN 16-32 + FC256, for 28x28x1"),
    "cnn_student": ZooEntry(cnn_student, "student", "tiny CNN 8-16 + linear, for 28x28x1"),
    "cnn_teacher_8x8": ZooEntry(cnn_teacher_8x8, "teacher", "CNN 16-32 + FC128, for 8x8x1"),
    "cnn_student_8x8": ZooEntry(cnn_student_8x8, "student", "tiny CNN 4-8 + linear, for 8x8x1"),
    "mobilenetv2_student": ZooEntry(mobilenetv2_student, "student", "narrow MobileNetV2, inputs >= 16x16"),
}


def names(role: str | None = None) -> list[str]:
    return [n for n, e in ZOO.items() if role is None or e.role == role]


def build(name: str, input_shape: InputShape, num_classes: int) -> nn.Module:
    """Build zoo model ``name`` for inputs of shape ``(C, H, W)`` and ``num_classes`` outputs."""
    entry = ZOO.get(name)
    if entry is None:
        raise EdgekdError(f"unknown zoo model {name!r}; expected one of: {', '.join(ZOO)}")
    return entry.build(tuple(int(d) for d in input_shape), int(num_classes))  # type: ignore[arg-type]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def size_bytes(model: nn.Module) -> int:
    """Bytes of the float32 parameters and buffers (BatchNorm statistics): the size of the state_dict payload."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())
