"""`edgekd deploy`: profile -> cross-built edgekd-run -> bundle -> (emulate | ssh install + bench)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..bench.options import check_model_file, check_run_options
from ..devices.profile import load_profile
from ..errors import EdgekdError
from .build import build_runner, cmake_args
from .bundle import build_bundle
from .emulate import emulate_bench
from .remote import bench_on_device, install_remote, parse_host


def deploy(model: str | Path | None, device: str, out: Path | None = None, emulate: bool = False,
           host: str | None = None, identity: Path | None = None, ssh_options: list[str] | None = None,
           remote_dir: str | None = None, runs: int = 20, warmup: int = 3, threads: int = 1, wheel: bool = False,
           log: Callable[[str], None] = print, progress: Callable[[str], None] | None = None) -> dict:
    """Every argument is checked before the build starts (minutes for a cross build): a bad option or
    file is one EdgekdError naming it, with nothing built or written. ``progress`` receives the build's
    step lines ("[ 42%] Building CXX object ...")."""
    if not device:
        raise EdgekdError("--device is required (see `edgekd devices`)")
    check_run_options(threads, runs, warmup)  # in edgekd-run's ranges, even where unused: a typo is a typo
    profile = load_profile(device)  # unknown device: one clear error before any work
    if wheel:  # a pip-installable edgekd for the device instead of a bundle (deploy/wheel.py)
        from .wheel import deploy_wheel

        return deploy_wheel(profile, model=Path(model) if model else None, out=out, emulate=emulate,
                            host=host, log=log, progress=progress)
    if model is None:
        raise EdgekdError("give the model to deploy (or --wheel to build edgekd's wheel for the device)")
    model = Path(model)
    check_model_file(model)  # before the build: a malformed file is named now, not after minutes of compiling
    target = None
    if host:
        target = parse_host(host)
        target.identity = identity
        target.options = list(ssh_options or [])
        if remote_dir:
            target.remote_dir = remote_dir
        # An unreachable host or a refused key is found now, in seconds, not after the build.
        target.run("true", what="connecting")
    runner = build_runner(profile, log=log, progress=progress)
    out = Path(out) if out else Path("deploy") / f"{model.stem}-{profile.name}"
    bundle = build_bundle(model, profile, runner, out, cmake_args(profile))
    log(f"bundle: {bundle.path} ({len(bundle.manifest['files'])} files, device {profile.name}, "
        f"expects path {profile.isa})")
    result: dict = {"bundle": str(bundle.path), "device": profile.name, "manifest": bundle.manifest}
    if emulate:
        result["emulated_bench"] = emulate_bench(bundle, profile, runs=runs, warmup=warmup, threads=threads)
    if target is not None:
        name = f"{model.stem}-{profile.name}"
        result["installed"] = install_remote(bundle, target, name)
        log(f"installed on {target.name} at {result['installed']}")
        result["remote_bench"] = bench_on_device(target, name, runs=runs, warmup=warmup, threads=threads)
    return result
