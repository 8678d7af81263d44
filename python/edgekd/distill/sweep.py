"""Grid search over temperature, alpha and learning rate for the distilled student.

The teacher is trained (or loaded) once and its logits cached once; the student alone is trained once per
learning rate (it does not depend on T or alpha) as the baseline; then one distilled student per grid
point, all from the same initial weights. Writes ``sweep.json`` (every point, sorted best first, plus the
baselines) and ``sweep.png`` (accuracy against T, one line per (alpha, lr), baseline dashed).
"""
from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from . import data as data_mod
from . import ddp
from .config import DistillConfig
from .pipeline import obtain_teacher, train_distilled, train_student_alone, with_teacher_logits, write_json
from .trainer import resolve_device


@dataclass
class SweepResult:
    rows: list[dict[str, Any]]          # best first
    baselines: dict[float, float]       # lr -> student-alone test accuracy
    teacher_acc: float
    paths: dict[str, Path]

    @property
    def best(self) -> dict[str, Any]:
        return self.rows[0]


def run_sweep(base: DistillConfig, temperatures: Sequence[float], alphas: Sequence[float], lrs: Sequence[float],
              bundle: data_mod.DataBundle | None = None) -> SweepResult:
    import torch

    if not temperatures or not alphas or not lrs:
        raise ValueError("every sweep axis needs at least one value")
    device = resolve_device(base.device)
    if base.threads is not None:
        torch.set_num_threads(base.threads)
    out = Path(base.out)
    out.mkdir(parents=True, exist_ok=True)
    bundle = bundle or data_mod.load(base.dataset)
    train_ds = data_mod.subset(bundle.train, base.max_train)
    with ddp.process_group_from_env(device):
        teacher, teacher_run = obtain_teacher(base, bundle, train_ds, device, out / "teacher.pt")
        distill_train = with_teacher_logits(base, train_ds, teacher, device)
        baselines: dict[float, float] = {}
        for lr in lrs:
            cfg = dataclasses.replace(base, lr=lr)
            _, run = train_student_alone(cfg, bundle, train_ds, device, None)
            baselines[lr] = run.test_acc
        rows = []
        for t, a, lr in itertools.product(temperatures, alphas, lrs):
            cfg = dataclasses.replace(base, temperature=t, alpha=a, lr=lr)
            t0 = time.perf_counter()
            _, run = train_distilled(cfg, bundle, distill_train, teacher, device, None,
                                     name=f"T={t:g} a={a:g} lr={lr:g}")
            rows.append({"temperature": t, "alpha": a, "lr": lr, "test_acc": run.test_acc,
                         "test_loss": run.test_loss, "gain_over_alone": run.test_acc - baselines[lr],
                         "wall_s": time.perf_counter() - t0})
    rows.sort(key=lambda r: -r["test_acc"])
    paths = {"json": out / "sweep.json", "png": out / "sweep.png"}
    if ddp.is_main():
        write_json(paths["json"], {"format": "edgekd.distill.sweep/1", "config": base.to_dict(),
                                   "grid": {"temperature": list(temperatures), "alpha": list(alphas),
                                            "lr": list(lrs)},
                                   "teacher_acc": teacher_run.test_acc,
                                   "student_alone_acc_by_lr": {str(k): v for k, v in baselines.items()},
                                   "results": rows})
        from .plots import plot_sweep

        plot_sweep(rows, paths["png"], baseline_acc=max(baselines.values()),
                   title=f"{bundle.name}: {base.student} distilled from {Path(base.teacher).name}")
    return SweepResult(rows, baselines, teacher_run.test_acc, paths)
