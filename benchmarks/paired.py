"""edgekd vs LiteRT (its default XNNPACK delegate) in ONE process, in alternating blocks: the paired view of
compare.py's edgekd / LiteRT column.

    python benchmarks/paired.py [--blocks 9] [--runs 300] [--threads 1,2] [--networks "small CNN 28x28x1,..."]

This host's speed drifts in phases that last minutes, and compare.py measures each backend in its own
process, seconds apart, so one phase can land on one backend only. Here both run on the same input in the
same process, block after block (order swapped every block), and each block's ratio compares two medians
taken well under a second apart. Prints, per network and thread count, both medians and the median and
quartiles of the per-block ratios. Needs ai-edge-litert (the `peers` extra)."""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from compare import NETWORKS  # noqa: E402


def _block_median_ms(fn, runs: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1e6


def measure(model: bytes, threads: int, blocks: int, runs: int) -> tuple[float, float, list[float]]:
    """(edgekd median ms, LiteRT median ms, per-block edgekd / LiteRT ratios)."""
    from ai_edge_litert.interpreter import Interpreter

    import edgekd

    it = Interpreter(model_content=model, num_threads=threads)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    x = np.random.default_rng(0).integers(-128, 128, size=inp["shape"]).astype(inp["dtype"])

    def litert():
        it.set_tensor(inp["index"], x)
        it.invoke()
        return it.get_tensor(out["index"])

    m = edgekd.load(model, num_threads=threads)
    ours, theirs, ratios = [], [], []
    for b in range(blocks):
        first, second = (lambda: m(x), litert) if b % 2 == 0 else (litert, lambda: m(x))
        t1 = _block_median_ms(first, runs, runs // 10)
        t2 = _block_median_ms(second, runs, runs // 10)
        e, lt = (t1, t2) if b % 2 == 0 else (t2, t1)
        ours.append(e)
        theirs.append(lt)
        ratios.append(e / lt)
    return statistics.median(ours), statistics.median(theirs), ratios


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blocks", type=int, default=9)
    ap.add_argument("--runs", type=int, default=300, help="timed runs per backend per block")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated subset")
    args = ap.parse_args()

    from edgekd.testing import models
    from edgekd.tflite.writer import write_tflite

    print("| network | threads | edgekd ms | LiteRT (XNNPACK) ms | edgekd / LiteRT, median of blocks | quartiles |")
    print("|---|---|---|---|---|---|")
    for name in [n.strip() for n in args.networks.split(",") if n.strip()]:
        model = write_tflite(NETWORKS[name](models))
        for threads in [int(t) for t in args.threads.split(",")]:
            e, lt, ratios = measure(model, threads, args.blocks, args.runs)
            q1, _, q3 = statistics.quantiles(ratios, n=4)
            print(f"| {name} | {threads} | {e:.3f} | {lt:.3f} | {statistics.median(ratios):.2f} | "
                  f"{q1:.2f}-{q3:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
