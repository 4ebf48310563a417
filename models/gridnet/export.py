#!/usr/bin/python3
"""Export a trained grid network run to ONNX (opset 17, fixed L) + guide JSON + fixtures.

  /usr/bin/python3 models/gridnet/export.py --run models/gridnet/runs/NAME [--variant notemporal]
      [--ckpt final.pt|ckpt.pt] [--no-fixtures] [--bench-dir DIR]

Writes (default variant):
  models/gridnet_mask.onnx   image [1,3,L,L], mask [1,1,L,L]                  -> mask_enh [1,1,L,L]
  models/gridnet_style.onnx  style [1,3,L,L]                                  -> style_stats [1,S]
  models/gridnet.onnx        image [1,3,L,L], mask [1,1,L,L], style_stats [2,S],
                             prev_state [2,S], alpha [1]                      -> grids [2,192,16,16], state [2,S]
  models/gridnet_guide.json  { nz, L, zY[256], zM[256], S, alpha, version, trained, interface }
  models/fixtures/gridnet/   torch reference inputs/outputs for models/gridnet/check_onnx.mjs
--variant notemporal writes models/gridnet_notemporal.onnx, gridnet_notemporal_style.onnx (the
style path's weights differ per run) and gridnet_notemporal_guide.json; the mask network is the
same file when the variant was trained with --mask-from (checked; else gridnet_notemporal_mask.onnx).
--bench-dir DIR also writes, for timing only: the L=256 graphs (same weights; L1 runs at stride 2)
and the conv guidance learner G1/G2 alone at 1280x720 (models/gridnet/bench_onnx.mjs times them).
"""
import argparse
import hashlib
import io
import json
import os
import re
import sys
import warnings

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch.onnx import symbolic_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vggwrap  # noqa: E402,F401
from guide import ConvGuide, ConvGuideOnly  # noqa: E402
from net import MainExport, MaskExport, StyleExport  # noqa: E402
from train import Bundle  # noqa: E402

MODELS = os.path.dirname(HERE)
REPO = os.path.dirname(MODELS)
FIXTURE_DIR = os.path.join(MODELS, "fixtures", "gridnet")
OPSET = 17
VERSION = 1


@symbolic_helper.parse_args("v", "is", "s", "none")
def _pad_symbolic(g, x, padding, mode, value):
    """aten::pad (nn.ReflectionPad2d) -> one ONNX Pad with constant pads (as models/export_vgg.py)."""
    if mode != "reflect" or len(padding) != 4:
        raise RuntimeError(f"unsupported pad: mode={mode} padding={padding}")
    left, right, top, bottom = padding
    pads = g.op("Constant", value_t=torch.tensor([0, 0, top, left, 0, 0, bottom, right], dtype=torch.int64))
    return g.op("Pad", x, pads, mode_s="reflect")


torch.onnx.register_custom_op_symbolic("aten::pad", _pad_symbolic, OPSET)
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def constants_to_initializers(model):
    graph = model.graph
    seen, rename, keep = {}, {}, []
    for node in graph.node:
        if node.op_type != "Constant" or len(node.attribute) != 1 or node.attribute[0].name != "value":
            keep.append(node)
            continue
        arr = numpy_helper.to_array(node.attribute[0].t)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in seen:
            seen[key] = node.output[0]
            graph.initializer.append(numpy_helper.from_array(arr, node.output[0]))
        rename[node.output[0]] = seen[key]
    for node in keep:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    del graph.node[:]
    graph.node.extend(keep)


def export_onnx(module, args, path, input_names, output_names):
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, args, buf, opset_version=OPSET, do_constant_folding=True,
                          input_names=input_names, output_names=output_names)
    model = onnx.load_from_string(buf.getvalue())
    constants_to_initializers(model)
    model.doc_string = "Restyle grid network (Xia et al. 2021), models/gridnet/export.py"
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    ops = {}
    for node in model.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    print(f"{os.path.relpath(path, REPO)}: {os.path.getsize(path)} bytes, nodes {dict(sorted(ops.items()))}")
    return path


def load_u8(path, size):
    """RGB uint8 HWC squashed to size x size (aspect not kept, as the server's low-res input)."""
    from PIL import Image, ImageOps
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB").resize((size, size), Image.LANCZOS)
        return np.asarray(im, dtype=np.uint8).copy()


def u8_to_t(u8):
    return torch.from_numpy(u8).permute(2, 0, 1).unsqueeze(0).contiguous().float() / 255.0


def write_f32(name, t):
    a = np.ascontiguousarray(t.detach().numpy(), dtype="<f4")
    a.tofile(os.path.join(FIXTURE_DIR, name))
    return {"file": name, "shape": list(a.shape), "max_abs": float(np.abs(a).max())}


