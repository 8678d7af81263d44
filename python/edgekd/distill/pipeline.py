"""The three runs of ``edgekd distill``: teacher, student alone, distilled student — callable from Python.

    from edgekd.distill import DistillConfig, run_distill
    result = run_distill(DistillConfig(dataset="digits", epochs=10, out="runs/digits"))
    result.metrics["runs"]["student"]["test_acc"], result.paths["student"]

Files under ``out``: ``teacher.pt`` (unless ``--teacher FILE``), ``student_alone.pt``, ``student.pt`` (the
distilled student; checkpoint format in :mod:`edgekd.distill.trainer`), their ``.module.pt`` twins,
``metrics.json``, ``loss.png`` and ``accuracy.png``. The student alone and the distilled student start
from the same initial weights (same seed), so the difference between them is the teacher's signal only.
"""
from __future__ import annotations

import dataclasses
import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset, TensorDataset

from ..errors import EdgekdError
from . import data as data_mod
from . import ddp, zoo
from .config import DistillConfig
from .hints import parse_pairs
from .jsonsafe import json_safe
from .objectives import DistillObjective, SupervisedObjective, compute_logits
from .trainer import (EpochLog, RunResult, TrainConfig, evaluate, fit, load_model, resolve_device,
                      seed_everything)

METRICS_FORMAT = "edgekd.distill.metrics/1"


@dataclass
class DistillResult:
    out: Path
    paths: dict[str, Path]              # teacher, student_alone, student, metrics, loss_png, accuracy_png
    metrics: dict[str, Any]
    runs: dict[str, RunResult] = field(default_factory=dict)

    @property
    def gain(self) -> float:
        """Test accuracy of the distilled student minus that of the student alone."""
        return self.runs["student"].test_acc - self.runs["student_alone"].test_acc


def _meta(cfg: DistillConfig, bundle: data_mod.DataBundle, model_name: str | None, role: str) -> dict[str, Any]:
    return {"model_name": model_name,
            "model_kwargs": {"input_shape": list(bundle.input_shape), "num_classes": bundle.num_classes},
            "preprocess": bundle.preprocess.to_dict() if bundle.preprocess else None,
            "role": role, "args": cfg.to_dict()}


def _build(name: str, bundle: data_mod.DataBundle, seed: int) -> torch.nn.Module:
    seed_everything(seed)  # same seed -> same initial weights (student alone and distilled share them)
    return zoo.build(name, bundle.input_shape, bundle.num_classes)


def _looks_like_file(spec: str) -> bool:
    return spec not in zoo.ZOO and (Path(spec).suffix in (".pt", ".pth") or Path(spec).exists())


def run_distill(cfg: DistillConfig, bundle: data_mod.DataBundle | None = None) -> DistillResult:
    """Run teacher (or load it), student alone and distilled student; write checkpoints, metrics, figures.

    ``bundle`` overrides ``cfg.dataset`` with data from Python (see :func:`edgekd.distill.data.from_torch`).
    Works unchanged under ``torchrun`` (DDP); only rank 0 writes files.
    """
    device = resolve_device(cfg.device)
    if cfg.threads is not None:
        # On a loaded machine, idle-spinning OpenMP threads cost more than they give for small models.
        torch.set_num_threads(cfg.threads)
    with ddp.process_group_from_env(device):
        if device.type == "cuda" and ddp.is_distributed():
            device = torch.device("cuda", ddp.local_rank())  # one GPU per process
        return _run(cfg, bundle, device)


def train_config(cfg: DistillConfig, device: torch.device) -> TrainConfig:
    return TrainConfig(epochs=cfg.epochs, lr=cfg.lr, batch_size=cfg.batch_size, weight_decay=cfg.weight_decay,
                       seed=cfg.seed, device=str(device), progress=cfg.progress)


def obtain_teacher(cfg: DistillConfig, bundle: data_mod.DataBundle, train_ds: Dataset, device: torch.device,
                   path: Path) -> tuple[torch.nn.Module, RunResult]:
    """Load ``cfg.teacher`` if it is a checkpoint file, else train that zoo model (checkpoint at ``path``)."""
    if _looks_like_file(cfg.teacher):
        teacher, ck = load_model(cfg.teacher, device)
        loss, acc = evaluate(teacher, bundle.test, device)
        run = RunResult("teacher", ck.get("model_name"), zoo.count_parameters(teacher), zoo.size_bytes(teacher),
                        [EpochLog(0, float("nan"), float("nan"), loss, acc, 0.0, 0.0)], checkpoint=str(cfg.teacher))
    else:
        if cfg.teacher not in zoo.ZOO:
            raise EdgekdError(f"teacher {cfg.teacher!r} is neither a zoo model ({', '.join(zoo.ZOO)}) "
                              "nor an existing checkpoint file")
        teacher = _build(cfg.teacher, bundle, cfg.seed)
        t_cfg = dataclasses.replace(train_config(cfg, device), epochs=cfg.effective_teacher_epochs,
                                    lr=cfg.effective_teacher_lr)
        run = fit(teacher, train_ds, bundle.test, SupervisedObjective(), t_cfg, name="teacher", checkpoint=path,
                  resume=cfg.resume, meta=_meta(cfg, bundle, cfg.teacher, "teacher"))
    teacher.eval()
    return teacher, run


