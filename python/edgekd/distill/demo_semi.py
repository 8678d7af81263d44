"""The demo's distillation experiment: knowledge distillation with unlabelled data on scikit-learn's digits.

The setting where distillation pays on a small data set (Hinton et al. 2015 train the student on a
transfer set that need not be labelled): labels are scarce, unlabelled images are not. Per seed:

* **teacher** (a 22 k-parameter CNN) learns from the few labelled digits;
* **student alone** (a 678-parameter CNN) learns from the same labelled digits;
* **distilled student** (same initial weights as the student alone) learns from the labelled digits and
  from the teacher's temperature-softened outputs on the remaining, unlabelled training digits::

      loss = alpha * CE(labelled part of the batch) + (1 - alpha) * T^2 * KL(softmax(t/T) || softmax(s/T))

  with the KL term averaged over every example of the batch (labelled or not).

Both students get the same batch size, the same number of optimizer steps and the same learning-rate
schedule, so the teacher's soft labels are the only difference between them.

Splits of digits' 1347 training images (the 450 test images are used for the final figures only, never for
a choice): a fixed stratified validation split (``val_fraction``, for the curves and for choosing T and
alpha), then per seed ``labels_per_class`` labelled images per class; the rest are the unlabelled pool,
whose labels are replaced by -1 (the project's "no label" value) so that no code path can read them.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from . import zoo
from .data import DataBundle, stratified_split
from .losses import kl_to_targets, soft_targets
from .objectives import Objective, SupervisedObjective, Views, compute_logits
from .trainer import RunResult, TrainConfig, evaluate, fit, seed_everything

UNLABELLED = -1


@dataclass
class SemiConfig:
    """One configuration of the experiment (every seed runs it)."""

    labels_per_class: int = 10
    val_fraction: float = 0.15
    teacher: str = "cnn_teacher_8x8"
    student: str = "cnn_student_8x8"
    temperature: float = 1.0    # T and alpha: the best of 16 settings on the validation split (edgekd demo --tune)
    alpha: float = 0.1          # weight of the hard-label term; 1 = labelled data only
    steps: int = 300            # optimizer steps of each student (the student alone has converged by then)
    teacher_steps: int = 200
    batch_size: int = 32
    lr: float = 1e-2
    teacher_lr: float = 3e-3

    def validate(self) -> None:
        from ..errors import EdgekdError

        if self.temperature <= 0:
            raise EdgekdError(f"temperature must be positive, got {self.temperature}")
        if not 0.0 <= self.alpha <= 1.0:
            raise EdgekdError(f"alpha must be in [0, 1], got {self.alpha}")
        for name in ("labels_per_class", "steps", "teacher_steps", "batch_size"):
            if getattr(self, name) < 1:
                raise EdgekdError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 < self.val_fraction < 1.0:
            raise EdgekdError(f"val_fraction must be in (0, 1), got {self.val_fraction}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Split:
    labelled: TensorDataset      # (x, y)
    unlabelled: TensorDataset    # (x, y = -1)
    val: TensorDataset           # (x, y)
    indices: dict[str, np.ndarray] = field(default_factory=dict)  # rows of the training set, per part

    def sizes(self) -> dict[str, int]:
        return {"labelled": len(self.labelled), "unlabelled": len(self.unlabelled), "val": len(self.val)}


def split_digits(bundle: DataBundle, labels_per_class: int, seed: int, val_fraction: float = 0.15) -> Split:
    """Validation split fixed (seed 0) across seeds; labelled subset drawn per ``seed`` from the rest."""
    from ..errors import EdgekdError

    x, y = bundle.train.tensors  # type: ignore[attr-defined]
    pool, val = stratified_split(y.numpy(), val_fraction, seed=0)
    rng = np.random.default_rng(seed + 1)
    labelled: list[np.ndarray] = []
    for c in range(bundle.num_classes):
        idx = pool[y.numpy()[pool] == c]
        if len(idx) <= labels_per_class:
            raise EdgekdError(f"class {c} has {len(idx)} training images outside the validation split; "
                              f"cannot take {labels_per_class} labelled ones and keep some unlabelled")
        labelled.append(rng.choice(idx, labels_per_class, replace=False))
    lab = np.sort(np.concatenate(labelled))
    unl = np.setdiff1d(pool, lab)
    t = torch.from_numpy
    return Split(TensorDataset(x[t(lab)], y[t(lab)]),
                 TensorDataset(x[t(unl)], torch.full((len(unl),), UNLABELLED, dtype=torch.int64)),
                 TensorDataset(x[t(val)], y[t(val)]), {"labelled": lab, "unlabelled": unl, "val": val})


class SemiDistillObjective(Objective):
    """Hard labels where there are labels, the teacher's soft labels everywhere.

    Batches are ``(x, y, teacher_logits)`` with ``y = -1`` for unlabelled examples. A batch without a
    labelled example has no hard-label term (its loss is the soft term alone, still weighted 1 - alpha).
    """

    def __init__(self, temperature: float, alpha: float):
        self.temperature = float(temperature)
        self.alpha = float(alpha)

    def __call__(self, student: nn.Module, views: Views) -> tuple[torch.Tensor, torch.Tensor]:
        logits = student(views.student_x)
        if views.teacher_logits is None:
            raise ValueError("SemiDistillObjective needs the teacher's logits in every batch")
        t = self.temperature
        soft = kl_to_targets(logits, soft_targets(views.teacher_logits, t), t) * t * t
        labelled = views.labels >= 0
        hard = F.cross_entropy(logits[labelled], views.labels[labelled]) if bool(labelled.any()) \
            else logits.new_zeros(())
        return self.alpha * hard + (1.0 - self.alpha) * soft, logits


def epochs_for(steps: int, n: int, batch_size: int) -> int:
    """Epochs whose optimizer steps come closest to ``steps`` (at least one)."""
    return max(1, round(steps / math.ceil(n / batch_size)))


def steps_of(run: RunResult, n: int, batch_size: int) -> int:
    return len(run.history) * math.ceil(n / batch_size)


@dataclass
class SeedResult:
    seed: int
    test_acc: dict[str, float]          # teacher, student_alone, student (distilled): final test accuracy
    val_acc: dict[str, float]
    steps: dict[str, int]               # optimizer steps per run
    runs: dict[str, RunResult] = field(default_factory=dict)  # histories on the validation split
    sizes: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def gain(self) -> float:
        return self.test_acc["student"] - self.test_acc["student_alone"]

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "test_acc": self.test_acc, "val_acc": self.val_acc, "gain": self.gain,
                "steps": self.steps, "split": self.sizes, "wall_s": self.wall_s}


def _build(name: str, bundle: DataBundle, seed: int) -> nn.Module:
    seed_everything(seed)
    return zoo.build(name, bundle.input_shape, bundle.num_classes)


class _Seed:
    """One seed's split, shared runs (teacher, student alone) and the transfer set for distilled students."""

    def __init__(self, cfg: SemiConfig, bundle: DataBundle, seed: int, checkpoints: Path | None, progress: bool):
        cfg.validate()
        self.cfg, self.bundle, self.seed, self.progress = cfg, bundle, seed, progress
        self.ckdir = checkpoints
        self.split = split_digits(bundle, cfg.labels_per_class, seed, cfg.val_fraction)
        self.n_lab = len(self.split.labelled)
        self.n_all = self.n_lab + len(self.split.unlabelled)
        self.models: dict[str, nn.Module] = {}
        self.runs: dict[str, RunResult] = {}
        self.models["teacher"] = _build(cfg.teacher, bundle, seed)
        self.runs["teacher"] = self._fit("teacher", cfg.teacher, self.split.labelled, SupervisedObjective(),
                                         cfg.teacher_steps, cfg.teacher_lr)
        self.models["student_alone"] = _build(cfg.student, bundle, seed + 1)
        self.runs["student_alone"] = self._fit("student_alone", cfg.student, self.split.labelled,
                                               SupervisedObjective(), cfg.steps, cfg.lr)
        # Teacher outputs computed once (no augmentation), on labelled and unlabelled digits alike.
        x = torch.cat([self.split.labelled.tensors[0], self.split.unlabelled.tensors[0]])
        y = torch.cat([self.split.labelled.tensors[1], self.split.unlabelled.tensors[1]])
        self.transfer = TensorDataset(x, y, compute_logits(self.models["teacher"], x, device=torch.device("cpu")))

    def _fit(self, role: str, model_name: str, ds: TensorDataset, objective: Objective, steps: int,
             lr: float) -> RunResult:
        cfg, bundle = self.cfg, self.bundle
        meta = {"model_name": model_name, "role": role, "args": {"seed": self.seed, **cfg.to_dict()},
                "model_kwargs": {"input_shape": list(bundle.input_shape), "num_classes": bundle.num_classes},
                "preprocess": bundle.preprocess.to_dict() if bundle.preprocess else None}
        tc = TrainConfig(epochs=epochs_for(steps, len(ds), cfg.batch_size), lr=lr, batch_size=cfg.batch_size,
                         seed=self.seed, device="cpu", progress=self.progress,
                         checkpoint_every=0)  # one checkpoint per run: the demo never resumes
        return fit(self.models[role], ds, self.split.val, objective, tc, name=role, meta=meta,
                   checkpoint=self.ckdir / f"{role}.pt" if self.ckdir is not None else None)

    def distill(self, temperature: float, alpha: float) -> RunResult:
        self.models["student"] = _build(self.cfg.student, self.bundle, self.seed + 1)  # the alone's init
        self.runs["student"] = self._fit("student", self.cfg.student, self.transfer,
                                         SemiDistillObjective(temperature, alpha), self.cfg.steps, self.cfg.lr)
        return self.runs["student"]

    def result(self, t0: float, test: bool) -> SeedResult:
        bs, device = self.cfg.batch_size, torch.device("cpu")
        val_acc = {k: r.test_acc for k, r in self.runs.items()}
        test_acc = {k: evaluate(m, self.bundle.test, device)[1] for k, m in self.models.items()} if test else {}
        steps = {k: steps_of(r, self.n_all if k == "student" else self.n_lab, bs) for k, r in self.runs.items()}
        return SeedResult(self.seed, test_acc, val_acc, steps, dict(self.runs), self.split.sizes(),
                          time.perf_counter() - t0)


