"""Whole networks on edgekd vs LiteRT's builtin kernels, on every SIMD path available here: the small CNN
(with a Reshape and with TF's SHAPE/STRIDED_SLICE/PACK/RESHAPE Flatten chain), MobileNetV2- and
MobileNetV3-style networks written by edgekd's writer, and int8 models produced by TensorFlow's
converter (tests/data/tf_*.tflite)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

import edgekd  # noqa: E402
from edgekd.testing import litert, models  # noqa: E402
from edgekd.tflite.writer import write_tflite  # noqa: E402

from runtime_helpers import available_paths, edgekd_outputs, first_difference, isa, litert_outputs  # noqa: E402

PATHS = available_paths()
DATA = Path(__file__).parent / "data"

NETWORKS = {
    "small_cnn": lambda: models.small_cnn(seed=0),
    "small_cnn_flatten_chain": lambda: models.small_cnn(seed=1, flatten="chain"),
    "mobilenet_v2_0.35_96": lambda: models.mobilenet_v2(alpha=0.35, input_size=96, num_classes=10, seed=0),
    "mobilenet_v3_small_0.75_96": lambda: models.mobilenet_v3_small(alpha=0.75, input_size=96, num_classes=10,
                                                                     seed=0),
    "mobilenet_v3_small_logistic_se": lambda: models.mobilenet_v3_small(alpha=0.5, input_size=64, num_classes=10,
                                                                         seed=1, se_gate="logistic"),
}

_cache: dict = {}


def _model(name: str):
    if name not in _cache:
        g = NETWORKS[name]()
        _cache[name] = (g, write_tflite(g))
    return _cache[name]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", list(NETWORKS))
def test_network_matches_litert(name, path):
    graph, model = _model(name)
    for seed in (0, 1):
        inputs = litert.random_inputs(graph, seed=seed)
        want = litert_outputs(model, inputs)
        got = edgekd_outputs(model, inputs, path=path)
        for g, w in zip(got, want):
            assert np.array_equal(g, w), f"{name} seed {seed} path {path}: {first_difference(g, w)}"


def test_flatten_chain_is_folded_at_load():
    _, model = _model("small_cnn_flatten_chain")
    info = edgekd.load(model).info()
    assert info["num_folded_ops"] == 3  # SHAPE, STRIDED_SLICE, PACK
    assert "reshape" in info["kernels"]


TF_FIXTURES = sorted(DATA.glob("tf_*.tflite"))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("fixture", TF_FIXTURES, ids=lambda p: p.stem)
def test_tf_converter_model_matches_litert(fixture, path):
    model = fixture.read_bytes()
    it = litert.interpreter(model)
    rng = np.random.default_rng(0)
    inputs = []
    for d in it.get_input_details():
        if d["dtype"] == np.int8:
            inputs.append(rng.integers(-128, 128, size=d["shape"], dtype=np.int8))
        else:
            inputs.append(rng.uniform(-1, 1, size=d["shape"]).astype(d["dtype"]))
    want = litert_outputs(model, inputs)
    got = edgekd_outputs(model, inputs, path=path)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        assert np.array_equal(g, w), f"{fixture.name} path {path}: {first_difference(g, w)}"


def test_tf_model_loads_from_path_with_mmap():
    if not TF_FIXTURES:
        pytest.skip("no TF converter fixtures")
    m = edgekd.load(str(TF_FIXTURES[0]))
    assert m.info()["model_bytes"] == TF_FIXTURES[0].stat().st_size
    assert m.arena_bytes > 0


def test_every_path_gives_the_same_outputs():
    graph, model = _model("mobilenet_v2_0.35_96")
    inputs = litert.random_inputs(graph, seed=3)
    ref = edgekd_outputs(model, inputs, path="ref")
    for p in PATHS:
        for threads in (1, 2, 3):
            got = edgekd_outputs(model, inputs, path=p, num_threads=threads)
            for g, r in zip(got, ref):
                assert np.array_equal(g, r), f"path {p} threads {threads}: {first_difference(g, r)}"


@pytest.mark.parametrize("name", ["mobilenet_v2_0.35_96", "mobilenet_v3_small_0.75_96"])
def test_fused_regions_match_litert(name):
    """On several threads, inverted-residual blocks run as fused regions (one parallel region for a
    depthwise conv and the 1x1 convs and ADD after it); the outputs stay LiteRT's."""
    graph, model = _model(name)
    info = edgekd.load(model, num_threads=2).info()
    assert info["num_fused_regions"] > 0 and info["num_fused_ops"] >= 2 * info["num_fused_regions"]
    assert edgekd.load(model, num_threads=1).info()["num_fused_ops"] == 0
    m = edgekd.load(model, num_threads=2)
    assert len(m.profile(runs=2, per_op=False)) == info["num_ops"] - info["num_fused_ops"] + info["num_fused_regions"]
    assert len(m.profile(runs=2)) == info["num_ops"]
    for seed in (4, 5):
        inputs = litert.random_inputs(graph, seed=seed)
        want = litert_outputs(model, inputs)
        for threads in (2, 4):
            got = edgekd_outputs(model, inputs, num_threads=threads)
            for g, w in zip(got, want):
                assert np.array_equal(g, w), f"{name} threads {threads}: {first_difference(g, w)}"
