"""`edgekd bench` checks its arguments before it runs anything: a missing or malformed model, an unknown
device or backend, a thread/run count out of range are each one line on stderr naming the thing, exit
status 2, and no file written."""
from __future__ import annotations

import pytest
from cli_helpers import assert_one_line_error, edgekd, tree

from edgekd.testing.models import small_cnn
from edgekd.tflite.writer import write_tflite


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    p = tmp_path_factory.mktemp("cli-bench") / "cnn.tflite"
    p.write_bytes(write_tflite(small_cnn(seed=0)))
    return p


def _bad_files(d):
    trunc = d / "trunc.tflite"
    trunc.write_bytes(write_tflite(small_cnn(seed=0))[:3000])
    junk = d / "junk.tflite"
    junk.write_bytes(b"this is not a flatbuffer at all")
    return {"missing": (d / "absent.tflite", "no such model file"),
            "truncated": (trunc, "truncated"),
            "not tflite": (junk, "not a .tflite file"),
            "directory": (d, "not a file")}


@pytest.mark.parametrize("case", ["missing", "truncated", "not tflite", "directory"])
def test_bad_model_is_one_line(case, tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    path, why = _bad_files(d)[case]
    before = tree(d)
    r = edgekd("bench", path, "--json", d / "r.json", "--csv", d / "r.csv", cwd=d)
    assert_one_line_error(r, "bench", str(path.name), why)
    assert tree(d) == before


@pytest.mark.parametrize("args, needles", [
    (["--device", "no-such-board"], ["unknown device 'no-such-board'"]),
    (["--threads", "0"], ["--threads", "got 0"]),
    (["--threads", "-3"], ["--threads", "got -3"]),
    (["--threads", "1000"], ["--threads", "[1, 256]"]),
    (["--runs", "0"], ["--runs"]),
    (["--warmup", "-1"], ["--warmup"]),
    (["--min-seconds", "-1"], ["--min-seconds"]),
    (["--backend", "tensorrt"], ["unknown backend(s) tensorrt"]),
    (["--backend", ","], ["--backend names no backend"]),
    (["--onnx", "absent.onnx"], ["absent.onnx", "--onnx"]),
    (["--threads", "two"], ["argument --threads: invalid int value: 'two'"]),
    (["--host", "pi@board"], ["--host needs --device"]),
    (["--emulate"], ["--emulate needs --device"]),
    (["--device", "rpi4", "--emulate", "--host", "pi@board"], ["--host and --emulate exclude each other"]),
])
def test_bad_option_is_one_line(model, tmp_path, args, needles):
    r = edgekd("bench", model, *args, "--json", tmp_path / "r.json", cwd=tmp_path)
    assert_one_line_error(r, "bench", *needles)
    assert tree(tmp_path) == []


def test_bench_host_writes_nothing_here(model, tmp_path):
    """`bench --host` builds its bundle in a temporary directory: an unreachable device fails in one line
    and leaves the current directory as it was (no ./deploy/)."""
    r = edgekd("bench", model, "--device", "x86-64", "--host", "nobody@127.0.0.1:1", "--backend", "edgekd",
               cwd=tmp_path, env={"EDGEKD_CACHE": str(tmp_path / "cache")})
    assert_one_line_error(r, "bench", "nobody@127.0.0.1:1")
    assert not (tmp_path / "deploy").exists()
    assert not list(tmp_path.glob("cache/deploy/*"))  # failed before the build


def test_bench_table_picks_microseconds_when_piped(model, tmp_path):
    """A 30 µs model prints in µs, and the piped table is not folded at 80 columns."""
    r = edgekd("bench", model, "--backend", "edgekd", "--runs", "20", "--min-seconds", "0", "--no-energy",
               cwd=tmp_path, env={"COLUMNS": ""})
    assert r.returncode == 0, r.stderr
    assert "\x1b[" not in r.stdout
    header = next(ln for ln in r.stdout.splitlines() if "backend" in ln)
    assert "p50 µs" in header and "p99 µs" in header, header
    assert max(len(ln) for ln in r.stdout.splitlines()) > 80
    row = next(ln for ln in r.stdout.splitlines() if "edgekd int8" in ln)
    p50 = float(row.split("│")[2])
    assert 1.0 <= p50 < 100_000, row
