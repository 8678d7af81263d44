"""Fold BatchNorm into the preceding Conv2d or Linear.

Inference BN is the per-channel affine ``y = gamma * (x - mean) / sqrt(var + eps) + beta``; applied to a conv or
linear output it equals the same layer with ``w' = w * k`` and ``b' = (b - mean) * k + beta`` where
``k = gamma / sqrt(var + eps)``. The int8 file has no BN, so quantization happens on ``w'`` and ``b'``.
"""
from __future__ import annotations

import copy

import torch
import torch.nn as nn


def bn_scale_shift(bn: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """BN in inference form as ``x * scale + shift`` per channel, from its running statistics."""
    std = torch.sqrt(bn.running_var + bn.eps)
    gamma = bn.weight if bn.affine else torch.ones_like(std)
    beta = bn.bias if bn.affine else torch.zeros_like(std)
    scale = gamma / std
    return scale, beta - bn.running_mean * scale


def fold_bn(weight: torch.Tensor, bias: torch.Tensor | None,
            bn: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of a conv/linear (output channels on dim 0) with ``bn`` folded in."""
    scale, shift = bn_scale_shift(bn)
    w = weight * scale.reshape((-1,) + (1,) * (weight.dim() - 1))
    b = shift if bias is None else bias * scale + shift
    return w, b


def folded_copy(layer: nn.Conv2d | nn.Linear, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
    """A copy of ``layer`` with ``bn`` folded in (the original is left untouched)."""
    out = copy.deepcopy(layer)
    with torch.no_grad():
        w, b = fold_bn(layer.weight, layer.bias, bn)
        out.weight.copy_(w)
        if out.bias is None:
            out.bias = nn.Parameter(b.detach().clone())
        else:
            out.bias.copy_(b)
    return out
