"""Device profiles: one TOML file per target board (devices/*.toml), validated on load.

A profile says how to build for a device (target triple, toolchain file, -mcpu), which SIMD path edgekd
must select there, how to emulate it (qemu CPU model), what it has (cores, clock, RAM), which energy sensor
it carries and a simple power model (idle watts + watts per busy core, with the source of the figures).

Profiles are found, in this order, in:
  1. the directories in $EDGEKD_DEVICES_PATH (os.pathsep separated), for a user's own boards;
  2. devices/ of the source checkout, when this package is imported from one (an editable install):
     the checkout is the truth there, while the copy an editable install made is a snapshot;
  3. edgekd/_data/devices inside the installed package (CMakeLists.txt installs devices/ there), which is
     where a normal (non-editable) install finds them.
The first directory holding <name>.toml wins.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from ..errors import EdgekdError

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11 (boards ship 3.8 and 3.10): the same parser, as a package
    import tomli as tomllib  # type: ignore[no-redef]

SCHEMA_VERSION = 1
ISAS_BY_ARCH = {
    "aarch64": ("ref", "neon", "neondot"),
    "x86_64": ("ref", "avx2", "avx512vnni"),
}
ENERGY_SENSORS = ("none", "rapl", "ina3221", "pmic", "external")


@dataclass(frozen=True)
class PowerModel:
    """P(active_cores) = idle_w + active_core_w * active_cores: crude, but explicit and sourced."""

    idle_w: float
    active_core_w: float
    source: str = ""
    estimate: bool = True
    note: str = ""

    def watts(self, active_cores: float) -> float:
        return self.idle_w + self.active_core_w * max(0.0, float(active_cores))


@dataclass(frozen=True)
class PowerMode:
    """A vendor power mode (Jetson nvpmodel): caps on cores and clock, with its own power model."""

    name: str
    cores: int
    clock_mhz: int
    power: PowerModel
    budget_w: float | None = None
    nvpmodel_id: int | None = None
    default: bool = False


@dataclass(frozen=True)
class DeviceProfile:
    name: str
    description: str
    path: Path
    arch: str
    triple: str
    toolchain: Path | None
    mcpu: str | None
    cflags: tuple[str, ...]
    isas: tuple[str, ...]  # SIMD paths in preference order; the first the CPU supports must be selected
    qemu_cpu: str | None
    cpu_model: str
    cores: int
    clock_mhz: int
    ram_mb: tuple[int, ...]
    energy_sensor: str
    power: PowerModel
    power_modes: tuple[PowerMode, ...] = field(default=())

    @property
    def isa(self) -> str:
        """The path this device must select (for x86-64 hosts: the best of the listed ones)."""
        return self.isas[0]

    def expected_isa(self, supported: Iterable[str]) -> str:
        """The path edgekd must pick on a CPU that supports ``supported`` (names as in cpu_info())."""
        have = set(supported)
        for isa in self.isas:
            if isa in have:
                return isa
        raise EdgekdError(f"device {self.name}: none of its SIMD paths {list(self.isas)} is supported here")

    @property
    def min_ram_mb(self) -> int:
        return min(self.ram_mb)

    def power_mode(self, name: str | None = None) -> PowerMode | None:
        """The named power mode (case-insensitive), the default one for None, or None without modes."""
        if not self.power_modes:
            if name is not None:
                raise EdgekdError(f"device {self.name} has no power modes (asked for {name!r})")
            return None
        if name is None:
            return next((m for m in self.power_modes if m.default), self.power_modes[0])
        for m in self.power_modes:
            if m.name.lower() == name.lower() or (m.nvpmodel_id is not None and str(m.nvpmodel_id) == name):
                return m
        known = ", ".join(m.name for m in self.power_modes)
        raise EdgekdError(f"device {self.name} has no power mode {name!r} (known: {known})")

    def power_model(self, mode: str | None = None) -> PowerModel:
        """The power model of ``mode`` (default mode when None), or the profile's own without modes."""
        m = self.power_mode(mode)
        return m.power if m is not None else self.power


# --- finding profiles -----------------------------------------------------------------------------


def _packaged_dir() -> Path | None:
    here = Path(__file__).resolve().parents[1] / "_data" / "devices"  # edgekd/_data/devices
    if here.is_dir():
        return here
    try:  # other loaders (an editable install's redirect finder keeps _data in site-packages)
        d = resources.files("edgekd").joinpath("_data", "devices")
        p = Path(str(d))
    except (ModuleNotFoundError, AttributeError, TypeError, ValueError, NotADirectoryError):  # 3.8: no files()
        return None
    return p if p.is_dir() else None


def _checkout_dir() -> Path | None:
    # python/edgekd/devices/profile.py -> the repository root is three levels above the package dir;
    # checked by its marker files so that an installed copy never picks up an unrelated "devices" dir.
    repo = Path(__file__).resolve().parents[3]
    p = repo / "devices"
    ok = p.is_dir() and (repo / "pyproject.toml").is_file() and (repo / "CMakeLists.txt").is_file()
    return p if ok else None


