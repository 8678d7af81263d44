"""Run int8 ``.tflite`` models on edgekd's native runtime.

``load(path_or_bytes)`` returns a :class:`Model` that is called like a function; :class:`Interpreter` offers
LiteRT's ``Interpreter`` methods so LiteRT code switches by changing one import. Quantization at the edges
uses the same integer routines as the model's QUANTIZE / DEQUANTIZE ops (no second rounding rule here).
"""
from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _core
from .errors import EdgekdError

PathOrBytes = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


def _load_core(source: PathOrBytes, num_threads: int) -> "_core.Model":
    if not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be a positive integer, got {num_threads!r}")
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _core.Model.from_bytes(bytes(source), num_threads)
    path = os.fspath(source)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    return _core.Model.from_file(path, num_threads)


class Model:
    """A loaded model. ``model(x)`` runs it on numpy input(s).

    * ``x`` float32 is quantized with the model's input parameters (or fed as is to a float32 input);
      ``x`` int8 is fed as is (or, for a float32 input, dequantized with the int8 parameters at that edge).
    * ``output="float32"`` dequantizes int8 outputs, ``"int8"`` returns int8 (quantizing a float32 output
      with the parameters at that edge), ``"auto"`` (default) gives float32 for float32 input, int8 for int8.
    * A batch larger than the model's batch dimension runs in slices of the model's batch.
    """

    def __init__(self, source: PathOrBytes, num_threads: int = 1):
        self._core = _load_core(source, num_threads)
        self._inputs = self._core.inputs()
        self._outputs = self._core.outputs()
        self._info = self._core.info()
        self._shapes = [tuple(d["shape"]) for d in self._inputs]
        # The common case skips all conversion logic (per-call Python overhead matters for small models):
        # every input fed as a C-contiguous array of its own dtype and shape, which core.invoke_exact checks
        # itself (None sends anything else to the general path). For output="auto" only when "auto", which
        # asks for int8 when every input is int8 and float32 otherwise, converts no output.
        out_dtypes = {np.dtype(d["dtype"]) for d in self._outputs}
        in_int8 = all(np.dtype(d["dtype"]) == np.int8 for d in self._inputs)
        auto = np.dtype(np.int8) if in_int8 else np.dtype(np.float32)
        self._exact_auto = out_dtypes == {auto}
        self.source = source if not isinstance(source, (bytes, bytearray, memoryview)) else None

    # -- information ---------------------------------------------------------------------------------
    @property
    def path(self) -> str:
        """The SIMD path the kernels run on (``ref``, ``avx2``, ``avx512vnni``, ``neon``, ``neondot``)."""
        return self._info["path"]

    @property
    def arena_bytes(self) -> int:
        return self._info["arena_bytes"]

    @property
    def load_ms(self) -> float:
        return self._info["load_ms"]

    def info(self) -> dict:
        """Chosen path, kernels per family, arena bytes, load time, op counts, inputs and outputs.
        Plain Python values only (JSON-serializable)."""
        def plain(d: dict) -> dict:
            return dict(d, dtype=np.dtype(d["dtype"]).name)
        return dict(self._info, inputs=[plain(d) for d in self._inputs], outputs=[plain(d) for d in self._outputs])

    @property
    def input_details(self) -> list:
        return [dict(d) for d in self._inputs]

    @property
    def output_details(self) -> list:
        return [dict(d) for d in self._outputs]

    def get_input_details(self) -> list:
        """LiteRT-style details of the inputs (see :meth:`Interpreter.get_input_details`)."""
        return [Interpreter._details(d) for d in self._inputs]

    def get_output_details(self) -> list:
        return [Interpreter._details(d) for d in self._outputs]

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(d["shape"])) for d in self._inputs)
        return f"<edgekd.Model inputs={shapes} path={self.path} ops={self._info['num_ops']}>"

    def profile(self, runs: int = 100, per_op: bool = True) -> list:
        """Each op's median time over ``runs`` inferences, in execution order: ``[{"op": "op 3 (CONV_2D)",
        "kernel": "gemm_s8_4x16c2_avx2", "ms": 0.012}, ...]``, the figures ``edgekd-run --profile`` prints.
        The inferences run on the inputs of the last call (zeros before the first one).
        ``per_op=False`` times the steps an inference takes instead: on several threads, a fused region
        (ops that share one parallel region, see the README) is one entry, ``"ops 1-3 (fused)"``."""
        return self._core.profile(int(runs), bool(per_op))

    # -- running -------------------------------------------------------------------------------------
    def run_raw(self, inputs: Sequence[np.ndarray]) -> list:
        """Runs once on arrays matching the model's inputs exactly (dtype and shape); returns raw outputs."""
        if len(inputs) != len(self._inputs):
            raise ValueError(f"the model takes {len(self._inputs)} inputs, got {len(inputs)}")
        arrays = []
        for i, (a, shape) in enumerate(zip(inputs, self._shapes)):
            a = np.ascontiguousarray(a)
            if a.shape != shape:
                raise ValueError(f"input {i} '{self._inputs[i]['name']}' has shape {shape}, got {a.shape}")
            arrays.append(a)
        return self._core.invoke(arrays)

    def _to_model_input(self, x: np.ndarray, d: dict) -> np.ndarray:
        want = np.dtype(d["dtype"])
        x = np.asarray(x)
        if x.dtype == want:
            return x
        if want == np.int8 and x.dtype.kind == "f":
            if not d["scales"]:
                raise ValueError(f"input '{d['name']}' is int8 without quantization parameters")
            return _core.runtime_quantize(x.astype(np.float32), d["scales"][0], int(d["zero_points"][0]))
        if want == np.float32 and x.dtype == np.int8:
            if d["edge_quantization"] is None:
                raise ValueError(f"input '{d['name']}' is float32 with no QUANTIZE after it; pass float32")
            s, zp = d["edge_quantization"]
            return _core.runtime_dequantize(x, s, zp)
        if want == np.float32 and x.dtype.kind in "fiu":
            return x.astype(np.float32)
        raise ValueError(f"input '{d['name']}' takes {want}, got {x.dtype}")

    def _from_model_output(self, y: np.ndarray, d: dict, output: str) -> np.ndarray:
        if output == "float32":
            if y.dtype == np.int8 and d["scales"]:
                return _core.runtime_dequantize(y, d["scales"][0], int(d["zero_points"][0]))
            return y.astype(np.float32, copy=False)
        if output == "int8":
            if y.dtype == np.float32:
                if d["edge_quantization"] is None:
                    raise ValueError(f"output '{d['name']}' is float32 with no int8 tensor before it")
                s, zp = d["edge_quantization"]
                return _core.runtime_quantize(y, s, zp)
            return y
        return y

    def __call__(self, *xs: np.ndarray, output: str = "auto") -> Any:
        if self._exact_auto if output == "auto" else output == "raw":
            y = self._core.invoke_exact(*xs)
            if y is not None:
                return y
        if output not in ("auto", "float32", "int8", "raw"):
            raise ValueError(f"output must be 'auto', 'float32', 'int8' or 'raw', got {output!r}")
        if len(xs) != len(self._inputs):
            raise ValueError(f"the model takes {len(self._inputs)} inputs, got {len(xs)}")
        arrays = [np.asarray(x) for x in xs]
        if output == "auto":
            output = "int8" if all(a.dtype == np.int8 for a in arrays) else "float32"
        converted = [self._to_model_input(a, d) for a, d in zip(arrays, self._inputs)]

        shapes = [tuple(d["shape"]) for d in self._inputs]
        # One sample without its batch dimension.
        if all(len(s) >= 1 and s[0] == 1 and a.shape == s[1:] for a, s in zip(converted, shapes)):
            res = self.run_raw([a.reshape(s) for a, s in zip(converted, shapes)])
            res = [r.reshape(r.shape[1:]) if r.ndim and r.shape[0] == 1 else r for r in res]
            return self._finish(res, output)
        if all(a.shape == s for a, s in zip(converted, shapes)):
            return self._finish(self.run_raw(converted), output)
        # Larger batches: slices of the model's batch, the tail padded with the input zero point (real 0).
        for i, (a, s) in enumerate(zip(converted, shapes)):
            if len(s) == 0 or a.ndim != len(s) or a.shape[1:] != s[1:] or s[0] < 1:
                raise ValueError(f"input {i} '{self._inputs[i]['name']}' has shape {s}, got {a.shape}")
        n = converted[0].shape[0]
        if any(a.shape[0] != n for a in converted):
            raise ValueError("all inputs must have the same batch size")
        b = shapes[0][0]
        pieces: list = []
        for start in range(0, n, b):
            chunk = []
            for a, s, d in zip(converted, shapes, self._inputs):
                part = a[start:start + b]
                if part.shape[0] < b:
                    fill = d["zero_points"][0] if (part.dtype == np.int8 and d["zero_points"]) else 0
                    pad = np.full((b - part.shape[0],) + s[1:], fill, dtype=part.dtype)
                    part = np.concatenate([part, pad])
                chunk.append(part)
            take = min(b, n - start)
            pieces.append([r[:take] for r in self.run_raw(chunk)])
        res = [np.concatenate([p[k] for p in pieces]) for k in range(len(self._outputs))]
        return self._finish(res, output)

    def _finish(self, res: list, output: str) -> Any:
        if output != "raw":
            res = [self._from_model_output(r, d, output) for r, d in zip(res, self._outputs)]
        return res[0] if len(res) == 1 else res


