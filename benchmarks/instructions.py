"""Instructions per inference, edgekd vs LiteRT (its default XNNPACK delegate), counted by callgrind: a
measure this host's noise cannot move, next to compare.py's and paired.py's timings.

    python benchmarks/instructions.py [--networks "MobileNetV2 0.35 96x96"] [--invokes 50,150] [--top 8]

Each backend runs one thread in its own process under valgrind, once with the first --invokes count and once
with the second; the difference divided by the difference in invokes is the cost of one inference with its
Python call (set_tensor / invoke / get_tensor for LiteRT, model(x) for edgekd), free of load time. The same
difference per function gives each kernel's share (callgrind_annotate, self cost, top --top functions of
each backend; a Release wheel's edgekd._core is stripped, so its rows show addresses: `edgekd-run --profile`
names the ops). Needs valgrind (apt package `valgrind`) and ai-edge-litert; instructions are not time (the
kernels' instruction mixes and IPC differ), but a change that removes instructions is measured exactly."""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import NETWORKS  # noqa: E402

RUNNER = """
import sys
import numpy as np
path, backend, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = open(path, "rb").read()
if backend == "litert":
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=model, num_threads=1)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    x = np.zeros(inp["shape"], inp["dtype"])
    def run():
        it.set_tensor(inp["index"], x)
        it.invoke()
        return it.get_tensor(out["index"])
else:
    import edgekd
    m = edgekd.load(model, num_threads=1)
    x = np.zeros(m.input_details[0]["shape"], m.input_details[0]["dtype"])
    def run():
        return m(x)
for _ in range(n + 1):
    run()
"""

_LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?\*?\s*(\S.*)$")


def _callgrind(model: Path, backend: str, invokes: int, workdir: Path) -> tuple[int, dict[str, int]]:
    """(total instructions, self instructions per function) of one process running `invokes` inferences."""
    out = workdir / f"{backend}.{invokes}.cg"
    runner = workdir / "runner.py"
    runner.write_text(RUNNER)
    # One BLAS thread: OpenBLAS's idle threads spin for a while after numpy loads and would be counted.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, str(runner),
                    str(model), backend, str(invokes)], check=True, env=env, capture_output=True)
    report = subprocess.run(["callgrind_annotate", "--threshold=100", str(out)], check=True, capture_output=True,
                            text=True).stdout
    total, funcs = 0, {}
    for line in report.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        count, name = int(m.group(1).replace(",", "")), m.group(2)
        if name.startswith("PROGRAM TOTALS"):
            total = count
        elif ":" in name:
            # "file:function [object]": keep the function, drop argument lists and the object.
            fn = name.split(":", 1)[1].split(" [")[0]
            fn = re.sub(r"\(.*\)", "()", fn)
            funcs[fn] = funcs.get(fn, 0) + count
    return total, funcs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--networks", default="MobileNetV2 0.35 96x96", help="comma-separated subset of compare.py's")
    ap.add_argument("--invokes", default="50,150", help="the two inference counts whose difference is measured")
    ap.add_argument("--top", type=int, default=8, help="functions listed per backend")
    args = ap.parse_args()
    n1, n2 = (int(v) for v in args.invokes.split(","))

    from edgekd.testing import models
    from edgekd.tflite.writer import write_tflite

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in [n.strip() for n in args.networks.split(",") if n.strip()]:
            model = work / "net.tflite"
            model.write_bytes(write_tflite(NETWORKS[name](models)))
            per = {}
            print(f"## {name}: instructions per inference (callgrind, 1 thread)\n")
            for backend in ("edgekd", "litert"):
                t1, f1 = _callgrind(model, backend, n1, work)
                t2, f2 = _callgrind(model, backend, n2, work)
                per[backend] = (t2 - t1) / (n2 - n1)
                funcs = sorted(((f2.get(k, 0) - f1.get(k, 0)) / (n2 - n1), k) for k in f2)
                print(f"{backend}: {per[backend] / 1e6:.3f} M")
                for cost, fn in reversed(funcs[-args.top:]):
                    print(f"    {cost / 1e3:9.1f} K  {fn[:110]}")
            print(f"\nedgekd / LiteRT: {per['edgekd'] / per['litert']:.2f}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
