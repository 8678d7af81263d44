"""Energy sources on fixture trees and captured outputs in the sensors' real formats
(tests/fixtures/energy/README.md), the idle baseline, automatic selection and the labels."""
from __future__ import annotations

import functools
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from edgekd.bench import energy_hook
from edgekd.bench.energy import (
    LOWER_BOUND,
    MEASURED,
    MODELED,
    EnergyMeter,
    EnergyReading,
    EnergySource,
    Ina3221Source,
    MeterCsvSource,
    ModeledSource,
    PmicSource,
    RaplSource,
    TegrastatsSource,
    counter_delta,
    energy_from_log,
    find_ina3221_rails,
    find_rapl_zones,
    integrate_window,
    open_meter,
    parse_pmic_read_adc,
    parse_tegrastats_line,
    read_meter_csv,
    select_source,
)
from edgekd.bench.energy import select as select_mod
from edgekd.devices import load_profile
from edgekd.devices.detect import detect_host_profile
from edgekd.errors import EdgekdError

FIX = Path(__file__).resolve().parent / "fixtures" / "energy"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for k in ("EDGEKD_ENERGY_SOURCE", "EDGEKD_ENERGY_METER_CSV", "EDGEKD_SYSFS_ROOT", "EDGEKD_ENERGY_IDLE_S",
              "EDGEKD_DEVICES_PATH"):
        monkeypatch.delenv(k, raising=False)
    # No real tegrastats / vcgencmd on the test machine may leak into selection.
    monkeypatch.setattr(select_mod.shutil, "which", lambda name: None)


