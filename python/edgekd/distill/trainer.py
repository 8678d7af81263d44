"""The training loop shared by every run (teacher, student alone, distilled student, sweeps, DDP).

Checkpoint format (read by ``edgekd quantize`` and by ``--teacher FILE``)
-----------------------------------------------------------------------
``<run>.pt`` is a ``torch.save``'d dict that loads with ``torch.load(path, weights_only=True)``::

    format          "edgekd.distill.checkpoint/1"
    model_name      zoo name (edgekd.distill.zoo) or None for a user model
    model_kwargs    {"input_shape": [C, H, W], "num_classes": K} -> zoo.build(model_name, **model_kwargs)
    state_dict      the model's state_dict (never DDP-prefixed), float32, on CPU
    preprocess      edgekd.distill.data.Preprocess.to_dict(): {"input_shape", "divide_by", "layout",
                    "value_range"} — how raw pixels became inputs (x = raw / divide_by, NCHW, [0, 1])
    role            "teacher", "student_alone", "student" (the distilled one) or a caller's label
    args            the run configuration (JSON-able dict)
    epoch, epochs   epochs completed and planned; complete = epoch == epochs
    complete        bool
    history         list of per-epoch dicts (see EpochLog)
    parameters      parameter count; size_bytes: float32 state_dict bytes
    train_state     {"optimizer", "scheduler", "objective"} for --resume (may be dropped by consumers)

To rebuild the module: ``edgekd.distill.trainer.load_model(path)`` (or by hand:
``m = zoo.build(ck["model_name"], **ck["model_kwargs"]); m.load_state_dict(ck["state_dict"])``).
For convenience ``<run>.module.pt`` holds the whole module pickled by ``torch.save(model)``; it needs
``weights_only=False`` and the same edgekd version, so tools should prefer ``<run>.pt``.

Determinism: the batch order of epoch ``e`` depends only on (seed, e) and nothing in the zoo draws random
numbers during training, so a run resumed from its checkpoint after epoch k ends with the same weights as
an uninterrupted one (tests/distill/test_distill_trainer.py checks it).
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from ..errors import EdgekdError
from . import ddp, zoo
from .data import make_loader
from .objectives import BatchAdapter, Objective, Views, default_adapter

CHECKPOINT_FORMAT = "edgekd.distill.checkpoint/1"


@dataclass
class TrainConfig:
    epochs: int
    lr: float = 3e-3
    batch_size: int = 128          # global: divided among DDP ranks
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    progress: bool = True
    checkpoint_every: int = 1      # epochs between checkpoints (resume points); 0 = after the last epoch only


@dataclass
class EpochLog:
    epoch: int            # 1-based
    train_loss: float     # the objective's loss, mean over training examples
    train_acc: float      # accuracy on the labelled training examples (train mode); label -1 = unlabelled, skipped
    test_loss: float      # cross-entropy on the test set (eval mode)
    test_acc: float
    lr: float             # learning rate at the end of the epoch
    seconds: float


@dataclass
class RunResult:
    name: str
    model_name: str | None
    parameters: int
    size_bytes: int
    history: list[EpochLog] = field(default_factory=list)
    wall_s: float = 0.0
    checkpoint: str | None = None
    resumed_at_epoch: int = 0

    @property
    def test_acc(self) -> float:
        return self.history[-1].test_acc if self.history else float("nan")

    @property
    def test_loss(self) -> float:
        return self.history[-1].test_loss if self.history else float("nan")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["test_acc"], d["test_loss"] = self.test_acc, self.test_loss
        return d


def resolve_device(spec: str = "auto") -> torch.device:
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(spec)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise EdgekdError(f"device {spec!r} requested but CUDA is not available")
    return dev


def seed_everything(seed: int) -> None:
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _progress(iterable: Any, enabled: bool, **kw: Any) -> Any:
    if not enabled or not ddp.is_main():
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, leave=False, dynamic_ncols=True, **kw)


@torch.no_grad()
def evaluate(model: nn.Module, ds: Dataset, device: torch.device, *, adapter: BatchAdapter = default_adapter,
             batch_size: int = 512) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on the student's view of ``ds``, in eval mode."""
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    for batch in make_loader(ds, batch_size, shuffle=False):
        v = adapter(batch).to(device)
        logits = model(v.student_x)
        total_loss += F.cross_entropy(logits, v.labels, reduction="sum").item()
        correct += (logits.argmax(1) == v.labels).sum().item()
        n += len(v.labels)
    return total_loss / max(n, 1), correct / max(n, 1)


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """Write atomically (temporary file, then rename) so a crash never leaves half a checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise EdgekdError(f"{path}: checkpoint not found")
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for foreign / corrupt files
        raise EdgekdError(f"{path}: not an edgekd checkpoint ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise EdgekdError(f"{path}: not an edgekd checkpoint (expected a dict with format={CHECKPOINT_FORMAT!r})")
    return ck


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model from an edgekd checkpoint, or load a whole pickled module (``torch.save(model)``)."""
    path = Path(path)
    try:
        ck = load_checkpoint(path)
    except EdgekdError:
        if not path.is_file():
            raise
        try:  # a user's own teacher saved as a whole module; unpickling runs code, so only for local files
            obj = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:
            raise EdgekdError(f"{path}: neither an edgekd checkpoint nor a pickled torch module ({e})") from None
        if not isinstance(obj, nn.Module):
            raise EdgekdError(f"{path}: expected an edgekd checkpoint or an nn.Module, got {type(obj).__name__}")
        return obj.to(device), {"model_name": None, "role": "external"}
    if ck.get("model_name") is None:
        raise EdgekdError(f"{path}: checkpoint has no zoo model_name; load its .module.pt file instead")
    model = zoo.build(ck["model_name"], **ck["model_kwargs"])
    model.load_state_dict(ck["state_dict"])
    return model.to(device), ck


