"""One call from a float student to an int8 .tflite and its report (used by `edgekd quantize` and `edgekd demo`)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import torch.nn as nn

from ..errors import EdgekdError
from .export import to_ir
from .ptq import example_input, quantize_ptq
from .qat import QATConfig, history_dicts, train_qat
from .report import Int8Runner, QuantReport, accuracy, collect, fp32_bytes, layer_sqnr, model_outputs, sqnr_db


def quantize_and_export(model: nn.Module, calib_loader: Iterable, eval_loader: Iterable | None,
                        out_path: str | Path, observer: str = "minmax", *, calib_batches: int | None = 16,
                        bias_correction: bool = False, qat: bool = False, train_loader: Iterable | None = None,
                        teacher: nn.Module | None = None, qat_config: QATConfig | None = None,
                        int8_io: bool = False, onnx_path: str | Path | None = None,
                        report_path: str | Path | None = None, eval_limit: int | None = None,
                        backend: str = "edgekd", measure_latency: bool = True,
                        model_name: str | None = None) -> QuantReport:
    """Quantize ``model`` (PTQ on ``calib_batches`` batches of ``calib_loader``, then QAT on ``train_loader``
    when ``qat``, distilled from ``teacher`` if given), write ``out_path`` (.tflite) and optionally
    ``onnx_path`` (QDQ ONNX), evaluate fp32 vs the exported int8 file on ``eval_loader`` and return the report
    (also saved as JSON to ``report_path`` when given). ``model`` is not modified."""
    from ..tflite import save, write_tflite

    model = model.eval()
    ex = example_input(calib_loader)
    qm = quantize_ptq(model, calib_loader, calib_batches=calib_batches, observer=observer,
                      bias_correction=bias_correction, example=ex)
    x_eval, y_eval = (collect(eval_loader, eval_limit) if eval_loader is not None else (ex, None))

    ptq_acc = None
    qat_info = None
    if qat:
        if train_loader is None:
            raise EdgekdError("QAT needs a train_loader of labelled batches")
        qm.eval()
        ptq_acc = accuracy(model_outputs(qm, x_eval), y_eval)
        cfg = qat_config or QATConfig()
        hist = train_qat(qm, train_loader, cfg, teacher=teacher)
        qat_info = {"config": {k: v for k, v in vars(cfg).items()}, "history": history_dicts(hist),
                    "distilled": teacher is not None}

    graph, info = to_ir(qm, int8_io=int8_io, name=Path(out_path).stem)
    out_path = Path(out_path)
    if out_path.parent:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    save(graph, out_path)
    blob = write_tflite(graph)

    # Evaluate with float edges even when the file has int8 ones (the runner quantizes at the edge itself).
    eval_blob = blob if not int8_io else write_tflite(to_ir(qm, int8_io=False)[0])
    eval_info = info if not int8_io else to_ir(qm, int8_io=False)[1]
    runner = Int8Runner(eval_blob, eval_info, prefer=backend)
    ref = model_outputs(model, x_eval)
    # SQNR compares the file with the float model it quantizes: after QAT that is the fine-tuned float model
    # (the QuantModel in float mode), not the original one whose weights QAT has moved.
    sqnr_ref = ref
    if qat:
        qm.mode = "float"
        sqnr_ref = model_outputs(qm, x_eval)
        qm.mode = "fake"
    sim = model_outputs(qm.eval(), x_eval)  # the int8 simulation: the file should agree with it closely
    got = runner(x_eval.numpy())
    latency = runner.latency_ms(x_eval[:1].numpy()) if measure_latency else None

    report = QuantReport(
        model_path=model_name or type(model).__name__, observer=observer, calib_batches=calib_batches,
        bias_correction=bias_correction, int8_backend=runner.backend,
        fp32_accuracy=accuracy(ref, y_eval), int8_accuracy=accuracy(got, y_eval), eval_samples=len(x_eval),
        output_sqnr_db=sqnr_db(sqnr_ref, got), sim_sqnr_db=sqnr_db(sim, got), fp32_bytes=fp32_bytes(model), int8_bytes=len(blob),
        int8_latency_ms=latency, layers=layer_sqnr(qm, x_eval[:256]), ptq_int8_accuracy=ptq_acc, qat=qat_info,
        int8_backend_note=runner.fallback_reason)
    if onnx_path is not None:
        from .onnx_export import export_onnx, run_onnx

        export_onnx(qm, onnx_path)
        report.onnx_path = str(onnx_path)
        report.onnx_bytes = Path(onnx_path).stat().st_size
        report.onnx_sqnr_db = sqnr_db(sqnr_ref, run_onnx(onnx_path, x_eval.numpy()))
    if report_path is not None:
        report.save_json(report_path)
    return report


def load_student(path: str | Path) -> tuple[nn.Module, dict]:
    """A student from ``edgekd distill``'s checkpoint (``<run>.pt``) or a whole pickled module, with the
    checkpoint's metadata (``{"model_name": None, ...}`` for a pickled module)."""
    from ..distill.trainer import load_model

    model, meta = load_model(path)
    return model.eval(), meta
