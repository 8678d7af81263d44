"""Checks of what a benchmark runs with (the model file, the numbers), shared by `edgekd bench` and
`edgekd deploy`, made before any work starts. The ranges are edgekd-run's own, so a bundle on a device never gets a value its runner
refuses after the bundle was built and uploaded."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..errors import EdgekdError

MAX_THREADS = 256
MAX_RUNS = 10_000_000
MAX_WARMUP = 1_000_000


def _int_in(flag: str, value: int, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise EdgekdError(f"{flag} must be an integer in [{lo}, {hi}], got {value!r}")


def check_run_options(threads: int, runs: int, warmup: int, min_seconds: Optional[float] = None) -> None:
    """Raises EdgekdError naming the first option out of range."""
    _int_in("--threads", threads, 1, MAX_THREADS)
    _int_in("--runs", runs, 1, MAX_RUNS)
    _int_in("--warmup", warmup, 0, MAX_WARMUP)
    if min_seconds is not None and not (0 <= min_seconds < float("inf")):  # also rejects NaN
        raise EdgekdError(f"--min-seconds must be a number >= 0, got {min_seconds!r}")


def check_model_file(model: Path) -> None:
    """The model exists and is a well-formed .tflite (structure only: ops are the backends' business)."""
    model = Path(model)
    if not model.exists():
        raise EdgekdError(f"{model}: no such model file")
    if not model.is_file():
        raise EdgekdError(f"{model}: not a file")
    from ..tflite.reader import read_tflite_info

    try:
        read_tflite_info(model)
    except OSError as e:
        raise EdgekdError(f"{model}: cannot read: {e.strerror or e}") from None
    except (EdgekdError, ValueError) as e:
        msg = str(e)
        raise EdgekdError(msg if msg.startswith(str(model)) else f"{model}: {msg}") from None
