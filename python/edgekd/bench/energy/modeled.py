"""No sensor: energy from the device profile's power model (idle W + W per busy core), labelled
"modeled" everywhere it appears. It is an estimate of what the device would draw, not a measurement."""
from __future__ import annotations

import time

from ...devices import DeviceProfile
from .base import MODELED, EnergyReading, EnergySource


class ModeledSource(EnergySource):
    name = "modeled"
    kind = MODELED

    def __init__(self, profile: DeviceProfile, active_cores: int = 1, power_mode: str | None = None):
        self.profile = profile
        self.mode = profile.power_mode(power_mode)
        self.model = profile.power_model(power_mode)
        self.max_cores = self.mode.cores if self.mode else profile.cores
        self.active_cores = active_cores
        self._t0 = 0.0

    @property
    def description(self) -> str:
        m = self.model
        mode = f" {self.mode.name} mode" if self.mode else ""
        tag = "estimate" if m.estimate else "figures"
        return (f"power model of device profile {self.profile.name}{mode}: {m.idle_w:g} W idle + "
                f"{m.active_core_w:g} W x {self.cores_used} busy core(s) ({tag}; source: {m.source})")

    @property
    def label(self) -> str:
        return f"modeled ({self.profile.name} profile)"

    @property
    def cores_used(self) -> int:
        return max(1, min(int(self.active_cores), self.max_cores))

    def start(self) -> None:
        self._t0 = time.monotonic()

    def stop(self) -> EnergyReading:
        seconds = time.monotonic() - self._t0
        return self.reading_for(seconds)

    def reading_for(self, seconds: float) -> EnergyReading:
        idle = self.model.idle_w * seconds
        cores = self.model.active_core_w * self.cores_used * seconds
        return EnergyReading(idle + cores, seconds, {"idle": idle, "cores": cores}, 0)
