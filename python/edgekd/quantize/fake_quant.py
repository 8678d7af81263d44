"""Fake quantization: float tensors rounded to the int8 grid the runtime uses, with straight-through gradients.

Forward arithmetic follows the runtime's as closely as float allows:
* rounding is half away from zero, as TFLite's converter (std::round) and the requantization's final
  rounding divide by a power of two do (torch.round would round half to even);
* activations are clamped to [-128, 127] around their zero point, weights to [-127, 127] per output channel;
* biases are rounded to int32 at scale ``s_in * s_w[c]``.
What float cannot reproduce is the fixed-point requantization multiplier (a 31-bit approximation of
``s_in * s_w / s_out``), which moves an output by at most one step in rare ties.

Backward: the straight-through estimator, with the gradient zeroed where the value was clamped.
"""
from __future__ import annotations

import torch

from .observers import QMAX, QMIN

WMAX = 127  # weights are symmetric in [-127, 127]


def round_half_away(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)


class _FakeQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale, zero_point, qmin, qmax):  # type: ignore[override]
        q = round_half_away(x / scale) + zero_point
        inside = (q >= qmin) & (q <= qmax)
        ctx.save_for_backward(inside)
        return (torch.clamp(q, qmin, qmax) - zero_point) * scale

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        (inside,) = ctx.saved_tensors
        return grad * inside, None, None, None, None


def fake_quant_activation(x: torch.Tensor, scale: float, zero_point: int) -> torch.Tensor:
    """Per-tensor asymmetric int8 round trip."""
    return _FakeQuant.apply(x, torch.tensor(scale, dtype=x.dtype), torch.tensor(float(zero_point), dtype=x.dtype),
                            QMIN, QMAX)


class _FakeQuantLearnedScale(torch.autograd.Function):
    """LSQ (Esser et al., "Learned Step Size Quantization", 2020): the same forward as ``_FakeQuant``; the scale
    gets the gradient of the rounding residual inside the range and of the clamp bound outside it, so training
    can trade clipping against resolution (e.g. clip a few large channels that the loss does not need)."""

    @staticmethod
    def forward(ctx, x, scale, zero_point, qmin, qmax, grad_scale):  # type: ignore[override]
        v = x / scale
        r = round_half_away(v)
        q = r + zero_point
        qc = torch.clamp(q, qmin, qmax)
        inside = (q >= qmin) & (q <= qmax)
        ctx.save_for_backward(inside, torch.where(inside, r - v, qc - zero_point))
        ctx.grad_scale = grad_scale
        return (qc - zero_point) * scale

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        inside, dscale = ctx.saved_tensors
        gs = (grad * dscale).sum() * ctx.grad_scale
        return grad * inside, gs.reshape(()), None, None, None, None


def fake_quant_activation_learned(x: torch.Tensor, scale: torch.Tensor, zero_point: int) -> torch.Tensor:
    """Per-tensor int8 round trip with a trainable scale (a 0-d tensor); the zero point stays fixed."""
    grad_scale = 1.0 / (x.numel() * QMAX) ** 0.5  # LSQ's gradient scaling, so the step size learns at a sane rate
    return _FakeQuantLearnedScale.apply(x, scale, float(zero_point), QMIN, QMAX, grad_scale)


def weight_scales(w: torch.Tensor) -> torch.Tensor:
    """Per-output-channel (dim 0) symmetric scale ``max|w| / 127``; an all-zero channel gets scale 1."""
    amax = w.detach().abs().reshape(w.shape[0], -1).amax(dim=1)
    return torch.where(amax > 0, amax / WMAX, torch.ones_like(amax))


def fake_quant_weight(w: torch.Tensor) -> torch.Tensor:
    s = weight_scales(w).reshape((-1,) + (1,) * (w.dim() - 1))
    return _FakeQuant.apply(w, s, torch.zeros_like(s), -WMAX, WMAX)


def quantize_weight(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """int8 weights (as int32 values in [-127, 127]) and their per-channel scales."""
    s = weight_scales(w)
    q = torch.clamp(round_half_away(w.detach() / s.reshape((-1,) + (1,) * (w.dim() - 1))), -WMAX, WMAX)
    return q.to(torch.int32), s


def quantize_bias(b: torch.Tensor, input_scale: float, w_scales: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """int32 bias values and their scales ``s_in * s_w[c]``."""
    s = (input_scale * w_scales.double()).to(torch.float64)
    q = torch.clamp(round_half_away(b.detach().double() / s), -(2**31), 2**31 - 1)
    return q.to(torch.int64), s


class _FakeQuantBias(torch.autograd.Function):
    @staticmethod
    def forward(ctx, b, scale):  # type: ignore[override]
        return round_half_away(b / scale) * scale

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        return grad, None


def fake_quant_bias(b: torch.Tensor, input_scale: float, w_scales: torch.Tensor) -> torch.Tensor:
    return _FakeQuantBias.apply(b, (input_scale * w_scales).to(b.dtype))
