"""Post-training static quantization: observe activation ranges on calibration batches, then fix the int8
parameters. Optional empirical bias correction (Nagel et al., "Data-Free Quantization", 2019): the mean output
shift that weight rounding causes on the calibration data is subtracted from each layer's bias.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import torch
import torch.nn as nn

from ..errors import EdgekdError
from .fake_quant import fake_quant_weight
from .qmodel import QuantModel, build


def batches(loader: Iterable, n: int | None) -> Iterator[torch.Tensor]:
    """The inputs of the first ``n`` batches (all when ``n`` is None). Batches may be tensors or (x, y, ...)."""
    count = 0
    for batch in loader:
        if n is not None and count >= n:
            break
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        yield x.float()
        count += 1
    if count == 0:
        raise EdgekdError("the calibration data gave no batches")


def example_input(loader: Iterable) -> torch.Tensor:
    return next(iter(batches(loader, 1)))[:1]


@torch.no_grad()
def calibrate(qm: QuantModel, loader: Iterable, num_batches: int | None, observer: str = "minmax") -> None:
    qm.eval()
    qm.start_calibration(observer)
    for x in batches(loader, num_batches):
        qm(x)
    qm.finish_calibration()


@torch.no_grad()
def correct_bias(qm: QuantModel, loader: Iterable, num_batches: int | None) -> None:
    """Set each conv/linear's bias correction to minus the mean per-channel output error of its rounded weights,
    measured on the float inputs that layer sees."""
    qm.eval()
    mode = qm.mode
    qm.mode = "float"
    sums: dict[str, torch.Tensor] = {}
    count: dict[str, int] = {}
    for x in batches(loader, num_batches):
        qm.records = {}
        qm(x)
        for op in qm.ops:
            if op.kind not in ("conv", "linear", "deconv"):
                continue
            ql = qm.layers[op.key]
            w, b = ql.effective(op.hardsigmoid)
            inp = qm.records[op.inputs[0]]
            err = qm._apply(op, ql, inp, fake_quant_weight(w), b) - qm._apply(op, ql, inp, w, b)
            dims = [0, 2, 3] if err.dim() == 4 else [0]
            sums[op.name] = sums.get(op.name, 0) + err.sum(dim=dims)
            count[op.name] = count.get(op.name, 0) + err.numel() // err.shape[1]
    qm.records = None
    for op in qm.ops:
        if op.name in sums:
            qm.layers[op.key].bias_correction -= sums[op.name] / count[op.name]
    qm.mode = mode


def quantize_ptq(model: nn.Module, calib_loader: Iterable, *, calib_batches: int | None = 16,
                 observer: str = "minmax", bias_correction: bool = False,
                 example: torch.Tensor | None = None) -> QuantModel:
    """Capture ``model``, fold BN, fuse activations, calibrate: a ``QuantModel`` ready for export or QAT.
    The model itself is not modified."""
    ex = example if example is not None else example_input(calib_loader)
    qm = build(model, ex)
    if bias_correction:
        correct_bias(qm, calib_loader, calib_batches)
    calibrate(qm, calib_loader, calib_batches, observer)
    return qm