def search_dirs() -> list[Path]:
    """Directories searched for <name>.toml, in order (only the ones that exist)."""
    dirs: list[Path] = []
    for part in os.environ.get("EDGEKD_DEVICES_PATH", "").split(os.pathsep):
        if part and Path(part).is_dir():
            dirs.append(Path(part))
    for d in (_checkout_dir(), _packaged_dir()):
        if d is not None and d not in dirs:
            dirs.append(d)
    return dirs


def _profile_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in search_dirs():
        for f in sorted(d.glob("*.toml")):
            found.setdefault(f.stem, f)
    return found


def list_profiles() -> list[DeviceProfile]:
    """Every profile found, loaded and validated (a broken file raises, naming the file and key)."""
    return [load_profile(p) for _, p in sorted(_profile_files().items())]


def profile_names() -> list[str]:
    return sorted(_profile_files())


def load_profile(name_or_path: str | os.PathLike[str]) -> DeviceProfile:
    """Load a profile by name ("rpi4") or by path ("boards/my.toml"); validated, EdgekdError otherwise."""
    s = os.fspath(name_or_path)
    p = Path(s)
    if s.endswith(".toml") or os.sep in s or (os.altsep and os.altsep in s):
        if not p.is_file():
            raise EdgekdError(f"device profile file not found: {p}")
        return _load_file(p)
    files = _profile_files()
    if s not in files:
        known = ", ".join(sorted(files)) or "none"
        where = ", ".join(str(d) for d in search_dirs()) or "no profile directory found"
        raise EdgekdError(f"unknown device '{s}' (known: {known}; searched: {where})")
    return _load_file(files[s])


# --- validation -----------------------------------------------------------------------------------


class _Reader:
    """Typed access to one TOML table that names the file and the dotted key in every error."""

    def __init__(self, path: Path, table: dict[str, Any], prefix: str = ""):
        self.path, self.table, self.prefix = path, table, prefix
        self.used: set[str] = set()

    def error(self, key: str, msg: str) -> EdgekdError:
        return EdgekdError(f"{self.path}: key '{self.prefix}{key}': {msg}")

    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                raise self.error(key, "missing")
            return None
        return self.table[key]

    def text(self, key: str, required: bool = True, choices: Iterable[str] | None = None) -> str | None:
        v = self._get(key, required)
        if v is None:
            return None
        if not isinstance(v, str) or not v.strip():
            raise self.error(key, f"expected a non-empty string, got {v!r}")
        if choices is not None and v not in tuple(choices):
            raise self.error(key, f"{v!r} is not one of {', '.join(choices)}")
        return v

    def integer(self, key: str, required: bool = True, minimum: int = 1) -> int | None:
        v = self._get(key, required)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise self.error(key, f"expected an integer >= {minimum}, got {v!r}")
        return v

    def number(self, key: str, required: bool = True, minimum: float = 0.0) -> float | None:
        v = self._get(key, required)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < minimum:
            raise self.error(key, f"expected a number >= {minimum}, got {v!r}")
        return float(v)

    def flag(self, key: str, default: bool) -> bool:
        v = self._get(key, False)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise self.error(key, f"expected true or false, got {v!r}")
        return v

    def texts(self, key: str, required: bool = True, allow_single: bool = False) -> tuple[str, ...]:
        v = self._get(key, required)
        if v is None:
            return ()
        if allow_single and isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise self.error(key, f"expected a list of strings, got {v!r}")
        return tuple(v)

    def integers(self, key: str) -> tuple[int, ...]:
        v = self._get(key, True)
        if isinstance(v, int) and not isinstance(v, bool):
            v = [v]
        if (not isinstance(v, list) or not v
                or not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v)):
            raise self.error(key, f"expected a positive integer or a non-empty list of them, got {v!r}")
        return tuple(v)

    def sub(self, key: str, required: bool = True) -> "_Reader | None":
        v = self._get(key, required)
        if v is None:
            return None
        if not isinstance(v, dict):
            raise self.error(key, f"expected a table [{self.prefix}{key}], got {type(v).__name__}")
        return _Reader(self.path, v, f"{self.prefix}{key}.")

    def tables(self, key: str) -> list["_Reader"]:
        v = self._get(key, False)
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(t, dict) for t in v):
            raise self.error(key, f"expected an array of tables [[{self.prefix}{key}]]")
        return [_Reader(self.path, t, f"{self.prefix}{key}[{i}].") for i, t in enumerate(v)]

    def no_unknown_keys(self) -> None:
        # A misspelt key would otherwise be silently ignored and its default used.
        extra = sorted(set(self.table) - self.used)
        if extra:
            raise self.error(extra[0], "unknown key" + (f" (also: {', '.join(extra[1:])})" if extra[1:] else ""))


