"""LiteRT inside the emulated board (arm64 python3.11 under qemu-aarch64): load a model, feed the inputs,
run --warmup then --runs inferences on one thread, save the outputs. Two processes that differ only in
--runs give the cost of one inference (measure.py); everything else they do is the same.

    python3.11 litert_guest.py MODEL --resolver xnnpack|builtin --warmup W --runs N --output-dir D [--input X.npy]..."""
import argparse
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("--input", action="append", default=[])
p.add_argument("--resolver", choices=["xnnpack", "builtin"], required=True)
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--runs", type=int, default=0)
p.add_argument("--output-dir", required=True)
a = p.parse_args()

# The default resolver applies the XNNPACK delegate; BUILTIN_WITHOUT_DEFAULT_DELEGATES runs the builtin
# kernels, the arithmetic edgekd reproduces.
resolver = (OpResolverType.AUTO if a.resolver == "xnnpack" else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
it = Interpreter(model_path=a.model, num_threads=1, experimental_op_resolver_type=resolver)
it.allocate_tensors()
for detail, path in zip(it.get_input_details(), a.input):
    it.set_tensor(detail["index"], np.load(path))
invoke = it._interpreter.Invoke  # the C++ call itself: the loop adds only Python's iteration to the count
for _ in range(a.warmup + a.runs):
    invoke()
for i, detail in enumerate(it.get_output_details()):
    np.save(Path(a.output_dir) / f"out{i}.npy", it.get_tensor(detail["index"]))
