"""The .tflite writer: files load and run in LiteRT (builtin kernels, no XNNPACK) and give the values a
float calculation predicts within one quantization step; bad graphs give one clear error."""
from __future__ import annotations

import numpy as np
import pytest
import tflite

from edgekd import ir
from edgekd.errors import EdgekdError
from edgekd.testing import models as M
from edgekd.testing.float_exec import quantize, run_float
from edgekd.testing.float_ops import softmax
from edgekd.tflite import read_tflite, save, write_tflite
from edgekd.tflite import generated

from edgekd.testing import litert as L  # imports LiteRT lazily, inside its functions

try:
    import ai_edge_litert.interpreter  # noqa: F401
    HAVE_LITERT = True
except ImportError:  # the `peers` extra is not installed
    HAVE_LITERT = False
needs_litert = pytest.mark.skipif(not HAVE_LITERT, reason="needs ai-edge-litert (pip install edgekd[peers])")

# (op, keywords for one_op_model): every op of ONE_OP_TYPES plus variants that change the arithmetic.
ONE_OP_CASES = [(op, {}) for op in M.ONE_OP_TYPES] + [
    ("CONV_2D", dict(stride=2, padding="VALID")),
    ("CONV_2D", dict(k=3, dilation=2, act="RELU6")),
    ("CONV_2D", dict(k=1, out_ch=5, act="RELU")),
    ("CONV_2D", dict(shape=(2, 7, 9, 3), k=5, stride=2)),
    ("DEPTHWISE_CONV_2D", dict(stride=2, multiplier=2)),
    ("DEPTHWISE_CONV_2D", dict(k=5, padding="VALID", act="RELU")),
    ("FULLY_CONNECTED", dict(shape=(3, 20), units=7, bias=False)),
    ("FULLY_CONNECTED", dict(shape=(2, 33), units=16, act="RELU")),
    ("ADD", dict(act="RELU")),
    ("MUL", dict(b_shape=(1, 1, 1, 8))),
    ("MUL", dict(act="RELU6")),
    ("MAX_POOL_2D", dict(k=3, stride=2, padding="SAME")),
    ("AVERAGE_POOL_2D", dict(k=3, stride=1, padding="SAME")),
    ("MEAN", dict(keep_dims=True)),
    ("MEAN", dict(axes=(2,))),
    ("PAD", dict(paddings=[[0, 0], [0, 3], [1, 1], [0, 0]])),
    ("CONCATENATION", dict(axis=1)),
    ("SOFTMAX", dict(beta=0.5)),
    ("QUANTIZE", dict(from_float=True)),
    ("RESHAPE", dict(new_shape=(1, 16, 32))),
]


def _case_id(case: tuple[str, dict]) -> str:
    op, kw = case
    return op + ("-" + "-".join(f"{k}={v}" for k, v in kw.items()) if kw else "")


@needs_litert
@pytest.mark.parametrize("case", ONE_OP_CASES, ids=[_case_id(c) for c in ONE_OP_CASES])
def test_one_op_model_matches_float_within_one_step(case: tuple[str, dict]) -> None:
    op, kw = case
    g = M.one_op_model(op, seed=3, **dict(kw))
    data = write_tflite(g)
    it = L.interpreter(data)
    outs = it.get_output_details()
    assert [tuple(d["shape"]) for d in outs] == [g.tensors[i].shape for i in g.outputs]
    for seed in range(3):
        xs = L.random_inputs(g, seed)
        got = L.run(it, xs)[0]
        want = run_float(g, xs)[0]
        assert got.shape == want.shape and got.dtype == want.dtype
        if got.dtype == np.int8:
            diff = np.abs(got.astype(np.int32) - want.astype(np.int32))
            assert diff.max() <= 1, f"{_case_id(case)}: {int(diff.max())} steps off at {np.argmax(diff)}"
        else:
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@needs_litert
def test_values_are_not_trivial() -> None:
    """The comparison above would pass for all-zero outputs; make sure the models compute something."""
    g = M.one_op_model("CONV_2D", seed=1)
    got = L.run(write_tflite(g), L.random_inputs(g))[0]
    assert len(np.unique(got)) > 50


