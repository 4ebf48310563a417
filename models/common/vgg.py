"""The distilled VGG-19 relu4_1 encoder/decoder ("4SE"/"4SD") and the loss network built on it.

Source: Collaborative Distillation (Wang et al., CVPR 2020),
https://github.com/MingSun-Tse/Collaborative-Distillation (MIT licence, see
models/LICENSE.collaborative-distillation). The modules re-implement the upstream classes
`SmallEncoder4_16x_aux` and `SmallDecoder4_16x` from the layer lists in
../shared/models/upstream/README.md; the upstream state dicts load into them with strict=True.
models/export_vgg.py exports exactly these modules to models/vgg_enc4.onnx / vgg_dec4.onnx.

  Encoder4()   frozen; rgb01 [N,3,H,W] -> {'r11' [N,16,H,W], 'r21' [N,32,H/2,W/2],
               'r31' [N,64,H/4,W/4], 'r41' [N,128,H/8,W/8]}        (= models/vgg_enc4.onnx)
  Decoder4()   frozen; r41 [N,128,h,w] -> RGB [N,3,8h,8w] clamped to [0,1] (= vgg_dec4.onnx)
  LossNet()    frozen; rgb01 -> [f11, f21, f31, f41]: the aux heads conv{j}1_aux applied to the
               student's relu{j}_1, i.e. approximate full-width VGG-19 relu1_1..relu4_1
               (64/128/256/512 channels, no ReLU after the head, as upstream trained them)
  mean_std(feat, weights=None), gram(feat)

Input sizes: H, W multiples of 8, at least 16 (reflect padding needs >= 2 px at every level).
Gradients flow to the input; the weights never train (requires_grad False, eval mode kept).
"""
import hashlib
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from .paths import VGG_WEIGHTS_DIR

# upstream trained_models/<path>, sha256 as listed in ../shared/models/upstream/README.md
ENC4_FILE = "wct_se_16x_new/20191110-132643_E20.pth"  # alias 4SE.pth
DEC4_FILE = "wct_se_16x_new_sd/20191111-092553_E20.pth"  # alias 4SD.pth
SHA256 = {
    ENC4_FILE: "d2f059cbcd6669556a43aadef58d20c8b280462c18b60a9e7424a14dd271cd6b",
    DEC4_FILE: "902f65e2c6033d803d02df552eb898e5985190a7ae67d155e384826eec6f04cb",
}
LEVELS = ("r11", "r21", "r31", "r41")
ENC_CHANNELS = (16, 32, 64, 128)
LOSS_CHANNELS = (64, 128, 256, 512)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_weights(rel, weights_dir=None):
    """The upstream state dict of trained_models/<rel>, after checking its sha256."""
    path = os.path.join(weights_dir or VGG_WEIGHTS_DIR, rel)
    digest = sha256_file(path)
    if digest != SHA256[rel]:
        raise RuntimeError(f"sha256 mismatch for {path}: {digest} != {SHA256[rel]}")
    ckpt = torch.load(path, map_location="cpu")
    return ckpt["model"] if "model" in ckpt else ckpt


def conv3(cin, cout):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=1, padding=0)


def freeze(module):
    """eval mode + requires_grad False (in place); returns the module."""
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    module._frozen = True
    return module


class _Frozen(nn.Module):
    """Stays in eval mode when a parent module calls .train()."""

    def train(self, mode=True):
        return super().train(False if getattr(self, "_frozen", False) else mode)


