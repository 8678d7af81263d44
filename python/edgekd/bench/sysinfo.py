"""What a benchmark result must record about the machine it ran on."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cpu_model(root: Path = Path("/")) -> str:
    text = _read(root / "proc/cpuinfo") or ""
    for line in text.splitlines():
        key = line.split(":", 1)[0].strip().lower()
        if key in ("model name", "hardware", "cpu model"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def governor(root: Path = Path("/")) -> str | None:
    return _read(root / "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")


def temperature_c(root: Path = Path("/")) -> float | None:
    """The hottest thermal zone in degrees C (None where the kernel exposes none, e.g. in a VM)."""
    temps = []
    for zone in sorted((root / "sys/class/thermal").glob("thermal_zone*")):
        raw = _read(zone / "temp")
        if raw and raw.lstrip("-").isdigit():
            temps.append(int(raw) / 1000.0)
    return max(temps) if temps else None


def machine_info() -> dict:
    return {
        "hostname": platform.node(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "governor": governor(),
        "temperature_c": temperature_c(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
