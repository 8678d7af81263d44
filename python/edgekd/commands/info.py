"""`edgekd info`: what this machine has and what edgekd chose."""
from __future__ import annotations

import argparse
import json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the cpu_info() dict as JSON")


def run(args: argparse.Namespace) -> int:
    import edgekd

    info = edgekd.cpu_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    from rich.table import Table

    from .console import make_console

    console = make_console()
    console.print(f"edgekd {edgekd.__version__} on {info['arch']}")
    feats = ", ".join(k for k, v in info["features"].items() if v) or "(none)"
    console.print(f"CPU features: {feats}")
    console.print(f"compiled paths: {', '.join(info['compiled_paths'])}")
    console.print(f"supported paths: {', '.join(info['supported_paths'])}")
    families = info.get("kernels", {})
    if families:
        t = Table(title="kernel families")
        t.add_column("family")
        t.add_column("path")
        t.add_column("kernel")
        for fam, d in families.items():
            t.add_row(fam, d["path"], d["kernel"])
        console.print(t)
    console.print(f"chosen path: [bold]{info['path']}[/bold]")
    return 0
