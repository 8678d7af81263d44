"""edgekd.Interpreter against LiteRT's Interpreter (builtin kernels): the same calls on the same file give the
same details, signature lists and bit-identical results. Files: edgekd-written models and TF-converted ones
(tests/data/tf_*.tflite, whose shape signatures leave the batch dynamic)."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

import edgekd
from edgekd.testing import models
from edgekd.tflite.reader import read_tflite
from edgekd.tflite.writer import write_tflite

litert_mod = pytest.importorskip("ai_edge_litert.interpreter")
DATA = Path(__file__).parent / "data"
TF_FILES = ["tf_cnn_flatten_int8io.tflite", "tf_dw_residual_floatio.tflite", "tf_mean_hardswish_se_int8io.tflite"]


def without_signatures(model: bytes) -> bytes:
    """The same file with Model.signature_defs (field 7) marked absent in the root table's vtable."""
    b = bytearray(model)
    root = struct.unpack_from("<I", b, 0)[0]
    vt = root - struct.unpack_from("<i", b, root)[0]
    if struct.unpack_from("<H", b, vt)[0] >= 4 + 2 * 8:
        struct.pack_into("<H", b, vt + 4 + 2 * 7, 0)
    return bytes(b)


def two_inputs() -> bytes:
    # Inputs and outputs listed out of name order: LiteRT sorts signature names, keeps graph order for details.
    b = models.GraphBuilder("two", seed=5)
    y = b.input((1, 4, 4, 8), name="zeta")
    x = b.input((1, 4, 4, 8), name="alpha")
    return write_tflite(b.output(b.conv2d(x, 4, 1), b.add(y, x, act="RELU")))


def float_edges() -> bytes:
    b = models.GraphBuilder("float_edges", seed=3)
    x = b.input((1, 6, 6, 4), dtype="float32")
    y = b.conv2d(b.quantize(x), 8, 3, act="RELU")
    return write_tflite(b.output(b.dequantize(y)))


MODELS = {
    "edgekd_cnn": lambda: write_tflite(models.small_cnn(seed=0)),
    "edgekd_float_edges": float_edges,
    "edgekd_two_inputs": two_inputs,
    "edgekd_cnn_no_signatures": lambda: without_signatures(write_tflite(models.small_cnn(seed=0))),
    **{f.split(".")[0]: (lambda f=f: (DATA / f).read_bytes()) for f in TF_FILES},
}


@pytest.fixture(scope="module", params=sorted(MODELS))
def model(request) -> bytes:
    return MODELS[request.param]()


def pair(model: bytes, **kw):
    ours = edgekd.Interpreter(model_content=model, **kw)
    theirs = litert_mod.Interpreter(
        model_content=model, experimental_op_resolver_type=litert_mod.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        **kw)
    return ours, theirs


def sample(details: dict, seed: int, batch: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in details["shape"])
    if batch is not None:
        shape = (batch,) + shape[1:]
    if details["dtype"] == np.int8:
        return rng.integers(-128, 128, size=shape, dtype=np.int8)
    return rng.uniform(-1.5, 1.5, size=shape).astype(details["dtype"])


def assert_same(a, b, where: str = "") -> None:
    """Equal values of equal types, recursively: dicts key by key (same keys), arrays by dtype and value."""
    if isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b), f"{where}: keys {list(a)} vs LiteRT {list(b)}"
        for k in b:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, \
            f"{where}: {getattr(a, 'dtype', type(a))}{getattr(a, 'shape', '')} vs LiteRT {b.dtype}{b.shape}"
        assert np.array_equal(a, b), f"{where}: {a} vs LiteRT {b}"
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: {a!r} vs LiteRT {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} vs LiteRT {b!r}"


def test_details_and_signatures_match_litert(model):
    ours, theirs = pair(model)
    for it in (ours, theirs):
        assert it.allocate_tensors() is None
    assert_same(ours.get_input_details(), theirs.get_input_details(), "inputs")
    assert_same(ours.get_output_details(), theirs.get_output_details(), "outputs")
    # After allocate_tensors LiteRT also lists its kernels' scratch tensors, past the file's tensors.
    mine = ours.get_tensor_details()
    assert_same(mine, theirs.get_tensor_details()[:len(mine)], "tensors")
    assert [d["index"] for d in mine] == list(range(len(mine)))
    assert_same(ours.get_signature_list(), theirs.get_signature_list(), "signatures")


