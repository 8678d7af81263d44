"""Ensemble distillation: several teachers, their softened probabilities averaged (optionally weighted).

:class:`EnsembleTeacher` wraps the teachers as one module whose "logits" are ``T * log(p_avg)``, where
``p_avg = sum_i w_i softmax(t_i / T)``. Then ``softmax(logits / T) == p_avg`` exactly, so the ensemble plugs
into every single-teacher path (DistillObjective, cached logits, paired inputs) unchanged and the loss is
``alpha * CE + (1 - alpha) * T^2 * KL(p_avg || softmax(s / T))`` — the same value as
:func:`edgekd.distill.losses.ensemble_distillation_loss`. The temperature is fixed at construction and
must equal the distillation temperature.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .losses import ensemble_soft_targets


class EnsembleTeacher(nn.Module):
    def __init__(self, teachers: Sequence[nn.Module], temperature: float, weights: Sequence[float] | None = None):
        super().__init__()
        if not teachers:
            raise ValueError("EnsembleTeacher needs at least one teacher")
        self.teachers = nn.ModuleList(teachers)
        self.temperature = float(temperature)
        self.weights = list(weights) if weights is not None else None
        ensemble_soft_targets([torch.zeros(1, 2)] * len(teachers), 1.0, self.weights)  # validate weights now

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = ensemble_soft_targets([t(x) for t in self.teachers], self.temperature, self.weights)
        # clamp: a probability that underflowed to 0 would give -inf logits and NaN gradients downstream
        return self.temperature * torch.log(probs.clamp_min(torch.finfo(probs.dtype).tiny))
