"""`edgekd devices`: list the device profiles; `edgekd devices show NAME` prints one."""
from __future__ import annotations

import argparse
import json


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="devices_command", metavar="SUBCOMMAND")
    ls = sub.add_parser("list", help="list the profiles (the default)")
    ls.add_argument("--json", action="store_true", help="print the profiles as JSON")
    show = sub.add_parser("show", help="print one profile")
    show.add_argument("name", help="profile name (e.g. rpi4) or path to a .toml file")
    show.add_argument("--json", action="store_true", help="print the profile as JSON")
    p.add_argument("--json", action="store_true", help="print the profiles as JSON")


def _as_dict(prof) -> dict:  # noqa: ANN001 - DeviceProfile, imported lazily
    from dataclasses import asdict

    d = asdict(prof)
    d["path"] = str(prof.path)
    d["toolchain"] = str(prof.toolchain) if prof.toolchain else None
    return d


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from ..devices import list_profiles, load_profile
    from .console import make_console

    console = make_console()
    if getattr(args, "devices_command", None) == "show":
        prof = load_profile(args.name)
        if args.json:
            print(json.dumps(_as_dict(prof), indent=2))
            return 0
        _print_profile(console, prof)
        return 0

    profiles = list_profiles()
    if args.json:
        print(json.dumps([_as_dict(p) for p in profiles], indent=2))
        return 0
    t = Table(title="edgekd device profiles", box=None, pad_edge=False, collapse_padding=True,
              header_style="bold underline")
    for col in ("name", "CPU", "RAM", "SIMD path", "sensor", "power (W)"):
        t.add_column(col, no_wrap=True, style="bold" if col == "name" else None)
    for p in profiles:
        pm = p.power_model()
        model = p.cpu_model.replace("Cortex-A", "A").split(" (")[0]
        cpu = f"{p.cores}x {model} {p.clock_mhz / 1000:.1f}G"
        power = f"{pm.idle_w:g}+{pm.active_core_w:g}/core" + ("*" if pm.estimate else "")
        t.add_row(p.name, cpu, _fmt_ram(p.ram_mb), ">".join(p.isas), p.energy_sensor, power)
    console.print(t)
    console.print("power: idle W + W per busy core; * estimate. Details and sources: edgekd devices show NAME")
    return 0


def _fmt_ram(ram_mb: tuple[int, ...]) -> str:
    lo, hi = min(ram_mb), max(ram_mb)
    if lo == hi:
        return _fmt_mb(lo)
    if lo % 1024 == 0 and hi % 1024 == 0:
        return f"{lo // 1024}-{hi // 1024} GB"
    return f"{_fmt_mb(lo)}-{_fmt_mb(hi)}"


def _fmt_mb(mb: int) -> str:
    return f"{mb // 1024} GB" if mb % 1024 == 0 else f"{mb} MB"


def _print_profile(console, p) -> None:  # noqa: ANN001
    from rich.table import Table

    t = Table(title=f"{p.name}: {p.description}", show_header=False)
    t.add_column("key", style="bold")
    t.add_column("value")
    rows = [
        ("file", str(p.path)),
        ("target triple", p.triple),
        ("toolchain file", str(p.toolchain) if p.toolchain else "(native build)"),
        ("compiler flags", " ".join(p.cflags) or "(none)"),
        ("SIMD path", " > ".join(p.isas) + ("  (first one the CPU supports)" if len(p.isas) > 1 else "")),
        ("qemu CPU model", p.qemu_cpu or "(runs natively)"),
        ("CPU", f"{p.cores}x {p.cpu_model} at {p.clock_mhz} MHz"),
        ("RAM", ", ".join(_fmt_mb(m) for m in p.ram_mb)),
        ("energy sensor", p.energy_sensor),
        ("power model", f"{p.power.idle_w:g} W idle + {p.power.active_core_w:g} W per busy core"
                        + ("  [estimate]" if p.power.estimate else "")),
        ("power source", p.power.source),
    ]
    if p.power.note:
        rows.append(("power note", p.power.note))
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    if p.power_modes:
        mt = Table(title="power modes (nvpmodel)")
        for col in ("name", "id", "budget", "cores", "clock", "idle", "per core", "default"):
            mt.add_column(col)
        for m in p.power_modes:
            mt.add_row(m.name, "" if m.nvpmodel_id is None else str(m.nvpmodel_id),
                       "" if m.budget_w is None else f"{m.budget_w:g} W", str(m.cores), f"{m.clock_mhz} MHz",
                       f"{m.power.idle_w:g} W", f"{m.power.active_core_w:g} W", "yes" if m.default else "")
        console.print(mt)
