#!/usr/bin/python3
"""Figures for models/artistic/README.md (written to models/artistic/figures/):

  looks.jpg     one row per look: the painting, then three webcam-like frames of training
                clips stylized at the recommended internal size 256x192 (first row: inputs)
  temporal.jpg  per look with both variants: O_t, and |O_t - warp(O_{t-1})| (x4) without
                and with the temporal loss, on a val-split pair with exact flow

  /usr/bin/python3 models/artistic/figures.py [--allow-partial]
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common_api import ClipSampler, warp  # noqa: E402
from eval_temporal import load_net  # noqa: E402
from train import PREVIEW_FRAMES, PREVIEW_SIZE, load_image, preview_frames, style_path  # noqa: E402,F401

OUT = os.path.join(HERE, "figures")


def to_img(t):
    return Image.fromarray((t.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8))


def fit(img, w, h):
    from PIL import ImageOps
    return ImageOps.fit(img, (w, h), method=Image.LANCZOS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--allow-partial", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    styles = json.load(open(os.path.join(HERE, "styles.json")))["styles"]
    frames = preview_frames()
    W, H = PREVIEW_SIZE
    rows = [[Image.new("RGB", (W, H), (255, 255, 255))] + [to_img(f) for f in frames]]
    for s in styles:
        net, _ = load_net(os.path.join(HERE, "runs", s["id"]), args.allow_partial)
        if net is None:
            continue
        with torch.no_grad():
            y = net(frames)
        painting = to_img(load_image(style_path(s), 512)[0])
        rows.append([fit(painting, W, H)] + [to_img(t) for t in y])
    grid = Image.new("RGB", (W * len(rows[0]), H * len(rows)), (255, 255, 255))
    for r, row in enumerate(rows):
        for c, im in enumerate(row):
            grid.paste(im, (c * W, r * H))
    grid.save(os.path.join(OUT, "looks.jpg"), quality=88)
    print("wrote", os.path.join(OUT, "looks.jpg"), f"({len(rows) - 1} looks)")

    sampler = ClipSampler(split="val", frames=2, size=(H, W), seed=77)
    rng = np.random.default_rng(77)
    for _ in range(20):  # a pair with a person and visible motion
        smp = sampler.sample(rng)
        if float(smp["has_person"]) > 0 and float(smp["flows"].abs().mean()) > 0.8:
            break
    x, fl, va = smp["frames"], smp["flows"], smp["valid"]
    trows = []
    for s in styles:
        nets = [load_net(os.path.join(HERE, "runs", s["id"] + suf), args.allow_partial)[0]
                for suf in ("-notemporal", "")]
        if any(n is None for n in nets):
            continue
        row = [to_img(x[1])]
        for net in nets:
            with torch.no_grad():
                o = net(x)
            d = (o[1:] - warp(o[:1], fl)).abs().mean(1, keepdim=True) * va
            row += [to_img(o[1]), to_img((d[0] * 4).expand(3, -1, -1))]
        trows.append(row)
    if trows:
        grid = Image.new("RGB", (W * len(trows[0]), H * len(trows)), (255, 255, 255))
        for r, row in enumerate(trows):
            for c, im in enumerate(row):
                grid.paste(im, (c * W, r * H))
        grid.save(os.path.join(OUT, "temporal.jpg"), quality=88)
        print("wrote", os.path.join(OUT, "temporal.jpg"),
              "(columns: input t | no-temporal O_t | its error x4 | temporal O_t | its error x4)")


if __name__ == "__main__":
    main()
