"""`edgekd sweep`: grid search over temperature, alpha and learning rate for the distilled student."""
from __future__ import annotations

import argparse

from .distill import add_common_arguments, config_from_args, summary_console


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common_arguments(p)
    p.add_argument("--temperature", type=float, nargs="+", default=[1.0, 2.0, 4.0, 8.0], metavar="T",
                   help="temperatures to try (default 1 2 4 8)")
    p.add_argument("--alpha", type=float, nargs="+", default=[0.1, 0.5], metavar="A",
                   help="hard-label weights to try (default 0.1 0.5)")
    p.add_argument("--lr", type=float, nargs="+", default=[3e-3], metavar="LR",
                   help="learning rates to try (default 3e-3)")


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from edgekd.distill.sweep import run_sweep

    base = config_from_args(argparse.Namespace(**{**vars(args), "temperature": None, "alpha": None, "lr": None}))
    if base.out == "runs/distill" and args.out is None:
        base = base.replace(out="runs/sweep")
    res = run_sweep(base, args.temperature, args.alpha, args.lr)
    console = summary_console()
    table = Table(title=f"sweep on {base.dataset}: teacher {100 * res.teacher_acc:.2f}%")
    for col in ("T", "alpha", "lr", "test acc", "vs alone"):
        table.add_column(col, justify="right")
    for r in res.rows:
        table.add_row(f"{r['temperature']:g}", f"{r['alpha']:g}", f"{r['lr']:g}", f"{100 * r['test_acc']:.2f}%",
                      f"{100 * r['gain_over_alone']:+.2f}")
    console.print(table)
    console.print(f"student alone by lr: " + ", ".join(f"{lr:g}: {100 * a:.2f}%" for lr, a in res.baselines.items()))
    console.print(f"wrote {res.paths['json']} and {res.paths['png']}")
    return 0
