"""Adapter from the benchmark worker to the energy sources (edgekd.bench.energy)."""
from __future__ import annotations


def open_meter(device: str | None):
    """A meter with start() and stop(n_inferences, threads) -> dict, or None if energy is off."""
    return None
