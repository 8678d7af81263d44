"""`edgekd inspect`: what it prints for edgekd's and TF's files, and one-line errors for bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgekd import cli
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
