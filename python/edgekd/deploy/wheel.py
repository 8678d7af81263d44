"""The device wheel: edgekd cross-built for an aarch64 device profile and Pi OS's Python 3.11.

``edgekd deploy --device rpi4 --wheel`` produces ``edgekd-0.1.0+rpi4-cp311-cp311-linux_aarch64.whl``:

1. an arm64 Debian root with Python 3.11 (deploy/sysroot.py) supplies the target's headers and
   sysconfig; CMake's FindPython queries the target interpreter itself, run under qemu-user as the
   toolchain file's CMAKE_CROSSCOMPILING_EMULATOR (policy CMP0190 NEW), so the include directory and the
   extension suffix (cpython-311-aarch64-linux-gnu) come from the target, not from this host's Python;
2. the root CMakeLists.txt builds ``_core`` and ``edgekd-run`` with the profile's toolchain and -mcpu
   (the build is cached under $EDGEKD_CACHE, keyed by sources, flags and sysroot);
3. the wheel is assembled here: the pure-Python package, ``_core``, ``bin/edgekd-run``, the device
   profiles and C++ sources under ``_data`` (the same layout as the wheel scikit-build-core builds on
   the host) and a dist-info with METADATA, WHEEL, entry_points.txt and RECORD (sha256 and size).

Why not scikit-build-core for the cross build: it derives the wheel tag and the extension suffix from
the Python that runs it, so it would need its host-specific settings overridden one by one; CMake plus
an explicit wheel writer keeps every target fact traceable to the sysroot.

Tag: ``linux_aarch64``, not manylinux. _core links the sysroot's libstdc++ (GCC 12, GLIBCXX_3.4.30) and
glibc 2.36 dynamically, which no auditwheel-checked manylinux policy promises; pip installs a
linux_aarch64 wheel on any aarch64 Linux, and this one is built for Debian 12 / Pi OS bookworm.
The version carries the device as a local label (``0.1.0+rpi4``, like torch's ``+cpu``): the whole
library is compiled with the profile's -mcpu, so an rpi5 (ARMv8.2) wheel is not an rpi4 wheel.

``verify_wheel`` installs the wheel and a numpy wheel for cp311/aarch64 (from PyPI, cached) with pip
for the target platform, then imports edgekd with the sysroot's arm64 Python under
``qemu-aarch64 -cpu <device CPU>``, checks the SIMD path it selects and runs a model, comparing every
output bit for bit with this host's ``edgekd.load`` on the same input.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..devices.profile import DeviceProfile
from ..errors import EdgekdError
from .build import _sources_digest, replaced_on_success, run_build_step, source_tree
from .bundle import default_mode
from .sysroot import Sysroot, cache_root, prepare_sysroot, qemu_python_command

PYBIND11_REQUIREMENT = "pybind11>=2.12"  # pyproject.toml's build-system.requires
WHEEL_GENERATOR = "edgekd.deploy.wheel"
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same wheel bytes


@dataclass(frozen=True)
class DeviceWheel:
    path: Path
    device: str
    version: str
    tag: str
    files: tuple[str, ...] = field(repr=False, default=())


# --- toolchain pieces ---------------------------------------------------------------------------------


def _check_target(profile: DeviceProfile) -> None:
    if profile.arch != "aarch64":
        raise EdgekdError(f"device {profile.name}: --wheel builds aarch64 wheels for Pi OS's Python; "
                          f"this profile is {profile.arch} (on the host, `pip install .` builds its wheel)")
    if profile.toolchain is None:
        raise EdgekdError(f"device {profile.name}: the profile names no CMake toolchain file")
    missing = [t for t in (f"{profile.triple}-g++", "qemu-aarch64", "cmake") if shutil.which(t) is None]
    if missing:
        raise EdgekdError(f"device {profile.name}: building the wheel needs {', '.join(missing)} "
                          f"(Debian: apt-get install g++-{profile.triple} qemu-user cmake)")


def _pip(args: Sequence[str], what: str) -> str:
    r = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                       capture_output=True, text=True)
    if r.returncode != 0:
        lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
        raise EdgekdError(f"{what} failed (pip exit {r.returncode}): " + " | ".join(lines[-3:]))
    return r.stdout


def pybind11_cmake_dir(cache: Path | None = None, log=print) -> Path:
    """pybind11's CMake config: the host's pybind11 package, or (a non-editable install has none: it
    was a build-only requirement) a pybind11 wheel fetched once into the cache. Header-only, so the
    host's copy serves the target."""
    try:
        import pybind11  # type: ignore[import-not-found]

        return Path(pybind11.get_cmake_dir())
    except ImportError:
        pass
    base = (cache or cache_root()) / "pybind11"
    found = sorted(base.glob("*/pybind11/share/cmake/pybind11"))
    if found:
        return found[-1]
    log(f"fetching {PYBIND11_REQUIREMENT} (headers and CMake config) into {base}")
    with tempfile.TemporaryDirectory() as td:
        _pip(["download", "--no-deps", "--only-binary=:all:", "-d", td, PYBIND11_REQUIREMENT],
             f"downloading {PYBIND11_REQUIREMENT}")
        whl = next(Path(td).glob("pybind11-*.whl"), None)
        if whl is None:
            raise EdgekdError(f"pip download {PYBIND11_REQUIREMENT} produced no wheel")
        dest = base / whl.stem
        tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=_mkdir(base)))
        with zipfile.ZipFile(whl) as z:
            z.extractall(tmp)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    return dest / "pybind11" / "share" / "cmake" / "pybind11"


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def cross_cmake_args(profile: DeviceProfile, sysroot: Sysroot, pybind11_dir: Path) -> list[str]:
    # CMAKE_CXX_FLAGS given on the command line replaces the toolchain's CMAKE_CXX_FLAGS_INIT, so the
    # profile's -mcpu goes in here explicitly. -idirafter: Debian's Python.h includes the arm64
    # pyconfig.h as <aarch64-linux-gnu/python3.11/pyconfig.h>; searched after the cross compiler's own
    # headers, the sysroot's include directory (which holds only Python's) can shadow nothing.
    cxx_flags = [*profile.cflags, "-idirafter", str(sysroot.header_root)]
    args = [
        "-DCMAKE_BUILD_TYPE=Release",
        f"-DCMAKE_TOOLCHAIN_FILE={profile.toolchain}",
        f"-DEDGEKD_SYSROOT={sysroot.root}",
        "-DEDGEKD_BUILD_PYTHON=ON", "-DEDGEKD_BUILD_TESTS=OFF", "-DEDGEKD_BUILD_TOOLS=ON",
        "-DCMAKE_CXX_FLAGS=" + " ".join(cxx_flags),
        # FindPython runs this interpreter through CMAKE_CROSSCOMPILING_EMULATOR (qemu -L sysroot).
        "-DCMAKE_POLICY_DEFAULT_CMP0190=NEW",
        f"-DPython_EXECUTABLE={sysroot.python}",
        "-DPYBIND11_USE_CROSSCOMPILING=ON",  # pybind11 must not run the target interpreter itself
        f"-Dpybind11_DIR={pybind11_dir}",
    ]
    if profile.mcpu:
        args.append(f"-DEDGEKD_TARGET_CPU={profile.mcpu}")
    return args


