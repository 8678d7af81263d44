"""LiteRT's ``Interpreter`` over edgekd's runtime: ``from edgekd import Interpreter`` in place of
``from ai_edge_litert.interpreter import Interpreter``.

The same methods, arguments, dict keys and errors (``ValueError`` naming the tensor) as LiteRT's Python API:
details, signatures and signature runners, ``set_tensor`` / ``get_tensor`` / ``tensor``, batch resizing.
What edgekd's runtime cannot do it refuses by name: resizing any dimension but the batch, delegates, and
reading intermediate tensors unless ``experimental_preserve_all_tensors=True`` kept them.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from .runtime import Model, _load_core, litert_details


class Interpreter:
    """Runs a ``.tflite`` file on edgekd's native runtime with LiteRT's ``Interpreter`` methods.

    Inputs and outputs live in arrays of their own, as in LiteRT: an input keeps its value across
    ``invoke()`` calls, ``tensor(i)()`` is a view that ``invoke()`` updates in place. A batch other than the
    file's (``resize_tensor_input`` on dimension 0, or a signature runner called on such a batch) runs as
    slices of the file's batch, which equals LiteRT wherever samples do not interact (every op edgekd runs).
    """

    def __init__(self, model_path: Optional[Union[str, "os.PathLike[str]"]] = None,
                 model_content: Optional[bytes] = None, experimental_delegates: Any = None,
                 num_threads: Optional[int] = None, experimental_op_resolver_type: Any = None,
                 experimental_preserve_all_tensors: bool = False,
                 experimental_disable_delegate_clustering: bool = False,
                 experimental_default_delegate_latest_features: bool = False,
                 experimental_compress_quantization_zero_points: bool = False,
                 experimental_disable_delegate_node_fusion: bool = False,
                 experimental_force_delegate_node_profiling: bool = False):
        # The op resolver and delegate-tuning flags choose among LiteRT's kernels; edgekd has one set.
        if num_threads is not None:
            if not isinstance(num_threads, int):
                raise ValueError("type of num_threads should be int")
            if num_threads < 1:
                raise ValueError("num_threads should >= 1")
        if model_path is None and model_content is None:
            raise ValueError("`model_path` or `model_content` must be specified.")
        if model_path is not None and model_content is not None:
            raise ValueError("Can't both provide `model_path` and `model_content`")
        if experimental_delegates:
            raise ValueError("edgekd's Interpreter does not take delegates: its kernels are built in")
        self._preserve = bool(experimental_preserve_all_tensors)
        source = model_path if model_path is not None else model_content
        self._core = _load_core(source, num_threads or 1, self._preserve)
        self._in = self._core.inputs()
        self._out = self._core.outputs()
        self._in_pos = {d["index"]: i for i, d in enumerate(self._in)}
        self._out_pos = {d["index"]: i for i, d in enumerate(self._out)}
        self._file_in = self._core.staged_inputs()    # the model's own I/O arrays, at the file's shapes
        self._file_out = self._core.staged_outputs()
        self._ins, self._outs = list(self._file_in), list(self._file_out)  # what the caller sees
        self._run: Callable[[], None] = self._core.run_staged
        self._resized = False          # some input is at another batch than the file's
        self._unallocated = False      # resize_tensor_input since the last allocate_tensors
        self._allocated_once = False   # allocate_tensors has run (it resets the state the first time)
        self._signatures = {s["key"]: s for s in self._core.signatures()}

    @property
    def model(self) -> Model:
        """The same loaded model as an :class:`edgekd.Model` (``model(x)``, ``info()``, ``profile()``)."""
        return Model._over(self._core)

    # -- tensors and details -------------------------------------------------------------------------
    def allocate_tensors(self) -> None:
        """Sizes the outputs after ``resize_tensor_input``; the arena itself is planned at load. As in
        LiteRT, the first call and any call after a resize also reset the variable tensors."""
        if self._unallocated or not self._allocated_once:
            self._core.reset_state(False)
            self._allocated_once = True
        if self._unallocated:
            self._allocate()

    def get_input_details(self) -> list:
        return [litert_details(d, a.shape) for d, a in zip(self._in, self._ins)]

    def get_output_details(self) -> list:
        return [litert_details(d, a.shape) for d, a in zip(self._out, self._outs)]

    def get_tensor_details(self, subgraph_index: int = 0) -> list:
        """Details of every tensor of the graph, in index order."""
        self._check_subgraph(subgraph_index)
        return [self._details(i) for i in range(self._core.num_tensors())]

    def _details(self, index: int) -> dict:
        if index in self._in_pos:
            return litert_details(self._in[self._in_pos[index]], self._ins[self._in_pos[index]].shape)
        if index in self._out_pos:
            return litert_details(self._out[self._out_pos[index]], self._outs[self._out_pos[index]].shape)
        return litert_details(self._info(index))

    def _info(self, index: int) -> dict:
        n = self._core.num_tensors()
        if not isinstance(index, (int, np.integer)) or not 0 <= index < n:
            raise ValueError(f"Invalid tensor index {index!r}: the model has tensors 0 to {n - 1}")
        return self._core.tensor_info(int(index))

    def num_subgraphs(self) -> int:
        return 1

    @staticmethod
    def _check_subgraph(subgraph_index: int) -> None:
        if subgraph_index != 0:
            raise ValueError(f"subgraph_index is out of range: {subgraph_index}; edgekd runs subgraph 0 only")

    def set_tensor(self, tensor_index: int, value: np.ndarray) -> None:
        """Copies ``value`` into an input; its dtype and shape must be the input's (no conversion)."""
        pos = self._in_pos.get(tensor_index)
        if pos is None:
            raise ValueError(f"Cannot set tensor: {self._describe(tensor_index)} is not an input of this model; "
                             f"edgekd sets inputs only (inputs: {sorted(self._in_pos)})")
        buf = self._ins[pos]
        value = np.asarray(value)
        if value.dtype != buf.dtype:
            raise ValueError(f"Cannot set tensor: Got value of type {value.dtype.name.upper()} but expected type "
                             f"{buf.dtype.name.upper()} for input {tensor_index}, name: {self._in[pos]['name']} ")
        if value.shape != buf.shape:
            raise ValueError(f"Cannot set tensor: Dimension mismatch. Got {list(value.shape)} but expected "
                             f"{list(buf.shape)} for input {tensor_index}, name: {self._in[pos]['name']}")
        buf[...] = value

    def get_tensor(self, tensor_index: int, subgraph_index: int = 0) -> np.ndarray:
        """A copy of a tensor: inputs, outputs and constants always; intermediates with
        ``experimental_preserve_all_tensors=True``."""
        self._check_subgraph(subgraph_index)
        out = self._view(tensor_index).copy()
        return out[()] if out.ndim == 0 else out  # a scalar tensor comes back as a numpy scalar, as in LiteRT

    def tensor(self, tensor_index: int) -> Callable[[], np.ndarray]:
        """A function returning a numpy view of the tensor's current buffer (writable for inputs), which
        ``invoke()`` updates in place; call it again after ``resize_tensor_input``."""
        self._view(tensor_index)  # a bad index fails here, as in LiteRT
        return lambda: self._view(tensor_index)

    def _view(self, index: int) -> np.ndarray:
        if index in self._out_pos:
            return self._outs[self._out_pos[index]]
        if index in self._in_pos:
            return self._ins[self._in_pos[index]]
        info = self._info(index)
        if not info["is_constant"]:
            if not self._preserve:
                raise ValueError(f"{self._describe(index)} is an intermediate tensor, whose memory edgekd reuses; "
                                 "create the Interpreter with experimental_preserve_all_tensors=True to read it")
            if self._resized:
                raise ValueError(f"{self._describe(index)} is an intermediate tensor; edgekd keeps intermediates "
                                 "at the file's batch size only, and an input was resized")
        view = self._core.tensor_view(int(index))
        if view is None:  # no op writes it: LiteRT leaves such a tensor zeroed
            return np.zeros(info["shape"], info["dtype"])
        return view

    def _describe(self, index: int) -> str:
        try:
            return f"tensor {index} '{self._info(index)['name']}'"
        except ValueError:
            return f"tensor {index!r}"

    # -- running ---------------------------------------------------------------------------------------
    def invoke(self) -> None:
        """Runs the model on the inputs as set; the GIL is released while it runs."""
        if self._resized or self._unallocated:
            self._invoke_batched()
        else:
            self._run()

    def reset_all_variables(self) -> None:
        """Restores every variable tensor (LSTM / SVDF state, carried from one ``invoke()`` to the next) to
        its initial value: its int8 zero point, or zero. As in LiteRT, resource variables (VAR_HANDLE) keep
        their values (``model.reset_state()`` restores those too)."""
        self._core.reset_state(False)

    def resize_tensor_input(self, input_index: int, tensor_size: Sequence[int], strict: bool = False) -> None:
        """Changes an input's batch (dimension 0); other dimensions were planned at load and cannot change.
        Takes effect on the outputs at ``allocate_tensors()``."""
        pos = self._in_pos.get(input_index)
        if pos is None:
            raise ValueError(f"{self._describe(input_index)} is not an input of this model "
                             f"(inputs: {sorted(self._in_pos)})")
        d = self._in[pos]
        file_shape = tuple(d["shape"])
        size = tuple(int(s) for s in np.asarray(tensor_size, dtype=np.int64).reshape(-1))
        if size == self._ins[pos].shape:
            return
        name = f"input {input_index} '{d['name']}'"
        if strict:
            sig = d["shape_signature"] or list(file_shape)
            fixed = [i for i, (a, b) in enumerate(zip(size, self._ins[pos].shape)) if a != b and sig[i] != -1]
            if len(size) != len(file_shape) or fixed:
                raise ValueError(f"{name}: a strict resize changes only dimensions that are -1 in its "
                                 f"shape_signature {list(sig)}, asked {list(size)}")
        if len(size) != len(file_shape) or size[1:] != file_shape[1:] or not file_shape or size[0] < 1:
            raise ValueError(f"{name} has shape {list(file_shape)}: edgekd plans shapes at load and can change "
                             f"only the batch (dimension 0), asked {list(size)}")
        b = file_shape[0]
        for o in self._out:
            if not o["shape"] or o["shape"][0] != b:
                raise ValueError(f"{name}: cannot run another batch, output '{o['name']}' has shape "
                                 f"{list(o['shape'])} whose first dimension is not the batch {b}")
        if self._core.info()["num_variables"]:
            raise ValueError(f"{name}: the model keeps state across invocations (variable tensors) sized for "
                             f"the file's batch {b}; edgekd runs it at that batch only")
        if self._preserve:
            raise ValueError(f"{name}: edgekd keeps intermediates (experimental_preserve_all_tensors) at the "
                             f"file's batch {b} only")
        self._ins[pos] = self._file_in[pos] if size == file_shape else np.zeros(size, self._file_in[pos].dtype)
        self._resized = any(a.shape != f.shape for a, f in zip(self._ins, self._file_in))
        self._unallocated = True

    def _allocate(self) -> None:
        batches = {a.shape[0] for a in self._ins}
        if len(batches) != 1:
            raise ValueError(f"all inputs must have the same batch, got {sorted(batches)}")
        n = batches.pop()
        self._outs = [f if not self._resized else np.zeros((n,) + f.shape[1:], f.dtype) for f in self._file_out]
        self._unallocated = False

    def _invoke_batched(self) -> None:
        if self._unallocated:
            self._allocate()
        if not self._resized:
            self._run()
            return
        n, b = self._ins[0].shape[0], self._file_in[0].shape[0]
        for start in range(0, n, b):
            take = min(b, n - start)
            for big, file in zip(self._ins, self._file_in):
                file[:take] = big[start:start + take]
                file[take:] = 0  # a short tail slice: the rows past it are computed and dropped
            self._run()
            for big, file in zip(self._outs, self._file_out):
                big[start:start + take] = file[:take]

    # -- signatures ------------------------------------------------------------------------------------
    def get_signature_list(self) -> dict:
        """``{key: {"inputs": [names], "outputs": [names]}}`` as LiteRT lists the file's SignatureDefs
        (names sorted, as LiteRT keeps them); ``{}`` for a file without any."""
        return {k: {"inputs": sorted(n for n, _ in s["inputs"]), "outputs": sorted(n for n, _ in s["outputs"])}
                for k, s in self._signatures.items()}

    def get_signature_runner(self, signature_key: Optional[str] = None) -> "SignatureRunner":
        """A callable running one SignatureDef: keyword inputs by signature name, a dict of outputs back."""
        if signature_key is None:
            if len(self._signatures) != 1:
                raise ValueError(f"SignatureDef signature_key is None and model has {len(self._signatures)} "
                                 "Signatures. None is only allowed when the model has 1 SignatureDef")
            signature_key = next(iter(self._signatures))
        return SignatureRunner(self, signature_key)


