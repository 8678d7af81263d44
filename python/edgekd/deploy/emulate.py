"""Running a bundle here: natively when the profile's architecture is this machine's, otherwise under
qemu-user with the profile's CPU model (so a Pi 4 bundle sees a Cortex-A72 without dotprod)."""
from __future__ import annotations

import json
import platform
import shutil
import subprocess
from pathlib import Path

from ..devices.profile import DeviceProfile
from ..errors import EdgekdError
from .bundle import Bundle

QEMU = {"aarch64": "qemu-aarch64"}
SYSROOT = {"aarch64": "/usr/aarch64-linux-gnu"}


def is_native(profile: DeviceProfile) -> bool:
    return profile.arch == platform.machine()


def runner_command(bundle: Bundle, profile: DeviceProfile) -> list[str]:
    if is_native(profile):
        return [str(bundle.runner)]
    qemu = QEMU.get(profile.arch)
    if qemu is None or shutil.which(qemu) is None:
        raise EdgekdError(f"device {profile.name}: cannot emulate {profile.arch} here "
                          f"({qemu or 'no qemu-user for it'} not found; Debian: apt-get install qemu-user)")
    cmd = [qemu, "-L", SYSROOT[profile.arch]]
    if profile.qemu_cpu:
        cmd += ["-cpu", profile.qemu_cpu]
    return cmd + [str(bundle.runner)]


def run_bundle(bundle: Bundle, profile: DeviceProfile, args: list[str], timeout: float = 900) -> str:
    """Runs edgekd-run from the bundle with `args` (the model path is added first); returns stdout."""
    cmd = runner_command(bundle, profile) + [str(bundle.model), *args]
    env = {"PATH": "/usr/bin:/bin"}
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise EdgekdError(f"{bundle.path}: edgekd-run did not finish within {timeout:.0f} s") from None
    if r.returncode != 0:
        msg = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        raise EdgekdError(f"{bundle.path}: edgekd-run failed on {profile.name}: {msg}")
    return r.stdout


def emulate_bench(bundle: Bundle, profile: DeviceProfile, runs: int = 20, warmup: int = 3,
                  threads: int = 1) -> dict:
    out = run_bundle(bundle, profile, ["--bench", "--warmup", str(warmup), "--runs", str(runs),
                                       "--threads", str(threads), "--json"])
    try:
        result = json.loads(out)
    except ValueError:
        raise EdgekdError(f"{bundle.path}: edgekd-run printed no JSON: {out[:200]!r}") from None
    result["emulated"] = not is_native(profile)
    result["execution"] = "native" if is_native(profile) else f"qemu-user -cpu {profile.qemu_cpu} (emulated)"
    return result


def emulate_run(bundle: Bundle, profile: DeviceProfile, x_npy: Path, y_npy: Path) -> None:
    run_bundle(bundle, profile, ["--input", str(x_npy), "--output", str(y_npy)])
