"""Adapter from the benchmark worker to the energy sources (edgekd.bench.energy)."""
from __future__ import annotations


class _WorkerMeter:
    """start() / stop(n_inferences, threads) -> dict, the shape the worker and the reports read."""

    def __init__(self, meter) -> None:  # noqa: ANN001 - energy.EnergyMeter
        self._meter = meter

    def start(self) -> None:
        self._meter.start()

    def stop(self, n_inferences: int, threads: int) -> dict:
        try:
            return self._meter.stop(inferences=n_inferences, threads=threads).as_dict()
        finally:
            self._meter.close()


def open_meter(device: str | None):
    """A meter with start() and stop(n_inferences, threads) -> dict, or None if energy is off.

    The source is chosen automatically (see edgekd.bench.energy.select) and its idle baseline is
    measured here, before the timed loop; the result dict names the source in "source"."""
    from .energy import open_meter as _open

    meter = _open(device)
    return None if meter is None else _WorkerMeter(meter)
