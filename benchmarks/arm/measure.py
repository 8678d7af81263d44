"""Instructions per inference on emulated Arm boards: edgekd-run (cross-built with each board's device
profile) next to LiteRT with XNNPACK and LiteRT's builtin kernels (the aarch64 wheel under the same qemu),
with llvm-mca cycle estimates, a per-function profile of edgekd, and a check that the outputs agree.
Instructions under qemu, not time: see docs/ARM_BENCHMARK.md.

    benchmarks/arm/setup.sh                          # once (root): arm64 root, wheels, prefixes, plugin
    python benchmarks/arm/measure.py [--networks all] [--cpus cortex-a76,cortex-a72,cortex-a57,cortex-a78]
                                     [--runtimes edgekd,xnnpack,builtin] [--cycles cortex-a72,cortex-a76]

Count of one inference = (count(W warm-up + N runs) - count(W warm-up + baseline)) / N, each count a whole
process (start-up, imports, load and warm-up cancel). N is picked so the N inferences add --min-insns."""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "zoo"))
from cpus import CPUS, Cpu  # noqa: E402
from networks import Network, select  # noqa: E402
from report import agreement, demangle, print_profiles, print_table  # noqa: E402

from edgekd.deploy.cycles import estimate  # noqa: E402
from edgekd.deploy.insncount import PerInference, counted  # noqa: E402
from edgekd.errors import EdgekdError  # noqa: E402

RUNTIMES = ("edgekd", "xnnpack", "builtin")


class Bench:
    """One work directory made by setup.sh, and the knobs of a measurement."""

    def __init__(self, work: Path, warmup: int, min_insns: float, max_runs: int, log,
                 runner: Path | None = None, files: Path | None = None) -> None:
        self.work, self.warmup, self.min_insns, self.max_runs, self.log = work, warmup, min_insns, max_runs, log
        self.files = files or work  # models, inputs and outputs of this measurement
        self.fixed_runner = runner
        self.python = work / "rootfs" / "usr" / "bin" / "python3.11"
        for need in (self.python, work / "pyarm" / "ai_edge_litert"):
            if not need.exists():
                raise SystemExit(f"{need} missing: run benchmarks/arm/setup.sh {work}")
        self.env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "PYTHONPATH": str(work / "pyarm"),
                    "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1"}
        self.runners: dict[str, Path] = {}

    def qemu(self, cpu: Cpu) -> list[str]:
        prefix = self.work / f"prefix-{cpu.name}"
        if not prefix.is_dir():
            raise SystemExit(f"{prefix} missing: run benchmarks/arm/setup.sh {self.work}")
        return ["qemu-aarch64", "-L", str(prefix), "-cpu", cpu.qemu]

    def runner(self, cpu: Cpu) -> Path:
        """edgekd-run cross-built with the board's profile (cached by edgekd deploy's builder), or --runner."""
        if self.fixed_runner:
            return self.fixed_runner
        if cpu.profile not in self.runners:
            from edgekd.deploy.build import build_runner
            from edgekd.devices.profile import load_profile

            self.runners[cpu.profile] = build_runner(load_profile(cpu.profile), log=self.log)
        return self.runners[cpu.profile]

    def command(self, runtime: str, cpu: Cpu, model: Path, inputs: list[Path], runs: int, out: Path) -> list[str]:
        """The guest command running `runs` inferences after the warm-up (runtime-specific baseline)."""
        feed = [a for x in inputs for a in ("--input", str(x))]
        if runtime == "edgekd":  # --bench needs >= 1 run: the baseline is 1, the long run 1 + N
            return [*self.qemu(cpu), str(self.runner(cpu)), str(model), *feed, "--threads", "1", "--bench",
                    "--warmup", str(self.warmup), "--runs", str(runs + 1)]
        out.mkdir(parents=True, exist_ok=True)
        return [*self.qemu(cpu), str(self.python), str(HERE / "litert_guest.py"), str(model), *feed,
                "--resolver", runtime, "--warmup", str(self.warmup), "--runs", str(runs), "--output-dir", str(out)]

    def per_inference(self, runtime: str, cpu: Cpu, model: Path, inputs: list[Path], out: Path,
                      runs: int | None, blocks: bool) -> PerInference:
        """Counts a baseline and a long process. Without `runs`, a pilot of 4 sizes N to --min-insns."""
        def count(n: int):
            return counted(self.command(runtime, cpu, model, inputs, n, out), env=self.env,
                           symbols=runtime == "edgekd", blocks=blocks)

        base = count(0)
        n = runs or 4
        per = PerInference.between(count(n), base, n)
        if runs is None:
            want = min(self.max_runs, max(4, math.ceil(self.min_insns / max(per.insns, 1.0))))
            if want > n:
                per = PerInference.between(count(want), base, want)
        return per

    def outputs_edgekd(self, cpu: Cpu, model: Path, inputs: list[Path], out: Path) -> tuple[str, list]:
        """edgekd's outputs (one plain run) and the SIMD path it chose on this CPU."""
        out.mkdir(parents=True, exist_ok=True)
        cmd = [*self.qemu(cpu), str(self.runner(cpu)), str(model), *[a for x in inputs for a in ("--input", str(x))],
               "--output", str(out / "out0.npy"), "--json"]
        r = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=1800)
        if r.returncode != 0:
            raise EdgekdError(f"edgekd-run on {cpu.name}: {(r.stderr.strip().splitlines() or ['failed'])[-1]}")
        path = json.loads(r.stdout)["path"]
        files = sorted(out.glob("out0*.npy"), key=lambda p: (len(p.name), p.name))  # out0.npy, out0_1.npy
        return path, [np.load(f) for f in files]


