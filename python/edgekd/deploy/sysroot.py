"""An arm64 Debian root with Python 3.11 in it, for building and testing the device wheel on an x86 host.

Raspberry Pi OS 64-bit (bookworm) is Debian arm64 with Python 3.11. This module fetches the arm64 .debs of
Python 3.11 (interpreter, standard library, headers) and of the C++ runtime the extension module needs,
with Debian's own tools, and unpacks them into one directory:

* ``apt-get`` resolves and downloads them with a private state (its own package lists, an empty dpkg
  status, APT::Architecture=arm64) over the host's configured apt sources: nothing on the host changes
  (no ``dpkg --add-architecture``, no root needed) and the dependency set is apt's own resolution, not a
  hand-kept list;
* ``dpkg-deb -x`` unpacks each package, maintainer scripts are never run (nothing here needs them).

The result is used three ways: its headers and sysconfig data for the cross build (via the interpreter
itself, which CMake's FindPython runs under qemu), its glibc for the numpy wheel's platform tags, and its
interpreter, run by ``qemu-aarch64 -L <root>``, to import the built wheel and run a model.

The root is cached under $EDGEKD_CACHE (default ~/.cache/edgekd) as ``sysroot-arm64-py311`` and built
once: a stamp file written last marks it complete, a lock keeps parallel test workers from racing, and
the directory appears by rename so an interrupted download never leaves half a root behind.
"""
from __future__ import annotations

import ast
import fcntl
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from ..errors import EdgekdError

DEB_ARCH = "arm64"
MULTIARCH = "aarch64-linux-gnu"
PYTHON_VERSION = "3.11"  # Raspberry Pi OS bookworm's python3
STAMP = ".edgekd-sysroot.json"
STAMP_FORMAT = 1


def runtime_packages(py: str = PYTHON_VERSION) -> tuple[str, ...]:
    """What must run on the device: the interpreter with its standard library, and libstdc++ for _core
    (every other library _core or Python needs comes in as their dependencies)."""
    return (f"python{py}", "libstdc++6")


def header_packages(py: str = PYTHON_VERSION) -> tuple[str, ...]:
    """Python.h and the arm64 pyconfig.h. Taken without their dependencies: those are the -dev packages
    of libc, zlib and expat, which an extension module built by the cross compiler does not use."""
    return (f"libpython{py}-dev",)


@dataclass(frozen=True)
class Sysroot:
    root: Path
    python_version: str
    packages: dict[str, str]  # package -> version, as unpacked

    @property
    def python(self) -> Path:
        return self.root / "usr" / "bin" / f"python{self.python_version}"

    @property
    def include_dir(self) -> Path:
        return self.root / "usr" / "include" / f"python{self.python_version}"

    @property
    def header_root(self) -> Path:
        # Debian's Python.h includes <aarch64-linux-gnu/python3.11/pyconfig.h>: found from here.
        return self.root / "usr" / "include"

    @property
    def glibc_version(self) -> tuple[int, int]:
        m = re.match(r"(\d+)\.(\d+)", self.packages.get("libc6", ""))
        if not m:
            raise EdgekdError(f"{self.root}: no libc6 version in {STAMP}")
        return int(m.group(1)), int(m.group(2))

    def sysconfig_vars(self) -> dict:
        """The target interpreter's build-time config (EXT_SUFFIX, SOABI, ...), read without running it."""
        nodot = self.python_version
        f = self.root / "usr" / "lib" / f"python{nodot}" / f"_sysconfigdata__{MULTIARCH}.py"
        try:
            tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        except (OSError, SyntaxError) as e:
            raise EdgekdError(f"{f}: cannot read the target Python's sysconfig data ({e})") from None
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and getattr(node.targets[0], "id", None) == "build_time_vars"):
                return ast.literal_eval(node.value)
        raise EdgekdError(f"{f}: no build_time_vars in the target Python's sysconfig data")

    @property
    def ext_suffix(self) -> str:
        return self.sysconfig_vars()["EXT_SUFFIX"]  # .cpython-311-aarch64-linux-gnu.so


def cache_root() -> Path:
    return Path(os.environ.get("EDGEKD_CACHE", Path.home() / ".cache" / "edgekd"))


def sysroot_dir(cache: Path | None = None, py: str = PYTHON_VERSION) -> Path:
    return (cache or cache_root()) / f"sysroot-{DEB_ARCH}-py{py.replace('.', '')}"


