"""`edgekd distill` and `edgekd sweep` end to end on digits (tiny epochs), and their errors (the demo: test_demo_cli.py)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from edgekd import cli
from edgekd.distill import trainer

FAST = ["--dataset", "digits", "--teacher", "cnn_teacher_8x8", "--student", "tiny_mlp", "--teacher-epochs", "1",
        "--epochs", "2", "--lr", "0.01", "--batch-size", "128", "--threads", "1", "--no-progress"]


def test_import_edgekd_does_not_import_torch():
    code = "import sys, edgekd, edgekd.cli; edgekd.cli.build_parser(); assert 'torch' not in sys.modules, 'torch'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_distill_writes_checkpoints_metrics_and_figures(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["distill", *FAST, "--temperature", "3", "--alpha", "0.25", "--out", str(out)]) == 0
    for name in ("teacher.pt", "student_alone.pt", "student.pt", "student.module.pt", "metrics.json",
                 "loss.png", "accuracy.png"):
        assert (out / name).is_file(), name
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    m = json.loads((out / "metrics.json").read_text())
    assert m["config"]["temperature"] == 3 and m["config"]["alpha"] == 0.25
    assert set(m["runs"]) == {"teacher", "student_alone", "student"}
    for r in m["runs"].values():
        assert r["parameters"] > 0 and r["size_bytes"] >= 4 * r["parameters"] and r["wall_s"] > 0
        assert all(k in r["history"][0] for k in ("train_loss", "train_acc", "test_loss", "test_acc", "seconds"))
    assert len(m["runs"]["teacher"]["history"]) == 1 and len(m["runs"]["student"]["history"]) == 2
    assert m["summary"]["distillation_gain"] == pytest.approx(m["summary"]["student_acc"] - m["summary"]["student_alone_acc"])
    model, ck = trainer.load_model(out / "student.pt")
    assert ck["model_name"] == "tiny_mlp" and ck["role"] == "student" and ck["args"]["alpha"] == 0.25
    assert model(torch.rand(2, 1, 8, 8)).shape == (2, 10)

    # --teacher FILE reuses the trained teacher; --resume keeps the completed student runs
    out2 = tmp_path / "run2"
    assert cli.main(["distill", *FAST, "--teacher", str(out / "teacher.pt"), "--out", str(out2)]) == 0
    m2 = json.loads((out2 / "metrics.json").read_text())
    assert not (out2 / "teacher.pt").exists()
    assert m2["runs"]["teacher"]["test_acc"] == pytest.approx(m["runs"]["teacher"]["test_acc"])
    assert cli.main(["distill", *FAST, "--teacher", str(out / "teacher.pt"), "--out", str(out2), "--resume"]) == 0
    m3 = json.loads((out2 / "metrics.json").read_text())
    assert m3["runs"]["student"]["resumed_at_epoch"] == 2
    assert m3["runs"]["student"]["history"] == m2["runs"]["student"]["history"]


def test_config_file_with_cli_override(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('[distill]\ndataset = "digits"\nteacher = "cnn_teacher_8x8"\nstudent = "tiny_mlp"\n'
                    'teacher-epochs = 1\nepochs = 1\ntemperature = 7.0\nalpha = 0.9\nthreads = 1\nprogress = false\n'
                    'plots = false\n')
    out = tmp_path / "r"
    assert cli.main(["distill", "--config", str(toml), "--alpha", "0.3", "--out", str(out), "--max-train", "300",
                     "--teacher-max-train", "600"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["train_examples"] == {"teacher": 600, "students": 300}
    cfg = m["config"]
    assert cfg["temperature"] == 7.0 and cfg["alpha"] == 0.3 and cfg["epochs"] == 1
    assert not (out / "loss.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["--student", "nonexistent_net"], "unknown student 'nonexistent_net'"),
    (["--teacher", "nonexistent_net"], "teacher 'nonexistent_net' is neither a zoo model"),
    (["--dataset", "/no/such/dir"], "unknown data set '/no/such/dir'"),
    (["--alpha", "2"], "alpha must be in [0, 1]"),
    (["--teacher", "/no/such/teacher.pt"], "/no/such/teacher.pt: checkpoint not found"),
])
def test_user_errors_are_one_line(tmp_path, capsys, argv, message):
    assert cli.main(["distill", *FAST, "--out", str(tmp_path / "e"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_bad_config_key(tmp_path, capsys):
    toml = tmp_path / "bad.toml"
    toml.write_text("temprature = 3\n")
    assert cli.main(["distill", "--config", str(toml)]) == 2
    assert "unknown key 'temprature'" in capsys.readouterr().err


def test_sweep_grid(tmp_path):
    out = tmp_path / "sw"
    assert cli.main(["sweep", *FAST, "--temperature", "1", "4", "--alpha", "0.5", "--lr", "0.01",
                     "--out", str(out)]) == 0
    res = json.loads((out / "sweep.json").read_text())
    assert len(res["results"]) == 2 and {r["temperature"] for r in res["results"]} == {1, 4}
    accs = [r["test_acc"] for r in res["results"]]
    assert accs == sorted(accs, reverse=True) and all(0 <= a <= 1 for a in accs)
    assert (out / "sweep.png").is_file()
