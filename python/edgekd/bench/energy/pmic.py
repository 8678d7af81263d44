"""Raspberry Pi 5: the PMIC's ADC through `vcgencmd pmic_read_adc`.

Output, one channel per line (firmware since late 2023):
       3V7_WL_SW_A current(0)=0.08653800A
        VDD_CORE_A current(7)=0.76584000A
       3V7_WL_SW_V volt(8)=3.71037600V
        VDD_CORE_V volt(15)=0.80912000V
           EXT5V_V volt(24)=5.12614000V
Rails come in <RAIL>_A / <RAIL>_V pairs; power is the sum of V*A over the pairs. The PMIC sees only
what it regulates: the 5 V input (EXT5V_V has no current channel), USB and the fan are outside, so the
sum is a lower bound of the board's power (one published Pi 5 reading: about 1.55 W summed over the
PMIC rails at idle, where USB-C input meters show about 3 W). vcgencmd needs the video group.
Each reading spawns a process, so it is sampled at a few hertz.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ...errors import EdgekdError
from .base import LOWER_BOUND, SampledPowerSource

_LINE = re.compile(r"^\s*(\S+)_([AV])\s+(?:current|volt)\(\d+\)=([0-9.eE+-]+)[AV]\s*$")


def parse_pmic_read_adc(text: str) -> dict[str, float]:
    """Watts per rail (V*A) from `vcgencmd pmic_read_adc` output; rails without both readings are left
    out (EXT5V, BATT)."""
    amps: dict[str, float] = {}
    volts: dict[str, float] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            rail, unit, value = m.group(1), m.group(2), float(m.group(3))
            (amps if unit == "A" else volts)[rail] = value
    return {rail: volts[rail] * amps[rail] for rail in sorted(amps) if rail in volts}


class PmicSource(SampledPowerSource):
    name = "pmic"
    kind = LOWER_BOUND
    interval_s = 0.2

    def __init__(self, command: list[str] | None = None):
        super().__init__()
        if command is None:
            exe = shutil.which("vcgencmd")
            if exe is None:
                raise EdgekdError("pmic: vcgencmd not found on PATH (Raspberry Pi OS: package raspi-utils)")
            command = [exe, "pmic_read_adc"]
        self.command = command
        rails = self.read_power_w()  # fails now, naming the reason, rather than mid-benchmark
        self.rail_names = tuple(rails)

    @property
    def description(self) -> str:
        cmd = " ".join([Path(self.command[0]).name, *self.command[1:]])
        return (f"Pi 5 PMIC rails via `{cmd}` (sum of {len(self.rail_names)} rails V*A; misses the 5 V input "
                "stage, USB and fan)")

    def read_power_w(self) -> dict[str, float]:
        try:
            r = subprocess.run(self.command, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise EdgekdError(f"pmic: cannot run {' '.join(self.command)}: {e}") from None
        rails = parse_pmic_read_adc(r.stdout)
        if r.returncode != 0 or not rails:
            msg = (r.stderr or r.stdout).strip().splitlines()
            hint = msg[-1] if msg else f"exit status {r.returncode}"
            raise EdgekdError(f"pmic: `{' '.join(self.command)}` gave no rail readings ({hint}); "
                              "a Raspberry Pi 5 and membership of the video group are needed")
        return rails
