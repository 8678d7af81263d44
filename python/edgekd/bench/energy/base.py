"""What every energy source shares: the reading it returns, the labelled result, window integration."""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Tuple

from ...errors import EdgekdError

# How far a figure can be trusted, printed next to every number.
MEASURED = "measured"
LOWER_BOUND = "lower bound"  # some rails are not seen by the sensor (e.g. Pi 5 PMIC misses the 5 V stage)
MODELED = "modeled"  # the device profile's power model, not a measurement


@dataclass(frozen=True)
class EnergyReading:
    """Energy over one window, as a source saw it."""

    joules: float
    seconds: float
    rails: dict[str, float] = field(default_factory=dict)  # joules per zone / rail, for the record
    samples: int = 0


@dataclass(frozen=True)
class EnergyResult:
    """Energy of a benchmark window, named by its source, with the idle baseline taken out."""

    source: str  # "rapl", "ina3221", "tegrastats", "pmic", "meter-csv", "modeled"
    kind: str  # MEASURED, LOWER_BOUND or MODELED
    description: str  # which zones / rails / files / profile
    seconds: float
    joules: float  # everything the source saw in the window
    idle_w: float | None  # baseline power, None when it could not be measured
    inferences: int | None = None
    rails: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    label: str = ""  # what a table prints: "rapl", "pmic (lower bound)", "modeled (rpi4 profile)"

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", default_label(self.source, self.kind))

    @property
    def watts(self) -> float:
        return self.joules / self.seconds if self.seconds > 0 else 0.0

    @property
    def net_joules(self) -> float | None:
        """Energy above the idle baseline: what the work itself cost."""
        if self.idle_w is None:
            return None
        return self.joules - self.idle_w * self.seconds

    @property
    def joules_per_inference(self) -> float | None:
        if not self.inferences:
            return None
        e = self.net_joules if self.net_joules is not None else self.joules
        return e / self.inferences

    def as_dict(self) -> dict:
        total = self.joules / self.inferences if self.inferences else None
        return {
            "source": self.label,
            "source_name": self.source,
            "kind": self.kind,
            "description": self.description,
            "seconds": self.seconds,
            "joules": self.joules,
            "watts": self.watts,
            "idle_w": self.idle_w,
            "net_joules": self.net_joules,
            "inferences": self.inferences,
            "joules_per_inference": self.joules_per_inference,
            "joules_per_inference_total": total,
            "baseline_subtracted": self.idle_w is not None,
            "rails": dict(self.rails),
            "notes": list(self.notes),
        }


def default_label(name: str, kind: str) -> str:
    return name if kind in (MEASURED, name) else f"{name} ({kind})"


class EnergySource(ABC):
    """start() ... stop() -> EnergyReading of that window. One window at a time."""

    name: str = "?"
    kind: str = MEASURED

    @property
    def label(self) -> str:
        return default_label(self.name, self.kind)

    @property
    @abstractmethod
    def description(self) -> str: ...

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> EnergyReading: ...

    def close(self) -> None:
        """Release processes or threads; the source cannot be used afterwards."""


def read_sysfs(path: Path) -> str:
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read().strip()


Sample = Tuple[float, Dict[str, float]]  # (time in seconds, watts per rail); typing's: 3.8 has no tuple[...]


def integrate_window(samples: list[Sample], t0: float, t1: float) -> dict[str, float]:
    """Joules per rail over [t0, t1] from instantaneous power samples (trapezoids between samples; the
    first and last values are held out to the window's edges). Each rail is integrated on its own, so a
    rail missing from one sample does not drop the others."""
    if t1 <= t0:
        return {}
    rails: dict[str, list[tuple[float, float]]] = {}
    for t, watts in sorted(samples, key=lambda s: s[0]):
        for rail, w in watts.items():
            rails.setdefault(rail, []).append((t, w))
    out: dict[str, float] = {}
    for rail, series in rails.items():
        before = [s for s in series if s[0] <= t0]
        inside = [s for s in series if t0 < s[0] < t1]
        after = [s for s in series if s[0] >= t1]
        nxt = inside[0] if inside else (after[0] if after else None)
        if before and nxt is not None:
            start_w = _interp(before[-1], nxt, t0)
        elif before or nxt is not None:
            start_w = before[-1][1] if before else nxt[1]  # type: ignore[index]
        else:
            continue
        pts = [(t0, start_w)] + inside
        end_w = pts[-1][1] if not after else _interp(pts[-1], after[0], t1)
        pts.append((t1, end_w))
        out[rail] = sum((b[0] - a[0]) * (a[1] + b[1]) / 2.0 for a, b in zip(pts, pts[1:]))
    return out


def _interp(a: tuple[float, float], b: tuple[float, float], t: float) -> float:
    if b[0] == a[0]:
        return b[1]
    return a[1] + (b[1] - a[1]) * (t - a[0]) / (b[0] - a[0])


class SampledPowerSource(EnergySource):
    """A sensor that gives instantaneous power: sampled on a thread and integrated over the window."""

    interval_s = 0.05

    @abstractmethod
    def read_power_w(self) -> dict[str, float]:
        """Watts per rail now; raise OSError (or EdgekdError) if the sensor cannot be read."""

    def total_joules(self, rails: dict[str, float]) -> float:
        """The window's energy from the per-rail energies (a total rail, or the sum of rails)."""
        return sum(rails.values())

    def __init__(self) -> None:
        self._samples: list[Sample] = []
        self._errors: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._clock: Callable[[], float] = time.monotonic

    def _sample(self) -> None:
        try:
            self._samples.append((self._clock(), self.read_power_w()))
        except (OSError, ValueError, EdgekdError) as e:
            self._errors.append(str(e))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def start(self) -> None:
        if self._thread is not None:
            raise EdgekdError(f"energy source {self.name}: start() called twice without stop()")
        self._samples, self._errors = [], []
        self._stop.clear()
        self._t0 = self._clock()
        self._sample()
        self._thread = threading.Thread(target=self._loop, name=f"edgekd-energy-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> EnergyReading:
        if self._thread is None:
            raise EdgekdError(f"energy source {self.name}: stop() without start()")
        self._stop.set()
        self._thread.join()
        self._thread = None
        self._sample()
        t1 = self._clock()
        if not self._samples:
            detail = self._errors[-1] if self._errors else "no samples"
            raise EdgekdError(f"energy source {self.name} ({self.description}): could not be read: {detail}")
        rails = integrate_window(self._samples, self._t0, t1)
        return EnergyReading(self.total_joules(rails), t1 - self._t0, rails, len(self._samples))

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
