"""Depthwise conv throughput per SIMD path (pytest-benchmark).

    pytest benchmarks/bench_dwconv.py --benchmark-only --benchmark-columns=median,iqr,rounds

Shapes are MobileNetV2's 3x3 depthwise layers, SAME padding, single thread. Each result carries
`extra_info["gmacs_median"]` (multiply-accumulates per second at the median time, in 1e9) and the chosen
kernel variant; `--benchmark-json out.json` keeps them. The target is every SIMD path >= 4x ref.
"""
from __future__ import annotations

import numpy as np
import pytest

import edgekd
from edgekd import _core

SHAPES = {
    "56x56x144_s1": ((1, 56, 56, 144), 1),
    "28x28x192_s2": ((1, 28, 28, 192), 2),
}


def _paths() -> list[str]:
    info = edgekd.cpu_info()
    return [p for p in ("ref", "avx2", "avx512vnni", "neon", "neondot")
            if p in info["compiled_paths"] and p in info["supported_paths"]]


@pytest.mark.parametrize("isa", _paths())
@pytest.mark.parametrize("shape_name", list(SHAPES))
def test_dwconv_3x3(benchmark, isa, shape_name):
    shape, stride = SHAPES[shape_name]
    c = shape[3]
    rng = np.random.default_rng(0)
    conv = _core.DepthwiseConv(
        isa, rng.integers(-127, 128, size=(3, 3, c), dtype=np.int8),
        rng.integers(-5000, 5000, size=c, dtype=np.int32), shape, stride=(stride, stride), padding="same",
        input_zero_point=-3, multiplier=np.full(c, 1 << 30, np.int32), shift=np.full(c, -8, np.int32),
        output_zero_point=2)
    x = rng.integers(-128, 128, size=shape, dtype=np.int8)
    benchmark.group = f"dwconv 3x3 {shape_name}"
    benchmark(conv.run, x)
    median = benchmark.stats.stats.median
    benchmark.extra_info["variant"] = conv.variant
    benchmark.extra_info["macs"] = conv.macs
    benchmark.extra_info["gmacs_median"] = conv.macs / median / 1e9
