"""`edgekd demo`: the product in one screen — distill, quantize, run natively, compare — on scikit-learn's digits.

The story, in four stages (:data:`STAGES`), each a function ``stage(ctx) -> None`` that reads what the earlier
stages left in ``ctx`` and adds its own results:

``distill``   few labels, many unlabelled digits: a teacher and a student alone learn from the labelled
              digits, a distilled student also from the teacher's soft labels on the unlabelled ones
              (:mod:`edgekd.distill.demo_semi`), over several seeds, with the paired gain and its spread;
``quantize``  the first seed's distilled student to an int8 .tflite (PTQ; and QDQ ONNX for ONNX Runtime);
``runtime``   that file on edgekd's native runtime and on LiteRT's builtin kernels: same outputs, same accuracy;
``bench``     latency next to LiteRT, ONNX Runtime and PyTorch, with the CPU and the SIMD path named.

Then one summary table, ``summary.json`` and ``demo.png`` under ``--out``. A stage that needs an optional
dependency skips with a note (``ctx.note``) rather than fail the demo. ``--tune`` instead runs the
validation grid that chose the default temperature and alpha (the test split is never looked at there).
"""
from __future__ import annotations

import argparse
import json
import os
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
    timings: dict[str, float] = field(default_factory=dict)  # stage name -> wall seconds
    cpu: dict[str, float] = field(default_factory=dict)      # stage name -> CPU seconds (with child processes)
    notes: list[str] = field(default_factory=list)

    def note(self, msg: str) -> None:
        self.notes.append(msg)
        self.console.print(f"[yellow]note:[/yellow] {msg}")


def semi_config(args: argparse.Namespace):
    from edgekd.distill.demo_semi import SemiConfig

    return SemiConfig(labels_per_class=args.labels_per_class, teacher=args.teacher, student=args.student,
                      temperature=args.temperature, alpha=args.alpha, steps=args.steps,
                      teacher_steps=args.teacher_steps, batch_size=args.batch_size)


def _seeds(args: argparse.Namespace) -> list[int]:
    return list(range(args.seed, args.seed + args.seeds))


def stage_distill(ctx: DemoContext) -> None:
    import torch

    from edgekd.distill import data as data_mod, zoo
    from edgekd.distill.demo_semi import aggregate, run_seeds

    torch.set_num_threads(ctx.args.threads)  # tiny models: OpenMP threads cost more than they give
    cfg = semi_config(ctx.args)
    cfg.validate()
    bundle = data_mod.load("digits")
    seeds = _seeds(ctx.args)

    def on_seed(r) -> None:
        a = r.test_acc
        ctx.console.print(f"  seed {r.seed}: teacher {100 * a['teacher']:.1f} %   student alone "
                          f"{100 * a['student_alone']:.1f} %   distilled {100 * a['student']:.1f} %   "
                          f"gain {100 * r.gain:+.1f} points   ({r.wall_s:.1f} s)")

    results = run_seeds(cfg, bundle, seeds, checkpoints=ctx.out / "distill", progress=not ctx.args.quiet,
                        jobs=ctx.args.jobs, on_seed=on_seed)
    agg = aggregate(results)
    bs = cfg.batch_size
    curves: dict[str, list[dict[str, list[float]]]] = {}
    for r in results:
        for role, run in r.runs.items():
            per_epoch = r.steps[role] // max(len(run.history), 1)
            curves.setdefault(role, []).append({"steps": [h.epoch * per_epoch for h in run.history],
                                                "val_loss": [h.test_loss for h in run.history],
                                                "val_acc": [h.test_acc for h in run.history]})
    params = {role: zoo.count_parameters(zoo.build(name, bundle.input_shape, bundle.num_classes))
              for role, name in (("teacher", cfg.teacher), ("student", cfg.student))}
    ctx.results["distill"] = {
        "config": cfg.to_dict(), "seeds": seeds, "split": results[0].sizes, "test_size": len(bundle.test),
        "batch_size": bs, "parameters": params, "per_seed": [r.to_dict() for r in results], "aggregate": agg,
        "checkpoint": str(ctx.out / "distill" / "student.pt"), "exported_seed": seeds[0]}
    ctx.results["_curves"] = curves
    (ctx.out / "curves.json").write_text(json.dumps(curves) + "\n")


