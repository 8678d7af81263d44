"""Guest instructions counted under qemu-user with the `insncount.c` TCG plugin, and the cost of one
inference as the difference of two counted processes that differ only in how many inferences they run.

The plugin is compiled here with the host's C compiler (qemu-user 7.2 in Debian ships no plugins and no
header; the source declares the few API functions it uses). Instructions are not time: qemu models no
pipeline, caches or memory; `edgekd.deploy.cycles` turns counted blocks into an llvm-mca cycle estimate."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EdgekdError

SOURCE = Path(__file__).with_name("insncount.c")
# A loop of exactly known length: 2 set-up instructions, 10^6 iterations of (subs, b.ne), 3 for exit.
LOOP_ASM = """    .global _start
    .type _start, %function
_start:
    mov x0, #16960
    movk x0, #15, lsl #16
1:  subs x0, x0, #1
    b.ne 1b
    mov x8, #93
    mov x0, #0
    svc #0
    .size _start, .-_start
"""
LOOP_INSNS = 2 + 2 * 10**6 + 3


@dataclass
class Count:
    """What one counted process executed: all guest instructions, per symbol of the main binary, and per
    block (address, instructions, executions, code bytes) when asked for."""
    insns: int
    vcpus: int
    symbols: dict[str, int] = field(default_factory=dict)
    blocks: list[tuple[int, int, int, bytes]] = field(default_factory=list)


def _cache_root() -> Path:
    return Path(os.environ.get("EDGEKD_CACHE", Path.home() / ".cache" / "edgekd"))


def plugin_path(cache: Path | None = None) -> Path:
    """The compiled plugin (built once per source version into the cache)."""
    src = SOURCE.read_bytes()
    out = (cache or _cache_root()) / "insncount" / f"libinsncount-{hashlib.sha256(src).hexdigest()[:12]}.so"
    if out.is_file():
        return out
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        raise EdgekdError("counting instructions needs a C compiler for the qemu plugin "
                          "(Debian: apt-get install gcc)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    r = subprocess.run([cc, "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o", str(tmp), str(SOURCE)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise EdgekdError(f"compiling the qemu plugin {SOURCE} failed:\n{r.stderr.strip()}")
    os.replace(tmp, out)
    return out


def counted(qemu_cmd: list[str], env: dict[str, str] | None = None, symbols: bool = False,
            blocks: bool = False, timeout: float = 1800, plugin: Path | None = None,
            cwd: Path | None = None) -> Count:
    """Runs ``qemu_cmd`` (``[qemu-aarch64, qemu options..., program, args...]``) with the plugin added
    after the qemu binary; returns its counts. A failing program is an EdgekdError with its last line."""
    plugin = plugin or plugin_path()
    with tempfile.TemporaryDirectory(prefix="edgekd-count-") as td:
        files = {"out": Path(td) / "count.txt"}
        if symbols:
            files["sym"] = Path(td) / "symbols.tsv"
        if blocks:
            files["blocks"] = Path(td) / "blocks.tsv"
        opt = ",".join([str(plugin)] + [f"{k}={v}" for k, v in files.items()])
        cmd = [qemu_cmd[0], "-plugin", opt, *qemu_cmd[1:]]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
        except subprocess.TimeoutExpired:
            raise EdgekdError(f"{' '.join(qemu_cmd[-3:])}: did not finish within {timeout:.0f} s") from None
        if r.returncode != 0 or not files["out"].is_file():
            msg = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
            raise EdgekdError(f"counting {' '.join(qemu_cmd)} failed: {msg}")
        head = dict(line.split() for line in files["out"].read_text().splitlines() if line.strip())
        c = Count(insns=int(head["insns"]), vcpus=int(head["vcpus"]))
        if symbols:
            for line in files["sym"].read_text().splitlines():
                n, name = line.split("\t", 1)
                c.symbols[name] = c.symbols.get(name, 0) + int(n)
        if blocks:
            for line in files["blocks"].read_text().splitlines():
                addr, insns, execs, code = line.split("\t")
                c.blocks.append((int(addr, 16), int(insns), int(execs), bytes.fromhex(code)))
    return c


@dataclass
class PerInference:
    """The counts of ``runs`` inferences (``long`` minus ``base``), divided by ``runs``."""
    insns: float
    runs: int
    symbols: dict[str, float]
    blocks: dict[tuple[int, bytes], float]  # (address, code) -> executions per inference

    @classmethod
    def between(cls, long: Count, base: Count, runs: int) -> "PerInference":
        if long.vcpus != 1 or base.vcpus != 1:
            raise EdgekdError(f"the counted program ran {max(long.vcpus, base.vcpus)} threads; the count is "
                              "exact for one (run it with one thread)")
        syms = {k: (long.symbols.get(k, 0) - base.symbols.get(k, 0)) / runs
                for k in set(long.symbols) | set(base.symbols)}
        blocks: dict[tuple[int, bytes], float] = {}
        for sign, count in ((1, long), (-1, base)):
            for addr, _n, execs, code in count.blocks:
                blocks[(addr, code)] = blocks.get((addr, code), 0.0) + sign * execs / runs
        return cls((long.insns - base.insns) / runs, runs, {k: v for k, v in syms.items() if v},
                   {k: v for k, v in blocks.items() if v})


def check_plugin(qemu: str = "qemu-aarch64", cc: str = "aarch64-linux-gnu-gcc", cpu: str = "cortex-a72",
                 plugin: Path | None = None) -> int:
    """Counts the loop of LOOP_INSNS instructions; raises unless the count is exact. Returns it."""
    with tempfile.TemporaryDirectory(prefix="edgekd-loop-") as td:
        src, exe = Path(td) / "loop.S", Path(td) / "loop"
        src.write_text(LOOP_ASM)
        r = subprocess.run([cc, "-nostdlib", "-static", "-o", str(exe), str(src)], capture_output=True, text=True)
        if r.returncode != 0:
            raise EdgekdError(f"assembling the check loop with {cc} failed: {r.stderr.strip()}")
        c = counted([qemu, "-cpu", cpu, str(exe)], symbols=True, plugin=plugin)
    if c.insns != LOOP_INSNS or c.symbols != {"_start": LOOP_INSNS}:
        raise EdgekdError(f"the qemu plugin counted {c.insns} instructions ({c.symbols}) in a loop of exactly "
                          f"{LOOP_INSNS}")
    return c.insns
