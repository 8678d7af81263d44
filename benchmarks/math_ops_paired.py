"""The math ops one layer at a time: edgekd (the path it picks) vs LiteRT (its default XNNPACK delegate, and its
builtin kernels) in ONE process, in alternating blocks, at one thread, timed on the calling thread's CPU clock.

    python benchmarks/math_ops_paired.py [--blocks 9] [--block-seconds 0.2] [--layers NAME,...]

Layers are edge-typical shapes (a transformer block's layer norm and attention, a UNet decoder's transposed
conv, an atrous block) built by tests/litert_oneop_math.py. Prints per layer the median ms of each backend
and the median over blocks of the per-block edgekd / LiteRT ratios."""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import litert_oneop_math as M  # noqa: E402

LAYERS = {
    "sub 1x32x32x64": lambda: M.binary(M.SUB, (1, 32, 32, 64), (1, 32, 32, 64)),
    "squared_difference 128x256 - mean": lambda: M.binary(M.SQUARED_DIFFERENCE, (1, 128, 256), (1, 128, 1)),
    "rsqrt 128x1": lambda: M.unary(M.RSQRT, (1, 128, 1)),
    "gelu 128x1024": lambda: M.unary(M.GELU, (1, 128, 1024), approximate=True),
    "batch_matmul q.kT 4x64x64": lambda: M.batch_matmul((4, 64, 64), (4, 64, 64), adj_y=True),
    "batch_matmul attn.v 4x64x64": lambda: M.batch_matmul((4, 64, 64), (4, 64, 64)),
    "transpose_conv 16x16x32 -> 32x32x16 k3 s2": lambda: M.transpose_conv((1, 16, 16, 32), 16),
    "conv 3x3 d2 32x32x32 -> 32": lambda: M.dilated_conv((1, 32, 32, 32), 32),
    "depthwise 3x3 d2 32x32x64": lambda: M.dilated_conv((1, 32, 32, 64), 64, depthwise=True),
}


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.thread_time_ns()
        fn()
        times.append(time.thread_time_ns() - t)
    return statistics.median(times) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", type=int, default=9)
    ap.add_argument("--block-seconds", type=float, default=0.2)
    ap.add_argument("--layers", default="", help="comma-separated names (default: all)")
    args = ap.parse_args()
    import edgekd
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    names = [n for n in LAYERS if not args.layers or n in args.layers.split(",")]
    print(f"edgekd path {edgekd.load(LAYERS[names[0]]().model).path}; one thread; CPU clock")
    print("| layer | edgekd ms | LiteRT XNNPACK ms | LiteRT builtin ms | edgekd / XNNPACK | edgekd / builtin |")
    print("|---|---|---|---|---|---|")
    for name in names:
        case = LAYERS[name]()
        ours = edgekd.load(case.model, num_threads=1)
        peers = {}
        for kind, resolver in (("xnnpack", OpResolverType.AUTO),
                               ("builtin", OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)):
            it = Interpreter(model_content=case.model, num_threads=1, experimental_op_resolver_type=resolver)
            it.allocate_tensors()
            for d, x in zip(it.get_input_details(), case.feeds):
                it.set_tensor(d["index"], x)
            peers[kind] = it
        calls = {"edgekd": lambda: ours.run_raw(case.feeds), **{k: it.invoke for k, it in peers.items()}}
        for fn in calls.values():
            fn()
        runs = {k: max(3, int(args.block_seconds / max(_median_ms(fn, 3) / 1e3, 1e-6))) for k, fn in calls.items()}
        ms = {k: [] for k in calls}
        for b in range(args.blocks):
            for k in (list(calls) if b % 2 == 0 else list(reversed(calls))):
                ms[k].append(_median_ms(calls[k], runs[k]))
        ratio = {k: statistics.median(e / p for e, p in zip(ms["edgekd"], ms[k])) for k in peers}
        med = {k: statistics.median(v) for k, v in ms.items()}
        print(f"| {name} | {med['edgekd']:.4g} | {med['xnnpack']:.4g} | {med['builtin']:.4g} | "
              f"{ratio['xnnpack']:.2f} | {ratio['builtin']:.2f} |")


if __name__ == "__main__":
    main()
