"""Tables of benchmarks/arm/measure.py: instructions and cycle estimates per inference, edgekd's profile,
and whether the runtimes' outputs agree."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np

LABEL = {"edgekd": "edgekd", "xnnpack": "LiteRT + XNNPACK", "builtin": "LiteRT builtin"}


def _max_diff(a: list, b: list) -> float | None:
    """Largest |a - b| over all outputs (int8 steps or float units); None when the shapes differ."""
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return None
    return max((float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))) if x.size else 0.0)
               for x, y in zip(a, b))


def agreement(outputs: dict[str, list]) -> dict:
    """From outputs keyed "runtime/cpu" (and "litert-x86-builtin"): is edgekd the same on every CPU, and
    its largest difference to each other runtime (over the CPUs)."""
    ours = {k.split("/")[1]: v for k, v in outputs.items() if k.startswith("edgekd/")}
    out: dict = {}
    if ours:
        first = next(iter(ours.values()))
        out["edgekd same bytes on every CPU"] = all(
            len(v) == len(first) and all(np.array_equal(x, y) for x, y in zip(v, first)) for v in ours.values())
        if "litert-x86-builtin" in outputs:
            out["max |edgekd - LiteRT builtin x86|"] = _max_diff(first, outputs["litert-x86-builtin"])
    for rt in ("builtin", "xnnpack"):
        diffs = [_max_diff(v, outputs[f"{rt}/{cpu}"]) for cpu, v in ours.items() if f"{rt}/{cpu}" in outputs]
        if diffs:
            out[f"max |edgekd - LiteRT {rt} aarch64|"] = None if None in diffs else max(diffs)
    arm = [v for k, v in outputs.items() if k.startswith("builtin/")]
    if arm and "litert-x86-builtin" in outputs:
        d = [_max_diff(v, outputs["litert-x86-builtin"]) for v in arm]
        out["max |LiteRT builtin aarch64 - x86|"] = None if None in d else max(d)
    return out


def demangle(names: list[str]) -> dict[str, str]:
    """C++ symbol -> a readable name without its parameter list (c++filt when it is installed)."""
    plain = names
    if names and shutil.which("c++filt"):
        r = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True)
        if r.returncode == 0 and len(r.stdout.splitlines()) == len(names):
            plain = r.stdout.splitlines()
    return dict(zip(names, (_drop_params(p) for p in plain)))


def _drop_params(name: str) -> str:
    depth = 0
    for i, ch in enumerate(name):
        depth += {"<": 1, ">": -1}.get(ch, 0)
        if ch == "(" and depth == 0 and i > 0 and not name.startswith("(anonymous", i):
            return name[:i]
    return name


def _m(x: float | None) -> str:
    return "—" if x is None else (f"{x / 1e6:.2f} M" if x >= 1e5 else f"{x / 1e6:.3f} M")


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if not a or not b else f"{a / b:.2f}"


def print_table(results: list[dict], runtimes: list[str]) -> None:
    head = ["network", "CPU (edgekd path)"]
    for rt in runtimes:
        head.append(LABEL[rt])
        if rt != "edgekd" and "edgekd" in runtimes:
            head.append(f"edgekd / {'XNNPACK' if rt == 'xnnpack' else 'builtin'}")
    cyc = any("cycles" in row.get(rt, {}) for r in results for row in r["rows"].values() for rt in runtimes)
    if cyc:
        head += [f"est. cycles {LABEL[rt]}" for rt in runtimes] + (
            ["est. cycles edgekd / XNNPACK"] if {"edgekd", "xnnpack"} <= set(runtimes) else [])
    print("\nInstructions per inference under qemu-aarch64 (1 thread; not time); est. cycles: llvm-mca on the hot "
          "blocks, weighted by executions (see docs/ARM_BENCHMARK.md)\n")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in results:
        for cpu, row in r["rows"].items():
            ins = {rt: row.get(rt, {}).get("insns") for rt in runtimes}
            cells = [r["network"], f"{cpu} ({row.get('path', '?')})"]
            for rt in runtimes:
                cells.append("failed" if "error" in row.get(rt, {}) else _m(ins[rt]))
                if rt != "edgekd" and "edgekd" in runtimes:
                    cells.append(_ratio(ins["edgekd"], ins[rt]))
            if cyc:
                c = {rt: row.get(rt, {}).get("cycles", {}).get("cycles") for rt in runtimes}
                cells += [_m(c[rt]) for rt in runtimes]
                if {"edgekd", "xnnpack"} <= set(runtimes):
                    cells.append(_ratio(c["edgekd"], c["xnnpack"]))
            print("| " + " | ".join(cells) + " |")
    vals = [row["edgekd"]["insns"] / row["xnnpack"]["insns"] for r in results for row in r["rows"].values()
            if row.get("edgekd", {}).get("insns") and row.get("xnnpack", {}).get("insns")]
    if vals:
        print(f"\nedgekd / XNNPACK instructions: median {float(np.median(vals)):.2f}, max {max(vals):.2f} "
              f"over {len(vals)} network x CPU pairs")
    print("\nOutputs (one seeded random input per network):")
    for r in results:
        facts = ", ".join(f"{k}: {'—' if v is None else (v if isinstance(v, bool) else f'{v:g}')}"
                          for k, v in r["agreement"].items())
        print(f"  {r['network']}: {facts}")
    cov = [row[rt]["cycles"]["coverage"] for r in results for row in r["rows"].values() for rt in runtimes
           if "cycles" in row.get(rt, {})]
    if cov:
        print(f"\nllvm-mca saw {min(cov):.1%} or more of each row's executed instructions (the hot blocks); "
              "the rest are charged the hot blocks' cycles per instruction.")


def print_profiles(results: list[dict], top: int) -> None:
    print(f"\nedgekd per function (instructions per inference, top {top}; '?' = outside edgekd-run's symbols):")
    for r in results:
        for cpu, row in r["rows"].items():
            syms = row.get("edgekd", {}).get("symbols")
            if not syms:
                continue
            total = row["edgekd"]["insns"]
            print(f"  {r['network']} on {cpu} ({row.get('path', '?')}): {_m(total)}")
            for name, n in sorted(syms.items(), key=lambda kv: -kv[1])[:top]:
                print(f"    {100 * n / total:5.1f}%  {_m(n):>9}  {name[:110]}")
