"""`edgekd deploy` checks everything before it builds: bad numbers, a missing or malformed model, an
unknown device, an unreachable host. Each is one line on stderr naming the thing (the host with its
port), exit status 2, and nothing built or written."""
from __future__ import annotations

import pytest
from cli_helpers import assert_one_line_error, edgekd

from edgekd.testing.models import small_cnn
from edgekd.tflite.writer import write_tflite


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    p = tmp_path_factory.mktemp("cli-deploy") / "cnn.tflite"
    p.write_bytes(write_tflite(small_cnn(seed=0)))
    return p


def _deploy(tmp_path, *args):
    cache = tmp_path / "cache"
    return edgekd("deploy", *args, cwd=tmp_path, env={"EDGEKD_CACHE": str(cache)})


def _nothing_built(tmp_path):
    assert not (tmp_path / "deploy").exists()
    assert not list(tmp_path.glob("cache/deploy/*")), "the build started"
    assert not list(tmp_path.glob("out*"))


def _refused_before_the_build(tmp_path, model, args, *needles):
    """Runs `edgekd deploy MODEL ARGS...`, checks the one-line error naming `needles` and that nothing was
    built; returns the line."""
    line = assert_one_line_error(_deploy(tmp_path, model, *args), "deploy", *needles)
    _nothing_built(tmp_path)
    return line


@pytest.mark.parametrize("args, needles", [
    (["--emulate", "--threads", "-3"], ["--threads", "got -3"]),
    (["--threads", "0"], ["--threads", "got 0"]),
    (["--emulate", "--runs", "0"], ["--runs"]),
    (["--warmup", "-2"], ["--warmup"]),
    (["--emulate", "--threads", "many"], ["argument --threads: invalid int value: 'many'"]),
])
def test_bad_numbers_fail_before_the_build(model, tmp_path, args, needles):
    _refused_before_the_build(tmp_path, model, ["--device", "rpi4", "-o", tmp_path / "out", *args], *needles)


@pytest.mark.parametrize("args, needles", [
    (["--device", "toaster", "--emulate"], ["unknown device 'toaster'"]),
    (["--device", "x86-64", "--host=-oProxyCommand=x"], ["bad --host"]),
])
def test_bad_device_or_host_spec(model, tmp_path, args, needles):
    _refused_before_the_build(tmp_path, model, args, *needles)


def test_malformed_model_fails_before_the_build(tmp_path):
    bad = tmp_path / "half.tflite"
    bad.write_bytes(write_tflite(small_cnn(seed=0))[:2000])
    _refused_before_the_build(tmp_path, bad, ["--device", "x86-64", "--emulate"], "half.tflite", "truncated")


def test_missing_model(tmp_path):
    _refused_before_the_build(tmp_path, tmp_path / "absent.tflite", ["--device", "x86-64"], "absent.tflite",
                              "no such model file")


def test_unreachable_host_keeps_the_port_and_builds_nothing(model, tmp_path):
    line = _refused_before_the_build(tmp_path, model, ["--device", "x86-64", "--host", "nobody@127.0.0.1:1"],
                                     "cannot deploy to nobody@127.0.0.1:1:")
    assert "connection refused" in line or "unreachable" in line


def test_bench_table_shows_the_percentiles(model):
    """The table `deploy --emulate` prints from edgekd-run's JSON (here the host's own edgekd-run) has the
    latency percentiles, in one unit."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from rich.console import Console

    from edgekd.commands.deploy import print_bench

    run = Path(sys.executable).parent / "edgekd-run"
    r = subprocess.run([str(run), str(model), "--bench", "--runs", "5", "--warmup", "1", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    console = Console(record=True, width=200)
    print_bench("x86-64", result, console)
    text = console.export_text()
    rows = {ln.split("│")[1].strip(): ln.split("│")[2].strip() for ln in text.splitlines() if ln.count("│") == 3}
    lat = {k: v for k, v in rows.items() if k.startswith("latency ")}
    units = {k.split("(")[1].rstrip(")") for k in lat}
    assert len(units) == 1, lat
    for q in ("p50", "p90", "p99", "min", "max"):
        key = next(k for k in lat if k.startswith(f"latency {q} "))
        assert float(lat[key]) > 0
    unit = units.pop()
    scale = {"ns": 1e-6, "µs": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    p50 = float(lat[f"latency p50 ({unit})"]) * scale
    assert abs(p50 - result["latency_ms"]["p50"]) <= 0.01 * result["latency_ms"]["p50"]
    assert "gemm" in rows["kernels"]


def test_unit_follows_the_times_not_the_spread():
    from rich.console import Console

    from edgekd.commands.deploy import print_bench

    console = Console(record=True, width=200)
    print_bench("t", {"latency_ms": {"min": 0.0326, "p50": 0.0327, "p99": 0.0329, "std": 0.000106}}, console)
    text = console.export_text()
    assert "latency p50 (µs)" in text and "32.7" in text and "(ns)" not in text
