"""The end of ``edgekd demo``: one summary table, ``summary.json`` and ``demo.png``; and ``--tune``.

``summary.json`` (format ``edgekd.demo.summary/1``) holds one key per stage that ran (``distill``,
``quantize``, ``runtime``, ``bench``; a run with ``--only`` keeps the other stages of the previous run),
plus ``format``, ``command``, ``timings_s`` / ``cpu_s`` (wall and CPU seconds per stage), ``total_s``,
``total_cpu_s`` and ``load_average``. Accuracies are fractions in [0, 1]; gains are fractions too (0.035 =
3.5 points); sizes are bytes; latencies are µs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .jsonsafe import json_safe

SUMMARY_FORMAT = "edgekd.demo.summary/1"
TUNE_FORMAT = "edgekd.demo.tune/1"
TUNE_SEEDS = [100, 101, 102]  # disjoint from the demo's seeds: choices are not made on the seeds reported
TUNE_TEMPERATURES = [1.0, 2.0, 4.0, 8.0]
TUNE_ALPHAS = [0.1, 0.3, 0.5, 0.7]


def _pct(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{100 * v:.{digits}f} %"


def _mean_std(s: dict[str, float]) -> str:
    return f"{100 * s['mean']:.1f} ± {100 * s['std']:.1f} %" if s["n"] > 1 else f"{100 * s['mean']:.1f} %"


def build_summary(out: Path, results: dict[str, Any]) -> dict[str, Any]:
    path = out / "summary.json"
    summary: dict[str, Any] = {}
    if path.is_file():  # --only: keep what the other stages of the previous run found
        try:
            prev = json.loads(path.read_text())
            if prev.get("format") == SUMMARY_FORMAT:
                summary = {k: v for k, v in prev.items() if k in ("distill", "quantize", "runtime", "bench")}
        except json.JSONDecodeError:
            pass
    summary.update({k: v for k, v in results.items() if not k.startswith("_")})
    return {"format": SUMMARY_FORMAT, "command": "edgekd " + " ".join(sys.argv[1:]), **summary}


def write_summary(out: Path, summary: dict[str, Any]) -> None:
    """Write to a temporary file, then rename: never half a summary."""
    path = out / "summary.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n")
    tmp.replace(path)


def story_table(summary: dict[str, Any]) -> Any:
    """The demo's one-screen summary as a rich Table."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    t = Table(show_header=False, box=box.SIMPLE, title_justify="left", caption_justify="left", padding=(0, 1))
    t.add_column("", style="bold", no_wrap=True)
    t.add_column("result", justify="right", no_wrap=True)
    t.add_column("detail")
    d = summary.get("distill")
    if d:
        agg, cfg, sp, n = d["aggregate"], d["config"], d["split"], len(d["seeds"])
        p = d["parameters"]
        t.title = (f"edgekd demo, digits 8x8: {sp['labelled']} labelled + {sp['unlabelled']:,} unlabelled training "
                   f"digits, {sp['val']} validation, {d['test_size']} test; test accuracy over {n} seed(s), mean ± std")
        t.add_row("teacher", _mean_std(agg["teacher"]), f"{p['teacher']:,} parameters, labelled digits only")
        t.add_row("student alone", _mean_std(agg["student_alone"]),
                  f"{p['student']:,} parameters (1/{p['teacher'] / p['student']:.0f}), labelled digits only")
        t.add_row("distilled student", _mean_std(agg["student"]),
                  f"same student, init and steps + the teacher's soft labels on the unlabelled digits "
                  f"(T={cfg['temperature']:g}, alpha={cfg['alpha']:g}, chosen on validation)")
        g = agg["gain"]
        spread = f" ± {100 * g['std']:.1f}" if g["n"] > 1 else ""
        t.add_row("[green]distillation gain[/green]", f"[green]{100 * g['mean']:+.1f}{spread} pts[/green]",
                  f"paired by seed; ± = std of the {g['n']} per-seed gains ({100 * g['min']:+.1f} .. "
                  f"{100 * g['max']:+.1f}); {g['wins']}/{g['n']} seeds gain")
    q, r = summary.get("quantize"), summary.get("runtime")
    if q and r:
        same = r.get("identical_outputs")
        if "litert_accuracy" not in r:
            lite = "LiteRT not installed: no cross-check"
        elif same:
            lite = "= LiteRT's builtin kernels on the same file (identical outputs)"
        else:
            lite = f"[red]LiteRT {_pct(r['litert_accuracy'], 2)}: outputs differ[/red]"
        t.add_row("int8 on edgekd", _pct(r["accuracy"], 2),
                  f"{lite}; fp32 {_pct(q['fp32_accuracy'], 2)} (seed {d['exported_seed'] if d else '?'})")
    if q:
        s = q["sizes"]
        t.add_row("int8 file", f"{s['file_bytes']:,} B",
                  f"{s['weights_int8_bytes']:,} B int8 weights + {s['biases_int32_bytes']:,} B int32 biases "
                  f"(fp32: {s['fp32_weight_bytes']:,} B) + {s['quant_param_bytes']:,} B scales and zero points + "
                  f"{s['structure_bytes'] + s['other_constant_bytes']:,} B flatbuffer tables for {s['tensors']} "
                  f"tensors, a fixed cost that {s['weight_count'] + s['bias_count']:,} parameters cannot amortize")
    b = summary.get("bench")
    if b and b["results"]:
        t.add_row("latency", "p50 / p90 µs", f"batch 1, 1 thread, {b['cpu']}")
        for x in b["results"]:
            detail = f"kernel {b['kernels'].get('gemm', '?')}" if x["backend"] == "edgekd" else ""
            t.add_row("  " + escape(x["label"]), f"{x['p50_us']:.1f} / {x['p90_us']:.1f}", detail)
        t.caption = "at a few µs per inference, the cost of a call outweighs the arithmetic"
    return t


