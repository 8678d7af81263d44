"""Float32 numpy versions of the ops the test networks use, NHWC, with TFLite's SAME/VALID padding.

They serve two purposes: the test-model builders simulate a network in float to choose activation
scales that do not saturate, and tests check int8 results (LiteRT's or edgekd's) against
``quantize(float_op(dequantize(q)))`` within a quantization step. They are NOT the int8 arithmetic
definition (that is the C++ reference kernels, DESIGN.md "Arithmetic").
"""
from __future__ import annotations

import numpy as np


def same_or_valid(size: int, k: int, stride: int, dilation: int, padding: str) -> tuple[int, int]:
    """(output size, padding before) along one spatial axis, as TFLite computes them."""
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return (size - eff) // stride + 1, 0
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + eff - size, 0)
    return out, total // 2


def _pad_spatial(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int, padding: str,
                 value: float) -> tuple[np.ndarray, int, int]:
    n, h, w, c = x.shape
    oh, ph = same_or_valid(h, kh, sh, dh, padding)
    ow, pw = same_or_valid(w, kw, sw, dw, padding)
    need_h = (oh - 1) * sh + (kh - 1) * dh + 1
    need_w = (ow - 1) * sw + (kw - 1) * dw + 1
    xp = np.full((n, max(need_h, h + ph), max(need_w, w + pw), c), value, dtype=x.dtype)
    xp[:, ph:ph + h, pw:pw + w, :] = x
    return xp, oh, ow


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, int] = (1, 1),
           padding: str = "SAME", dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """x [N,H,W,I], w [O,KH,KW,I] -> [N,OH,OW,O]."""
    o, kh, kw, i = w.shape
    sh, sw = stride
    dh, dw = dilation
    xp, oh, ow = _pad_spatial(x.astype(np.float32), kh, kw, sh, sw, dh, dw, padding, 0.0)
    out = np.zeros((x.shape[0], oh, ow, o), np.float32)
    wt = w.astype(np.float32)
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky * dh: ky * dh + (oh - 1) * sh + 1: sh, kx * dw: kx * dw + (ow - 1) * sw + 1: sw, :]
            out += patch @ wt[:, ky, kx, :].T
    if b is not None:
        out += b.astype(np.float32)
    return out


def depthwise_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, int] = (1, 1),
                     padding: str = "SAME", depth_multiplier: int = 1,
                     dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """x [N,H,W,C], w [1,KH,KW,C*M] -> [N,OH,OW,C*M] (output channel c*M+j reads input channel c)."""
    _, kh, kw, cm = w.shape
    sh, sw = stride
    dh, dw = dilation
    xin = np.repeat(x.astype(np.float32), depth_multiplier, axis=3) if depth_multiplier > 1 else x.astype(np.float32)
    xp, oh, ow = _pad_spatial(xin, kh, kw, sh, sw, dh, dw, padding, 0.0)
    out = np.zeros((x.shape[0], oh, ow, cm), np.float32)
    wt = w.astype(np.float32)
    for ky in range(kh):
        for kx in range(kw):
            out += xp[:, ky * dh: ky * dh + (oh - 1) * sh + 1: sh, kx * dw: kx * dw + (ow - 1) * sw + 1: sw, :] * wt[0, ky, kx]
    if b is not None:
        out += b.astype(np.float32)
    return out


def fully_connected(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """x [..., I] (flattened to [-1, I]), w [O, I] -> [rows, O]."""
    out = x.reshape(-1, w.shape[1]).astype(np.float32) @ w.astype(np.float32).T
    if b is not None:
        out += b.astype(np.float32)
    return out


def pool2d(x: np.ndarray, kind: str, filter_hw: tuple[int, int], stride: tuple[int, int],
           padding: str = "VALID") -> np.ndarray:
    """Max or average pooling; TFLite's average ignores padded cells (divides by the valid count)."""
    fh, fw = filter_hw
    sh, sw = stride
    x = x.astype(np.float32)
    if kind == "max":
        xp, oh, ow = _pad_spatial(x, fh, fw, sh, sw, 1, 1, padding, -np.inf)
        out = np.full((x.shape[0], oh, ow, x.shape[3]), -np.inf, np.float32)
        for ky in range(fh):
            for kx in range(fw):
                out = np.maximum(out, xp[:, ky: ky + (oh - 1) * sh + 1: sh, kx: kx + (ow - 1) * sw + 1: sw, :])
        return out
    xp, oh, ow = _pad_spatial(x, fh, fw, sh, sw, 1, 1, padding, 0.0)
    ones, _, _ = _pad_spatial(np.ones((1,) + x.shape[1:3] + (1,), np.float32), fh, fw, sh, sw, 1, 1, padding, 0.0)
    acc = np.zeros((x.shape[0], oh, ow, x.shape[3]), np.float32)
    cnt = np.zeros((1, oh, ow, 1), np.float32)
    for ky in range(fh):
        for kx in range(fw):
            acc += xp[:, ky: ky + (oh - 1) * sh + 1: sh, kx: kx + (ow - 1) * sw + 1: sw, :]
            cnt += ones[:, ky: ky + (oh - 1) * sh + 1: sh, kx: kx + (ow - 1) * sw + 1: sw, :]
    return acc / cnt


def activation(x: np.ndarray, fused: str) -> np.ndarray:
    if fused == "NONE":
        return x
    if fused == "RELU":
        return np.maximum(x, 0)
    if fused == "RELU6":
        return np.clip(x, 0, 6)
    if fused == "RELU_N1_TO_1":
        return np.clip(x, -1, 1)
    if fused == "TANH":
        return np.tanh(x)
    raise ValueError(f"fused activation {fused!r}")


def hard_swish(x: np.ndarray) -> np.ndarray:
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray, beta: float = 1.0) -> np.ndarray:
    z = beta * (x - x.max(axis=-1, keepdims=True))
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
