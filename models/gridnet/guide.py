"""Learned guide maps z(pixel) in grid units (0..nz-1).

PointwiseGuide (the shipped default): z = clamp(zY(Y) + zM(m), 0, nz-1), with zY and zM two
learnable monotone piecewise-linear curves, so the engine's WASM slicer runs it unchanged as
two 256-entry lookup tables (guide.ts). Initialised to the engine's split guide
(buildGuideLuts splitByMask): zY = (nz/2 - 1) * clamp((Y-16)/219, 0, 1), zM = (nz/2) * m.

ConvGuide (`--guide conv`, the seed's guidance learner, Table 4 G1/G2): G1 3x3 16ch + ReLU,
G2 3x3 1ch + sigmoid on [RGB, mask] at full resolution, z = (nz-1) * sigmoid(G2(...) + logit of
the split guide) so it starts at the split guide too. Not runnable by the LUT slicer: measure only.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from bilateral import NZ


def _inv_softplus(y):
    return math.log(math.expm1(y))


class MonotonePWL(nn.Module):
    """f(x) = v0 + sum_k softplus(p_k) * clamp((x - x_k) / (x_{k+1} - x_k), 0, 1): monotone
    non-decreasing, knots x_0 < ... < x_K, flat outside [x_0, x_K]."""

    def __init__(self, x0, x1, knots, total, v0=0.0, learn_v0=True):
        super().__init__()
        xs = torch.linspace(x0, x1, knots)
        self.register_buffer("xs", xs)
        inc = total / (knots - 1)
        self.p = nn.Parameter(torch.full((knots - 1,), _inv_softplus(inc)))
        if learn_v0:
            self.v0 = nn.Parameter(torch.tensor(float(v0)))
        else:
            self.register_buffer("v0", torch.tensor(float(v0)))

    def increments(self):
        return F.softplus(self.p)

    def forward(self, x):
        xs = self.xs
        lo, hi = xs[:-1], xs[1:]
        shape = x.shape
        t = ((x.reshape(-1, 1) - lo) / (hi - lo)).clamp(0, 1)
        return (self.v0 + t @ self.increments()).reshape(shape)


class PointwiseGuide(nn.Module):
    kind = "pointwise"

    def __init__(self, nz=NZ, knots_y=32, knots_m=16):
        super().__init__()
        self.nz = nz
        half = nz // 2
        self.zy = MonotonePWL(16.0, 235.0, knots_y, total=half - 1, v0=0.0, learn_v0=True)
        self.zm = MonotonePWL(0.0, 1.0, knots_m, total=half, v0=0.0, learn_v0=False)

    def forward(self, yuv, m, rgb01=None):
        """yuv [N,3,H,W] (Y in 0..255), m [N,1,H,W] in 0..1 -> z [N,1,H,W]."""
        return (self.zy(yuv[:, 0:1]) + self.zm(m)).clamp(0, self.nz - 1)

    @torch.no_grad()
    def luts(self):
        """The engine's two tables, float grid units: zY[Y] for Y = 0..255, zM[m] for m = 0..255
        (mask byte; the curve's input is m/255)."""
        y = torch.arange(256, dtype=torch.float32)
        return self.zy(y).tolist(), self.zm(y / 255.0).tolist()


def split_guide(yuv, m, nz=NZ):
    """The engine's fixed split guide (guide.ts buildGuideLuts splitByMask), continuous."""
    half = nz // 2
    t = ((yuv[:, 0:1] - 16.0) / 219.0).clamp(0, 1)
    return ((half - 1) * t + half * m).clamp(0, nz - 1)


class ConvGuide(nn.Module):
    kind = "conv"

    def __init__(self, nz=NZ, width=16):
        super().__init__()
        self.nz = nz
        self.g1 = nn.Conv2d(4, width, 3, padding=1)
        self.g2 = nn.Conv2d(width, 1, 3, padding=1)
        nn.init.zeros_(self.g2.weight)
        nn.init.zeros_(self.g2.bias)

    def forward(self, yuv, m, rgb01):
        base = split_guide(yuv, m, self.nz) / (self.nz - 1)
        base = base.clamp(1e-3, 1 - 1e-3)
        logit = torch.log(base) - torch.log1p(-base)
        h = F.relu(self.g1(torch.cat([rgb01, m], 1)))
        return (self.nz - 1) * torch.sigmoid(self.g2(h) + logit)


class ConvGuideOnly(nn.Module):
    """G1/G2 alone for the speed measurement (export): [1,4,H,W] -> [1,1,H,W]."""

    def __init__(self, g):
        super().__init__()
        self.g = g

    def forward(self, x):
        return torch.sigmoid(self.g.g2(F.relu(self.g.g1(x)))) * (self.g.nz - 1)


def make_guide(kind, nz=NZ):
    if kind == "pointwise":
        return PointwiseGuide(nz)
    if kind == "conv":
        return ConvGuide(nz)
    raise ValueError(kind)