def report(ctx: Any) -> dict[str, Any]:
    """The summary of every stage that ran (this run's, or the previous run's for stages skipped with
    --only), and demo.png drawn from it."""
    summary = build_summary(ctx.out, ctx.results)
    d, b, q = summary.get("distill"), summary.get("bench"), summary.get("quantize")
    curves = ctx.results.get("_curves")
    if curves is None and (ctx.out / "curves.json").is_file():
        curves = json.loads((ctx.out / "curves.json").read_text())
    if d and curves:
        from .plots import plot_demo

        per_seed = {k: [s["test_acc"][k] for s in d["per_seed"]] for k in ("teacher", "student_alone", "student")}
        plot_demo(ctx.out / "demo.png", curves=curves, per_seed=per_seed, gains=d["aggregate"]["gain"]["per_seed"],
                  seeds=d["seeds"], anatomy=q["sizes"] if q else None,
                  fp32_state_bytes=q["fp32_state_dict_bytes"] if q else None, latency=b["results"] if b else None,
                  title="edgekd demo: distill with few labels, quantize to int8, run natively",
                  latency_title=f"batch 1, 1 thread, {b['cpu']}; edgekd path {b['simd_path']}" if b else "")
    return summary


def publish(ctx: Any, summary: dict[str, Any], total_s: float, total_cpu_s: float) -> None:
    """Write summary.json with the timings, print the summary table and the time each stage took."""
    summary.update({"timings_s": ctx.timings, "cpu_s": ctx.cpu, "total_s": total_s, "total_cpu_s": total_cpu_s,
                    "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None})
    write_summary(ctx.out, summary)
    ctx.console.rule("[bold]edgekd demo")
    ctx.console.print(story_table(summary))
    ctx.console.print("wall (CPU) seconds: " + "  ".join(f"{n} {s:.1f} ({ctx.cpu[n]:.1f})" for n, s in ctx.timings.items())
                      + f"  total {total_s:.1f} ({total_cpu_s:.1f})"
                      + (f"; load average {summary['load_average'][0]:.1f} on {os.cpu_count()} cores"
                         if summary["load_average"] else ""))
    ctx.console.print(f"outputs: {ctx.out}/summary.json, {ctx.out}/demo.png"
                      + (f", {ctx.out}/int8/student.tflite" if summary.get("quantize") else ""))


def run_tune(args: argparse.Namespace, cfg: Any, out: Path, console: Any) -> int:
    """The grid that chose the demo's temperature and alpha: distilled students' validation accuracy."""
    import torch

    from rich.table import Table

    from . import data as data_mod
    from .demo_semi import tune

    torch.set_num_threads(args.threads)
    seeds = TUNE_SEEDS[:args.seeds] if args.fast else TUNE_SEEDS
    temps, alphas = (TUNE_TEMPERATURES[1:3], TUNE_ALPHAS[1:3]) if args.fast else (TUNE_TEMPERATURES, TUNE_ALPHAS)
    console.print(f"validation accuracy of the distilled student, mean over seeds {seeds} "
                  f"({len(temps) * len(alphas)} settings; the test split is not used)")
    rows = tune(cfg, data_mod.load("digits"), temps, alphas, seeds)
    t = Table(title=f"--tune: {cfg.labels_per_class} labels per class, {cfg.steps} steps, batch {cfg.batch_size}")
    for c in ("temperature", "alpha", "val acc distilled", "val acc alone", "val acc teacher"):
        t.add_column(c, justify="right")
    for r in rows:
        t.add_row(f"{r['temperature']:g}", f"{r['alpha']:g}", _pct(r["val_acc"], 2), _pct(r["val_acc_alone"], 2),
                  _pct(r["val_acc_teacher"], 2))
    console.print(t)
    (out / "tune.json").write_text(json.dumps(json_safe({"format": TUNE_FORMAT, "config": cfg.to_dict(),
                                                          "seeds": seeds, "rows": rows}), indent=2) + "\n")
    console.print(f"best on validation: T={rows[0]['temperature']:g}, alpha={rows[0]['alpha']:g}; "
                  f"written to {out}/tune.json")
    return 0
