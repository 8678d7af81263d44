"""The device wheel (`edgekd deploy --device rpi4 --wheel`): its format (RECORD, tags, metadata, layout)
checked offline, its failure messages, and end to end: cross-built for the Pi 4, installed by pip for
cp311/linux_aarch64, imported by Debian's arm64 Python 3.11 under qemu, selecting `neon` on a Cortex-A72
and `neondot` on a Cortex-A76, and running a model with outputs equal to the host's bit for bit."""
from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from edgekd.deploy import wheel as dw
from edgekd.deploy.sysroot import STAMP, Sysroot, prepare_sysroot
from edgekd.devices.profile import load_profile
from edgekd.errors import EdgekdError

DEBIAN_SYSCONFIG = ("build_time_vars = {'EXT_SUFFIX': '.cpython-311-aarch64-linux-gnu.so',\n"
                    " 'SOABI': 'cpython-311-aarch64-linux-gnu', 'MULTIARCH': 'aarch64-linux-gnu'}\n")


@pytest.fixture
def fake_target(tmp_path) -> tuple[Path, Sysroot]:
    """A build directory with stand-in binaries and a sysroot holding only what the wheel writer reads
    (the target's sysconfig data): enough to test the wheel's format without a cross build."""
    root = tmp_path / "sysroot"
    cfg = root / "usr" / "lib" / "python3.11"
    cfg.mkdir(parents=True)
    (cfg / "_sysconfigdata__aarch64-linux-gnu.py").write_text(DEBIAN_SYSCONFIG)
    build = tmp_path / "build"
    build.mkdir()
    (build / "_core.cpython-311-aarch64-linux-gnu.so").write_bytes(b"\x7fELF stand-in for _core")
    (build / "edgekd-run").write_bytes(b"\x7fELF stand-in for edgekd-run")
    return build, Sysroot(root, "3.11", {"libc6": "2.36-9+deb12u14", "python3.11": "3.11.2-6"})


def _wheel_text(whl: Path, suffix: str) -> str:
    with zipfile.ZipFile(whl) as z:
        name = next(n for n in z.namelist() if n.endswith(suffix))
        return z.read(name).decode()


def test_wheel_format_layout_and_pip_accepts_it(fake_target, tmp_path):
    build, sysroot = fake_target
    w = dw.assemble_wheel(load_profile("rpi4"), build, sysroot, tmp_path / "out")
    assert w.path.name == "edgekd-0.1.0+rpi4-cp311-cp311-linux_aarch64.whl"
    assert dw.check_record(w.path) == len(w.files) - 1  # every file but RECORD itself
    wheel_meta = _wheel_text(w.path, ".dist-info/WHEEL")
    assert "Tag: cp311-cp311-linux_aarch64" in wheel_meta and "Root-Is-Purelib: false" in wheel_meta
    meta = _wheel_text(w.path, ".dist-info/METADATA")
    assert "Name: edgekd" in meta and "Version: 0.1.0+rpi4" in meta
    assert "Requires-Dist: numpy>=1.22" in meta
    assert 'extra == "train"' in meta  # optional dependencies keep their extra
    assert "edgekd = edgekd.cli:main" in _wheel_text(w.path, ".dist-info/entry_points.txt")
    with zipfile.ZipFile(w.path) as z:
        names = set(z.namelist())
        mode = z.getinfo("edgekd/bin/edgekd-run").external_attr >> 16
    for expected in ("edgekd/__init__.py", "edgekd/runtime.py", "edgekd/_core.cpython-311-aarch64-linux-gnu.so",
                     "edgekd/_data/devices/rpi4.toml", "edgekd/_data/devices/toolchains/aarch64-linux-gnu.cmake",
                     "edgekd/_data/src/CMakeLists.txt", "edgekd/deploy/wheel.py"):
        assert expected in names, expected
    assert mode & 0o111, "edgekd-run must be executable"
    # Nothing built for this host may leak into the device wheel.
    assert not [n for n in names if "x86_64" in n or "__pycache__" in n or n.endswith(".pyc")]
    # The same inputs give the same bytes (fixed timestamps, sorted entries).
    again = dw.assemble_wheel(load_profile("rpi4"), build, sysroot, tmp_path / "again")
    assert again.path.read_bytes() == w.path.read_bytes()
    # pip, as for Pi OS's Python (cp311, linux_aarch64), installs it.
    dw.pip_install_for_target(w.path, tmp_path / "site", sysroot)
    assert (tmp_path / "site" / "edgekd" / "_core.cpython-311-aarch64-linux-gnu.so").is_file()
    assert list((tmp_path / "site").glob("edgekd-0.1.0+rpi4.dist-info/RECORD"))


