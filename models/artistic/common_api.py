"""The pieces of models/common that training needs, imported from there when present.

models/common (owned by the data helper) provides LossNet, gram, warp and ClipSampler. This
module re-exports them; only if models/common is missing or incomplete (early development)
does it fall back to small local stand-ins, and it says so on stderr. The stand-ins follow the
contract's definitions (/work/notes/contract.md):
  LossNet: frozen distilled 4SE + its 1x1 aux heads -> approx VGG-19 relu1_1..relu4_1
  gram(feat): [N,C,C] normalised by C*H*W
  warp(x, flow): x sampled at p + flow(p) (pixels, bilinear, zeros outside)
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
REPO = os.path.dirname(MODELS)
if MODELS not in sys.path:
    sys.path.insert(0, MODELS)

SHARED = os.environ.get("RESTYLE_SHARED") or os.path.join(os.path.dirname(REPO), "shared")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared"

FALLBACK = []

try:
    from common.vgg import Encoder4, LossNet, gram  # noqa: F401
except Exception as e:  # pragma: no cover - only before models/common exists
    FALLBACK.append(f"vgg ({type(e).__name__}: {e})")

    class Encoder4(nn.Module):
        def __init__(self):
            super().__init__()
            import export_vgg
            enc = export_vgg.Encoder4()
            enc.load_state_dict(export_vgg.load_weights(export_vgg.DEFAULT_WEIGHTS_DIR,
                                                        export_vgg.ENC4_FILE), strict=True)
            self.enc = enc.eval()
            for p in self.parameters():
                p.requires_grad_(False)

        def train(self, mode=True):
            return super().train(False)

        def features(self, image, upto=4):
            return self.enc(image)[:upto]

    def gram(feat):
        n, c, h, w = feat.shape
        f = feat.reshape(n, c, h * w)
        return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)

    class LossNet(nn.Module):
        def __init__(self):
            super().__init__()
            import export_vgg
            enc = export_vgg.Encoder4()
            enc.load_state_dict(export_vgg.load_weights(export_vgg.DEFAULT_WEIGHTS_DIR,
                                                        export_vgg.ENC4_FILE), strict=True)
            self.enc = enc.eval()
            for p in self.parameters():
                p.requires_grad_(False)

        def train(self, mode=True):
            return super().train(False)

        def forward(self, rgb01):
            e = self.enc
            r11, r21, r31, r41 = e(rgb01)
            return [e.conv11_aux(r11), e.conv21_aux(r21), e.conv31_aux(r31), e.conv41_aux(r41)]

try:
    from common.flow import warp  # noqa: F401
except Exception as e:  # pragma: no cover
    FALLBACK.append(f"flow ({type(e).__name__}: {e})")

    def warp(x, flow):
        n, _, h, w = x.shape
        ys, xs = torch.meshgrid(torch.arange(h, dtype=x.dtype), torch.arange(w, dtype=x.dtype),
                                indexing="ij")
        gx = (xs[None] + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
        gy = (ys[None] + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
        grid = torch.stack([gx, gy], dim=-1)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)

try:
    from common.data import ClipSampler  # noqa: F401
except Exception as e:  # pragma: no cover
    FALLBACK.append(f"data ({type(e).__name__}: {e})")
    from fallback_data import ClipSampler  # noqa: F401

if FALLBACK:
    print("[artistic] models/common incomplete, using local stand-ins for: " + "; ".join(FALLBACK),
          file=sys.stderr)