def _saturation(graph: ir.Graph, it, xs: list[np.ndarray]) -> dict[str, float]:
    """Fraction of each int8 activation's values stuck at a clamp. -128 does not count where it is a
    real floor: real 0 after ReLU (zero point -128) or hard-swish's flat minimum."""
    L.run(it, xs)
    by_name = {d["name"]: d["index"] for d in it.get_tensor_details()}
    producer = {o: op.type for op in graph.ops for o in op.outputs}
    out = {}
    for i, t in enumerate(graph.tensors):
        if t.data is not None or t.dtype != "int8" or t.quant is None:
            continue
        v = it.get_tensor(by_name[t.name])
        zp = int(t.quant.zero_point[0])
        hi = np.mean(v == 127)
        lo = np.mean(v == -128) if zp > -128 and producer.get(i) != "HARD_SWISH" else 0.0
        out[t.name] = float(hi + lo) if (hi + lo) * v.size > 1 else 0.0  # one value is not a trend
    return out


@needs_litert
@pytest.mark.parametrize("build", [
    lambda: M.small_cnn(),
    lambda: M.small_cnn(flatten="chain"),
    lambda: M.mobilenet_v2(0.35, 96),
    lambda: M.mobilenet_v3_small(0.75, 96),
    lambda: M.mobilenet_v3_small(0.75, 96, se_gate="logistic"),
], ids=["small_cnn", "small_cnn_flatten_chain", "mobilenet_v2_0.35_96", "mobilenet_v3_small_0.75_96",
        "mobilenet_v3_small_logistic_se"])