def cross_build_core(profile: DeviceProfile, sysroot: Sysroot, cache: Path | None = None,
                     jobs: int | None = None, log=print, progress=None) -> Path:
    """Builds (or reuses) _core and edgekd-run for ``profile``; returns the build directory."""
    _check_target(profile)
    cache = cache or cache_root()
    src = source_tree()
    args = cross_cmake_args(profile, sysroot, pybind11_cmake_dir(cache, log))
    if shutil.which("ninja"):
        args = ["-G", "Ninja", *args]
    key_text = _sources_digest(src) + " ".join(args) + json.dumps(sysroot.packages, sort_keys=True)
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    build_dir = cache / "wheel-build" / f"{profile.name}-{key}"
    suffix = sysroot.ext_suffix
    if (build_dir / f"_core{suffix}").is_file() and (build_dir / "edgekd-run").is_file():
        log(f"reusing cached cross build {build_dir}")
        return build_dir
    log(f"cross-building _core and edgekd-run for {profile.name} (-mcpu={profile.mcpu}, Python "
        f"{sysroot.python_version}, {suffix})")
    t0 = time.monotonic()
    tmp = build_dir.with_name(build_dir.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    steps = (["cmake", "-S", str(src), "-B", str(tmp), *args],
             ["cmake", "--build", str(tmp), "--target", "_core", "edgekd-run",
              "-j", str(jobs or os.cpu_count() or 2)])
    with replaced_on_success(build_dir, tmp):
        for cmd in steps:
            rc, lines = run_build_step(cmd, progress)
            if rc != 0:
                tail = "\n".join(lines[-20:])
                raise EdgekdError(f"cross-building the {profile.name} wheel failed at `{' '.join(cmd[:3])} ...`:"
                                  f"\n{tail}")
        if not (tmp / f"_core{suffix}").is_file():
            made = sorted(p.name for p in tmp.glob("_core*"))
            raise EdgekdError(f"the cross build made {made or 'no _core module'}, expected _core{suffix} "
                              "(the target Python's EXT_SUFFIX)")
    # Builds of older sources for this device are never reused: keep the cache from growing per edit.
    stale = re.compile(re.escape(profile.name) + r"-[0-9a-f]{16}")
    for old in build_dir.parent.iterdir():
        if old != build_dir and stale.fullmatch(old.name):
            shutil.rmtree(old, ignore_errors=True)
    log(f"cross build done in {time.monotonic() - t0:.0f} s")
    return build_dir


# --- the wheel ------------------------------------------------------------------------------------------


def _package_dir() -> Path:
    return Path(__file__).resolve().parents[1]  # .../edgekd


def local_version(version: str, device: str) -> str:
    label = re.sub(r"[^a-z0-9]+", ".", device.lower()).strip(".")
    return f"{version}+{label}" if label else version


def python_tag(sysroot: Sysroot) -> str:
    soabi = sysroot.sysconfig_vars().get("SOABI", "")
    m = re.match(r"cpython-(\d)(\d+)", soabi)
    if not m:
        raise EdgekdError(f"{sysroot.root}: unexpected SOABI {soabi!r} (expected cpython-3XY-...)")
    return f"cp{m.group(1)}{m.group(2)}"


def _project_metadata() -> tuple[str, str, list[str], str]:
    """(name, version, METADATA lines without Name/Version, entry_points.txt): from pyproject.toml in a
    checkout, or from the installed distribution's own dist-info otherwise."""
    pyproject = source_tree() / "pyproject.toml"
    if pyproject.is_file():
        from ..devices.profile import tomllib

        proj = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        lines = [f"Summary: {proj.get('description', '')}"]
        lic = proj.get("license")
        if isinstance(lic, dict) and lic.get("text"):
            lines.append(f"License: {lic['text']}")
        if proj.get("requires-python"):
            lines.append(f"Requires-Python: {proj['requires-python']}")
        lines += [f"Requires-Dist: {r}" for r in proj.get("dependencies", [])]
        for extra, reqs in proj.get("optional-dependencies", {}).items():
            lines.append(f"Provides-Extra: {extra}")
            for r in reqs:
                req, _, marker = r.partition(";")
                cond = f'({marker.strip()}) and extra == "{extra}"' if marker.strip() else f'extra == "{extra}"'
                lines.append(f"Requires-Dist: {req.strip()}; {cond}")
        scripts = proj.get("scripts", {})
        eps = ("[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())) if scripts else ""
        return proj["name"], proj["version"], lines, eps
    from importlib import metadata

    try:
        dist = metadata.distribution("edgekd")
    except metadata.PackageNotFoundError:
        raise EdgekdError("no pyproject.toml and no installed edgekd metadata to build the wheel from") from None
    text = dist.read_text("METADATA") or ""
    head = text.split("\n\n", 1)[0]  # headers only; the description body is not needed on the device
    lines = [ln for ln in head.splitlines()
             if ln and not ln.startswith(("Metadata-Version:", "Name:", "Version:", "Description-Content-Type:",
                                                   " ", "\t"))]
    return dist.metadata["Name"], dist.version, lines, dist.read_text("entry_points.txt") or ""


def _skip(rel: Path) -> bool:
    parts = rel.parts
    return ("__pycache__" in parts or rel.suffix in (".pyc", ".so", ".pyd", ".dylib")
            or parts[0] in ("_data", "bin"))


def wheel_contents(build_dir: Path, sysroot: Sysroot) -> dict[str, tuple[Path, bool]]:
    """arcname -> (file, executable), laid out like the wheel scikit-build-core builds on the host."""
    pkg, src = _package_dir(), source_tree()
    files: dict[str, tuple[Path, bool]] = {}
    for p in sorted(pkg.rglob("*")):
        rel = p.relative_to(pkg)
        if p.is_file() and not _skip(rel):
            files[f"edgekd/{rel.as_posix()}"] = (p, False)
    core = build_dir / f"_core{sysroot.ext_suffix}"
    files[f"edgekd/{core.name}"] = (core, False)
    files["edgekd/bin/edgekd-run"] = (build_dir / "edgekd-run", True)
    devices = src / "devices" if (src / "devices").is_dir() else pkg / "_data" / "devices"
    for p in sorted(devices.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            files[f"edgekd/_data/devices/{p.relative_to(devices).as_posix()}"] = (p, False)
    files["edgekd/_data/src/CMakeLists.txt"] = (src / "CMakeLists.txt", False)
    for p in sorted((src / "csrc").rglob("*")):
        rel = p.relative_to(src)
        if p.is_file() and not rel.as_posix().startswith("csrc/tests/corpus/"):
            files[f"edgekd/_data/src/{rel.as_posix()}"] = (p, False)
    return files


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _zip_add(z: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    z.writestr(info, data)


def assemble_wheel(profile: DeviceProfile, build_dir: Path, sysroot: Sysroot, out_dir: Path) -> DeviceWheel:
    name, version, meta_lines, entry_points = _project_metadata()
    version = local_version(version, profile.name)
    tag = f"{python_tag(sysroot)}-{python_tag(sysroot)}-linux_aarch64"
    dist = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}"
    dist_info = f"{dist}.dist-info"
    metadata = "\n".join(["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *meta_lines]) + "\n"
    wheel_meta = (f"Wheel-Version: 1.0\nGenerator: {WHEEL_GENERATOR}\nRoot-Is-Purelib: false\nTag: {tag}\n")
    build_info = json.dumps({"device": profile.name, "mcpu": profile.mcpu, "cflags": list(profile.cflags),
                             "isa": list(profile.isas), "python": sysroot.python_version,
                             "ext_suffix": sysroot.ext_suffix, "sysroot_packages": sysroot.packages},
                            indent=2, sort_keys=True) + "\n"

    entries: list[tuple[str, bytes, bool]] = []
    for arc, (path, exe) in sorted(wheel_contents(build_dir, sysroot).items()):
        try:
            entries.append((arc, path.read_bytes(), exe))
        except OSError as e:
            raise EdgekdError(f"{path}: cannot read it for the wheel ({e.strerror or e})") from None
    entries.append((f"{dist_info}/METADATA", metadata.encode(), False))
    entries.append((f"{dist_info}/WHEEL", wheel_meta.encode(), False))
    if entry_points:
        entries.append((f"{dist_info}/entry_points.txt", entry_points.encode(), False))
    entries.append((f"{dist_info}/edgekd_device.json", build_info.encode(), False))
    record = io.StringIO()
    w = csv.writer(record, lineterminator="\n")
    for arc, data, _ in entries:
        w.writerow([arc, _record_hash(data), len(data)])
    w.writerow([f"{dist_info}/RECORD", "", ""])
    entries.append((f"{dist_info}/RECORD", record.getvalue().encode(), False))

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{dist}-{tag}.whl"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", dir=out_dir)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w") as z:
            for arc, data, exe in entries:
                _zip_add(z, arc, data, exe)
        os.chmod(tmp_name, default_mode())
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return DeviceWheel(final, profile.name, version, tag, tuple(a for a, _, _ in entries))


def check_record(wheel: Path) -> int:
    """Checks every file of ``wheel`` against its RECORD (hash and size); returns the count checked."""
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        rec_name = next((n for n in names if n.endswith(".dist-info/RECORD")), None)
        if rec_name is None:
            raise EdgekdError(f"{wheel}: no RECORD")
        rows = list(csv.reader(io.StringIO(z.read(rec_name).decode())))
        listed = {r[0] for r in rows}
        if set(names) != listed:
            raise EdgekdError(f"{wheel}: RECORD and archive differ: {sorted(set(names) ^ listed)[:5]}")
        n = 0
        for arc, digest, size in rows:
            if arc == rec_name:
                continue
            data = z.read(arc)
            if digest != _record_hash(data) or int(size) != len(data):
                raise EdgekdError(f"{wheel}: {arc} does not match its RECORD entry")
            n += 1
    return n


def build_device_wheel(profile: DeviceProfile, out_dir: Path, cache: Path | None = None,
                       jobs: int | None = None, log=print, progress=None) -> tuple[DeviceWheel, Sysroot]:
    _check_target(profile)
    sysroot = prepare_sysroot(cache, log=log)
    build_dir = cross_build_core(profile, sysroot, cache, jobs=jobs, log=log, progress=progress)
    w = assemble_wheel(profile, build_dir, sysroot, out_dir)
    log(f"wheel: {w.path} ({len(w.files)} files, {w.path.stat().st_size / 1e6:.1f} MB)")
    return w, sysroot


# --- verification under qemu ------------------------------------------------------------------------


def numpy_for_target(sysroot: Sysroot, cache: Path | None = None, requirement: str = "numpy>=1.22",
                     log=print) -> Path:
    """A directory with numpy for the target (cp311, manylinux aarch64 up to the sysroot's glibc),
    installed from PyPI's wheel by pip for that platform; cached."""
    cache = cache or cache_root()
    tag = python_tag(sysroot)
    wheels = cache / f"wheels-aarch64-{tag}"
    have = sorted(wheels.glob(f"numpy-*-{tag}-{tag}-*aarch64*.whl"))
    if not have:
        major, minor = sysroot.glibc_version
        platforms: list[str] = []
        for m in range(minor, 16, -1):  # pip does not widen manylinux_2_X to lower X by itself
            platforms += ["--platform", f"manylinux_{major}_{m}_aarch64"]
        platforms += ["--platform", "manylinux2014_aarch64"]
        log(f"fetching a numpy wheel for {tag} aarch64 (glibc {major}.{minor}) into {wheels}")
        _pip(["download", "--no-deps", "--only-binary=:all:", *platforms,
              "--python-version", sysroot.python_version, "--implementation", "cp", "--abi", tag,
              "-d", str(wheels), requirement], "downloading numpy for aarch64")
        have = sorted(wheels.glob(f"numpy-*-{tag}-{tag}-*aarch64*.whl"))
        if not have:
            raise EdgekdError(f"pip downloaded no numpy wheel for {tag} aarch64 into {wheels}")
    whl = have[-1]
    site = cache / f"site-aarch64-{tag}" / whl.stem
    if not (site / "numpy" / "__init__.py").is_file():
        tmp = Path(tempfile.mkdtemp(prefix=".numpy-", dir=_mkdir(site.parent)))
        with replaced_on_success(site, tmp):
            pip_install_for_target(whl, tmp, sysroot)
    return site


def pip_install_for_target(wheel: Path, target: Path, sysroot: Sysroot) -> None:
    """Installs ``wheel`` into ``target`` with pip as for the target interpreter (platform linux_aarch64,
    cp311): pip itself checks the wheel's name, tags and dist-info."""
    tag = python_tag(sysroot)
    major, minor = sysroot.glibc_version
    platforms = ["--platform", "linux_aarch64"]
    for m in range(minor, 16, -1):
        platforms += ["--platform", f"manylinux_{major}_{m}_aarch64"]
    platforms += ["--platform", "manylinux2014_aarch64"]
    _pip(["install", "--no-deps", "--no-index", "--only-binary=:all:", "--no-compile", "--target", str(target),
          *platforms, "--python-version", sysroot.python_version, "--implementation", "cp", "--abi", tag,
          str(wheel)], f"pip install {wheel.name} for {tag} linux_aarch64")


# Runs on the device Python: imports the wheel, reports where from and which path, runs the model.
_DEVICE_SCRIPT = r"""
import json, platform, sys, time
t0 = time.perf_counter()
import numpy as np
import edgekd
t1 = time.perf_counter()
info = edgekd.cpu_info()
m = edgekd.load(sys.argv[1])
xs = np.load(sys.argv[2])
t2 = time.perf_counter()
ys = m.run_raw([xs[f"x{i}"] for i in range(len(xs.files))])
t3 = time.perf_counter()
np.savez(sys.argv[3], **{f"y{i}": np.asarray(y) for i, y in enumerate(ys)})
print(json.dumps({"edgekd_file": edgekd.__file__, "edgekd_version": edgekd.__version__,
                  "numpy_version": np.__version__, "python": platform.python_version(),
                  "machine": platform.machine(), "cpu_info": info, "model_path": m.path,
                  "import_s": t1 - t0, "load_s": t2 - t1, "run_s": t3 - t2}))
"""


def _model_bytes(model: Path | None) -> bytes:
    if model is not None:
        try:
            return Path(model).read_bytes()
        except OSError as e:
            raise EdgekdError(f"{model}: cannot read the model ({e.strerror or e})") from None
    from ..testing.models import small_cnn
    from ..tflite.writer import write_tflite

    return write_tflite(small_cnn(seed=0))


def _random_inputs(details: list, seed: int) -> list:
    import numpy as np

    rng = np.random.default_rng(seed)
    xs = []
    for d in details:
        dt, shape = np.dtype(d["dtype"]), tuple(d["shape"])
        if dt.kind in "iu":
            info = np.iinfo(dt)
            xs.append(rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dt))
        else:
            xs.append(rng.uniform(-1.0, 1.0, size=shape).astype(dt))
    return xs


def verify_wheel(wheel: Path, profile: DeviceProfile, sysroot: Sysroot, model: Path | None = None,
                 cpus: Iterable[tuple[str, str]] | None = None, cache: Path | None = None,
                 timeout: float = 600, log=print) -> dict:
    """Imports the wheel with the sysroot's arm64 Python under qemu for each (qemu CPU, expected SIMD
    path) in ``cpus`` (default: the profile's CPU and path), runs ``model`` (default: a small CNN) and
    compares the outputs with this host's edgekd bit for bit. Raises EdgekdError on any difference."""
    import numpy as np

    import edgekd

    checks = list(cpus) if cpus is not None else [(profile.qemu_cpu or "max", profile.isa)]
    n_checked = check_record(wheel)
    numpy_site = numpy_for_target(sysroot, cache, log=log)
    results = []
    with tempfile.TemporaryDirectory(prefix="edgekd-wheel-check-") as td:
        t = Path(td)
        site = t / "site"
        pip_install_for_target(Path(wheel), site, sysroot)
        model_path = t / "model.tflite"
        model_path.write_bytes(_model_bytes(model))
        host = edgekd.load(str(model_path))
        xs = _random_inputs(host.input_details, seed=1234)
        np.savez(t / "x.npz", **{f"x{i}": x for i, x in enumerate(xs)})
        expected = [np.asarray(y) for y in host.run_raw(xs)]
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{site}{os.pathsep}{numpy_site}", "PYTHONNOUSERSITE": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "LC_ALL": "C.UTF-8"}

        def run_one(cpu: str) -> tuple[subprocess.CompletedProcess, float]:
            cmd = [*qemu_python_command(sysroot, cpu), "-c", _DEVICE_SCRIPT, str(model_path), str(t / "x.npz"),
                   str(t / f"y-{cpu}.npz")]
            t0 = time.monotonic()
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise EdgekdError(f"{wheel.name}: the check under qemu -cpu {cpu} did not finish in "
                                  f"{timeout:.0f} s") from None
            return r, time.monotonic() - t0

        # The CPU models run side by side: each is one single-threaded qemu process.
        with ThreadPoolExecutor(max_workers=max(1, min(len(checks), os.cpu_count() or 1))) as pool:
            runs = list(pool.map(run_one, [cpu for cpu, _ in checks]))
        for (cpu, want_path), (r, wall) in zip(checks, runs):
            y_file = t / f"y-{cpu}.npz"
            if r.returncode != 0:
                tail = " | ".join(r.stderr.strip().splitlines()[-4:]) or f"exit status {r.returncode}"
                raise EdgekdError(f"{wheel.name}: importing/running edgekd with the arm64 Python under qemu "
                                  f"-cpu {cpu} failed: {tail}")
            try:
                report = json.loads(r.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                raise EdgekdError(f"{wheel.name}: the device script printed no JSON: {r.stdout[-300:]!r}") from None
            if not str(report["edgekd_file"]).startswith(str(site)):
                raise EdgekdError(f"{wheel.name}: the arm64 Python imported edgekd from {report['edgekd_file']}, "
                                  f"not from the wheel")
            if report["model_path"] != want_path or report["cpu_info"].get("path") != want_path:
                raise EdgekdError(f"{wheel.name}: under qemu -cpu {cpu} edgekd chose {report['model_path']!r} "
                                  f"(cpu_info: {report['cpu_info'].get('path')!r}); {want_path!r} expected")
            with np.load(y_file) as got:
                for i, want in enumerate(expected):
                    y = got[f"y{i}"]
                    if y.dtype != want.dtype or y.shape != want.shape or not np.array_equal(y, want):
                        diff = int(np.count_nonzero(y != want)) if y.shape == want.shape else "shape"
                        raise EdgekdError(f"{wheel.name}: output {i} under qemu -cpu {cpu} ({want_path}) differs "
                                          f"from the host's ({diff} elements)")
            report.update(qemu_cpu=cpu, expected_path=want_path, outputs_equal=True,
                          wall_s=round(wall, 2), emulated=True)
            log(f"qemu -cpu {cpu}: imported edgekd {report['edgekd_version']} from the wheel, path "
                f"{report['model_path']}, outputs equal to the host's ({report['wall_s']} s emulated)")
            results.append(report)
    return {"wheel": str(wheel), "record_files": n_checked, "checks": results}


def deploy_wheel(profile: DeviceProfile, model: Path | None = None, out: Path | None = None,
                 emulate: bool = False, host: str | None = None, log=print, progress=None) -> dict:
    """`edgekd deploy --device D --wheel [--emulate] [model]`: builds the device wheel into ``out``
    (default deploy/wheel-D); with ``emulate`` checks it under qemu, running ``model`` if given."""
    if host:
        raise EdgekdError("--wheel does not install over ssh: copy the wheel to the device and "
                          "`pip install` it there (or deploy a bundle with --host)")
    if model is not None and not Path(model).is_file():
        raise EdgekdError(f"{model}: no such model file")
    out = Path(out) if out else Path("deploy") / f"wheel-{profile.name}"
    w, sysroot = build_device_wheel(profile, out, log=log, progress=progress)
    result: dict = {"wheel": str(w.path), "device": profile.name, "version": w.version, "tag": w.tag,
                    "expects_path": profile.isa}
    if emulate:
        result["emulated_check"] = verify_wheel(w.path, profile, sysroot, model=model, log=log)
    return result
