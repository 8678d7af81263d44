"""The Python runtime API: edgekd.load / Model / Interpreter, batching, float and int8 edges, path
selection, concurrency, and errors for bad calls."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import edgekd
from edgekd.testing import litert, models
from edgekd.tflite.writer import write_tflite

from runtime_helpers import isa


@pytest.fixture(scope="module")
def cnn():
    g = models.small_cnn(seed=0)
    return g, write_tflite(g)


@pytest.fixture(scope="module")
def float_edges():
    # QUANTIZE float->int8 at the input, DEQUANTIZE at the output.
    b = models.GraphBuilder("float_edges", seed=3)
    x = b.input((1, 6, 6, 4), dtype="float32")
    q = b.quantize(x)
    y = b.conv2d(q, 8, 3, act="RELU")
    y = b.dequantize(y)
    g = b.output(y)
    return g, write_tflite(g)


def test_load_from_bytes_and_path(cnn, tmp_path):
    g, model = cnn
    p = tmp_path / "cnn.tflite"
    p.write_bytes(model)
    a, b = edgekd.load(model), edgekd.load(str(p))
    x = litert.random_inputs(g, seed=0)[0]
    assert np.array_equal(a(x), b(x))
    assert a.path in edgekd.cpu_info()["supported_paths"] + ["ref"]


def test_info_reports_path_kernels_arena_and_load_time(cnn):
    m = edgekd.load(cnn[1])
    info = m.info()
    assert info["path"] == m.path
    assert info["arena_bytes"] > 0 and info["arena_bytes"] % 64 == 0
    # The arena is smaller than the sum of all activations (lifetimes overlap and memory is reused).
    g = cnn[0]
    total = sum(int(np.prod(t.shape)) for i, t in enumerate(g.tensors) if t.data is None)
    assert info["arena_bytes"] < total
    assert info["load_ms"] > 0
    assert "gemm" in info["kernels"] and info["kernels"]["gemm"]
    assert info["num_ops"] == len(g.ops)


def test_forced_path_is_used_and_reported(cnn):
    with isa("ref"):
        m = edgekd.load(cnn[1])
    assert m.path == "ref"
    assert all("ref" in k for k in m.info()["kernels"]["gemm"])


def test_unavailable_forced_path_is_a_clear_error(cnn):
    info = edgekd.cpu_info()
    missing = [p for p in ("avx512vnni", "neondot", "neon", "avx2") if p not in info["supported_paths"]]
    if not missing:
        pytest.skip("every path runs here")
    with isa(missing[0]):
        with pytest.raises(RuntimeError, match=missing[0]):
            edgekd.load(cnn[1])


def test_float_input_is_quantized_with_input_params(cnn):
    g, model = cnn
    m = edgekd.load(model)
    rng = np.random.default_rng(0)
    xf = rng.uniform(0, 1, size=(1, 28, 28, 1)).astype(np.float32)
    t = g.tensors[g.inputs[0]]
    s, zp = float(t.quant.scale[0]), int(t.quant.zero_point[0])
    xq = edgekd._core.runtime_quantize(xf, s, zp)
    # TFLite rounds half away from zero: check against that explicitly.
    v = xf / np.float32(s)
    expect = np.clip(np.trunc(v + np.copysign(np.float32(0.5), v)) + zp, -128, 127).astype(np.int8)
    assert np.array_equal(xq, expect)
    yf = m(xf)
    yq = m(xq)
    assert yf.dtype == np.float32 and yq.dtype == np.int8
    o = g.tensors[g.outputs[0]]
    assert np.allclose(yf, (yq.astype(np.float32) - int(o.quant.zero_point[0])) * float(o.quant.scale[0]))
    assert np.array_equal(m(xf, output="int8"), yq)


def test_batch_larger_than_model_batch(cnn):
    g, model = cnn
    m = edgekd.load(model)
    rng = np.random.default_rng(1)
    xs = rng.integers(-128, 128, size=(5, 28, 28, 1), dtype=np.int8)
    ys = m(xs)
    assert ys.shape == (5, 10)
    for i in range(5):
        assert np.array_equal(ys[i:i + 1], m(xs[i:i + 1]))
    # One sample without the batch dimension.
    assert np.array_equal(m(xs[0]), ys[0])


def test_float_edges_model(float_edges):
    g, model = float_edges
    m = edgekd.load(model)
    d = m.input_details[0]
    assert d["dtype"] == np.float32 and d["edge_quantization"] is not None
    x = np.random.default_rng(2).uniform(-1, 1, size=(1, 6, 6, 4)).astype(np.float32)
    y = m(x)
    assert y.dtype == np.float32
    want = litert.run(model, [x])[0]
    assert np.array_equal(y, want)
    # int8 in / int8 out through the edge parameters.
    s, zp = d["edge_quantization"]
    xq = edgekd._core.runtime_quantize(x, s, zp)
    yq = m(xq)
    assert yq.dtype == np.int8
    so, zo = m.output_details[0]["edge_quantization"]
    assert np.allclose(edgekd._core.runtime_dequantize(yq, so, zo), y)


def test_exact_call_path_takes_only_exact_arrays(cnn):
    # model(x) hands a C-contiguous array of the input's own dtype and shape straight to core.invoke_exact;
    # anything else must come back as None and take the general path, with the same result.
    g, model = cnn
    m = edgekd.load(model)
    x = litert.random_inputs(g, seed=4)[0]
    want = litert.run(model, [x])[0]
    y = m._core.invoke_exact(x)
    assert y.dtype == want.dtype and np.array_equal(y, want)
    assert np.array_equal(m(x), want) and np.array_equal(m(x, output="raw"), want)
    fortran = np.asfortranarray(x[0, :, :, 0])[None, :, :, None]  # same values, not C-contiguous
    assert not fortran.flags.c_contiguous
    wide = x.astype(np.int16)
    for other in (fortran, wide, x[0], x.tolist()):
        assert m._core.invoke_exact(other) is None
    assert np.array_equal(m(fortran), want)
    assert np.array_equal(m(x[0]), want[0])  # no batch dimension


def test_profile_names_every_op_and_leaves_results_alone(cnn):
    g, model = cnn
    m = edgekd.load(model)
    x = litert.random_inputs(g, seed=6)[0]
    want = litert.run(model, [x])[0]
    assert np.array_equal(m(x), want)
    prof = m.profile(runs=5)
    assert len(prof) == m.info()["num_ops"] == len(g.ops)
    kernels = {k for ks in m.info()["kernels"].values() for k in ks}
    for i, (entry, op) in enumerate(zip(prof, g.ops)):
        assert entry["op"] == f"op {i} ({op.type})"
        assert entry["kernel"] in kernels and entry["ms"] > 0
    assert np.array_equal(m(x), want)  # the arena after profiling still gives the same results
    with pytest.raises(ValueError, match="runs must be at least 1"):
        m.profile(runs=0)


def test_wrong_input_shape_and_dtype(cnn):
    m = edgekd.load(cnn[1])
    with pytest.raises(ValueError, match="shape"):
        m(np.zeros((1, 27, 28, 1), np.int8))
    with pytest.raises(ValueError):
        m(np.zeros((1, 28, 28, 1), np.int32))
    with pytest.raises(ValueError, match="takes 1 inputs"):
        m(np.zeros((1, 28, 28, 1), np.int8), np.zeros((1, 28, 28, 1), np.int8))


def test_interpreter_matches_litert_api(cnn):
    from ai_edge_litert.interpreter import Interpreter as LiteRT, OpResolverType
    g, model = cnn
    ours = edgekd.Interpreter(model_content=model)
    theirs = LiteRT(model_content=model,
                    experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    for it in (ours, theirs):
        it.allocate_tensors()
    for a, b in zip(ours.get_input_details() + ours.get_output_details(),
                    theirs.get_input_details() + theirs.get_output_details()):
        for key in ("name", "index", "shape", "dtype", "quantization", "quantization_parameters"):
            assert key in a, key
        assert a["name"] == b["name"] and a["index"] == b["index"]
        assert np.array_equal(a["shape"], b["shape"]) and a["shape"].dtype == b["shape"].dtype
        assert a["dtype"] == b["dtype"]
        assert a["quantization"][1] == b["quantization"][1]
        assert np.float32(a["quantization"][0]) == np.float32(b["quantization"][0])
        qa, qb = a["quantization_parameters"], b["quantization_parameters"]
        assert np.array_equal(qa["scales"], qb["scales"]) and np.array_equal(qa["zero_points"], qb["zero_points"])
        assert qa["quantized_dimension"] == qb["quantized_dimension"]
    x = litert.random_inputs(g, seed=4)[0]
    outs = []
    for it in (ours, theirs):
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        outs.append(it.get_tensor(it.get_output_details()[0]["index"]))
    assert outs[0].dtype == outs[1].dtype and outs[0].shape == outs[1].shape
    assert np.abs(outs[0].astype(int) - outs[1].astype(int)).max() <= 1  # exactness: test_runtime_networks
    with pytest.raises(ValueError):
        ours.set_tensor(ours.get_input_details()[0]["index"], x.astype(np.float32))
    with pytest.raises(ValueError):
        ours.set_tensor(ours.get_input_details()[0]["index"], x[:, :10])


def test_interpreter_from_path(cnn, tmp_path):
    p = tmp_path / "m.tflite"
    p.write_bytes(cnn[1])
    it = edgekd.Interpreter(model_path=str(p), num_threads=2)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    it.invoke()
    assert it.get_tensor(it.get_output_details()[0]["index"]).shape == (1, 10)
    with pytest.raises(ValueError):
        edgekd.Interpreter()


def test_models_run_concurrently_from_threads():
    g = models.mobilenet_v2(alpha=0.35, input_size=96, num_classes=10, seed=0)
    model = write_tflite(g)
    xs = [litert.random_inputs(g, seed=s)[0] for s in range(4)]
    ref = [edgekd.load(model)(x) for x in xs]
    ms = [edgekd.load(model) for _ in xs]
    results: list = [None] * len(xs)

    def work(i):
        for _ in range(5):
            results[i] = ms[i](xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r, w in zip(results, ref):
        assert np.array_equal(r, w)


def test_one_model_shared_by_threads_runs_one_inference_at_a_time():
    # The model's own mutex (taken with the GIL released) serializes calls on one model: every call from
    # every thread gets the output for its own input.
    g = models.small_cnn(seed=0)
    m = edgekd.load(write_tflite(g), num_threads=2)
    xs = [litert.random_inputs(g, seed=s)[0] for s in range(4)]
    want = [m(x) for x in xs]
    bad: list = []

    def work(i):
        for k in range(200):
            x = xs[(i + k) % len(xs)]
            if not np.array_equal(m(x), want[(i + k) % len(xs)]):
                bad.append((i, k))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad, f"{len(bad)} calls got another call's output, first {bad[0]}"


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        edgekd.load(tmp_path / "nope.tflite")


def test_two_inputs_two_outputs_every_call_form_agrees():
    # Two int8 inputs and two outputs take the no-conversion call path; float inputs, output="float32"
    # and a missing batch dimension take the converting one. All must agree with run_raw and LiteRT.
    b = models.GraphBuilder("two_in_two_out", seed=5)
    x = b.input((1, 4, 4, 8), name="x")
    y = b.input((1, 4, 4, 8), name="y")
    g = b.output(b.add(x, y, act="RELU"), b.conv2d(x, 4, 1))
    model = write_tflite(g)
    m = edgekd.load(model)
    rng = np.random.default_rng(4)
    xs = [rng.integers(-128, 128, size=(1, 4, 4, 8), dtype=np.int8) for _ in range(2)]
    raw = m.run_raw(xs)
    want = litert.run(model, xs)
    got = m(*xs)
    assert isinstance(got, list) and len(got) == 2
    for r, w, o in zip(raw, want, got):
        assert o.dtype == np.int8 and np.array_equal(o, r) and np.array_equal(o, w)
    assert all(np.array_equal(o, r) for o, r in zip(m(*xs, output="raw"), raw))
    assert all(np.array_equal(o, r[0]) for o, r in zip(m(xs[0][0], xs[1][0]), raw))
    as_float = m(*xs, output="float32")
    for o, r, d in zip(as_float, raw, m.output_details):
        assert o.dtype == np.float32
        assert np.allclose(o, (r.astype(np.float32) - d["zero_points"][0]) * d["scales"][0])
    with pytest.raises(ValueError, match="takes 2 inputs"):
        m(xs[0])
    # Exact arrays go straight to core.invoke_exact; one array in another layout or dtype sends the whole
    # call to the general path, with the same result.
    exact = m._core.invoke_exact(*xs)
    assert isinstance(exact, list) and all(np.array_equal(o, w) for o, w in zip(exact, want))
    fortran = np.asfortranarray(xs[1][0].transpose(2, 0, 1)).transpose(1, 2, 0)[None]
    assert not fortran.flags.c_contiguous and np.array_equal(fortran, xs[1])
    for other in ([xs[0], fortran], [xs[0], xs[1].astype(np.int16)], [xs[0], xs[1][0]], [xs[0]], xs * 2):
        assert m._core.invoke_exact(*other) is None
    assert all(np.array_equal(o, w) for o, w in zip(m(xs[0], fortran), want))


def test_interpreter_model_is_the_same_loaded_model(cnn):
    g, model = cnn
    it = edgekd.Interpreter(model_content=model)
    x = litert.random_inputs(g, seed=8)[0]
    d, o = it.get_input_details()[0], it.get_output_details()[0]
    it.set_tensor(d["index"], x)
    it.invoke()
    m = it.model
    assert m._core is it._core and m.info()["num_ops"] == len(g.ops)
    assert np.array_equal(m(x), it.get_tensor(o["index"]))
    # A model(x) call in between leaves the interpreter's own input and output arrays alone.
    m(np.zeros_like(x))
    assert np.array_equal(it.get_tensor(d["index"]), x)
    it.invoke()
    assert np.array_equal(it.get_tensor(o["index"]), m(x))
