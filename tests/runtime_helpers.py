"""Shared helpers for the runtime tests: write a graph, run it on edgekd (on a chosen SIMD path) and on
LiteRT's builtin kernels, and compare."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Sequence

import numpy as np
import pytest

import edgekd
from edgekd import _core


def available_paths() -> list[str]:
    """SIMD paths this build carries and this CPU runs (ref always)."""
    info = _core.cpu_info()
    return [p for p in info["compiled_paths"] if p in info["supported_paths"] or p == "ref"]


@contextmanager
def isa(path: str | None) -> Iterator[None]:
    """Forces EDGEKD_ISA while models are loaded (selection happens at load)."""
    old = os.environ.get("EDGEKD_ISA")
    if path is None:
        os.environ.pop("EDGEKD_ISA", None)
    else:
        os.environ["EDGEKD_ISA"] = path
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("EDGEKD_ISA", None)
        else:
            os.environ["EDGEKD_ISA"] = old


def litert_outputs(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    pytest.importorskip("ai_edge_litert")
    from edgekd.testing import litert
    return litert.run(model, inputs)


def edgekd_outputs(model: bytes, inputs: Sequence[np.ndarray], path: str | None = None,
                   num_threads: int = 1) -> list[np.ndarray]:
    with isa(path):
        m = edgekd.load(model, num_threads=num_threads)
    assert path is None or m.path == path
    return m.run_raw(list(inputs))


def first_difference(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shapes differ: {a.shape} vs {b.shape}"
    diff = np.argwhere(a != b)
    if len(diff) == 0:
        return "equal"
    i = tuple(diff[0])
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return f"{len(diff)} of {a.size} differ; first at {i}: edgekd {a[i]} vs litert {b[i]}; max |diff| {d.max()}"
