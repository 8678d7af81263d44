"""`edgekd bench`: latency, memory and energy per inference, side by side with peer runtimes."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, help="the int8 .tflite model")
    p.add_argument("--device", help="device profile (its power model backs modeled energy)")
    p.add_argument("--backend", default="edgekd,litert,onnxruntime,torch",
                   help="comma-separated: edgekd, litert, litert-builtin, onnxruntime, torch")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--min-seconds", type=float, default=1.0, help="keep running until this much time passed")
    p.add_argument("--onnx", type=Path, help="QDQ int8 .onnx of the same model (default: MODEL.onnx if present)")
    p.add_argument("--torch", type=Path, help="float torch module saved with torch.save (PyTorch fp32)")
    p.add_argument("--no-energy", action="store_true", help="skip energy measurement")
    p.add_argument("--host", help="user@host: run through the deploy bundle on that device")
    p.add_argument("--json", type=Path, help="write the full report as JSON")
    p.add_argument("--csv", type=Path, help="write one row per backend as CSV")
    p.add_argument("--plot", type=Path, help="write a PNG comparing backends")


def run(args: argparse.Namespace) -> int:
    from ..bench.harness import BenchConfig, run_bench
    from ..bench.report import print_table, write_csv, write_json, write_plot

    if args.host:
        from ..deploy.remote import bench_remote

        return bench_remote(args)
    cfg = BenchConfig(model=args.model, backends=[b.strip() for b in args.backend.split(",") if b.strip()],
                      threads=args.threads, warmup=args.warmup, runs=args.runs, min_seconds=args.min_seconds,
                      device=args.device, onnx=args.onnx, torch=args.torch, energy=not args.no_energy)
    report = run_bench(cfg)
    print_table(report)
    if args.json:
        write_json(report, args.json)
    if args.csv:
        write_csv(report, args.csv)
    if args.plot:
        write_plot(report, args.plot)
    return 0 if any(r.latency for r in report.results) else 1
