#!/usr/bin/python3
"""Export the distilled VGG-19 relu4_1 encoder/decoder pair ("4SE"/"4SD") to ONNX.

Source: Collaborative Distillation (Wang et al., CVPR 2020),
https://github.com/MingSun-Tse/Collaborative-Distillation (MIT licence, see
models/LICENSE.collaborative-distillation). The networks below are a re-implementation of
the upstream classes `SmallEncoder4_16x_aux` and `SmallDecoder4_16x` from the layer lists in
/work/shared/models/upstream/README.md, defined in models/common/vgg.py (shared with the
training code); the upstream state dicts load into them with strict=True.

Writes (relative to the repository root):
  models/vgg_enc4.onnx   image [N,3,H,W] RGB in [0,1]  ->  r11 [N,16,H,W], r21 [N,32,H/2,W/2],
                                                          r31 [N,64,H/4,W/4], r41 [N,128,H/8,W/8]
  models/vgg_dec4.onnx   feat [N,128,h,w]               ->  image [N,3,8h,8w] clamped to [0,1]
  models/fixtures/vgg_check/   torch reference outputs for models/check_vgg_onnx.mjs

Usage (Debian python with torch 1.13 CPU, onnx 1.12, Pillow):
  /usr/bin/python3 models/export_vgg.py [--weights-dir DIR] [--photos-dir DIR]
"""

import argparse
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
from PIL import Image, ImageOps
from torch.onnx import symbolic_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # models/: `common` package
from common.paths import MODELS, REPO  # noqa: E402
from common.vgg import (DEC4_FILE, ENC4_FILE, SHA256, Decoder4, Encoder4Export,  # noqa: E402
                        load_weights, sha256_file)

FIXTURE_DIR = os.path.join(MODELS, "fixtures", "vgg_check")

DEFAULT_WEIGHTS_DIR = "/work/shared/models/upstream/Collaborative-Distillation"
DEFAULT_PHOTOS_DIR = "/work/shared/media/photos"

OPSET = 17  # highest opset supported by torch 1.13's exporter

# (photo, width, height): both sizes are multiples of 8 and non-square (H != W) so that
# an H/W mix-up in a consumer shows up.
FIXTURE_PHOTOS = [
    ("skimage_astronaut.jpg", 256, 192),
    ("dps_in11.jpg", 200, 328),
]
N_SAMPLES = 300  # sampled values stored for r11/r21/r31


def build_models(weights_dir):
    # the exact modules of common/vgg.py (Encoder4Export = Encoder4 with a tuple forward)
    enc = Encoder4Export(pretrained=False)
    enc.load_state_dict(load_weights(ENC4_FILE, weights_dir), strict=True)
    dec = Decoder4(pretrained=False)
    dec.load_state_dict(load_weights(DEC4_FILE, weights_dir), strict=True)
    return enc.eval(), dec.eval()


@symbolic_helper.parse_args("v", "is", "s", "none")
def _pad_symbolic(g, x, padding, mode, value):
    """aten::pad (what nn.ReflectionPad2d traces to) -> one ONNX Pad with constant pads.

    torch 1.13's own symbolic builds the pads with a ConstantOfShape/Concat/Reshape/Slice
    (step -1)/Transpose/Cast subgraph per pad that its constant folding cannot fold.
    """
    if mode != "reflect" or len(padding) != 4:
        raise RuntimeError(f"unsupported pad: mode={mode} padding={padding}")
    left, right, top, bottom = padding
    pads = g.op("Constant",
                value_t=torch.tensor([0, 0, top, left, 0, 0, bottom, right], dtype=torch.int64))
    return g.op("Pad", x, pads, mode_s="reflect")


torch.onnx.register_custom_op_symbolic("aten::pad", _pad_symbolic, OPSET)
# harmless: emitted for the Constant created in _pad_symbolic (its shape is given)
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")


def constants_to_initializers(model):
    """Move Constant nodes into (deduplicated) graph initializers, in place."""
    graph = model.graph
    seen = {}  # (dtype, dims, bytes) -> initializer name
    rename = {}
    keep = []
    for node in graph.node:
        if node.op_type != "Constant":
            keep.append(node)
            continue
        (attr,) = node.attribute
        assert attr.name == "value", attr.name
        arr = numpy_helper.to_array(attr.t)
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


def export_onnx(module, dummy, path, input_names, output_names, dynamic_axes):
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            module,
            dummy,
            buf,
            opset_version=OPSET,
            do_constant_folding=True,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
        )
    model = onnx.load_from_string(buf.getvalue())
    constants_to_initializers(model)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    ops = {}
    for node in model.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    print(f"{os.path.relpath(path, REPO)}: {os.path.getsize(path)} bytes, "
          f"sha256 {sha256_file(path)}, opset {model.opset_import[0].version}, "
          f"nodes {dict(sorted(ops.items()))}")


def export(enc, dec):
    export_onnx(
        enc,
        torch.rand(1, 3, 64, 48),
        os.path.join(MODELS, "vgg_enc4.onnx"),
        ["image"],
        ["r11", "r21", "r31", "r41"],
        {
            "image": {0: "N", 2: "H", 3: "W"},
            "r11": {0: "N", 2: "H", 3: "W"},
            "r21": {0: "N", 2: "H_2", 3: "W_2"},
            "r31": {0: "N", 2: "H_4", 3: "W_4"},
            "r41": {0: "N", 2: "H_8", 3: "W_8"},
        },
    )
    export_onnx(
        dec,
        torch.rand(1, 128, 8, 6),
        os.path.join(MODELS, "vgg_dec4.onnx"),
        ["feat"],
        ["image"],
        {
            "feat": {0: "N", 2: "h", 3: "w"},
            "image": {0: "N", 2: "H", 3: "W"},
        },
    )


