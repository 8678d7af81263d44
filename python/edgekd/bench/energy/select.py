"""Pick the best energy source this machine offers, measure the idle baseline, and label every result.

Order: an external meter's log (it sees the whole board) > RAPL > Jetson INA3221 (sysfs) > tegrastats >
Raspberry Pi 5 PMIC (lower bound) > the device profile's power model ("modeled"). Every source that was
tried and skipped leaves a note saying why (a root-only RAPL counter, a missing vcgencmd, ...).

Environment (used when the arguments are not given; the bench worker only passes the device):
  EDGEKD_ENERGY_SOURCE     force one: rapl, ina3221, tegrastats, pmic, meter-csv, modeled, none
  EDGEKD_ENERGY_METER_CSV  path of an external meter's CSV log
  EDGEKD_SYSFS_ROOT        read /sys (and /proc/device-tree) under this directory instead of /
  EDGEKD_ENERGY_IDLE_S     seconds of idle baseline before a measured window (default 1; 0 = none)
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from ...devices import DeviceProfile, load_profile
from ...devices.detect import detect_host_profile
from ...errors import EdgekdError
from .base import MODELED, EnergyResult, EnergySource
from .ina3221 import Ina3221Source, find_ina3221_rails
from .meter_csv import MeterCsvSource
from .modeled import ModeledSource
from .pmic import PmicSource
from .rapl import RaplSource, find_rapl_zones
from .tegrastats import TegrastatsSource

SOURCES = ("meter-csv", "rapl", "ina3221", "tegrastats", "pmic", "modeled")


def _sysfs_root(root: Path | str | None) -> Path:
    return Path(root if root is not None else os.environ.get("EDGEKD_SYSFS_ROOT", "/"))


def select_source(profile: DeviceProfile | str | None = None, *, root: Path | str | None = None,
                  meter_csv: Path | str | None = None, force: str | None = None, threads: int = 1,
                  power_mode: str | None = None) -> tuple[EnergySource | None, list[str]]:
    """(the source to use or None, notes on every source that was skipped and why)."""
    root = _sysfs_root(root)
    force = force if force is not None else (os.environ.get("EDGEKD_ENERGY_SOURCE") or None)
    meter_csv = meter_csv if meter_csv is not None else (os.environ.get("EDGEKD_ENERGY_METER_CSV") or None)
    if isinstance(profile, str):
        profile = load_profile(profile)
    if force is not None and force not in SOURCES + ("none",):
        raise EdgekdError(f"EDGEKD_ENERGY_SOURCE={force!r} is not one of {', '.join(SOURCES)}, none")
    if force == "none":
        return None, ["energy measurement switched off (EDGEKD_ENERGY_SOURCE=none)"]
    notes: list[str] = []

    def attempt(name: str, make) -> EnergySource | None:  # noqa: ANN001
        if force is not None and force != name:
            return None
        try:
            return make()
        except EdgekdError as e:
            if force == name:
                raise
            notes.append(str(e))
            return None

    def meter() -> EnergySource | None:
        if meter_csv is None:
            if force == "meter-csv":
                raise EdgekdError("meter-csv: no log given (EDGEKD_ENERGY_METER_CSV)")
            return None
        return MeterCsvSource(meter_csv)

    def rapl() -> EnergySource | None:
        if not find_rapl_zones(root) and force != "rapl":
            return None  # no RAPL at all is not worth a note
        return RaplSource(root)

    def ina() -> EnergySource | None:
        if not find_ina3221_rails(root) and force != "ina3221":
            return None
        return Ina3221Source(root)

    def tegra() -> EnergySource | None:
        if shutil.which("tegrastats") is None and force != "tegrastats":
            return None
        return TegrastatsSource()

    def pmic() -> EnergySource | None:
        if shutil.which("vcgencmd") is None and force != "pmic":
            return None
        return PmicSource()

    def modeled() -> EnergySource | None:
        if profile is None:
            raise EdgekdError("modeled: no device profile to model from (pass --device)")
        return ModeledSource(profile, active_cores=threads, power_mode=power_mode)  # type: ignore[arg-type]

    for name, make in (("meter-csv", meter), ("rapl", rapl), ("ina3221", ina), ("tegrastats", tegra),
                       ("pmic", pmic), ("modeled", modeled)):
        src = attempt(name, make)
        if src is not None:
            return src, notes
    return None, notes


class EnergyMeter:
    """An energy source with an idle baseline: measure_idle(), then start() ... stop(inferences)."""

    def __init__(self, source: EnergySource, notes: list[str] | None = None,
                 profile: DeviceProfile | None = None):
        self.source = source
        self.notes = list(notes or [])
        self.idle_w: float | None = None
        here = _machine_arch()
        if profile is not None and here not in (None, profile.arch):
            if source.kind == MODELED:
                self.notes.append(f"the {profile.name} power model applied to timings taken on this {here} "
                                  "machine, not on the device")
            else:
                self.notes.append(f"energy is measured on this {here} machine, not on a {profile.name}")

    def measure_idle(self, seconds: float = 1.0) -> float | None:
        """Baseline power with nothing running, subtracted from every window (the model's idle figure for
        a modeled source). The source's own sampler runs meanwhile, so its overhead cancels out."""
        if isinstance(self.source, ModeledSource):
            self.idle_w = self.source.model.idle_w
            return self.idle_w
        if seconds <= 0:
            return None
        self.source.start()
        time.sleep(seconds)
        r = self.source.stop()
        self.idle_w = r.joules / r.seconds if r.seconds > 0 else None
        return self.idle_w

    def start(self) -> None:
        self.source.start()

    def stop(self, inferences: int | None = None, threads: int | None = None) -> EnergyResult:
        if threads is not None and isinstance(self.source, ModeledSource):
            self.source.active_cores = threads
        r = self.source.stop()
        notes = list(self.notes)
        if self.idle_w is None and self.source.kind != MODELED:
            notes.append("no idle baseline: energy includes the idle draw")
        if self.idle_w is not None and r.joules - self.idle_w * r.seconds < 0:
            notes.append("energy above idle is below the sensor's noise (negative)")
        return EnergyResult(self.source.name, self.source.kind, self.source.description, r.seconds, r.joules,
                            self.idle_w, inferences, r.rails, tuple(notes), label=self.source.label)

    def close(self) -> None:
        self.source.close()


def _machine_arch() -> str | None:
    import platform

    m = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(m)


def open_meter(device: str | DeviceProfile | None = None, *, threads: int = 1, root: Path | str | None = None,
               meter_csv: Path | str | None = None, force: str | None = None, idle_seconds: float | None = None,
               power_mode: str | None = None) -> EnergyMeter | None:
    """The auto-selected source with its idle baseline measured, or None when nothing can give energy.
    Without a device, the profile of this machine (board model, or x86-64) backs the modeled fallback."""
    root = _sysfs_root(root)
    profile: DeviceProfile | None
    if device is None:
        name = detect_host_profile(root)
        profile = load_profile(name) if name else None
    else:
        profile = load_profile(device) if isinstance(device, str) else device
    source, notes = select_source(profile, root=root, meter_csv=meter_csv, force=force, threads=threads,
                                  power_mode=power_mode)
    if source is None:
        return None
    meter = EnergyMeter(source, notes, profile)
    if idle_seconds is None:
        idle_seconds = float(os.environ.get("EDGEKD_ENERGY_IDLE_S", "1.0"))
    meter.measure_idle(idle_seconds)
    return meter
