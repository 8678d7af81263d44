"""Benchmark reports: a rich table for people, JSON and CSV for machines, a PNG comparing backends."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from .harness import BenchReport


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

    console = console or Console()
    if not console.is_terminal and console.width < 140:  # logs and pipes: don't squeeze the columns
        console = Console(width=140)
    m = report.machine
    t = Table(title=f"{Path(report.model).name} ({report.model_bytes / 1024:.1f} KiB), "
                    f"{report.threads} thread(s) on {m['cpu']}")
    for col in ("backend", "p50 ms", "p90 ms", "p99 ms", "min ms", "inf/s", "load ms", "peak RSS MiB",
                "arena KiB", "mJ/inf", "energy"):
        t.add_column(col, justify="left" if col in ("backend", "energy") else "right")
    for r in report.results:
        if r.latency is None:
            continue
        lat = r.latency
        mj, src = _energy_mj(r)
        kind = (r.energy or {}).get("kind", src)  # the full source description is in JSON/CSV
        name = escape(r.label + (f" [{r.path}]" if r.path else ""))  # "[avx2]" is not rich markup
        t.add_row(name, _fmt(lat.p50_ms), _fmt(lat.p90_ms), _fmt(lat.p99_ms), _fmt(lat.min_ms),
                  _fmt(lat.throughput_ips, ".0f"), _fmt(r.load_ms, ".1f"),
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
