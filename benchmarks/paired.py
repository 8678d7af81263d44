"""edgekd vs LiteRT (its default XNNPACK delegate) in ONE process, in alternating blocks: the figure we quote
for edgekd / LiteRT, on every network, SIMD path and thread count asked for.

    python benchmarks/paired.py [--networks all|builtin|zoo|NAME,...] [--paths auto,all] [--mt-paths auto]
                                [--threads 1,2] [--blocks 15] [--block-seconds 0.25] [--markdown out.md]

This host's speed drifts in phases that last minutes, and compare.py measures each backend in its own
process, seconds apart, so one phase can land on one backend only. Here LiteRT and edgekd (one instance per
SIMD path, each loaded under its own EDGEKD_ISA) run on the same input in the same process, block after
block, the order reversed every block; each block's ratio compares two medians taken about a second apart.
Per network, thread count and path it prints both medians (over blocks) and the median and quartiles of the
per-block ratios. `--paths` are measured at one thread: `auto` (what edgekd picks), `all` (every path this
CPU runs, ref included) or names; `--mt-paths` at the other thread counts. Each backend runs as many calls
per block as fit in --block-seconds (at least --min-runs, at most --runs). On a host busier than its cores,
wall time measures the share of CPU each block got as much as the code: at one thread `--clock cpu` times
the calling thread's CPU time instead (both runtimes compute in the calling thread at one thread). Networks
come from benchmarks/zoo/networks.py. Needs ai-edge-litert (the `peers` extra)."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "zoo"))
from machine import table_heading  # noqa: E402
from networks import select  # noqa: E402


CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}


def _block_median_ms(fn, runs: int, warmup: int, clock=time.perf_counter_ns) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = clock()
        fn()
        samples.append(clock() - t0)
    return statistics.median(samples) / 1e6


def fmt_ms(v: float) -> str:
    """Three decimals, or four significant digits below a millisecond (the tiny models take microseconds)."""
    return f"{v:.3f}" if v >= 1 else f"{v:.4g}"


def expand_paths(spec: str) -> list[str]:
    """'auto', 'all' (every path compiled in and supported here, ref first) or path names, in order."""
    import edgekd

    info = edgekd.cpu_info()
    runnable = [p for p in info["compiled_paths"] if p in info["supported_paths"] or p == "ref"]
    out: list[str] = []
    for p in (s.strip() for s in spec.split(",")):
        if p == "all":
            out += runnable
        elif p == "auto" or p in runnable:
            out.append(p)
        elif p:
            raise ValueError(f"path {p!r} does not run here; this CPU runs: auto, {', '.join(runnable)}")
    return list(dict.fromkeys(out))


def networks_and_paths(args: argparse.Namespace) -> tuple[list, list[str], list[str]] | None:
    """--networks, --paths and --mt-paths resolved; None after one error line on stderr."""
    try:
        return select(args.networks), expand_paths(args.paths), expand_paths(args.mt_paths)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return None


def load_edgekd(model: bytes, threads: int, path: str):
    """edgekd's model with the SIMD path forced (selection happens at load); 'auto' leaves it to edgekd."""
    import edgekd

    old = os.environ.pop("EDGEKD_ISA", None)
    try:
        if path != "auto":
            os.environ["EDGEKD_ISA"] = path
        return edgekd.load(model, num_threads=threads)
    finally:
        os.environ.pop("EDGEKD_ISA", None)
        if old is not None:
            os.environ["EDGEKD_ISA"] = old


