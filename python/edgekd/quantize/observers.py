"""Activation range observers for calibration, and the TFLite int8 parameters derived from a range.

* ``minmax``: the observed minimum and maximum.
* ``percentile``: clip to the lower/upper percentiles of a sample of the observed values (outliers ignored).
* ``mse``: the clipping range that minimizes the mean squared int8 quantization error on the sample.

The sampled observers keep a bounded, seeded random subsample of every tensor they see, so memory stays flat
and calibration is reproducible.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import EdgekdError

QMIN, QMAX = -128, 127


def qparams_from_range(lo: float, hi: float) -> tuple[float, int]:
    """TFLite asymmetric int8 parameters for the real range [lo, hi], widened to include 0 (so that real 0,
    the padding value, is exact). Returns (scale, zero_point) with zero_point in [-128, 127]."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise EdgekdError(f"activation range [{lo}, {hi}] is not finite; check the calibration data")
    if hi - lo < 1e-8:
        hi = lo + 1e-8  # a constant-zero tensor: any positive scale represents it exactly
    scale = float(np.float32((hi - lo) / (QMAX - QMIN)))  # the file stores float32; compute with that value
    zp = int(round(QMIN - lo / scale))
    return scale, max(QMIN, min(QMAX, zp))


class Observer:
    """Watches the float values of one tensor during calibration and proposes a clipping range."""

    def __init__(self) -> None:
        self.min = math.inf
        self.max = -math.inf

    def update(self, x: torch.Tensor) -> None:
        x = x.detach()
        self.min = min(self.min, float(x.min()))
        self.max = max(self.max, float(x.max()))

    @property
    def seen(self) -> bool:
        return self.min <= self.max

    def range(self) -> tuple[float, float]:
        if not self.seen:
            raise EdgekdError("observer saw no data; run at least one calibration batch")
        return self.min, self.max


class MinMaxObserver(Observer):
    pass


class _SampledObserver(Observer):
    def __init__(self, max_samples: int = 200_000, seed: int = 0) -> None:
        super().__init__()
        self.max_samples = max_samples
        self._gen = torch.Generator().manual_seed(seed)
        self._chunks: list[torch.Tensor] = []
        self._count = 0

    def update(self, x: torch.Tensor) -> None:
        super().update(x)
        flat = x.detach().reshape(-1).float().cpu()
        per_batch = max(1, self.max_samples // 16)
        if flat.numel() > per_batch:
            idx = torch.randint(0, flat.numel(), (per_batch,), generator=self._gen)
            flat = flat[idx]
        self._chunks.append(flat.clone())
        self._count += flat.numel()
        if self._count > self.max_samples:  # keep a uniform subsample of everything seen so far
            allv = torch.cat(self._chunks)
            keep = torch.randperm(allv.numel(), generator=self._gen)[: self.max_samples]
            self._chunks = [allv[keep]]
            self._count = self.max_samples

    def samples(self) -> np.ndarray:
        return torch.cat(self._chunks).numpy().astype(np.float64)


class PercentileObserver(_SampledObserver):
    def __init__(self, percentile: float = 99.99, **kw) -> None:
        super().__init__(**kw)
        self.percentile = percentile

    def range(self) -> tuple[float, float]:
        lo, hi = super().range()
        s = self.samples()
        plo, phi = np.percentile(s, [100.0 - self.percentile, self.percentile])
        return max(lo, float(plo)), min(hi, float(phi))


class MSEObserver(_SampledObserver):
    """Grid search over shrunken versions of the min/max range (both ends scaled by the same factor, or one end
    alone for lopsided data), scoring the int8 round-trip error on a 2048-bin histogram of the sample."""

    def __init__(self, steps: int = 100, bins: int = 2048, **kw) -> None:
        super().__init__(**kw)
        self.steps = steps
        self.bins = bins

    def range(self) -> tuple[float, float]:
        lo, hi = super().range()
        if hi - lo <= 0:
            return lo, hi
        counts, edges = np.histogram(self.samples(), bins=self.bins, range=(lo, hi))
        centers = (edges[:-1] + edges[1:]) / 2
        keep = counts > 0
        v, c = centers[keep], counts[keep].astype(np.float64)
        best = (math.inf, lo, hi)
        for i in range(self.steps):
            f = 0.01 ** (i / self.steps)  # shrink geometrically, down to 1% of the observed range
            for clo, chi in ((lo * f, hi * f), (lo, hi * f), (lo * f, hi)):
                scale, zp = qparams_from_range(clo, chi)
                q = np.clip(np.round(v / scale) + zp, QMIN, QMAX)
                err = float(np.sum(c * (v - (q - zp) * scale) ** 2))
                if err < best[0]:
                    best = (err, clo, chi)
        return best[1], best[2]


OBSERVERS = {"minmax": MinMaxObserver, "percentile": PercentileObserver, "mse": MSEObserver}


def make_observer(name: str) -> Observer:
    try:
        return OBSERVERS[name]()
    except KeyError:
        raise EdgekdError(f"unknown observer '{name}'; choose one of {', '.join(OBSERVERS)}") from None
