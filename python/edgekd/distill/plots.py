"""Figures for distillation runs (matplotlib, headless Agg backend, PNG)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

LABELS = {"teacher": "teacher", "student_alone": "student alone", "student": "distilled student"}
COLORS = {"teacher": "#1f77b4", "student_alone": "#ff7f0e", "student": "#2ca02c"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _history(run: Any) -> list[dict[str, float]]:
    hist = run["history"] if isinstance(run, Mapping) else [h.__dict__ for h in run.history]
    return [h for h in hist if h["epoch"] > 0]  # epoch 0 = a loaded teacher, not trained here



def _save(plt, fig, path: str | Path, title: str | None = None) -> Path:
    """Title, layout, write the PNG and free the figure."""
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

def plot_loss(runs: Mapping[str, Any], path: str | Path, title: str = "training loss") -> Path:
    """Training loss (each run's own objective) and test cross-entropy per epoch, teacher vs students."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, run in runs.items():
        h = _history(run)
        if not h:
            continue
        ep = [x["epoch"] for x in h]
        kw = {"label": LABELS.get(name, name), "color": COLORS.get(name), "marker": "o", "markersize": 3}
        axes[0].plot(ep, [x["train_loss"] for x in h], **kw)
        axes[1].plot(ep, [x["test_loss"] for x in h], **kw)
    axes[0].set_title("training objective")
    axes[1].set_title("test cross-entropy")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(plt, fig, path, title)


def plot_accuracy(runs: Mapping[str, Any], path: str | Path, title: str = "test accuracy") -> Path:
    """Test accuracy per epoch (left) and final accuracy bars (right): teacher, student alone, distilled."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [3, 2]})
    finals: list[tuple[str, float]] = []
    for name, run in runs.items():
        hist = run["history"] if isinstance(run, Mapping) else [h.__dict__ for h in run.history]
        if not hist:
            continue
        h = _history(run)
        kw = {"label": LABELS.get(name, name), "color": COLORS.get(name)}
        if h:
            axes[0].plot([x["epoch"] for x in h], [100 * x["test_acc"] for x in h], marker="o", markersize=3, **kw)
        else:  # loaded teacher: a horizontal reference line
            axes[0].axhline(100 * hist[-1]["test_acc"], linestyle="--", **kw)
        finals.append((name, 100 * hist[-1]["test_acc"]))
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].grid(alpha=0.3)
    axes[0].legend()
    _bars(axes[1], [(LABELS.get(n, n), v, 0.0, COLORS.get(n)) for n, v in finals])
    axes[1].set_title("final")
    return _save(plt, fig, path, title)


def _bars(ax: Any, rows: Sequence[tuple[str, float, float, str | None]]) -> None:
    labels = [r[0] for r in rows]
    values = [r[1] for r in rows]
    errs = [r[2] for r in rows]
    ax.bar(range(len(rows)), values, yerr=errs if any(errs) else None, capsize=4,
           color=[r[3] or "#888888" for r in rows])
    ax.set_xticks(range(len(rows)), labels, rotation=15)
    finite = [v for v in values if math.isfinite(v)]
    if finite:
        lo = min(finite)
        ax.set_ylim(max(0.0, lo - max(5.0, (max(finite) - lo) * 1.5)), min(100.0, max(finite) + 2.0))
    for i, (v, e) in enumerate(zip(values, errs)):
        ax.text(i + 0.12 if e else i, v, f"{v:.2f}", ha="left" if e else "center", va="bottom", fontsize=8)
    ax.set_ylabel("test accuracy (%)")


def plot_seed_summary(summary: Mapping[str, tuple[float, float]], path: str | Path, title: str) -> Path:
    """Bars of mean accuracy (%) with the spread (std) over seeds as error bars."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    _bars(ax, [(LABELS.get(n, n), m, s, COLORS.get(n)) for n, (m, s) in summary.items()])
    ax.set_title(title)
    return _save(plt, fig, path)


def plot_sweep(rows: Sequence[Mapping[str, Any]], path: str | Path, baseline_acc: float | None = None,
               title: str = "sweep") -> Path:
    """Distilled-student accuracy against temperature, one line per (alpha, lr)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    groups: dict[tuple[float, float], list[tuple[float, float]]] = {}
    for r in rows:
        groups.setdefault((r["alpha"], r["lr"]), []).append((r["temperature"], 100 * r["test_acc"]))
    for (alpha, lr), pts in sorted(groups.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"alpha={alpha:g}, lr={lr:g}")
    if baseline_acc is not None:
        ax.axhline(100 * baseline_acc, color="#ff7f0e", linestyle="--", label="student alone")
    ax.set_xlabel("temperature")
    ax.set_ylabel("distilled student test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    return _save(plt, fig, path)