def write_inputs(net: Network, models: Path) -> tuple[Path, list[Path], list[np.ndarray] | None]:
    """The network's .tflite, one seeded random input per model input, and x86 LiteRT builtin's outputs
    on them (the arithmetic edgekd reproduces; None without ai-edge-litert on the host)."""
    import edgekd

    stem = net.name if net.source == "builtin" else Path(net.source).stem
    slug = "".join(c if c.isalnum() else "_" for c in stem.lower()).strip("_")
    models.mkdir(parents=True, exist_ok=True)
    model = models / f"{slug}.tflite"
    model.write_bytes(net.tflite())
    rng = np.random.default_rng(0)
    inputs = []
    for i, d in enumerate(edgekd.load(str(model)).input_details):
        if np.dtype(d["dtype"]) == np.float32:
            x = rng.uniform(-1, 1, d["shape"]).astype(np.float32)
        else:
            info = np.iinfo(d["dtype"])
            x = rng.integers(info.min, info.max + 1, d["shape"]).astype(d["dtype"])
        inputs.append(models / f"{slug}.in{i}.npy")
        np.save(inputs[-1], x)
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        return model, inputs, None
    it = Interpreter(model_path=str(model), num_threads=1,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], np.load(x))
    it.invoke()
    return model, inputs, [it.get_tensor(d["index"]) for d in it.get_output_details()]


