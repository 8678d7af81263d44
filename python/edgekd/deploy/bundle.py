"""A deploy bundle: the device's edgekd-run, the model, a manifest with sha256 of every file, and a run
script. Written to a temporary directory beside the destination and renamed into place, so a failed
build never leaves a half-written bundle."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..devices.profile import DeviceProfile
from ..errors import EdgekdError

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"

RUN_SH = """#!/bin/sh
# edgekd bundle for {device}: runs the model's benchmark with edgekd-run; extra arguments are passed on
# (e.g. --runs 200 --threads 2, or --input x.npy --output y.npy instead of a benchmark).
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -eq 0 ]; then set -- --bench --warmup 10 --runs 100 --json; fi
exec "$here/bin/edgekd-run" "$here/model.tflite" "$@"
"""


@dataclass(frozen=True)
class Bundle:
    path: Path
    device: str
    manifest: dict

    @property
    def runner(self) -> Path:
        return self.path / "bin" / "edgekd-run"

    @property
    def model(self) -> Path:
        return self.path / "model.tflite"


def umask() -> int:
    """The process umask. Linux reports it in /proc (no change to process state); elsewhere it can only
    be read by setting it, briefly."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def default_mode(directory: bool = False) -> int:
    """The mode open()/mkdir() would give a new file or directory: tempfile's private 0600/0700 is right
    while a file is being written, not for the result renamed into place."""
    return (0o777 if directory else 0o666) & ~umask()


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _bundle_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name not in (MANIFEST, SUMS))


def build_bundle(model: Path, profile: DeviceProfile, runner: Path, out: Path, flags: list[str]) -> Bundle:
    from .. import __version__

    model = Path(model)
    if not model.is_file():
        raise EdgekdError(f"{model}: no such model file")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "bin").mkdir()
        shutil.copy2(runner, tmp / "bin" / "edgekd-run")
        shutil.copyfile(model, tmp / "model.tflite")
        (tmp / "run.sh").write_text(RUN_SH.format(device=profile.name))
        for exe in (tmp / "run.sh", tmp / "bin" / "edgekd-run"):
            exe.chmod(default_mode(directory=True))  # rwx as the umask allows, like a new directory
        files = {str(p.relative_to(tmp)): sha256_file(p) for p in _bundle_files(tmp)}
        manifest = {
            "edgekd_version": __version__,
            "device": profile.name,
            "target": {"arch": profile.arch, "triple": profile.triple, "mcpu": profile.mcpu,
                       "isa": profile.isa, "qemu_cpu": profile.qemu_cpu},
            "flags": flags,
            "model": model.name,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": files,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        # sha256sum -c format, so the device verifies without Python.
        (tmp / SUMS).write_text("".join(f"{h}  {name}\n" for name, h in files.items()))
        tmp.chmod(default_mode(directory=True))
        if out.exists():
            old = out.with_name(out.name + f".old{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Bundle(out, profile.name, manifest)


def verify_bundle(path: Path) -> Bundle:
    """Checks every file against the manifest; raises EdgekdError naming the first bad file."""
    path = Path(path)
    mf = path / MANIFEST
    if not mf.is_file():
        raise EdgekdError(f"{path}: not an edgekd bundle (no {MANIFEST})")
    try:
        manifest = json.loads(mf.read_text())
        files = manifest["files"]
    except (ValueError, KeyError) as e:
        raise EdgekdError(f"{mf}: malformed manifest ({e})") from None
    for name, digest in files.items():
        p = path / name
        if not p.is_file():
            raise EdgekdError(f"{path}: bundle file {name} is missing")
        if sha256_file(p) != digest:
            raise EdgekdError(f"{path}: bundle file {name} does not match its sha256 in {MANIFEST}")
    return Bundle(path, manifest.get("device", "?"), manifest)
