"""Fixture script: the PyTorch exports of tests/data/zoo_ops/, made by litert-torch (the PyTorch-to-LiteRT
converter, formerly ai-edge-torch). Not a dependency of edgekd; run it in its own virtual environment:

    python3 -m venv /path/to/lt-venv
    /path/to/lt-venv/bin/pip install litert-torch==0.10.0 torch==2.13.0
    /path/to/lt-venv/bin/python tests/data/zoo_ops/make_torch_models.py [STEM ...]

(made with litert-torch 0.10.0, torch 2.13.0+cpu, torchao 0.18.0). Two models, random weights, seed 0,
each written twice:

* torch_mobilenet_v2: a MobileNetV2-style network (inverted residuals, ReLU6, residual adds, global mean,
  linear head) on an NCHW 1x3x64x64 input, so the converter wraps the NHWC kernels in layout TRANSPOSEs.
* torch_transformer: a two-layer post-norm transformer encoder (16 tokens of width 32, 2 heads, GELU
  feed-forward) written with plain linear layers and matmuls, as people write them.

``<stem>.tflite`` is the float32 export; ``<stem>_int8.tflite`` is the PT2E static int8 export
(litert-torch's PT2EQuantizer, symmetric per-channel weights, int8 activations calibrated on seeded
random inputs in [-1, 1]). litert-torch decides the edges: the MobileNet's input and output are int8, the
transformer takes float32 and keeps float islands (layer norm, GELU) between QUANTIZE and DEQUANTIZE.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                   nn.ReLU6(), nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetV2ish(nn.Module):
    """MobileNetV2 at width 0.35 (channels rounded to 8), 64x64 input, 10 classes."""

    def __init__(self) -> None:
        super().__init__()
        blocks = [(1, 8, 1, 1), (6, 8, 2, 2), (6, 16, 3, 2), (6, 24, 2, 2), (6, 32, 1, 1)]
        layers: list[nn.Module] = [nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6()]
        cin = 16
        for expand, cout, n, stride in blocks:
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers += [nn.Conv2d(cin, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


class EncoderLayer(nn.Module):
    def __init__(self, dim: int, heads: int, ff: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ff1, self.ff2 = nn.Linear(dim, ff), nn.Linear(ff, dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) * (d // self.heads) ** -0.5, dim=-1)
        a = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = self.norm1(x + self.proj(a))
        return self.norm2(x + self.ff2(F.gelu(self.ff1(x))))


class Transformer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(EncoderLayer(32, 2, 64), EncoderLayer(32, 2, 64))
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        return self.head(self.layers(x).mean(1))


def randomize(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """He-normal conv weights (torch's default initialization shrinks activations from layer to layer, and
    a deep random net's int8 output then no longer depends on its input) and batch-norm statistics as after
    training (fresh ones are the identity)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_((torch.rand(n, generator=gen) - 0.5) * 0.2)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_((torch.rand(n, generator=gen) - 0.5) * 0.2)
    return model.eval()


def int8_export(model: nn.Module, sample: torch.Tensor, gen: torch.Generator):
    import litert_torch
    from litert_torch.quantize import pt2e_quantizer, quant_config
    from torchao.quantization.pt2e import quantize_pt2e

    quantizer = pt2e_quantizer.PT2EQuantizer().set_global(
        pt2e_quantizer.get_symmetric_quantization_config(is_per_channel=True))
    m = torch.export.export(model, (sample,)).module()
    m = quantize_pt2e.prepare_pt2e(m, quantizer)
    with torch.no_grad():
        for _ in range(16):
            m(torch.rand(sample.shape, generator=gen) * 2 - 1)
    m = quantize_pt2e.convert_pt2e(m, fold_quantize=False)
    return litert_torch.convert(m, (sample,), quant_config=quant_config.QuantConfig(pt2e_quantizer=quantizer))


def main() -> int:
    import litert_torch

    models = {"torch_mobilenet_v2": (MobileNetV2ish, (1, 3, 64, 64)), "torch_transformer": (Transformer, (1, 16, 32))}
    only = set(sys.argv[1:])
    for stem, (cls, shape) in models.items():
        if only and stem not in only:
            continue
        gen = torch.Generator().manual_seed(0)
        torch.manual_seed(0)
        model = randomize(cls(), gen)
        sample = torch.rand(shape, generator=gen) * 2 - 1
        for suffix, edge in [("", litert_torch.convert(model, (sample,))), ("_int8", int8_export(model, sample, gen))]:
            path = HERE / f"{stem}{suffix}.tflite"
            edge.export(str(path))
            print(f"{path}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
