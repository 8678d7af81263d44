"""One core's int8 MAC peak per SIMD path, from the gemm_peak benchmark program (benchmarks/gemm_peak,
built with -DEDGEKD_BUILD_BENCHMARKS=ON; not part of the installed package). Built once per checkout under
build/bench, or taken from $EDGEKD_GEMM_PEAK."""
from __future__ import annotations

import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def gemm_peak_program() -> Path:
    """The gemm_peak executable: $EDGEKD_GEMM_PEAK, or configured and built here on first use."""
    given = os.environ.get("EDGEKD_GEMM_PEAK")
    if given:
        return Path(given)
    build = ROOT / "build" / "bench"
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                    "-DEDGEKD_BUILD_BENCHMARKS=ON", "-DEDGEKD_BUILD_PYTHON=OFF", "-DEDGEKD_BUILD_TESTS=OFF",
                    "-DEDGEKD_BUILD_TOOLS=OFF"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build), "--target", "gemm_peak"], check=True, capture_output=True)
    return build / "gemm_peak"


def measure(isa: str, seconds: float = 0.05) -> dict | None:
    """{isa, instruction, macs_per_instruction, macs_per_second} for a SIMD path; None for ref or a path
    this build or CPU lacks (gemm_peak exits 2 for those)."""
    r = subprocess.run([str(gemm_peak_program()), isa, str(seconds)], capture_output=True, text=True)
    if r.returncode == 2:
        return None
    r.check_returncode()
    return json.loads(r.stdout)
