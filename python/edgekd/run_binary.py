"""`edgekd-run` on PATH: pip installs console scripts, not package binaries, so this entry point replaces
itself with the edgekd-run binary the package carries (edgekd/bin/edgekd-run). No Python stays between
the user and the binary: exit status, signals and stdio are the binary's own."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

BINARY = Path("bin") / "edgekd-run"


def _candidates() -> List[Path]:
    here = Path(__file__).resolve().parent / BINARY  # a normal install: beside this file
    found = [here]
    if not here.is_file():
        # An editable install keeps the package's Python files in the checkout and the compiled parts
        # (the core module, bin/) in site-packages: ask the import system where the core lives.
        import importlib.util

        try:
            spec = importlib.util.find_spec("edgekd._core")
        except Exception:  # a broken core still deserves the "missing binary" message below
            spec = None
        if spec is not None and spec.origin:
            found.append(Path(spec.origin).resolve().parent / BINARY)
    return found


def find_binary() -> Optional[Path]:
    env = os.environ.get("EDGEKD_RUN")
    if env:
        return Path(env) if Path(env).is_file() else None
    return next((p for p in _candidates() if p.is_file() and os.access(p, os.X_OK)), None)


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    binary = find_binary()
    if binary is None:
        where = os.environ.get("EDGEKD_RUN") or ", ".join(str(p) for p in _candidates())
        print(f"edgekd-run: the edgekd-run binary is missing (looked for {where}); reinstall edgekd with "
              "its tools built (CMake option EDGEKD_BUILD_TOOLS=ON)", file=sys.stderr)
        return 2
    os.execv(str(binary), [str(binary), *args])
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main())
