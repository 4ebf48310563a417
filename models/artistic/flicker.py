#!/usr/bin/python3
"""Flicker on a real clip (no flow needed): mean |O_t - O_{t-1}| over pixels where the input
barely changes (|x_t - x_{t-1}| < 0.02 in every channel: static background of a fixed webcam),
for the temporal and no-temporal networks of a look.

  /usr/bin/python3 models/artistic/flicker.py --style starry-night-art [--clip iot_asl_brother.mkv]
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from eval_temporal import load_net  # noqa: E402
from fallback_data import load_clip_frames  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--style", default="starry-night-art")
    ap.add_argument("--clip", default="iot_asl_brother.mkv")
    ap.add_argument("--frames", type=int, default=40)
    args = ap.parse_args()
    torch.set_num_threads(1)
    fr = load_clip_frames(args.clip, every=1, size=(256, 192))[:args.frames]
    x = torch.from_numpy(fr.astype(np.float32) / 255).permute(0, 3, 1, 2)
    static = ((x[1:] - x[:-1]).abs().amax(1, keepdim=True) < 0.02).float()
    print(f"{args.clip}: {len(x)} frames at 256x192, static pixels {100 * float(static.mean()):.0f} %; "
          f"input |dx| there {float(((x[1:] - x[:-1]).abs().mean(1, keepdim=True) * static).sum() / static.sum()):.4f}")
    for suf in ("", "-notemporal"):
        net, step = load_net(os.path.join(HERE, "runs", args.style + suf), True)
        if net is None:
            continue
        with torch.no_grad():
            o = torch.cat([net(x[i:i + 8]) for i in range(0, len(x), 8)])
        d = ((o[1:] - o[:-1]).abs().mean(1, keepdim=True) * static).sum() / static.sum()
        print(f"  {args.style + suf:32s} (steps {step}): mean |O_t - O_t-1| on static pixels {float(d):.4f}")


if __name__ == "__main__":
    main()
