"""A cycle estimate for counted aarch64 code: llvm-mca's static pipeline model applied to the hottest
executed blocks, each weighted by how often it ran (from the insncount plugin's block records).

The model, and where it is blind:
- llvm-mca simulates one block in a loop of itself (100 iterations) on the scheduling model LLVM has for
  ``-mcpu``: dispatch width, issue ports, latencies. LLVM 14 (Debian 12) schedules cortex-a57, -a72 and
  -a76 with one and the same Cortex-A57 model (3-wide); the A76's 4-wide front end and faster SDOT are not
  in it.
- Every load hits L1 at a fixed latency: no caches, no memory bandwidth, no TLB, no prefetch.
- No branch mispredictions; a block is assumed to follow itself, so blocks run once per call get the
  overlap of a loop they are not in.
- Blocks outside the hot set (``coverage``) are charged the hot set's cycles per instruction.
So the estimate ranks instruction mixes (multiply-accumulate versus scalar bookkeeping) by a core's
throughput; it is not a latency. Only a board measures time."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from ..errors import EdgekdError

# Every extension qemu's cortex-a76 model may execute, so the disassembler decodes all of it.
MATTR = "+v8.2a,+dotprod,+fullfp16,+rcpc,+crc,+lse,+aes,+sha2"
_ENCODING = re.compile(r"^\s*(\S.*?)\s*//\s*encoding:\s*\[([^\]]*)\]")
_REGION = re.compile(r"\[\d+\] Code Region - (b\d+)")
_ITER = re.compile(r"^Iterations:\s+(\d+)")
_CYCLES = re.compile(r"^Total Cycles:\s+(\d+)")


@dataclass
class CycleEstimate:
    cycles: float            # per inference
    mcpu: str
    coverage: float          # fraction of the instructions whose blocks went through llvm-mca
    hot_blocks: int
    cycles_per_insn: float   # of the hot set


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(f"{name}-14")
    if path is None:
        raise EdgekdError(f"the cycle estimate needs {name} (Debian: apt-get install llvm)")
    return path


def known_cpu(*candidates: str | None) -> str | None:
    """The first of ``candidates`` that llvm-mca has a model for (LLVM 14 has no cortex-a78ae, say)."""
    r = subprocess.run([_tool("llvm-mca"), "-mtriple=aarch64", "-mcpu=help"], capture_output=True, text=True)
    known = set(re.findall(r"^\s+(\S+)\s+- Select", r.stdout + r.stderr, re.M))
    return next((c for c in candidates if c and c in known), None)


def disassemble(blocks: list[bytes]) -> list[list[str] | None]:
    """Each block's instructions as assembly text (one llvm-mc call for all), None where a word of the
    block does not decode."""
    words = [code[i:i + 4] for code in blocks for i in range(0, len(code), 4)]
    text = "\n".join(" ".join(f"0x{b:02x}" for b in w) for w in words)
    r = subprocess.run([_tool("llvm-mc"), "--disassemble", "--show-encoding", "-triple=aarch64", f"-mattr={MATTR}"],
                       input=text, capture_output=True, text=True)
    decoded: dict[int, str] = {}
    k = 0
    for line in r.stdout.splitlines():
        m = _ENCODING.match(line)
        if not m:
            continue
        enc = bytes(int(b, 16) for b in m.group(2).split(","))
        while k < len(words) and words[k] != enc:  # words llvm-mc skipped (undecodable)
            k += 1
        if k < len(words):
            decoded[k] = m.group(1)
            k += 1
    out: list[list[str] | None] = []
    at = 0
    for code in blocks:
        n = len(code) // 4
        lines = [decoded.get(i) for i in range(at, at + n)]
        out.append(None if any(x is None for x in lines) else lines)  # type: ignore[misc]
        at += n
    return out


def mca_cycles(blocks: list[list[str]], mcpu: str, iterations: int = 100) -> list[float]:
    """llvm-mca's cycles per execution of each block (one call, one code region per block)."""
    src = "".join(f"# LLVM-MCA-BEGIN b{i}\n" + "\n".join(b) + "\n# LLVM-MCA-END\n" for i, b in enumerate(blocks))
    r = subprocess.run([_tool("llvm-mca"), "-mtriple=aarch64", f"-mcpu={mcpu}", f"-mattr={MATTR}",
                        f"-iterations={iterations}", "-all-views=false", "-summary-view"],
                       input=src, capture_output=True, text=True)
    if r.returncode != 0:
        raise EdgekdError(f"llvm-mca -mcpu={mcpu} failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    found: dict[int, float] = {}
    region, iters = -1, 0
    for line in r.stdout.splitlines():
        if (m := _REGION.search(line)):
            region = int(m.group(1)[1:])
        elif (m := _ITER.match(line)):
            iters = int(m.group(1))
        elif (m := _CYCLES.match(line)) and region >= 0 and iters:
            found[region] = int(m.group(1)) / iters
    if len(blocks) == 1 and not found:  # one region: llvm-mca prints no region header
        found = {0: next((int(m.group(1)) / iterations for line in r.stdout.splitlines()
                          if (m := _CYCLES.match(line))), 0.0)}
    if len(found) != len(blocks):
        raise EdgekdError(f"llvm-mca reported {len(found)} of {len(blocks)} code regions")
    return [found[i] for i in range(len(blocks))]


def estimate(blocks: dict[tuple[int, bytes], float], mcpu: str, coverage: float = 0.97,
             max_blocks: int = 600) -> CycleEstimate:
    """Cycles per inference from per-inference block executions ((address, code) -> executions)."""
    # Blocks that ran less often in the longer process (start-up paths that differ slightly) are left out.
    weighted = sorted(((execs * (len(code) // 4), execs, code) for (_a, code), execs in blocks.items()
                       if execs > 0 and code), key=lambda w: w[0], reverse=True)
    total = sum(w[0] for w in weighted)
    if total <= 0:
        raise EdgekdError("no executed blocks to estimate cycles from")
    hot, acc = [], 0.0
    for w in weighted:
        if acc >= coverage * total or len(hot) >= max_blocks:
            break
        hot.append(w)
        acc += w[0]
    asm = disassemble([code for _w, _e, code in hot])
    usable = [(h, a) for h, a in zip(hot, asm) if a]
    cyc = mca_cycles([a for _h, a in usable], mcpu)
    hot_cycles = sum(h[1] * c for (h, _a), c in zip(usable, cyc))
    hot_insns = sum(h[0] for h, _a in usable)
    cpi = hot_cycles / hot_insns if hot_insns else 0.0
    return CycleEstimate(cycles=hot_cycles + (total - hot_insns) * cpi, mcpu=mcpu, coverage=hot_insns / total,
                         hot_blocks=len(usable), cycles_per_insn=cpi)
