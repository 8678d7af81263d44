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


ENV = {"PATH": "/usr/bin:/bin"}


def run_bundle(bundle: Bundle, profile: DeviceProfile, args: list[str], timeout: float = 900) -> str:
    """Runs edgekd-run from the bundle with `args` (the model path is added first); returns stdout."""
    cmd = runner_command(bundle, profile) + [str(bundle.model), *args]
    env = ENV
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
    if result["emulated"]:
        try:
            result["instruction_count"] = emulate_count(bundle, profile, runs, warmup)
        except EdgekdError as e:  # the count is an extra: the emulated run itself succeeded
            result["instruction_count"] = {"error": str(e)}
    return result


def emulate_count(bundle: Bundle, profile: DeviceProfile, runs: int = 20, warmup: int = 3) -> dict:
    """Guest instructions per inference under qemu (1 thread; the difference of a 1 + ``runs`` and a 1-run
    process after the same warm-up) and, with llvm-mca installed, its cycle estimate for the profile's core;
    then the time either makes at the profile's clock. Estimates, each labelled as one: qemu models no
    pipeline, caches or memory (docs/ARM_BENCHMARK.md)."""
    from .cycles import estimate, known_cpu
    from .insncount import PerInference, counted

    with_mca = bool(shutil.which("llvm-mca") and shutil.which("llvm-mc"))
    cmd = runner_command(bundle, profile) + [str(bundle.model), "--bench", "--threads", "1",
                                             "--warmup", str(warmup), "--runs"]
    base, long = (counted(cmd + [str(n)], env=ENV, blocks=with_mca) for n in (1, runs + 1))
    per = PerInference.between(long, base, runs)
    out: dict = {"instructions_per_inference": per.insns, "threads": 1, "clock_mhz": profile.clock_mhz,
                 "method": "guest instructions counted under qemu-user by a TCG plugin; not time"}
    mcpu = known_cpu(profile.mcpu, profile.qemu_cpu) if with_mca else None
    if mcpu and per.blocks:
        est = estimate(per.blocks, mcpu)
        out.update(est_cycles_per_inference=est.cycles, cycle_model=f"llvm-mca -mcpu={mcpu}",
                   est_ms=est.cycles / (profile.clock_mhz * 1e3),
                   est_basis=f"llvm-mca cycles at the profile's {profile.clock_mhz} MHz; no caches or memory")
    else:
        out.update(est_ms=per.insns / (profile.clock_mhz * 1e3),
                   est_basis=f"1 instruction per cycle at the profile's {profile.clock_mhz} MHz (no llvm-mca)")
    return out


def count_rows(c: dict) -> list[tuple[str, str]]:
    """An emulate_count result as labelled table rows (the CLI's tables)."""
    if "error" in c:
        return [("instructions / inference", f"not counted: {c['error']}")]
    ms = f"{c['est_ms']:.4g} ms"
    rows = [("instructions / inference (qemu count, 1 thread; not time)",
             f"{c['instructions_per_inference'] / 1e6:.3f} M")]
    if "est_cycles_per_inference" in c:
        rows += [(f"est. cycles / inference ({c['cycle_model']}; no caches)",
                  f"{c['est_cycles_per_inference'] / 1e6:.3f} M"),
                 (f"est. time / inference (those cycles at {c['clock_mhz']} MHz)", ms)]
    else:
        rows.append((f"est. time / inference (1 instruction per cycle at {c['clock_mhz']} MHz)", ms))
    return rows


def emulate_run(bundle: Bundle, profile: DeviceProfile, x_npy: Path, y_npy: Path) -> None:
    run_bundle(bundle, profile, ["--input", str(x_npy), "--output", str(y_npy)])
