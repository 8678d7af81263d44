"""Quantization and export: a PyTorch student -> int8 .tflite (TFLite's int8 spec) and QDQ ONNX.

Workstation side (needs torch). Pipeline: ``capture`` (torch.fx) -> ``qmodel.build`` (BN folded, activations
fused as TFLite fuses them) -> ``ptq`` (observers, calibration, bias correction) -> optional ``qat``
(fake quantization, straight-through estimator, optional distillation) -> ``export`` (ir.Graph, NHWC) ->
``edgekd.tflite`` writer; ``report`` measures the exported file in edgekd's runtime.
"""
from __future__ import annotations

from .api import load_student, quantize_and_export
from .export import export_tflite, to_ir
from .onnx_export import export_onnx, to_onnx
from .ptq import calibrate, quantize_ptq
from .qat import QATConfig, train_qat
from .qmodel import QuantModel, build
from .report import QuantReport

__all__ = ["QATConfig", "QuantModel", "QuantReport", "build", "calibrate", "export_onnx", "export_tflite",
           "load_student", "quantize_and_export", "quantize_ptq", "to_ir", "to_onnx", "train_qat"]
