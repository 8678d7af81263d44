"""`edgekd demo` end to end in its fast mode: the summary's structure, the figures, the int8 file's accuracy on
the native runtime equal to LiteRT's on the same file, and the command's errors."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

import edgekd
from edgekd import cli
from edgekd.distill import data

ROLES = ("teacher", "student_alone", "student")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert cli.main(["demo", "--out", str(out), "--fast", "--quiet"]) == 0
    return out, json.loads((out / "summary.json").read_text())


def test_summary_structure(demo):
    out, s = demo
    assert s["format"] == "edgekd.demo.summary/1"
    assert set(s["timings_s"]) == {"distill", "quantize", "runtime", "bench", "report"} == set(s["cpu_s"])
    assert s["total_s"] >= sum(s["timings_s"].values()) - 1e-6 and s["total_cpu_s"] > 0
    d = s["distill"]
    assert d["seeds"] == [0, 1] and [r["seed"] for r in d["per_seed"]] == [0, 1]
    assert d["split"]["labelled"] == 100 and sum(d["split"].values()) == len(data.load_digits().train)
    assert d["parameters"]["student"] < d["parameters"]["teacher"]
    for r in d["per_seed"]:
        assert set(r["test_acc"]) == set(ROLES) and all(0 <= v <= 1 for v in r["test_acc"].values())
        assert r["gain"] == pytest.approx(r["test_acc"]["student"] - r["test_acc"]["student_alone"])
        assert abs(r["steps"]["student"] - r["steps"]["student_alone"]) <= 40  # same budget for both students
    agg = d["aggregate"]
    for role in ROLES:
        accs = [r["test_acc"][role] for r in d["per_seed"]]
        assert agg[role]["mean"] == pytest.approx(np.mean(accs))
        assert agg[role]["std"] == pytest.approx(np.std(accs, ddof=1))
    gains = [r["gain"] for r in d["per_seed"]]
    assert agg["gain"]["per_seed"] == pytest.approx(gains) and agg["gain"]["std"] == pytest.approx(np.std(gains, ddof=1))
    assert "paired" in agg["gain"]["spread_measure"]
    curves = json.loads((out / "curves.json").read_text())
    assert set(curves) == set(ROLES) and len(curves["student"]) == 2
    assert all(len(c["steps"]) == len(c["val_loss"]) == len(c["val_acc"]) > 0 for c in curves["student_alone"])
    assert (out / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_int8_sizes_add_up(demo):
    out, s = demo
    q = s["quantize"]
    sizes = q["sizes"]
    assert sizes["file_bytes"] == (out / "int8" / "student.tflite").stat().st_size
    assert sum(sizes[k] for k in ("weights_int8_bytes", "biases_int32_bytes", "other_constant_bytes",
                                  "quant_param_bytes", "structure_bytes")) == sizes["file_bytes"]
    assert sizes["weights_int8_bytes"] * 4 < sizes["fp32_weight_bytes"] < q["fp32_state_dict_bytes"]


def test_native_int8_accuracy_equals_litert_on_the_same_file(demo):
    out, s = demo
    pytest.importorskip("ai_edge_litert")
    from edgekd.testing import litert

    path = out / "int8" / "student.tflite"
    x, y = (t.numpy() for t in data.load_digits().test.tensors)
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    native = np.asarray(edgekd.load(str(path))(nhwc)).reshape(len(y), -1)
    it = litert.interpreter(path.read_bytes())
    ref = np.concatenate([litert.run(it, [nhwc[i:i + 1]])[0] for i in range(len(y))]).reshape(len(y), -1)
    r = s["runtime"]
    assert r["identical_outputs"] is True and np.array_equal(native, ref)
    assert r["accuracy"] == r["litert_accuracy"] == pytest.approx(float((native.argmax(1) == y).mean()))
    assert r["path"] == edgekd.cpu_info()["path"]


def test_bench_names_cpu_and_path_in_microseconds(demo):
    _, s = demo
    b = s["bench"]
    assert b["simd_path"] == edgekd.cpu_info()["path"] and b["cpu"] and b["kernels"]["gemm"]
    backends = [r["backend"] for r in b["results"]]
    assert backends[0] == "edgekd" and backends.count("torch") == 2
    for r in b["results"]:
        assert 0 < r["min_us"] <= r["p50_us"] <= r["p90_us"] and r["runs"] > 0


def test_only_reuses_the_previous_run(demo, capsys):
    out, before = demo
    assert cli.main(["demo", "--out", str(out), "--only", "runtime", "--quiet"]) == 0
    after = json.loads((out / "summary.json").read_text())
    assert after["distill"] == before["distill"] and after["runtime"]["accuracy"] == before["runtime"]["accuracy"]
    assert "int8 on edgekd" in capsys.readouterr().out


def test_every_option_has_help():
    from edgekd.commands import demo as demo_cmd

    p = argparse.ArgumentParser()
    demo_cmd.add_arguments(p)
    missing = [a.option_strings for a in p._actions if a.option_strings and not a.help]
    assert missing == []


@pytest.mark.parametrize("argv, message", [
    (["--only", "nope"], "unknown demo stage 'nope'"),
    (["--seeds", "0"], "--seeds must be at least 1"),
    (["--alpha", "1.5"], "alpha must be in [0, 1]"),
    (["--only", "quantize"], "needs the 'distill' stage's outputs"),
])
def test_errors_are_one_line(tmp_path, capsys, argv, message):
    assert cli.main(["demo", "--out", str(tmp_path / "empty"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_tune_writes_a_validation_grid(tmp_path):
    out = tmp_path / "tune"
    assert cli.main(["demo", "--tune", "--fast", "--seeds", "1", "--out", str(out), "--quiet"]) == 0
    t = json.loads((out / "tune.json").read_text())
    assert t["format"] == "edgekd.demo.tune/1" and t["seeds"] == [100]
    assert len(t["rows"]) == 4 and t["rows"][0]["val_acc"] == max(r["val_acc"] for r in t["rows"])
    assert not (out / "summary.json").exists()  # tuning is not a demo run