class SignatureRunner:
    """LiteRT's ``SignatureRunner``: ``runner(x=array)`` -> ``{"output_0": array}``. An input given at
    another batch resizes it first (as LiteRT's runner does)."""

    def __init__(self, interpreter: Interpreter, signature_key: str):
        if not signature_key:
            raise ValueError("None signature_key provided.")
        sig = interpreter._signatures.get(signature_key)
        if sig is None:
            raise ValueError(f'Invalid signature_key provided: "{signature_key}".')
        if sig["subgraph_index"] != 0:
            raise ValueError(f"signature '{signature_key}' runs subgraph {sig['subgraph_index']}; "
                             "edgekd runs subgraph 0 only")
        for kind, pos, pairs in (("input", interpreter._in_pos, sig["inputs"]),
                                 ("output", interpreter._out_pos, sig["outputs"])):
            for name, index in pairs:
                if index not in pos:
                    raise ValueError(f"signature '{signature_key}' {kind} '{name}' is "
                                     f"{interpreter._describe(index)}, which is not a model {kind}")
        self._it = interpreter
        self._key = signature_key
        self._inputs = dict(sorted(sig["inputs"]))
        self._outputs = sorted(sig["outputs"])

    def __call__(self, **kwargs: np.ndarray) -> dict:
        if len(kwargs) != len(self._inputs):
            raise ValueError("Invalid number of inputs provided for running a SignatureDef, "
                             f"expected {len(self._inputs)} vs provided {len(kwargs)}")
        it = self._it
        for name, value in kwargs.items():
            index = self._inputs.get(name)
            if index is None:
                raise ValueError(f"Invalid Input name ({name}) for SignatureDef")
            shape = np.shape(value)
            if shape != it._ins[it._in_pos[index]].shape:
                it.resize_tensor_input(index, shape)
        for name, value in kwargs.items():
            it.set_tensor(self._inputs[name], value)
        it.invoke()
        return {name: it.get_tensor(index) for name, index in self._outputs}

    def get_input_details(self) -> dict:
        return {name: self._it._details(index) for name, index in self._inputs.items()}

    def get_output_details(self) -> dict:
        return {name: self._it._details(index) for name, index in self._outputs}


__all__ = ["Interpreter", "SignatureRunner"]