def test_signature_runner_matches_litert_bit_exact(model):
    ours, theirs = pair(model)
    if not theirs.get_signature_list():
        for it in (ours, theirs):
            with pytest.raises(ValueError, match="model has 0 Signatures"):
                it.get_signature_runner()
        return
    key = next(iter(theirs.get_signature_list()))
    mine, ref = ours.get_signature_runner(), theirs.get_signature_runner(key)
    assert_same(mine.get_input_details(), ref.get_input_details(), "runner inputs")
    assert_same(mine.get_output_details(), ref.get_output_details(), "runner outputs")
    for seed in range(3):
        kw = {name: sample(d, seed * 7 + i) for i, (name, d) in enumerate(ref.get_input_details().items())}
        assert_same(mine(**kw), ref(**kw), f"runner(seed {seed})")
    for r in (mine, ref):
        with pytest.raises(ValueError, match="Invalid Input name"):
            r(**{f"not_{n}": v for n, v in kw.items()})
        with pytest.raises(ValueError, match="Invalid number of inputs"):
            r()
    with pytest.raises(ValueError, match="Invalid signature_key"):
        ours.get_signature_runner("nope")


def test_set_invoke_get_and_tensor_views_match_litert(model):
    ours, theirs = pair(model)
    stored = [i for i, t in enumerate(read_tflite(model).tensors) if t.data is not None]
    assert stored
    got: dict = {}
    for name, it in (("ours", ours), ("litert", theirs)):
        it.allocate_tensors()
        ins, outs = it.get_input_details(), it.get_output_details()
        res = []
        for seed in range(2):
            for k, d in enumerate(ins):
                it.set_tensor(d["index"], sample(d, 10 * seed + k))
            it.invoke()
            res.append([it.get_tensor(d["index"]) for d in outs])
        it.invoke()  # again, inputs unchanged: inputs keep their values
        res.append([it.get_tensor(d["index"]) for d in outs])
        res.append([it.get_tensor(d["index"]) for d in ins])
        # Writing through an input view, reading through an output view that invoke() refreshes.
        view_in = it.tensor(ins[0]["index"])
        view_out = it.tensor(outs[0]["index"])
        view_in()[...] = sample(ins[0], 99)
        it.invoke()
        res.append([view_out().copy()])
        # Constants (weights, biases) read back from every tensor the file stores.
        res.append([it.get_tensor(i) for i in stored])
        got[name] = res
    assert_same(got["ours"], got["litert"], "results")


def _is_constant(it: edgekd.Interpreter, index: int) -> bool:
    return bool(it._core.tensor_info(index)["is_constant"])


def test_preserve_all_tensors_keeps_every_intermediate(model):
    ours, theirs = pair(model, experimental_preserve_all_tensors=True)
    n = len(ours.get_tensor_details())
    for it in (ours, theirs):
        it.allocate_tensors()
        for k, d in enumerate(it.get_input_details()):
            it.set_tensor(d["index"], sample(d, 5 + k))
        it.invoke()
    written = [i for i in range(n) if not _is_constant(ours, i)]
    for i in written:
        assert_same(ours.get_tensor(i), theirs.get_tensor(i), f"tensor {i}")
    # Without the flag the arena reuses intermediate memory: reading one is refused by name.
    plain = edgekd.Interpreter(model_content=model)
    between = [i for i in written if i not in plain._in_pos and i not in plain._out_pos]
    if not between:
        return
    inter = between[0]
    name = plain.get_tensor_details()[inter]["name"]
    with pytest.raises(ValueError, match="experimental_preserve_all_tensors"):
        plain.get_tensor(inter)
    with pytest.raises(ValueError, match=f"tensor {inter} '{name}'"):
        plain.tensor(inter)