def stage_quantize(ctx: DemoContext) -> None:
    """PTQ of the first seed's distilled student (calibrated on training digits, scored on the test digits)."""
    import torch

    from edgekd.distill import data as data_mod
    from edgekd.distill.demo_sizes import anatomy
    from edgekd.distill.zoo import size_bytes
    from edgekd.quantize import load_student, quantize_and_export

    torch.manual_seed(ctx.args.seed)
    student, _ = load_student(ctx.out / "distill" / "student.pt")
    bundle = data_mod.load("digits")
    calib = data_mod.make_loader(bundle.train, 64, shuffle=True, seed=ctx.args.seed)
    test = data_mod.make_loader(bundle.test, 1000, shuffle=False)
    qdir = ctx.out / "int8"
    tflite, onnx = qdir / "student.tflite", qdir / "student.onnx"
    report = quantize_and_export(student, calib, test, tflite, "minmax", calib_batches=None, onnx_path=onnx,
                                 report_path=qdir / "student.quant.json", model_name="distilled student",
                                 measure_latency=False)
    sizes = anatomy(tflite)
    ctx.results["quantize"] = {"tflite": str(tflite), "onnx": str(onnx) if onnx.exists() else None,
                               "fp32_accuracy": report.fp32_accuracy, "int8_accuracy": report.int8_accuracy,
                               "int8_backend": report.int8_backend, "output_sqnr_db": report.output_sqnr_db,
                               "fp32_state_dict_bytes": size_bytes(student), "sizes": sizes}
    ctx.console.print(f"  {tflite} ({sizes['file_bytes']:,} B): test accuracy fp32 {100 * report.fp32_accuracy:.2f} %, "
                      f"int8 {100 * report.int8_accuracy:.2f} % ({report.int8_backend}); output SQNR "
                      f"{report.output_sqnr_db:.1f} dB")


def stage_runtime(ctx: DemoContext) -> None:
    """The file on the native runtime, as a device would run it (numpy in, numpy out), and on LiteRT's
    builtin kernels, the arithmetic reference: the outputs must be identical, so the accuracies are."""
    import importlib.util

    import numpy as np

    import edgekd
    from edgekd.distill import data as data_mod

    path = Path(ctx.results["quantize"]["tflite"])
    model = edgekd.load(str(path))
    bundle = data_mod.load("digits")
    x, y = (t.numpy() for t in bundle.test.tensors)  # type: ignore[attr-defined]
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    out = np.asarray(model(nhwc)).reshape(len(y), -1)  # batches larger than the model's run one after another
    acc = float((out.argmax(1) == y).mean())
    info = model.info()
    res: dict[str, Any] = {"accuracy": acc, "path": info["path"], "arena_bytes": info["arena_bytes"],
                           "load_ms": info["load_ms"], "examples": int(len(y))}
    line = (f"  edgekd.load: path {info['path']}, arena {info['arena_bytes']} B, load {info['load_ms']:.2f} ms, "
            f"{100 * acc:.2f} % on {len(y)} test digits")
    if importlib.util.find_spec("ai_edge_litert") is None:
        ctx.note("LiteRT (ai-edge-litert) is not installed: no cross-check of the native runtime")
    else:
        from edgekd.testing import litert

        it = litert.interpreter(path.read_bytes())
        ref = np.concatenate([litert.run(it, [nhwc[i:i + 1]])[0] for i in range(len(y))]).reshape(len(y), -1)
        res["litert_accuracy"] = float((ref.argmax(1) == y).mean())
        res["identical_outputs"] = bool(np.array_equal(ref, out))
        line += (f"; LiteRT builtin kernels {100 * res['litert_accuracy']:.2f} %, outputs "
                 f"{'identical' if res['identical_outputs'] else '[red]DIFFERENT[/red]'}")
    ctx.console.print(line)
    ctx.results["runtime"] = res


