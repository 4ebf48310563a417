"""Encoder4 / LossNet / mean_std: from common.vgg (the shared API of models/common, owned by
the data helper); a local fallback with the same interface (built from models/export_vgg.py,
same 4SE weights incl. its aux heads) only if common.vgg cannot be imported."""
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
if MODELS not in sys.path:
    sys.path.insert(0, MODELS)

USING_COMMON = False
try:
    from common.vgg import Encoder4, LossNet, mean_std  # noqa: F401
    USING_COMMON = True
except Exception:  # pragma: no cover - fallback
    import export_vgg as _ev

    class Encoder4(_ev.Encoder4):
        def __init__(self):
            super().__init__()
            self.load_state_dict(_ev.load_weights(_ev.DEFAULT_WEIGHTS_DIR, _ev.ENC4_FILE), strict=True)
            self.eval()
            for p in self.parameters():
                p.requires_grad_(False)

        def train(self, mode=True):
            return super().train(False)

        def features(self, x, upto=4):
            return super().forward(x)[:upto]

        def forward(self, x):
            return dict(zip(("r11", "r21", "r31", "r41"), self.features(x)))

    class LossNet(nn.Module):
        def __init__(self, encoder=None):
            super().__init__()
            self.enc = encoder if encoder is not None else Encoder4()

        def train(self, mode=True):
            return super().train(False)

        def forward(self, x, levels=4):
            e = self.enc
            heads = (e.conv11_aux, e.conv21_aux, e.conv31_aux, e.conv41_aux)
            return [h(f) for h, f in zip(heads, e.features(x, levels))]

    def mean_std(feat, weights=None, eps=1e-5):
        if weights is None:
            return feat.mean((2, 3)), (feat.var((2, 3), unbiased=False) + eps).sqrt()
        ws = weights.sum((2, 3)) + 1e-8
        m = (feat * weights).sum((2, 3)) / ws
        v = (weights * (feat - m[..., None, None]) ** 2).sum((2, 3)) / ws
        return m, (v + eps).sqrt()


def aux_heads(enc, feats):
    """LossNet features from already computed encoder features (r11..r41): saves a pass."""
    heads = (enc.conv11_aux, enc.conv21_aux, enc.conv31_aux, enc.conv41_aux)
    return [h(f) for h, f in zip(heads, feats)]
