"""`edgekd demo`: the whole pipeline on the embedded digits data set, as far as the project has built it.

The demo is a list of stages (:data:`STAGES`), each a function ``stage(ctx) -> None`` that reads what the
earlier stages left in ``ctx`` and adds its own results. Today: ``distill`` (teacher, student alone,
distilled student; figures and metrics), ``quantize`` (PTQ, int8 .tflite + QDQ ONNX, fp32 vs int8 report),
``runtime`` (the file on the native runtime), ``bench`` (latency, memory, energy next to LiteRT, ONNX
Runtime and the fp32 teacher and student in PyTorch). A stage that needs an optional dependency should skip with a note
(``ctx.note``) rather than fail the demo.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


@dataclass
class DemoContext:
    out: Path
    args: argparse.Namespace
    console: Any                                   # rich.console.Console
    results: dict[str, Any] = field(default_factory=dict)   # stage name -> what it produced
    timings: dict[str, float] = field(default_factory=dict)  # stage name -> seconds
    notes: list[str] = field(default_factory=list)

    def note(self, msg: str) -> None:
        self.notes.append(msg)
        self.console.print(f"[yellow]note:[/yellow] {msg}")


def demo_distill_config(out: Path, args: argparse.Namespace):
    """The demo's distillation run: digits (8x8), small CNN teacher, tiny CNN student, one torch thread
    (tiny models on a shared machine run faster without OpenMP thread contention)."""
    from edgekd.distill import DistillConfig

    return DistillConfig(dataset="digits", teacher="cnn_teacher_8x8", student=args.student,
                         temperature=args.temperature, alpha=args.alpha, epochs=args.epochs,
                         teacher_epochs=args.teacher_epochs, lr=3e-3, batch_size=64, seed=args.seed,
                         out=str(out / "distill"), threads=args.threads, progress=not args.quiet)


def stage_distill(ctx: DemoContext) -> None:
    from edgekd.distill import run_distill

    from .distill import print_summary

    result = run_distill(demo_distill_config(ctx.out, ctx.args))
    ctx.results["distill"] = result
    print_summary(result, ctx.console)


def stage_quantize(ctx: DemoContext) -> None:
    """PTQ of the distilled student, export to int8 .tflite (and QDQ ONNX for ONNX Runtime); the report's
    int8 accuracy is measured by running the exported file on edgekd's native runtime."""
    import torch

    from edgekd.distill import data as data_mod
    from edgekd.quantize import load_student, quantize_and_export

    torch.manual_seed(ctx.args.seed)
    dist = ctx.results["distill"]
    student, _ = load_student(dist.paths["student"])
    bundle = data_mod.load("digits")
    calib = data_mod.make_loader(bundle.train, 64, shuffle=True, seed=ctx.args.seed)
    test = data_mod.make_loader(bundle.test, 1000, shuffle=False)
    qdir = ctx.out / "int8"
    report = quantize_and_export(student, calib, test, qdir / "student.tflite", "minmax", calib_batches=None,
                                 onnx_path=qdir / "student.onnx", report_path=qdir / "student.quant.json",
                                 model_name="distilled student")
    report.print()
    ctx.results["quantize"] = {"report": report, "tflite": qdir / "student.tflite", "onnx": qdir / "student.onnx"}


def stage_runtime(ctx: DemoContext) -> None:
    """The exported file on the native runtime, as a device would run it: numpy in, numpy out."""
    import numpy as np

    import edgekd
    from edgekd.distill import data as data_mod

    path = ctx.results["quantize"]["tflite"]
    model = edgekd.load(str(path))
    bundle = data_mod.load("digits")
    x = np.stack([np.asarray(bundle.test[i][0]) for i in range(len(bundle.test))]).astype(np.float32)
    y = np.asarray([int(bundle.test[i][1]) for i in range(len(bundle.test))])
    nhwc = x.transpose(0, 2, 3, 1) if x.ndim == 4 else x
    probs = model(nhwc)  # batches larger than the model's batch dimension run one after the other
    acc = float((np.asarray(probs).reshape(len(y), -1).argmax(1) == y).mean())
    info = model.info()
    ctx.console.print(f"edgekd.load({path.name}): path [bold]{info['path']}[/bold], arena {info['arena_bytes']} B, "
                      f"load {info['load_ms']:.2f} ms; int8 accuracy on {len(y)} digits: {100 * acc:.2f} %")
    ctx.results["runtime"] = {"accuracy": acc, "info": info}


