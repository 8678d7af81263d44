"""What the commands leave on disk is readable by others as any file the user makes would be: the model
(`distill`/`quantize` write it through tflite.save) 0644 and a deploy bundle 0755 under umask 022, and
the umask is honoured (027 gives 0640/0750). Both are written to a private temporary name first."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

_SCRIPT = r"""
import json, os, stat, sys
from pathlib import Path
os.umask(int(sys.argv[2], 8))
from edgekd.devices.profile import load_profile
from edgekd.deploy.bundle import build_bundle
from edgekd.testing.models import small_cnn
from edgekd.tflite import save
d = Path(sys.argv[1])
model = save(small_cnn(seed=0), d / "student.tflite")
runner = d / "edgekd-run"
runner.write_bytes(b"#!/bin/sh\n")
b = build_bundle(model, load_profile("x86-64"), runner, d / "deploy" / "student-x86-64", [])
mode = lambda p: oct(stat.S_IMODE(p.stat().st_mode))
print(json.dumps({"model": mode(model), "bundle": mode(b.path), "run.sh": mode(b.path / "run.sh"),
                  "model_in_bundle": mode(b.model), "leftovers": sorted(p.name for p in d.glob(".*"))}))
"""


@pytest.mark.parametrize("umask, file_mode, dir_mode", [("022", "0o644", "0o755"), ("027", "0o640", "0o750")])
def test_written_files_follow_the_umask(tmp_path, umask, file_mode, dir_mode):
    r = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path), umask], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["model"] == file_mode
    assert got["bundle"] == dir_mode
    assert got["model_in_bundle"] == file_mode
    assert got["run.sh"] == dir_mode  # executable: the directory's bits
    assert got["leftovers"] == []
