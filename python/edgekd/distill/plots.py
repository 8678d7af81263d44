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


# ---- edgekd demo ------------------------------------------------------------------------------------
# Curves are dicts {role: [per-seed {"steps": [...], "val_loss": [...], "val_acc": [...]}]}; every seed of a
# role shares the step grid (same epochs), so the mean and the min..max band are taken point by point.

def _seed_band(ax: Any, runs: Sequence[Mapping[str, Sequence[float]]], key: str, role: str, scale: float = 1.0,
               dashed: bool = False) -> None:
    import numpy as np

    n = min(len(r["steps"]) for r in runs)
    steps = np.asarray(runs[0]["steps"][:n], dtype=float)
    vals = np.asarray([r[key][:n] for r in runs], dtype=float) * scale
    color = COLORS.get(role)
    label = LABELS.get(role, role) + (f" (mean of {len(runs)} seeds)" if len(runs) > 1 else "")
    ax.plot(steps, vals.mean(0), color=color, linestyle="--" if dashed else "-", label=label,
            marker="o" if n < 12 else None, markersize=3)
    if len(runs) > 1:
        ax.fill_between(steps, vals.min(0), vals.max(0), color=color, alpha=0.15, linewidth=0)


def draw_val_curves(ax: Any, curves: Mapping[str, Sequence[Mapping[str, Sequence[float]]]],
                    key: str = "val_loss") -> None:
    """Validation cross-entropy (hard labels) or accuracy against optimizer steps, the same measure for
    every run; shaded: min..max over seeds."""
    for role in ("teacher", "student_alone", "student"):
        if curves.get(role):
            _seed_band(ax, curves[role], key, role, 100.0 if key == "val_acc" else 1.0, dashed=role == "teacher")
    ax.set_xlabel("optimizer steps")
    ax.set_xlim(left=0)
    if key == "val_acc":
        ax.set_ylabel("validation accuracy (%)")
    else:
        ax.set_ylabel("validation cross-entropy (nats/example)")
        ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def draw_accuracy(ax: Any, per_seed: Mapping[str, Sequence[float]]) -> None:
    """Test accuracy bars from 0 %: mean over seeds, std error bars, one dot per seed."""
    import numpy as np

    roles = [r for r in ("teacher", "student_alone", "student") if per_seed.get(r)]
    for i, role in enumerate(roles):
        v = 100 * np.asarray(per_seed[role], dtype=float)
        std = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        ax.bar(i, v.mean(), yerr=std or None, capsize=4, color=COLORS.get(role), alpha=0.85)
        ax.plot(np.full(len(v), i) + np.linspace(-0.15, 0.15, len(v)), v, "k.", markersize=4)
        ax.text(i, v.mean() / 2, f"{v.mean():.1f}" + (f"\n±{std:.1f}" if std else ""), ha="center", va="center",
                fontsize=9, color="white", fontweight="bold")
    ax.set_xticks(range(len(roles)), [LABELS[r].replace(" ", "\n", 1) for r in roles])
    ax.set_ylim(0, 100)
    ax.set_ylabel("test accuracy (%)")
    ax.grid(axis="y", alpha=0.3)


def draw_gains(ax: Any, gains: Sequence[float], seeds: Sequence[int]) -> None:
    """Distilled minus alone, per seed (paired), in percentage points, with mean and std."""
    import numpy as np

    g = 100 * np.asarray(gains, dtype=float)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.plot(range(len(g)), g, "o", color=COLORS["student"])
    ax.axhline(g.mean(), color=COLORS["student"], linestyle="--",
               label=f"mean {g.mean():+.2f}" + (f", std {g.std(ddof=1):.2f}" if len(g) > 1 else ""))
    ax.set_xticks(range(len(g)), [str(s) for s in seeds])
    ax.set_xlabel("seed")
    ax.set_ylabel("distilled − alone (accuracy points)")
    ax.set_ylim(min(0.0, g.min()) - 1, max(0.0, g.max()) + 1)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)