@pytest.mark.parametrize("name", [f.split(".")[0] for f in TF_FILES] + ["edgekd_two_inputs"])
def test_batch_resize_matches_litert_bit_exact(name):
    model = MODELS[name]()
    ours, theirs = pair(model)
    outs: dict = {}
    for label, it in (("ours", ours), ("litert", theirs)):
        for d in it.get_input_details():
            it.resize_tensor_input(d["index"], [3] + list(d["shape"][1:]))
        it.allocate_tensors()
        res = [it.get_input_details()]
        for k, d in enumerate(it.get_input_details()):
            it.set_tensor(d["index"], sample(d, 20 + k))
        it.invoke()
        # (After invoke: LiteRT sizes outputs behind a SHAPE op, as in the TF files, only when it runs.)
        res.append(it.get_output_details())
        res.append([it.get_tensor(d["index"]) for d in it.get_output_details()])
        # Back to the file's batch.
        for d in it.get_input_details():
            it.resize_tensor_input(d["index"], [1] + list(d["shape"][1:]))
        it.allocate_tensors()
        for k, d in enumerate(it.get_input_details()):
            it.set_tensor(d["index"], sample(d, 30 + k))
        it.invoke()
        res.append([it.get_tensor(d["index"]) for d in it.get_output_details()])
        outs[label] = res
    # LiteRT's DEQUANTIZE to float rounds differently on its vector path (float multiply) than on its scalar
    # one (double): its float outputs at batch 3 differ from its own batch-1 results by an ulp or two. edgekd
    # runs batch 3 as three batch-1 runs: it equals LiteRT sample by sample, batched LiteRT to 1e-6.
    batched = outs["ours"][2]
    if any(y.dtype == np.float32 for y in batched):
        for a, b in zip(batched, outs["litert"][2]):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=0)
        outs["litert"][2] = per_sample_litert(model, [sample(d, 20 + k) for k, d in
                                                      enumerate(outs["litert"][0])])
    assert_same(outs["ours"], outs["litert"], "batch 3")
    if ours.get_signature_list():  # a runner given another batch resizes, as LiteRT's does
        ref = theirs.get_signature_runner()
        kw = {n: sample(d, 40 + i, batch=2) for i, (n, d) in enumerate(ref.get_input_details().items())}
        got, want = ours.get_signature_runner()(**kw), ref(**kw)
        assert list(got) == list(want)
        for k in want:
            assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape == (2,) + want[k].shape[1:]
            if want[k].dtype == np.float32:  # see above
                np.testing.assert_allclose(got[k], want[k], rtol=1e-6, atol=0)
            else:
                assert np.array_equal(got[k], want[k]), k


def per_sample_litert(model: bytes, xs: list) -> list:
    theirs = pair(model)[1]
    theirs.allocate_tensors()
    rows = []
    for r in range(xs[0].shape[0]):
        for d, x in zip(theirs.get_input_details(), xs):
            theirs.set_tensor(d["index"], x[r:r + 1])
        theirs.invoke()
        rows.append([theirs.get_tensor(d["index"]) for d in theirs.get_output_details()])
    return [np.concatenate(col) for col in zip(*rows)]


def test_resize_other_dimensions_is_a_clear_error():
    model = (DATA / TF_FILES[0]).read_bytes()
    it = edgekd.Interpreter(model_content=model)
    d = it.get_input_details()[0]
    with pytest.raises(ValueError, match=f"input 0 '{d['name']}'.*only the batch"):
        it.resize_tensor_input(d["index"], [1, 32, 32, 1])
    with pytest.raises(ValueError, match="strict resize"):
        it.resize_tensor_input(d["index"], [1, 28, 28, 2], strict=True)
    it.resize_tensor_input(d["index"], [4, 28, 28, 1], strict=True)  # the batch is -1 in shape_signature
    with pytest.raises(ValueError, match="not an input"):
        it.resize_tensor_input(5, [1])
    kept = edgekd.Interpreter(model_content=model, experimental_preserve_all_tensors=True)
    with pytest.raises(ValueError, match="intermediates"):
        kept.resize_tensor_input(d["index"], [2, 28, 28, 1])