def test_record_catches_a_modified_file(fake_target, tmp_path):
    build, sysroot = fake_target
    w = dw.assemble_wheel(load_profile("rpi4"), build, sysroot, tmp_path)
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(w.path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "edgekd/runtime.py":
                data += b"\n# changed after the RECORD was written\n"
            dst.writestr(info, data)
    with pytest.raises(EdgekdError, match=r"edgekd/runtime.py does not match its RECORD"):
        dw.check_record(bad)


def test_device_name_becomes_a_local_version_label():
    assert dw.local_version("0.1.0", "rpi4") == "0.1.0+rpi4"
    assert dw.local_version("0.1.0", "jetson-orin-nano") == "0.1.0+jetson.orin.nano"


def test_wheel_for_an_x86_profile_is_refused():
    with pytest.raises(EdgekdError, match=r"x86-64.*aarch64"):
        dw.deploy_wheel(load_profile("x86-64"))


def test_wheel_with_host_is_one_clear_error():
    with pytest.raises(EdgekdError, match=r"--wheel does not install over ssh"):
        dw.deploy_wheel(load_profile("rpi4"), host="pi@raspberrypi.local")


def test_cli_without_model_or_wheel_is_one_clear_error(capsys):
    from edgekd.cli import main

    assert main(["deploy", "--device", "rpi4"]) == 2
    err = capsys.readouterr().err
    assert "give the model to deploy (or --wheel" in err and "Traceback" not in err


@pytest.mark.skipif(shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None,
                    reason="needs Debian's apt-get and dpkg-deb")
def test_unreachable_archive_is_one_clear_error(tmp_path):
    # Port 9 (discard) on loopback refuses connections: apt fails fast, without touching the network.
    sources = tmp_path / "sources.list"
    sources.write_text("deb http://127.0.0.1:9/debian bookworm main\n")
    with pytest.raises(EdgekdError, match=r"not reachable"):
        prepare_sysroot(cache=tmp_path / "cache", sources=sources, log=lambda *a: None)
    # Nothing half-made is left where a later run would take it for a complete sysroot.
    assert not list((tmp_path / "cache").glob(f"sysroot-*/{STAMP}"))


_missing = [t for t in ("aarch64-linux-gnu-g++", "qemu-aarch64", "cmake", "apt-get", "dpkg-deb")
            if shutil.which(t) is None]


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.skipif(bool(_missing), reason=f"device wheel check needs {', '.join(_missing)} "
                    "(Debian: g++-aarch64-linux-gnu qemu-user cmake apt dpkg)")
def test_rpi4_wheel_imports_and_runs_under_qemu(tmp_path):
    """End to end. The arm64 sysroot (Debian packages), the numpy wheel and the cross build are cached
    under $EDGEKD_CACHE (~/.cache/edgekd): the first run downloads about 80 MB and compiles the core."""
    from edgekd.cli import main

    profile = load_profile("rpi4")
    t0 = time.monotonic()
    assert main(["deploy", "--device", "rpi4", "--wheel", "-o", str(tmp_path / "dist"),
                 "--json", str(tmp_path / "result.json")]) == 0
    whl = Path(json.loads((tmp_path / "result.json").read_text())["wheel"])
    assert whl.name == "edgekd-0.1.0+rpi4-cp311-cp311-linux_aarch64.whl" and whl.parent == tmp_path / "dist"
    sysroot = prepare_sysroot()
    with zipfile.ZipFile(whl) as z:
        core = z.read("edgekd/_core.cpython-311-aarch64-linux-gnu.so")
        runner = z.read("edgekd/bin/edgekd-run")
    # Really an aarch64 ELF (e_machine 183), dynamically using the sysroot's Python ABI.
    for blob in (core, runner):
        assert blob[:4] == b"\x7fELF" and int.from_bytes(blob[18:20], "little") == 183
    assert b"PyInit__core" in core
    # One Pi 4 (Cortex-A72, cortex-a72 tuned) wheel, run on a Pi 4 CPU and on a Pi 5 CPU: the runtime
    # picks the path from the CPU it finds, and both give the host's outputs.
    report = dw.verify_wheel(whl, profile, sysroot, cpus=[("cortex-a72", "neon"), ("cortex-a76", "neondot")])
    checks = {c["qemu_cpu"]: c for c in report["checks"]}
    assert checks["cortex-a72"]["model_path"] == "neon" and checks["cortex-a72"]["outputs_equal"]
    assert checks["cortex-a76"]["model_path"] == "neondot" and checks["cortex-a76"]["outputs_equal"]
    for c in checks.values():
        assert c["machine"] == "aarch64" and c["python"].startswith("3.11.")
        assert "neon" in c["cpu_info"]["supported_paths"]
        assert c["edgekd_version"] == "0.1.0"
    assert "neondot" not in checks["cortex-a72"]["cpu_info"]["supported_paths"]
    print(f"device wheel built and checked in {time.monotonic() - t0:.0f} s")


def test_cli_wheel_flag_reaches_the_wheel_builder(monkeypatch, tmp_path, capsys):
    """`edgekd deploy --device rpi4 --wheel -o DIR`: the CLI passes the request through and prints the
    wheel's path (the builder itself is covered above)."""
    from edgekd.cli import main

    seen = {}

    def fake_deploy_wheel(profile, model=None, out=None, emulate=False, host=None, log=print, progress=None):
        seen.update(device=profile.name, model=model, out=out, emulate=emulate)
        return {"wheel": str(out / "edgekd-0.1.0+rpi4-cp311-cp311-linux_aarch64.whl"), "device": profile.name}

    monkeypatch.setattr(dw, "deploy_wheel", fake_deploy_wheel)
    assert main(["deploy", "--device", "rpi4", "--wheel", "-o", str(tmp_path)]) == 0
    assert seen == {"device": "rpi4", "model": None, "out": tmp_path, "emulate": False}
    assert "edgekd-0.1.0+rpi4-cp311-cp311-linux_aarch64.whl" in capsys.readouterr().out
