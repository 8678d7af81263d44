"""`edgekd deploy`: profile -> cross-built edgekd-run -> bundle -> (emulate | ssh install + bench)."""
from __future__ import annotations

from pathlib import Path

from ..devices.profile import load_profile
from ..errors import EdgekdError
from .build import build_runner, cmake_args
from .bundle import build_bundle
from .emulate import emulate_bench
from .remote import SshTarget, bench_on_device, install_remote, parse_host


def deploy(model, device: str, out: Path | None = None, emulate: bool = False, host: str | None = None,
           identity: Path | None = None, ssh_options: list[str] | None = None, remote_dir: str | None = None, runs: int = 20,
           warmup: int = 3, threads: int = 1, wheel: bool = False, log=print) -> dict:
    if not device:
        raise EdgekdError("--device is required (see `edgekd devices`)")
    profile = load_profile(device)  # unknown device: one clear error before any work
    if wheel:  # a pip-installable edgekd for the device instead of a bundle (deploy/wheel.py)
        from .wheel import deploy_wheel

        return deploy_wheel(profile, model=Path(model) if model else None, out=out, emulate=emulate,
                            host=host, log=log)
    model = Path(model)
    if not model.is_file():
        raise EdgekdError(f"{model}: no such model file")
    target = None
    if host:
        target = parse_host(host)
        target.identity = identity
        target.options = list(ssh_options or [])
        if remote_dir:
            target.remote_dir = remote_dir
    runner = build_runner(profile, log=log)
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
        log(f"installed on {target.host} at {result['installed']}")
        result["remote_bench"] = bench_on_device(target, name, runs=runs, warmup=warmup, threads=threads)
    return result
