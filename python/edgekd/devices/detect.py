"""Which shipped profile describes the machine we are running on (for defaults such as modeled energy)."""
from __future__ import annotations

import platform
from pathlib import Path

# Device-tree model strings (/proc/device-tree/model), most specific first.
_MODELS = (
    ("Raspberry Pi 5", "rpi5"),
    ("Raspberry Pi 4", "rpi4"),
    ("Raspberry Pi Zero 2", "pi-zero-2w"),
    ("Orin Nano", "jetson-orin-nano"),
    ("Jetson Nano", "jetson-nano"),
)


def board_model(root: Path | str = "/") -> str | None:
    """The device-tree model string ("Raspberry Pi 4 Model B Rev 1.4"), or None off device-tree boards."""
    for rel in ("proc/device-tree/model", "sys/firmware/devicetree/base/model"):
        p = Path(root) / rel
        try:
            return p.read_bytes().rstrip(b"\0\n").decode("utf-8", "replace")
        except OSError:
            continue
    return None


def detect_host_profile(root: Path | str = "/") -> str | None:
    """Name of the profile for this machine: from the board model on ARM boards, "x86-64" on x86-64."""
    model = board_model(root)
    if model:
        for needle, name in _MODELS:
            if needle in model:
                return name
    if platform.machine().lower() in ("x86_64", "amd64"):
        return "x86-64"
    return None
