"""Device profiles: every shipped profile loads and is consistent; bad files fail naming file and key;
profiles are found in a checkout, in EDGEKD_DEVICES_PATH and inside a built (non-editable) wheel."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from edgekd.devices import list_profiles, load_profile, profile_names
from edgekd.devices import profile as profile_mod
from edgekd.errors import EdgekdError

REPO = Path(__file__).resolve().parents[1]
DEVICES = REPO / "devices"
SHIPPED = sorted(p.stem for p in DEVICES.glob("*.toml"))
ARM = [n for n in SHIPPED if load_profile(DEVICES / f"{n}.toml").arch == "aarch64"]


def test_the_issue_s_devices_are_shipped():
    for name in ("rpi4", "rpi5", "jetson-nano", "jetson-orin-nano", "x86-64", "pi-zero-2w"):
        assert name in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_profile_loads_and_is_consistent(name):
    p = load_profile(name)
    assert p.name == name and p.path.name == f"{name}.toml"
    assert p.cores >= 1 and p.clock_mhz >= 100 and p.min_ram_mb >= 256
    assert p.triple.startswith(p.arch)
    assert p.power.source, "every power model names where its figures come from"
    assert p.power.idle_w > 0 and p.power.active_core_w > 0
    full = p.power_model().watts(p.cores)
    # A board stays within its USB-C / barrel-jack supply (Pi 5: 27 W); a host within a desktop's.
    assert p.power.idle_w < full < (27 if p.arch == "aarch64" else 400)
    if p.arch == "aarch64":
        assert p.toolchain is not None and p.toolchain.is_file()
        assert p.mcpu and f"-mcpu={p.mcpu}" in p.cflags and p.qemu_cpu
    for m in p.power_modes:
        assert 1 <= m.cores <= p.cores and m.power.idle_w > 0


@pytest.mark.parametrize(
    "name,isa,qemu_cpu",
    [("rpi4", "neon", "cortex-a72"), ("rpi5", "neondot", "cortex-a76"), ("jetson-nano", "neon", "cortex-a57"),
     ("jetson-orin-nano", "neondot", "cortex-a76"), ("pi-zero-2w", "neon", "cortex-a53")],
)
def test_arm_profiles_select_the_right_path(name, isa, qemu_cpu):
    p = load_profile(name)
    assert p.isa == isa and p.qemu_cpu == qemu_cpu
    # What cpu_features() reports for the emulated CPU model: dotprod only from ARMv8.2 cores.
    supported = {"ref", "neon", "neondot"} if qemu_cpu == "cortex-a76" else {"ref", "neon"}
    assert p.expected_isa(supported) == isa


def test_x86_profile_takes_the_best_path_the_host_has():
    p = load_profile("x86-64")
    assert p.expected_isa({"ref", "avx2"}) == "avx2"
    assert p.expected_isa({"ref", "avx2", "avx512vnni"}) == "avx512vnni"
    with pytest.raises(EdgekdError, match="x86-64"):
        p.expected_isa({"ref"})


def test_jetson_power_modes():
    nano = load_profile("jetson-nano")
    assert [(m.name, m.nvpmodel_id, m.cores, m.clock_mhz) for m in nano.power_modes] == [
        ("MAXN", 0, 4, 1479), ("5W", 1, 2, 918)]
    assert nano.power_mode().name == "MAXN"
    assert nano.power_model("5w").watts(2) < nano.power_model().watts(4)
    orin = load_profile("jetson-orin-nano")
    assert {m.name: m.cores for m in orin.power_modes} == {"15W": 6, "7W": 4}
    assert orin.power_mode("1").name == "7W"  # by nvpmodel id
    with pytest.raises(EdgekdError, match="no power mode '30W'.*15W, 7W"):
        orin.power_mode("30W")
    with pytest.raises(EdgekdError, match="rpi4 has no power modes"):
        load_profile("rpi4").power_mode("MAXN")


@pytest.mark.skipif(shutil.which("qemu-aarch64") is None, reason="qemu-user not installed")
@pytest.mark.parametrize("name", ARM)
def test_qemu_knows_the_cpu_model(name):
    out = subprocess.run(["qemu-aarch64", "-cpu", "help"], capture_output=True, text=True).stdout
    assert load_profile(name).qemu_cpu in out.split()


@pytest.mark.skipif(shutil.which("aarch64-linux-gnu-g++") is None, reason="no aarch64 cross compiler")
@pytest.mark.parametrize("name", ARM)
def test_cross_compiler_accepts_the_flags(name, tmp_path):
    src = tmp_path / "t.cpp"
    src.write_text("#include <arm_neon.h>\nint32x4_t f(int32x4_t a, int32x4_t b) { return vaddq_s32(a, b); }\n")
    flags = list(load_profile(name).cflags)
    r = subprocess.run(["aarch64-linux-gnu-g++", *flags, "-Werror", "-c", str(src), "-o", str(tmp_path / "t.o")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_list_profiles_matches_the_directory():
    assert [p.name for p in list_profiles()] == SHIPPED
    assert profile_names() == SHIPPED


def test_unknown_device_names_the_known_ones():
    with pytest.raises(EdgekdError, match=r"unknown device 'rpi9' \(known: .*rpi4.*searched: "):
        load_profile("rpi9")


def test_load_by_path_and_missing_path(tmp_path):
    assert load_profile(str(DEVICES / "rpi5.toml")).name == "rpi5"
    with pytest.raises(EdgekdError, match="not found: .*nope.toml"):
        load_profile(tmp_path / "nope.toml")


# --- bad files ----------------------------------------------------------------------------------

def _write_variant(tmp_path: Path, edit, name: str = "rpi4") -> Path:
    text = (DEVICES / f"{name}.toml").read_text()
    new = edit(text)
    assert new != text, "the edit must change the file"
    # Keep the toolchain reference valid from the temporary directory.
    new = new.replace('toolchain = "toolchains/', f'toolchain = "{DEVICES}/toolchains/')
    path = tmp_path / f"{name}.toml"
    path.write_text(new)
    return path


@pytest.mark.parametrize(
    "edit,key,msg",
    [
        (lambda t: t.replace("cores = 4\n", ""), "cpu.cores", "missing"),
        (lambda t: t.replace("cores = 4", 'cores = "four"'), "cpu.cores", "expected an integer"),
        (lambda t: t.replace("cores = 4", "cores = 0"), "cpu.cores", "expected an integer >= 1"),
        (lambda t: t.replace('isa = "neon"', 'isa = "avx2"'), "target.isa", "not a SIMD path for aarch64"),
        (lambda t: t.replace('isa = "neon"', 'isa = "sse9"'), "target.isa", "not a SIMD path"),
        (lambda t: t.replace('sensor = "none"', 'sensor = "thermocouple"'), "energy.sensor", "not one of"),
        (lambda t: t.replace("clock_mhz = 1800", "clock_mhz = 1800\nclok_mhz = 1500"), "cpu.clok_mhz",
         "unknown key"),
        (lambda t: t.replace('name = "rpi4"', 'name = "rpi-four"'), "name", "does not match the file name"),
        (lambda t: t.replace("idle_w = 2.7", "idle_w = -1"), "power.idle_w", "expected a number >= 0"),
        (lambda t: t.replace("schema = 1", "schema = 7"), "schema", "unsupported version 7"),
        (lambda t: t.replace('cflags = ["-mcpu=cortex-a72"]', "cflags = []"), "target.cflags",
         "must contain -mcpu=cortex-a72"),
        (lambda t: t.replace("[power]\n", "[power]\nsource_url = 1\n"), "power.source_url", "unknown key"),
        (lambda t: t.replace("ram_mb = [1024, 2048, 4096, 8192]", "ram_mb = []"), "memory.ram_mb",
         "non-empty list"),
        (lambda t: t.replace("[memory]", "[memori]"), "memory", "missing"),
        (lambda t: t.replace('qemu_cpu = "cortex-a72"', ""), "target.qemu_cpu", "missing"),
    ],
)
def test_bad_profile_errors_name_file_and_key(tmp_path, edit, key, msg):
    path = _write_variant(tmp_path, edit)
    with pytest.raises(EdgekdError) as ei:
        load_profile(path)
    text = str(ei.value)
    assert str(path) in text and f"key '{key}'" in text and msg in text, text


def test_bad_power_mode_names_its_index(tmp_path):
    path = _write_variant(tmp_path, lambda t: t.replace("cores = 2\n", "cores = 8\n"), name="jetson-nano")
    with pytest.raises(EdgekdError, match=r"key 'power_modes\[1\]\.cores': 8 exceeds cpu.cores = 4"):
        load_profile(path)


def test_missing_toolchain_file_is_named(tmp_path):
    text = (DEVICES / "rpi4.toml").read_text().replace("toolchains/aarch64-linux-gnu.cmake", "toolchains/none.cmake")
    path = tmp_path / "rpi4.toml"
    path.write_text(text)
    with pytest.raises(EdgekdError, match=r"key 'target.toolchain': file .*toolchains/none.cmake does not exist"):
        load_profile(path)


def test_user_profile_may_name_a_shipped_toolchain(tmp_path):
    path = tmp_path / "rpi4.toml"
    path.write_text((DEVICES / "rpi4.toml").read_text())  # no toolchains/ next to it
    tc = load_profile(path).toolchain
    # The checkout's file, or the installed package's copy of it (a non-editable install, as in CI).
    assert tc.is_file() and tc.read_bytes() == (DEVICES / "toolchains/aarch64-linux-gnu.cmake").read_bytes()


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("schema = 1\nname = \n")
    with pytest.raises(EdgekdError, match=f"{path}: not valid TOML"):
        load_profile(path)


# --- where profiles are found --------------------------------------------------------------------

def test_user_directory_comes_first(tmp_path, monkeypatch):
    _write_variant(tmp_path, lambda t: t.replace("clock_mhz = 1800", "clock_mhz = 1500"))
    monkeypatch.setenv("EDGEKD_DEVICES_PATH", str(tmp_path))
    p = load_profile("rpi4")
    assert p.clock_mhz == 1500 and p.path.parent == tmp_path
    assert "rpi5" in profile_names()  # the others still come from the checkout


def test_packaged_directory_outside_a_checkout(tmp_path, monkeypatch):
    pkg = tmp_path / "edgekd" / "_data" / "devices"
    shutil.copytree(DEVICES, pkg)
    (pkg / "rpi5.toml").write_text((pkg / "rpi5.toml").read_text().replace("clock_mhz = 2400", "clock_mhz = 2000"))
    monkeypatch.delenv("EDGEKD_DEVICES_PATH", raising=False)
    monkeypatch.setattr(profile_mod, "_checkout_dir", lambda: None)
    monkeypatch.setattr(profile_mod, "_packaged_dir", lambda: pkg)
    p = load_profile("rpi5")
    assert p.path == pkg / "rpi5.toml" and p.clock_mhz == 2000
    assert p.toolchain == (pkg / "toolchains" / "aarch64-linux-gnu.cmake").resolve()


def test_checkout_wins_over_an_editable_install_s_snapshot(tmp_path, monkeypatch):
    if not Path(profile_mod.__file__).resolve().is_relative_to(REPO):
        pytest.skip("edgekd is installed, not imported from this checkout")
    stale = tmp_path / "site-packages" / "edgekd" / "_data" / "devices"
    shutil.copytree(DEVICES, stale)
    (stale / "rpi5.toml").write_text((stale / "rpi5.toml").read_text().replace("clock_mhz = 2400", "clock_mhz = 1"))
    monkeypatch.delenv("EDGEKD_DEVICES_PATH", raising=False)
    monkeypatch.setattr(profile_mod, "_packaged_dir", lambda: stale)
    p = load_profile("rpi5")
    assert p.path == DEVICES / "rpi5.toml" and p.clock_mhz == 2400


# --- the command ---------------------------------------------------------------------------------

def test_cli_lists_and_shows(capsys):
    from edgekd.cli import main

    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    for name in SHIPPED:
        assert name in out
    assert main(["devices", "show", "jetson-orin-nano"]) == 0
    out = capsys.readouterr().out
    assert "cortex-a78ae" in out and "7W" in out and "960 MHz" in out
    assert main(["devices", "show", "rpi9"]) == 2
    assert "unknown device 'rpi9'" in capsys.readouterr().err


def test_cli_json(capsys):
    import json

    from edgekd.cli import main

    assert main(["devices", "show", "rpi4", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["isas"] == ["neon"] and d["power"]["idle_w"] == 2.7


# --- a normal, non-editable install --------------------------------------------------------------

@pytest.mark.slow
def test_wheel_carries_the_profiles(tmp_path):
    """Build the wheel as a user's `pip install .` would and load a profile from it, outside the tree."""
    wheels = tmp_path / "whl"
    # Its own build dir: the editable install's build/{wheel_tag} cache stays untouched.
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", str(REPO),
                        "-w", str(wheels), "-C", f"build-dir={tmp_path / 'build'}"],
                       capture_output=True, text=True, timeout=3000)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (whl,) = wheels.glob("edgekd-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    for f in ("edgekd/_data/devices/rpi4.toml", "edgekd/_data/devices/jetson-orin-nano.toml",
              "edgekd/_data/devices/toolchains/aarch64-linux-gnu.cmake", "edgekd/devices/profile.py"):
        assert f in names, f
    # Unpack it and load a profile from there, with no site-packages .pth (so not the editable checkout)
    # and from another directory. The package is registered without running edgekd/__init__.py: this
    # checks where profiles are found, independently of the compiled core.
    site = tmp_path / "site"
    zipfile.ZipFile(whl).extractall(site)
    r = subprocess.run([sys.executable, "-S", "-c", _LOAD_FROM_UNPACKED_WHEEL, str(site)], cwd=tmp_path,
                       capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    pkg_file, prof, tc = r.stdout.split()
    assert pkg_file.startswith(str(site)) and prof == str(site / "edgekd/_data/devices/rpi4.toml")
    assert Path(tc).is_file() and str(REPO) not in tc


_LOAD_FROM_UNPACKED_WHEEL = """
import importlib.util, sys
site = sys.argv[1]
spec = importlib.util.spec_from_file_location("edgekd", f"{site}/edgekd/__init__.py",
                                              submodule_search_locations=[f"{site}/edgekd"])
sys.modules["edgekd"] = importlib.util.module_from_spec(spec)
from edgekd.devices import load_profile
import edgekd.devices.profile as prof
p = load_profile("rpi4")
print(prof.__file__); print(p.path); print(p.toolchain)
"""
