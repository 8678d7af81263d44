"""Benchmark reports: a rich table for people, JSON and CSV for machines, a PNG comparing backends."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from .harness import BenchReport
from .units import fmt_time, pick_unit


def _fmt(v, spec=".3f") -> str:
    return "-" if v is None else format(v, spec)


def _energy_mj(r) -> tuple[str, str]:
    e = r.energy or {}
    if e.get("joules_per_inference") is None:
        return "-", e.get("source", "-") if e else "-"
    return f"{e['joules_per_inference'] * 1e3:.3f}", e.get("source", "?")


def print_table(report: BenchReport, console=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if console is None:  # logs and pipes have no width: don't squeeze the columns into 80
        console = Console() if sys.stdout.isatty() else Console(width=200)
    m = report.machine
    ran = [r for r in report.results if r.latency is not None]
    # One unit for all latency columns (compared across rows), one for load: picked by magnitude.
    unit, scale = pick_unit(v for r in ran for v in (r.latency.min_ms, r.latency.p50_ms))
    lunit, lscale = pick_unit(r.load_ms for r in ran)
    t = Table(title=f"{Path(report.model).name} ({report.model_bytes / 1024:.1f} KiB), "
                    f"{report.threads} thread(s) on {m['cpu']}")
    for col in ("backend", f"p50 {unit}", f"p90 {unit}", f"p99 {unit}", f"min {unit}", "inf/s", f"load {lunit}",
                "peak RSS MiB", "arena KiB", "mJ/inf", "energy"):
        t.add_column(col, justify="left" if col in ("backend", "energy") else "right")
    for r in ran:
        lat = r.latency
        mj, src = _energy_mj(r)
        kind = (r.energy or {}).get("kind", src)  # the full source description is in JSON/CSV
        name = escape(r.label + (f" [{r.path}]" if r.path else ""))  # "[avx2]" is not rich markup
        t.add_row(name, fmt_time(lat.p50_ms, scale), fmt_time(lat.p90_ms, scale), fmt_time(lat.p99_ms, scale),
                  fmt_time(lat.min_ms, scale), _fmt(lat.throughput_ips, ".0f"), fmt_time(r.load_ms, lscale),
                  _fmt(r.peak_rss_bytes / 2**20 if r.peak_rss_bytes else None, ".1f"),
                  _fmt(r.arena_bytes / 1024 if r.arena_bytes else None, ".1f"), mj, kind)
    console.print(t)
    for r in report.results:
        if r.skipped:
            console.print(f"[dim]skipped: {r.skipped}[/dim]")
    sources = sorted({(r.energy or {}).get("source") for r in report.results if r.energy} - {None})
    for src in sources:
        console.print(f"[dim]energy: {src}[/dim]")
    console.print(f"[dim]governor: {m.get('governor') or 'n/a'}, temperature: "
                  f"{m.get('temperature_c') if m.get('temperature_c') is not None else 'n/a'} C, "
                  f"cores: {m.get('cores')}[/dim]")


def write_json(report: BenchReport, path: Path) -> None:
    Path(path).write_text(json.dumps(report.as_dict(), indent=2))


CSV_FIELDS = ["model", "threads", "backend", "path", "runs", "min_ms", "mean_ms", "std_ms", "p50_ms", "p90_ms",
              "p95_ms", "p99_ms", "throughput_ips", "load_ms", "first_ms", "peak_rss_bytes", "arena_bytes",
              "model_bytes", "joules_per_inference", "energy_source", "skipped"]


def write_csv(report: BenchReport, path: Path) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        for r in report.results:
            row = {"model": report.model, "threads": report.threads, "backend": r.backend, "path": r.path,
                   "load_ms": r.load_ms, "first_ms": r.first_ms, "peak_rss_bytes": r.peak_rss_bytes,
                   "arena_bytes": r.arena_bytes, "model_bytes": report.model_bytes, "skipped": r.skipped}
            if r.latency:
                row.update(r.latency.as_dict())
            if r.energy:
                row["joules_per_inference"] = r.energy.get("joules_per_inference")
                row["energy_source"] = r.energy.get("source")
            w.writerow(row)


def write_plot(report: BenchReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ran = [r for r in report.results if r.latency]
    if not ran:
        raise ValueError("no backend ran: nothing to plot")
    fig, ax = plt.subplots(figsize=(1.6 * len(ran) + 3, 4))
    x = range(len(ran))
    p50 = [r.latency.p50_ms for r in ran]
    lo = [r.latency.p50_ms - r.latency.min_ms for r in ran]
    hi = [r.latency.p99_ms - r.latency.p50_ms for r in ran]
    ax.bar(x, p50, yerr=[lo, hi], capsize=4, color="#4477aa")
    ax.set_xticks(list(x), [r.label for r in ran], rotation=15, ha="right")
    ax.set_ylabel("latency, ms (p50; whiskers min..p99)")
    ax.set_title(f"{Path(report.model).name}, {report.threads} thread(s)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
