#!/usr/bin/python3
"""Contact sheet of ClipSampler samples and a numerical flow check.

    cd models && /usr/bin/python3 -m data.preview [--size 128] [--frames 5] [--n 40] [--out PATH]

Writes models/data/cache/preview.png: one row per sample (kind on the left): the T frames,
then for the last pair: exact mask, noisy mask, flow (colour wheel), valid, |warp(frame[t-1],
flow) - frame[t]| x 10 on valid pixels, and the same without warping x 10 (for scale).
Prints the warping error of every kind over --n samples each (mean abs over valid pixels and
channels, 0..1 units; PSNR of the warped frame on valid pixels) and the sampler's speed.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common.data import ClipSampler  # noqa: E402
from common.flow import warp  # noqa: E402
from common.paths import CACHE  # noqa: E402


def to_img(x):
    """[C,H,W] float in [0,1] -> PIL RGB."""
    x = x.detach().clamp(0, 1)
    if x.shape[0] == 1:
        x = x.expand(3, -1, -1)
    return Image.fromarray((x.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8))


def flow_img(flow, vmax=None):
    """[2,H,W] -> colour wheel image (hue = direction, saturation = magnitude)."""
    fx, fy = flow[0].numpy(), flow[1].numpy()
    mag = np.sqrt(fx * fx + fy * fy)
    vmax = vmax or max(1e-3, float(np.percentile(mag, 99)))
    hue = (np.arctan2(fy, fx) / (2 * math.pi)) % 1.0
    sat = np.clip(mag / vmax, 0, 1)
    hsv = np.stack([hue * 255, sat * 255, np.full_like(hue, 255)], -1).astype(np.uint8)
    return Image.fromarray(hsv, "HSV").convert("RGB")


def check(sampler, n, rng):
    errs, base, psnr, vfrac = [], [], [], []
    for _ in range(n):
        d = sampler.sample(rng)
        f, v = d["frames"], d["valid"]
        w = warp(f[:-1], d["flows"])
        cnt = float(v.sum()) * 3
        if cnt == 0:
            continue
        e = float(((w - f[1:]).abs() * v).sum()) / cnt
        mse = float((((w - f[1:]) ** 2) * v).sum()) / cnt
        errs.append(e)
        base.append(float(((f[:-1] - f[1:]).abs() * v).sum()) / cnt)
        psnr.append(mse)  # pooled below
        vfrac.append(float(v.mean()))
    return np.mean(errs), np.percentile(errs, 95), np.mean(base), 10 * math.log10(1 / np.mean(psnr)), np.mean(vfrac)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--n", type=int, default=40, help="samples per kind for the flow check")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", default="train")
    ap.add_argument("--out", default=os.path.join(CACHE, "preview.png"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    S, T = args.size, args.frames
    rng = np.random.default_rng(args.seed)
    kinds = ["person", "person", "person", "person", "photo", "photo", "frame", "frame"]
    samplers = {k: ClipSampler(args.split, T, S, mix={k: 1.0}) for k in set(kinds)}
    rows = [(k, samplers[k].sample(rng)) for k in kinds]
    rows += [("cut", samplers["person"].sample(rng, scene_cut=True)),
             ("cut", ClipSampler(args.split, T, S).sample(rng, scene_cut=True))]
    label_w, pad = 70, 2
    ncol = T + 6
    sheet = Image.new("RGB", (label_w + ncol * (S + pad), 18 + len(rows) * (S + pad)), (40, 40, 40))
    dr = ImageDraw.Draw(sheet)
    heads = [f"frame {t}" for t in range(T)] + ["mask", "noisy mask", "flow", "valid",
                                                 "|warp err| x10", "no warp x10"]
    for j, h in enumerate(heads):
        dr.text((label_w + j * (S + pad) + 2, 3), h, fill=(255, 255, 255))
    for i, (kind, d) in enumerate(rows):
        y = 18 + i * (S + pad)
        f, v, fl = d["frames"], d["valid"], d["flows"]
        t = T - 1
        w = warp(f[:-1], fl)
        err = ((w[t - 1] - f[t]).abs() * v[t - 1] * 10)
        raw = ((f[t - 1] - f[t]).abs() * v[t - 1] * 10)
        cnt = float(v[t - 1].sum()) * 3
        e = float(((w[t - 1] - f[t]).abs() * v[t - 1]).sum()) / max(cnt, 1)
        tiles = [to_img(f[k]) for k in range(T)] + [
            to_img(d["masks"][t]), to_img(d["noisy_masks"][t]), flow_img(fl[t - 1]), to_img(v[t - 1]),
            to_img(err), to_img(raw)]
        for j, im in enumerate(tiles):
            sheet.paste(im, (label_w + j * (S + pad), y))
        cut = int(torch.nonzero(d["cut"]).flatten()[0]) if d["cut"].sum() > 0 else None
        dr.text((3, y + 3), kind, fill=(255, 255, 0))
        dr.text((3, y + 18), f"err {e:.4f}", fill=(255, 255, 255))
        dr.text((3, y + 33), f"|flow| {float(fl[t - 1].norm(dim=0).max()):.1f}px", fill=(255, 255, 255))
        if cut is not None:
            dr.text((3, y + 48), f"cut at t={cut}", fill=(255, 128, 128))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out}")
    print(f"flow check at {S}^2, {args.n} samples per kind (valid pixels; 0..1 units):")
    for k in ("photo", "person", "frame"):
        m, p95, b, ps, vf = check(samplers[k], args.n, rng)
        print(f"  {k:7s} warp err mean {m:.4f} (p95 of samples {p95:.4f}; without warping {b:.4f}), "
              f"PSNR {ps:.1f} dB (pooled MSE), valid {vf:.0%}")
    speed(args.split, rng)


def speed(split, rng, reps=20, sizes=((2, 5, 128), (4, 2, 256))):
    """Sampler ms per batch, interleaved with a reference workload (LossNet forward + backward
    on the same batch of frames, a part of any training step) so that the ratio holds even
    while other jobs load the machine."""
    from common.vgg import LossNet
    net = LossNet()
    print(f"speed ({torch.get_num_threads()} threads), median of {reps}:")
    for (n, TT, SS) in sizes:
        sm = ClipSampler(split, TT, SS)
        sm.batch(n, rng)
        ts, cs, rs = [], [], []
        for _ in range(reps):
            t0, c0 = time.perf_counter(), time.process_time()
            b = sm.batch(n, rng)
            ts.append(time.perf_counter() - t0)
            cs.append(time.process_time() - c0)
            x = b["frames"].flatten(0, 1).requires_grad_(True)
            t0 = time.perf_counter()
            sum(f.square().mean() for f in net(x)).backward()
            rs.append(time.perf_counter() - t0)
        print(f"  batch {n} x {TT} x {SS}^2: {1000 * np.median(ts):.0f} ms wall "
              f"({1000 * np.median(cs):.0f} ms CPU); reference LossNet fwd+bwd on it "
              f"{1000 * np.median(rs):.0f} ms -> sampler = {np.median(ts) / np.median(rs):.2f}x reference")


if __name__ == "__main__":
    main()