def _tree(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(FIX / name, dst, symlinks=True)
    return dst


def _set(path: Path, value) -> None:  # noqa: ANN001
    path.write_text(f"{value}\n")


# --- integration helper ----------------------------------------------------------------------------

def test_integrate_window_trapezoids_and_edges():
    samples = [(0.0, {"a": 2.0}), (1.0, {"a": 4.0}), (2.0, {"a": 4.0, "b": 1.0}), (3.0, {"a": 0.0})]
    got = integrate_window(samples, 0.0, 3.0)
    assert got["a"] == pytest.approx(3.0 + 4.0 + 2.0)
    assert got["b"] == pytest.approx(3.0)  # one sample at 1 W, held over the whole 3 s window
    # A window inside the samples interpolates at its edges: a(0.5)=3, a(2.5)=2.
    assert integrate_window(samples, 0.5, 2.5)["a"] == pytest.approx(0.5 * 3.5 + 4.0 + 0.5 * 3.0)
    assert integrate_window(samples, 2.0, 2.0) == {}


# --- RAPL ------------------------------------------------------------------------------------------

def test_rapl_zones_of_an_intel_client():
    zones = {z.name: z for z in find_rapl_zones(FIX / "rapl-intel")}
    assert set(zones) == {"package-0", "core", "uncore", "dram", "psys"}
    assert {n for n, z in zones.items() if z.counted} == {"package-0", "dram"}
    assert zones["dram"].max_range_uj == 65712999613


def test_rapl_window_is_package_plus_dram(tmp_path):
    root = _tree(tmp_path, "rapl-intel")
    src = RaplSource(root)
    assert "package-0 + dram" in src.description
    src.start()
    pc = root / "sys/class/powercap"
    _set(pc / "intel-rapl:0/energy_uj", 81233156921 + 12_500_000)  # +12.5 J package
    _set(pc / "intel-rapl:0:0/energy_uj", 40233156000 + 9_000_000)  # core is inside the package
    _set(pc / "intel-rapl:0:2/energy_uj", 9456123456 + 1_500_000)  # +1.5 J DRAM
    _set(pc / "intel-rapl:1/energy_uj", 120456789012 + 20_000_000)  # psys overlaps: not counted
    r = src.stop()
    assert r.joules == pytest.approx(14.0)
    assert r.rails["intel-rapl:0:0:core"] == pytest.approx(9.0)
    assert r.rails["intel-rapl:1:psys"] == pytest.approx(20.0)


def test_rapl_counter_wraps_at_max_energy_range(tmp_path):
    assert counter_delta(100, 350, 1000) == 250
    assert counter_delta(900, 50, 1000) == 150
    root = _tree(tmp_path, "rapl-intel")
    pc = root / "sys/class/powercap"
    _set(pc / "intel-rapl:0/energy_uj", 262143328850 - 2_000_000)  # 2 J before the wrap
    src = RaplSource(root)
    src.start()
    _set(pc / "intel-rapl:0/energy_uj", 3_000_000)  # 3 J after it
    assert src.stop().joules == pytest.approx(5.0)


def test_rapl_amd_package_only():
    src = RaplSource(FIX / "rapl-amd")
    assert [z.name for z in src.zones] == ["package-0"]


def _root_only_reader(path: Path) -> str:
    if path.name == "energy_uj":
        raise PermissionError(13, "Permission denied", str(path))
    return path.read_text().strip()


def test_rapl_root_only_counter_is_named():
    with pytest.raises(EdgekdError) as ei:
        RaplSource(FIX / "rapl-intel", reader=_root_only_reader)
    msg = str(ei.value)
    assert "intel-rapl:0/energy_uj" in msg and "root only" in msg and "CVE-2020-8694" in msg


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads mode-0400 files anyway")
def test_rapl_root_only_with_real_permissions(tmp_path):
    root = _tree(tmp_path, "rapl-amd")
    (root / "sys/class/powercap/intel-rapl:0/energy_uj").chmod(0o000)  # unreadable for this (non-root) user
    with pytest.raises(EdgekdError, match="root only"):
        RaplSource(root)


def test_selection_notes_a_root_only_rapl_and_falls_back(monkeypatch):
    monkeypatch.setattr(select_mod, "RaplSource", functools.partial(RaplSource, reader=_root_only_reader))
    src, notes = select_source("x86-64", root=FIX / "rapl-intel")
    assert isinstance(src, ModeledSource)
    assert any("root only" in n for n in notes)


# --- Jetson INA3221 --------------------------------------------------------------------------------

def test_ina3221_jetpack4_iio_layout():
    src = Ina3221Source(FIX / "jetson-nano-jp4")
    assert [r.name for r in src.rails] == ["POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"]
    assert src.total_rail == "POM_5V_IN" and src.kind == MEASURED
    assert "JetPack 4 iio" in src.description
    assert src.read_power_w() == {"POM_5V_IN": 2.453, "POM_5V_GPU": 0.0, "POM_5V_CPU": 0.611}


def test_ina3221_jetpack5_hwmon_layout_found_once_through_symlinks():
    rails = find_ina3221_rails(FIX / "jetson-orin-nano-jp5")
    assert [r.name for r in rails] == ["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"]  # not the shunt sum, once
    src = Ina3221Source(FIX / "jetson-orin-nano-jp5")
    assert src.total_rail == "VDD_IN" and "JetPack 5+ hwmon" in src.description
    w = src.read_power_w()
    assert w["VDD_IN"] == pytest.approx(5.048 * 1.136)
    assert w["VDD_SOC"] == pytest.approx(5.040 * 0.280)


def test_ina3221_without_total_rail_is_a_lower_bound():
    src = Ina3221Source(FIX / "ina3221-no-total")
    assert src.total_rail is None and src.kind == LOWER_BOUND
    assert src.total_joules({"a": 1.0, "b": 2.0}) == 3.0


def test_ina3221_window_integrates_the_total_rail(tmp_path):
    root = _tree(tmp_path, "jetson-orin-nano-jp5")
    src = Ina3221Source(root)
    src.start()
    time.sleep(0.3)
    r = src.stop()
    assert r.samples >= 3
    assert r.joules == pytest.approx(5.048 * 1.136 * r.seconds, rel=1e-6)
    assert r.rails["VDD_SOC"] < r.joules  # sub-rails are recorded, not added


def test_ina3221_unreadable_rail_names_the_file():
    def deny(path: Path) -> str:
        if path.name == "curr1_input":
            raise PermissionError(13, "Permission denied", str(path))
        return path.read_text().strip()

    with pytest.raises(EdgekdError, match=r"curr1_input is not readable"):
        Ina3221Source(FIX / "jetson-orin-nano-jp5", reader=deny)


def test_selection_on_jetsons_picks_ina3221():
    for tree, profile in (("jetson-nano-jp4", "jetson-nano"), ("jetson-orin-nano-jp5", "jetson-orin-nano")):
        src, _ = select_source(profile, root=FIX / tree)
        assert isinstance(src, Ina3221Source), tree


# --- tegrastats ------------------------------------------------------------------------------------

def test_tegrastats_line_jetpack4():
    line = (FIX / "tegrastats/jetpack4-nano.log").read_text().splitlines()[0]
    assert parse_tegrastats_line(line) == {"POM_5V_IN": 1.189, "POM_5V_GPU": 0.0, "POM_5V_CPU": 0.119}


def test_tegrastats_line_jetpack5():
    line = (FIX / "tegrastats/jetpack5-orin-nano.log").read_text().splitlines()[1]
    assert parse_tegrastats_line(line) == {"VDD_IN": 8.731, "VDD_CPU_GPU_CV": 4.14, "VDD_SOC": 1.623}


def test_tegrastats_line_without_rails():
    assert parse_tegrastats_line("RAM 1904/3956MB (lfb 1x2MB) SWAP 0/1978MB (cached 0MB)") == {}


def test_tegrastats_captured_log():
    j = energy_from_log(FIX / "tegrastats/jetpack4-nano.log", interval_s=1.0)
    # samples at t=0..3 (held to t=4): 1189, 4180, 4220, 1230 mW
    assert j["POM_5V_IN"] == pytest.approx((1.189 + 4.18) / 2 + (4.18 + 4.22) / 2 + (4.22 + 1.23) / 2 + 1.23)


def test_tegrastats_source_runs_the_tool(tmp_path):
    fake = tmp_path / "tegrastats"
    fake.write_text("#!/bin/sh\nwhile true; do cat " + str(FIX / "tegrastats/jetpack5-orin-nano.log")
                    + "; sleep 0.05; done\n")
    fake.chmod(0o755)
    src = TegrastatsSource(command=[str(fake)])
    src.start()
    time.sleep(0.5)
    r = src.stop()
    assert r.samples >= 3
    assert 4.5 * r.seconds <= r.joules <= 8.8 * r.seconds
    assert "VDD_IN" in src.description and src.kind == MEASURED


# --- Raspberry Pi 5 PMIC ---------------------------------------------------------------------------

def test_pmic_read_adc_parsing():
    rails = parse_pmic_read_adc((FIX / "pmic/rpi5-pmic_read_adc.txt").read_text())
    assert len(rails) == 12 and "EXT5V" not in rails and "BATT" not in rails
    assert rails["VDD_CORE"] == pytest.approx(0.72415900 * 0.71745000)
    assert 1.0 < sum(rails.values()) < 2.0


def test_pmic_source_is_a_lower_bound():
    src = PmicSource(command=["cat", str(FIX / "pmic/rpi5-pmic_read_adc.txt")])
    assert src.kind == LOWER_BOUND and src.label == "pmic (lower bound)"
    assert "misses the 5 V input" in src.description
    total_w = sum(parse_pmic_read_adc((FIX / "pmic/rpi5-pmic_read_adc.txt").read_text()).values())
    src.start()
    time.sleep(0.25)
    r = src.stop()
    assert r.joules == pytest.approx(total_w * r.seconds, rel=1e-6)


def test_pmic_on_a_board_without_it():
    fake = [sys.executable, "-c", "print('error=1 error_msg=\"Command not registered\"'); raise SystemExit(255)"]
    with pytest.raises(EdgekdError, match="no rail readings.*Command not registered.*Raspberry Pi 5"):
        PmicSource(command=fake)


# --- external meter log ----------------------------------------------------------------------------

def test_meter_csv_volts_and_amps():
    samples = read_meter_csv(FIX / "meter/usb-meter-va.csv")
    assert len(samples) == 41 and samples[0] == (1764384000.0, pytest.approx(3.0))
    src = MeterCsvSource(FIX / "meter/usb-meter-va.csv")
    # 1 s at 3 W, the 0.1 s step from 3 W to 6 W, then 0.9 s at 6 W
    r = src.energy_between(1764384001.0, 1764384003.0)
    assert r.joules == pytest.approx(3.0 * 0.9 + 4.5 * 0.1 + 6.0 * 1.0)
    assert r.samples == 21


def test_meter_csv_iso_timestamps_and_milliwatts():
    samples = read_meter_csv(FIX / "meter/bench-supply-mw.csv")
    assert samples[0][1] == pytest.approx(2.0) and samples[-1][1] == pytest.approx(4.0)
    assert samples[1][0] - samples[0][0] == pytest.approx(0.5)
    r = MeterCsvSource(FIX / "meter/bench-supply-mw.csv").energy_between(samples[0][0], samples[-1][0])
    assert r.joules == pytest.approx((2.0 + 4.0) / 2 * 5.0)  # linear ramp over 5 s


def test_meter_csv_clock_mismatch_is_explained():
    with pytest.raises(EdgekdError, match="no samples between .*clocks agree"):
        MeterCsvSource(FIX / "meter/usb-meter-va.csv").energy_between(1.0, 2.0)


def test_meter_csv_bad_header(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("when,how much\n1,2\n")
    with pytest.raises(EdgekdError, match=r"m.csv: no time column"):
        read_meter_csv(bad)
    bad.write_text("time,temperature\n1,2\n")
    with pytest.raises(EdgekdError, match="needs a power column"):
        read_meter_csv(bad)
    bad.write_text("time,power (W)\n1,abc\n")
    with pytest.raises(EdgekdError, match="line 2"):
        read_meter_csv(bad)


def test_meter_csv_window_uses_wall_clock(tmp_path):
    log = tmp_path / "live.csv"
    now = time.time()
    log.write_text("time,power (W)\n" + "".join(f"{now - 5 + i * 0.1:.3f},2.5\n" for i in range(100)))
    src = MeterCsvSource(log)
    src.start()
    time.sleep(0.2)
    r = src.stop()
    assert r.joules == pytest.approx(2.5 * 0.2, rel=0.3)


# --- modeled ---------------------------------------------------------------------------------------

def test_modeled_from_the_profile():
    rpi4 = load_profile("rpi4")
    src = ModeledSource(rpi4, active_cores=8)  # capped at the board's 4 cores
    r = src.reading_for(2.0)
    assert r.joules == pytest.approx((2.7 + 0.93 * 4) * 2.0)
    assert src.kind == MODELED and src.label == "modeled (rpi4 profile)"
    assert "pidramble" in src.description


def test_modeled_jetson_power_mode_caps_cores():
    nano = load_profile("jetson-nano")
    src = ModeledSource(nano, active_cores=4, power_mode="5W")
    assert src.cores_used == 2
    assert src.reading_for(1.0).joules == pytest.approx(1.3 + 0.5 * 2)


def test_modeled_meter_subtracts_the_model_idle():
    meter = EnergyMeter(ModeledSource(load_profile("rpi5")))
    assert meter.measure_idle() == 3.0
    meter.start()
    time.sleep(0.1)
    res = meter.stop(inferences=10, threads=4)
    assert res.kind == MODELED and res.label == "modeled (rpi5 profile)"
    assert res.net_joules == pytest.approx(1.1 * 4 * res.seconds)
    assert res.joules_per_inference == pytest.approx(res.net_joules / 10)


# --- idle baseline ---------------------------------------------------------------------------------

class _StepSource(EnergySource):
    """A fake sensor: constant watts that the test changes between windows."""

    name = "fake"
    kind = MEASURED

    def __init__(self):
        self.watts = 2.0
        self._t0 = 0.0

    @property
    def description(self) -> str:
        return "fake sensor"

    def start(self) -> None:
        self._t0 = time.monotonic()

    def stop(self) -> EnergyReading:
        s = time.monotonic() - self._t0
        return EnergyReading(self.watts * s, s, {"total": self.watts * s}, 2)


def test_idle_baseline_is_measured_and_subtracted():
    src = _StepSource()
    meter = EnergyMeter(src)
    assert meter.measure_idle(0.05) == pytest.approx(2.0)
    src.watts = 5.0
    meter.start()
    time.sleep(0.1)
    res = meter.stop(inferences=4)
    assert res.idle_w == pytest.approx(2.0)
    assert res.net_joules == pytest.approx(3.0 * res.seconds)
    d = res.as_dict()
    assert d["source"] == "fake" and d["baseline_subtracted"] is True
    assert d["joules_per_inference"] == pytest.approx(3.0 * res.seconds / 4)
    assert d["joules_per_inference_total"] == pytest.approx(5.0 * res.seconds / 4)


def test_without_baseline_the_result_says_so():
    meter = EnergyMeter(_StepSource())
    meter.measure_idle(0)
    meter.start()
    res = meter.stop(inferences=1)
    assert res.net_joules is None and any("no idle baseline" in n for n in res.notes)


# --- selection -------------------------------------------------------------------------------------

def test_nothing_found_without_a_profile(tmp_path):
    src, notes = select_source(None, root=tmp_path)
    assert src is None and any("no device profile" in n for n in notes)


def test_meter_log_comes_first():
    src, _ = select_source("rpi4", root=FIX / "rapl-intel", meter_csv=FIX / "meter/usb-meter-va.csv")
    assert isinstance(src, MeterCsvSource)


def test_rapl_before_model():
    src, _ = select_source("x86-64", root=FIX / "rapl-intel")
    assert isinstance(src, RaplSource)


def test_pmic_found_through_vcgencmd(monkeypatch, tmp_path):
    fake = tmp_path / "vcgencmd"
    fake.write_text(f"#!/bin/sh\ncat {FIX / 'pmic/rpi5-pmic_read_adc.txt'}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(select_mod.shutil, "which", lambda name: str(fake) if name == "vcgencmd" else None)
    monkeypatch.setattr("edgekd.bench.energy.pmic.shutil.which",
                        lambda name: str(fake) if name == "vcgencmd" else None)
    src, _ = select_source("rpi5", root=tmp_path)
    assert isinstance(src, PmicSource)


def test_forcing_a_source(monkeypatch, tmp_path):
    with pytest.raises(EdgekdError, match="not one of"):
        select_source("rpi4", root=tmp_path, force="thermocouple")
    with pytest.raises(EdgekdError, match="RAPL: no zones"):
        select_source("rpi4", root=tmp_path, force="rapl")
    src, _ = select_source("x86-64", root=FIX / "rapl-intel", force="modeled")
    assert isinstance(src, ModeledSource)
    monkeypatch.setenv("EDGEKD_ENERGY_SOURCE", "none")
    assert select_source("rpi4", root=tmp_path)[0] is None


def test_host_profile_detection():
    assert detect_host_profile(FIX / "boards/rpi4") == "rpi4"
    assert detect_host_profile(FIX / "boards/rpi5") == "rpi5"
    assert detect_host_profile(FIX / "boards/zero2w") == "pi-zero-2w"
    assert detect_host_profile(FIX / "jetson-nano-jp4") == "jetson-nano"
    assert detect_host_profile(FIX / "jetson-orin-nano-jp5") == "jetson-orin-nano"


def test_open_meter_end_to_end_on_a_jetson_tree(tmp_path):
    root = _tree(tmp_path, "jetson-nano-jp4")
    meter = open_meter(root=root, idle_seconds=0.1)  # board found from the device tree
    assert meter is not None and isinstance(meter.source, Ina3221Source)
    assert meter.idle_w == pytest.approx(2.453)
    _set(root / "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0/in_power0_input", 4453)
    meter.start()
    time.sleep(0.2)
    res = meter.stop(inferences=100)
    meter.close()
    # The first sample may still see the idle value; the rest is 2 W above idle.
    assert 0.8 * 2.0 * res.seconds < res.net_joules <= 2.0 * res.seconds + 1e-9
    assert res.label == "ina3221"


def test_worker_hook_reports_the_source(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGEKD_SYSFS_ROOT", str(tmp_path))
    monkeypatch.setenv("EDGEKD_ENERGY_IDLE_S", "0")
    meter = energy_hook.open_meter("rpi4")
    meter.start()
    time.sleep(0.05)
    d = meter.stop(50, 2)
    assert d["source"] == "modeled (rpi4 profile)" and d["kind"] == "modeled"
    assert d["joules_per_inference"] == pytest.approx(0.93 * 2 * d["seconds"] / 50)
    monkeypatch.setenv("EDGEKD_ENERGY_SOURCE", "none")
    assert energy_hook.open_meter("rpi4") is None
