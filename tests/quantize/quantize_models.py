"""Small models that together use every op and fusion the exporter knows."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class SqueezeExcite(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, 4, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(4, c, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        return x * self.gate(self.fc2(self.relu(self.fc1(self.pool(x)))))


class MobileV3ish(nn.Module):
    """conv+BN+ReLU, depthwise stride 2 with torch padding (needs a PAD), hard-swish, squeeze-excite (MEAN,
    hard-sigmoid folded into a conv, broadcast MUL), max pool, sigmoid, residual add, flatten of a 3x3 map
    into a Linear (weight columns permuted for NHWC), dropout."""

    def __init__(self) -> None:
        super().__init__()
        self.c1, self.b1, self.r1 = nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()
        self.dw, self.b2, self.r2 = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.BatchNorm2d(8), nn.ReLU6()
        self.pw, self.hs = nn.Conv2d(8, 16, 1), nn.Hardswish()
        self.se = SqueezeExcite(16)
        self.mp = nn.MaxPool2d(2)
        self.c3, self.sig = nn.Conv2d(16, 16, 3, padding=1), nn.Sigmoid()
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(16 * 3 * 3, 10)

    def forward(self, x):
        x = self.r1(self.b1(self.c1(x)))
        x = self.r2(self.b2(self.dw(x)))
        x = self.se(self.hs(self.pw(x)))
        y = self.mp(x)
        y = y + self.sig(self.c3(y))
        return self.fc(self.drop(torch.flatten(y, 1)))


class Branchy(nn.Module):
    """Residual ADD fused with ReLU6, concat on channels, ReLU after concat (standalone RELU), average pools with
    and without padding, a standalone BN (1x1 depthwise), a standalone hard-sigmoid on [N, C] (diagonal FC),
    a functional max pool, x.view(x.size(0), -1) and a softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.a = nn.Conv2d(8, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 4, 1)
        self.bn = nn.BatchNorm2d(12)
        self.ap = nn.AvgPool2d(3, stride=2, padding=1)
        self.ap2 = nn.AvgPool2d(2)
        self.fc = nn.Linear(12, 6)
        self.hsig = nn.Hardsigmoid()
        self.out = nn.Linear(6, 5)

    def forward(self, x):
        x = self.bn0(self.stem(x))
        x = F.relu6(x + self.a(x))
        y = torch.cat([x, self.b(x)], dim=1)
        y = self.bn(F.relu(y))
        y = self.ap2(self.ap(y))
        y = F.max_pool2d(y, 2)
        y = y.mean((2, 3), keepdim=True)
        y = self.hsig(y.view(y.size(0), -1))
        return torch.softmax(self.out(self.fc(y)), dim=-1)


class MLPBN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(),
                                 nn.Linear(32, 10))

    def forward(self, x):
        return self.net(x)


class Pools(nn.Module):
    """Max pool with SAME-equivalent padding, and with padding only an explicit PAD can express (after a ReLU,
    so zero padding never wins the max); a SAME-equivalent conv; a standalone hard-sigmoid on a 4-D map."""

    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(2, 6, 3, padding=1)
        self.p1 = nn.MaxPool2d(3, stride=1, padding=1)
        self.p2 = nn.MaxPool2d(3, stride=2, padding=1)
        self.gate = nn.Hardsigmoid()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = self.gate(self.p2(self.p1(F.relu(self.c(x)))))
        return self.fc(torch.flatten(self.gap(x), 1))


class FlatMLP(nn.Module):
    """A model whose input is [N, features] (no image layout)."""

    def __init__(self) -> None:
        super().__init__()
        self.l1, self.l2 = nn.Linear(20, 16), nn.Linear(16, 4)

    def forward(self, x):
        return self.l2(F.relu6(self.l1(x)))


class UNetish(nn.Module):
    """An encoder-decoder with every upsampling the exporter knows: a k2 s2 ConvTranspose2d (VALID) with BN
    folded and a standalone ReLU, a k4 s2 p1 ConvTranspose2d (SAME), a skip concat, nearest x2 (module)
    and bilinear x2 (half-pixel centers, functional) upsamplings of a max-pooled map added together, and a
    bilinear align_corners resize to a size that is not a multiple of the input."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.up, self.bn, self.r = nn.ConvTranspose2d(16, 8, 2, stride=2), nn.BatchNorm2d(8), nn.ReLU()
        self.up2 = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
        self.mp = nn.MaxPool2d(2)
        self.nearest = nn.Upsample(scale_factor=2, mode="nearest")
        self.mix = nn.Conv2d(24, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        a = F.relu(self.c1(x))
        d = F.relu(self.down(a))
        y = torch.cat([a, self.r(self.bn(self.up(d))), self.up2(d)], dim=1)
        p = self.mp(y)
        z = self.nearest(p) + F.interpolate(p, scale_factor=2, mode="bilinear", align_corners=False)
        z = F.relu(self.mix(z))
        return self.head(F.interpolate(z, size=(20, 20), mode="bilinear", align_corners=True))


class Resizes(nn.Module):
    """Nearest x2, bilinear x2 (half-pixel centers) and bilinear align_corners to 21x19 between convs."""

    def __init__(self) -> None:
        super().__init__()
        self.c, self.up, self.h = nn.Conv2d(3, 8, 3, padding=1), nn.Upsample(scale_factor=2), nn.Conv2d(8, 4, 1)

    def forward(self, x):
        y = F.relu(self.c(x))
        z = self.up(y) + F.interpolate(y, scale_factor=2, mode="bilinear")
        return self.h(F.interpolate(z, size=(21, 19), mode="bilinear", align_corners=True))