def load_photo(path, width, height):
    """RGB uint8 HWC, centre-cropped to the target aspect and resized (Lanczos)."""
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        im = ImageOps.fit(im, (width, height), method=Image.LANCZOS)
        return np.asarray(im, dtype=np.uint8).copy()


def write_f32(name, arr):
    arr = np.ascontiguousarray(arr, dtype="<f4")
    arr.tofile(os.path.join(FIXTURE_DIR, name))
    return name


def stats(arr):
    a = arr.astype(np.float64)
    return {
        "max_abs": float(np.abs(a).max()),
        "mean": float(a.mean()),
        "std": float(a.std()),
    }


def sample_indices(size, seed):
    rng = np.random.RandomState(seed)
    idx = set(rng.choice(size, N_SAMPLES - 4, replace=False).tolist())
    idx.update([0, 1, size - 2, size - 1])  # include the borders of the first/last plane
    return sorted(int(i) for i in idx)


def write_fixture(enc, dec, photos_dir):
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    for f in os.listdir(FIXTURE_DIR):
        if f.endswith(".bin"):
            os.remove(os.path.join(FIXTURE_DIR, f))
    cases = []
    for k, (photo, width, height) in enumerate(FIXTURE_PHOTOS):
        rgb = load_photo(os.path.join(photos_dir, photo), width, height)
        tag = f"{os.path.splitext(photo)[0]}_{width}x{height}"
        # The input is stored as uint8 HWC (the exact source of the float tensor, 4x smaller):
        # image[0, c, y, x] = float32(u8[y, x, c]) / 255 (a float32 division, exact in JS).
        in_name = f"{tag}.input.u8.bin"
        rgb.tofile(os.path.join(FIXTURE_DIR, in_name))
        x = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).contiguous().float() / 255.0
        with torch.no_grad():
            r11, r21, r31, r41 = enc(x)
            img = dec(r41)
            # informational: how far float32 torch itself is from float64 torch
            enc64, dec64 = enc.double(), dec.double()
            r41_64 = enc64(x.double())[3]
            img_64 = dec64(r41_64)
            enc.float(), dec.float()
        print(f"{tag}: torch fp32 vs fp64: r41 max abs diff "
              f"{(r41.double() - r41_64).abs().max().item():.3g} "
              f"(max |r41| {r41.abs().max().item():.4g}), image "
              f"{(img.double() - img_64).abs().max().item():.3g}")
        tensors = {}
        for name, t in (("r11", r11), ("r21", r21), ("r31", r31)):
            a = t.numpy()
            idx = sample_indices(a.size, seed=1000 * k + int(name[1]))
            flat = a.reshape(-1)
            tensors[name] = {
                "shape": list(a.shape),
                **stats(a),
                "sample_indices": idx,
                "sample_values": [float(v) for v in flat[idx]],
            }
        for name, t in (("r41", r41), ("decoded", img)):
            a = t.numpy()
            tensors[name] = {
                "shape": list(a.shape),
                "file": write_f32(f"{tag}.{name}.f32.bin", a),
                **stats(a),
            }
        cases.append({
            "name": tag,
            "photo": photo,
            "input": {
                "file": in_name,
                "dtype": "uint8",
                "layout": "HWC RGB",
                "height": height,
                "width": width,
                "tensor_shape": [1, 3, height, width],
                "to_float": "float32(u8) / 255, NCHW",
            },
            "encoder_outputs": {k2: tensors[k2] for k2 in ("r11", "r21", "r31", "r41")},
            "decoder": {
                "input": "r41 (the torch encoder output above)",
                "output": tensors["decoded"],
            },
        })
    manifest = {
        "description": "torch 1.13 fp32 reference outputs of models/vgg_enc4.onnx and "
                       "models/vgg_dec4.onnx (written by models/export_vgg.py, checked by "
                       "models/check_vgg_onnx.mjs). .f32.bin files are raw little-endian "
                       "float32 in NCHW order; r11/r21/r31 are stored as statistics plus "
                       "values at fixed flat NCHW indices only.",
        "torch": torch.__version__,
        "weights": {"encoder": ENC4_FILE, "decoder": DEC4_FILE,
                    "sha256": {ENC4_FILE: SHA256[ENC4_FILE], DEC4_FILE: SHA256[DEC4_FILE]}},
        "cases": cases,
    }
    text = json.dumps(manifest, indent=1)
    # keep number lists (shapes, sample indices/values) on one line
    text = re.sub(r"\[\s*(-?[0-9][^\[\]{}\"]*?)\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]",
                  text)
    with open(os.path.join(FIXTURE_DIR, "manifest.json"), "w") as f:
        f.write(text + "\n")
    total = sum(os.path.getsize(os.path.join(FIXTURE_DIR, f)) for f in os.listdir(FIXTURE_DIR))
    print(f"fixture: {os.path.relpath(FIXTURE_DIR, REPO)} ({total} bytes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights-dir", default=DEFAULT_WEIGHTS_DIR)
    ap.add_argument("--photos-dir", default=DEFAULT_PHOTOS_DIR)
    args = ap.parse_args()
    torch.manual_seed(0)
    enc, dec = build_models(args.weights_dir)
    export(enc, dec)
    write_fixture(enc, dec, args.photos_dir)


if __name__ == "__main__":
    main()