def load(source: PathOrBytes, num_threads: int = 1) -> Model:
    """Loads an int8 ``.tflite`` model (a path or its bytes) on the SIMD path chosen for this machine."""
    return Model(source, num_threads=num_threads)


class Interpreter:
    """LiteRT's ``Interpreter`` interface over edgekd's runtime.

    ``from edgekd import Interpreter`` in place of ``from ai_edge_litert.interpreter import Interpreter``:
    ``allocate_tensors``, ``get_input_details``, ``get_output_details``, ``set_tensor``, ``invoke``,
    ``get_tensor`` behave the same and return the same dict keys. Only the model's input and output
    tensors can be read (edgekd reuses intermediate memory, as LiteRT does unless told otherwise).
    """

    def __init__(self, model_path: Optional[str] = None, model_content: Optional[bytes] = None,
                 num_threads: Optional[int] = None, experimental_op_resolver_type: Any = None,
                 experimental_delegates: Any = None, **_ignored: Any):
        if (model_path is None) == (model_content is None):
            raise ValueError("pass exactly one of model_path or model_content")
        if experimental_delegates:
            raise ValueError("edgekd's Interpreter does not take delegates")
        threads = 1 if num_threads is None or num_threads < 1 else int(num_threads)
        self._model = Model(model_path if model_path is not None else model_content, num_threads=threads)
        self._inputs = {d["index"]: (i, d) for i, d in enumerate(self._model._inputs)}
        self._outputs = {d["index"]: (i, d) for i, d in enumerate(self._model._outputs)}
        self._pending: dict = {}
        self._results: Optional[list] = None

    @property
    def model(self) -> Model:
        return self._model

    def allocate_tensors(self) -> None:
        """The arena is planned at load; kept for LiteRT compatibility."""

    @staticmethod
    def _details(d: dict) -> dict:
        scales = np.asarray(d["scales"], dtype=np.float32)
        zps = np.asarray(d["zero_points"], dtype=np.int32)
        quant = (float(scales[0]), int(zps[0])) if len(scales) else (0.0, 0)
        shape = np.asarray(d["shape"], dtype=np.int32)
        return {
            "name": d["name"],
            "index": d["index"],
            "shape": shape,
            "shape_signature": shape.copy(),
            "dtype": np.dtype(d["dtype"]).type,
            "quantization": quant,
            "quantization_parameters": {"scales": scales, "zero_points": zps,
                                        "quantized_dimension": int(d["quantized_dimension"])},
            "sparsity_parameters": {},
        }

    def get_input_details(self) -> list:
        return [self._details(d) for d in self._model._inputs]

    def get_output_details(self) -> list:
        return [self._details(d) for d in self._model._outputs]

    def set_tensor(self, tensor_index: int, value: np.ndarray) -> None:
        if tensor_index not in self._inputs:
            raise ValueError(f"tensor {tensor_index} is not an input of this model "
                             f"(inputs: {sorted(self._inputs)})")
        _, d = self._inputs[tensor_index]
        value = np.asarray(value)
        want = np.dtype(d["dtype"])
        if value.dtype != want:
            raise ValueError(f"Cannot set tensor: Got value of type {value.dtype.name.upper()} but expected type "
                             f"{want.name.upper()} for input {tensor_index}, name: {d['name']} ")
        if tuple(value.shape) != tuple(d["shape"]):
            raise ValueError(f"Cannot set tensor: Dimension mismatch. Got {list(value.shape)} but expected "
                             f"{list(d['shape'])} for input {tensor_index}.")
        self._pending[tensor_index] = np.array(value, copy=True)

    def invoke(self) -> None:
        # LiteRT runs on whatever the input buffers hold; inputs never set are zeros here.
        arrays = [self._pending.get(idx, np.zeros(d["shape"], dtype=d["dtype"]))
                  for idx, (_, d) in sorted(self._inputs.items(), key=lambda kv: kv[1][0])]
        self._results = self._model.run_raw(arrays)

    def get_tensor(self, tensor_index: int) -> np.ndarray:
        if tensor_index in self._outputs:
            if self._results is None:
                _, d = self._outputs[tensor_index]
                return np.zeros(d["shape"], dtype=d["dtype"])
            return self._results[self._outputs[tensor_index][0]].copy()
        if tensor_index in self._inputs:
            _, d = self._inputs[tensor_index]
            return self._pending.get(tensor_index, np.zeros(d["shape"], dtype=d["dtype"])).copy()
        raise ValueError(f"tensor {tensor_index} is neither an input nor an output; edgekd does not keep "
                         "intermediate tensors")

    def resize_tensor_input(self, input_index: int, tensor_size: Sequence[int], strict: bool = False) -> None:
        _, d = self._inputs.get(input_index, (None, None))
        if d is None:
            raise ValueError(f"tensor {input_index} is not an input of this model")
        if tuple(tensor_size) != tuple(d["shape"]):
            raise EdgekdError("edgekd models have static shapes; use edgekd.load(...)(x) for larger batches")

    def get_signature_list(self) -> dict:
        return {}


__all__ = ["Model", "Interpreter", "load"]
