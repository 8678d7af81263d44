"""Shared benchmark fixtures: the one-core int8 MAC peak, sampled during the run, and the GEMM summary.

The peak is sampled several times (at session start and before every GEMM benchmark) so that it sees the
same clock and the same neighbours as the GEMMs; fractions of peak use the median sample.
"""
from __future__ import annotations

import statistics

import pytest

GEMM_RESULTS: list[dict] = []      # filled by bench_gemm.py
PEAK_SAMPLES: dict[str, list[float]] = {}


def sample_peak(isa: str, seconds: float = 0.05) -> float | None:
    """One peak sample (MAC/s) for a SIMD path, or None for ref / unavailable paths."""
    from int8_peak import measure

    p = measure(isa, seconds)
    if p is None:
        return None
    PEAK_SAMPLES.setdefault(isa, []).append(p["macs_per_second"])
    PEAK_INSTRUCTIONS[isa] = p["instruction"]
    return p["macs_per_second"]


PEAK_INSTRUCTIONS: dict[str, str] = {}


def median_peak(isa: str) -> float | None:
    s = PEAK_SAMPLES.get(isa)
    return statistics.median(s) if s else None


@pytest.fixture(scope="session")
def int8_peak_sampler():
    return sample_peak


def pytest_terminal_summary(terminalreporter):
    if not GEMM_RESULTS:
        return
    tr = terminalreporter
    tr.section("int8 GEMM, one core: median MAC/s, fraction of the measured peak, speed-up over ref")
    for isa, samples in sorted(PEAK_SAMPLES.items()):
        tr.write_line(f"peak[{isa}] = {PEAK_INSTRUCTIONS.get(isa, '?')}: median {statistics.median(samples) / 1e9:.1f} "
                      f"GMAC/s over {len(samples)} samples (min {min(samples) / 1e9:.1f}, max {max(samples) / 1e9:.1f})")
    ref = {r["shape"]: r["macs_per_s"] for r in GEMM_RESULTS if r["isa"] == "ref"}
    ref_best = {r["shape"]: r["macs_per_s_best"] for r in GEMM_RESULTS if r["isa"] == "ref"}
    tr.write_line("median = at the median time (vs the median peak sample); best = at the minimum time (vs the best")
    tr.write_line("peak sample): on a shared machine the best is the less disturbed figure.")
    tr.write_line(f"{'shape (M,N,K)':<16}{'isa':<6}{'kernel':<22}{'median':>8}{'%peak':>7}{'x ref':>7}"
                  f"{'best':>8}{'%peak':>7}{'x ref':>7}   (GMAC/s)")
    for r in GEMM_RESULTS:
        peak = median_peak(r["isa"])
        peak_best = max(PEAK_SAMPLES[r["isa"]]) if PEAK_SAMPLES.get(r["isa"]) else None
        frac = f"{100 * r['macs_per_s'] / peak:.0f}%" if peak else "-"
        frac_best = f"{100 * r['macs_per_s_best'] / peak_best:.0f}%" if peak_best else "-"
        simd = r["shape"] in ref and r["isa"] != "ref"
        speedup = f"{r['macs_per_s'] / ref[r['shape']]:.1f}" if simd else "-"
        speedup_best = f"{r['macs_per_s_best'] / ref_best[r['shape']]:.1f}" if simd else "-"
        shape = "x".join(map(str, r["shape"]))
        tr.write_line(f"{shape:<16}{r['isa']:<6}{r['kernel']:<22}{r['macs_per_s'] / 1e9:>8.2f}{frac:>7}{speedup:>7}"
                      f"{r['macs_per_s_best'] / 1e9:>8.2f}{frac_best:>7}{speedup_best:>7}")
