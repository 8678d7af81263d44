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
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, help="write the deploy result (manifest, benchmarks) as JSON")
    p.add_argument("--wheel", action="store_true",
                   help="build a pip-installable edgekd wheel for the device (aarch64, Pi OS Python 3.11) "
                        "into -o (default deploy/wheel-DEVICE); with --emulate, import it and run the model "
                        "(or a small test CNN) with an arm64 Python under qemu")


def _print_bench(title: str, r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    t.add_column("metric")
    t.add_column("value", justify="right")
    for k, v in r.items():
        if isinstance(v, (dict, list)):
            continue
        t.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    Console().print(t)


def run(args: argparse.Namespace) -> int:
    from ..deploy.pipeline import deploy
    from ..errors import EdgekdError

    if args.model is None and not args.wheel:
        raise EdgekdError("give the model to deploy (or --wheel to build edgekd's wheel for the device)")
    result = deploy(args.model, args.device, out=args.out, emulate=args.emulate, host=args.host,
                    identity=args.identity, ssh_options=args.ssh_option, remote_dir=args.remote_dir, runs=args.runs,
                    warmup=args.warmup, threads=args.threads, wheel=args.wheel)
    if "wheel" in result:
        print(f"{result['wheel']}  (on the device: pip install {Path(result['wheel']).name})")
    if "emulated_bench" in result:
        r = result["emulated_bench"]
        _print_bench(f"{args.device}: {r.get('execution')} — latency is EMULATED, not device time", r)
    if "remote_bench" in result:
        _print_bench(f"{args.device} at {args.host}: measured on the device", result["remote_bench"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0
