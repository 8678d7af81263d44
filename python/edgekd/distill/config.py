"""Run configuration for ``edgekd distill`` / :func:`edgekd.distill.run_distill` (no torch import here).

A TOML file uses the same keys as the command-line flags (with ``_`` or ``-``), at the top level or
under a ``[distill]`` table::

    dataset = "fashion-mnist"
    teacher = "cnn_teacher"
    student = "cnn_student"
    temperature = 4.0
    alpha = 0.5
    epochs = 5
    lr = 2e-3
    out = "runs/fashion"

Precedence: built-in defaults < the TOML file < flags given on the command line.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import EdgekdError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib  # type: ignore[no-redef]


@dataclass
class DistillConfig:
    dataset: str = "digits"
    teacher: str = "cnn_teacher_8x8"      # a zoo name, or a checkpoint file to load instead of training
    student: str = "cnn_student_8x8"
    temperature: float = 4.0
    alpha: float = 0.5                   # weight of the hard-label loss; 1 = plain supervised
    epochs: int = 10                     # student epochs (student alone and distilled)
    teacher_epochs: int | None = None    # default: same as epochs
    lr: float = 3e-3
    teacher_lr: float | None = None      # default: same as lr
    batch_size: int = 128                # global batch size (divided among DDP ranks)
    weight_decay: float = 0.0
    seed: int = 0
    out: str = "runs/distill"
    resume: bool = False
    device: str = "auto"                 # auto (CUDA when present, else CPU), cpu, cuda, cuda:1
    max_train: int | None = None         # use a fixed random subset of the training set (quick runs)
    teacher_max_train: int | None = None  # teacher's subset size; default: same as max_train
    cache_teacher_logits: bool = True    # compute teacher logits once (valid: no data augmentation)
    hints: list[str] = field(default_factory=list)  # FitNets pairs "student.path=teacher.path"
    hint_weight: float = 1.0
    threads: int | None = None          # torch intra-op threads; None = torch's default (all cores)
    progress: bool = True
    plots: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.temperature <= 0:
            raise EdgekdError(f"temperature must be positive, got {self.temperature}")
        if not 0.0 <= self.alpha <= 1.0:
            raise EdgekdError(f"alpha must be in [0, 1], got {self.alpha}")
        for name in ("epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise EdgekdError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.teacher_epochs is not None and self.teacher_epochs < 0:
            raise EdgekdError(f"teacher_epochs must be >= 0, got {self.teacher_epochs}")
        if self.lr <= 0 or (self.teacher_lr is not None and self.teacher_lr <= 0):
            raise EdgekdError("learning rates must be positive")
        if self.threads is not None and self.threads < 1:
            raise EdgekdError(f"threads must be at least 1, got {self.threads}")
        for h in self.hints:
            if h.count("=") != 1:
                raise EdgekdError(f"hint {h!r}: expected 'student.module.path=teacher.module.path'")

    @property
    def effective_teacher_epochs(self) -> int:
        return self.epochs if self.teacher_epochs is None else self.teacher_epochs

    @property
    def effective_teacher_lr(self) -> float:
        return self.lr if self.teacher_lr is None else self.teacher_lr

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> "DistillConfig":
        return dataclasses.replace(self, **changes)


_FIELD_TYPES = {f.name: f.type for f in fields(DistillConfig)}


def _coerce(key: str, value: Any, source: str) -> Any:
    kind = str(_FIELD_TYPES[key])
    try:
        if value is None:
            return None
        if kind.startswith("bool"):
            if not isinstance(value, bool):
                raise TypeError
            return value
        if kind.startswith("int"):
            if isinstance(value, bool) or float(value) != int(value):
                raise TypeError
            return int(value)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("list"):
            if not isinstance(value, list):
                raise TypeError
            return [str(v) for v in value]
        return str(value)
    except (TypeError, ValueError):
        raise EdgekdError(f"{source}: key {key!r} expects {kind}, got {value!r}") from None


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a run TOML file into a dict of DistillConfig keys (validated names and types)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise EdgekdError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise EdgekdError(f"{path}: invalid TOML: {e}") from None
    if isinstance(data.get("distill"), dict):
        data = data["distill"]
    out: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = raw_key.replace("-", "_")
        if key not in _FIELD_TYPES:
            raise EdgekdError(f"{path}: unknown key {raw_key!r}; expected one of {', '.join(sorted(_FIELD_TYPES))}")
        out[key] = _coerce(key, value, str(path))
    return out


def build_config(config_file: str | Path | None = None, **overrides: Any) -> DistillConfig:
    """Defaults, then the TOML file, then the overrides that are not None."""
    values: dict[str, Any] = {}
    if config_file:
        values.update(load_toml(config_file))
    values.update({k: v for k, v in overrides.items() if v is not None and k in _FIELD_TYPES})
    return DistillConfig(**values)