def measure(model: bytes, threads: int, paths: list[str], blocks: int, block_seconds: float,
            min_runs: int, max_runs: int, clock: str = "wall") -> dict[str, dict]:
    """Per path: edgekd and LiteRT medians over blocks (ms), the per-block edgekd / LiteRT ratios, and the
    path edgekd actually ran."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model, num_threads=threads)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    rng = np.random.default_rng(0)
    x = (rng.integers(-128, 128, size=inp["shape"]).astype(inp["dtype"]) if inp["dtype"] != np.float32
         else rng.standard_normal(inp["shape"]).astype(np.float32))

    def litert():
        it.set_tensor(inp["index"], x)
        it.invoke()
        return it.get_tensor(out["index"])

    models = {p: load_edgekd(model, threads, p) for p in paths}
    calls = {"litert": litert} | {p: (lambda m=m: m(x)) for p, m in models.items()}
    runs = {}
    for key, fn in calls.items():  # calls per block from a short estimate, fixed for all blocks
        fn()
        t0 = time.perf_counter()
        fn()
        fn()
        est = (time.perf_counter() - t0) / 2
        runs[key] = max(min_runs, min(max_runs, int(block_seconds / max(est, 1e-7))))
    times: dict[str, list[float]] = {k: [] for k in calls}
    for b in range(blocks):
        order = list(calls) if b % 2 == 0 else list(calls)[::-1]
        for key in order:
            times[key].append(_block_median_ms(calls[key], runs[key], max(1, runs[key] // 10), CLOCKS[clock]))
    res = {}
    for p in paths:
        ratios = [e / lt for e, lt in zip(times[p], times["litert"])]
        res[p] = {"edgekd_ms": statistics.median(times[p]), "litert_ms": statistics.median(times["litert"]),
                  "ratios": ratios, "ran": models[p].path, "runs": runs[p], "litert_runs": runs["litert"]}
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--networks", default="all", help="all, builtin, zoo, or comma-separated names / stems")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--paths", default="auto", help="paths at 1 thread: auto, all, or names (ref,avx2,...)")
    ap.add_argument("--mt-paths", default="auto", help="paths at the other thread counts")
    ap.add_argument("--blocks", type=int, default=15)
    ap.add_argument("--block-seconds", type=float, default=0.25, help="per backend per block")
    ap.add_argument("--min-runs", type=int, default=3)
    ap.add_argument("--runs", type=int, default=1000, help="most timed calls per backend per block")
    ap.add_argument("--clock", choices=list(CLOCKS), default="wall",
                    help="wall: latency; cpu: the calling thread's CPU time, which a busy host's preemptions "
                         "do not inflate (one thread only: other threads' work is not counted)")
    ap.add_argument("--markdown", type=Path, help="also write the table here")
    ap.add_argument("--json", type=Path, help="per-block times and ratios")
    args = ap.parse_args()
    if args.clock == "cpu" and any(int(t) != 1 for t in args.threads.split(",")):
        print("error: --clock cpu counts the calling thread only; use it with --threads 1", file=sys.stderr)
        return 2
    chosen = networks_and_paths(args)
    if chosen is None:
        return 2
    nets, paths_1t, paths_mt = chosen

    command = shlex.join(["python", "benchmarks/paired.py", *sys.argv[1:]])
    what = "latency" if args.clock == "wall" else "CPU time of the calling thread"
    lines = [table_heading(f"edgekd vs LiteRT (XNNPACK) in one process, batch 1, {what}, {args.blocks} "
                           f"alternating blocks of ~{args.block_seconds} s per backend", command), "",
             "| network | threads | path | edgekd ms | LiteRT (XNNPACK) ms | edgekd / LiteRT, median of blocks "
             "| quartiles |", "|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    raw = []
    for net in nets:
        model = net.tflite()
        for threads in [int(t) for t in args.threads.split(",")]:
            paths = paths_1t if threads == 1 else paths_mt
            res = measure(model, threads, paths, args.blocks, args.block_seconds, args.min_runs, args.runs,
                          args.clock)
            for p, r in res.items():
                q1, _, q3 = statistics.quantiles(r["ratios"], n=4)
                label = f"auto ({r['ran']})" if p == "auto" else p
                line = (f"| {net.name} | {threads} | {label} | {fmt_ms(r['edgekd_ms'])} | {fmt_ms(r['litert_ms'])} | "
                        f"{statistics.median(r['ratios']):.2f} | {q1:.2f}-{q3:.2f} |")
                lines.append(line)
                print(line, flush=True)
                raw.append({"network": net.name, "threads": threads, "path": p, **r})
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