def _cosine(total_steps: int):
    return lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / max(total_steps, 1)))


def fit(model: nn.Module, train_ds: Dataset, test_ds: Dataset, objective: Objective, cfg: TrainConfig, *,
        name: str, checkpoint: str | os.PathLike | None = None, resume: bool = False,
        meta: dict[str, Any] | None = None) -> RunResult:
    """Train ``model`` on ``train_ds`` minimizing ``objective``; evaluate on ``test_ds`` every epoch.

    Adam with a per-step cosine decay from ``cfg.lr`` to 0. ``meta`` is merged into the checkpoint (model
    name and kwargs, preprocess, role, args). With ``resume`` an existing checkpoint continues from its last
    completed epoch (a complete one is returned without training). Under torchrun (see ddp.py) the model is
    wrapped in DDP and rank 0 writes the checkpoint.
    """
    device = resolve_device(cfg.device)
    model.to(device)
    meta = dict(meta or {})
    ck_path = Path(checkpoint) if checkpoint else None
    world = ddp.world_size()
    if cfg.batch_size % world:
        raise EdgekdError(f"batch_size {cfg.batch_size} is not divisible by the {world} DDP processes")
    local_bs = cfg.batch_size // world

    # Size objective-owned modules (hint regressors) from one batch before building the optimizer.
    first = next(iter(make_loader(train_ds, local_bs, shuffle=False)))
    objective.prepare(model, objective.adapter(first).to(device))
    params = [p for p in model.parameters() if p.requires_grad]
    extra = objective.extra_parameters()
    opt = torch.optim.Adam(params + extra, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = len(make_loader(train_ds, local_bs, shuffle=True, seed=cfg.seed,
                                      distributed=ddp.is_distributed()))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _cosine(cfg.epochs * steps_per_epoch))

    result = RunResult(name, meta.get("model_name"), zoo.count_parameters(model), zoo.size_bytes(model),
                       checkpoint=str(ck_path) if ck_path else None)
    start_epoch = 0
    if resume and ck_path is not None and ck_path.is_file():
        ck = load_checkpoint(ck_path)
        model.load_state_dict(ck["state_dict"])
        result.history = [EpochLog(**h) for h in ck.get("history", [])]
        start_epoch = int(ck["epoch"])
        if start_epoch > cfg.epochs:
            raise EdgekdError(f"{ck_path}: has {start_epoch} epochs, more than the {cfg.epochs} asked for")
        ts = ck.get("train_state") or {}
        if start_epoch < cfg.epochs:
            if not ts:
                raise EdgekdError(f"{ck_path}: incomplete checkpoint without train_state; cannot resume")
            opt.load_state_dict(ts["optimizer"])
            sched.load_state_dict(ts["scheduler"])
            objective.load_extra_state(ts.get("objective", {}))
        result.resumed_at_epoch = start_epoch

    net: nn.Module = model
    if ddp.is_distributed():
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    epochs_bar = _progress(range(start_epoch, cfg.epochs), cfg.progress, desc=name, unit="epoch",
                           initial=start_epoch, total=cfg.epochs)
    for epoch in epochs_bar:
        t0 = time.perf_counter()
        torch.manual_seed(cfg.seed * 7919 + epoch)  # nothing in the zoo draws, but user models may
        loader = make_loader(train_ds, local_bs, shuffle=True, seed=cfg.seed,
                             distributed=ddp.is_distributed(), epoch=epoch)
        net.train()
        loss_sum, correct, seen, labelled = 0.0, 0, 0, 0
        for batch in _progress(loader, cfg.progress, desc=f"{name} {epoch + 1}/{cfg.epochs}", unit="batch"):
            views: Views = objective.adapter(batch).to(device)
            loss, logits = objective(net, views)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            ddp.average_gradients(extra)
            opt.step()
            sched.step()
            n = len(views.student_x)
            loss_sum += loss.item() * n
            seen += n
            if views.labels is not None:
                known = views.labels >= 0
                correct += (logits.argmax(1)[known] == views.labels[known]).sum().item()
                labelled += int(known.sum().item())
        loss_sum, correct, seen, labelled = ddp.all_reduce_sum([loss_sum, correct, seen, labelled])
        test_loss, test_acc = evaluate(model, test_ds, device, adapter=objective.adapter)
        log = EpochLog(epoch + 1, loss_sum / seen, correct / labelled if labelled else float("nan"), test_loss, test_acc,
                       opt.param_groups[0]["lr"], time.perf_counter() - t0)
        result.history.append(log)
        if hasattr(epochs_bar, "set_postfix"):
            epochs_bar.set_postfix(loss=f"{log.train_loss:.3f}", test_acc=f"{test_acc:.4f}")
        every = cfg.checkpoint_every
        if ck_path is not None and ddp.is_main() and (epoch + 1 == cfg.epochs or (every and (epoch + 1) % every == 0)):
            save_checkpoint(ck_path, _payload(model, meta, result, cfg, epoch + 1,
                                              {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                                               "objective": objective.extra_state()}))
    result.wall_s = sum(h.seconds for h in result.history)
    if ck_path is not None and ddp.is_main():
        if start_epoch == cfg.epochs == 0 or not ck_path.is_file():  # nothing trained: still leave a checkpoint
            save_checkpoint(ck_path, _payload(model, meta, result, cfg, cfg.epochs, {}))
        torch.save(model, ck_path.with_suffix(".module.pt"))
    ddp.barrier()
    model.eval()
    return result


def _payload(model: nn.Module, meta: dict[str, Any], result: RunResult, cfg: TrainConfig, epoch: int,
             train_state: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "model_name": meta.get("model_name"),
        "model_kwargs": meta.get("model_kwargs", {}),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "preprocess": meta.get("preprocess"),
        "role": meta.get("role", result.name),
        "args": meta.get("args", {}),
        "train_config": asdict(cfg),
        "epoch": epoch,
        "epochs": cfg.epochs,
        "complete": epoch >= cfg.epochs,
        "history": [asdict(h) for h in result.history],
        "parameters": result.parameters,
        "size_bytes": result.size_bytes,
        "train_state": train_state if epoch < cfg.epochs else {},
    }
