"""Latency statistics. Percentiles use numpy's default (linear) interpolation."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class LatencyStats:
    runs: int
    min_ms: float
    mean_ms: float
    std_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    throughput_ips: float  # inferences per second at batch 1 (1 / mean)

    def as_dict(self) -> dict:
        return asdict(self)


def latency_stats(samples_ns: np.ndarray | list[int]) -> LatencyStats:
    s = np.asarray(samples_ns, dtype=np.float64) / 1e6
    if s.size == 0:
        raise ValueError("latency_stats: no samples")
    p50, p90, p95, p99 = np.percentile(s, [50, 90, 95, 99])
    mean = float(s.mean())
    return LatencyStats(
        runs=int(s.size), min_ms=float(s.min()), mean_ms=mean, std_ms=float(s.std()),
        p50_ms=float(p50), p90_ms=float(p90), p95_ms=float(p95), p99_ms=float(p99),
        throughput_ips=1000.0 / mean if mean > 0 else float("inf"))
