"""Rebuild a training checkpoint from the shipped ONNX files (models/gridnet*.onnx + guide JSON).

Runs live outside git (models/gridnet/runs/); the product ships only the exported networks. To
fine-tune or ablate the shipped model on a fresh clone (e.g. the --no-temporal variant from the
same starting point), this reads the weights back: the ONNX initializers keep the torch names
(net.*, m.*), and the pointwise guide's two monotone curves are fitted to the JSON's lookup
tables (exact up to ~1e-4 grid units). The result loads with `train.py --init-from`.

  /usr/bin/python3 models/gridnet/from_onnx.py --out models/gridnet/runs/shipped/ckpt.pt
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from train import Bundle  # noqa: E402

MODELS = os.path.dirname(HERE)


def initializers(path):
    return {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(path).graph.initializer}


def fit_curve(curve, xs, target, steps=3000):
    """Fits a MonotonePWL's parameters to table values (least squares, Adam)."""
    params = [p for p in curve.parameters()]
    opt = torch.optim.Adam(params, lr=0.05)
    x, y = torch.tensor(xs, dtype=torch.float32), torch.tensor(target, dtype=torch.float32)
    for k in range(steps):
        opt.zero_grad()
        loss = ((curve(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        if k == steps // 2:
            for g in opt.param_groups:
                g["lr"] = 0.005
    with torch.no_grad():
        return float((curve(x) - y).abs().max())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=MODELS, help="folder with gridnet*.onnx and gridnet_guide.json")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    guide = json.load(open(os.path.join(args.dir, "gridnet_guide.json")))
    files = guide["files"]
    b = Bundle("pointwise", torch.device("cpu"))
    sd = b.net.state_dict()
    got = {}
    for f in (files["main"], files["style"]):
        for k, v in initializers(os.path.join(args.dir, f)).items():
            if k.startswith("net.") and k[4:] in sd and not k.startswith("net.enc."):
                got[k[4:]] = v
    missing = [k for k in sd if k not in got and not k.startswith("enc.")]
    # buffers the graph folded away (constants of the net, not learned) keep their construction values
    learned = {n for n, _ in b.net.named_parameters()}
    lost = [k for k in missing if k in learned]
    if lost:
        sys.exit(f"parameters not in the ONNX files: {lost}")
    for k, v in got.items():
        if sd[k].shape != v.shape:
            sys.exit(f"{k}: shape {tuple(v.shape)} in ONNX, {tuple(sd[k].shape)} in the net")
        sd[k] = v
    b.net.load_state_dict(sd)
    msd = b.mask.state_dict()
    for k, v in initializers(os.path.join(args.dir, files["mask"])).items():
        if k.startswith("m.") and k[2:] in msd:
            msd[k[2:]] = v.reshape(msd[k[2:]].shape)
    b.mask.load_state_dict(msd)
    ys = np.arange(256, dtype=np.float32)
    ey = fit_curve(b.guide.zy, ys, guide["zY"])
    em = fit_curve(b.guide.zm, ys / 255.0, guide["zM"])
    print(f"net: {len(got)} tensors from ONNX; guide fitted to the tables: max error zY {ey:.2e}, zM {em:.2e}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    # the shipped run's exact schedule (models/gridnet/shipped/schedule.json), marked as rebuilt
    sch = json.load(open(os.path.join(HERE, "shipped", "schedule.json")))
    sch["from_onnx"] = os.path.relpath(os.path.abspath(args.dir), os.path.dirname(MODELS))
    torch.save({"model": b.state(), "phase": "main", "step": 0, "history": [], "schedule": sch,
                "elapsed": 60 * guide.get("trained", {}).get("minutes", 0)}, args.out)
    print(f"{args.out} written")


if __name__ == "__main__":
    main()
