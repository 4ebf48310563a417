#!/usr/bin/python3
"""Stylize full-resolution images with a trained run, the way the engine will: the frame squashed
to L x L -> mask network -> grid network (fg/bg grids) -> soft grid mask from the low-res luma
and enhanced mask with the learned guide -> grid-space blend -> slice at full resolution with the
guide tables (torch, float; the engine's WASM slicer does the same in fixed point).

  /usr/bin/python3 models/gridnet/apply.py --run models/gridnet/runs/NAME --out OUT.png
      [--images a.jpg b.jpg ...] [--fg STYLE] [--bg STYLE] [--ckpt final.pt]

Without --images it uses training-split frames/photos of models/data/cache (with their
segmenter masks). A style may be a file, a name in ../shared/media/styles or the data cache, or
'natural'. Each row: input | mask | enhanced mask (upsampled) | guide z | output | fg | bg.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vggwrap  # noqa: E402,F401
import bilateral as bl  # noqa: E402
from train import Bundle  # noqa: E402
from common.paths import CACHE, MEDIA  # noqa: E402

DEFAULT_IMAGES = ["frames/iot_asl_brother_f000.jpg", "frames/iot_asl_walk_f030.jpg", "photos/skimage_astronaut.jpg",
                  "frames/iot_asl_school_f012.jpg", "photos/mate_garden.jpg"]


def load(path):
    im = Image.open(path).convert("RGB")
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 255).permute(2, 0, 1)[None]


def load_mask(img_path, shape):
    base = os.path.splitext(img_path)[0]
    for cand in (base + ".mask.png", base + ".png"):
        if os.path.exists(cand) and cand != img_path:
            m = Image.open(cand).convert("L").resize((shape[-1], shape[-2]), Image.BILINEAR)
            return torch.from_numpy(np.asarray(m, dtype=np.float32) / 255)[None, None]
    return torch.zeros(1, 1, *shape[-2:])


def resolve_style(s):
    if s == "natural" or os.path.exists(s):
        return s
    for d in (os.path.join(MEDIA, "styles"), os.path.join(CACHE, "styles"), os.path.join(CACHE, "photos")):
        for ext in ("", ".jpg", ".png"):
            p = os.path.join(d, s + ext)
            if os.path.exists(p):
                return p
    raise FileNotFoundError(s)


@torch.no_grad()
def stylize(b, L, img, mask, fg, bg, alpha=0.0, prev=None):
    """img [1,3,H,W] 0..1, mask [1,1,H,W] 0..1; fg/bg style paths or 'natural'."""
    lo = F.interpolate(img, (L, L), mode="area")
    mlo = F.interpolate(mask, (L, L), mode="area")
    m_enh = b.mask(lo, mlo)
    stats, natural = [], []
    for s in (fg, bg):
        if s == "natural":
            stats.append(torch.zeros(1, b.net.S)); natural.append(True)
        else:
            st = F.interpolate(load(s), (L, L), mode="area")
            stats.append(b.net.style_stats(st)); natural.append(False)
    prev = torch.zeros(2, b.net.S) if prev is None else prev
    raw, state = b.net(lo, m_enh, torch.cat(stats), prev, alpha)
    for k in range(2):
        if natural[k]:
            raw[k] = 0
    co = b.net.to_coeffs(raw)
    mg = bl.soft_grid_mask(b.guide(bl.rgb_to_yuv(lo * 255), m_enh, lo), m_enh)
    grid = bl.blend_grids(co[0:1], co[1:2], mg)
    # full resolution: the mask the slicer sees = the enhanced mask upsampled
    m_full = F.interpolate(m_enh, img.shape[-2:], mode="bilinear", align_corners=False)
    yuv = bl.rgb_to_yuv(img * 255)
    z = b.guide(yuv, m_full, img)
    out = (bl.yuv_to_rgb(bl.render(grid, z, yuv)) / 255).clamp(0, 1)
    return dict(out=out, m_enh=m_full, z=z, state=state, grid=grid, coeffs=co)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--images", nargs="*", default=None)
    ap.add_argument("--fg", default="kde_fallenleaf")
    ap.add_argument("--bg", default="skimage_rocket")
    ap.add_argument("--pairs", nargs="*", default=None, help="fg:bg per image (overrides --fg/--bg)")
    ap.add_argument("--height", type=int, default=240, help="row height of the sheet")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ck_name = args.ckpt or ("final.pt" if os.path.exists(os.path.join(args.run, "final.pt")) else "ckpt.pt")
    ck = torch.load(os.path.join(args.run, ck_name), map_location="cpu")
    b = Bundle(ck["model"].get("guide_kind", "pointwise"), torch.device("cpu"))
    b.load(ck["model"])
    L = ck["schedule"]["L"]
    images = args.images or [os.path.join(CACHE, p) for p in DEFAULT_IMAGES]
    rows = []
    for i, p in enumerate(images):
        img = load(p)
        mask = load_mask(p, img.shape)
        fg, bg = args.fg, args.bg
        if args.pairs:
            fg, bg = args.pairs[i % len(args.pairs)].split(":")
        fgp, bgp = resolve_style(fg), resolve_style(bg)
        r = stylize(b, L, img, mask, fgp, bgp)
        H = args.height
        W = round(img.shape[-1] * H / img.shape[-2])

        def fit(t):
            t = t if t.shape[1] == 3 else t.expand(-1, 3, -1, -1)
            return F.interpolate(t, (H, W), mode="area")[0]
        cols = [fit(img), fit(mask), fit(r["m_enh"]), fit(r["z"] / 15), fit(r["out"])]
        for s in (fgp, bgp):
            cols.append(torch.full((3, H, H), 0.5) if s == "natural" else F.interpolate(load(s), (H, H), mode="area")[0])
        rows.append(np.concatenate([(c.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy() for c in cols], 1))
    wmax = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, wmax - r.shape[1]), (0, 0))) for r in rows]
    Image.fromarray(np.concatenate(rows, 0)).save(args.out)
    print(f"wrote {args.out} (step {ck['step']}, phase {ck['phase']})")


if __name__ == "__main__":
    main()