def run_seed(cfg: SemiConfig, bundle: DataBundle, seed: int, *, checkpoints: Path | None = None,
             progress: bool = False) -> SeedResult:
    """Teacher, student alone and distilled student for one seed, scored on the test split at the end.
    ``checkpoints``: a directory for ``teacher.pt``, ``student_alone.pt`` and ``student.pt``."""
    t0 = time.perf_counter()
    s = _Seed(cfg, bundle, seed, checkpoints, progress)
    s.distill(cfg.temperature, cfg.alpha)
    return s.result(t0, test=True)


def _seed_job(job: tuple[SemiConfig, DataBundle, int, Path | None, int]) -> SeedResult:
    cfg, bundle, seed, checkpoints, threads = job
    torch.set_num_threads(threads)
    return run_seed(cfg, bundle, seed, checkpoints=checkpoints)


def run_seeds(cfg: SemiConfig, bundle: DataBundle, seeds: list[int], *, checkpoints: Path | None = None,
              progress: bool = False, jobs: int = 1,
              on_seed: Callable[[SeedResult], None] | None = None) -> list[SeedResult]:
    """:func:`run_seed` for each seed, in seed order; checkpoints are kept for the first seed only (the one
    exported). ``jobs`` > 1 runs seeds in that many worker processes, one torch thread each (tiny models
    use a core far better as one process per seed than as threads of one process); every seed is seeded on
    its own, so the results do not depend on ``jobs``. Progress bars only with ``jobs`` = 1."""
    threads = torch.get_num_threads()
    todo = [(cfg, bundle, seed, checkpoints if i == 0 else None, threads) for i, seed in enumerate(seeds)]
    out: list[SeedResult] = []
    if jobs <= 1 or len(seeds) == 1:
        for c, b, seed, ck, _ in todo:
            out.append(run_seed(c, b, seed, checkpoints=ck, progress=progress))
            if on_seed is not None:
                on_seed(out[-1])
        return out
    import importlib
    import multiprocessing as mp

    importlib.import_module("torch._dynamo")  # the first optimizer imports it (seconds): once, not per worker

    # fork: the workers inherit torch and the data already in memory instead of importing torch again.
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(min(jobs, len(seeds))) as pool:
        for r in pool.imap(_seed_job, todo):
            out.append(r)
            if on_seed is not None:
                on_seed(r)
    return out


