"""Helpers for tests and benchmarks: int8 test networks as ir.Graph (``models``), the builder that
quantizes them (``builder``) and float reference ops (``float_ops``). Needs numpy only."""
from __future__ import annotations

from .builder import GraphBuilder
from .models import (ONE_OP_TYPES, all_one_op_models, mobilenet_v2, mobilenet_v3_small, one_op_model,
                     small_cnn)

__all__ = ["GraphBuilder", "ONE_OP_TYPES", "all_one_op_models", "mobilenet_v2", "mobilenet_v3_small",
           "one_op_model", "small_cnn"]
