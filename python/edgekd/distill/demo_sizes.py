"""Where the bytes of an int8 .tflite go, so that a size comparison with the float model is honest.

For a model of a few hundred parameters the file is larger than the float32 weights it replaces: the int8
weights are a quarter of their float32 size, but the file also carries int32 biases, a float32 scale and an
int64 zero point per output channel of every weight and bias tensor (TFLite's per-channel quantization),
a scale and zero point per activation, and the flatbuffer's own structure (tensor and operator tables,
tensor names and shapes, operator codes, the signature, 16-byte alignment of every buffer). That structure
grows with the number of tensors, not of parameters, so it dominates a tiny model and vanishes in a large
one. :func:`anatomy` splits a file into these parts.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

# TFLite's QuantizationParameters stores scale as [float32] and zero_point as [int64].
SCALE_BYTES, ZERO_POINT_BYTES = 4, 8


def anatomy(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Bytes of ``path`` by kind: int8 weights, int32 biases, other constants, quantization parameters and
    the flatbuffer structure (the rest), plus the float32 size of the same weights and biases."""
    from ..tflite.reader import read_tflite

    path = Path(path)
    g = read_tflite(path)
    weights = weight_count = biases = bias_count = other = quant = 0
    for t in g.tensors:
        if t.quant is not None:
            quant += SCALE_BYTES * t.quant.scale.size + ZERO_POINT_BYTES * t.quant.zero_point.size
        if t.data is None:
            continue
        if t.dtype == "int8":
            weights += t.nbytes
            weight_count += int(np.prod(t.shape, dtype=np.int64))
        elif t.dtype == "int32" and t.quant is not None:  # a bias: int32 with scale s_in * s_w[c]
            biases += t.nbytes
            bias_count += int(np.prod(t.shape, dtype=np.int64))
        else:
            other += t.nbytes
    file_bytes = path.stat().st_size
    return {
        "file_bytes": file_bytes,
        "weights_int8_bytes": weights,
        "biases_int32_bytes": biases,
        "other_constant_bytes": other,
        "quant_param_bytes": quant,
        "structure_bytes": file_bytes - weights - biases - other - quant,
        "weight_count": weight_count,
        "bias_count": bias_count,
        "fp32_weight_bytes": 4 * (weight_count + bias_count),
        "tensors": len(g.tensors),
        "ops": len(g.ops),
    }