def _power_model(r: _Reader, source_required: bool) -> PowerModel:
    return PowerModel(
        idle_w=r.number("idle_w"),  # type: ignore[arg-type]
        active_core_w=r.number("active_core_w"),  # type: ignore[arg-type]
        source=r.text("source", required=source_required) or "",
        estimate=r.flag("estimate", True),
        note=r.text("note", required=False) or "",
    )


def _load_file(path: Path) -> DeviceProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise EdgekdError(f"{path}: not valid TOML: {e}") from None
    except OSError as e:
        raise EdgekdError(f"{path}: cannot read: {e.strerror or e}") from None
    top = _Reader(path, data)
    schema = top.integer("schema")
    if schema != SCHEMA_VERSION:
        raise top.error("schema", f"unsupported version {schema} (this edgekd reads {SCHEMA_VERSION})")
    name = top.text("name")
    if name != path.stem:
        raise top.error("name", f"{name!r} does not match the file name {path.stem!r}")
    description = top.text("description")

    t = top.sub("target")
    arch = t.text("arch", choices=ISAS_BY_ARCH)
    triple = t.text("triple")
    if not triple.startswith(arch):  # type: ignore[union-attr]
        raise t.error("triple", f"{triple!r} does not start with the arch {arch!r}")
    toolchain = None
    tc = t.text("toolchain", required=False)
    if tc is not None:
        # Relative to the profile; a user's own profile may also name a toolchain edgekd ships.
        candidates = [path.parent / tc] + [d / tc for d in search_dirs() if d != path.parent]
        found = next((c.resolve() for c in candidates if c.is_file()), None)
        if found is None:
            raise t.error("toolchain", f"file {(path.parent / tc).resolve()} does not exist")
        toolchain = found
    mcpu = t.text("mcpu", required=False)
    cflags = t.texts("cflags")
    if mcpu is not None and f"-mcpu={mcpu}" not in cflags:
        raise t.error("cflags", f"must contain -mcpu={mcpu} (from target.mcpu)")
    isas = t.texts("isa", allow_single=True)
    if not isas:
        raise t.error("isa", "expected at least one SIMD path")
    for isa in isas:
        if isa not in ISAS_BY_ARCH[arch]:  # type: ignore[index]
            raise t.error("isa", f"{isa!r} is not a SIMD path for {arch} (one of {', '.join(ISAS_BY_ARCH[arch])})")
    qemu_cpu = t.text("qemu_cpu", required=arch != "x86_64")
    t.no_unknown_keys()

    c = top.sub("cpu")
    cpu_model = c.text("model")
    cores = c.integer("cores")
    clock_mhz = c.integer("clock_mhz")
    c.no_unknown_keys()

    m = top.sub("memory")
    ram_mb = m.integers("ram_mb")
    m.no_unknown_keys()

    e = top.sub("energy")
    energy_sensor = e.text("sensor", choices=ENERGY_SENSORS)
    e.no_unknown_keys()

    pw = top.sub("power")
    power = _power_model(pw, source_required=True)
    pw.no_unknown_keys()

    modes: list[PowerMode] = []
    for mr in top.tables("power_modes"):
        mode_cores = mr.integer("cores")
        if mode_cores > cores:  # type: ignore[operator]
            raise mr.error("cores", f"{mode_cores} exceeds cpu.cores = {cores}")
        mode = PowerMode(
            name=mr.text("name"),  # type: ignore[arg-type]
            cores=mode_cores,  # type: ignore[arg-type]
            clock_mhz=mr.integer("clock_mhz"),  # type: ignore[arg-type]
            budget_w=mr.number("budget_w", required=False),
            nvpmodel_id=mr.integer("nvpmodel_id", required=False, minimum=0),
            default=mr.flag("default", False),
            # The sources of a mode's figures are the profile's [power] ones.
            power=PowerModel(mr.number("idle_w"), mr.number("active_core_w"),  # type: ignore[arg-type]
                             power.source, power.estimate, mr.text("note", required=False) or power.note),
        )
        mr.no_unknown_keys()
        modes.append(mode)
    if modes:
        names = [x.name.lower() for x in modes]
        if len(set(names)) != len(names):
            raise top.error("power_modes", "two modes share a name")
        if sum(x.default for x in modes) > 1:
            raise top.error("power_modes", "more than one mode has default = true")
    top.no_unknown_keys()

    return DeviceProfile(
        name=name, description=description, path=path, arch=arch, triple=triple,  # type: ignore[arg-type]
        toolchain=toolchain, mcpu=mcpu, cflags=cflags, isas=isas, qemu_cpu=qemu_cpu,
        cpu_model=cpu_model, cores=cores, clock_mhz=clock_mhz, ram_mb=ram_mb,  # type: ignore[arg-type]
        energy_sensor=energy_sensor, power=power, power_modes=tuple(modes),  # type: ignore[arg-type]
    )