def stage_bench(ctx: DemoContext) -> None:
    """The int8 file on edgekd, LiteRT and ONNX Runtime (each in its own process, edgekd.bench), and the
    fp32 distilled student and teacher in PyTorch at batch 1 on one thread. The PyTorch rows run in this
    process, which has imported torch already, to spare two worker processes a torch import each (seconds on
    a small machine); their latency loop is the same (edgekd.bench.worker.bench_one), their peak memory and
    load time are not their own and are not reported."""
    import torch
    from rich.markup import escape

    import edgekd
    from edgekd.bench.harness import BackendResult, BenchConfig, run_bench
    from edgekd.bench.report import write_json
    from edgekd.bench.stats import latency_stats
    from edgekd.bench.worker import bench_one
    from edgekd.distill.trainer import load_model

    fast = ctx.args.fast
    kw = {"threads": 1, "warmup": 10 if fast else 50, "runs": 30 if fast else 300,
          "min_seconds": 0.05 if fast else 0.5}
    q = ctx.results["quantize"]
    tflite = Path(q["tflite"])
    rep = run_bench(BenchConfig(tflite, ["edgekd", "litert", "onnxruntime"],
                                onnx=Path(q["onnx"]) if q["onnx"] else None, **kw))
    rows = list(rep.results)
    for role in ("student", "teacher"):  # TorchScript: what the bench's torch backend loads
        m, _ = load_model(ctx.out / "distill" / f"{role}.pt")
        ts = ctx.out / "int8" / f"{role}_fp32.pt"
        torch.jit.save(torch.jit.trace(_Nhwc(m.eval()), torch.zeros(1, *_input_shape(tflite))), str(ts))
        out = bench_one({"backend": "torch", "tflite": str(tflite), "torch": str(ts), "device": None,
                         "energy": False, **kw})
        rows.append(BackendResult("torch", f"PyTorch fp32 {'distilled student' if role == 'student' else 'teacher'}",
                                  latency=latency_stats(out["samples_ns"]), first_ms=out["first_ms"]))
    rep.results = rows
    write_json(rep, ctx.out / "bench.json")
    for r in rows:
        if r.skipped:
            ctx.note(r.skipped)
    info = edgekd.cpu_info()
    table = [{"backend": r.backend, "label": r.label + (f" [{r.path}]" if r.path else ""),
              "p50_us": 1e3 * r.latency.p50_ms, "p90_us": 1e3 * r.latency.p90_ms, "min_us": 1e3 * r.latency.min_ms,
              "runs": r.latency.runs} for r in rows if r.latency is not None]
    ctx.results["bench"] = {"cpu": rep.machine["cpu"], "cores": rep.machine["cores"], "threads": 1,
                            "simd_path": info["path"], "kernels": {k: v["kernel"] for k, v in info["kernels"].items()},
                            "features": [k for k, v in info["features"].items() if v], "results": table}
    ctx.console.print("  p50: " + escape(", ".join(f"{r['label']} {r['p50_us']:.1f} µs" for r in table)))


