"""Per-op edgekd vs LiteRT (its default XNNPACK delegate): which ops of a network win and which lose.

    python benchmarks/per_op.py [--network "MobileNetV2 0.35 96x96" | --model m.tflite] [--threads 1]
                                [--path auto] [--blocks 5] [--runs 300]

Every op of the network becomes a one-op model (its constant operands kept, its other inputs made graph
inputs and fed seeded random values). Each one-op model, the whole network and two trivial models run on
both backends in ONE process, in alternating blocks (order swapped every block, as paired.py does). An op's
time is its median call time minus the median call time of the trivial model with the same number of inputs
(a 2x2 MAX_POOL for one input, a one-pixel ADD for two or more), which removes each backend's Python call overhead
(it grows with the number of inputs: LiteRT sets each tensor separately). The sum over ops lands near the
whole network's time on both backends at one thread, which checks the method. At two threads it does not:
every one-op model brings its own thread pool (both backends' workers spin a while after each call), and on
this project's 2-core VM the sum overshot edgekd's whole network by 1.2-1.6x; read multi-thread rows for
ordering only (benchmarks/thread_scaling.sh measures each op's thread scaling inside the network). The host's
phases still move single ops between runs (use --blocks 9 or more, and compare the sum with the whole-network
row). --network takes any name or file stem of benchmarks/zoo/networks.py; --path forces edgekd's SIMD path.
Each op's row names the kernel edgekd ran it with (from edgekd's own profile of the whole network). Needs
ai-edge-litert (the `peers` extra)."""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "zoo"))
from networks import select  # noqa: E402
from paired import CLOCKS, _block_median_ms, load_edgekd  # noqa: E402


def one_op_model(graph, index: int) -> bytes:
    """Op `index` of `graph` alone: its tensors copied, its non-constant inputs made the model's inputs."""
    from edgekd import ir
    from edgekd.tflite.writer import write_tflite

    op = graph.ops[index]
    g = ir.Graph()
    new_index: dict[int, int] = {}

    def tensor(t: int) -> int:
        if t not in new_index:
            src = graph.tensors[t]
            new_index[t] = g.add_tensor(src.name, src.shape, src.dtype, src.data, src.quant,
                                        src.shape_signature)
        return new_index[t]

    inputs = [tensor(t) if t >= 0 else -1 for t in op.inputs]
    outputs = [tensor(t) for t in op.outputs]
    g.ops.append(ir.Op(op.type, inputs, outputs, dict(op.options), op.version))
    g.inputs = [new_index[t] for t in op.inputs if t >= 0 and graph.tensors[t].data is None]
    g.outputs = outputs
    return write_tflite(g)


def baseline_model(num_inputs: int) -> bytes:
    """The cheapest model with `num_inputs` int8 inputs that both backends run."""
    from edgekd import ir
    from edgekd.tflite.writer import write_tflite

    g = ir.Graph()
    if num_inputs == 1:
        a = g.add_activation("a", (1, 2, 2, 8), 0.1, 0)
        c = g.add_activation("c", (1, 1, 1, 8), 0.1, 0)
        g.add_op("MAX_POOL_2D", [a], [c], padding="VALID", stride_w=2, stride_h=2, filter_width=2,
                 filter_height=2, fused_activation_function="NONE")
        g.inputs = [a]
    else:
        a = g.add_activation("a", (1, 1, 1, 8), 0.1, 0)
        b = g.add_activation("b", (1, 1, 1, 8), 0.1, 0)
        c = g.add_activation("c", (1, 1, 1, 8), 0.2, 0)
        g.add_op("ADD", [a, b], [c], fused_activation_function="NONE")
        g.inputs = [a, b]
    g.outputs = [c]
    return write_tflite(g)


