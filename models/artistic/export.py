#!/usr/bin/python3
"""Export a trained artistic look to ONNX and write its torch reference fixture.

  /usr/bin/python3 models/artistic/export.py --run models/artistic/runs/starry-night-art [--run ...]
      [--allow-partial]   (export ckpt.pt when the run has not finished: weights.pt missing)

Writes
  models/artistic_<id>.onnx                         (runs trained with the temporal loss)
  models/artistic/ablation/artistic_<id>_notemporal.onnx   (runs with --no-temporal)
  models/fixtures/artistic/<name>.input.u8.bin / <name>.output.f32.bin and manifest.json
ONNX interface: input `image` float32 [N,3,H,W] RGB in [0,1] (H, W dynamic, multiples of 4),
output `stylized` float32 [N,3,H,W] RGB in [0,1]. Opset 17; ops Conv, InstanceNormalization,
Relu, Pad (reflect), Resize (nearest x2), Add, Mul, Clip.
Check with: node models/artistic/check_onnx.mjs
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
MODELS = os.path.dirname(HERE)
REPO = os.path.dirname(MODELS)

from net import StyleNet, load_ckpt  # noqa: E402
from onnx_util import export_stylenet  # noqa: E402

FIXTURE_DIR = os.path.join(MODELS, "fixtures", "artistic")
FIXTURE_CLIP, FIXTURE_FRAME, FIXTURE_W, FIXTURE_H = "iot_asl_brother.mkv", 30, 120, 96


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def strip_identity(path):
    """Remove Identity nodes (torch emits them for re-used initializers) in place."""
    m = onnx.load(path)
    g = m.graph
    rename = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Identity"}
    if not rename:
        return
    graph_outputs = {o.name for o in g.output}
    keep = [n for n in g.node if n.op_type != "Identity" or n.output[0] in graph_outputs]
    for n in keep:
        for i, name in enumerate(n.input):
            while name in rename:
                name = rename[name]
            n.input[i] = name
    del g.node[:]
    g.node.extend(keep)
    used = {i for n in g.node for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def fixture_input():
    from fallback_data import load_clip_frames
    fr = load_clip_frames(FIXTURE_CLIP, every=1, size=(FIXTURE_W, FIXTURE_H))[FIXTURE_FRAME]
    return np.ascontiguousarray(fr)


def export_run(run, allow_partial=False):
    wpath = os.path.join(run, "weights.pt")
    if not os.path.exists(wpath):
        if not allow_partial:
            sys.exit(f"{wpath} missing (training not finished?); --allow-partial exports ckpt.pt")
        wpath = os.path.join(run, "ckpt.pt")
    ck = load_ckpt(wpath)
    cfg, meta = ck["config"], ck["meta"]
    net = StyleNet(cfg["width"], cfg["blocks"], cfg["k_in"], cfg["k_out"], cfg["norm"])
    net.load_state_dict(ck["net"])
    net.eval()
    style = meta["style"]
    if meta["temporal"]:
        name = f"artistic_{style}"
        onnx_path = os.path.join(MODELS, name + ".onnx")
    else:
        name = f"artistic_{style}_notemporal"
        os.makedirs(os.path.join(HERE, "ablation"), exist_ok=True)
        onnx_path = os.path.join(HERE, "ablation", name + ".onnx")
    ops = export_stylenet(net, onnx_path)
    strip_identity(onnx_path)
    m = onnx.load(onnx_path)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1

    os.makedirs(FIXTURE_DIR, exist_ok=True)
    u8 = fixture_input()
    in_file = f"{name}.input.u8.bin"
    u8.tofile(os.path.join(FIXTURE_DIR, in_file))
    x = torch.from_numpy(u8).permute(2, 0, 1)[None].float() / 255.0
    with torch.no_grad():
        y = net(x)
    out_file = f"{name}.output.f32.bin"
    np.ascontiguousarray(y.numpy(), dtype="<f4").tofile(os.path.join(FIXTURE_DIR, out_file))
    entry = {
        "name": name,
        "style": style,
        "temporal": meta["temporal"],
        "onnx": os.path.relpath(onnx_path, REPO),
        "bytes": os.path.getsize(onnx_path),
        "sha256": sha256_file(onnx_path),
        "ops": dict(sorted(ops.items())),
        "network": {k: cfg[k] for k in ("width", "blocks", "k_in", "k_out", "norm")},
        "steps": ck.get("step"),
        "input": {"file": in_file, "dtype": "uint8", "layout": "HWC RGB", "height": FIXTURE_H,
                  "width": FIXTURE_W, "to_float": "float32(u8) / 255, NCHW",
                  "source": f"{FIXTURE_CLIP} frame {FIXTURE_FRAME} resized to {FIXTURE_W}x{FIXTURE_H}"},
        "output": {"file": out_file, "shape": list(y.shape), "dtype": "float32 LE NCHW",
                   "min": float(y.min()), "max": float(y.max()), "mean": float(y.mean())},
    }
    # the run's loss plot and schedule go beside the README (the run folder is gitignored)
    import shutil
    fig = os.path.join(HERE, "figures")
    os.makedirs(fig, exist_ok=True)
    tag = style + ("" if meta["temporal"] else "-notemporal")
    for src, dst in (("loss.png", f"loss_{tag}.png"), ("schedule.json", f"schedule_{tag}.json")):
        if os.path.exists(os.path.join(run, src)):
            shutil.copyfile(os.path.join(run, src), os.path.join(fig, dst))
    print(f"{entry['onnx']}: {entry['bytes']} bytes, ops {entry['ops']}, steps {entry['steps']}")
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", action="append", required=True)
    ap.add_argument("--allow-partial", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(0)
    man_path = os.path.join(FIXTURE_DIR, "manifest.json")
    manifest = {"description": "torch 1.13 fp32 reference outputs of the artistic stylizing "
                               "networks (models/artistic/export.py), checked by "
                               "models/artistic/check_onnx.mjs",
                "torch": torch.__version__, "nets": []}
    if os.path.exists(man_path):
        manifest["nets"] = json.load(open(man_path))["nets"]
    for run in args.run:
        e = export_run(run, args.allow_partial)
        manifest["nets"] = [n for n in manifest["nets"] if n["name"] != e["name"]] + [e]
    manifest["nets"].sort(key=lambda n: n["name"])
    with open(man_path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
