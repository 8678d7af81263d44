"""`edgekd deploy`: cross-build, bundle and run a model on a device (or under qemu with its CPU model)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, nargs="?", help="the int8 .tflite model (optional with --wheel)")
    p.add_argument("--device", required=True, help="device profile name or .toml path (see `edgekd devices`)")
    p.add_argument("-o", "--out", type=Path, help="bundle directory (default: deploy/MODEL-DEVICE)")
    p.add_argument("--emulate", action="store_true", help="run the bundle under qemu with the profile's CPU")
    p.add_argument("--host", help="user@host[:port]: install over OpenSSH and benchmark there")
    p.add_argument("--identity", type=Path, help="ssh private key for --host")
    p.add_argument("--ssh-option", action="append", default=[], help="extra ssh -o option (repeatable)")
    p.add_argument("--remote-dir", help="install directory on the device (default: $HOME/.edgekd)")
    p.add_argument("--runs", type=int, default=20, help="timed runs of the benchmark (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs before timing (default 3)")
    p.add_argument("--threads", type=int, default=1, help="inference threads, 1-256 (default 1)")
    p.add_argument("--json", type=Path, help="write the deploy result (manifest, benchmarks) as JSON")
    p.add_argument("--wheel", action="store_true",
                   help="build a pip-installable edgekd wheel for the device (aarch64, Pi OS Python 3.11) "
                        "into -o (default deploy/wheel-DEVICE); with --emulate, import it and run the model "
                        "(or a small test CNN) with an arm64 Python under qemu")


def print_bench(title: str, r: dict, console=None) -> None:  # noqa: ANN001 - a rich Console
    """edgekd-run's --bench JSON as a table: the latency percentiles in one unit picked for them, the
    kernels per family, then the scalar facts."""
    from rich.markup import escape
    from rich.table import Table

    from ..bench.units import fmt_time, pick_unit
    from .console import make_console

    t = Table(title=escape(title))
    t.add_column("metric")
    t.add_column("value", justify="right")
    lat = r.get("latency_ms") or {}
    if lat:
        # From the times themselves (min, p50), not the spread: a 0.1 µs std must not make it ns.
        unit, scale = pick_unit(lat.get(k) for k in ("min", "p50"))
        for k in ("p50", "p90", "p99", "min", "mean", "max", "std"):
            if k in lat:
                t.add_row(f"latency {k} ({unit})", fmt_time(lat[k], scale))
    for k, v in r.items():
        if k == "latency_ms":
            continue
        if k == "instruction_count":  # emulation: the count and the estimates, each labelled as what it is
            from ..deploy.emulate import count_rows

            for label, value in count_rows(v):
                t.add_row(escape(label), escape(value))
            continue
        if k == "load_ms" and isinstance(v, (int, float)):
            unit, scale = pick_unit([v])
            t.add_row(f"load ({unit})", fmt_time(v, scale))
        elif isinstance(v, dict):  # kernels: family -> kernel names
            t.add_row(k, escape(", ".join(f"{fam}: {' '.join(map(str, ks)) if isinstance(ks, list) else ks}"
                                          for fam, ks in v.items())))
        elif isinstance(v, list):
            t.add_row(k, escape(", ".join(map(str, v))))
        else:
            t.add_row(k, escape(f"{v:.4g}" if isinstance(v, float) else str(v)))
    (console or make_console()).print(t)


def run(args: argparse.Namespace) -> int:
    from ..bench.options import check_run_options
    from ..deploy.pipeline import deploy
    from ..errors import EdgekdError
    from .console import live_progress, make_console

    if args.model is None and not args.wheel:
        raise EdgekdError("give the model to deploy (or --wheel to build edgekd's wheel for the device)")
    check_run_options(args.threads, args.runs, args.warmup)  # before minutes of cross-compiling
    console = make_console()

    def log(msg: str) -> None:
        console.print(msg, markup=False, highlight=False)

    if live_progress():
        # One status line with a spinner and the build step cmake is at; messages scroll above it.
        with console.status(f"deploying to {args.device}") as status:
            result = _deploy(args, deploy, log, lambda line: status.update(f"building: {line}"))
    else:
        # A log: every build step as its own line (no escape codes), so a slow build shows where it is.
        result = _deploy(args, deploy, log, lambda line: log(f"  {line}"))
    if "wheel" in result:
        print(f"{result['wheel']}  (on the device: pip install {Path(result['wheel']).name})")
    if "emulated_bench" in result:
        r = result["emulated_bench"]
        print_bench(f"{args.device}: {r.get('execution')} — latency is EMULATED, not device time", r, console)
    if "remote_bench" in result:
        print_bench(f"{args.device} at {args.host}: measured on the device", result["remote_bench"], console)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


def _deploy(args: argparse.Namespace, deploy, log, progress) -> dict:  # noqa: ANN001
    return deploy(args.model, args.device, out=args.out, emulate=args.emulate, host=args.host,
                  identity=args.identity, ssh_options=args.ssh_option, remote_dir=args.remote_dir, runs=args.runs,
                  warmup=args.warmup, threads=args.threads, wheel=args.wheel, log=log, progress=progress)