def callers(model: bytes, threads: int, path: str = "auto", seed: int = 0):
    """(edgekd call, LiteRT call, number of inputs) on seeded random inputs."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model, num_threads=threads)
    it.allocate_tensors()
    ins, out = it.get_input_details(), it.get_output_details()[0]
    rng = np.random.default_rng(seed)
    xs = [rng.integers(-128, 128, size=d["shape"]).astype(d["dtype"]) if d["dtype"] != np.float32
          else rng.standard_normal(d["shape"]).astype(np.float32) for d in ins]
    m = load_edgekd(model, threads, path)

    def litert():
        for d, x in zip(ins, xs):
            it.set_tensor(d["index"], x)
        it.invoke()
        return it.get_tensor(out["index"])

    ours = (lambda: m(xs[0])) if len(xs) == 1 else (lambda: m(*xs))
    return ours, litert, len(xs)


def _runs_for(fn, block_seconds: float, max_runs: int, min_runs: int = 3) -> int:
    fn()
    t0 = time.perf_counter()
    fn()
    fn()
    return max(min_runs, min(max_runs, int(block_seconds / max((time.perf_counter() - t0) / 2, 1e-7))))


def edgekd_profile(model: bytes, threads: int, path: str, runs: int) -> dict[int, tuple[str, float]]:
    """op index -> (kernel, median microseconds) from edgekd's own profile of the whole network, on seeded
    random inputs."""
    m = load_edgekd(model, threads, path)
    rng = np.random.default_rng(0)
    xs = [rng.integers(-128, 128, size=d["shape"]).astype(d["dtype"]) if d["dtype"] != np.float32
          else rng.standard_normal(d["shape"]).astype(np.float32) for d in m.get_input_details()]
    m(*xs)
    out = {}
    for entry in m.profile(runs):
        hit = re.match(r"op (\d+)", entry["op"])
        if hit:
            out[int(hit.group(1))] = (entry["kernel"], entry["ms"] * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--network", default="MobileNetV2 0.35 96x96", help="a name or stem of networks.py")
    ap.add_argument("--model", type=Path, help="a .tflite file instead of --network")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--path", default="auto", help="edgekd's SIMD path (auto, ref, avx2, avx512vnni, ...)")
    ap.add_argument("--blocks", type=int, default=5)
    ap.add_argument("--runs", type=int, default=300, help="most timed calls per model per backend per block")
    ap.add_argument("--block-seconds", type=float, default=0.1, help="per model per backend per block")
    ap.add_argument("--clock", choices=list(CLOCKS), default="wall",
                    help="cpu: the calling thread's CPU time (one thread only; see paired.py)")
    args = ap.parse_args()
    if args.clock == "cpu" and args.threads != 1:
        print("error: --clock cpu counts the calling thread only; use it with --threads 1", file=sys.stderr)
        return 2

    from edgekd.tflite.reader import read_tflite

    if args.model:
        whole = args.model.read_bytes()
        name = str(args.model)
    else:
        try:
            nets = select(args.network)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        if len(nets) != 1:
            print(f"error: --network names one network that is built; got {len(nets)}", file=sys.stderr)
            return 2
        whole, name = nets[0].tflite(), nets[0].name
    graph = read_tflite(whole)
    entries = {"baseline 1": callers(baseline_model(1), args.threads, args.path),
               "baseline 2": callers(baseline_model(2), args.threads, args.path),
               "whole": callers(whole, args.threads, args.path)}
    for i in range(len(graph.ops)):
        entries[i] = callers(one_op_model(graph, i), args.threads, args.path)
    runs = {key: (_runs_for(e[0], args.block_seconds, args.runs), _runs_for(e[1], args.block_seconds, args.runs))
            for key, e in entries.items()}

    times: dict = {key: ([], []) for key in entries}
    for block in range(args.blocks):
        for key, (ours, litert, _) in entries.items():
            order = [(0, ours), (1, litert)] if block % 2 == 0 else [(1, litert), (0, ours)]
            for side, fn in order:
                n = runs[key][side]
                times[key][side].append(_block_median_ms(fn, n, max(1, n // 10), CLOCKS[args.clock]) * 1000)
    med = {key: (statistics.median(t[0]), statistics.median(t[1])) for key, t in times.items()}
    prof = edgekd_profile(whole, args.threads, args.path, max(10, runs["whole"][0]))

    def net(key) -> tuple[float, float]:
        base = med["baseline 1" if entries[key][2] == 1 else "baseline 2"]
        return med[key][0] - base[0], med[key][1] - base[1]

    print(f"{name}, {args.threads} thread(s), {args.clock} clock, edgekd path {args.path}, {args.blocks} blocks of "
          f"up to {args.runs} calls (~{args.block_seconds} s); microseconds per op, call overhead removed (edgekd "
          f"{med['baseline 1'][0]:.2f} / {med['baseline 2'][0]:.2f}, LiteRT {med['baseline 1'][1]:.2f} / "
          f"{med['baseline 2'][1]:.2f} for one / two inputs); 'in network' is edgekd's own profile (wall clock)\n")
    print("| op | type | output | edgekd kernel | edgekd in network us | edgekd us | LiteRT us | edgekd / LiteRT "
          "| edgekd - LiteRT us |")
    print("|---|---|---|---|---|---|---|---|---|")
    total = [0.0, 0.0]
    for i, op in enumerate(graph.ops):
        e, lt = net(i)
        total[0] += e
        total[1] += lt
        shape = "x".join(str(d) for d in graph.tensors[op.outputs[0]].shape)
        ratio = f"{e / lt:.2f}" if lt > 0.05 else "-"
        kernel, prof_us = prof.get(i, ("-", float("nan")))
        print(f"| {i} | {op.type} | {shape} | {kernel} | {prof_us:.2f} | {e:.2f} | {lt:.2f} | {ratio} | {e - lt:.2f} |")
    by_type: dict[str, list[float]] = {}
    for i, op in enumerate(graph.ops):
        e, lt = net(i)
        acc = by_type.setdefault(op.type, [0, 0.0, 0.0])
        acc[0] += 1
        acc[1] += e
        acc[2] += lt
    e, lt = net("whole")
    in_net = sum(v[1] for v in prof.values())
    print(f"| all | sum of the ops | | | {in_net:.1f} | {total[0]:.1f} | {total[1]:.1f} | {total[0] / total[1]:.3f} "
          f"| {total[0] - total[1]:.1f} |")
    print(f"| all | whole network | | | | {e:.1f} | {lt:.1f} | {e / lt:.3f} | {e - lt:.1f} |")
    print("\n| op type | ops | edgekd us | LiteRT us | edgekd / LiteRT | edgekd - LiteRT us | share of the gap |")
    print("|---|---|---|---|---|---|---|")
    gap = total[0] - total[1]
    for t, (n, e, lt) in sorted(by_type.items(), key=lambda kv: kv[1][2] - kv[1][1]):
        ratio = f"{e / lt:.2f}" if lt > 0.05 else "-"
        share = f"{100 * (e - lt) / gap:.0f}%" if abs(gap) > 1e-9 else "-"
        print(f"| {t} | {n} | {e:.1f} | {lt:.1f} | {ratio} | {e - lt:.1f} | {share} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