class Encoder4(_Frozen):
    """SmallEncoder4_16x_aux up to relu4_1. forward returns a dict r11, r21, r31, r41.

    pretrained=True (default) loads the upstream 4SE weights (sha256-checked) and freezes.
    """

    def __init__(self, pretrained=True, weights_dir=None):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 3, kernel_size=1)  # RGB[0,1] -> BGR*255 - mean
        self.conv11 = conv3(3, 16)
        self.conv12 = conv3(16, 16)
        self.conv21 = conv3(16, 32)
        self.conv22 = conv3(32, 32)
        self.conv31 = conv3(32, 64)
        self.conv32 = conv3(64, 64)
        self.conv33 = conv3(64, 64)
        self.conv34 = conv3(64, 64)
        self.conv41 = conv3(64, 128)
        # aux heads (1x1): student relu{j}_1 -> approx. VGG-19 relu{j}_1 (used by LossNet;
        # not part of the ONNX export)
        self.conv11_aux = nn.Conv2d(16, 64, kernel_size=1)
        self.conv21_aux = nn.Conv2d(32, 128, kernel_size=1)
        self.conv31_aux = nn.Conv2d(64, 256, kernel_size=1)
        self.conv41_aux = nn.Conv2d(128, 512, kernel_size=1)
        self.pad = nn.ReflectionPad2d(1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        if pretrained:
            self.load_state_dict(load_weights(ENC4_FILE, weights_dir), strict=True)
            freeze(self)

    def c(self, conv, x):
        return self.relu(conv(self.pad(x)))

    def features(self, image, upto=4):
        """(r11, r21, r31, r41)[:upto] as a tuple."""
        y = self.conv0(image)
        r11 = self.c(self.conv11, y)
        if upto == 1:
            return (r11,)
        y = self.c(self.conv12, r11)
        y = self.pool(y)
        r21 = self.c(self.conv21, y)
        if upto == 2:
            return r11, r21
        y = self.c(self.conv22, r21)
        y = self.pool(y)
        r31 = self.c(self.conv31, y)
        if upto == 3:
            return r11, r21, r31
        y = self.c(self.conv32, r31)
        y = self.c(self.conv33, y)
        y = self.c(self.conv34, y)
        y = self.pool(y)
        r41 = self.c(self.conv41, y)
        return r11, r21, r31, r41

    def forward(self, image):
        return dict(zip(LEVELS, self.features(image)))


class Encoder4Export(Encoder4):
    """Encoder4 whose forward returns the tuple (r11, r21, r31, r41): the graph of vgg_enc4.onnx."""

    def forward(self, image):
        return self.features(image)


class Decoder4(_Frozen):
    """SmallDecoder4_16x: relu4_1 features -> RGB, plus a final clamp to [0,1]."""

    def __init__(self, pretrained=True, weights_dir=None):
        super().__init__()
        self.conv41 = conv3(128, 64)
        self.conv34 = conv3(64, 64)
        self.conv33 = conv3(64, 64)
        self.conv32 = conv3(64, 64)
        self.conv31 = conv3(64, 32)
        self.conv22 = conv3(32, 32)
        self.conv21 = conv3(32, 16)
        self.conv12 = conv3(16, 16)
        self.conv11 = conv3(16, 3)
        self.pad = nn.ReflectionPad2d(1)
        self.relu = nn.ReLU()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        if pretrained:
            self.load_state_dict(load_weights(DEC4_FILE, weights_dir), strict=True)
            freeze(self)

    def c(self, conv, x):
        return self.relu(conv(self.pad(x)))

    def forward(self, feat):
        y = self.c(self.conv41, feat)
        y = self.up(y)
        y = self.c(self.conv34, y)
        y = self.c(self.conv33, y)
        y = self.c(self.conv32, y)
        y = self.c(self.conv31, y)
        y = self.up(y)
        y = self.c(self.conv22, y)
        y = self.c(self.conv21, y)
        y = self.up(y)
        y = self.c(self.conv12, y)
        y = self.c(self.conv11, y)  # upstream keeps the ReLU after the last conv
        return torch.clamp(y, 0.0, 1.0)


class LossNet(_Frozen):
    """Perceptual loss network: approx. VGG-19 relu1_1..relu4_1 (64/128/256/512 channels).

    forward(rgb01 [N,3,H,W] in [0,1], levels=4) -> [f11, f21, f31, f41][:levels]
    = conv{j}1_aux(student relu{j}_1). Frozen; gradients flow to the input.
    Cost here (torch, 2 threads): about 2x the plain encoder (the 1x1 heads at full width).
    """

    def __init__(self, weights_dir=None, encoder=None):
        super().__init__()
        self.enc = encoder if encoder is not None else Encoder4(True, weights_dir)
        freeze(self)

    def forward(self, rgb01, levels=4):
        feats = self.enc.features(rgb01, upto=levels)
        heads = (self.enc.conv11_aux, self.enc.conv21_aux, self.enc.conv31_aux, self.enc.conv41_aux)
        return [h(f) for h, f in zip(heads, feats)]


def _fit_weights(weights, feat):
    if weights.shape[-2:] != feat.shape[-2:]:
        weights = F.adaptive_avg_pool2d(weights, feat.shape[-2:]) \
            if weights.shape[-2] % feat.shape[-2] == 0 and weights.shape[-1] % feat.shape[-1] == 0 \
            else F.interpolate(weights, size=feat.shape[-2:], mode="area")
    return weights


def mean_std(feat, weights=None, eps=1e-5):
    """Per-channel mean and std of feat [N,C,H,W] -> (mean [N,C], std [N,C]).

    weights [N,1,h,w] (e.g. a mask in [0,1]) makes them weighted statistics; it is area-
    resized to the feature size when it differs. std = sqrt(var + eps). A sample whose
    weights sum to ~0 gets mean 0 and std sqrt(eps) (no NaN).
    """
    if weights is None:
        mean = feat.mean(dim=(2, 3))
        var = feat.var(dim=(2, 3), unbiased=False)
        return mean, torch.sqrt(var + eps)
    w = _fit_weights(weights.to(feat.dtype), feat)
    wsum = w.sum(dim=(2, 3)) + 1e-8  # [N,1]
    mean = (feat * w).sum(dim=(2, 3)) / wsum
    var = (((feat - mean[:, :, None, None]) ** 2) * w).sum(dim=(2, 3)) / wsum
    return mean, torch.sqrt(var + eps)


def gram(feat):
    """Gram matrix [N,C,C] of feat [N,C,H,W], normalised by C*H*W."""
    n, c, h, w = feat.shape
    f = feat.reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)
