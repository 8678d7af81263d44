"""`edgekd bench`: every backend in its own process, one result per backend, all in one run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EdgekdError
from .backends import BACKENDS, ModelFiles
from .options import check_model_file, check_run_options
from .stats import LatencyStats, latency_stats
from .sysinfo import machine_info


@dataclass
class BenchConfig:
    model: Path
    backends: list[str] = field(default_factory=lambda: ["edgekd", "litert", "onnxruntime", "torch"])
    threads: int = 1
    warmup: int = 10
    runs: int = 100
    min_seconds: float = 1.0
    device: str | None = None  # a device profile: its power model backs "modeled" energy
    onnx: Path | None = None
    torch: Path | None = None
    energy: bool = True


@dataclass
class BackendResult:
    backend: str
    label: str
    latency: LatencyStats | None = None
    load_ms: float | None = None
    first_ms: float | None = None
    peak_rss_bytes: int | None = None
    arena_bytes: int | None = None
    path: str | None = None
    energy: dict | None = None
    skipped: str | None = None  # why it did not run

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "latency"}
        d["latency"] = self.latency.as_dict() if self.latency else None
        return d


@dataclass
class BenchReport:
    model: str
    model_bytes: int
    threads: int
    machine: dict
    results: list[BackendResult]

    def as_dict(self) -> dict:
        return {"model": self.model, "model_bytes": self.model_bytes, "threads": self.threads,
                "machine": self.machine, "results": [r.as_dict() for r in self.results]}


def _worker(spec: dict, timeout: float) -> dict:
    env = dict(os.environ)
    try:
        proc = subprocess.run([sys.executable, "-m", "edgekd.bench.worker", json.dumps(spec)],
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"worker exited with {proc.returncode}: {tail}"}
    return json.loads(lines[-1])


def check_config(cfg: BenchConfig) -> None:
    """Everything a run needs, checked before any backend starts: one EdgekdError naming the option or
    file at fault (a malformed model fails here, not as one "skipped" line per backend)."""
    check_run_options(cfg.threads, cfg.runs, cfg.warmup, cfg.min_seconds)
    if not cfg.backends:
        raise EdgekdError(f"--backend names no backend; choose from {', '.join(BACKENDS)}")
    unknown = [b for b in cfg.backends if b not in BACKENDS]
    if unknown:
        raise EdgekdError(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    if cfg.device:
        from ..devices.profile import load_profile

        load_profile(cfg.device)  # unknown name or invalid profile: its own message
    for flag, p in (("--onnx", cfg.onnx), ("--torch", cfg.torch)):
        if p is not None and not Path(p).is_file():
            raise EdgekdError(f"{p}: no such file ({flag})")
    check_model_file(cfg.model)


def run_bench(cfg: BenchConfig, timeout: float = 600.0) -> BenchReport:
    check_config(cfg)
    onnx = cfg.onnx or (cfg.model.with_suffix(".onnx") if cfg.model.with_suffix(".onnx").exists() else None)
    files = ModelFiles(cfg.model, onnx, cfg.torch)
    results = []
    for name in cfg.backends:
        b = BACKENDS[name]
        why = b.unavailable(files)
        if why:
            results.append(BackendResult(name, b.label, skipped=why))
            continue
        spec = {"backend": name, "tflite": str(files.tflite), "onnx": str(onnx) if onnx else None,
                "torch": str(cfg.torch) if cfg.torch else None, "threads": cfg.threads,
                "warmup": cfg.warmup, "runs": cfg.runs, "min_seconds": cfg.min_seconds,
                "device": cfg.device, "energy": cfg.energy}
        out = _worker(spec, timeout)
        if "error" in out:
            results.append(BackendResult(name, b.label, skipped=f"{b.label}: failed: {out['error']}"))
            continue
        info = out.get("info") or {}
        results.append(BackendResult(
            name, b.label, latency=latency_stats(out["samples_ns"]), load_ms=out["load_ms"],
            first_ms=out["first_ms"], peak_rss_bytes=out["peak_rss_bytes"],
            arena_bytes=info.get("arena_bytes"), path=info.get("path"), energy=out.get("energy")))
    return BenchReport(str(cfg.model), cfg.model.stat().st_size, cfg.threads, machine_info(), results)
