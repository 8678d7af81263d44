"""Terminal output shared by the commands: rich consoles that do not cut lines when piped, and live
progress only where a person watches it."""
from __future__ import annotations

import os
import sys
from typing import Any

# Piped or redirected output has no width to fit; rich would assume 80 columns and fold table cells and
# long paths. Logs are read with a pager or an editor: a wide, fixed width keeps every row on one line.
PIPE_WIDTH = 200


def make_console(stderr: bool = False) -> Any:
    """A rich Console: the terminal's width on a terminal, PIPE_WIDTH (or $COLUMNS) otherwise."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty() or os.environ.get("COLUMNS"):
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=PIPE_WIDTH)


def live_progress() -> bool:
    """Progress bars and spinners redraw with escape codes: only when stderr is a terminal."""
    return sys.stderr.isatty()
