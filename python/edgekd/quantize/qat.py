"""Quantization-aware training on a calibrated ``QuantModel``, optionally distilled from a teacher.

The model trains in ``fake`` mode: weights, biases and activations go through the int8 round trip in the
forward pass (straight-through gradients in the backward pass). Activation ranges start from PTQ calibration
and follow each batch with an exponential moving average until ``freeze_ranges_after`` epochs; BN layers use
batch statistics (with the folded weight quantized, see ``QuantModel._weighted_bn_training``) until
``freeze_bn_after`` epochs, then their running statistics, which is exactly the folded layer that is exported.

With a teacher, the loss is edgekd.distill's ``distillation_loss`` on the teacher's soft targets.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import EdgekdError
from .qmodel import QuantModel


@dataclass
class QATConfig:
    epochs: int = 3
    lr: float = 1e-3
    weight_decay: float = 0.0
    freeze_bn_after: int | None = None  # epochs; None: one epoch before the end (at least 1)
    freeze_ranges_after: int | None = None  # epochs; None: same as freeze_bn_after
    ema_momentum: float = 0.01
    learn_ranges: bool = True  # LSQ: train activation scales (else follow batch ranges with a moving average)
    range_lr: float = 3e-2  # learning rate of the log-scales when learn_ranges
    temperature: float = 4.0
    alpha: float = 0.5  # weight of the hard-label loss when distilling; 1 - alpha for the soft targets
    seed: int = 0
    progress: bool = False


@dataclass
class QATEpoch:
    epoch: int
    loss: float
    bn_frozen: bool
    ranges_frozen: bool


def _split(batch) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise EdgekdError("QAT needs labelled batches (x, y)")
    return batch[0].float(), batch[1].long()


def train_qat(qm: QuantModel, train_loader: Iterable, cfg: QATConfig | None = None,
              teacher: nn.Module | None = None) -> list[QATEpoch]:
    """Fine-tune ``qm`` in place. ``qm`` must be calibrated (``ptq.quantize_ptq``) so ranges have a start."""
    cfg = cfg or QATConfig()
    if not qm.qparams:
        raise EdgekdError("QAT starts from a calibrated model: run PTQ calibration first")
    if cfg.epochs < 1:
        raise EdgekdError(f"QAT needs at least one epoch, got {cfg.epochs}")
    freeze_bn = cfg.freeze_bn_after if cfg.freeze_bn_after is not None else max(1, cfg.epochs - 1)
    freeze_ranges = cfg.freeze_ranges_after if cfg.freeze_ranges_after is not None else freeze_bn
    torch.manual_seed(cfg.seed)
    if teacher is not None:
        from ..distill.losses import distillation_loss

        teacher = teacher.eval()
    groups = [{"params": [p for n, p in qm.named_parameters() if p.requires_grad and not n.startswith("log_scales")],
               "lr": cfg.lr, "weight_decay": cfg.weight_decay}]
    if cfg.learn_ranges:
        qm.learn_ranges()
        groups.append({"params": list(qm.log_scales.parameters()), "lr": cfg.range_lr, "weight_decay": 0.0})
    opt = torch.optim.Adam(groups)
    history: list[QATEpoch] = []
    qm.mode = "fake"
    for epoch in range(cfg.epochs):
        qm.bn_frozen = epoch >= freeze_bn
        qm.ema_momentum = 0.0 if epoch >= freeze_ranges or cfg.learn_ranges else cfg.ema_momentum
        qm.train()
        total, count = 0.0, 0
        it = train_loader
        if cfg.progress:
            from tqdm import tqdm

            it = tqdm(train_loader, desc=f"QAT epoch {epoch + 1}/{cfg.epochs}", leave=False)
        for batch in it:
            x, y = _split(batch)
            out = qm(x)
            if teacher is not None:
                with torch.no_grad():
                    t = teacher(x)
                loss = distillation_loss(out, t, y, cfg.temperature, cfg.alpha)
            else:
                loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(x)
            count += len(x)
        history.append(QATEpoch(epoch + 1, total / max(count, 1), qm.bn_frozen, qm.ema_momentum == 0.0))
    if cfg.learn_ranges:
        qm.fix_learned_ranges()
    qm.bn_frozen = True  # what is exported: BN folded with its running statistics
    qm.ema_momentum = 0.0
    qm.eval()
    return history


def history_dicts(history: list[QATEpoch]) -> list[dict]:
    return [asdict(h) for h in history]