def sampled(t, n=2000, seed=0):
    """values at fixed flat indices (plus mean/std/max), for tensors too big to store whole."""
    a = t.detach().numpy().astype(np.float64)
    flat = a.reshape(-1)
    rng = np.random.RandomState(seed)
    idx = sorted(set(rng.choice(flat.size, n, replace=False).tolist()) | {0, flat.size - 1})
    return {"shape": list(a.shape), "max_abs": float(np.abs(a).max()), "mean": float(a.mean()),
            "std": float(a.std()), "sample_indices": idx, "sample_values": [float(flat[i]) for i in idx]}


def fixture_cases():
    """(name, photo, mask) for the fixtures: a training-clip frame with a person and its mask
    from the data cache when available, else skimage_astronaut with an elliptic mask; and a
    photo without a person (mask all zero)."""
    from common.paths import MEDIA
    return [
        ("person", os.path.join(MEDIA, "photos", "skimage_astronaut.jpg")),
        ("noperson", os.path.join(MEDIA, "photos", "skimage_chelsea.jpg")),
    ]


def person_mask(L):
    """Mask for the fixture's person photo: the shipped selfie segmenter's mask of
    skimage_astronaut from the data cache (models/data/build.py) if present, else a hand-placed
    ellipse over the astronaut (head and shoulders)."""
    from common.paths import CACHE
    p = os.path.join(CACHE, "photos", "skimage_astronaut.mask.png")
    if os.path.exists(p):
        from PIL import Image
        with Image.open(p) as im:
            return np.asarray(im.convert("L").resize((L, L), Image.BILINEAR), dtype=np.uint8).copy()
    yy, xx = np.mgrid[0:L, 0:L] / (L - 1)
    head = ((xx - 0.45) / 0.17) ** 2 + ((yy - 0.30) / 0.22) ** 2 <= 1
    body = ((xx - 0.45) / 0.40) ** 2 + ((yy - 0.95) / 0.45) ** 2 <= 1
    return ((head | body) * 255).astype(np.uint8)


