"""The second zoo (tests/data/zoo_ops/): whole networks that use the ops beyond the CNN subset, made by
TensorFlow's converter (benchmarks/zoo/make_zoo_ops.py) and by litert-torch from PyTorch
(tests/data/zoo_ops/make_torch_models.py).

Every model that edgekd loads must equal LiteRT's builtin kernels on every SIMD path available here, at 1
and 2 threads: bit for bit where the output is an integer tensor, within 1e-5 of the output's largest
magnitude where it is float32. Models edgekd cannot load yet are listed with what stops them:
EXPECTED_UNSUPPORTED (the op types load names as lacking a kernel) and EXPECTED_REFUSED (a rule the
runtime enforces before any op is built). The tests assert exactly that refusal, and `edgekd inspect`'s
list, so that when an op lands they fail and say which entry to shrink; the comparison with LiteRT then
runs for that model."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

import edgekd  # noqa: E402
from edgekd import _core, cli  # noqa: E402
from edgekd.testing import litert  # noqa: E402
from edgekd.tflite.reader import read_tflite  # noqa: E402

from runtime_helpers import available_paths, first_difference, isa  # noqa: E402

ZOO_OPS = Path(__file__).parent / "data" / "zoo_ops"
# stem -> op types the converter must have written (what each model is in the zoo for)
MODELS: dict[str, set[str]] = {
    "unet_seg": {"TRANSPOSE_CONV", "RESIZE_BILINEAR", "CONCATENATION", "MAX_POOL_2D", "SOFTMAX"},
    "ssdlite_det": {"DEPTHWISE_CONV_2D", "RESHAPE", "CONCATENATION", "LOGISTIC"},
    "transformer_enc": {"BATCH_MATMUL", "SOFTMAX", "TRANSPOSE", "GELU", "SQUARED_DIFFERENCE", "RSQRT", "MEAN"},
    "lstm_kws": {"UNIDIRECTIONAL_SEQUENCE_LSTM", "FULLY_CONNECTED", "SOFTMAX"},
    "gru_audio": {"FULLY_CONNECTED", "SPLIT", "UNPACK", "LOGISTIC", "TANH", "SUB", "MUL", "ADD"},
    "mobilenet_v2_float": {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "SOFTMAX"},
    "mobilenet_v2_fp16": {"DEQUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED"},
    "deeplab_aspp": {"CONV_2D", "DEPTHWISE_CONV_2D", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "CONCATENATION"},
    "torch_mobilenet_v2": {"TRANSPOSE", "PAD", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN"},
    "torch_mobilenet_v2_int8": {"TRANSPOSE", "QUANTIZE", "DEQUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D"},
    "torch_transformer": {"BATCH_MATMUL", "TRANSPOSE", "SLICE", "GELU", "SQUARED_DIFFERENCE", "RSQRT", "SUB"},
    "torch_transformer_int8": {"BATCH_MATMUL", "TRANSPOSE", "SLICE", "GELU", "QUANTIZE", "DEQUANTIZE"},
}
# Models with dilated convolutions must keep them (the converter may rewrite them as SPACE_TO_BATCH_ND).
DILATED = {"deeplab_aspp"}

# What stops edgekd.load today. Shrink these as the ops land: the tests below fail, naming the entry, as
# soon as a model's refusal changes.
EXPECTED_UNSUPPORTED: dict[str, set[str]] = {
    "transformer_enc": {"NEG"},  # a float NEG in layer norm, between DEQUANTIZE and QUANTIZE
    "gru_audio": {"UNPACK"},
}
EXPECTED_REFUSED: dict[str, str] = {
    "torch_transformer": "lhs must be int8, is float32",  # a float BATCH_MATMUL
    "torch_transformer_int8": "lhs must be int8, is float32",  # float attention between DEQUANTIZE / QUANTIZE
}
PATHS = available_paths()
_cache: dict[str, tuple[bytes, list[list[np.ndarray]], list[list[np.ndarray]]]] = {}


def _blob(stem: str) -> bytes:
    return (ZOO_OPS / f"{stem}.tflite").read_bytes()


def _inputs(stem: str) -> list[list[np.ndarray]]:
    """Three seeded input sets: int8 with its own offset and spread each (i.i.d. noise alone averages out
    in pooled networks), float32 in [-1, 1] (the range the models were calibrated on)."""
    g = read_tflite(_blob(stem))
    rng = np.random.default_rng(0)
    sets = []
    for _ in range(3):
        xs = []
        for i in g.inputs:
            t = g.tensors[i]
            if t.dtype == "int8":
                x = rng.integers(-100, 100) + rng.uniform(10, 128) * rng.standard_normal(t.shape)
                xs.append(np.clip(x, -128, 127).astype(np.int8))
            else:
                xs.append(rng.uniform(-1.0, 1.0, t.shape).astype(np.float32))
        sets.append(xs)
    return sets


def _model(stem: str) -> tuple[bytes, list[list[np.ndarray]], list[list[np.ndarray]]]:
    """(bytes, input sets, LiteRT builtin outputs), the sets run one after another on one interpreter:
    a stateful model (LSTM) carries its state from one set to the next, on both runtimes alike."""
    if stem not in _cache:
        blob, sets = _blob(stem), _inputs(stem)
        it = litert.interpreter(blob)
        _cache[stem] = (blob, sets, [litert.run(it, xs) for xs in sets])
    return _cache[stem]


def _named_unsupported(message: str) -> set[str]:
    return set(re.findall(r"op \d+ \(([A-Z0-9_]+)\)", message))


def test_directory_holds_exactly_the_listed_models():
    assert sorted(p.stem for p in ZOO_OPS.glob("*.tflite")) == sorted(MODELS)
    for p in ZOO_OPS.glob("*.tflite"):
        assert p.stat().st_size < 1024 * 1024, f"{p.name} is over the 1 MB budget for committed models"
    assert not (set(EXPECTED_UNSUPPORTED) & set(EXPECTED_REFUSED))
    assert set(EXPECTED_UNSUPPORTED) | set(EXPECTED_REFUSED) <= set(MODELS)


@pytest.mark.parametrize("stem", list(MODELS))
def test_model_has_the_ops_it_is_in_the_zoo_for(stem):
    g = read_tflite(_blob(stem))
    types = {op.type for op in g.ops}
    assert MODELS[stem] <= types, f"{stem}: missing {sorted(MODELS[stem] - types)}"
    assert EXPECTED_UNSUPPORTED.get(stem, set()) <= types
    if stem in DILATED:
        assert any(op.options.get("dilation_h_factor", 1) > 1 for op in g.ops if "CONV" in op.type)
    if stem.endswith("_fp16"):  # float16 weights, DEQUANTIZEd to float32 in the graph
        assert {t.dtype for t in g.tensors if t.data is not None} >= {"float16"}


@pytest.mark.parametrize("stem", list(MODELS))
def test_litert_outputs_depend_on_the_input(stem):
    """A model whose outputs ignore the input would pass the comparison without testing much."""
    _, _, refs = _model(stem)
    assert any(not np.array_equal(a, b) for a, b in zip(refs[0], refs[1])), f"{stem}: constant outputs"


@pytest.mark.parametrize("stem", list(MODELS))
def test_load_refuses_exactly_the_expected_ops(stem):
    if stem not in EXPECTED_UNSUPPORTED and stem not in EXPECTED_REFUSED:
        edgekd.load(_blob(stem))  # loads: the comparison below checks it
        return
    try:
        edgekd.load(_blob(stem))
    except ValueError as e:
        message = str(e)
    else:
        pytest.fail(f"{stem} now loads in edgekd: remove it from EXPECTED_UNSUPPORTED / EXPECTED_REFUSED")
    if stem in EXPECTED_REFUSED:
        assert EXPECTED_REFUSED[stem] in message, \
            f"{stem}: refused for another reason now (update EXPECTED_REFUSED): {message}"
        return
    assert "not supported by edgekd's runtime" in message, \
        f"{stem}: refused for another reason now (update EXPECTED_UNSUPPORTED): {message}"
    assert _named_unsupported(message) == EXPECTED_UNSUPPORTED[stem], \
        f"{stem}: load names {sorted(_named_unsupported(message))}; update EXPECTED_UNSUPPORTED"


@pytest.mark.parametrize("stem", list(MODELS))
def test_inspect_lists_what_load_refuses(stem, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    path = ZOO_OPS / f"{stem}.tflite"
    assert cli.main(["inspect", str(path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    listed = {u["type"] for u in d["unsupported_ops"]}
    if stem in EXPECTED_REFUSED:
        assert listed == set() and EXPECTED_REFUSED[stem] in d["runtime_error"]
    else:
        assert listed == EXPECTED_UNSUPPORTED.get(stem, set()) and d["runtime_error"] is None
        g = read_tflite(path.read_bytes())
        assert [u["index"] for u in d["unsupported_ops"]] == list(_core.unsupported_ops(path.read_bytes()))
        assert all(g.ops[u["index"]].type == u["type"] for u in d["unsupported_ops"])


def _assert_same(stem: str, out: np.ndarray, ref: np.ndarray, where: str) -> None:
    assert out.dtype == ref.dtype and out.shape == ref.shape, f"{where}: {out.dtype}{out.shape} vs {ref.dtype}{ref.shape}"
    if np.issubdtype(ref.dtype, np.floating):
        err = float(np.max(np.abs(out.astype(np.float64) - ref))) / max(float(np.max(np.abs(ref))), 1e-30)
        assert err <= 1e-5, f"{where}: max difference {err:.3g} of the largest |output|"
    else:
        assert np.array_equal(out, ref), f"{where}: {first_difference(out, ref)}"


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("stem", list(MODELS))
def test_matches_litert_builtin(stem, path, threads):
    if stem in EXPECTED_UNSUPPORTED or stem in EXPECTED_REFUSED:
        pytest.skip(f"{stem} does not load yet (test_load_refuses_exactly_the_expected_ops checks why)")
    blob, sets, refs = _model(stem)
    with isa(path):
        m = edgekd.load(blob, num_threads=threads)
    assert m.path == path
    for k, (xs, want) in enumerate(zip(sets, refs)):
        got = m.run_raw(xs)
        assert len(got) == len(want)
        for j, (out, ref) in enumerate(zip(got, want)):
            _assert_same(stem, np.asarray(out), ref, f"{stem} on {path}, {threads} threads, input {k}, output {j}")
