"""Python call overhead of the LiteRT-style API: edgekd.Interpreter vs LiteRT's Interpreter (builtin kernels)
on a tiny model, where the call itself dominates, in ONE process, alternating blocks.

    python benchmarks/interpreter_overhead.py [--blocks 15] [--runs 2000]

Prints the median time per call (microseconds, median of block medians) of: invoke(); set_tensor + invoke +
get_tensor; tensor(i)() view writes + invoke; and edgekd's model(x), with the edgekd / LiteRT ratio.
Needs ai-edge-litert (the `peers` extra)."""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import numpy as np

import edgekd
from edgekd.testing import models
from edgekd.tflite.writer import write_tflite


def tiny_model() -> bytes:
    b = models.GraphBuilder("tiny", seed=0)
    x = b.input((1, 4, 4, 8))
    return write_tflite(b.output(b.conv2d(x, 4, 1)))


def block_us(fn: Callable[[], object], runs: int) -> float:
    t = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        t.append(time.perf_counter_ns() - t0)
    return statistics.median(t) / 1e3


def cases(it, x: np.ndarray) -> dict:
    i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    it.allocate_tensors()
    it.set_tensor(i, x)
    view_in = it.tensor(i)

    def cycle():
        it.set_tensor(i, x)
        it.invoke()
        return it.get_tensor(o)

    def views():
        view_in()[...] = x
        it.invoke()
    return {"invoke()": it.invoke, "set_tensor+invoke+get_tensor": cycle, "tensor()() write+invoke": views}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--blocks", type=int, default=15)
    ap.add_argument("--runs", type=int, default=2000)
    args = ap.parse_args()
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    model = tiny_model()
    x = np.random.default_rng(0).integers(-128, 128, size=(1, 4, 4, 8), dtype=np.int8)
    ours = cases(edgekd.Interpreter(model_content=model), x)
    theirs = cases(Interpreter(model_content=model,
                               experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES), x)
    m = edgekd.load(model)
    ours["model(x)"] = lambda: m(x)
    times: dict = {(who, k): [] for who, c in (("edgekd", ours), ("litert", theirs)) for k in c}
    for blk in range(args.blocks):
        order = [("edgekd", ours), ("litert", theirs)]
        for who, c in (order if blk % 2 == 0 else order[::-1]):
            for k, fn in c.items():
                times[(who, k)].append(block_us(fn, args.runs))
    print(f"{'call':32s} {'edgekd us':>10s} {'LiteRT us':>10s} {'ratio':>6s}")
    for k in ours:
        e = statistics.median(times[("edgekd", k)])
        if ("litert", k) in times:
            lt = statistics.median(times[("litert", k)])
            print(f"{k:32s} {e:10.2f} {lt:10.2f} {e / lt:6.2f}")
        else:
            print(f"{k:32s} {e:10.2f} {'-':>10s} {'-':>6s}")


if __name__ == "__main__":
    main()