def test_networks_run_in_litert_without_saturating(build) -> None:
    g = build()
    data = write_tflite(g)
    it = L.interpreter(data, preserve_all_tensors=True)
    rng = np.random.default_rng(7)
    t_in = g.tensors[g.inputs[0]]
    # inputs spread like the builder's calibration data (uniform over the input's real range)
    xs = [rng.integers(-128, 128, size=t_in.shape, dtype=np.int8)]
    out = L.run(it, xs)[0]
    assert out.shape == g.tensors[g.outputs[0]].shape
    # over 1000 classes softmax probabilities sit in the lowest 1/256 steps: look at the logits
    logits = g.ops[-1].inputs[0] if g.ops[-1].type == "SOFTMAX" else g.outputs[0]
    by_name = {d["name"]: d["index"] for d in it.get_tensor_details()}
    q_logits = it.get_tensor(by_name[g.tensors[logits].name])
    assert len(np.unique(q_logits)) > min(20, q_logits.size // 2), "logits (nearly) constant"
    if g.ops[-1].type == "SOFTMAX":
        real = g.tensors[logits].quant.dequantize(q_logits)
        want = quantize(g.tensors[g.outputs[0]], softmax(real))
        assert np.abs(out.astype(np.int32) - want).max() <= 1
    sat = _saturation(g, it, xs)
    worst = max(sat, key=sat.get)
    assert sat[worst] < 0.05, f"{worst}: {sat[worst]:.1%} of values at a clamp"


@needs_litert
@pytest.mark.slow
def test_mobilenet_v2_full_size_runs() -> None:
    g = M.mobilenet_v2(1.0, 224)
    out = L.run(write_tflite(g), L.random_inputs(g))[0]
    assert out.shape == (1, 1000)
    assert sum(t.nbytes for t in g.tensors) > 3_000_000  # ~3.5 M int8 weights


@needs_litert
def test_op_codes_above_127_use_builtin_code() -> None:
    """GELU is builtin 150: only ``builtin_code`` can hold it (``deprecated_builtin_code`` = 127), so
    LiteRT can run this model only if both fields are right."""
    b = M.GraphBuilder("gelu", seed=0)
    x = b.input((1, 4, 4, 8))
    y = b._emit("gelu", x.value, b.shape(x))  # GELU(x) stays within the input's range here
    b.g.add_op("GELU", [x.index], [y.index])
    g = b.output(y)
    data = write_tflite(g)
    out = L.run(data, L.random_inputs(g))[0]
    assert out.shape == (1, 4, 4, 8)
    codes = _opcode_fields(data)
    assert codes == [(127, 150, 1)]
    assert _opcode_fields(write_tflite(M.one_op_model("HARD_SWISH"))) == [(117, 117, 1)]
    assert _opcode_fields(write_tflite(M.one_op_model("CONV_2D"))) == [(3, 3, 3)]


def _opcode_fields(data: bytes) -> list[tuple[int, int, int]]:
    """(deprecated_builtin_code, builtin_code, version) per operator code, read with the classes the
    tflite package generates from schema.fbs (independent of edgekd's reader)."""
    m = tflite.Model.GetRootAs(data, 0)
    return [(oc.DeprecatedBuiltinCode(), oc.BuiltinCode(), oc.Version())
            for oc in (m.OperatorCodes(i) for i in range(m.OperatorCodesLength()))]


def test_model_header_buffers_and_alignment() -> None:
    g = M.small_cnn()
    data = bytearray(write_tflite(g))
    assert data[4:8] == b"TFL3"
    root = tflite.Model.GetRootAs(data, 0)
    assert root.Version() == 3
    bufs = [root.Buffers(i) for i in range(root.BuffersLength())]
    assert bufs[0].DataIsNone(), "buffer 0 must be the empty sentinel"
    n_const = sum(1 for t in g.tensors if t.data is not None)
    assert len(bufs) == 1 + n_const
    base = np.frombuffer(data, np.uint8).ctypes.data
    for b in bufs[1:]:
        assert not b.DataIsNone()
        assert (b.DataAsNumpy().ctypes.data - base) % 16 == 0, "constant data must be 16-byte aligned"
    assert root.SubgraphsLength() == 1


def test_output_is_deterministic() -> None:
    assert write_tflite(M.mobilenet_v2(0.35, 96, seed=1)) == write_tflite(M.mobilenet_v2(0.35, 96, seed=1))


def test_per_channel_quantization_is_written() -> None:
    g = M.one_op_model("DEPTHWISE_CONV_2D", multiplier=2)
    w = next(t for t in g.tensors if t.name.endswith("/weights"))
    back = read_tflite(write_tflite(g))
    w2 = back.tensors[back.find_tensor(w.name)]
    assert w2.quant.quantized_dimension == 3 and w2.quant.per_channel_count == 16
    np.testing.assert_array_equal(w2.quant.scale, w.quant.scale)
    assert np.abs(w2.data).max() <= 127


@needs_litert
def test_signature_names_inputs_and_outputs() -> None:
    g = M.one_op_model("ADD")
    it = L.interpreter(write_tflite(g))
    sig = it.get_signature_list()["serving_default"]
    assert sig["inputs"] == sorted(["input", "input_b"]) and sig["outputs"] == ["add"]


def _conv_graph() -> ir.Graph:
    return M.one_op_model("CONV_2D")


@pytest.mark.parametrize("breaker, expect", [
    (lambda g: g.ops[0].options.update(padding="FULL"), "op 0 (CONV_2D): padding 'FULL'"),
    (lambda g: g.ops[0].options.update(fused_activation_function="GELU"), "op 0 (CONV_2D): fused_activation"),
    (lambda g: g.ops[0].options.update(stride_w=0), "op 0 (CONV_2D): stride_w"),
    (lambda g: g.ops[0].options.update(colour="red"), "op 0 (CONV_2D): unknown option(s) colour"),
    (lambda g: setattr(g.ops[0], "type", "FROBNICATE"), "op 0 (FROBNICATE)"),
    (lambda g: g.ops[0].inputs.__setitem__(0, 99), "op 0 (CONV_2D) input 0 refers to tensor 99"),
    (lambda g: g.ops[0].outputs.__setitem__(0, 1), "op 0 (CONV_2D) output 0 writes constant tensor 1"),
    (lambda g: g.tensors.__setitem__(1, ir.Tensor("conv/weights", g.tensors[1].shape, "int8", g.tensors[1].data, ir.QuantParams.per_channel([0.1] * 3, 0))), "tensor 1 ('conv/weights'): 3 per-channel"),
    (lambda g: setattr(g.tensors[0].quant, "zero_point", np.array([300])), "tensor 0 ('input'): zero point"),
    (lambda g: setattr(g.tensors[0], "dtype", "int7"), "tensor 0 ('input'): unknown dtype"),
    (lambda g: setattr(g.tensors[2], "data", g.tensors[2].data.astype(np.int64)), "tensor 2 ('conv/bias'): data has"),
    (lambda g: g.outputs.append(42), "graph output 1 refers to tensor 42"),
])
def test_bad_graphs_give_one_clear_error(breaker, expect: str) -> None:
    g = _conv_graph()
    breaker(g)
    with pytest.raises(EdgekdError) as e:
        write_tflite(g)
    assert expect in str(e.value)


def test_op_without_options_table_rejects_options() -> None:
    g = M.one_op_model("RELU")
    g.ops[0].options["alpha"] = 0.1
    with pytest.raises(EdgekdError, match=r"op 0 \(RELU\): RELU takes no options"):
        write_tflite(g)


def test_save_writes_atomically(tmp_path) -> None:
    g = M.small_cnn()
    path = save(g, tmp_path / "m.tflite")
    assert path.read_bytes() == write_tflite(g)
    bad = M.small_cnn()
    bad.ops[0].options["padding"] = "FULL"
    with pytest.raises(EdgekdError):
        save(bad, tmp_path / "bad.tflite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite"], "no partial or temporary files"


def test_generated_tables_cover_ir_option_names() -> None:
    """Every option of ir.OPTION_DEFAULTS has a generated accessor and builder in its op's table, and the
    table's own fields are the IR's (fields TF added later, like quantized_bias_type, aside): options
    can neither be dropped on write nor invented on read."""
    later = {"quantized_bias_type"}
    for op, defaults in ir.OPTION_DEFAULTS.items():
        table, fields = generated.option_fields(op)
        assert [f.name for f in fields] == list(defaults), op
        assert set(generated.table_fields(table)) - later == set(defaults), op
        for name in defaults:
            assert callable(getattr(tflite, f"{table}Add{generated.camel(name)}")), (op, name)


def test_schema_numbers_spot_check() -> None:
    """A few values from schema.fbs, as the generated package has them."""
    c = generated.BUILTIN_CODE
    assert c["ADD"] == 0 and c["CONV_2D"] == 3 and c["MEAN"] == 40 and c["SHAPE"] == 77
    assert c["PACK"] == 83 and c["QUANTIZE"] == 114 and c["HARD_SWISH"] == 117 and c["GELU"] == 150
    o = generated.OPTIONS_TYPE_CODE
    assert (o["Conv2DOptions"], o["Pool2DOptions"], o["FullyConnectedOptions"], o["ReshapeOptions"]) == (1, 5, 8, 17)
    assert (o["ReducerOptions"], o["StridedSliceOptions"], o["ShapeOptions"], o["PackOptions"]) == (27, 32, 55, 59)
    assert (o["QuantizeOptions"], o["HardSwishOptions"], o["BatchMatMulOptions"]) == (89, 91, 101)
    assert generated.TENSOR_TYPE_CODE["int8"] == 9 and generated.TENSOR_TYPE_CODE["int32"] == 2
    assert generated.camel("pot_scale_int16") == "PotScaleInt16"
    assert generated.snake("DilationWFactor") == "dilation_w_factor"
