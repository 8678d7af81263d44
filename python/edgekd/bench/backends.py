"""Runtimes a benchmark can compare. Each backend loads one model file and returns a zero-argument
callable that runs one inference on a fixed input. Backends that are not installed say why."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class ModelFiles:
    tflite: Path
    onnx: Path | None = None   # QDQ int8 ONNX of the same model (ONNX Runtime)
    torch: Path | None = None  # a whole saved float torch module (PyTorch fp32)


@dataclass
class Loaded:
    run: Callable[[], object]
    info: dict


def _random_input(shape, dtype, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = [int(d) if int(d) > 0 else 1 for d in shape]
    dtype = np.dtype(dtype)
    if dtype == np.int8:
        return rng.integers(-128, 128, size=shape, dtype=np.int8)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return rng.random(shape, dtype=np.float32).astype(dtype)


class Backend:
    name = ""
    label = ""
    module = ""  # the import that must exist

    def unavailable(self, files: ModelFiles) -> str | None:
        if self.module and importlib.util.find_spec(self.module) is None:
            return f"{self.label}: not installed (no module '{self.module}')"
        return None

    def load(self, files: ModelFiles, threads: int) -> Loaded:
        raise NotImplementedError


class EdgekdBackend(Backend):
    name, label, module = "edgekd", "edgekd int8", "edgekd"

    def load(self, files, threads):
        import edgekd

        model = edgekd.load(str(files.tflite), num_threads=threads)
        inp = model.get_input_details()[0]
        x = _random_input(inp["shape"], inp["dtype"])
        return Loaded(lambda: model(x), dict(model.info()))


class _LiteRTBase(Backend):
    name, label, module = "litert", "LiteRT (XNNPACK)", "ai_edge_litert"
    builtin_only = False

    def load(self, files, threads):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        kwargs = {}
        if self.builtin_only:
            kwargs["experimental_op_resolver_type"] = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        interp = Interpreter(model_path=str(files.tflite), num_threads=threads, **kwargs)
        interp.allocate_tensors()
        inp = interp.get_input_details()[0]
        out = interp.get_output_details()[0]
        x = _random_input(inp["shape"], inp["dtype"])

        def run():
            interp.set_tensor(inp["index"], x)
            interp.invoke()
            return interp.get_tensor(out["index"])

        return Loaded(run, {})


class LiteRTBackend(_LiteRTBase):
    pass


class LiteRTBuiltinBackend(_LiteRTBase):
    name, label = "litert-builtin", "LiteRT (builtin kernels)"
    builtin_only = True


class OnnxRuntimeBackend(Backend):
    name, label, module = "onnxruntime", "ONNX Runtime int8 (QDQ)", "onnxruntime"

    def unavailable(self, files):
        return super().unavailable(files) or (
            None if files.onnx and files.onnx.exists()
            else f"{self.label}: no .onnx beside {files.tflite.name} (pass --onnx)")

    def load(self, files, threads):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        sess = ort.InferenceSession(str(files.onnx), so, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        dtype = {"tensor(float)": np.float32, "tensor(int8)": np.int8, "tensor(uint8)": np.uint8}[inp.type]
        x = _random_input([d if isinstance(d, int) else 1 for d in inp.shape], dtype)
        return Loaded(lambda: sess.run(None, {inp.name: x}), {})


class TorchBackend(Backend):
    name, label, module = "torch", "PyTorch fp32", "torch"

    def unavailable(self, files):
        return super().unavailable(files) or (
            None if files.torch and files.torch.exists()
            else f"{self.label}: no float torch module given (pass --torch model.pt)")

    def load(self, files, threads):
        import torch

        from ..tflite.reader import read_tflite

        torch.set_num_threads(threads)
        try:  # TorchScript (what benchmarks/compare.py writes) or a whole pickled module
            model = torch.jit.load(str(files.torch), map_location="cpu")
        except RuntimeError:
            obj = torch.load(str(files.torch), map_location="cpu", weights_only=False)
            model = obj["module"] if isinstance(obj, dict) and "module" in obj else obj
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"{files.torch}: expected a saved torch.nn.Module (or a dict with 'module')")
        model.eval()
        g = read_tflite(files.tflite)  # same network: same input shape (NHWC)
        x = torch.from_numpy(_random_input(g.tensors[g.inputs[0]].shape, np.float32))

        def run():
            with torch.inference_mode():
                return model(x)

        return Loaded(run, {})


BACKENDS: dict[str, Backend] = {b.name: b for b in (
    EdgekdBackend(), LiteRTBackend(), LiteRTBuiltinBackend(), OnnxRuntimeBackend(), TorchBackend())}
