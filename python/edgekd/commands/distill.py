"""`edgekd distill`: train a teacher (or load one), the student alone, and the distilled student."""
from __future__ import annotations

import argparse


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    """Flags shared by distill and sweep. Defaults are None so that --config values are not overridden."""
    p.add_argument("--config", metavar="TOML", help="run file with the same keys as these flags")
    p.add_argument("--dataset", help="digits | fashion-mnist | mnist | PATH to MNIST-layout IDX files "
                                     "(default digits)")
    p.add_argument("--teacher", help="zoo model name, or a checkpoint FILE to load instead of training")
    p.add_argument("--student", help="zoo model name")
    p.add_argument("--epochs", type=int, help="student epochs (default 10)")
    p.add_argument("--teacher-epochs", type=int, help="teacher epochs (default: --epochs)")
    p.add_argument("--teacher-lr", type=float, help="teacher learning rate (default: --lr)")
    p.add_argument("--batch-size", type=int, help="global batch size (default 128)")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--out", help="output directory (default runs/distill)")
    p.add_argument("--resume", action="store_true", default=None, help="continue from checkpoints in --out")
    p.add_argument("--device", help="auto (default: CUDA when present), cpu, cuda, cuda:N")
    p.add_argument("--max-train", type=int, help="train on a fixed random subset of this many examples")
    p.add_argument("--teacher-max-train", type=int, help="teacher's training subset (default: --max-train)")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--hint", action="append", dest="hints", metavar="S=T",
                   help="FitNets hint: student module path = teacher module path (repeatable)")
    p.add_argument("--hint-weight", type=float, help="weight of the hint loss (default 1)")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                   help="no progress bars (the default when stderr is not a terminal)")
    p.add_argument("--no-plots", dest="plots", action="store_false", default=None,
                   help="do not write the training-curve PNGs")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common_arguments(p)
    p.add_argument("--temperature", type=float, help="softmax temperature T (default 4)")
    p.add_argument("--alpha", type=float, help="weight of the hard-label loss; 1 = no distillation (default 0.5)")
    p.add_argument("--lr", type=float, help="learning rate (Adam, cosine decay; default 3e-3)")
    p.add_argument("--list-models", action="store_true", help="print the model zoo and exit")


def config_from_args(args: argparse.Namespace, **extra: object):
    from edgekd.distill.config import build_config

    keys = ("dataset", "teacher", "student", "temperature", "alpha", "epochs", "teacher_epochs", "lr",
            "teacher_lr", "batch_size", "seed", "out", "resume", "device", "max_train", "teacher_max_train",
            "threads", "hints", "hint_weight", "progress", "plots")
    values = {k: getattr(args, k, None) for k in keys}
    if values["progress"] is None:
        from .console import live_progress

        if not live_progress():  # bars redraw with escape codes: in a log file they are noise
            values["progress"] = False
    values.update(extra)
    return build_config(args.config, **values)


def summary_console():
    """A rich Console that does not fold tables when writing to a file or pipe (see commands/console.py)."""
    from .console import make_console

    return make_console()


def print_summary(result, console=None) -> None:
    """Rich table: parameters, size, accuracy, loss and wall time per run."""
    from rich.table import Table

    from edgekd.distill.plots import LABELS

    console = console or summary_console()
    table = Table(title=f"distillation on {result.metrics['dataset']['name']} "
                        f"(T={result.metrics['config']['temperature']:g}, alpha={result.metrics['config']['alpha']:g})")
    for col in ("run", "model", "params", "size", "test acc", "test loss", "epochs", "time"):
        table.add_column(col, justify="left" if col in ("run", "model") else "right")
    for name, run in result.runs.items():
        trained = [h for h in run.history if h.epoch > 0]
        table.add_row(LABELS.get(name, name), str(run.model_name or "-"), f"{run.parameters:,}",
                      f"{run.size_bytes / 1024:.1f} KiB", f"{100 * run.test_acc:.2f}%", f"{run.test_loss:.4f}",
                      str(len(trained)) if trained else "loaded", f"{run.wall_s:.1f} s")
    console.print(table)
    s = result.metrics["summary"]
    console.print(f"distilled - alone: {100 * s['distillation_gain']:+.2f} points; student/teacher parameters "
                  f"1/{1 / s['param_ratio']:.1f}")
    for key in ("metrics", "loss_png", "accuracy_png", "student"):
        if result.paths[key].exists():
            console.print(f"  {key}: {result.paths[key]}")


def run(args: argparse.Namespace) -> int:
    if args.list_models:
        from edgekd.distill import zoo

        for name, e in zoo.ZOO.items():
            print(f"{name:22s} {e.role:8s} {e.summary}")
        return 0
    from edgekd.distill import run_distill
    from edgekd.distill import ddp

    cfg = config_from_args(args)
    result = run_distill(cfg)
    if ddp.rank() == 0:
        print_summary(result)
    return 0
