"""Run a .tflite model on LiteRT's builtin kernels (the arithmetic reference, DESIGN.md), without the
default XNNPACK delegate. Needs the ``ai-edge-litert`` package (the ``peers`` extra)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def interpreter(model: bytes, preserve_all_tensors: bool = False) -> Any:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=bytes(model),
                     experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                     experimental_preserve_all_tensors=preserve_all_tensors)
    it.allocate_tensors()
    return it


def run(model: bytes | Any, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of ``model`` (bytes or an interpreter from ``interpreter()``) for ``inputs`` in graph
    input order. Inputs whose batch differs from the model's resize the input first."""
    it = interpreter(model) if isinstance(model, (bytes, bytearray)) else model
    details = it.get_input_details()
    if len(details) != len(inputs):
        raise ValueError(f"model has {len(details)} inputs, got {len(inputs)}")
    resized = False
    for d, x in zip(details, inputs):
        if tuple(d["shape"]) != tuple(np.shape(x)):
            it.resize_tensor_input(d["index"], list(np.shape(x)))
            resized = True
    if resized:
        it.allocate_tensors()
    for d, x in zip(details, inputs):
        it.set_tensor(d["index"], np.asarray(x, dtype=d["dtype"]))
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


def random_inputs(model_or_graph: Any, seed: int = 0) -> list[np.ndarray]:
    """Random inputs for an ir.Graph: int8 over the full range, float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    out = []
    for i in model_or_graph.inputs:
        t = model_or_graph.tensors[i]
        if t.dtype == "int8":
            out.append(rng.integers(-128, 128, size=t.shape, dtype=np.int8))
        elif t.dtype.startswith("float"):
            out.append(rng.uniform(-1.0, 1.0, size=t.shape).astype(np.float32))
        else:
            raise ValueError(f"input {t.name!r}: no random generator for {t.dtype}")
    return out