def train_student_alone(cfg: DistillConfig, bundle: data_mod.DataBundle, train_ds: Dataset,
                        device: torch.device, path: Path | None) -> tuple[torch.nn.Module, RunResult]:
    """The baseline: the student on labels only (alpha = 1, without paying for the teacher's forward)."""
    student = _build(cfg.student, bundle, cfg.seed + 1)
    run = fit(student, train_ds, bundle.test, SupervisedObjective(), train_config(cfg, device),
              name="student_alone", checkpoint=path, resume=cfg.resume,
              meta=_meta(cfg, bundle, cfg.student, "student_alone"))
    return student, run


def with_teacher_logits(cfg: DistillConfig, train_ds: Dataset, teacher: torch.nn.Module,
                        device: torch.device) -> Dataset:
    """Append the teacher's logits to an in-memory training set (valid: no data augmentation), so the
    teacher runs once instead of once per epoch. Unchanged for hints (they need the teacher's features)."""
    if cfg.cache_teacher_logits and not cfg.hints and isinstance(train_ds, TensorDataset) \
            and len(train_ds.tensors) == 2:
        return data_mod.with_extra(train_ds, compute_logits(teacher, train_ds.tensors[0], device=device))
    return train_ds


def train_distilled(cfg: DistillConfig, bundle: data_mod.DataBundle, train_ds: Dataset, teacher: torch.nn.Module,
                    device: torch.device, path: Path | None, name: str = "student") -> tuple[torch.nn.Module, RunResult]:
    """The distilled student, from the same initial weights as the student alone (same seed)."""
    student = _build(cfg.student, bundle, cfg.seed + 1)
    objective = DistillObjective(teacher, cfg.temperature, cfg.alpha, hints=parse_pairs(cfg.hints),
                                 hint_weight=cfg.hint_weight)
    try:
        run = fit(student, train_ds, bundle.test, objective, train_config(cfg, device), name=name,
                  checkpoint=path, resume=cfg.resume, meta=_meta(cfg, bundle, cfg.student, "student"))
    finally:
        objective.close()
    return student, run


def _run(cfg: DistillConfig, bundle: data_mod.DataBundle | None, device: torch.device) -> DistillResult:
    t_start = time.perf_counter()
    if cfg.student not in zoo.ZOO:
        raise EdgekdError(f"unknown student {cfg.student!r}; expected a zoo model: {', '.join(zoo.ZOO)}")
    bundle = bundle or data_mod.load(cfg.dataset)
    train_ds = data_mod.subset(bundle.train, cfg.max_train)
    out = Path(cfg.out)
    if ddp.is_main():
        out.mkdir(parents=True, exist_ok=True)
    paths = {"teacher": out / "teacher.pt", "student_alone": out / "student_alone.pt",
             "student": out / "student.pt", "metrics": out / "metrics.json",
             "loss_png": out / "loss.png", "accuracy_png": out / "accuracy.png"}
    if _looks_like_file(cfg.teacher):
        paths["teacher"] = Path(cfg.teacher)
    runs: dict[str, RunResult] = {}
    # A teacher may see more data than the students (a large model trained once on everything it has).
    teacher_ds = train_ds if cfg.teacher_max_train is None else data_mod.subset(bundle.train, cfg.teacher_max_train)
    teacher, runs["teacher"] = obtain_teacher(cfg, bundle, teacher_ds, device, paths["teacher"])
    _, runs["student_alone"] = train_student_alone(cfg, bundle, train_ds, device, paths["student_alone"])
    distill_train = with_teacher_logits(cfg, train_ds, teacher, device)
    _, runs["student"] = train_distilled(cfg, bundle, distill_train, teacher, device, paths["student"])

    metrics = build_metrics(cfg, bundle, runs, time.perf_counter() - t_start, device)
    metrics["train_examples"] = {"teacher": len(teacher_ds), "students": len(train_ds)}  # type: ignore[arg-type]
    if ddp.is_main():
        write_json(paths["metrics"], metrics)
        if cfg.plots:
            from .plots import plot_accuracy, plot_loss

            plot_loss(runs, paths["loss_png"], title=f"{bundle.name}: training loss")
            plot_accuracy(runs, paths["accuracy_png"], title=f"{bundle.name}: test accuracy")
    ddp.barrier()
    return DistillResult(out, paths, metrics, runs)


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(json_safe(obj), indent=2, allow_nan=False) + "\n")


def build_metrics(cfg: DistillConfig, bundle: data_mod.DataBundle, runs: dict[str, RunResult],
                  wall_s: float, device: torch.device) -> dict[str, Any]:
    t, s, a = runs["teacher"], runs["student"], runs["student_alone"]
    return {
        "format": METRICS_FORMAT,
        "config": cfg.to_dict(),
        "dataset": bundle.describe(),
        "device": str(device),
        "world_size": ddp.world_size(),
        "host": {"python": platform.python_version(), "torch": torch.__version__,
                 "threads": torch.get_num_threads()},
        "runs": {name: r.to_dict() for name, r in runs.items()},
        "summary": {
            "teacher_acc": t.test_acc, "student_alone_acc": a.test_acc, "student_acc": s.test_acc,
            "distillation_gain": s.test_acc - a.test_acc,
            "param_ratio": s.parameters / t.parameters if t.parameters else float("nan"),
            "teacher_params": t.parameters, "student_params": s.parameters,
        },
        "wall_s": wall_s,
    }
