"""`edgekd inspect`: what it prints for edgekd's and TF's files, and one-line errors for bad input."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgekd import cli, ir
from edgekd.testing import models as M
from edgekd.tflite import save, write_tflite
from edgekd.tflite.writer import build_external

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich folds cells to the terminal width


def _inspect(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(["inspect", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_prints_ops_tensors_quantization_and_sizes(tmp_path, capsys) -> None:
    g = M.small_cnn(flatten="chain")
    path = save(g, tmp_path / "cnn.tflite")
    rc, out, err = _inspect(capsys, str(path))
    assert rc == 0, err
    size = path.stat().st_size
    assert f"({size} bytes)" in out
    assert "10 ops, 23 tensors" in out
    # operators with index, version, inputs, outputs and options
    assert "CONV_2D" in out and "SAME s1x1 RELU" in out and "VALID s2x2 k2x2" in out
    assert "shrink_axis_mask=1" in out and "values_count=2" in out
    assert "0,1,2" in out and "3:conv1 [1,28,28,16]" in out
    # tensors: per-channel count, dimension and range; per-tensor scale and zero point
    w = g.tensors[g.find_tensor("fc1/weights")]
    assert f"per-channel x64 dim=0 s=[{w.quant.scale.min():.3g},{w.quant.scale.max():.3g}] zp=0" in out
    x = g.tensors[0]
    assert f"s={float(x.quant.scale[0]):.4g} zp={int(x.quant.zero_point[0])}" in out
    assert "100352" in out  # fc1 weights: 64 x 1568 bytes
    assert "op counts: CONV_2D x2, FULLY_CONNECTED x2, MAX_POOL_2D x2" in out
    assert f"in {sum(1 for t in g.tensors if t.data is not None)} buffers" in out


def test_json_summary(tmp_path, capsys) -> None:
    g = M.mobilenet_v3_small(0.75, 96)
    path = tmp_path / "m.tflite"
    path.write_bytes(write_tflite(g))
    rc, out, _ = _inspect(capsys, str(path), "--json")
    assert rc == 0
    d = json.loads(out)
    assert len(d["ops"]) == len(g.ops) and len(d["tensors"]) == len(g.tensors)
    assert d["constant_bytes"] == g.constant_bytes() and d["file_size"] == path.stat().st_size
    assert {o["type"] for o in d["ops"]} >= {"HARD_SWISH", "MEAN", "MUL", "DEPTHWISE_CONV_2D", "SOFTMAX"}
    dw = next(t for t in d["tensors"] if t["name"] == "block1/depthwise/weights")
    assert dw["quantized_dimension"] == 3 and len(dw["scale"]) == dw["shape"][3]


def test_tf_file_with_dynamic_batch_and_external_buffers(tmp_path, capsys) -> None:
    rc, out, _ = _inspect(capsys, str(DATA / "tf_dw_residual_floatio.tflite"), "--no-tensors")
    assert rc == 0
    assert "[?,24,24,8] float32" in out and "QUANTIZE" in out and "DEQUANTIZE" in out
    assert "mult=2" in out and "MLIR Converted." in out
    assert "quantization" not in out, "--no-tensors leaves the tensor table out"
    path = tmp_path / "ext.tflite"
    path.write_bytes(build_external(M.small_cnn()))
    rc, out, _ = _inspect(capsys, str(path))
    assert rc == 0 and "stored outside the flatbuffer" in out


@pytest.mark.parametrize("content, match", [
    (b"", "too short"),
    (b"\x10\x00\x00\x00ABCD" + b"\x00" * 40, "file_identifier"),
])
def test_bad_files_give_one_line_errors(tmp_path, capsys, content: bytes, match: str) -> None:
    path = tmp_path / "bad.tflite"
    path.write_bytes(content)
    rc, out, err = _inspect(capsys, str(path))
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edgekd inspect: error:") and match in lines[0]
    assert str(path) in lines[0]


def test_truncated_file_gives_one_line_error(tmp_path, capsys) -> None:
    data = write_tflite(M.small_cnn())
    path = tmp_path / "trunc.tflite"
    path.write_bytes(data[: len(data) // 3])
    rc, _, err = _inspect(capsys, str(path))
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "malformed .tflite" in err


def test_missing_file(capsys, tmp_path) -> None:
    rc, _, err = _inspect(capsys, str(tmp_path / "none.tflite"))
    assert rc == 2 and "none.tflite" in err


def test_directory_gives_one_line_error_from_the_real_command(tmp_path) -> None:
    """`edgekd inspect DIR` run as a user runs it: one line naming the path on stderr, exit 2."""
    script = Path(sys.executable).with_name("edgekd")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "edgekd.cli"]
    r = subprocess.run(cmd + ["inspect", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0] == f"edgekd inspect: error: {tmp_path}: is a directory, not a .tflite file"


def _two_unsupported_ops() -> ir.Graph:
    """RELU (supported), then REVERSE_V2 and TILE: two builtin ops edgekd's runtime has no kernel for."""
    b = M.GraphBuilder("two_unsupported")
    x = b.input((1, 4, 4, 2))
    y = b.relu(x)
    axis = b.g.add_constant("axis", np.array([2], np.int32))
    d = b._emit("reverse", y.value[:, :, ::-1], (1, 4, 4, 2))
    b.g.add_op("REVERSE_V2", [y.index, axis], [d.index])
    multiples = b.g.add_constant("multiples", np.array([1, 1, 1, 1], np.int32))
    t = b._emit("tile", d.value, (1, 4, 4, 2))
    b.g.add_op("TILE", [d.index, multiples], [t.index])
    return b.output(t)


