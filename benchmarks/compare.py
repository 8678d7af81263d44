"""The README's comparison table: edgekd vs LiteRT (default XNNPACK delegate) vs ONNX Runtime int8 (QDQ from
its own quantize_static) vs PyTorch fp32 on the same networks, batch 1, at 1 and 2 threads, in one run.

    python benchmarks/compare.py [--runs 200] [--min-seconds 2] [--threads 1,2] [--rounds 3] [--markdown out.md]

Each backend runs in its own process (edgekd.bench), so load time and peak RSS are its own. The machines are
shared and noisy, so every (network, threads) cell is measured in --rounds rounds, the backends' order
reversed every other round; the table gives each backend's median p50 over the rounds and the median of
the per-round edgekd / LiteRT ratios (each ratio from two processes run back to back)."""
from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import tempfile
from pathlib import Path

NETWORKS = {
    "small CNN 28x28x1": lambda m: m.small_cnn(seed=0),
    "MobileNetV2 0.35 96x96": lambda m: m.mobilenet_v2(0.35, 96, seed=0),
    "MobileNetV3-Small 0.75 96x96": lambda m: m.mobilenet_v3_small(0.75, 96, seed=0),
    "MobileNetV2 1.0 224x224": lambda m: m.mobilenet_v2(1.0, 224, seed=0),
}
BACKENDS = ["edgekd", "litert", "onnxruntime", "torch"]


def prepare(workdir: Path, names: list[str]) -> dict[str, dict]:
    import torch

    from edgekd.bench.peers import to_onnx_qdq, to_torch
    from edgekd.testing import models
    from edgekd.tflite.writer import write_tflite

    files = {}
    for i, name in enumerate(names):
        g = NETWORKS[name](models)
        t = workdir / f"net{i}.tflite"
        t.write_bytes(write_tflite(g))
        onnx = to_onnx_qdq(g, workdir / f"net{i}.onnx")
        module = to_torch(g)
        x = torch.zeros(g.tensors[g.inputs[0]].shape)
        pt = workdir / f"net{i}.pt"
        torch.jit.save(torch.jit.trace(module, x), str(pt))
        files[name] = {"tflite": t, "onnx": onnx, "torch": pt}
    return files


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated subset")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    import logging

    logging.getLogger().setLevel(logging.ERROR)  # quantize_static's advice
    from edgekd.bench.harness import BenchConfig, run_bench
    from edgekd.bench.sysinfo import machine_info

    names = [n.strip() for n in args.networks.split(",") if n.strip()]
    rows, raw = [], []
    with tempfile.TemporaryDirectory() as d:
        files = prepare(Path(d), names)
        for name in names:
            for threads in [int(t) for t in args.threads.split(",")]:
                rounds = []
                for r in range(max(1, args.rounds)):
                    order = BACKENDS if r % 2 == 0 else BACKENDS[::-1]
                    rep = run_bench(BenchConfig(files[name]["tflite"], order, threads, args.warmup, args.runs,
                                                args.min_seconds, onnx=files[name]["onnx"],
                                                torch=files[name]["torch"], energy=False))
                    raw.append(rep.as_dict())
                    rounds.append({x.backend: x for x in rep.results})
                    for x in rep.results:
                        if x.skipped and r == 0:
                            print(f"  skipped: {x.skipped}", file=sys.stderr)
                p50 = {b: _median([by[b].latency.p50_ms for by in rounds if b in by and by[b].latency])
                       for b in BACKENDS}
                ratio = _median([by["edgekd"].latency.p50_ms / by["litert"].latency.p50_ms for by in rounds
                                 if all(b in by and by[b].latency for b in ("edgekd", "litert"))])
                ek = rounds[0].get("edgekd")
                rows.append((name, threads, p50, ratio, ek))
                print(f"{name}, {threads}T: " + ", ".join(f"{b} {v:.3f} ms" for b, v in p50.items() if v)
                      + (f", edgekd/LiteRT {ratio:.2f}" if ratio else ""), file=sys.stderr)
    m = machine_info()
    f = lambda v, spec=".3f": "-" if v is None else format(v, spec)  # noqa: E731
    lines = [f"Measured {datetime.date.today()} on {m['cpu']} ({m['cores']} cores), batch 1, p50 latency in ms "
             f"(median of >= {args.runs} runs, median over {args.rounds} rounds); `python benchmarks/compare.py`.", "",
             "| network | threads | edgekd | LiteRT (XNNPACK) | ONNX Runtime int8 | PyTorch fp32 | edgekd / LiteRT "
             "| edgekd load ms | edgekd peak RSS MiB | arena KiB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, threads, p50, ratio, ek in rows:
        lines.append(f"| {name} | {threads} | {f(p50['edgekd'])} | {f(p50['litert'])} | {f(p50['onnxruntime'])} | "
                     f"{f(p50['torch'])} | {f(ratio, '.2f')} | {f(ek.load_ms if ek else None, '.1f')} | "
                     f"{f(ek.peak_rss_bytes / 2**20 if ek and ek.peak_rss_bytes else None, '.1f')} | "
                     f"{f(ek.arena_bytes / 1024 if ek and ek.arena_bytes else None, '.0f')} |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
