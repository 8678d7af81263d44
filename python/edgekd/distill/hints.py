"""FitNets-style hint distillation: intermediate features taken with forward hooks, matched by a learned
1x1 regressor.

Layers are named by module path (``model.get_submodule`` syntax, e.g. ``features.3`` or
``block.0.conv``), so no model surgery is needed and the student stays exportable. The regressor maps the
student's features onto the teacher's: a 1x1 Conv2d for 4-D maps (followed by adaptive average pooling
when the spatial sizes differ) or a Linear for 2-D features. It is trained with the student and thrown
away afterwards.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import EdgekdError
from .losses import hint_loss


class FeatureTap:
    """Records the outputs of the named submodules on every forward pass (forward hooks)."""

    def __init__(self, model: nn.Module, paths: Sequence[str]):
        self.features: dict[str, torch.Tensor] = {}
        self._handles = []
        for path in paths:
            try:
                module = model.get_submodule(path)
            except AttributeError:
                known = ", ".join(n for n, _ in model.named_modules() if n) or "(none)"
                raise EdgekdError(f"hint layer {path!r} not found in {type(model).__name__}; "
                                  f"module paths are: {known}") from None
            self._handles.append(module.register_forward_hook(self._hook(path)))

    def _hook(self, path: str):
        def record(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
            self.features[path] = output
        return record

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def __enter__(self) -> "FeatureTap":
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class HintRegressor(nn.Module):
    """Maps a student feature tensor to the teacher's feature shape."""

    def __init__(self, student_shape: Sequence[int], teacher_shape: Sequence[int]):
        super().__init__()
        s, t = tuple(student_shape), tuple(teacher_shape)
        if len(s) != len(t) or len(s) not in (2, 4):
            raise EdgekdError(f"hint features must both be (N, C) or (N, C, H, W); got student {s}, teacher {t}")
        self.out_hw = t[2:] if len(t) == 4 else None
        self.proj: nn.Module = nn.Conv2d(s[1], t[1], 1) if len(s) == 4 else nn.Linear(s[1], t[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.proj(x)
        if self.out_hw is not None and tuple(y.shape[2:]) != self.out_hw:
            y = F.adaptive_avg_pool2d(y, self.out_hw)
        return y


def parse_pairs(pairs: Sequence[str]) -> list[tuple[str, str]]:
    """``["features.2=features.6", ...]`` -> ``[("features.2", "features.6"), ...]`` (student=teacher)."""
    out = []
    for p in pairs:
        if p.count("=") != 1:
            raise EdgekdError(f"hint {p!r}: expected 'student.module.path=teacher.module.path'")
        s, t = (x.strip() for x in p.split("="))
        out.append((s, t))
    return out


class HintMatcher(nn.Module):
    """Holds the taps and regressors for a list of (student path, teacher path) pairs.

    Call :meth:`build` once with an example student input batch (shapes are taken from a dry forward),
    then after each student and teacher forward, :meth:`loss` returns the summed hint losses.
    """

    def __init__(self, student: nn.Module, teacher: nn.Module, pairs: Sequence[tuple[str, str]]):
        super().__init__()
        self.pairs = list(pairs)
        self.student_tap = FeatureTap(student, [s for s, _ in self.pairs])
        self.teacher_tap = FeatureTap(teacher, [t for _, t in self.pairs])
        self.regressors = nn.ModuleList()

    @torch.no_grad()
    def build(self, student: nn.Module, teacher: nn.Module, student_x: torch.Tensor,
              teacher_x: torch.Tensor) -> None:
        was_training = student.training, teacher.training
        student.eval()
        teacher.eval()
        student(student_x[:2])
        teacher(teacher_x[:2])
        student.train(was_training[0])
        teacher.train(was_training[1])
        device = student_x.device
        for s, t in self.pairs:
            reg = HintRegressor(self.student_tap.features[s].shape, self.teacher_tap.features[t].shape)
            self.regressors.append(reg.to(device))

    def loss(self) -> torch.Tensor:
        total = torch.zeros(())
        for reg, (s, t) in zip(self.regressors, self.pairs):
            sf, tf = self.student_tap.features[s], self.teacher_tap.features[t]
            total = total.to(sf.device) + hint_loss(reg(sf), tf)
        return total

    def remove(self) -> None:
        self.student_tap.remove()
        self.teacher_tap.remove()