SIZE_PARTS = [("weights_int8_bytes", "int8 weights", "#2ca02c"), ("biases_int32_bytes", "int32 biases", "#98df8a"),
              ("quant_param_bytes", "scales + zero points", "#ff7f0e"),
              ("structure_bytes", "flatbuffer structure", "#bbbbbb"), ("other_constant_bytes", "other constants", "#888888")]


def draw_sizes(ax: Any, anatomy: Mapping[str, int], fp32_state_bytes: int | None = None) -> None:
    """Horizontal bars in bytes from 0: float32 weights vs the int8 file, split into its parts."""
    rows: list[tuple[str, list[tuple[str, float, str]]]] = [
        ("fp32 weights\n(BN folded)", [("float32 weights + biases", anatomy["fp32_weight_bytes"], "#1f77b4")])]
    if fp32_state_bytes:
        rows.insert(0, ("fp32 state_dict", [("float32 parameters + BN buffers", fp32_state_bytes, "#aec7e8")]))
    rows.append(("int8 .tflite", [(lab, anatomy[k], c) for k, lab, c in SIZE_PARTS if anatomy.get(k)]))
    seen: set[str] = set()
    for y, (_, parts) in enumerate(rows):
        left = 0.0
        for lab, v, c in parts:
            ax.barh(y, v, left=left, color=c, label=None if lab in seen else lab)
            seen.add(lab)
            left += v
        ax.text(left, y, f" {left:,.0f} B", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.set_xlim(0, max(anatomy["file_bytes"], fp32_state_bytes or 0) * 1.25)
    ax.set_xlabel("bytes")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.45, -0.2), ncol=3, frameon=False)
    ax.grid(axis="x", alpha=0.3)


def draw_latency(ax: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Median latency per inference in µs from 0, whiskers from the fastest run to p90."""
    labels = [r["label"] for r in rows]
    p50 = [r["p50_us"] for r in rows]
    lo = [r["p50_us"] - r["min_us"] for r in rows]
    hi = [r["p90_us"] - r["p50_us"] for r in rows]
    colors = ["#2ca02c" if r.get("backend") == "edgekd" else "#4477aa" for r in rows]
    ax.barh(range(len(rows)), p50, xerr=[lo, hi], capsize=3, color=colors)
    for i, v in enumerate(p50):
        ax.text(v, i, f" {v:.1f} µs", va="bottom", fontsize=8)
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(r["p90_us"] for r in rows) * 1.3)
    ax.set_xlabel("µs per inference (median; whiskers min..p90)")
    ax.grid(axis="x", alpha=0.3)


def plot_demo(path: str | Path, *, curves: Mapping[str, Any], per_seed: Mapping[str, Sequence[float]],
              gains: Sequence[float], seeds: Sequence[int], anatomy: Mapping[str, int] | None = None,
              fp32_state_bytes: int | None = None, latency: Sequence[Mapping[str, Any]] | None = None,
              title: str = "", latency_title: str = "") -> Path:
    """The demo's one-page figure: validation loss of every run (same measure), test accuracy and the paired
    gains over seeds, bytes of the float and int8 models, latency next to peer runtimes."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    draw_val_curves(axes[0, 0], curves, "val_loss")
    axes[0, 0].set_title("same loss for every run: validation cross-entropy")
    draw_val_curves(axes[0, 1], curves, "val_acc")
    axes[0, 1].set_title("validation accuracy")
    draw_accuracy(axes[0, 2], per_seed)
    axes[0, 2].set_title(f"test accuracy over {len(seeds)} seed(s)")
    draw_gains(axes[1, 0], gains, seeds)
    axes[1, 0].set_title("distillation gain per seed (paired)")
    if anatomy:
        draw_sizes(axes[1, 1], anatomy, fp32_state_bytes)
        axes[1, 1].set_title("model bytes")
    else:
        axes[1, 1].set_axis_off()
    if latency:
        draw_latency(axes[1, 2], latency)
        axes[1, 2].set_title(latency_title or "latency", fontsize=9, wrap=True)
    else:
        axes[1, 2].set_axis_off()
    return _save(plt, fig, path, title or None)