def write_fixtures(b, L, files, style_paths, alpha):
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    for f in os.listdir(FIXTURE_DIR):
        if f.endswith(".bin"):
            os.remove(os.path.join(FIXTURE_DIR, f))
    styles = []
    for role, p in zip(("fg", "bg"), style_paths):
        u8 = load_u8(p, L)
        name = f"style_{role}.u8.bin"
        u8.tofile(os.path.join(FIXTURE_DIR, name))
        with torch.no_grad():
            st = b.net.style_stats(u8_to_t(u8))
        styles.append({"role": role, "source": os.path.basename(p), "input": name,
                       "style_stats": write_f32(f"style_{role}.style_stats.f32.bin", st), "_t": st})
    style_stats = torch.cat([s["_t"] for s in styles], 0)
    cases, prev, a = [], torch.zeros(2, b.net.S), 0.0
    for name, photo in fixture_cases():
        u8 = load_u8(photo, L)
        m8 = person_mask(L) if name == "person" else np.zeros((L, L), np.uint8)
        u8.tofile(os.path.join(FIXTURE_DIR, f"{name}.image.u8.bin"))
        m8.tofile(os.path.join(FIXTURE_DIR, f"{name}.mask.u8.bin"))
        img = u8_to_t(u8)
        msk = torch.from_numpy(m8).float()[None, None] / 255.0
        with torch.no_grad():
            m_enh = b.mask(img, msk)
            grids, state = MainExport(b.net)(img, m_enh, style_stats, prev, torch.tensor([a]))
        prev_name = None
        if a > 0:
            prev_name = write_f32(f"{name}.prev_state.f32.bin", prev)
        cases.append({
            "name": name, "photo": os.path.basename(photo),
            "image": {"file": f"{name}.image.u8.bin", "layout": "HWC RGB uint8, squashed to LxL (Lanczos)",
                      "to_float": "float32(u8)/255, NCHW [1,3,L,L]"},
            "mask": {"file": f"{name}.mask.u8.bin", "layout": "HW uint8", "to_float": "float32(u8)/255 [1,1,L,L]"},
            "mask_enh": write_f32(f"{name}.mask_enh.f32.bin", m_enh),
            "main_inputs": {"mask": "the torch mask_enh above", "style_stats": "fg row 0, bg row 1 (style_*.style_stats)",
                            "prev_state": prev_name or "zeros [2,S]", "alpha": a},
            # the first case's grids whole, the second's at 2000 fixed indices (fixture < 1 MiB)
            "grids": write_f32(f"{name}.grids.f32.bin", grids) if not cases else sampled(grids),
            "state": write_f32(f"{name}.state.f32.bin", state),
        })
        prev, a = state, alpha  # the second case continues from the first one's state (TC on)
    for s in styles:
        del s["_t"]
    manifest = {
        "description": "torch fp32 reference for models/gridnet*.onnx (models/gridnet/export.py); "
                       ".f32.bin = raw little-endian float32, C order; checked by models/gridnet/check_onnx.mjs",
        "torch": torch.__version__, "L": L, "S": b.net.S, "files": files,
        "tolerance": {"mask_enh_abs": 1e-4, "style_stats_rel": 1e-4, "grids_rel": 1e-4, "state_rel": 1e-4,
                      "rel": "max abs diff / max |torch|"},
        "styles": styles, "cases": cases,
    }
    text = json.dumps(manifest, indent=1)
    text = re.sub(r"\[\s*(-?[0-9][^\[\]{}\"]*?)\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    with open(os.path.join(FIXTURE_DIR, "manifest.json"), "w") as f:
        f.write(text + "\n")
    total = sum(os.path.getsize(os.path.join(FIXTURE_DIR, f)) for f in os.listdir(FIXTURE_DIR))
    print(f"fixtures: {os.path.relpath(FIXTURE_DIR, REPO)} ({total} bytes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True)
    ap.add_argument("--variant", choices=("main", "notemporal", "control"), default="main")
    ap.add_argument("--ckpt", default=None, help="file in --run (default final.pt, else ckpt.pt)")
    ap.add_argument("--no-fixtures", action="store_true")
    ap.add_argument("--bench-dir", default=None)
    ap.add_argument("--out-dir", default=MODELS, help="where the .onnx/.json go (default models/)")
    ap.add_argument("--fixtures-dir", default=None,
                    help="where the torch fixtures go (default models/fixtures/gridnet; check_onnx.mjs --fixtures)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if args.fixtures_dir:
        global FIXTURE_DIR
        FIXTURE_DIR = os.path.abspath(args.fixtures_dir)
    torch.set_num_threads(args.threads)

    ck_name = args.ckpt or ("final.pt" if os.path.exists(os.path.join(args.run, "final.pt")) else "ckpt.pt")
    ck = torch.load(os.path.join(args.run, ck_name), map_location="cpu")
    sch = ck["schedule"]
    b = Bundle(ck["model"].get("guide_kind", "pointwise"), torch.device("cpu"))
    b.load(ck["model"])
    for m in (b.net, b.mask, b.guide):
        m.eval()
    L, S, nz = sch["L"], b.net.S, b.net.nz
    if b.guide.kind != "pointwise":
        sys.exit("only the pointwise guide exports to the engine's lookup tables")
    prefix = "gridnet" if args.variant == "main" else f"gridnet_{args.variant}"
    out = args.out_dir
    os.makedirs(out, exist_ok=True)

    img = torch.rand(1, 3, L, L)
    msk = torch.rand(1, 1, L, L)
    files = {}
    mask_name = "gridnet_mask.onnx"
    if args.variant != "main":
        # the variant's mask net: same file if identical to the exported main one
        main_mask = os.path.join(out, "gridnet_mask.onnx")
        same = False
        if os.path.exists(main_mask):
            m = onnx.load(main_mask)
            w = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
            sd = b.mask.state_dict()
            same = all(any(v.shape == sd[k].numpy().shape and np.array_equal(v, sd[k].numpy()) for v in w.values())
                       for k in sd if sd[k].dim() > 0)
        if not same:
            mask_name = f"{prefix}_mask.onnx"
    if args.variant == "main" or mask_name != "gridnet_mask.onnx":
        export_onnx(MaskExport(b.mask), (img, msk), os.path.join(out, mask_name), ["image", "mask"], ["mask_enh"])
    files["mask"] = mask_name
    files["style"] = f"{prefix}_style.onnx"
    export_onnx(StyleExport(b.net), (img,), os.path.join(out, files["style"]), ["style"], ["style_stats"])
    files["main"] = f"{prefix}.onnx"
    export_onnx(MainExport(b.net), (img, msk, torch.randn(2, S).abs() + 0.1, torch.randn(2, S).abs() + 0.1,
                                    torch.tensor([0.5])),
                os.path.join(out, files["main"]), ["image", "mask", "style_stats", "prev_state", "alpha"],
                ["grids", "state"])

    zY, zM = b.guide.luts()
    hist = [h for h in ck["history"] if h["phase"] == "main"]
    guide = {
        "version": VERSION,
        "nz": nz, "nx": 16, "ny": 16, "L": L, "S": S, "alpha": sch["alpha"],
        "zY": [round(v, 5) for v in zY], "zM": [round(v, 5) for v in zM],
        "files": files,
        "interface": {
            "colour": "engine (Y, U-128, V-128), BT.601 limited range (color.ts)",
            "mask": "gridnet_mask: image [1,3,L,L] RGB 0..1 (frame squashed to LxL), mask [1,1,L,L] "
                    "segmenter mask 0..1 -> mask_enh [1,1,L,L] 0..1",
            "style": "style [1,3,L,L] RGB 0..1 (style image squashed to LxL) -> style_stats [1,S]; "
                     "cache per style",
            "main": "image [1,3,L,L], mask [1,1,L,L] (mask_enh), style_stats [2,S] (row 0 speaker/fg, row 1 "
                    "background), prev_state [2,S] (the previous update's state; anything when alpha = 0), "
                    "alpha [1] (0: first frame / scene cut / no TC-AdaIN) -> grids [2, nz*12, 16, 16] "
                    "(row 0 fg grid, row 1 bg grid; channel k*12 + c, H index = y node j, W index = x node i; "
                    "engine layout [ny][nx][nz][12] = grids[r].reshape(nz,12,ny,nx).transpose(2,3,0,1)), "
                    "state [2,S] (feed back as prev_state)",
            "S_layout": ("per ST-AdaIN layer b = 1..3 (widths %s): [mean_b (w_b), std_b (w_b)] concatenated" %
                         list(b.net.widths)) +
                        ("; then per VGG level r11..r41 (%s channels): [mean, std]" % list(b.net.vgg_ch) if b.net.cond else "") +
                        ("; then the colour head's (Y, U-128, V-128) [mean (3), std (3)]" if b.net.colour else ""),
            "guide": "z = clamp(zY[Y] + zM[m], 0, nz-1) in grid units (float; the engine's x256 fixed point "
                     "= round(256 * value)); Y = luma byte, m = mask byte 0..255",
            "natural": "a 'natural' region uses the identity affine for its whole grid instead of the "
                       "network's row (as in training)",
            "blend": "soft grid mask (soft_grid_mask.ts, prior 0.5) from the low-res luma and mask_enh "
                     "with these LUTs, then grids blended in grid space (blendGrids) and sliced",
        },
        "trained": {"schedule": sch.get("schedule"), "steps_main": ck["step"] if ck["phase"] == "main" else 0,
                    "mask_steps": sch["mask_steps"], "L": L, "crop": sch["size"], "clips": sch["clips"],
                    "frames": sch["frames"], "lr": sch["lr"], "temporal_loss": sch["temporal"],
                    "weights": sch["weights"], "styles": sch["styles"], "data": sch["data"],
                    "minutes": round(ck.get("elapsed", 0) / 60, 1),
                    "final_total_loss": float(np.mean([h["total"] for h in hist[-50:]])) if hist else None,
                    "run": os.path.relpath(os.path.abspath(args.run), REPO), "ckpt": ck_name},
    }
    gpath = os.path.join(out, f"{prefix}_guide.json")
    text = json.dumps(guide, indent=1)
    text = re.sub(r"\[\s*(-?[0-9][^\[\]{}\"]*?)\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    with open(gpath, "w") as f:
        f.write(text + "\n")
    print(f"{os.path.relpath(gpath, REPO)} written")

    if args.variant == "main" and not args.no_fixtures:
        from common.paths import MEDIA
        sp = [os.path.join(MEDIA, "styles", "kde_fallenleaf.jpg"), os.path.join(MEDIA, "styles", "skimage_rocket.jpg")]
        write_fixtures(b, L, files, sp, sch["alpha"])

    if args.bench_dir:
        os.makedirs(args.bench_dir, exist_ok=True)
        for LL in (128, 256):
            im, mk = torch.rand(1, 3, LL, LL), torch.rand(1, 1, LL, LL)
            export_onnx(MaskExport(b.mask), (im, mk), os.path.join(args.bench_dir, f"mask_L{LL}.onnx"),
                        ["image", "mask"], ["mask_enh"])
            export_onnx(StyleExport(b.net), (im,), os.path.join(args.bench_dir, f"style_L{LL}.onnx"),
                        ["style"], ["style_stats"])
            export_onnx(MainExport(b.net), (im, mk, torch.rand(2, S) + 0.1, torch.rand(2, S) + 0.1,
                                            torch.tensor([0.5])),
                        os.path.join(args.bench_dir, f"main_L{LL}.onnx"),
                        ["image", "mask", "style_stats", "prev_state", "alpha"], ["grids", "state"])
        g = ConvGuide(nz)
        export_onnx(ConvGuideOnly(g).eval(), (torch.rand(1, 4, 720, 1280),),
                    os.path.join(args.bench_dir, "convguide_720p.onnx"), ["rgbm"], ["z"])


if __name__ == "__main__":
    main()
