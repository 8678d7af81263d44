"""BN folding, observers, int8 parameters and fake quantization, checked against hand computations."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from edgekd.errors import EdgekdError
from edgekd.quantize.fake_quant import (fake_quant_activation, fake_quant_weight, quantize_bias, quantize_weight,
                                        round_half_away)
from edgekd.quantize.fold import fold_bn, folded_copy
from edgekd.quantize.observers import make_observer, qparams_from_range
from quantize_helpers import randomize_bn


@pytest.mark.parametrize("layer,x", [
    (nn.Conv2d(3, 6, 3, padding=1), torch.randn(4, 3, 8, 8)),
    (nn.Conv2d(6, 6, 3, groups=6, bias=False), torch.randn(4, 6, 8, 8)),
    (nn.Linear(5, 7), torch.randn(4, 5)),
])
def test_folded_layer_equals_layer_then_bn(layer, x):
    torch.manual_seed(0)
    bn = randomize_bn(nn.BatchNorm2d(layer.weight.shape[0]) if x.dim() == 4 else nn.BatchNorm1d(7))
    with torch.no_grad():
        ref = bn(layer(x))
        assert torch.allclose(folded_copy(layer, bn)(x), ref, atol=1e-5)
        # by hand for channel 0: k = gamma / sqrt(var + eps)
        k = bn.weight[0] / torch.sqrt(bn.running_var[0] + bn.eps)
        w, b = fold_bn(layer.weight, layer.bias, bn)
        assert torch.allclose(w[0], layer.weight[0] * k)
        b0 = (layer.bias[0] if layer.bias is not None else 0.0) - bn.running_mean[0]
        assert torch.allclose(b[0], b0 * k + bn.bias[0])


def test_qparams_include_zero_and_map_the_range_onto_int8():
    scale, zp = qparams_from_range(-1.0, 3.0)
    assert scale == pytest.approx(4.0 / 255.0)
    assert zp == round(-128 + 1.0 / scale)  # real -1 -> -128
    assert scale * (127 - zp) == pytest.approx(3.0, abs=scale)
    # a positive-only range is widened to include 0, which is then exactly representable at -128
    scale, zp = qparams_from_range(0.5, 2.0)
    assert zp == -128 and scale == pytest.approx(2.0 / 255.0)
    scale, zp = qparams_from_range(-4.0, -1.0)
    assert zp == 127
    assert qparams_from_range(0.0, 0.0)[0] > 0
    with pytest.raises(EdgekdError, match="not finite"):
        qparams_from_range(float("-inf"), 1.0)


def test_minmax_observer_tracks_extremes_over_batches():
    o = make_observer("minmax")
    o.update(torch.tensor([0.5, 2.0]))
    o.update(torch.tensor([-1.0, 1.0]))
    assert o.range() == (-1.0, 2.0)


def test_percentile_and_mse_observers_clip_long_tails():
    torch.manual_seed(0)
    # Laplace-distributed values plus one outlier: a long tail that costs minmax much of its resolution
    data = torch.distributions.Laplace(0.0, 1.0).sample((50_000,))
    data[123] = 40.0
    ranges = {}
    for name in ("minmax", "percentile", "mse"):
        o = make_observer(name)
        for chunk in data.split(10_000):
            o.update(chunk)
        ranges[name] = o.range()
    assert ranges["minmax"][1] == 40.0
    assert ranges["percentile"][1] < 15.0
    assert ranges["mse"][1] < ranges["minmax"][1]

    def err(r):
        scale, zp = qparams_from_range(*r)
        return float(((fake_quant_activation(data, scale, zp) - data) ** 2).mean())

    assert err(ranges["mse"]) < err(ranges["minmax"])
    assert err(ranges["mse"]) <= err(ranges["percentile"]) * 1.05


def test_unknown_observer_is_named():
    with pytest.raises(EdgekdError, match="unknown observer 'kl'"):
        make_observer("kl")


def test_rounding_is_half_away_from_zero_like_tflite():
    x = torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49])
    assert round_half_away(x).tolist() == [-3, -2, -1, 1, 2, 3, 0]
    # torch.round would give -2, -2, 0, 0, 2, 2 on the ties
    y = fake_quant_activation(torch.tensor([0.25, 100.0, -100.0]), 0.5, 3)
    assert y.tolist() == [0.5, (127 - 3) * 0.5, (-128 - 3) * 0.5]


def test_weights_are_symmetric_per_channel_in_minus127_127():
    w = torch.tensor([[0.5, -1.0, 0.25], [0.0, 0.0, 0.0], [3.0, 2.0, -1.5]])
    q, s = quantize_weight(w)
    assert s.tolist() == pytest.approx([1.0 / 127, 1.0, 3.0 / 127])
    assert q[0].tolist() == [64, -127, 32] and q[1].tolist() == [0, 0, 0] and q[2].tolist() == [127, 85, -64]
    assert torch.allclose(fake_quant_weight(w), q * s[:, None])
    bq, bs = quantize_bias(torch.tensor([0.1, 0.0, -0.3]), 0.02, s)
    assert bs.tolist() == pytest.approx([0.02 / 127, 0.02, 0.06 / 127])
    assert bq.tolist() == [round(0.1 / (0.02 / 127)), 0, -round(0.3 / (0.06 / 127))]


def test_straight_through_gradient_is_zero_where_clamped():
    x = torch.tensor([-100.0, 0.3, 100.0], requires_grad=True)
    fake_quant_activation(x, 0.1, 0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    w = torch.randn(4, 3, requires_grad=True)
    fake_quant_weight(w).pow(2).sum().backward()
    assert np.isfinite(w.grad.numpy()).all() and w.grad.abs().sum() > 0


def test_bias_correction_removes_the_mean_output_shift_of_weight_rounding():
    from edgekd.quantize.fake_quant import fake_quant_weight
    from edgekd.quantize.ptq import quantize_ptq

    torch.manual_seed(0)
    # a conv whose weights are coarse relative to their channel maxima: rounding leaves a visible mean shift
    conv = nn.Conv2d(8, 4, 3)
    with torch.no_grad():
        conv.weight.copy_(torch.randn_like(conv.weight) * 0.02)
        conv.weight[:, 0, 0, 0] = 1.0
    model = nn.Sequential(conv).eval()
    calib = [torch.rand(16, 8, 6, 6) + 0.5 for _ in range(4)]  # positive inputs: rounding errors do not cancel
    x = torch.cat(calib)

    def mean_shift(qm):
        w, b = qm.layers[qm.ops[1].key].effective(False)
        with torch.no_grad():
            err = nn.functional.conv2d(x, fake_quant_weight(w), b) - model(x)
        return err.mean(dim=(0, 2, 3)).abs().max().item()

    plain = quantize_ptq(model, calib, calib_batches=4)
    corrected = quantize_ptq(model, calib, calib_batches=4, bias_correction=True)
    assert mean_shift(corrected) < 0.1 * mean_shift(plain)
    assert corrected.layers[corrected.ops[1].key].bias_correction.abs().sum() > 0