def _input_shape(tflite: Path) -> tuple[int, ...]:
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
NEEDS = {"quantize": "distill", "runtime": "quantize", "bench": "quantize"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="runs/demo", help="output directory (default runs/demo)")
    p.add_argument("--seeds", type=int, default=5, help="number of seeds, each a new labelled subset and new "
                   "initial weights (default 5)")
    p.add_argument("--seed", type=int, default=0, help="first seed; seeds are SEED .. SEED+SEEDS-1 (default 0); "
                   "the first seed's distilled student is the one exported")
    p.add_argument("--labels-per-class", type=int, default=10, help="labelled training digits per class; the "
                   "other training digits are unlabelled (default 10, i.e. 100 labels)")
    # Chosen with --tune on the validation split (seeds 100-102, never the test split): the best mean
    # validation accuracy of 16 (T, alpha) settings, 92.0 % against 88.1 % for the student alone; T=2 was
    # within 0.7 points, T=8 the worst (88.6-89.6 %).
    p.add_argument("--temperature", type=float, default=1.0, help="softmax temperature T of the teacher's soft "
                   "labels (default 1, chosen on the validation split with --tune)")
    p.add_argument("--alpha", type=float, default=0.1, help="weight of the hard-label loss on the labelled digits; "
                   "1 - alpha weighs the soft labels (default 0.1, chosen with --tune)")
    p.add_argument("--steps", type=int, default=300, help="optimizer steps of each student (default 300)")
    p.add_argument("--teacher-steps", type=int, default=200, help="optimizer steps of the teacher (default 200)")
    p.add_argument("--batch-size", type=int, default=32, help="batch size of every run (default 32)")
    p.add_argument("--teacher", default="cnn_teacher_8x8", help="zoo teacher (default cnn_teacher_8x8)")
    p.add_argument("--student", default="cnn_student_8x8", help="zoo student (default cnn_student_8x8)")
    p.add_argument("--jobs", type=int, help="seeds trained at once, one process each (default: one per CPU "
                   "core, at most one per seed); the results do not depend on it")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    p.add_argument("--fast", action="store_true", help="a quick check: at most 2 seeds of 40 steps and a "
                   "short benchmark (its figures mean nothing)")
    p.add_argument("--tune", action="store_true", help="instead of the demo: validation accuracy of the "
                   "distilled student over a grid of temperatures and alphas (seeds 100-102; writes tune.json)")
    p.add_argument("--only", nargs="+", metavar="STAGE", help=f"run only these stages "
                   f"({', '.join(n for n, _ in STAGES)}); a stage needs the outputs of the one before it")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def cpu_s() -> float:
    """CPU seconds of this process and of its finished children (seed workers, benchmark processes): on a
    shared machine, the measure of the demo's own work that the wall clock is not."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run(args: argparse.Namespace) -> int:
    # Clocks start before the imports below, which bring in torch (seconds on a busy machine).
    t_all, c_all = time.perf_counter(), cpu_s()
    from edgekd.errors import EdgekdError

    from edgekd.distill.demo_report import publish, report, run_tune

    from .distill import summary_console

    if args.fast:
        args.seeds, args.steps, args.teacher_steps = min(args.seeds, 2), 40, 40
    if args.seeds < 1:
        raise EdgekdError(f"--seeds must be at least 1, got {args.seeds}")
    if args.jobs is None:
        args.jobs = min(args.seeds, os.cpu_count() or 1)
    if args.jobs < 1:
        raise EdgekdError(f"--jobs must be at least 1, got {args.jobs}")
    if args.threads < 1:
        raise EdgekdError(f"--threads must be at least 1, got {args.threads}")
    known = [n for n, _ in STAGES]
    for name in args.only or []:
        if name not in known:
            raise EdgekdError(f"unknown demo stage {name!r}; stages are: {', '.join(known)}")
    semi_config(args).validate()
    console = summary_console()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.tune:
        return run_tune(args, semi_config(args), out, console)
    ctx = DemoContext(out, args, console)
    for name, stage in STAGES:
        if args.only and name not in args.only:
            continue
        need = NEEDS.get(name)
        if need and need not in ctx.results:
            prev = _load_previous(out, need)
            if prev is None:
                raise EdgekdError(f"demo stage {name!r} needs the {need!r} stage's outputs in {out} "
                                  f"(run it first, or without --only)")
            ctx.results[need] = prev
        console.rule(f"[bold]{name}")
        t0, c0 = time.perf_counter(), cpu_s()
        stage(ctx)
        ctx.timings[name] = time.perf_counter() - t0
        ctx.cpu[name] = cpu_s() - c0
    t0, c0 = time.perf_counter(), cpu_s()
    summary = report(ctx)
    ctx.timings["report"], ctx.cpu["report"] = time.perf_counter() - t0, cpu_s() - c0
    publish(ctx, summary, time.perf_counter() - t_all, cpu_s() - c_all)
    return 0


def _load_previous(out: Path, stage: str) -> dict[str, Any] | None:
    """A stage's results from an earlier run's summary.json (for --only)."""
    path = out / "summary.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text()).get(stage)
    except json.JSONDecodeError:
        return None