def spread(values: list[float]) -> dict[str, float]:
    """Mean, sample standard deviation (n - 1; 0 for one value), min and max."""
    a = np.asarray(values, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "n": int(len(a))}


def aggregate(results: list[SeedResult]) -> dict[str, Any]:
    """Per-run accuracy spread over seeds and the paired gain (distilled - alone, seed by seed)."""
    out: dict[str, Any] = {k: spread([r.test_acc[k] for r in results]) for k in ("teacher", "student_alone", "student")}
    out["gain"] = spread([r.gain for r in results])
    out["gain"]["per_seed"] = [r.gain for r in results]
    out["gain"]["wins"] = sum(r.gain > 0 for r in results)
    out["gain"]["spread_measure"] = "std (n - 1) of the per-seed gains, paired by seed"
    return out


def tune(base: SemiConfig, bundle: DataBundle, temperatures: list[float], alphas: list[float], seeds: list[int],
         on_row: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Validation accuracy of the distilled student for each (T, alpha), mean over ``seeds``, next to the
    student alone's and the teacher's (trained once per seed). The test split is never evaluated."""
    acc: dict[tuple[float, float], list[float]] = {}
    alone, teacher = [], []
    for seed in seeds:
        s = _Seed(base, bundle, seed, None, False)
        alone.append(s.runs["student_alone"].test_acc)
        teacher.append(s.runs["teacher"].test_acc)
        for t in temperatures:
            for a in alphas:
                acc.setdefault((t, a), []).append(s.distill(t, a).test_acc)
                if on_row is not None:
                    on_row({"seed": seed, "temperature": t, "alpha": a, "val_acc": acc[(t, a)][-1],
                            "val_acc_alone": alone[-1]})
    rows = [{"temperature": t, "alpha": a, "val_acc": float(np.mean(v)), "val_acc_alone": float(np.mean(alone)),
             "val_acc_teacher": float(np.mean(teacher)), "seeds": list(seeds)} for (t, a), v in acc.items()]
    return sorted(rows, key=lambda r: -r["val_acc"])
