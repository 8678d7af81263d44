"""Distillation losses.

Convention (Hinton et al. 2015; DistilBERT): with student logits ``s``, teacher logits ``t``, labels ``y``,
temperature ``T`` and weight ``alpha``::

    loss = alpha * CE(s, y) + (1 - alpha) * T^2 * KL(softmax(t / T) || softmax(s / T))

KL is summed over classes and averaged over the batch ("batchmean"), so it is a true per-example KL.
The ``T^2`` keeps the soft-target gradients on the same scale as the hard-label ones when T changes.
``alpha = 1`` is plain supervised training; ``alpha = 0`` learns from the teacher alone.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F


def soft_targets(teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(teacher / T)."""
    return F.softmax(teacher_logits / temperature, dim=-1)


def ensemble_soft_targets(teacher_logits: Sequence[torch.Tensor], temperature: float,
                          weights: Sequence[float] | None = None) -> torch.Tensor:
    """Average of the teachers' softened probabilities (not of their logits), optionally weighted.

    Weights are normalized to sum to 1, so ``[2, 1]`` means two thirds and one third.
    """
    if not teacher_logits:
        raise ValueError("ensemble_soft_targets needs at least one teacher")
    if weights is None:
        weights = [1.0] * len(teacher_logits)
    if len(weights) != len(teacher_logits):
        raise ValueError(f"{len(weights)} weights for {len(teacher_logits)} teachers")
    total = float(sum(weights))
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError(f"ensemble weights must be non-negative with a positive sum, got {list(weights)}")
    # at least float32: averaging float16 probabilities would lose the small ones that carry "dark knowledge"
    dtype = torch.promote_types(teacher_logits[0].dtype, torch.float32)
    probs = torch.zeros_like(teacher_logits[0], dtype=dtype)
    for w, logits in zip(weights, teacher_logits):
        probs = probs + (w / total) * soft_targets(logits.to(dtype), temperature)
    return probs


def kl_to_targets(student_logits: torch.Tensor, target_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(target || softmax(student / T)), summed over classes, mean over the batch (no T^2 factor).

    Terms where the target probability is 0 contribute 0 (the 0 * log 0 = 0 convention).
    """
    log_q = F.log_softmax(student_logits / temperature, dim=-1)
    return F.kl_div(log_q, target_probs, reduction="batchmean")


def distillation_loss_from_probs(student_logits: torch.Tensor, target_probs: torch.Tensor,
                                 labels: torch.Tensor | None, temperature: float, alpha: float) -> torch.Tensor:
    """The convention above with the teacher already given as softened probabilities (ensembles)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    soft = kl_to_targets(student_logits, target_probs, temperature) * temperature ** 2
    if alpha == 0.0 or labels is None:
        if alpha != 0.0:
            raise ValueError("alpha > 0 needs labels")
        return soft
    hard = F.cross_entropy(student_logits, labels)
    if alpha == 1.0:
        return hard
    return alpha * hard + (1.0 - alpha) * soft


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor | None,
                      temperature: float = 4.0, alpha: float = 0.5) -> torch.Tensor:
    """alpha * CE(s, y) + (1 - alpha) * T^2 * KL(softmax(t/T) || softmax(s/T)), batchmean."""
    probs = soft_targets(teacher_logits.detach().to(student_logits.dtype), temperature)
    return distillation_loss_from_probs(student_logits, probs, labels, temperature, alpha)


def ensemble_distillation_loss(student_logits: torch.Tensor, teacher_logits: Sequence[torch.Tensor],
                               labels: torch.Tensor | None, temperature: float = 4.0, alpha: float = 0.5,
                               weights: Sequence[float] | None = None) -> torch.Tensor:
    """Distillation from several teachers whose softened probabilities are averaged (optionally weighted)."""
    probs = ensemble_soft_targets([t.detach() for t in teacher_logits], temperature, weights)
    return distillation_loss_from_probs(student_logits, probs, labels, temperature, alpha)


def hint_loss(student_features: torch.Tensor, teacher_features: torch.Tensor) -> torch.Tensor:
    """FitNets hint loss: mean squared error between the regressed student features and the teacher's.

    Mean over every element (batch, channels, positions), so the weight does not depend on layer size.
    """
    if student_features.shape != teacher_features.shape:
        raise ValueError(f"hint shapes differ: student {tuple(student_features.shape)} vs "
                         f"teacher {tuple(teacher_features.shape)}; the regressor must map one onto the other")
    return F.mse_loss(student_features, teacher_features.detach())
