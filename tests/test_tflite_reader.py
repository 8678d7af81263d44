"""The Python .tflite reader: exact round trips of what edgekd writes, files made by TensorFlow's
converter (committed fixtures), the encodings other writers use (deprecated op codes, buffers after the
flatbuffer, any table order), and one clear EdgekdError for malformed input."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import tflite

from edgekd import ir
from edgekd.errors import EdgekdError
from edgekd.testing import models as M
from edgekd.tflite import read_tflite, read_tflite_info, write_tflite
from edgekd.tflite import generated
from edgekd.tflite.writer import _Writer, build_external

DATA = Path(__file__).parent / "data"
TF_FIXTURES = sorted(DATA.glob("tf_*.tflite"))


def _graphs() -> dict[str, ir.Graph]:
    gs = {f"one_op_{op}": M.one_op_model(op, seed=5) for op in M.ONE_OP_TYPES}
    gs["fc_no_bias"] = M.one_op_model("FULLY_CONNECTED", shape=(2, 12), bias=False)
    gs["small_cnn_chain"] = M.small_cnn(flatten="chain")
    gs["mobilenet_v3_small"] = M.mobilenet_v3_small(0.75, 96)
    return gs


GRAPHS = _graphs()


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_write_read_write_round_trip(name: str) -> None:
    g = GRAPHS[name]
    data = write_tflite(g)
    back = read_tflite(data)
    back.validate()
    assert back == g
    assert write_tflite(back) == data


def test_round_trip_is_not_vacuous() -> None:
    """Graph equality must notice changes in data, quantization, options and wiring."""
    g = GRAPHS["one_op_CONV_2D"]
    changes = [
        lambda h: h.tensors[1].data.__setitem__((0, 0, 0, 0), h.tensors[1].data[0, 0, 0, 0] ^ 1),
        lambda h: setattr(h.tensors[1].quant, "scale", h.tensors[1].quant.scale * 1.0001),
        lambda h: setattr(h.tensors[0].quant, "zero_point", h.tensors[0].quant.zero_point + 1),
        lambda h: h.ops[0].options.update(stride_w=2),
        lambda h: h.ops[0].inputs.reverse(),
        lambda h: setattr(h.tensors[3], "name", "renamed"),
    ]
    for change in changes:
        h = read_tflite(write_tflite(g))
        change(h)
        assert h != g


def test_read_accepts_a_path_and_reports_file_facts(tmp_path) -> None:
    g = GRAPHS["small_cnn_chain"]
    p = tmp_path / "m.tflite"
    p.write_bytes(write_tflite(g))
    info = read_tflite_info(p)
    assert info.graph == g
    assert info.file_size == p.stat().st_size and info.schema_version == 3 and info.num_subgraphs == 1
    assert info.buffer_sizes[0] == 0
    assert sum(info.buffer_sizes) == g.constant_bytes()
    assert info.signatures == ["serving_default"]
    assert [t for t, _v in info.operator_codes] == ["CONV_2D", "MAX_POOL_2D", "SHAPE", "STRIDED_SLICE", "PACK",
                                                     "RESHAPE", "FULLY_CONNECTED"]


# ---- encodings other writers use ------------------------------------------------------------------

class _DeprecatedCodesOnly(_Writer):
    """Operator codes as pre-2.4 TensorFlow wrote them: only the byte field."""

    def _operator_code(self, op_type: str, version: int) -> int:
        b = self.b
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, generated.BUILTIN_CODE[op_type])
        tflite.OperatorCodeAddVersion(b, version)
        return tflite.OperatorCodeEnd(b)


class _Reordered(_Writer):
    def opcode_order(self, n: int) -> list[int]:
        return list(range(n))[::-1]

    def buffer_order(self, n: int) -> list[int]:
        rng = np.random.default_rng(n)
        return [int(i) for i in rng.permutation(n)]


@pytest.mark.parametrize("encode, external", [
    (lambda g: _DeprecatedCodesOnly(g).build(), False),
    (lambda g: _Reordered(g).build(), False),
    (lambda g: build_external(g), True),
    (lambda g: build_external(g, _Reordered), True),
], ids=["deprecated_builtin_code_only", "reordered_opcodes_and_buffers", "buffers_after_flatbuffer",
        "buffers_after_flatbuffer_reordered"])
def test_other_encodings_read_the_same(encode, external: bool) -> None:
    g = GRAPHS["small_cnn_chain"]
    data = encode(g)
    assert data != write_tflite(g)
    info = read_tflite_info(data)
    assert info.graph == g
    n_const = sum(1 for t in g.tensors if t.data is not None)
    assert info.external_buffers == (n_const if external else 0)


def test_other_encodings_run_identically_in_litert() -> None:
    L = pytest.importorskip("edgekd.testing.litert")
    pytest.importorskip("ai_edge_litert.interpreter")
    g = GRAPHS["small_cnn_chain"]
    xs = L.random_inputs(g, 3)
    want = L.run(write_tflite(g), xs)[0]
    for data in (_DeprecatedCodesOnly(g).build(), _Reordered(g).build(), build_external(g)):
        np.testing.assert_array_equal(L.run(data, xs)[0], want)


def test_codes_above_127_need_builtin_code() -> None:
    """A file whose builtin_code is 150 (GELU) reads as GELU even though the byte field holds 127."""
    b = M.GraphBuilder("gelu")
    x = b.input((1, 4))
    y = b._emit("y", x.value, (1, 4))
    b.g.add_op("GELU", [x.index], [y.index])
    g = b.output(y)
    assert read_tflite(write_tflite(g)).ops[0].type == "GELU"


# ---- files from TensorFlow's converter -----------------------------------------------------------

EXPECTED_OPS = {
    "tf_cnn_flatten_int8io.tflite": {"CONV_2D", "MAX_POOL_2D", "SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE",
                                     "FULLY_CONNECTED", "SOFTMAX"},
    "tf_dw_residual_floatio.tflite": {"QUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "AVERAGE_POOL_2D",
                                      "MEAN", "FULLY_CONNECTED", "DEQUANTIZE"},
    "tf_mean_hardswish_se_int8io.tflite": {"CONV_2D", "HARD_SWISH", "MEAN", "MUL", "FULLY_CONNECTED"},
}


def test_tf_fixtures_are_present_and_small() -> None:
    assert {p.name for p in TF_FIXTURES} == set(EXPECTED_OPS)
    for p in TF_FIXTURES:
        assert p.stat().st_size < 200 * 1024


@pytest.mark.parametrize("path", TF_FIXTURES, ids=[p.name for p in TF_FIXTURES])
def test_reads_tf_converter_files(path: Path) -> None:
    info = read_tflite_info(path)
    g = info.graph
    g.validate()
    assert {op.type for op in g.ops} == EXPECTED_OPS[path.name]
    assert info.description == "MLIR Converted." and "min_runtime_version" in info.metadata
    # full-integer: every conv/fc weight is int8, symmetric, per channel along the output dimension
    for op in g.ops:
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            w = g.tensors[op.inputs[1]]
            axis = 3 if op.type == "DEPTHWISE_CONV_2D" else 0
            assert w.dtype == "int8" and w.data is not None
            assert w.quant.quantized_dimension == axis and w.quant.per_channel_count == w.shape[axis]
            assert np.all(w.quant.zero_point == 0) and np.abs(w.data).max() <= 127
            if len(op.inputs) > 2 and op.inputs[2] >= 0:
                assert g.tensors[op.inputs[2]].dtype == "int32"
    io_types = {g.tensors[i].dtype for i in g.inputs + g.outputs}
    assert io_types == ({"float32"} if "floatio" in path.name else {"int8"})
    assert g.tensors[g.inputs[0]].shape_signature[0] == -1  # TF keeps the batch dynamic


@pytest.mark.parametrize("path", TF_FIXTURES, ids=[p.name for p in TF_FIXTURES])
def test_tf_files_rewritten_by_edgekd_run_bit_identically(path: Path) -> None:
    """read -> write must keep everything that matters: LiteRT gives the same bits on both files."""
    pytest.importorskip("ai_edge_litert.interpreter")
    from edgekd.testing import litert as L

    original = path.read_bytes()
    g = read_tflite(original)
    rewritten = write_tflite(g)
    assert read_tflite(rewritten) == g
    for seed in range(3):
        xs = L.random_inputs(g, seed)
        a, b = L.run(original, xs), L.run(rewritten, xs)
        assert len(a) == len(b) == len(g.outputs)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


# ---- malformed input -----------------------------------------------------------------------------

def _small_model() -> bytes:
    return write_tflite(M.one_op_model("CONV_2D", shape=(1, 4, 4, 2), out_ch=3))


def test_every_truncation_gives_edgekd_error() -> None:
    data = _small_model()
    for n in range(len(data)):
        with pytest.raises(EdgekdError):
            read_tflite(data[:n])


def test_truncated_big_model_gives_edgekd_error() -> None:
    data = write_tflite(GRAPHS["mobilenet_v3_small"])
    for n in np.linspace(0, len(data) - 1, 60).astype(int):
        with pytest.raises(EdgekdError, match="malformed .tflite|too short"):
            read_tflite(data[:n])


def test_truncated_external_buffer_names_the_buffer() -> None:
    data = build_external(GRAPHS["small_cnn_chain"])
    with pytest.raises(EdgekdError, match=r"Model\.buffers\[\d+\]\.offset.*truncated"):
        read_tflite(data[:-10])


def test_corrupted_bytes_never_crash_or_hang() -> None:
    """Random byte flips: each read either succeeds or raises EdgekdError, quickly."""
    data = _small_model()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    outcomes = {"ok": 0, "error": 0}
    for _ in range(1500):
        b = bytearray(data)
        for pos in rng.integers(0, len(b), size=int(rng.integers(1, 4))):
            b[pos] = int(rng.integers(0, 256))
        try:
            read_tflite(bytes(b))
            outcomes["ok"] += 1
        except EdgekdError:
            outcomes["error"] += 1
    assert time.perf_counter() - start < 60
    assert outcomes["error"] > 0 and outcomes["ok"] > 0


@pytest.mark.parametrize("data, match", [
    (b"", "too short"),
    (b"\x10\x00\x00\x00TF", "too short"),
    (b"\x10\x00\x00\x00ABCD" + b"\x00" * 32, "file_identifier"),
    (b"\xff\xff\xff\x7fTFL3" + b"\x00" * 32, "root offset|Model"),
])
def test_garbage_headers(data: bytes, match: str) -> None:
    with pytest.raises(EdgekdError, match=match):
        read_tflite(data)


class _BadBufferIndex(_Writer):
    def _tensor(self, index, t, buffer_index):  # type: ignore[override]
        return super()._tensor(index, t, 999 if index == 1 else buffer_index)


class _BadOpcodeIndex(_Writer):
    def _operator(self, index, op, opcode_index):  # type: ignore[override]
        return super()._operator(index, op, 7)


def test_errors_name_the_field() -> None:
    g = M.one_op_model("CONV_2D")
    with pytest.raises(EdgekdError, match=r"tensors\[1\]\.buffer: buffer index 999"):
        read_tflite(_BadBufferIndex(g).build())
    with pytest.raises(EdgekdError, match=r"operators\[0\]\.opcode_index: 7"):
        read_tflite(_BadOpcodeIndex(g).build())
    wrong_size = M.one_op_model("CONV_2D")
    wrong_size.tensors[1].shape = (16, 3, 3, 4)  # bypasses validate(): data has 8 input channels
    with pytest.raises(EdgekdError, match=r"tensors\[1\]\.buffer: tensor 'conv/weights'"):
        read_tflite(write_tflite(wrong_size, validate=False))


def test_missing_file_is_file_not_found(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.tflite"):
        read_tflite(tmp_path / "nope.tflite")
