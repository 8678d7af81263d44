"""`edgekd bench`: latency, memory and energy per inference, side by side with peer runtimes."""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, help="the int8 .tflite model")
    p.add_argument("--device", help="device profile (its power model backs modeled energy)")
    p.add_argument("--backend", default="edgekd,litert,onnxruntime,torch",
                   help="comma-separated: edgekd, litert, litert-builtin, onnxruntime, torch")
    p.add_argument("--threads", type=int, default=1, help="inference threads per backend, 1-256 (default 1)")
    p.add_argument("--warmup", type=int, default=10, help="untimed runs before timing (default 10)")
    p.add_argument("--runs", type=int, default=100,
                   help="timed runs, at least (see --min-seconds; default 100)")
    p.add_argument("--min-seconds", type=float, default=1.0, help="keep running until this much time passed")
    p.add_argument("--onnx", type=Path, help="QDQ int8 .onnx of the same model (default: MODEL.onnx if present)")
    p.add_argument("--torch", type=Path, help="float torch module saved with torch.save (PyTorch fp32)")
    p.add_argument("--no-energy", action="store_true", help="skip energy measurement")
    p.add_argument("--host", help="user@host[:port]: deploy the bundle there over OpenSSH and benchmark on "
                                  "the device (needs --device)")
    p.add_argument("--emulate", action="store_true",
                   help="with --device: cross-build edgekd-run for it and run it under qemu with its CPU model "
                        "(emulated latency, instructions per inference and estimates, each labelled)")
    p.add_argument("--json", type=Path, help="write the full report as JSON")
    p.add_argument("--csv", type=Path, help="write one row per backend as CSV")
    p.add_argument("--plot", type=Path, help="write a PNG comparing backends")


def run(args: argparse.Namespace) -> int:
    from ..bench.harness import BenchConfig, check_config, run_bench
    from ..bench.report import print_table, write_csv, write_json, write_plot
    from .console import make_console

    if args.host or args.emulate:
        return bench_remote(args)
    cfg = BenchConfig(model=args.model, backends=[b.strip() for b in args.backend.split(",") if b.strip()],
                      threads=args.threads, warmup=args.warmup, runs=args.runs, min_seconds=args.min_seconds,
                      device=args.device, onnx=args.onnx, torch=args.torch, energy=not args.no_energy)
    check_config(cfg)
    report = run_bench(cfg)
    print_table(report, make_console())
    if args.json:
        write_json(report, args.json)
    if args.csv:
        write_csv(report, args.csv)
    if args.plot:
        write_plot(report, args.plot)
    return 0 if any(r.latency for r in report.results) else 1


def bench_remote(args: argparse.Namespace) -> int:
    """`edgekd bench --host user@host --device D model.tflite`: deploy, then report the device's numbers;
    `--emulate` instead of `--host`: run the bundle under qemu with the device's CPU model. The bundle is only
    a vehicle: it is built in a temporary directory and removed."""
    from ..bench.options import check_model_file, check_run_options
    from ..deploy.pipeline import deploy
    from ..deploy.remote import parse_host
    from ..devices.profile import load_profile
    from ..errors import EdgekdError
    from .deploy import print_bench

    flag = "--host" if args.host else "--emulate"
    if not args.device:
        raise EdgekdError(f"{flag} needs --device (the profile the bundle is built for; see `edgekd devices`)")
    if args.host and args.emulate:
        raise EdgekdError("--host and --emulate exclude each other (measure on the device, or emulate it)")
    check_run_options(args.threads, args.runs, args.warmup)
    load_profile(args.device)
    if args.host:
        parse_host(args.host)
    check_model_file(args.model)
    with tempfile.TemporaryDirectory(prefix="edgekd-bench-") as td:
        result = deploy(args.model, args.device, out=Path(td) / "bundle", host=args.host, emulate=args.emulate,
                        runs=args.runs, warmup=args.warmup, threads=args.threads)
    result.pop("bundle", None)  # removed with the temporary directory
    if args.host:
        print_bench(f"{args.device} at {args.host}: measured on the device", result["remote_bench"])
    else:
        r = result["emulated_bench"]
        print_bench(f"{args.device}: {r.get('execution')} — latency is EMULATED, not device time", r)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0
