"""Two processes under torchrun (gloo, CPU) train the same thing as one process, within a tolerance.

The runs cannot agree bit for bit: DistributedSampler deals the examples to the ranks in a different order
than the single process's sampler, so the two runs take different (equally valid) SGD paths, and
BatchNorm statistics are per rank (half batches). Agreement is therefore statistical. Tolerance: final
test accuracy within 0.06 (27 of 450 digits test images) and final test loss within 35 %. Why: changing
only the seed of the single-process run moves tiny_mlp's digits accuracy by 0.02-0.03 at this training
length (measured while choosing the demo settings), and the DDP-vs-single gap itself measured 0.002-0.011
in accuracy and <= 6 % in loss on this machine; two such seed spreads leave room for CI's different
summation order without letting a broken setup through — ranks not averaging gradients, a rank training on
nothing, or lost batches end near chance or diverge.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ARGS = ["distill", "--dataset", "digits", "--teacher", "cnn_teacher_8x8", "--student", "tiny_mlp",
        "--teacher-epochs", "3", "--epochs", "8", "--lr", "0.01", "--batch-size", "64", "--threads", "1",
        "--no-plots", "--no-progress"]


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc


def test_two_process_ddp_agrees_with_single_process(tmp_path):
    pytest.importorskip("torch.distributed")
    single, multi = tmp_path / "single", tmp_path / "ddp"
    run([sys.executable, "-m", "edgekd.cli", *ARGS, "--out", str(single)], tmp_path)
    run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1", "--nproc_per_node", "2",
         "-m", "edgekd.cli", *ARGS, "--out", str(multi)], tmp_path)
    a = json.loads((single / "metrics.json").read_text())
    b = json.loads((multi / "metrics.json").read_text())
    assert a["world_size"] == 1 and b["world_size"] == 2
    for run_name in ("teacher", "student_alone", "student"):
        ra, rb = a["runs"][run_name], b["runs"][run_name]
        assert len(rb["history"]) == len(ra["history"])
        assert rb["history"][-1]["train_loss"] < rb["history"][0]["train_loss"], f"{run_name} did not train under DDP"
        assert rb["test_acc"] > 0.8, f"{run_name}: DDP accuracy {rb['test_acc']}"
        assert abs(ra["test_acc"] - rb["test_acc"]) <= 0.06, (run_name, ra["test_acc"], rb["test_acc"])
        assert abs(ra["test_loss"] - rb["test_loss"]) <= 0.35 * ra["test_loss"], (run_name, ra["test_loss"], rb["test_loss"])
    # rank 0 alone wrote the files, and the checkpoint holds plain (not DDP "module."-prefixed) weights
    import torch

    ck = torch.load(multi / "student.pt", weights_only=True)
    assert not any(k.startswith("module.") for k in ck["state_dict"])