def test_constructor_and_call_errors_follow_litert(tmp_path):
    model = write_tflite(models.small_cnn(seed=0))
    p = tmp_path / "m.tflite"
    p.write_bytes(model)
    ours = edgekd.Interpreter(model_path=p, num_threads=2)  # os.PathLike, as LiteRT takes it
    theirs = litert_mod.Interpreter(model_path=str(p))
    for cls in (edgekd.Interpreter, litert_mod.Interpreter):
        with pytest.raises(ValueError, match="must be specified"):
            cls()
        with pytest.raises(ValueError, match="Can't both provide"):
            cls(model_path=str(p), model_content=model)
        with pytest.raises(ValueError, match="num_threads"):
            cls(model_content=model, num_threads=0)
        with pytest.raises(ValueError, match="num_threads"):
            cls(model_content=model, num_threads=1.5)
    for it in (ours, theirs):
        it.allocate_tensors()
        d = it.get_input_details()[0]
        assert it.reset_all_variables() is None
        with pytest.raises(ValueError, match=f"Got value of type FLOAT32 but expected type INT8 for input "
                                             f"{d['index']}, name: {d['name']}"):
            it.set_tensor(d["index"], np.zeros(d["shape"], np.float32))
        with pytest.raises(ValueError):
            it.set_tensor(d["index"], np.zeros((1, 27, 28, 1), np.int8))
        for bad in (10_000, -1):
            with pytest.raises(ValueError):
                it.get_tensor(bad)
    with pytest.raises(ValueError, match="delegates"):
        edgekd.Interpreter(model_content=model, experimental_delegates=[object()])


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64, np.float64, np.int16])
def test_model_call_refuses_dtypes_it_would_reinterpret(dtype):
    m = edgekd.load(write_tflite(models.small_cnn(seed=0)))
    x = np.zeros((1, 28, 28, 1), dtype)
    with pytest.raises(ValueError, match=f"input 'input' takes int8 .*got {np.dtype(dtype).name}"):
        m(x)
    f = edgekd.load(float_edges())
    name = f.input_details[0]["name"]
    with pytest.raises(ValueError, match=f"input '{name}' takes float32 .*got {np.dtype(dtype).name}"):
        f(np.zeros((1, 6, 6, 4), dtype))


def test_model_call_keeps_float32_and_int8_conversions():
    m = edgekd.load(write_tflite(models.small_cnn(seed=0)))
    xf = np.random.default_rng(0).uniform(0, 1, size=(1, 28, 28, 1)).astype(np.float32)
    assert m(xf).dtype == np.float32 and m(np.zeros((1, 28, 28, 1), np.int8)).dtype == np.int8
    f = edgekd.load(float_edges())
    assert f(np.zeros((1, 6, 6, 4), np.int8)).dtype == np.int8


def _field(b: bytes, table: int, field: int) -> int:
    """Absolute position of a table's field (0 if absent)."""
    vt = table - struct.unpack_from("<i", b, table)[0]
    if 4 + 2 * field + 2 > struct.unpack_from("<H", b, vt)[0]:
        return 0
    off = struct.unpack_from("<H", b, vt + 4 + 2 * field)[0]
    return table + off if off else 0


def _deref(b: bytes, pos: int) -> int:
    return pos + struct.unpack_from("<I", b, pos)[0]


def test_signature_naming_a_missing_tensor_is_a_clear_error():
    model = bytearray(two_inputs())
    root = struct.unpack_from("<I", model, 0)[0]
    sigs = _deref(model, _field(model, root, 7))                  # Model.signature_defs
    sig = _deref(model, sigs + 4)                                 # [0]
    inputs = _deref(model, _field(model, sig, 0))                 # SignatureDef.inputs
    tmap = _deref(model, inputs + 8)                              # [1]: 'alpha', tensor 1 (0 is not stored)
    pos = _field(model, tmap, 1)                                  # TensorMap.tensor_index
    assert pos and struct.unpack_from("<I", model, pos)[0] == 1
    struct.pack_into("<I", model, pos, 4000)
    with pytest.raises(ValueError, match=r"signature_defs\[0\]\.inputs\[1\]\.tensor_index.*4000"):
        edgekd.Interpreter(model_content=bytes(model))


def test_preserve_all_tensors_with_fused_regions_on_two_threads():
    # Ops of a fused region run band by band on both threads; every intermediate must still be LiteRT's.
    model = write_tflite(models.mobilenet_v2(alpha=0.35, input_size=96, num_classes=10, seed=0))
    ours, theirs = pair(model, experimental_preserve_all_tensors=True, num_threads=2)
    assert ours.model.info()["num_fused_regions"] > 0
    assert ours.model.info()["arena_bytes"] > edgekd.load(model, num_threads=2).info()["arena_bytes"]
    for it in (ours, theirs):
        d = it.get_input_details()[0]
        it.allocate_tensors()
        it.set_tensor(d["index"], sample(d, 1))
        it.invoke()
    for i in range(len(ours.get_tensor_details())):
        if not _is_constant(ours, i):
            assert_same(ours.get_tensor(i), theirs.get_tensor(i), f"tensor {i}")
