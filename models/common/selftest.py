#!/usr/bin/python3
"""Quick checks of models/common (about 30 s; needs the data cache for the sampler part).

    cd models && /usr/bin/python3 -m common.selftest
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import splits  # noqa: E402
from common.color import rgb_to_yuv, yuv_to_rgb  # noqa: E402
from common.flow import in_frame, resize_flow, warp  # noqa: E402


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        check.failed = True


check.failed = False


def main():
    torch.set_num_threads(2)
    # splits: nothing held out is trainable; the forbidden families are caught
    train = splits.TRAIN_CLIPS + splits.TRAIN_PHOTOS + splits.TRAIN_STYLES + splits.ARTISTIC_STYLES
    check(not any(splits.is_forbidden(e) for e in train), "no trainable entry is held out")
    check(all(splits.is_forbidden(p) for p in ("photos/dps_in1.jpg", "photos/opencv_messi5.jpg",
                                                 "photos/iot_asl_again_f30.jpg",
                                                 "/usr/share/wallpapers/Path/contents/images/800x600.jpg")),
          "dps_*, opencv_*, held-out clip frames and held-out KDE originals are forbidden")
    check(all(k in e for e in train for k in ("source", "licence", "credit")), "every entry has source/licence/credit")

    # colour: color.ts values
    y = rgb_to_yuv(torch.tensor([255.0, 255.0, 255.0]).view(1, 3, 1, 1)).flatten()
    check(abs(y[0].item() - 235.0) < 1e-3 and abs(y[1].item()) < 1e-3 and abs(y[2].item()) < 1e-3,
          f"white -> Y 235, U-128 0, V-128 0 (got {[round(v, 4) for v in y.tolist()]})")
    rgb = torch.rand(2, 3, 8, 8) * 255
    check((yuv_to_rgb(rgb_to_yuv(rgb)) - rgb).abs().max().item() < 0.01, "yuv round trip < 0.01")

    # flow: an integer shift is exact
    x = torch.rand(1, 3, 16, 20)
    fl = torch.zeros(1, 2, 16, 20)
    fl[:, 0] = 2.0
    w = warp(x, fl)
    check(torch.allclose(w[..., :-2], x[..., 2:], atol=1e-5) and w[..., -2:].abs().max() < 1e-5,
          "warp: x(p + flow), zeros outside")
    check(in_frame(fl)[..., -2:].sum() == 0 and in_frame(fl)[..., :-2].min() == 1, "in_frame")
    check(torch.allclose(resize_flow(fl, (31, 39)), torch.full((1, 2, 31, 39), 4.0) * torch.tensor([1.0, 0]).view(1, 2, 1, 1)),
          "resize_flow scales displacements")

    # vgg
    from common.vgg import Encoder4, LossNet, gram, mean_std
    enc, ln = Encoder4(), LossNet()
    img = torch.rand(2, 3, 64, 48, requires_grad=True)
    d = enc(img)
    check([tuple(v.shape) for v in d.values()] == [(2, 16, 64, 48), (2, 32, 32, 24), (2, 64, 16, 12), (2, 128, 8, 6)],
          "Encoder4 shapes")
    f = ln(img)
    check([t.shape[1] for t in f] == [64, 128, 256, 512], "LossNet channels 64/128/256/512")
    sum(t.mean() for t in f).backward()
    check(img.grad is not None and not any(p.requires_grad for p in ln.parameters()), "LossNet frozen, grads reach input")
    m, s = mean_std(f[3], torch.ones(2, 1, 64, 48))
    m0, s0 = mean_std(f[3])
    check(torch.allclose(m, m0, atol=1e-5) and torch.allclose(s, s0, atol=1e-4), "mean_std with unit weights = plain")
    check(gram(f[0]).shape == (2, 64, 64), "gram shape")

    # sampler
    from common.data import ClipSampler, StylePool
    rng = np.random.default_rng(0)
    for T, S, n in ((5, 64, 2), (2, (48, 80), 3), (1, 32, 1)):
        sm = ClipSampler("train", T, S)
        b = sm.batch(n, rng)
        H, W = (S, S) if isinstance(S, int) else S
        shapes = {k: tuple(v.shape) for k, v in b.items()}
        want = {"frames": (n, T, 3, H, W), "masks": (n, T, 1, H, W), "noisy_masks": (n, T, 1, H, W),
                "flows": (n, T - 1, 2, H, W), "valid": (n, T - 1, 1, H, W), "cut": (n, T), "has_person": (n, 1)}
        check(shapes == want and all(v.dtype == torch.float32 for v in b.values()), f"batch shapes T={T} S={S}")
    sm = ClipSampler("train", 3, 96)
    a, b = sm.batch(2, np.random.default_rng(7)), sm.batch(2, np.random.default_rng(7))
    check(all(torch.equal(a[k], b[k]) for k in a), "same rng seed -> same batch")
    errs = []
    for _ in range(12):
        d = sm.sample(rng)
        v = d["valid"]
        e = ((warp(d["frames"][:-1], d["flows"]) - d["frames"][1:]).abs() * v).sum() / (3 * v.sum() + 1e-8)
        errs.append(float(e))
    check(np.mean(errs) < 0.01, f"warp(frames[t-1], flows[t-1]) ~ frames[t] on valid (mean abs {np.mean(errs):.4f})")
    c = sm.sample(rng, scene_cut=True)
    t = int(torch.nonzero(c["cut"]).flatten()[0])
    check(c["valid"][t - 1].sum() == 0, "scene cut: valid = 0 across the cut")
    check(StylePool("train").sample(rng, 64)[1].shape == (3, 64, 64), "StylePool.sample")
    print("FAILED" if check.failed else "all ok")
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
