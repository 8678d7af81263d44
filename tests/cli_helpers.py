"""Running the installed `edgekd` command as a user does, and checking the shape of its errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EDGEKD = Path(sys.executable).parent / "edgekd"


def edgekd(*args: str, cwd: Path | None = None, env: dict | None = None,
           timeout: float = 600) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(EDGEKD), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=e,
                          timeout=timeout)


def assert_one_line_error(r: subprocess.CompletedProcess, command: str, *needles: str) -> str:
    """Exit 2, exactly one line on stderr naming the thing, no traceback, nothing on stdout."""
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"edgekd {command}: error: "), lines[0]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert r.stdout == "", r.stdout
    return lines[0]


def tree(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*"))
