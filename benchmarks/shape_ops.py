"""edgekd's shape and reduction ops vs LiteRT's builtin kernels, one op per model, in ONE process.

    python benchmarks/shape_ops.py [--blocks 9] [--runs 20]

Per op: LiteRT (builtin kernels, no delegate) and edgekd on every SIMD path here run on the same input in
alternating blocks; each block times `--runs` calls with the calling thread's CPU clock (both compute in
the calling thread at one thread) and the figure is the median over blocks. Models are written by
tests/litert_oneop.py. Needs ai-edge-litert."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import litert_oneop as lo  # noqa: E402

import edgekd  # noqa: E402
from edgekd import _core  # noqa: E402
from edgekd.testing import litert  # noqa: E402


def op_model(code, opt, in_shape, consts, out_shape, options=None, out_dtype=lo.INT8):
    tensors = [lo.T(in_shape, lo.INT8, 0.05, 3)]
    tensors += [lo.T(np.shape(c), lo.INT32, data=np.asarray(c, np.int32)) for c in consts]
    tensors.append(lo.T(out_shape, out_dtype, 0.05, 3) if out_dtype == lo.INT8 else lo.T(out_shape, out_dtype))
    n = len(tensors)
    return lo.one_op_model(tensors, lo.Op(code, list(range(n - 1)), [n - 1], opt, options or {}))


CASES = {
    "RESIZE_BILINEAR 1x28x28x64 -> 56x56, half_pixel": op_model(
        lo.RESIZE_BILINEAR, lo.OPT_RESIZE_BILINEAR, (1, 28, 28, 64), [(56, 56)], (1, 56, 56, 64), {3: ("bool", 1)}),
    "RESIZE_NEAREST_NEIGHBOR 1x28x28x64 -> 56x56": op_model(
        lo.RESIZE_NEAREST_NEIGHBOR, lo.OPT_RESIZE_NEAREST, (1, 28, 28, 64), [(56, 56)], (1, 56, 56, 64)),
    "TRANSPOSE 1x3x224x224 NCHW->NHWC": op_model(
        lo.TRANSPOSE, lo.OPT_TRANSPOSE, (1, 3, 224, 224), [(0, 2, 3, 1)], (1, 224, 224, 3)),
    "TRANSPOSE 1x56x56x64 NHWC->NCHW": op_model(
        lo.TRANSPOSE, lo.OPT_TRANSPOSE, (1, 56, 56, 64), [(0, 3, 1, 2)], (1, 64, 56, 56)),
    "TRANSPOSE 1x8x196x64 (0,2,1,3)": op_model(
        lo.TRANSPOSE, lo.OPT_TRANSPOSE, (1, 8, 196, 64), [(0, 2, 1, 3)], (1, 196, 8, 64)),
    "STRIDED_SLICE 1x56x56x64 [:, ::2, ::2]": op_model(
        lo.STRIDED_SLICE, lo.OPT_STRIDED_SLICE, (1, 56, 56, 64), [(0, 0, 0, 0), (1, 56, 56, 64), (1, 2, 2, 1)],
        (1, 28, 28, 64)),
    "SUM 1x56x56x64 over H, W": op_model(
        lo.SUM, lo.OPT_REDUCER, (1, 56, 56, 64), [(1, 2)], (1, 1, 1, 64), {0: ("bool", 1)}),
    "REDUCE_MAX 1x56x56x64 over H, W": op_model(
        lo.REDUCE_MAX, lo.OPT_REDUCER, (1, 56, 56, 64), [(1, 2)], (1, 1, 1, 64), {0: ("bool", 1)}),
    "ARG_MAX 1x64x64x21 over C": op_model(
        lo.ARG_MAX, lo.OPT_ARG_MAX, (1, 64, 64, 21), [[3]], (1, 64, 64), {0: ("i8", lo.INT32)}, lo.INT32),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", type=int, default=9)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    info = _core.cpu_info()
    paths = [p for p in info["compiled_paths"] if p in info["supported_paths"] or p == "ref"]
    print("| op | LiteRT ms | " + " | ".join(f"{p} ms" for p in paths) + f" | {paths[-1]} / LiteRT |")
    print("|---|---|" + "---|" * len(paths) + "---|")
    rng = np.random.default_rng(0)
    for name, model in CASES.items():
        it = litert.interpreter(model)
        d = it.get_input_details()[0]
        x = rng.integers(-128, 128, size=d["shape"]).astype(np.int8)

        def run_litert():
            it.set_tensor(d["index"], x)
            it.invoke()

        runners = {"litert": run_litert}
        for p in paths:
            os.environ["EDGEKD_ISA"] = p
            m = edgekd.load(model)
            runners[p] = lambda m=m: m.run_raw([x])
        os.environ.pop("EDGEKD_ISA", None)
        times = {k: [] for k in runners}
        for b in range(args.blocks):
            order = list(runners) if b % 2 == 0 else list(reversed(runners))
            for k in order:
                t = []
                for _ in range(args.runs):
                    t0 = time.thread_time_ns()
                    runners[k]()
                    t.append(time.thread_time_ns() - t0)
                times[k].append(statistics.median(t) / 1e6)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"| {name} | {med['litert']:.3f} | " + " | ".join(f"{med[p]:.3f}" for p in paths) +
              f" | {med[paths[-1]] / med['litert']:.2f} |")


if __name__ == "__main__":
    main()
