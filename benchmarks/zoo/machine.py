"""The line that heads every benchmark table: CPU model, cores, and the SIMD paths edgekd can run here.

Virtual machines often report a generic model name ("Intel(R) Xeon(R) Processor"), so the x86 family and
model numbers from /proc/cpuinfo are given too, with the microarchitecture they stand for where known."""
from __future__ import annotations

import datetime
import os
from pathlib import Path

# (family, model) -> microarchitecture, from Intel's published CPUID model numbers
_INTEL_MODELS = {(6, 85): "Skylake-SP / Cascade Lake", (6, 106): "Ice Lake-SP", (6, 143): "Sapphire Rapids",
                 (6, 207): "Emerald Rapids", (6, 173): "Granite Rapids", (6, 151): "Alder Lake",
                 (6, 183): "Raptor Lake"}


def cpuinfo_fields(text: str | None = None) -> dict[str, str]:
    """The first processor's fields from /proc/cpuinfo (empty where there is none)."""
    if text is None:
        p = Path("/proc/cpuinfo")
        text = p.read_text() if p.exists() else ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_label() -> str:
    """e.g. 'Intel(R) Xeon(R) Processor (family 6 model 207: Emerald Rapids), 2 cores, edgekd paths ref,
    avx2, avx512vnni (auto: avx512vnni)'."""
    import edgekd

    f = cpuinfo_fields()
    name = f.get("model name") or f.get("Model") or f.get("CPU part") or "unknown CPU"
    if "cpu family" in f and "model" in f:
        fam, model = int(f["cpu family"]), int(f["model"])
        arch = _INTEL_MODELS.get((fam, model)) if "Intel" in f.get("vendor_id", "") else None
        name += f" (family {fam} model {model}" + (f": {arch})" if arch else ")")
    info = edgekd.cpu_info()
    paths = [p for p in info["compiled_paths"] if p in info["supported_paths"]]
    return f"{name}, {os.cpu_count()} cores, edgekd paths {', '.join(paths)} (auto: {info['path']})"


def peer_versions() -> str:
    """Versions of edgekd and of the peers that are installed (a peer's speed moves between releases)."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for dist in ("edgekd", "ai-edge-litert", "onnxruntime", "torch"):
        try:
            out.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def table_heading(what: str, command: str) -> str:
    return (f"{what}, measured {datetime.date.today()} on {cpu_label()}; {peer_versions()}; "
            f"`{command}`.")
