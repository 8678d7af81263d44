"""Time units for people: one unit per table, picked from the magnitude of its values, so that a 40 µs
model reads "45.0 µs" rather than "0.045 ms" and every latency in one table compares at a glance.
JSON and CSV keep milliseconds; only printed tables use this."""
from __future__ import annotations

from typing import Iterable, Optional, Tuple

# (name, milliseconds per unit), smallest first
UNITS = (("ns", 1e-6), ("µs", 1e-3), ("ms", 1.0), ("s", 1e3))


def pick_unit(values_ms: Iterable[Optional[float]]) -> Tuple[str, float]:
    """The largest unit in which the smallest value is still >= 1 (ms when there is no value)."""
    vals = [v for v in values_ms if v is not None and v > 0]
    if not vals:
        return "ms", 1.0
    smallest = min(vals)
    chosen = UNITS[0]
    for name, scale in UNITS:
        if smallest >= scale:
            chosen = (name, scale)
    return chosen


def fmt_time(value_ms: Optional[float], scale: float) -> str:
    """``value_ms`` in the unit of ``scale``, with three significant digits (no exponent)."""
    if value_ms is None:
        return "-"
    v = value_ms / scale
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"
