"""Whole float models from TensorFlow's converter (tests/data/float/, made by make_float_models.py): a
MobileNet-style float32 network and the same with float16 weights (DEQUANTIZE of float16 constants, folded
at load), against LiteRT's builtin kernels and its XNNPACK delegate within 1e-5 of the output's magnitude,
on every SIMD path and at 2 threads."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import edgekd
from runtime_helpers import available_paths, edgekd_outputs
from test_float_ops import assert_close, litert_both

pytest.importorskip("ai_edge_litert")

DATA = Path(__file__).parent / "data" / "float"
MODELS = ["mobilenet_float32", "mobilenet_float16_weights"]


def inputs(seed: int) -> list[np.ndarray]:
    return [np.random.default_rng(seed).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)]


@pytest.mark.parametrize("stem", MODELS)
def test_model_matches_litert_on_every_path(stem):
    model = (DATA / f"{stem}.tflite").read_bytes()
    for seed in (0, 1):
        x = inputs(seed)
        builtin, xnnpack = litert_both(model, x)
        for path in available_paths():
            got = edgekd_outputs(model, x, path)[0]
            assert_close(got, builtin[0], f"{stem} on {path} vs LiteRT builtin")
            assert_close(got, xnnpack[0], f"{stem} on {path} vs LiteRT XNNPACK")
        assert np.array_equal(edgekd_outputs(model, x, None, num_threads=2)[0], edgekd_outputs(model, x)[0])


def test_float16_weights_are_folded_at_load():
    m = edgekd.load(DATA / "mobilenet_float16_weights.tflite")
    info = m.info()
    assert info["num_folded_ops"] == 23  # one DEQUANTIZE per constant
    assert "quantize" not in info["kernels"]
    assert info["inputs"][0]["dtype"] == "float32" and info["outputs"][0]["dtype"] == "float32"
    y = m(inputs(0)[0][0])  # one sample without its batch dimension
    assert y.shape == (10,) and y.dtype == np.float32 and abs(float(y.sum()) - 1.0) < 1e-5