def stage_bench(ctx: DemoContext) -> None:
    """The distilled int8 student on edgekd next to its fp32 teacher and student in PyTorch, and the same
    int8 file in LiteRT and ONNX Runtime: latency percentiles, memory and energy per inference."""
    import torch

    from edgekd.bench.harness import BenchConfig, run_bench
    from edgekd.bench.report import print_table, write_json
    from edgekd.distill.trainer import load_model

    dist, q = ctx.results["distill"], ctx.results["quantize"]
    tflite = q["tflite"]
    rows = []
    rep = run_bench(BenchConfig(tflite, ["edgekd", "litert", "onnxruntime"], threads=1, warmup=20, runs=300,
                                min_seconds=0.5, onnx=q["onnx"] if q["onnx"].exists() else None))
    rows.extend(rep.results)
    # fp32 teacher and student in PyTorch: TorchScript so the worker process needs no zoo import.
    for role in ("teacher", "student"):
        m, _ = load_model(dist.paths[role])
        ts = ctx.out / "int8" / f"{role}_fp32.pt"
        example = torch.zeros(1, *_input_shape(tflite))
        torch.jit.save(torch.jit.trace(_Nhwc(m.eval()), example), str(ts))
        r = run_bench(BenchConfig(tflite, ["torch"], threads=1, warmup=20, runs=300, min_seconds=0.5, torch=ts))
        for res in r.results:
            res.label = f"PyTorch fp32 {role}"
        rows.extend(r.results)
    rep.results = rows
    print_table(rep, ctx.console)
    write_json(rep, ctx.out / "bench.json")
    ctx.results["bench"] = rep


def _input_shape(tflite) -> tuple[int, ...]:
    from edgekd.tflite.reader import read_tflite

    g = read_tflite(tflite)
    return tuple(g.tensors[g.inputs[0]].shape[1:])


def _Nhwc(model):
    """Wraps an NCHW torch model so it takes the .tflite's NHWC input."""
    import torch

    class Nhwc(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x.permute(0, 3, 1, 2) if x.dim() == 4 else x)

    return Nhwc(model)


STAGES: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("distill", stage_distill),
    ("quantize", stage_quantize),
    ("runtime", stage_runtime),
    ("bench", stage_bench),
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="runs/demo", help="output directory (default runs/demo)")
    p.add_argument("--epochs", type=int, default=25, help="student epochs (default 25)")
    p.add_argument("--teacher-epochs", type=int, default=10, help="teacher epochs (default 10)")
    p.add_argument("--student", default="cnn_student_8x8", help="zoo student (default cnn_student_8x8)")
    # T=2 rather than the usual 4: a 0.7 k-parameter student cannot follow the teacher's fine probability
    # structure at T=4 and loses accuracy there (measured on digits); at T=2 it gains.
    p.add_argument("--temperature", type=float, default=2.0)
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--only", nargs="+", metavar="STAGE", help=f"run only these stages "
                   f"({', '.join(n for n, _ in STAGES)})")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from edgekd.errors import EdgekdError

    from .distill import summary_console

    console = summary_console()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out, args, console)
    known = [n for n, _ in STAGES]
    for name in args.only or []:
        if name not in known:
            raise EdgekdError(f"unknown demo stage {name!r}; stages are: {', '.join(known)}")
    t_all = time.perf_counter()
    for name, stage in STAGES:
        if args.only and name not in args.only:
            continue
        console.rule(f"[bold]{name}")
        t0 = time.perf_counter()
        stage(ctx)
        ctx.timings[name] = time.perf_counter() - t0
    total = time.perf_counter() - t_all
    console.rule("[bold]done")
    console.print("  ".join(f"{n}: {s:.1f} s" for n, s in ctx.timings.items()) + f"  total: {total:.1f} s")
    console.print(f"outputs under {out}/")
    return 0
