"""An external power meter's CSV log (USB-C / barrel-jack inline meters, bench supplies, Otii, ...).

The meter logs on its own; edgekd reads the log after the window and integrates the samples whose
timestamps fall inside it. The header names the columns, units in parentheses or brackets:

    time,voltage (V),current (A)            time,power [mW]            timestamp,Power(W)
    1764384000.00,5.102,0.612               2026-11-29T02:40:00.125,3121

  time:    a column named time / timestamp / t / epoch / unix_time (/ time_s, time_ms): Unix seconds
           (ms with an "ms" unit), or ISO 8601 date-times (naive ones are taken as local time);
  power:   a column named power / p / watts / w in W, mW or uW;
  or both  voltage / volts / v (V or mV) and current / amps / a / i (A or mA), multiplied.

The meter's clock must agree with this machine's (or pass time_offset_s = meter clock - our clock).
Delimiters , ; and tab are recognised.
"""
from __future__ import annotations

import csv
import re
import time
from datetime import datetime
from pathlib import Path

from ...errors import EdgekdError
from .base import MEASURED, EnergyReading, EnergySource, Sample, integrate_window

_TIME = {"time", "timestamp", "t", "epoch", "unix_time", "unixtime", "time_s", "time_ms", "datetime", "date_time"}
_POWER = {"power", "p", "watts", "w", "power_w", "power_mw"}
_VOLT = {"voltage", "volts", "v", "volt", "voltage_v", "voltage_mv", "vbus"}
_CURR = {"current", "amps", "a", "i", "current_a", "current_ma", "ibus"}
_SCALE = {"w": 1.0, "mw": 1e-3, "uw": 1e-6, "µw": 1e-6, "v": 1.0, "mv": 1e-3, "a": 1.0, "ma": 1e-3,
          "ua": 1e-6, "µa": 1e-6, "s": 1.0, "ms": 1e-3, "": 1.0}


def _split_header(h: str) -> tuple[str, str]:
    """'Current (mA)' -> ('current', 'ma'); 'power_mw' -> ('power_mw', 'mw')."""
    m = re.match(r"^\s*([^(\[]+?)\s*(?:[(\[]\s*([^)\]]*)\s*[)\]])?\s*$", h)
    name = (m.group(1) if m else h).strip().lower().replace(" ", "_")
    unit = (m.group(2) or "").strip().lower() if m else ""
    if not unit:
        for suffix in ("_mw", "_uw", "_mv", "_ma", "_ms", "_w", "_v", "_a", "_s"):
            if name.endswith(suffix) and name != suffix[1:]:
                unit = suffix[1:]
                break
    return name, unit


def _column(headers: list[tuple[str, str]], names: set[str]) -> int | None:
    return next((i for i, (n, _u) in enumerate(headers) if n in names), None)


def _scale(path: Path, header: str, unit: str) -> float:
    if unit not in _SCALE:
        raise EdgekdError(f"meter log {path}: column {header!r}: unknown unit {unit!r}")
    return _SCALE[unit]


def read_meter_csv(path: Path | str) -> list[tuple[float, float]]:
    """(Unix time in seconds, watts) for every row of the log."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise EdgekdError(f"meter log {path}: cannot read: {e.strerror or e}") from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) < 2:
        raise EdgekdError(f"meter log {path}: needs a header line and at least one sample")
    delim = max(",;\t", key=lines[0].count)
    rows = list(csv.reader(lines, delimiter=delim))
    raw_headers = rows[0]
    headers = [_split_header(h) for h in raw_headers]
    ti = _column(headers, _TIME)
    pi = _column(headers, _POWER)
    vi, ci = _column(headers, _VOLT), _column(headers, _CURR)
    if ti is None:
        raise EdgekdError(f"meter log {path}: no time column (one of: time, timestamp, t, epoch) in {raw_headers}")
    if pi is None and (vi is None or ci is None):
        raise EdgekdError(f"meter log {path}: needs a power column, or voltage and current columns; "
                          f"header is {raw_headers}")
    tscale = _scale(path, raw_headers[ti], headers[ti][1] or ("ms" if headers[ti][0] == "time_ms" else "s"))
    out = []
    for lineno, row in enumerate(rows[1:], start=2):
        try:
            ts = row[ti].strip()
            try:
                t = float(ts) * tscale
            except ValueError:
                t = datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
            if pi is not None:
                w = float(row[pi]) * _scale(path, raw_headers[pi], headers[pi][1] or "w")
            else:
                w = (float(row[vi]) * _scale(path, raw_headers[vi], headers[vi][1] or "v")  # type: ignore[index]
                     * float(row[ci]) * _scale(path, raw_headers[ci], headers[ci][1] or "a"))  # type: ignore[index]
        except (ValueError, IndexError):
            raise EdgekdError(f"meter log {path}: line {lineno}: cannot read {row!r}") from None
        out.append((t, w))
    return out


class MeterCsvSource(EnergySource):
    name = "meter-csv"
    kind = MEASURED

    def __init__(self, path: Path | str, time_offset_s: float = 0.0, settle_s: float = 0.0):
        self.path = Path(path)
        self.time_offset_s = time_offset_s
        self.settle_s = settle_s  # wait this long at stop() for the meter to flush its last samples
        if not self.path.is_file():
            raise EdgekdError(f"meter log {self.path}: not found")
        self._w0 = self._m0 = 0.0

    @property
    def description(self) -> str:
        return f"external meter log {self.path}"

    def start(self) -> None:
        self._w0, self._m0 = time.time(), time.monotonic()

    def stop(self) -> EnergyReading:
        w1, seconds = time.time(), time.monotonic() - self._m0
        if self.settle_s:
            time.sleep(self.settle_s)
        return self.energy_between(self._w0, w1, seconds)

    def energy_between(self, t0: float, t1: float, seconds: float | None = None) -> EnergyReading:
        """Energy the log shows between Unix times t0 and t1 (this machine's clock)."""
        samples = read_meter_csv(self.path)
        lo, hi = t0 + self.time_offset_s, t1 + self.time_offset_s
        inside = [s for s in samples if lo <= s[0] <= hi]
        if not inside:
            span = f"{samples[0][0]:.3f}..{samples[-1][0]:.3f}" if samples else "empty"
            raise EdgekdError(f"meter log {self.path}: no samples between {lo:.3f} and {hi:.3f} (log covers "
                              f"{span}); is the meter logging, and do the clocks agree (time_offset_s)?")
        series: list[Sample] = [(t, {"meter": w}) for t, w in samples]
        rails = integrate_window(series, lo, hi)
        return EnergyReading(rails.get("meter", 0.0), seconds if seconds is not None else t1 - t0, rails,
                             len(inside))
