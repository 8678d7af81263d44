"""Jetson on-module INA3221 power monitors, in both kernel layouts, found by scanning sysfs.

JetPack 4 (L4T R32, Jetson Nano/TX2/Xavier), NVIDIA's iio driver "ina3221x":
    /sys/bus/i2c/drivers/ina3221x/<bus>-<addr>/iio:deviceN/rail_name_<c>       e.g. POM_5V_IN
                                                        in_power<c>_input       mW
                                                        in_current<c>_input     mA
                                                        in_voltage<c>_input     mV
    (NVIDIA L4T R32 Development Guide, "Power Management for Jetson Nano Devices"; Nano rails are
    POM_5V_IN, POM_5V_GPU, POM_5V_CPU.)
JetPack 5+ (L4T R35/R36, Orin), the upstream hwmon driver "ina3221" (Documentation/hwmon/ina3221.rst,
https://docs.kernel.org/hwmon/ina3221.html):
    /sys/bus/i2c/drivers/ina3221/<bus>-<addr>/hwmon/hwmonN/in<c>_label        e.g. VDD_IN
                                                           in<c>_input        bus voltage, mV
                                                           curr<c>_input      current, mA
    for channels c = 1..3 (in4..in6 are shunt voltages, in7/curr4 the shunt sum: not rails).
    Orin Nano rails are VDD_IN, VDD_CPU_GPU_CV, VDD_SOC.

The bus number and address differ between modules and releases, so nothing is hard-coded: every
ina3221x iio device and every hwmon device whose `name` is ina3221 is used. The board's total is the
POM_5V_IN (JetPack 4) or VDD_IN (JetPack 5+) rail; without one the rails are summed and the result is
labelled a lower bound.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ...errors import EdgekdError
from .base import LOWER_BOUND, MEASURED, SampledPowerSource, read_sysfs

TOTAL_RAILS = ("POM_5V_IN", "VDD_IN")


@dataclass(frozen=True)
class Rail:
    name: str
    layout: str  # "iio" (JetPack 4) or "hwmon" (JetPack 5+)
    power_mw: Path | None = None  # iio: power directly
    voltage_mv: Path | None = None  # hwmon: bus voltage ...
    current_ma: Path | None = None  # ... times current


def _iio_rails(dev: Path, reader: Callable[[Path], str]) -> list[Rail]:
    rails = []
    for f in sorted(dev.glob("rail_name_*")):
        c = f.name.rsplit("_", 1)[1]
        power = dev / f"in_power{c}_input"
        if power.exists():
            rails.append(Rail(reader(f), "iio", power_mw=power))
    return rails


def _hwmon_rails(dev: Path, reader: Callable[[Path], str]) -> list[Rail]:
    rails = []
    for c in (1, 2, 3):
        volt, curr = dev / f"in{c}_input", dev / f"curr{c}_input"
        if not (volt.exists() and curr.exists()):
            continue
        label = dev / f"in{c}_label"
        name = reader(label) if label.exists() else f"{dev.name}_in{c}"
        rails.append(Rail(name, "hwmon", voltage_mv=volt, current_ma=curr))
    return rails


def _name_is(dev: Path, names: tuple[str, ...], reader: Callable[[Path], str]) -> bool:
    try:
        return reader(dev / "name") in names
    except OSError:
        return False


def find_ina3221_rails(root: Path | str = "/", reader: Callable[[Path], str] = read_sysfs) -> list[Rail]:
    """Every INA3221 rail under <root>/sys, from both layouts; each device once."""
    sysfs = Path(root) / "sys"
    seen: set[str] = set()
    rails: list[Rail] = []

    def once(dev: Path) -> bool:
        key = os.path.realpath(dev)
        if key in seen:
            return False
        seen.add(key)
        return True

    iio = sorted(sysfs.glob("bus/i2c/drivers/ina3221x/*/iio:device*"))
    iio += sorted(sysfs.glob("bus/iio/devices/iio:device*"))
    for dev in iio:
        if dev.is_dir() and any(dev.glob("rail_name_*")) and once(dev):
            rails += _iio_rails(dev, reader)
    hwmon = sorted(sysfs.glob("bus/i2c/drivers/ina3221/*/hwmon/hwmon*"))
    hwmon += sorted(sysfs.glob("class/hwmon/hwmon*"))
    for dev in hwmon:
        if dev.is_dir() and _name_is(dev, ("ina3221",), reader) and once(dev):
            rails += _hwmon_rails(dev, reader)
    return rails


class Ina3221Source(SampledPowerSource):
    name = "ina3221"
    interval_s = 0.02  # the driver caches conversions; 50 Hz keeps short windows honest

    def __init__(self, root: Path | str = "/", reader: Callable[[Path], str] = read_sysfs):
        super().__init__()
        self._reader = reader
        self.rails = find_ina3221_rails(root, reader)
        if not self.rails:
            raise EdgekdError(f"INA3221: no ina3221x iio or ina3221 hwmon device under {Path(root) / 'sys'}")
        names = [r.name for r in self.rails]
        self.total_rail = next((n for n in TOTAL_RAILS if n in names), None)
        self.kind = MEASURED if self.total_rail else LOWER_BOUND
        try:
            self.read_power_w()
        except PermissionError as e:
            raise EdgekdError(f"INA3221: {e.filename} is not readable by this user; run as root") from None
        except OSError as e:
            raise EdgekdError(f"INA3221: cannot read {e.filename}: {e.strerror}") from None

    @property
    def description(self) -> str:
        layout = "JetPack 4 iio" if self.rails[0].layout == "iio" else "JetPack 5+ hwmon"
        what = f"total rail {self.total_rail}" if self.total_rail else "sum of rails (no total rail)"
        return f"INA3221 {layout}: {what}; rails {', '.join(r.name for r in self.rails)}"

    def read_power_w(self) -> dict[str, float]:
        out = {}
        for r in self.rails:
            if r.power_mw is not None:
                out[r.name] = int(self._reader(r.power_mw)) / 1e3
            else:
                mv = int(self._reader(r.voltage_mv))  # type: ignore[arg-type]
                ma = int(self._reader(r.current_ma))  # type: ignore[arg-type]
                out[r.name] = mv * ma / 1e6
        return out

    def total_joules(self, rails: dict[str, float]) -> float:
        if self.total_rail is not None:
            return rails.get(self.total_rail, 0.0)
        return sum(rails.values())
