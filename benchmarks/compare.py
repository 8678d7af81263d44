"""The README's comparison table: edgekd vs LiteRT (default XNNPACK delegate) vs ONNX Runtime int8 (QDQ from
its own quantize_static) vs PyTorch fp32 on the same networks, batch 1, at 1 and 2 threads, in one run.

    python benchmarks/compare.py [--networks all|builtin|zoo|NAME,...] [--paths auto] [--mt-paths auto]
                                 [--runs 200] [--min-seconds 2] [--threads 1,2] [--rounds 3] [--markdown out.md]

Each backend runs in its own process (edgekd.bench), so load time and peak RSS are its own. The machines are
shared and noisy, so every (network, threads) cell is measured in --rounds rounds, the backends' order
reversed every other round; the table gives each backend's median p50 over the rounds and the median of
the per-round edgekd / LiteRT ratios (each ratio from two processes run back to back). Besides edgekd's own
choice (`auto`), `--paths` (at one thread) and `--mt-paths` (at more) add rows with a SIMD path forced
through EDGEKD_ISA (`all`: every path this CPU runs); they share the round's LiteRT, ONNX Runtime and
PyTorch runs. Networks come from benchmarks/zoo/networks.py (edgekd's own MobileNet-style graphs and the
TF-converter zoo); the ONNX and PyTorch twins are made from edgekd's reading of the .tflite, and a network
those converters cannot take gets "-" in their columns."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "zoo"))
from machine import table_heading  # noqa: E402
from networks import BUILTIN as NETWORKS  # noqa: E402,F401  (name kept for the scripts that import it)
from networks import Network  # noqa: E402
from paired import fmt_ms, networks_and_paths  # noqa: E402

BACKENDS = ["edgekd", "litert", "onnxruntime", "torch"]


def prepare(workdir: Path, nets: list[Network]) -> dict[str, dict]:
    import torch

    from edgekd.bench.peers import to_onnx_qdq, to_torch

    files = {}
    for i, net in enumerate(nets):
        t = workdir / f"net{i}.tflite"
        t.write_bytes(net.tflite())
        g = net.graph()
        onnx = pt = None
        try:
            onnx = to_onnx_qdq(g, workdir / f"net{i}.onnx")
        except Exception as e:  # noqa: BLE001 - a peer that cannot take the network is left out, not fatal
            print(f"  {net.name}: no ONNX twin ({type(e).__name__}: {e})", file=sys.stderr)
        try:
            module = to_torch(g)
            x = torch.zeros(g.tensors[g.inputs[0]].shape)
            pt = workdir / f"net{i}.pt"
            torch.jit.save(torch.jit.trace(module, x), str(pt))
        except Exception as e:  # noqa: BLE001
            pt = None
            print(f"  {net.name}: no PyTorch twin ({type(e).__name__}: {e})", file=sys.stderr)
        files[net.name] = {"tflite": t, "onnx": onnx, "torch": pt}
    return files


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _forced(path: str):
    """Context for one edgekd run with EDGEKD_ISA set (the worker process inherits the environment)."""
    from contextlib import contextmanager

    @contextmanager
    def cm():
        old = os.environ.pop("EDGEKD_ISA", None)
        if path != "auto":
            os.environ["EDGEKD_ISA"] = path
        try:
            yield
        finally:
            os.environ.pop("EDGEKD_ISA", None)
            if old is not None:
                os.environ["EDGEKD_ISA"] = old
    return cm()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--networks", default="all", help="all, builtin, zoo, or comma-separated names / stems")
    ap.add_argument("--paths", default="auto", help="edgekd paths at 1 thread: auto, all, or names")
    ap.add_argument("--mt-paths", default="auto", help="edgekd paths at the other thread counts")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    import logging

    logging.getLogger().setLevel(logging.ERROR)  # quantize_static's advice
    from edgekd.bench.harness import BenchConfig, run_bench

    chosen = networks_and_paths(args)
    if chosen is None:
        return 2
    nets, paths_1t, paths_mt = chosen
    rows, raw = [], []
    with tempfile.TemporaryDirectory() as d:
        files = prepare(Path(d), nets)
        for net in nets:
            fl = files[net.name]
            for threads in [int(t) for t in args.threads.split(",")]:
                paths = paths_1t if threads == 1 else paths_mt
                forced = [p for p in paths if p != "auto"]
                rounds = []
                for r in range(max(1, args.rounds)):
                    peers = [b for b in BACKENDS if b != "edgekd" or "auto" in paths]
                    order = peers if r % 2 == 0 else peers[::-1]
                    rep = run_bench(BenchConfig(fl["tflite"], order, threads, args.warmup, args.runs,
                                                args.min_seconds, onnx=fl["onnx"], torch=fl["torch"],
                                                energy=False))
                    raw.append(rep.as_dict())
                    by = {("auto" if x.backend == "edgekd" else x.backend): x for x in rep.results}
                    for p in forced[::1 if r % 2 == 0 else -1]:
                        with _forced(p):
                            one = run_bench(BenchConfig(fl["tflite"], ["edgekd"], threads, args.warmup,
                                                        args.runs, args.min_seconds, energy=False))
                        raw.append({"path": p, **one.as_dict()})
                        by[p] = one.results[0]
                    rounds.append(by)
                    for x in by.values():
                        if x.skipped and r == 0:
                            print(f"  skipped: {x.skipped}", file=sys.stderr)
                ok = lambda by, k: k in by and by[k].latency is not None  # noqa: E731
                peer = {b: _median([by[b].latency.p50_ms for by in rounds if ok(by, b)])
                        for b in BACKENDS[1:]}
                for p in paths:
                    p50 = _median([by[p].latency.p50_ms for by in rounds if ok(by, p)])
                    ratio = _median([by[p].latency.p50_ms / by["litert"].latency.p50_ms for by in rounds
                                     if ok(by, p) and ok(by, "litert")])
                    ek = rounds[0].get(p)
                    label = f"auto ({ek.path})" if p == "auto" and ek and ek.path else p
                    rows.append((net.name, threads, label, p50, peer, ratio, ek))
                    print(f"{net.name}, {threads}T, {label}: edgekd {p50 or 0:.3f} ms, "
                          + ", ".join(f"{b} {v:.3f} ms" for b, v in peer.items() if v)
                          + (f", edgekd/LiteRT {ratio:.2f}" if ratio else ""), file=sys.stderr)
    f = lambda v, spec=".3f": "-" if v is None else format(v, spec)  # noqa: E731
    ms = lambda v: "-" if v is None else fmt_ms(v)  # noqa: E731
    command = shlex.join(["python", "benchmarks/compare.py", *sys.argv[1:]])
    lines = [table_heading(f"Batch 1, p50 latency in ms (median of >= {args.runs} runs, median over {args.rounds} "
                           "rounds, each backend in its own process)", command), "",
             "| network | threads | edgekd path | edgekd | LiteRT (XNNPACK) | ONNX Runtime int8 | PyTorch fp32 "
             "| edgekd / LiteRT | edgekd load ms | edgekd peak RSS MiB | arena KiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, threads, label, p50, peer, ratio, ek in rows:
        lines.append(f"| {name} | {threads} | {label} | {ms(p50)} | {ms(peer['litert'])} | "
                     f"{ms(peer['onnxruntime'])} | {ms(peer['torch'])} | {f(ratio, '.2f')} | "
                     f"{f(ek.load_ms if ek else None, '.1f')} | "
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
