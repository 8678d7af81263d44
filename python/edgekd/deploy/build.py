"""Cross-building the standalone `edgekd-run` binary with a device profile's toolchain and flags."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import contextlib
import subprocess
from pathlib import Path
from typing import Callable, Iterator

from ..devices.profile import DeviceProfile
from ..errors import EdgekdError


def source_tree() -> Path:
    """The C++ sources: the repository in a checkout, or the copy a normal install carries in the package."""
    here = Path(__file__).resolve()
    candidates = [here.parents[3], here.parents[1] / "_data" / "src"]
    for c in candidates:
        if (c / "CMakeLists.txt").is_file() and (c / "csrc").is_dir():
            return c
    raise EdgekdError("the edgekd C++ sources are not available (looked in "
                      + ", ".join(str(c) for c in candidates) + ")")


def _cache_root() -> Path:
    return Path(os.environ.get("EDGEKD_CACHE", Path.home() / ".cache" / "edgekd"))


def _sources_digest(src: Path) -> str:
    h = hashlib.sha256()
    for p in sorted([src / "CMakeLists.txt", *(src / "csrc").rglob("*")]):
        if p.is_file():
            h.update(str(p.relative_to(src)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def cmake_args(profile: DeviceProfile) -> list[str]:
    args = ["-DCMAKE_BUILD_TYPE=Release", "-DEDGEKD_BUILD_PYTHON=OFF", "-DEDGEKD_BUILD_TESTS=OFF",
            "-DEDGEKD_BUILD_TOOLS=ON", "-DEDGEKD_STATIC_RUNTIME=ON"]
    if profile.toolchain is not None:
        args.append(f"-DCMAKE_TOOLCHAIN_FILE={profile.toolchain}")
        if profile.mcpu:
            args.append(f"-DEDGEKD_TARGET_CPU={profile.mcpu}")
    # A CMAKE_CXX_FLAGS given here replaces the toolchain's CMAKE_CXX_FLAGS_INIT (its -mcpu): pass the
    # profile's whole flag list then, -mcpu included.
    if any(not f.startswith("-mcpu=") for f in profile.cflags):
        args.append("-DCMAKE_CXX_FLAGS=" + " ".join(profile.cflags))
    return args


def _check_compiler(profile: DeviceProfile) -> None:
    if profile.toolchain is None:
        return
    cxx = f"{profile.triple}-g++"
    if shutil.which(cxx) is None:
        raise EdgekdError(f"device {profile.name}: cross compiler '{cxx}' not found "
                          f"(Debian: apt-get install g++-{profile.triple.replace('_', '-')})")


def build_runner(profile: DeviceProfile, jobs: int | None = None, log: Callable[[str], None] = print,
                 progress: Callable[[str], None] | None = None) -> Path:
    """Builds (or reuses a cached build of) edgekd-run for `profile`; returns the binary's path."""
    _check_compiler(profile)
    src = source_tree()
    args = cmake_args(profile)
    key = hashlib.sha256((_sources_digest(src) + " ".join(args)).encode()).hexdigest()[:16]
    build_dir = _cache_root() / "deploy" / f"{profile.name}-{key}"
    binary = build_dir / "edgekd-run"
    if binary.is_file():
        log(f"reusing cached build {build_dir}")
        return binary
    log(f"building edgekd-run for {profile.name} ({' '.join(args)})")
    tmp = build_dir.with_name(build_dir.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    with replaced_on_success(build_dir, tmp):
        for cmd in (["cmake", "-S", str(src), "-B", str(tmp), *args],
                    ["cmake", "--build", str(tmp), "--target", "edgekd-run", "-j", str(jobs or os.cpu_count() or 2)]):
            rc, lines = run_build_step(cmd, progress)
            if rc != 0:
                tail = "\n".join(lines[-15:])
                raise EdgekdError(f"building edgekd-run for {profile.name} failed: {' '.join(cmd[:2])}...\n{tail}")
    return binary


@contextlib.contextmanager
def replaced_on_success(dest: Path, tmp: Path) -> Iterator[None]:
    """The body fills ``tmp``; when it completes, ``tmp`` becomes ``dest`` (replacing what was there), and
    when it fails or is interrupted, ``tmp`` is removed and ``dest`` is left as it was: nothing half-written
    is ever at ``dest``."""
    try:
        yield
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# A build step as Makefiles ("[ 42%] Building CXX object ...") and Ninja ("[12/80] Building ...") print it.
STEP_LINE = re.compile(r"^\[\s*(\d+%|\d+/\d+)\]\s")


def run_build_step(cmd: list[str], progress: Callable[[str], None] | None = None) -> tuple[int, list[str]]:
    """Runs one CMake command, passing each build-step line to ``progress`` as it appears (a cross build
    takes minutes: the user sees where it is); returns the exit status and every output line."""
    lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace") as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip()
            lines.append(line)
            if progress is not None and STEP_LINE.match(line):
                progress(line)
    return proc.returncode, lines
