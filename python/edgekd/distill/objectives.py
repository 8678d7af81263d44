"""What one training step minimizes. The trainer is generic; an objective turns a batch into a loss.

Batches go through a *batch adapter* that returns :class:`Views` — the teacher's input, the student's
input, the labels and (optionally) precomputed teacher logits. The default adapter reads ``(x, y)`` or
``(x, y, teacher_logits)`` and gives both networks the same ``x``; paired-input distillation
(:mod:`edgekd.distill.paired`) supplies an adapter that gives them different views of one example.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from .hints import HintMatcher
from .losses import distillation_loss
import torch.nn.functional as F


@dataclass
class Views:
    teacher_x: torch.Tensor
    student_x: torch.Tensor
    labels: torch.Tensor | None
    teacher_logits: torch.Tensor | None = None

    def to(self, device: torch.device) -> "Views":
        mv = lambda t: None if t is None else t.to(device, non_blocking=True)  # noqa: E731
        return Views(mv(self.teacher_x), mv(self.student_x), mv(self.labels), mv(self.teacher_logits))


BatchAdapter = Callable[[Sequence[torch.Tensor]], Views]


def default_adapter(batch: Sequence[torch.Tensor]) -> Views:
    """``(x, y)`` -> same input for both; ``(x, y, logits)`` -> also cached teacher logits."""
    x, y = batch[0], batch[1]
    cached = batch[2] if len(batch) > 2 else None
    return Views(x, x, y, cached)


class Objective:
    """Base: supervised cross-entropy on the student's view."""

    adapter: BatchAdapter = staticmethod(default_adapter)  # type: ignore[assignment]

    def __call__(self, student: nn.Module, views: Views) -> tuple[torch.Tensor, torch.Tensor]:
        logits = student(views.student_x)
        return F.cross_entropy(logits, views.labels), logits

    def extra_parameters(self) -> list[nn.Parameter]:
        """Trainable parameters besides the student's (FitNets regressors)."""
        return []

    def extra_state(self) -> dict:
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def prepare(self, student: nn.Module, views: Views) -> None:
        """Called once with the first batch before training (e.g. to size regressors)."""

    def close(self) -> None:
        pass


class SupervisedObjective(Objective):
    def __init__(self, adapter: BatchAdapter = default_adapter):
        self.adapter = adapter


class DistillObjective(Objective):
    """Logit distillation (see :mod:`edgekd.distill.losses`), optionally with FitNets hints.

    The teacher runs in eval mode under no_grad; its logits are taken from the batch when precomputed.
    """

    def __init__(self, teacher: nn.Module | None, temperature: float = 4.0, alpha: float = 0.5, *,
                 adapter: BatchAdapter = default_adapter, hints: Sequence[tuple[str, str]] = (),
                 hint_weight: float = 1.0):
        self.teacher = teacher
        self.temperature = float(temperature)
        self.alpha = float(alpha)
        self.adapter = adapter
        self.hint_pairs = list(hints)
        self.hint_weight = float(hint_weight)
        self.matcher: HintMatcher | None = None
        if teacher is not None:
            teacher.eval()
            for p in teacher.parameters():
                p.requires_grad_(False)

    def prepare(self, student: nn.Module, views: Views) -> None:
        if self.hint_pairs and self.matcher is None:
            if self.teacher is None:
                raise ValueError("hint distillation needs the teacher module, not cached logits")
            inner = student.module if hasattr(student, "module") else student
            self.matcher = HintMatcher(inner, self.teacher, self.hint_pairs)
            self.matcher.build(inner, self.teacher, views.student_x, views.teacher_x)

    def teacher_logits(self, views: Views) -> torch.Tensor:
        if views.teacher_logits is not None and not self.hint_pairs:
            return views.teacher_logits
        if self.teacher is None:
            raise ValueError("no teacher module and no cached teacher logits in the batch")
        self.teacher.eval()
        with torch.no_grad():
            return self.teacher(views.teacher_x)

    def __call__(self, student: nn.Module, views: Views) -> tuple[torch.Tensor, torch.Tensor]:
        logits = student(views.student_x)
        t_logits = self.teacher_logits(views)
        loss = distillation_loss(logits, t_logits, views.labels, self.temperature, self.alpha)
        if self.matcher is not None:
            loss = loss + self.hint_weight * self.matcher.loss()
        return loss, logits

    def extra_parameters(self) -> list[nn.Parameter]:
        return list(self.matcher.parameters()) if self.matcher is not None else []

    def extra_state(self) -> dict:
        return {"hint_regressors": self.matcher.state_dict()} if self.matcher is not None else {}

    def load_extra_state(self, state: dict) -> None:
        if self.matcher is not None and "hint_regressors" in state:
            self.matcher.load_state_dict(state["hint_regressors"])

    def close(self) -> None:
        if self.matcher is not None:
            self.matcher.remove()


@torch.no_grad()
def compute_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 1024,
                   device: torch.device | None = None) -> torch.Tensor:
    """Eval-mode logits for a whole tensor of inputs, on CPU (used to cache teacher outputs)."""
    device = device or next(model.parameters()).device
    model.eval()
    outs = [model(x[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(outs)
