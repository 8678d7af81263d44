"""edgekd: distill, quantize to int8 TFLite, and run on a native SIMD int8 runtime.

On the device only numpy and the compiled core are needed: ``import edgekd`` imports nothing heavier.
"""
from __future__ import annotations

from . import _core
from .interpreter import Interpreter, SignatureRunner
from .runtime import Model, load

__version__: str = _core.__version__


def cpu_info() -> dict:
    """Detected CPU features, the compiled and supported SIMD paths, and the path chosen per kernel
    family (honours ``EDGEKD_ISA``; raises ``RuntimeError`` if the forced path cannot run here)."""
    return _core.cpu_info()


__all__ = ["__version__", "cpu_info", "load", "Interpreter", "Model", "SignatureRunner"]