def test_lists_every_op_the_runtime_cannot_run(tmp_path, capsys) -> None:
    path = save(_two_unsupported_ops(), tmp_path / "two.tflite")
    rc, out, err = _inspect(capsys, str(path), "--no-tensors")
    assert rc == 0, err
    assert "2 op(s) edgekd's runtime cannot run: op 1 (REVERSE_V2), op 2 (TILE)" in out
    rc, out, _ = _inspect(capsys, str(path), "--json")
    d = json.loads(out)
    assert d["unsupported_ops"] == [{"index": 1, "type": "REVERSE_V2"}, {"index": 2, "type": "TILE"}]
    assert d["runtime_error"] is None
    # a model the runtime runs entirely (its SHAPE -> STRIDED_SLICE -> PACK chain is folded at load)
    good = save(M.small_cnn(flatten="chain"), tmp_path / "good.tflite")
    rc, out, _ = _inspect(capsys, str(good), "--no-tensors")
    assert rc == 0 and "edgekd's runtime can run every op" in out
    assert json.loads(_inspect(capsys, str(good), "--json")[1])["unsupported_ops"] == []


def test_load_names_all_unsupported_ops_in_one_error(tmp_path) -> None:
    import edgekd

    path = save(_two_unsupported_ops(), tmp_path / "two.tflite")
    want = r"2 ops are not supported by edgekd's runtime: op 1 \(REVERSE_V2\), op 2 \(TILE\)$"
    with pytest.raises(ValueError, match=re.escape(str(path)) + ": " + want):
        edgekd.load(path)
    with pytest.raises(ValueError, match="^" + want):
        edgekd.load(path.read_bytes())


def test_runtime_errors_other_than_missing_kernels_are_shown(tmp_path, capsys) -> None:
    """A model the reader parses but the runtime rejects (an op wired wrongly): inspect still prints
    the model and says why the runtime cannot load it."""
    g = M.one_op_model("CONV_2D")
    g.tensors[g.ops[0].outputs[0]].shape = (1, 8, 8, 15)
    path = tmp_path / "bad_shape.tflite"
    path.write_bytes(write_tflite(g, validate=False))
    rc, out, _ = _inspect(capsys, str(path), "--no-tensors")
    assert rc == 0 and "edgekd's runtime cannot load this model:" in out and "op 0 (CONV_2D)" in out
