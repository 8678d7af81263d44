"""TFLite flatbuffer I/O: ``write_tflite``/``save`` (ir.Graph -> .tflite) and ``read_tflite``
(.tflite -> ir.Graph, for inspection and tests; the runtime reads models with its own C++ reader)."""
from __future__ import annotations

from .reader import ModelInfo, read_tflite, read_tflite_info
from .writer import save, write_tflite

__all__ = ["ModelInfo", "read_tflite", "read_tflite_info", "save", "write_tflite"]