def load_sysroot(root: Path) -> Sysroot | None:
    """The sysroot at ``root`` if it is complete (its stamp written), else None."""
    try:
        stamp = json.loads((root / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if stamp.get("format") != STAMP_FORMAT:
        return None
    s = Sysroot(root, stamp["python_version"], dict(stamp["packages"]))
    return s if s.python.is_file() else None


# --- apt with a private state -----------------------------------------------------------------------


class Apt:
    """apt-get and apt-cache for arm64 with their own lists, cache and an empty dpkg status."""

    def __init__(self, state: Path, sources: Path | None = None, timeout_s: int = 30):
        for tool in ("apt-get", "dpkg-deb"):
            if shutil.which(tool) is None:
                raise EdgekdError(f"preparing the arm64 sysroot needs Debian's {tool} (not found on PATH); "
                                  "build the device wheel on a Debian or Ubuntu host")
        self.state = state
        for d in ("lists/partial", "cache/archives/partial", "preferences.d"):
            (state / d).mkdir(parents=True, exist_ok=True)
        (state / "status").touch()
        try:
            user = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            user = "root"
        self.options = [
            "-o", f"APT::Architecture={DEB_ARCH}", "-o", f"APT::Architectures::={DEB_ARCH}",
            "-o", f"Dir::State={state}", "-o", f"Dir::State::Lists={state / 'lists'}",
            "-o", f"Dir::State::status={state / 'status'}", "-o", f"Dir::Cache={state / 'cache'}",
            # The host's pins are about the host's packages, not these.
            "-o", "Dir::Etc::Preferences=/dev/null", "-o", f"Dir::Etc::PreferencesParts={state / 'preferences.d'}",
            "-o", "Debug::NoLocking=1", "-o", "Acquire::Languages=none",
            "-o", f"APT::Sandbox::User={user}",  # we own the download directory: no _apt user needed
            "-o", "Acquire::Retries=2", "-o", f"Acquire::http::Timeout={timeout_s}",
            "-o", f"Acquire::https::Timeout={timeout_s}",
        ]
        if sources is not None:  # tests point apt at an unreachable archive
            empty = state / "sources.list.d"
            empty.mkdir(exist_ok=True)
            self.options += ["-o", f"Dir::Etc::SourceList={sources}", "-o", f"Dir::Etc::SourceParts={empty}"]

    def run(self, tool: str, args: Sequence[str], what: str, cwd: Path | None = None,
            timeout: float = 600) -> str:
        cmd = [tool, "-q", *self.options, *args]
        env = dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive")
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EdgekdError(f"arm64 sysroot: {what} did not finish within {timeout:.0f} s "
                              "(is Debian's archive reachable from here?)") from None
        if r.returncode != 0:
            raise EdgekdError(f"arm64 sysroot: {what} failed ({tool} exit {r.returncode}): "
                              + _apt_reason(r.stdout + r.stderr))
        return r.stdout + r.stderr

    def update(self, log=print) -> None:
        out = self.run("apt-get", ["update"], "downloading the arm64 package lists (apt-get update)")
        failed = [ln for ln in out.splitlines() if "Failed to fetch" in ln]
        have_lists = any(f"binary-{DEB_ARCH}_Packages" in p.name for p in (self.state / "lists").iterdir())
        if not have_lists:
            if failed:
                raise EdgekdError("arm64 sysroot: apt-get update could not download any arm64 package list: "
                                  + _apt_reason(out))
            raise EdgekdError(f"arm64 sysroot: apt-get update fetched no arm64 package list; the apt "
                              f"sources of this host do not carry {DEB_ARCH} (on Ubuntu, arm64 lives on the "
                              "ports archive: add it to the sources)")
        for ln in failed:  # e.g. one extra third-party source; the Debian lists did arrive
            log(f"arm64 sysroot: warning: {ln.strip()}")

    def resolve(self, packages: Sequence[str]) -> dict[str, str]:
        """Package -> version of ``packages`` and everything they depend on (apt's resolver, simulated
        against an empty system, without Recommends)."""
        out = self.run("apt-get", ["-s", "--no-install-recommends", "install", *packages],
                       f"resolving the dependencies of {' '.join(packages)}")
        found: dict[str, str] = {}
        for line in out.splitlines():
            m = re.match(r"Inst (\S+) \((\S+) ", line)
            if m:
                found[m.group(1).split(":")[0]] = m.group(2)
        missing = [p for p in packages if p not in found]
        if missing:
            raise EdgekdError(f"arm64 sysroot: apt did not select {', '.join(missing)}")
        return found

    def candidate(self, package: str) -> str:
        out = self.run("apt-cache", ["policy", package], f"looking up {package}")
        m = re.search(r"Candidate:\s*(\S+)", out)
        if not m or m.group(1) == "(none)":
            raise EdgekdError(f"arm64 sysroot: the host's apt sources have no arm64 package {package}")
        return m.group(1)

    def download(self, packages: dict[str, str], dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        before = set(dest.glob("*.deb"))
        self.run("apt-get", ["download", *(f"{p}={v}" for p, v in sorted(packages.items()))],
                 f"downloading {len(packages)} arm64 packages", cwd=dest)
        debs = sorted(set(dest.glob("*.deb")) - before)
        if len(debs) != len(packages):
            raise EdgekdError(f"arm64 sysroot: asked apt for {len(packages)} packages, got {len(debs)} files")
        return debs


def _apt_reason(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("E:", "W:", "Err:"))]
    picked = (errors or lines or ["no output"])[-3:]
    hint = ""
    low = text.lower()
    if any(k in low for k in ("could not resolve", "failed to fetch", "connection", "unable to connect",
                              "temporary failure", "timed out", "no route")):
        hint = " -- Debian's archive is not reachable with the host's apt sources"
    elif "unable to locate package" in low or "has no installation candidate" in low:
        hint = (" -- the host's apt sources lack this arm64 package (Pi OS bookworm's Python is Debian 12's "
                f"python{PYTHON_VERSION})")
    return " | ".join(picked) + hint


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _unpack(debs: Sequence[Path], into: Path) -> None:
    for deb in debs:
        r = subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], capture_output=True, text=True)
        if r.returncode != 0:
            raise EdgekdError(f"arm64 sysroot: dpkg-deb -x {deb.name} failed: {r.stderr.strip()[-300:]}")


