"""Energy per inference from the machine's own sensors, or from the device profile's power model.

    meter = open_meter("rpi5", threads=4)      # picks the source, measures the idle baseline
    meter.start(); ...run N inferences...; result = meter.stop(inferences=N)
    result.label, result.joules_per_inference   # "pmic (lower bound)", joules above idle per inference

Sources: RAPL powercap (rapl.py), Jetson INA3221 in both layouts (ina3221.py), tegrastats (tegrastats.py),
Raspberry Pi 5 PMIC (pmic.py), an external meter's CSV log (meter_csv.py), the profile's power model
(modeled.py). select.py picks one and says why the others were skipped.
"""
from .base import LOWER_BOUND, MEASURED, MODELED, EnergyReading, EnergyResult, EnergySource, integrate_window
from .ina3221 import Ina3221Source, find_ina3221_rails
from .meter_csv import MeterCsvSource, read_meter_csv
from .modeled import ModeledSource
from .pmic import PmicSource, parse_pmic_read_adc
from .rapl import RaplSource, counter_delta, find_rapl_zones
from .select import EnergyMeter, open_meter, select_source
from .tegrastats import TegrastatsSource, energy_from_log, parse_tegrastats_line

__all__ = [
    "LOWER_BOUND", "MEASURED", "MODELED", "EnergyMeter", "EnergyReading", "EnergyResult", "EnergySource",
    "Ina3221Source", "MeterCsvSource", "ModeledSource", "PmicSource", "RaplSource", "TegrastatsSource",
    "counter_delta", "energy_from_log", "find_ina3221_rails", "find_rapl_zones", "integrate_window",
    "open_meter", "parse_pmic_read_adc", "parse_tegrastats_line", "read_meter_csv", "select_source",
]
