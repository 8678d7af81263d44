"""Intel/AMD RAPL energy counters through the kernel's powercap sysfs.

Layout (Documentation/power/powercap/powercap.rst and Documentation/ABI/testing/sysfs-class-powercap,
https://docs.kernel.org/power/powercap/powercap.html): /sys/class/powercap/intel-rapl:<P> is a package
zone (name "package-<P>"), intel-rapl:<P>:<N> its subzones ("core", "uncore", "dram"), intel-rapl:<N>
named "psys" is the platform. Each zone has energy_uj, a monotonically increasing counter in microjoules
that wraps at max_energy_range_uj. core/uncore are parts of the package; dram is not, so a window's
energy is sum(package) + sum(dram). AMD Zen exposes package zones through the same driver.

Since Linux 5.10 energy_uj is mode 0400 (root only), the fix for the PLATYPUS power side channel
(CVE-2020-8694); that case is detected and named rather than reported as "no sensor".
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ...errors import EdgekdError
from .base import MEASURED, EnergyReading, EnergySource, read_sysfs

_ZONE_DIR = re.compile(r"^intel-rapl:(\d+)(?::(\d+))?$")
ROOT_ONLY_HINT = (
    "readable by root only (Linux >= 5.10 restricts energy_uj since CVE-2020-8694); run as root or "
    "grant read access, e.g. `sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj`"
)


@dataclass(frozen=True)
class RaplZone:
    path: Path
    name: str  # "package-0", "dram", "core", "uncore", "psys"
    max_range_uj: int

    @property
    def counted(self) -> bool:
        """Zones whose sum is the window's energy (core/uncore are inside the package, psys overlaps)."""
        return self.name.startswith("package") or self.name == "dram"

    @property
    def key(self) -> str:
        return f"{self.path.name}:{self.name}"


def find_rapl_zones(root: Path | str = "/", reader: Callable[[Path], str] = read_sysfs) -> list[RaplZone]:
    """Every RAPL zone with an energy counter under <root>/sys/class/powercap (sorted by path)."""
    base = Path(root) / "sys" / "class" / "powercap"
    zones = []
    if not base.is_dir():
        return zones
    for d in sorted(base.iterdir()):
        if not _ZONE_DIR.match(d.name) or not (d / "energy_uj").exists():
            continue
        try:
            name = reader(d / "name")
            max_range = int(reader(d / "max_energy_range_uj"))
        except (OSError, ValueError):
            continue
        zones.append(RaplZone(d, name, max_range))
    return zones


def counter_delta(before: int, after: int, max_range_uj: int) -> int:
    """Microjoules between two readings of a counter that wraps to 0 after max_range_uj. One wrap at most
    can be told apart; the package counters take tens of minutes to wrap at full load."""
    d = after - before
    return d + max_range_uj if d < 0 else d


class RaplSource(EnergySource):
    name = "rapl"
    kind = MEASURED

    def __init__(self, root: Path | str = "/", reader: Callable[[Path], str] = read_sysfs):
        self._reader = reader
        all_zones = find_rapl_zones(root, reader)
        if not all_zones:
            raise EdgekdError(f"RAPL: no zones with energy_uj under {Path(root) / 'sys/class/powercap'}")
        self.zones = [z for z in all_zones if z.counted] or all_zones
        self.extra_zones = [z for z in all_zones if z not in self.zones]
        # Fail now, with the reason, rather than in the middle of a benchmark.
        self._read_all()
        self._start: dict[str, int] = {}
        self._t0 = 0.0

    @property
    def description(self) -> str:
        return "RAPL " + " + ".join(z.name for z in self.zones) + f" ({self.zones[0].path.parent})"

    def _read_all(self) -> dict[str, int]:
        out = {}
        for z in self.zones + self.extra_zones:
            path = z.path / "energy_uj"
            try:
                out[z.key] = int(self._reader(path))
            except PermissionError:
                raise EdgekdError(f"RAPL: {path} is {ROOT_ONLY_HINT}") from None
            except (OSError, ValueError) as e:
                raise EdgekdError(f"RAPL: cannot read {path}: {e}") from None
        return out

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._start = self._read_all()

    def stop(self) -> EnergyReading:
        end = self._read_all()
        seconds = time.monotonic() - self._t0
        if not self._start:
            raise EdgekdError("energy source rapl: stop() without start()")
        rails = {}
        for z in self.zones + self.extra_zones:
            rails[z.key] = counter_delta(self._start[z.key], end[z.key], z.max_range_uj) / 1e6
        total = sum(rails[z.key] for z in self.zones)
        self._start = {}
        return EnergyReading(total, seconds, rails, 2)
