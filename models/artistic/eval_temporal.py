#!/usr/bin/python3
"""Warping error of stylized consecutive frames, with vs without the temporal loss.

  /usr/bin/python3 models/artistic/eval_temporal.py [--pairs 48] [--size 192x256]
      [--styles starry-night-art,...] [--json models/artistic/figures/warping_error.json]

For every look whose runs/<id> and runs/<id>-notemporal both have weights (weights.pt, or
ckpt.pt with --allow-partial), stylizes the same frame pairs with both networks and reports
  E = mean over valid pixels and channels of (O_t - warp(O_{t-1}, flow_t))^2
(common.flow.warp / warp_error; exact flow). The pairs come from common.data.ClipSampler
(split='val': a clip and photos carved out of the trainable pool, never eval media, and not
the training bank), seed 4321, at the given size (H x W). The inputs' own warping error
(resampling only) is printed as the floor.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common_api import ClipSampler, warp  # noqa: E402
from net import StyleNet, load_ckpt  # noqa: E402


def load_net(run, allow_partial):
    p = os.path.join(run, "weights.pt")
    if not os.path.exists(p):
        if not allow_partial:
            return None, None
        p = os.path.join(run, "ckpt.pt")
        if not os.path.exists(p):
            return None, None
    ck = load_ckpt(p)
    c = ck["config"]
    net = StyleNet(c["width"], c["blocks"], c["k_in"], c["k_out"], c["norm"])
    net.load_state_dict(ck["net"])
    return net.eval(), ck.get("step")


def werr(out, flows, valid):
    w = warp(out[:, 0], flows[:, 0])
    d = ((out[:, 1] - w) ** 2).mean(1, keepdim=True) * valid[:, 0]
    return (d.flatten(1).sum(1) / valid[:, 0].flatten(1).sum(1).clamp_min(1)).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=48)
    ap.add_argument("--size", default="192x256", help="H x W")
    ap.add_argument("--styles")
    ap.add_argument("--allow-partial", action="store_true")
    ap.add_argument("--split", default="val")
    ap.add_argument("--run-dirs", help="TEMPORAL_DIR,NOTEMPORAL_DIR: compare these two runs instead")
    ap.add_argument("--json", default=os.path.join(HERE, "figures", "warping_error.json"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    h, w = (int(v) for v in args.size.split("x"))
    styles = args.styles.split(",") if args.styles else [
        s["id"] for s in json.load(open(os.path.join(HERE, "styles.json")))["styles"]]
    sampler = ClipSampler(split=args.split, frames=2, size=(h, w), seed=4321)
    rng = np.random.default_rng(4321)
    samples = [sampler.sample(rng) for _ in range(args.pairs)]
    x = torch.stack([s["frames"] for s in samples])
    flows = torch.stack([s["flows"] for s in samples])
    valid = torch.stack([s["valid"] for s in samples])
    floor = werr(x, flows, valid)
    print(f"{args.pairs} pairs ({args.split} split) at {h}x{w}; input warping error (floor) "
          f"{floor.mean():.5f}")
    results = {"pairs": args.pairs, "split": args.split, "size_hw": [h, w],
               "input_floor": float(floor.mean()), "looks": {}}
    if args.run_dirs:
        styles = [args.run_dirs]
    for style in styles:
        row = {}
        for variant, suffix in (("temporal", ""), ("notemporal", "-notemporal")):
            if args.run_dirs:
                d = args.run_dirs.split(",")[0 if variant == "temporal" else 1]
            else:
                d = os.path.join(HERE, "runs", style + suffix)
            net, step = load_net(d, args.allow_partial)
            if net is None:
                continue
            with torch.no_grad():
                outs = []
                for i in range(0, args.pairs, 8):
                    xb = x[i:i + 8]
                    outs.append(net(xb.reshape(-1, 3, h, w)).reshape(xb.shape))
                out = torch.cat(outs)
            e = werr(out, flows, valid)
            row[variant] = {"warping_error": float(e.mean()), "steps": step,
                            "per_pair_median": float(np.median(e))}
        if "temporal" in row and "notemporal" in row:
            a, b = row["temporal"]["warping_error"], row["notemporal"]["warping_error"]
            row["reduction"] = 1 - a / b
            print(f"{style:22s} temporal {a:.5f} (steps {row['temporal']['steps']})  "
                  f"no-temporal {b:.5f} (steps {row['notemporal']['steps']})  "
                  f"reduction {100 * row['reduction']:.1f} %")
        elif row:
            print(f"{style:22s} " + "  ".join(f"{k} {v['warping_error']:.5f}" for k, v in row.items()))
        if row:
            results["looks"][style] = row
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
