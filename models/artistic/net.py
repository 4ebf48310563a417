"""Feed-forward stylizing network (Johnson et al. 2016 / Huang et al. 2017 layout).

    in conv (k_in x k_in, stride 1) 3 -> W
    conv 3x3 stride 2               W -> 2W
    conv 3x3 stride 2              2W -> 4W
    R residual blocks at 4W (two 3x3 convs each)
    nearest x2 + conv 3x3          4W -> 2W          (resize-conv: no checkerboard)
    nearest x2 + conv 3x3          2W -> W
    out conv (k_out x k_out)        W -> 3, then clamp(0.5 + 0.5 x, 0, 1)

Every conv but the last is followed by instance norm (affine) and ReLU (norm='instance'),
or by nothing but ReLU (norm='none'). Padding is reflect (no dark borders). Input RGB
[N,3,H,W] in [0,1], H and W multiples of 4; output RGB [N,3,H,W] in [0,1].

The output is `clamp(0.5 + 0.5 * x, 0, 1)` of the last conv: linear inside [0,1] (no tanh
or sigmoid saturation), exported as Mul/Add/Clip.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvLayer(nn.Module):
    def __init__(self, cin, cout, k, stride=1, norm="instance", relu=True):
        super().__init__()
        self.pad = k // 2
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=0, bias=(norm != "instance"))
        self.norm = nn.InstanceNorm2d(cout, affine=True) if norm == "instance" else None
        self.relu = relu

    def forward(self, x):
        if self.pad:
            x = F.pad(x, (self.pad,) * 4, mode="reflect")
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        if self.relu:
            x = F.relu(x)
        return x


class ResBlock(nn.Module):
    def __init__(self, c, norm):
        super().__init__()
        self.a = ConvLayer(c, c, 3, norm=norm, relu=True)
        self.b = ConvLayer(c, c, 3, norm=norm, relu=False)

    def forward(self, x):
        return x + self.b(self.a(x))


class UpLayer(nn.Module):
    def __init__(self, cin, cout, norm):
        super().__init__()
        self.conv = ConvLayer(cin, cout, 3, norm=norm)

    def forward(self, x):
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv(x)


class StyleNet(nn.Module):
    def __init__(self, width=16, blocks=3, k_in=9, k_out=3, norm="instance"):
        super().__init__()
        w = width
        self.config = dict(width=width, blocks=blocks, k_in=k_in, k_out=k_out, norm=norm)
        self.inc = ConvLayer(3, w, k_in, norm=norm)
        self.down1 = ConvLayer(w, 2 * w, 3, stride=2, norm=norm)
        self.down2 = ConvLayer(2 * w, 4 * w, 3, stride=2, norm=norm)
        self.res = nn.Sequential(*[ResBlock(4 * w, norm) for _ in range(blocks)])
        self.up1 = UpLayer(4 * w, 2 * w, norm)
        self.up2 = UpLayer(2 * w, w, norm)
        self.outc = ConvLayer(w, 3, k_out, norm="none", relu=False)

    def forward(self, image):
        x = self.inc(image)
        x = self.down1(x)
        x = self.down2(x)
        x = self.res(x)
        x = self.up1(x)
        x = self.up2(x)
        x = self.outc(x)
        # [0,1] output: 0.5 + x/2 clamped (linear inside, like Johnson's scaled tanh but
        # without its saturation); exported as Add/Mul/Clip.
        return torch.clamp(0.5 + 0.5 * x, 0.0, 1.0)


def macs(width, blocks, k_in, k_out, h, w):
    """Multiply-accumulates of the convs for one HxW frame (norms/ReLU not counted)."""
    W = width
    px = h * w
    t = k_in * k_in * 3 * W * px
    t += 9 * W * 2 * W * px / 4
    t += 9 * 2 * W * 4 * W * px / 16
    t += blocks * 2 * 9 * (4 * W) ** 2 * px / 16
    t += 9 * 4 * W * 2 * W * px / 4
    t += 9 * 2 * W * W * px
    t += k_out * k_out * W * 3 * px
    return t


def load_ckpt(path, map_location="cpu"):
    """torch.load for our own checkpoints (they hold numpy RNG state and config dicts):
    torch >= 2.6 defaults to weights_only=True, which refuses them."""
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except TypeError:  # very old torch without weights_only
        return torch.load(path, map_location=map_location)
