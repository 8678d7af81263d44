"""Self-distillation, born-again style (Furlanello et al. 2018): generation 0 is trained on labels alone;
generation g+1 — the same architecture, fresh weights — is distilled from generation g; N generations.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from torch import nn
from torch.utils.data import Dataset

from .objectives import DistillObjective, SupervisedObjective
from .trainer import RunResult, TrainConfig, fit, seed_everything


@dataclass
class BornAgainResult:
    generations: list[RunResult] = field(default_factory=list)
    models: list[nn.Module] = field(default_factory=list)

    @property
    def accuracies(self) -> list[float]:
        return [g.test_acc for g in self.generations]


def born_again(make_model: Callable[[], nn.Module], train_ds: Dataset, test_ds: Dataset, cfg: TrainConfig, *,
               generations: int = 2, temperature: float = 4.0, alpha: float = 0.5,
               out: str | Path | None = None, meta: dict | None = None) -> BornAgainResult:
    """Train generation 0 on labels, then ``generations`` more, each distilled from the previous one.

    ``make_model`` builds a fresh student; each generation is seeded with ``cfg.seed + g`` so that the
    generations start from different weights (otherwise a generation would start at its teacher's init).
    Checkpoints go to ``out/gen<g>.pt`` when ``out`` is given.
    """
    result = BornAgainResult()
    teacher: nn.Module | None = None
    for g in range(generations + 1):
        seed_everything(cfg.seed + g)
        model = make_model()
        gcfg = dataclasses.replace(cfg, seed=cfg.seed + g)
        objective = SupervisedObjective() if teacher is None else DistillObjective(teacher, temperature, alpha)
        ck = Path(out) / f"gen{g}.pt" if out is not None else None
        run = fit(model, train_ds, test_ds, objective, gcfg, name=f"gen{g}", checkpoint=ck,
                  meta={**(meta or {}), "role": f"born_again_gen{g}"})
        result.generations.append(run)
        result.models.append(model)
        teacher = model
    return result