def measure_network(bench: Bench, net: Network, cpus: list[Cpu], runtimes: list[str], cycles: set[str]) -> dict:
    model, inputs, oracle = write_inputs(net, bench.files / "models")
    res: dict = {"network": net.name, "model": str(model), "rows": {}, "outputs": {}}
    for cpu in cpus:
        row: dict = {"cpu": cpu.name, "qemu_cpu": cpu.qemu, "profile": cpu.profile}
        runs = None
        for rt in runtimes:
            out = bench.files / "out" / model.stem / cpu.name / rt
            t0 = time.monotonic()
            try:
                per = bench.per_inference(rt, cpu, model, inputs, out, runs, blocks=cpu.name in cycles)
            except EdgekdError as e:
                bench.log(f"  {net.name} {cpu.name} {rt}: FAILED: {e}")
                row[rt] = {"error": str(e)}
                continue
            runs = runs or per.runs  # LiteRT runs as many inferences as edgekd needed
            entry: dict = {"insns": per.insns, "runs": per.runs}
            if rt == "edgekd":
                entry["symbols"] = per.symbols
                row["path"], res["outputs"][f"edgekd/{cpu.name}"] = bench.outputs_edgekd(cpu, model, inputs, out)
            else:
                res["outputs"][f"{rt}/{cpu.name}"] = [np.load(p) for p in sorted(out.glob("out*.npy"))]
            if cpu.name in cycles and per.blocks:
                est = estimate(per.blocks, cpu.name)
                entry["cycles"] = {"cycles": est.cycles, "mcpu": est.mcpu, "coverage": est.coverage,
                                   "hot_blocks": est.hot_blocks, "cycles_per_insn": est.cycles_per_insn,
                                   "block_insns": sum(e * (len(c) // 4) for (_a, c), e in per.blocks.items())}
            row[rt] = entry
            bench.log(f"  {net.name:34s} {cpu.name} {rt:8s} {per.insns / 1e6:9.3f} M insns/inference "
                      f"(N={per.runs}, {time.monotonic() - t0:.0f} s)")
        res["rows"][cpu.name] = row
    if oracle is not None:
        res["outputs"]["litert-x86-builtin"] = oracle
    res["agreement"] = agreement(res["outputs"])
    res.pop("outputs")
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, default=HERE.parents[1] / "build" / "arm-bench",
                   help="the directory setup.sh prepared (default build/arm-bench)")
    p.add_argument("--networks", default="all", help="names, file stems or groups: builtin, zoo, all")
    p.add_argument("--cpus", default=",".join(CPUS), help=f"comma-separated, of {', '.join(CPUS)}")
    p.add_argument("--runtimes", default=",".join(RUNTIMES), help="edgekd, xnnpack (LiteRT default), builtin")
    p.add_argument("--cycles", default="cortex-a72,cortex-a76",
                   help="CPUs that get llvm-mca cycle estimates ('' for none)")
    p.add_argument("--runner", type=Path, help="one aarch64 edgekd-run for every CPU (default: a build per "
                                               "board with its device profile's flags, cached)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--min-insns", type=float, default=2e7, help="instructions the N inferences add, at least")
    p.add_argument("--max-runs", type=int, default=400)
    p.add_argument("--top", type=int, default=6, help="functions per profile printed")
    p.add_argument("--json", type=Path, help="write every figure (default WORK/results.json); the models, "
                                             "inputs and outputs go to the folder of the same name")
    p.add_argument("--report", type=Path, nargs="+", metavar="JSON",
                   help="measure nothing: print the tables of earlier --json files together")
    a = p.parse_args(argv)
    if a.report:
        results = [r for f in a.report for r in json.loads(f.read_text())]
        print_table(results, [rt for rt in RUNTIMES if any(rt in row for r in results for row in r["rows"].values())])
        print_profiles(results, a.top)
        return 0

    cpus = [CPUS[c.strip()] for c in a.cpus.split(",") if c.strip()]
    runtimes = [r.strip() for r in a.runtimes.split(",") if r.strip()]
    if bad := [r for r in runtimes if r not in RUNTIMES]:
        p.error(f"unknown runtime(s) {bad}; known: {', '.join(RUNTIMES)}")
    if "edgekd" in runtimes:
        runtimes = ["edgekd"] + [r for r in runtimes if r != "edgekd"]
    work = a.work.resolve()
    out_json = (a.json or work / "results.json").resolve()
    bench = Bench(work, a.warmup, a.min_insns, a.max_runs, lambda m: print(m, file=sys.stderr, flush=True),
                  a.runner.resolve() if a.runner else None, out_json.with_suffix(""))
    results = []
    for net in select(a.networks):
        r = measure_network(bench, net, cpus, runtimes, {c for c in a.cycles.split(",") if c})
        for row in r["rows"].values():  # readable function names, overloads summed
            if "symbols" in row.get("edgekd", {}):
                plain = demangle(sorted(row["edgekd"]["symbols"]))
                merged: dict[str, float] = {}
                for k, v in row["edgekd"]["symbols"].items():
                    merged[plain[k]] = merged.get(plain[k], 0.0) + v
                row["edgekd"]["symbols"] = merged
        results.append(r)
        out_json.write_text(json.dumps(results, indent=1))  # after every network: a long run keeps its part
    print_table(results, runtimes)
    if "edgekd" in runtimes:
        print_profiles(results, a.top)
    failed = [f"{r['network']} {cpu} {rt}" for r in results for cpu, row in r["rows"].items() for rt in runtimes
              if "error" in row.get(rt, {})]
    # edgekd's promise: the same bytes on every CPU, equal to LiteRT's builtin kernels (x86 build).
    failed += [f"{r['network']}: {k} = {v}" for r in results for k, v in r["agreement"].items()
               if (k.startswith("edgekd same") and v is not True) or (k.endswith("x86|") and k.startswith("max |edgekd")
                                                                       and v != 0)]
    for f in failed:
        print(f"FAILED: {f}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