def prepare_sysroot(cache: Path | None = None, py: str = PYTHON_VERSION, refresh: bool = False,
                    sources: Path | None = None, log=print) -> Sysroot:
    """The arm64 root with Python ``py``: reused when complete, otherwise fetched and unpacked (about
    60 MB of .debs from the host's apt sources). ``sources`` replaces the host's apt source list."""
    cache = cache or cache_root()
    root = sysroot_dir(cache, py)
    if not refresh:
        s = load_sysroot(root)
        if s is not None:
            return s
    with _locked(root.with_name(root.name + ".lock")):
        if not refresh:  # another process may have finished it while we waited
            s = load_sysroot(root)
            if s is not None:
                return s
        t0 = time.monotonic()
        apt = Apt(cache / f"apt-{DEB_ARCH}", sources=sources)
        log(f"arm64 sysroot: apt-get update for {DEB_ARCH} (private state in {apt.state})")
        apt.update(log=log)
        runtime = runtime_packages(py)
        packages = apt.resolve(runtime)
        for h in header_packages(py):
            # Same source package as the interpreter: pin it to the interpreter's version.
            packages[h] = packages.get(f"python{py}") or apt.candidate(h)
        log(f"arm64 sysroot: {len(packages)} packages ({', '.join(sorted(packages))})")
        with tempfile.TemporaryDirectory(prefix="debs-", dir=cache) as td:
            debs = apt.download(packages, Path(td))
            tmp = root.with_name(root.name + f".tmp{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                _unpack(debs, tmp)
                s = Sysroot(tmp, py, packages)
                if not s.python.is_file():
                    raise EdgekdError(f"arm64 sysroot: {s.python} missing after unpacking")
                if not (s.include_dir / "Python.h").is_file():
                    raise EdgekdError(f"arm64 sysroot: {s.include_dir}/Python.h missing after unpacking")
                (tmp / STAMP).write_text(json.dumps({
                    "format": STAMP_FORMAT, "python_version": py, "arch": DEB_ARCH,
                    "roots": list(runtime) + list(header_packages(py)), "packages": packages,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }, indent=2))
                if root.exists():
                    old = root.with_name(root.name + f".old{os.getpid()}")
                    os.replace(root, old)
                    shutil.rmtree(old, ignore_errors=True)
                os.replace(tmp, root)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        log(f"arm64 sysroot: ready at {root} ({time.monotonic() - t0:.0f} s)")
        return Sysroot(root, py, packages)


def qemu_python_command(sysroot: Sysroot, qemu_cpu: str | None) -> list[str]:
    """The command prefix that runs the sysroot's Python under qemu-user with the device's CPU model."""
    qemu = shutil.which("qemu-aarch64")
    if qemu is None:
        raise EdgekdError("qemu-aarch64 not found (Debian: apt-get install qemu-user)")
    cmd = [qemu, "-L", str(sysroot.root)]
    if qemu_cpu:
        cmd += ["-cpu", qemu_cpu]
    return cmd + [str(sysroot.python)]
