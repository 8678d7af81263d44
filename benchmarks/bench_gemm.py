"""int8 GEMM / fully-connected throughput on one core, per SIMD path (pytest-benchmark).

    pytest benchmarks/bench_gemm.py --benchmark-only --benchmark-columns=median,iqr,rounds

Shapes (M, N, K) are MobileNetV2-style pointwise and im2col'd convolutions, its classifier, one 3x3 conv
over 128 channels, and a 256x1024x1024 square-ish GEMM. Each result records in `extra_info`:
`gmacs_median` (1e9 multiply-accumulates per second at the median time), `peak_gmacs` (this core's int8
peak for the path, measured in the same run by the gemm_peak program (int8_peak.py builds it): AVX2 ->
independent vpmaddwd, AVX-512 VNNI -> independent vpdpbusd), `fraction_of_peak`, and the kernel name. The terminal summary prints the table, including the
speed-up over the ref path. Targets: every SIMD path >= 3x ref on every shape; avx512vnni >= 60% of peak
on 256x1024x1024.
"""
from __future__ import annotations

import numpy as np
import pytest

import edgekd
from edgekd import _core

from conftest import GEMM_RESULTS, median_peak

SHAPES = {
    "conv3x3s2_first_56x56": (3136, 32, 27),     # 3x3x3 im2col, 32 filters
    "pw_project_56x56": (3136, 16, 32),
    "pw_expand_56x56": (3136, 144, 24),
    "pw_project_28x28": (784, 32, 144),
    "pw_expand_14x14": (196, 384, 64),
    "conv3x3_14x14x128": (196, 128, 1152),       # 3x3x128 im2col
    "pw_expand_7x7": (49, 960, 160),
    "pw_last_7x7": (49, 1280, 320),
    "fc_classifier_b1": (1, 1000, 1280),
    "gemm_256x1024x1024": (256, 1024, 1024),
}


def _paths() -> list[str]:
    info = edgekd.cpu_info()
    return [p for p in ("ref", "avx2", "avx512vnni", "neon", "neondot")
            if p in info["compiled_paths"] and p in info["supported_paths"]]


@pytest.mark.parametrize("isa", _paths())
@pytest.mark.parametrize("shape_name", list(SHAPES))
def test_gemm(benchmark, int8_peak_sampler, isa, shape_name):
    m, n, k = SHAPES[shape_name]
    rng = np.random.default_rng(0)
    plan = _core.PackedGemm(
        isa, rng.integers(-127, 128, size=(n, k), dtype=np.int8), rng.integers(-5000, 5000, size=n, dtype=np.int32),
        input_zero_point=-3, multiplier=np.full(n, 1518500250, np.int32), shift=np.full(n, -9, np.int32),
        output_zero_point=2, threads=1)
    a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
    out = np.empty((m, n), np.int8)
    plan.run(a, out)  # warm caches and pages
    if isa != "ref":
        int8_peak_sampler(isa)
    benchmark.group = f"gemm {shape_name} {m}x{n}x{k}"
    benchmark(plan.run, a, out)
    macs = m * n * k
    median = benchmark.stats.stats.median
    peak = median_peak(isa)
    benchmark.extra_info.update(kernel=plan.kernel, macs=macs, gmacs_median=macs / median / 1e9)
    if peak:
        benchmark.extra_info.update(peak_gmacs=peak / 1e9, fraction_of_peak=macs / median / peak)
    best = benchmark.stats.stats.min
    benchmark.extra_info["gmacs_best"] = macs / best / 1e9
    GEMM_RESULTS.append(dict(shape=(m, n, k), isa=isa, kernel=plan.kernel, macs_per_s=macs / median,
                             macs_per_s_best=macs / best))
