"""One backend, one model, one fresh process: so that load time and peak RSS belong to that backend
alone. Invoked by the harness as ``python -m edgekd.bench.worker SPEC_JSON``; prints one JSON line."""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from .backends import BACKENDS, ModelFiles


def peak_rss_bytes() -> int:
    """This process's peak resident set. VmHWM belongs to the process image, unlike ru_maxrss, which Linux
    carries across fork+exec, so a worker started by a big parent (a torch training run) would report the
    parent's peak as its own."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _timed_loop(run, runs: int, min_seconds: float) -> list[int]:
    samples: list[int] = []
    deadline = time.perf_counter() + min_seconds
    while len(samples) < runs or time.perf_counter() < deadline:
        t0 = time.perf_counter_ns()
        run()
        samples.append(time.perf_counter_ns() - t0)
    return samples


def bench_one(spec: dict) -> dict:
    backend = BACKENDS[spec["backend"]]
    files = ModelFiles(Path(spec["tflite"]), Path(spec["onnx"]) if spec.get("onnx") else None,
                       Path(spec["torch"]) if spec.get("torch") else None)
    t0 = time.perf_counter_ns()
    loaded = backend.load(files, spec["threads"])
    load_ns = time.perf_counter_ns() - t0
    t0 = time.perf_counter_ns()
    loaded.run()
    first_ns = time.perf_counter_ns() - t0
    for _ in range(spec["warmup"]):
        loaded.run()

    energy = None
    meter = None
    if spec.get("energy", True):
        from . import energy_hook

        meter = energy_hook.open_meter(spec.get("device"))
    if meter is not None:
        meter.start()
    samples = _timed_loop(loaded.run, spec["runs"], spec["min_seconds"])
    if meter is not None:
        energy = meter.stop(len(samples), spec["threads"])
    return {
        "backend": backend.name,
        "label": backend.label,
        "load_ms": load_ns / 1e6,
        "first_ms": first_ns / 1e6,
        "samples_ns": samples,
        "peak_rss_bytes": peak_rss_bytes(),
        "info": loaded.info,
        "energy": energy,
    }


def main() -> int:
    spec = json.loads(sys.argv[1])
    try:
        out = bench_one(spec)
    except Exception as e:  # reported, not raised: the harness prints one line for a failed backend
        out = {"backend": spec["backend"], "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
