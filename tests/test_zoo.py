"""The committed model zoo (tests/data/zoo/, made by TensorFlow's converter with benchmarks/zoo/make_zoo.py):
edgekd equals LiteRT's builtin kernels bit for bit on every SIMD path available here, at 1 and 2 threads,
on seeded random int8 inputs. The big zoo models (not committed; about a minute on the ref path) are checked
the same way with EDGEKD_TEST_BIG_ZOO=1, once make_zoo.py has built them into $EDGEKD_ZOO_CACHE."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

from edgekd.tflite.reader import read_tflite  # noqa: E402
from edgekd.tflite.writer import write_tflite  # noqa: E402

from runtime_helpers import available_paths, edgekd_outputs, first_difference, litert_outputs  # noqa: E402

ZOO = Path(__file__).parent / "data" / "zoo"
CACHE = Path(os.environ.get("EDGEKD_ZOO_CACHE", Path.home() / ".cache" / "edgekd" / "zoo"))
BIG = ["mobilenet_v1_100_224", "resnet18_224", "efficientnet_lite0"]
# stem -> the op types the converter must have written (what each model is in the zoo for)
MODELS: dict[str, set[str]] = {
    "ds_cnn_kws": {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"},
    "ds_cnn_multiplier": {"DEPTHWISE_CONV_2D", "CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX"},
    "mobilenet_v1_025_96": {"CONV_2D", "DEPTHWISE_CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX"},
    "resnet8_cifar": {"CONV_2D", "ADD", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"},
    "fc_autoencoder": {"FULLY_CONNECTED"},
    "tiny_fc": {"FULLY_CONNECTED"},
}
PATHS = available_paths()
_cache: dict[tuple[str, str], tuple[bytes, list[np.ndarray], list[np.ndarray]]] = {}


def features_model(blob: bytes) -> bytes:
    """The model cut before its classifier head (the trailing FULLY_CONNECTED / SOFTMAX ops), or the model
    itself if it is all head. With random weights a softmax over pooled features barely moves with the
    input, so a wrong kernel could still give LiteRT's output; the pooled features do move."""
    g = read_tflite(blob)
    cut = len(g.ops)
    while cut > 0 and g.ops[cut - 1].type in ("FULLY_CONNECTED", "SOFTMAX"):
        cut -= 1
    if cut == 0:
        return blob
    g.outputs = [g.ops[cut].inputs[0]]
    g.ops = g.ops[:cut]
    return write_tflite(g)


def _model(stem: str, part: str) -> tuple[bytes, list[np.ndarray], list[np.ndarray]]:
    """(model bytes, inputs, LiteRT builtin outputs) on three seeded random int8 inputs, each with its own
    offset and spread (i.i.d. noise alone averages out in pooled networks)."""
    if (stem, part) not in _cache:
        blob = ((CACHE if stem in BIG else ZOO) / f"{stem}.tflite").read_bytes()
        if part == "features":
            blob = features_model(blob)
        g = read_tflite(blob)
        rng = np.random.default_rng(0)
        shape = g.tensors[g.inputs[0]].shape
        xs = [np.clip(rng.integers(-100, 100) + rng.uniform(10, 128) * rng.standard_normal(shape), -128, 127)
              .astype(np.int8) for _ in range(3)]
        _cache[stem, part] = (blob, xs, [litert_outputs(blob, [x])[0] for x in xs])
    return _cache[stem, part]


def test_zoo_directory_holds_exactly_the_listed_models():
    assert sorted(p.stem for p in ZOO.glob("*.tflite")) == sorted(MODELS)
    for p in ZOO.glob("*.tflite"):
        assert p.stat().st_size < 1024 * 1024, f"{p.name} is over the 1 MB budget for committed models"


@pytest.mark.parametrize("stem", list(MODELS))
def test_zoo_model_has_int8_io_and_expected_ops(stem):
    g = read_tflite((ZOO / f"{stem}.tflite").read_bytes())
    assert {op.type for op in g.ops} == MODELS[stem]
    assert [g.tensors[i].dtype for i in g.inputs + g.outputs] == ["int8", "int8"]


def test_ds_cnn_multiplier_has_non_square_multiplier_depthwise():
    g = read_tflite((ZOO / "ds_cnn_multiplier.tflite").read_bytes())
    dws = [op for op in g.ops if op.type == "DEPTHWISE_CONV_2D"]
    first = dws[0]
    kh, kw = g.tensors[first.inputs[1]].shape[1:3]
    assert (kh, kw) == (10, 8) and first.options["depth_multiplier"] == 32
    assert all(op.options["depth_multiplier"] > 1 for op in dws)


@pytest.mark.parametrize("part", ["whole", "features"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("stem", list(MODELS))
def test_zoo_matches_litert_builtin(stem, path, threads, part):
    blob, xs, refs = _model(stem, part)
    for k, (x, ref) in enumerate(zip(xs, refs)):
        out = edgekd_outputs(blob, [x], path, num_threads=threads)[0]
        assert np.array_equal(out, ref), f"{stem} ({part}) on {path}, {threads} threads, input {k}: " \
                                         f"{first_difference(out, ref)}"
    if part == "features":  # features that ignore the input would pass the comparison without testing much
        assert not np.array_equal(refs[0], refs[1]), f"{stem}: features do not depend on the input"


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("stem", BIG)
def test_big_zoo_matches_litert_builtin(stem, path, threads):
    if os.environ.get("EDGEKD_TEST_BIG_ZOO") != "1":
        pytest.skip("big zoo models are checked with EDGEKD_TEST_BIG_ZOO=1")
    if not (CACHE / f"{stem}.tflite").exists():
        pytest.skip(f"{CACHE / stem}.tflite not built (python benchmarks/zoo/make_zoo.py --only {stem})")
    test_zoo_matches_litert_builtin(stem, path, threads, "features")
