#!/usr/bin/python3
"""Pre-generate a bank of training frame pairs (shared by every look's training).

common.data.ClipSampler renders each pair on the fly (person cut-outs over photos, webcam
frames, photos; exact flow and valid masks), which costs about as much CPU as a training step
on this 2-core machine. All looks train on the same content distribution, so the pairs are
rendered once here and every run draws from the bank (with random horizontal flips).

  nice -n 19 /usr/bin/python3 models/artistic/bank.py --size 128 --pairs 2000 [--seed 1234]

Writes models/artistic/runs/bank_<size>.pt (gitignored; resumable: it appends chunks of
100 pairs to runs/bank_<size>.part/ and merges them at the end):
  frames uint8 [P,2,3,S,S], flows float16 [P,2,S,S], valid uint8 [P,1,S,S],
  has_person uint8 [P], meta dict.
"""

import argparse
import glob
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common_api import ClipSampler  # noqa: E402
from net import load_ckpt  # noqa: E402

CHUNK = 100


def bank_path(size):
    return os.path.join(HERE, "runs", f"bank_{size}.pt")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--pairs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = bank_path(args.size)
    part = out[:-3] + ".part"
    os.makedirs(part, exist_ok=True)
    sampler = ClipSampler(split="train", frames=2, size=args.size, seed=args.seed)
    n_chunks = (args.pairs + CHUNK - 1) // CHUNK
    t0 = time.time()
    for c in range(n_chunks):
        path = os.path.join(part, f"chunk{c:04d}.pt")
        if os.path.exists(path):
            continue
        rng = np.random.default_rng([args.seed, c])
        fr, fl, va, hp = [], [], [], []
        for _ in range(CHUNK):
            s = sampler.sample(rng)
            fr.append((s["frames"] * 255 + 0.5).clamp(0, 255).to(torch.uint8))
            fl.append(s["flows"][0].half())
            va.append((s["valid"][0] > 0.5).to(torch.uint8))
            hp.append(int(s["has_person"].item()))
        torch.save({"frames": torch.stack(fr), "flows": torch.stack(fl), "valid": torch.stack(va),
                    "has_person": torch.tensor(hp, dtype=torch.uint8)}, path + ".tmp")
        os.replace(path + ".tmp", path)
        print(f"chunk {c + 1}/{n_chunks} ({time.time() - t0:.0f} s)", flush=True)
    chunks = [load_ckpt(p) for p in sorted(glob.glob(os.path.join(part, "chunk*.pt")))[:n_chunks]]
    bank = {k: torch.cat([ch[k] for ch in chunks]) for k in chunks[0]}
    bank["meta"] = {"size": args.size, "pairs": int(bank["frames"].shape[0]), "seed": args.seed,
                    "sampler": "common.data.ClipSampler(split='train', frames=2)"}
    torch.save(bank, out + ".tmp")
    os.replace(out + ".tmp", out)
    print(f"wrote {out}: {bank['meta']}", flush=True)


class Bank:
    """Draws training batches from a bank file: same keys/shapes as ClipSampler.batch (float32),
    with a random horizontal flip per pair (frames, flow x negated, valid)."""

    def __init__(self, path):
        b = load_ckpt(path)
        self.frames, self.flows, self.valid = b["frames"], b["flows"], b["valid"]
        self.n = self.frames.shape[0]
        self.meta = b.get("meta", {})

    def batch(self, n, rng):
        idx = rng.integers(self.n, size=n)
        fr = self.frames[idx].float() / 255.0
        fl = self.flows[idx].float()[:, None]
        va = self.valid[idx].float()[:, None]
        flip = torch.from_numpy(rng.random(n) < 0.5)
        if flip.any():
            fr[flip] = torch.flip(fr[flip], dims=[-1])
            f = torch.flip(fl[flip], dims=[-1])
            f[:, :, 0] = -f[:, :, 0]
            fl[flip] = f
            va[flip] = torch.flip(va[flip], dims=[-1])
        return {"frames": fr, "flows": fl, "valid": va}


if __name__ == "__main__":
    main()
