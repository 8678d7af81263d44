"""Jetson `tegrastats`: one status line per interval, with the INA3221 rails at the end.

JetPack 4 (Nano):   ... GPU@26C AO@32.5C thermal@26.25C POM_5V_IN 1189/1189 POM_5V_GPU 0/0 POM_5V_CPU 119/119
JetPack 5+ (Orin):  ... tj@47.2C VDD_IN 4507mW/4507mW VDD_CPU_GPU_CV 553mW/553mW VDD_SOC 1425mW/1425mW
Each rail is "<NAME> <current>/<average>" in milliwatts (the unit is printed from JetPack 5 on). See
NVIDIA's Jetson Linux Developer Guide, "tegrastats Utility" (docs.nvidia.com/jetson/archives/r36.3/
DeveloperGuide/AT/JetsonLinuxDevelopmentTools/TegrastatsUtility.html). Used when the sysfs rails cannot
be read directly (tegrastats may run with privileges the benchmark lacks) or from a captured log.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from ...errors import EdgekdError
from .base import LOWER_BOUND, MEASURED, EnergyReading, EnergySource, Sample, integrate_window
from .ina3221 import TOTAL_RAILS

# NAME cur/avg, optional mW on each; not followed by a unit such as the "MB" of "RAM 1904/3956MB".
_RAIL = re.compile(r"(?<![\w@])([A-Z][A-Z0-9_]*[A-Z0-9]) (\d+)(?:mW)?/(\d+)(?:mW)?(?=\s|$)")
_NOT_RAILS = {"RAM", "SWAP", "IRAM"}


def parse_tegrastats_line(line: str) -> dict[str, float]:
    """Instantaneous watts per rail in one tegrastats line ({} if the line has no rails)."""
    out = {}
    for name, cur, _avg in _RAIL.findall(line):
        if name not in _NOT_RAILS:
            out[name] = int(cur) / 1e3
    return out


def total_rail_of(rails: dict[str, float]) -> str | None:
    return next((n for n in TOTAL_RAILS if n in rails), None)


class TegrastatsSource(EnergySource):
    """Runs `tegrastats --interval <ms>` for the window and integrates its total rail."""

    name = "tegrastats"

    def __init__(self, command: list[str] | None = None, interval_ms: int = 100):
        if command is None:
            exe = shutil.which("tegrastats")
            if exe is None:
                raise EdgekdError("tegrastats: not found on PATH (it ships with NVIDIA Jetson Linux)")
            command = [exe, "--interval", str(interval_ms)]
        self.command = command
        self.kind = MEASURED
        self._proc: subprocess.Popen | None = None
        self._samples: list[Sample] = []
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._total: str | None = None

    @property
    def description(self) -> str:
        rail = self._total or "POM_5V_IN or VDD_IN"
        return f"tegrastats total rail {rail} ({' '.join(self.command)})"

    def _reader(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            rails = parse_tegrastats_line(line)
            if rails:
                self._samples.append((time.monotonic(), rails))

    def start(self) -> None:
        self._samples = []
        try:
            self._proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                          text=True, bufsize=1)
        except OSError as e:
            raise EdgekdError(f"tegrastats: cannot start {self.command[0]}: {e.strerror}") from None
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._reader, name="edgekd-tegrastats", daemon=True)
        self._thread.start()

    def stop(self) -> EnergyReading:
        t1 = time.monotonic()
        self.close()
        if not self._samples:
            raise EdgekdError(f"tegrastats: no line with power rails from {' '.join(self.command)}")
        rails = integrate_window(self._samples, self._t0, t1)
        self._total = total_rail_of(self._samples[-1][1])
        if self._total is None:
            self.kind = LOWER_BOUND
            total = sum(rails.values())
        else:
            total = rails[self._total]
        return EnergyReading(total, t1 - self._t0, rails, len(self._samples))

    def close(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None


def energy_from_log(path: Path | str, interval_s: float) -> dict[str, float]:
    """Joules per rail in a captured `tegrastats --interval <ms> --logfile <path>` log (lines
    interval_s apart; timestamps, where printed, are not needed)."""
    samples: list[Sample] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            rails = parse_tegrastats_line(line)
            if rails:
                samples.append((len(samples) * interval_s, rails))
    if not samples:
        raise EdgekdError(f"tegrastats log {path}: no line with power rails")
    return integrate_window(samples, 0.0, len(samples) * interval_s)
