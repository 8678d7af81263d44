"""Shared helpers for the quantization tests: running exported files in LiteRT (builtin kernels, the oracle) and
in edgekd's runtime when it is built, and small seeded models."""
from __future__ import annotations

import numpy as np
import torch

torch.set_num_threads(1)  # CI has 2 cores and runs two pytest workers


def litert_run(tflite: bytes, x_nchw: np.ndarray) -> np.ndarray:
    """Run a float-edged exported model sample by sample on LiteRT's builtin kernels; NCHW in."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    ip = Interpreter(model_content=tflite,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    ip.allocate_tensors()
    inp, out = ip.get_input_details()[0], ip.get_output_details()[0]
    x = np.asarray(x_nchw)
    if x.ndim == 4:
        x = x.transpose(0, 2, 3, 1)
    outs = []
    for i in range(len(x)):
        ip.set_tensor(inp["index"], np.ascontiguousarray(x[i:i + 1].astype(inp["dtype"])))
        ip.invoke()
        outs.append(ip.get_tensor(out["index"]).copy())
    return np.concatenate(outs)


def edgekd_runtime():
    """edgekd.load when the native runtime is built into this install, else None."""
    import edgekd

    if not hasattr(edgekd._core, "Model"):  # the Python facade may exist before the core is rebuilt
        return None
    return getattr(edgekd, "load", None)


def sqnr(ref: np.ndarray, test: np.ndarray) -> float:
    from edgekd.quantize.report import sqnr_db

    return sqnr_db(ref, test)


def randomize_bn(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give every BatchNorm non-trivial statistics, so that folding is actually tested."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
                m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_((torch.rand(n, generator=g) - 0.5) * 0.4)
    return model.eval()


