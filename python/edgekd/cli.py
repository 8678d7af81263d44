"""The `edgekd` command line. Each command lives in its own module under edgekd.commands and exposes
``add_arguments(parser)`` and ``run(args) -> int``; modules keep heavy imports (torch, matplotlib,
onnxruntime, LiteRT) inside ``run`` so that ``edgekd --help`` stays instant."""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("edgekd.commands.demo", "run the whole pipeline on the embedded digits data set"),
    "info": ("edgekd.commands.info", "show CPU features, compiled SIMD paths and the chosen path"),
    "inspect": ("edgekd.commands.inspect", "print the ops, tensors and quantization of a .tflite file"),
    "distill": ("edgekd.commands.distill", "train a teacher, a student alone, and a distilled student"),
    "sweep": ("edgekd.commands.sweep", "grid search over temperature, alpha and learning rate"),
    "quantize": ("edgekd.commands.quantize", "quantize a PyTorch student to an int8 .tflite"),
    "bench": ("edgekd.commands.bench", "latency, memory and energy per inference next to peer runtimes"),
    "devices": ("edgekd.commands.devices", "list or show device profiles"),
    "deploy": ("edgekd.commands.deploy", "cross-build, bundle and run a model on a device"),
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: a usage mistake reads like every other edgekd error (one line on
    stderr, exit 2); the full usage is one --help away."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _available_commands() -> dict[str, object]:
    mods = {}
    for name, (modname, _help) in COMMANDS.items():
        try:
            mods[name] = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name != modname:  # a real missing dependency inside a command module: surface it
                raise
    return mods


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    from . import __version__

    parser = _Parser(prog="edgekd", description="edgekd: edge deployment SDK")
    parser.add_argument("--version", action="version", version=f"edgekd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    mods = _available_commands()
    for name, mod in mods.items():
        p = sub.add_parser(name, help=COMMANDS[name][1], description=COMMANDS[name][1])
        mod.add_arguments(p)  # type: ignore[attr-defined]
    return parser, mods


def main(argv: list[str] | None = None) -> int:
    from .errors import EdgekdError

    parser, mods = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(mods[args.command].run(args) or 0)  # type: ignore[attr-defined]
    except (EdgekdError, ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"edgekd {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"edgekd {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
