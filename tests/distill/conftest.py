"""Shared fixtures for the distillation tests: torch must be installed (the `train` extra)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    # CI has 2 cores and pytest-xdist may run two workers: OpenMP threads would only fight each other.
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session")
def digits():
    from edgekd.distill import data

    return data.load_digits()
