"""The quantization report: fp32 vs int8 accuracy on held-out data, per-layer SQNR, sizes, latency.

int8 figures come from running the exported file, not the simulation: in edgekd's native runtime
(``edgekd.load``), or — only if the runtime is missing or cannot load the file — in LiteRT's builtin kernels;
the report says which (``int8_backend``). Per-layer SQNR compares each op's output in the int8 simulation
(``QuantModel`` in fake mode, the file's rounding) with the float model's, on the evaluation inputs.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch

from ..errors import EdgekdError
from .export import ExportInfo
from .qmodel import QuantModel


def sqnr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """10 log10(|ref|^2 / |ref - test|^2); +inf when equal."""
    ref = np.asarray(reference, np.float64)
    err = float(np.sum((ref - np.asarray(test, np.float64)) ** 2))
    sig = float(np.sum(ref ** 2))
    if err == 0.0:
        return math.inf
    if sig == 0.0:
        return -math.inf
    return 10.0 * math.log10(sig / err)


@dataclass
class LayerSQNR:
    name: str
    kind: str
    where: str
    sqnr_db: float


@dataclass
class QuantReport:
    model_path: str
    observer: str
    calib_batches: int | None
    bias_correction: bool
    int8_backend: str  # "edgekd" or "litert"
    fp32_accuracy: float | None
    int8_accuracy: float | None
    eval_samples: int
    output_sqnr_db: float  # int8 file vs the float model it quantizes (after QAT: the fine-tuned one, whose
    #                        learned clipping ranges the float model does not apply, so expect less)
    sim_sqnr_db: float  # int8 file vs the int8 simulation (how closely the file follows what was trained)
    fp32_bytes: int  # float32 parameters and buffers
    int8_bytes: int  # the .tflite file
    int8_latency_ms: float | None  # mean per batch-1 inference in int8_backend
    layers: list[LayerSQNR] = field(default_factory=list)
    ptq_int8_accuracy: float | None = None  # with QAT: the PTQ accuracy it started from (simulated)
    qat: dict[str, Any] | None = None
    onnx_path: str | None = None
    onnx_bytes: int | None = None
    onnx_sqnr_db: float | None = None
    int8_backend_note: str | None = None  # why edgekd's runtime was not used, when it was not

    @property
    def accuracy_drop(self) -> float | None:
        if self.fp32_accuracy is None or self.int8_accuracy is None:
            return None
        return self.fp32_accuracy - self.int8_accuracy

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["accuracy_drop"] = self.accuracy_drop
        return _json_safe(d)

    def save_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    def print(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.table import Table

        console = console or Console()
        t = Table(title=f"edgekd quantize: {self.model_path}")
        t.add_column("", style="bold")
        t.add_column("fp32", justify="right")
        t.add_column(f"int8 ({self.int8_backend})", justify="right")
        fmt = lambda a: "-" if a is None else f"{100 * a:.2f}%"  # noqa: E731
        t.add_row("accuracy", fmt(self.fp32_accuracy), fmt(self.int8_accuracy))
        t.add_row("size", f"{self.fp32_bytes / 1024:.1f} KiB", f"{self.int8_bytes / 1024:.1f} KiB")
        if self.int8_latency_ms is not None:
            t.add_row("latency (batch 1)", "", f"{self.int8_latency_ms:.3f} ms")
        t.add_row("output SQNR vs fp32", "", f"{self.output_sqnr_db:.1f} dB")
        t.add_row("output SQNR vs int8 simulation", "", f"{self.sim_sqnr_db:.1f} dB")
        if self.ptq_int8_accuracy is not None:
            t.add_row("PTQ before QAT (sim.)", "", fmt(self.ptq_int8_accuracy))
        console.print(t)
        if self.int8_backend_note:
            console.print(f"[yellow]int8 measured in {self.int8_backend}: {self.int8_backend_note}[/yellow]")
        lt = Table(title="per-layer SQNR (int8 simulation vs fp32)")
        for c in ("op", "kind", "module", "SQNR dB"):
            lt.add_column(c)
        for layer in self.layers:
            lt.add_row(layer.name, layer.kind, layer.where, f"{layer.sqnr_db:.1f}")
        console.print(lt)


def _json_safe(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_safe(x) for x in v]
    return v


# ------------------------------------------------------------------------ running the exported file
class Int8Runner:
    """Runs a .tflite on NCHW float batches: edgekd's runtime when it can load the file, LiteRT otherwise."""

    def __init__(self, tflite: bytes, info: ExportInfo, prefer: str = "edgekd") -> None:
        self.info = info
        self.backend = ""
        self._run: Callable[[np.ndarray], np.ndarray]
        errors = []
        order = ["edgekd", "litert"] if prefer == "edgekd" else ["litert"]
        for name in order:
            try:
                self._run = getattr(self, f"_make_{name}")(tflite)
                self.backend = name
                break
            except Exception as e:  # noqa: BLE001 — fall through to the next backend, keep the reason
                errors.append(f"{name}: {type(e).__name__}: {e}")
        if not self.backend:
            raise EdgekdError("no int8 backend could run the exported file: " + "; ".join(errors))
        self.fallback_reason = "; ".join(errors) or None

    def _make_edgekd(self, tflite: bytes) -> Callable[[np.ndarray], np.ndarray]:
        import edgekd

        model = edgekd.load(tflite)  # type: ignore[attr-defined]
        model(np.zeros(self.info.input_shape, np.float32))  # fails here, not mid-report, if it cannot run
        return lambda x: np.asarray(model(x))

    def _make_litert(self, tflite: bytes) -> Callable[[np.ndarray], np.ndarray]:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        ip = Interpreter(model_content=tflite,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        ip.allocate_tensors()
        inp, out = ip.get_input_details()[0], ip.get_output_details()[0]
        b = int(inp["shape"][0])

        def run(x: np.ndarray) -> np.ndarray:
            outs = []
            for i in range(0, len(x), b):
                chunk = x[i:i + b]
                if len(chunk) < b:  # pad the last chunk to the file's static batch
                    chunk = np.concatenate([chunk, np.repeat(chunk[-1:], b - len(chunk), 0)])
                ip.set_tensor(inp["index"], np.ascontiguousarray(chunk.astype(inp["dtype"])))
                ip.invoke()
                outs.append(ip.get_tensor(out["index"]).copy())
            return np.concatenate(outs)[: len(x)]

        return run

    def __call__(self, x_nchw: np.ndarray) -> np.ndarray:
        """Float NCHW (or [N, F]) in, float out (NCHW for 4-D outputs)."""
        x = np.asarray(x_nchw, np.float32)
        if x.ndim == 4:
            x = x.transpose(0, 2, 3, 1)
        if self.info.int8_io:
            raise EdgekdError("Int8Runner feeds float inputs; export with float edges for the report")
        y = self._run(np.ascontiguousarray(x)).astype(np.float32)
        if y.ndim == 4 and self.info.nhwc_outputs and self.info.nhwc_outputs[0]:
            y = y.transpose(0, 3, 1, 2)
        return y

    def latency_ms(self, x1: np.ndarray, runs: int = 50) -> float:
        self(x1)  # warm up
        t = time.perf_counter()
        for _ in range(runs):
            self(x1)
        return 1000.0 * (time.perf_counter() - t) / runs


# ------------------------------------------------------------------------ measuring
def collect(loader: Iterable, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    xs, ys = [], []
    n = 0
    for batch in loader:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        xs.append(x.float())
        if isinstance(batch, (tuple, list)) and len(batch) > 1:
            ys.append(torch.as_tensor(batch[1]).long())
        n += len(x)
        if limit is not None and n >= limit:
            break
    if not xs:
        raise EdgekdError("the evaluation data gave no batches")
    x = torch.cat(xs)[:limit]
    y = torch.cat(ys)[:limit] if ys else None
    return x, y


def accuracy(logits: np.ndarray, labels: torch.Tensor | None) -> float | None:
    if labels is None:
        return None
    return float((np.asarray(logits).argmax(-1) == labels.numpy()).mean())


@torch.no_grad()
def model_outputs(model: torch.nn.Module, x: torch.Tensor, batch: int = 512) -> np.ndarray:
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)]).numpy()


@torch.no_grad()
def layer_sqnr(qm: QuantModel, x: torch.Tensor) -> list[LayerSQNR]:
    """Per-op SQNR of the int8 simulation against the float graph on ``x``."""
    was = qm.mode
    qm.eval()
    qm.mode, qm.records = "float", {}
    qm(x)
    ref = qm.records
    qm.mode, qm.records = "fake", {}
    qm(x)
    sim = qm.records
    qm.records, qm.mode = None, was
    return [LayerSQNR(op.name, op.kind, op.where, sqnr_db(ref[op.name].numpy(), sim[op.name].numpy()))
            for op in qm.ops if op.kind != "input"]


def fp32_bytes(model: torch.nn.Module) -> int:
    return sum(t.numel() * 4 for t in model.state_dict().values() if t.is_floating_point())
