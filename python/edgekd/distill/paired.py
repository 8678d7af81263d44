"""Paired-input distillation: teacher and student see different views of the same example.

This is the mechanism behind cross-lingual distillation (a teacher reads the sentence in one language, the
student its translation, and the student learns to match the teacher's output): the batch adapter returns
the teacher's input and the student's input for each example. Plug :func:`paired_adapter` (or your own
``batch -> Views`` function) into :class:`~edgekd.distill.objectives.DistillObjective` and into
:func:`~edgekd.distill.trainer.evaluate`, which then scores the student on its own view.

:func:`synthetic_parallel` builds a toy parallel corpus from an image data set: the "source language" is
the image, the "target language" is the same image with its pixels put through a fixed secret
permutation and a contrast flip — same content, a different encoding the teacher has never seen.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch.utils.data import TensorDataset

from .objectives import Views


def paired_adapter(batch: Sequence[torch.Tensor]) -> Views:
    """Batches of ``(teacher_x, student_x, labels)`` or ``(teacher_x, student_x, labels, teacher_logits)``.

    Labels may be a tensor of -1 when the parallel data is unlabelled; use ``alpha = 0`` then.
    """
    labels = batch[2]
    return Views(batch[0], batch[1], labels, batch[3] if len(batch) > 3 else None)


def translate(x: torch.Tensor, seed: int = 1234) -> torch.Tensor:
    """The synthetic "translation": a fixed pixel permutation (chosen by ``seed``) and ``1 - x``."""
    n, c, h, w = x.shape
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(c * h * w, generator=g)
    return (1.0 - x.reshape(n, -1)[:, perm]).reshape(n, c, h, w)


def synthetic_parallel(ds: TensorDataset, seed: int = 1234) -> TensorDataset:
    """``(x, y)`` -> ``(x, translate(x), y)``: the teacher's view, the student's view, the label."""
    x, y = ds.tensors[0], ds.tensors[1]
    return TensorDataset(x, translate(x, seed), y)
