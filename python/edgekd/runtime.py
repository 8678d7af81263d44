"""Run int8 and float32 ``.tflite`` models on edgekd's native runtime.

``load(path_or_bytes)`` returns a :class:`Model` that is called like a function; ``edgekd.Interpreter``
(defined in edgekd.interpreter, on top of Model) offers LiteRT's ``Interpreter`` methods so LiteRT code switches by changing one import. Quantization at the edges
uses the same integer routines as the model's QUANTIZE / DEQUANTIZE ops (no second rounding rule here).
"""
from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _core
from .errors import EdgekdError

PathOrBytes = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


def _load_core(source: PathOrBytes, num_threads: int, keep_all_tensors: bool = False) -> "_core.Model":
    if not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be a positive integer, got {num_threads!r}")
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _core.Model.from_bytes(bytes(source), num_threads, keep_all_tensors)
    path = os.fspath(source)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    return _core.Model.from_file(path, num_threads, keep_all_tensors)


def litert_details(d: dict, shape: Optional[Sequence[int]] = None) -> dict:
    """A tensor's details as LiteRT's ``Interpreter.get_input_details`` reports them, from a core tensor
    dict; ``shape`` overrides the file's (an input resized to another batch)."""
    scales = np.asarray(d["scales"], dtype=np.float32)
    zps = np.asarray(d["zero_points"], dtype=np.int32)
    # LiteRT's legacy (scale, zero_point) pair describes per-tensor quantization only.
    quant = (float(scales[0]), int(zps[0])) if len(scales) == 1 else (0.0, 0)
    shape = np.asarray(d["shape"] if shape is None else shape, dtype=np.int32)
    # A file without a shape signature has static shapes: LiteRT then reports the current shape.
    sig = np.asarray(d["shape_signature"], dtype=np.int32) if d["shape_signature"] else shape.copy()
    return {
        "name": d["name"],
        "index": d["index"],
        "shape": shape,
        "shape_signature": sig,
        "dtype": np.dtype(d["dtype"]).type,
        "quantization": quant,
        "quantization_parameters": {"scales": scales, "zero_points": zps,
                                    "quantized_dimension": int(d["quantized_dimension"]), "block_size": 0},
        "sparsity_parameters": {},
    }


class Model:
    """A loaded model. ``model(x)`` runs it on numpy input(s).

    * ``x`` float32 is quantized with the model's input parameters (or fed as is to a float32 input);
      ``x`` int8 is fed as is (or, for a float32 input, dequantized with the int8 parameters at that edge).
      Any other dtype (uint8, int32, float64, ...) is a ``ValueError`` naming the input and both dtypes.
    * ``output="float32"`` dequantizes int8 outputs, ``"int8"`` returns int8 (quantizing a float32 output
      with the parameters at that edge), ``"auto"`` (default) gives float32 for float32 input, int8 for int8.
    * A batch larger than the model's batch dimension runs in slices of the model's batch.
    """

    def __init__(self, source: PathOrBytes, num_threads: int = 1):
        self._attach(_load_core(source, num_threads))
        self.source = source if not isinstance(source, (bytes, bytearray, memoryview)) else None

    @classmethod
    def _over(cls, core: "_core.Model") -> "Model":
        """A Model sharing an already loaded core (its mutex serializes the two users' runs)."""
        m = cls.__new__(cls)
        m._attach(core)
        m.source = None
        return m

    def _attach(self, core: "_core.Model") -> None:
        self._core = core
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
        """LiteRT-style details of the inputs (the dicts ``Interpreter.get_input_details`` returns)."""
        return [litert_details(d) for d in self._inputs]

    def get_output_details(self) -> list:
        return [litert_details(d) for d in self._outputs]

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(d["shape"])) for d in self._inputs)
        return f"<edgekd.Model inputs={shapes} path={self.path} ops={self._info['num_ops']}>"

    @property
    def has_state(self) -> bool:
        """Whether the model keeps state across calls (variable tensors: LSTM, SVDF)."""
        return self._info["num_variables"] > 0

    def reset_state(self) -> None:
        """Restores the model's state (the variable tensors of LSTM / SVDF ops, which carry over from one
        call to the next) to its initial value, as a fresh load has it."""
        self._core.reset_state()

    def profile(self, runs: int = 100, per_op: bool = True) -> list:
        """Each op's median time over ``runs`` inferences, in execution order: ``[{"op": "op 3 (CONV_2D)",
        "kernel": "gemm_s8_4x16c2_avx2", "ms": 0.012}, ...]``, the figures ``edgekd-run --profile`` prints.
        The inferences run on the inputs of the last call (zeros before the first one).
        A model with state (``has_state``) carries it through these runs; ``reset_state()`` afterwards.
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
        # Only the two conversions the model's own edges define: float32 <-> int8 through the quantization
        # parameters. Any other dtype (uint8 pixels, int32 labels, float64) is refused as LiteRT's set_tensor
        # refuses it: a silent cast would feed numbers with another meaning (0..255 into a [0, 1] input).
        want = np.dtype(d["dtype"])
        x = np.asarray(x)
        if x.dtype == want:
            return x
        if want == np.int8 and x.dtype == np.float32:
            if not d["scales"]:
                raise ValueError(f"input '{d['name']}' is int8 without quantization parameters")
            return _core.runtime_quantize(x, d["scales"][0], int(d["zero_points"][0]))
        if want == np.float32 and x.dtype == np.int8:
            if d["edge_quantization"] is None:
                raise ValueError(f"input '{d['name']}' is float32 with no QUANTIZE after it; pass float32")
            s, zp = d["edge_quantization"]
            return _core.runtime_dequantize(x, s, zp)
        also = {"int8": " (or float32, quantized with its parameters)",
                "float32": " (or int8, at its QUANTIZE's parameters)" if d["edge_quantization"] else ""}
        raise ValueError(f"input '{d['name']}' takes {want.name}{also.get(want.name, '')}, got {x.dtype.name}; "
                         "edgekd does not cast other dtypes: convert the values yourself")

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
        if self.has_state:
            raise ValueError("the model keeps state across calls (variable tensors), so it runs only at its "
                             f"inputs' own shapes {shapes}: slices of a larger batch would share that state")
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
    """Loads an int8 or float32 ``.tflite`` model (a path or its bytes) on the SIMD path chosen for this
    machine."""
    return Model(source, num_threads=num_threads)

