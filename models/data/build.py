#!/usr/bin/python3
"""Rebuild models/data/cache/ (the training data set) from ../shared/media and Debian packages.

    nice -n 19 /usr/bin/python3 models/data/build.py [--step 3] [--only photos,styles,people]

Writes (cache/ is gitignored; everything is derived from the sources below):
  cache/photos/<name>.jpg          training/val photographs, long side <= 640 (Lanczos, q92);
                                   photos with a person also get <name>.mask.png (segmenter)
  cache/styles/<name>.jpg          style images (photoreal: long side <= 640; artistic <= 1024)
  cache/frames/<clip>_f<NNN>.jpg   frames of the training/val clips (every --step-th frame)
           + <clip>_f<NNN>.mask.png  the cleaned selfie-segmenter mask of that frame
  cache/people/<id>.png            person cut-outs (RGBA, cropped to the person, colour of the
                                   semi-transparent edge replaced by the estimated foreground)
  cache/manifest.json              every item: file, source, sha256 of the source, package +
                                   version, licence, credit, split, sizes, flags
and the committed models/data/MANIFEST.md (the same facts as a table; no data in git).

Needs: ffmpeg, node + onnxruntime-node (models/data/segment.mjs runs the shipped
models/selfie_segmentation.onnx), Debian python3-torch/-pil/-numpy/-scipy, and the wallpaper
packages named in common/splits.py (apt-get install plasma-workspace-wallpapers
mate-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04).
Never reads held-out media (common.splits.is_forbidden is asserted for every input).
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # models/
from common import splits  # noqa: E402
from common.paths import CACHE, MEDIA, MODELS, REPO, SELFIE_ONNX  # noqa: E402

PHOTO_MAX = 640
ART_MAX = 1024
SEG = 256  # selfie model input size
MANIFEST_MD = os.path.join(HERE, "MANIFEST.md")
VERSION = 1


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_PKG_VERSIONS = {}


def pkg_version(pkg):
    if pkg not in _PKG_VERSIONS:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"Debian package {pkg} is not installed: apt-get install -y {pkg}")
        _PKG_VERSIONS[pkg] = r.stdout.strip()
    return _PKG_VERSIONS[pkg]


def check_allowed(entry):
    if splits.is_forbidden(entry):
        raise RuntimeError(f"refusing held-out/forbidden item {entry['name']}")


def source_record(entry, path):
    rec = {k: entry[k] for k in ("name", "kind", "source", "licence", "credit") if k in entry}
    rec["source_file"] = path
    rec["source_sha256"] = sha256_file(path)
    if "package" in entry:
        rec["package"] = entry["package"]
        rec["package_version"] = pkg_version(entry["package"])
    for k in ("note", "content"):
        if k in entry:
            rec[k] = entry[k]
    return rec


def load_rgb(path, max_side):
    with Image.open(path) as im:
        if im.format == "JPEG":
            im.draft("RGB", (max_side, max_side))  # fast DCT downscale, still >= max_side
        im = ImageOps.exif_transpose(im).convert("RGB")
        if max(im.size) > max_side:
            s = max_side / max(im.size)
            im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.LANCZOS)
        return np.asarray(im, dtype=np.uint8).copy()


def save_jpg(arr, path, q=92):
    Image.fromarray(arr).save(path, quality=q, subsampling=0)


# ---- segmentation --------------------------------------------------------------------------

def letterbox_input(rgb):
    """HxWx3 uint8 -> (256x256x3 float32 input with 0.5 bars, box) as segmenter.ts letterboxes."""
    h, w = rgb.shape[:2]
    s = SEG / max(w, h)
    bw, bh = max(1, round(w * s)), max(1, round(h * s))
    x0, y0 = (SEG - bw) >> 1, (SEG - bh) >> 1
    small = np.asarray(Image.fromarray(rgb).resize((bw, bh), Image.BOX), dtype=np.float32) / 255.0
    inp = np.full((SEG, SEG, 3), 0.5, np.float32)
    inp[y0:y0 + bh, x0:x0 + bw] = small
    return inp, (x0, y0, bw, bh)


def run_segmenter(images):
    """List of HxWx3 uint8 -> list of (256-letterbox crop prob map float32 [bh,bw])."""
    tmp = tempfile.mkdtemp(prefix="restyle_seg_")
    try:
        inps, boxes = zip(*[letterbox_input(im) for im in images])
        np.stack(inps).astype("<f4").tofile(os.path.join(tmp, "in.f32"))
        r = subprocess.run(["node", os.path.join(HERE, "segment.mjs"), os.path.join(tmp, "in.f32"),
                            os.path.join(tmp, "out.f32")], cwd=REPO, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("segment.mjs failed:\n" + r.stdout + r.stderr)
        out = np.fromfile(os.path.join(tmp, "out.f32"), "<f4").reshape(len(images), SEG, SEG)
        return [out[i, y0:y0 + bh, x0:x0 + bw].copy() for i, (x0, y0, bw, bh) in enumerate(boxes)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def box(x, r):
    return ndimage.uniform_filter(x, size=2 * r + 1, mode="reflect")


def guided_filter(guide, p, r, eps):
    """He et al. grey-guide guided filter (guide, p: float HxW)."""
    mi, mp = box(guide, r), box(p, r)
    cov = box(guide * p, r) - mi * mp
    var = box(guide * guide, r) - mi * mi
    a = cov / (var + eps)
    b = mp - a * mi
    return box(a, r) * guide + box(b, r)


def clean_mask(rgb, prob_small):
    """Segmenter probability (letterbox crop) -> cleaned soft alpha at the frame's size.

    Bilinear upsampling, a guided filter on the frame's luma (snaps the 256-px mask to the
    frame's own edges), the largest connected person region (plus big secondary parts, holes
    filled), and a smoothstep that keeps a 1-3 px soft edge.
    """
    h, w = rgb.shape[:2]
    p = np.asarray(Image.fromarray(prob_small.astype(np.float32), mode="F").resize((w, h), Image.BILINEAR))
    gray = rgb.astype(np.float32).mean(axis=2) / 255.0
    r = max(2, round(max(h, w) / 80))
    q = np.clip(guided_filter(gray, p, r, 2e-3), 0, 1)
    hard = q > 0.5
    lab, n = ndimage.label(hard)
    if n == 0:
        return np.zeros((h, w), np.float32)
    areas = ndimage.sum(hard, lab, index=np.arange(1, n + 1))
    keep = np.zeros(n + 1, bool)
    keep[1:] = areas >= 0.15 * areas.max()
    core = ndimage.binary_fill_holes(keep[lab])
    near = ndimage.binary_dilation(core, iterations=3)
    inner = ndimage.binary_erosion(core, iterations=3)
    a = np.clip((q - 0.25) / 0.5, 0, 1)
    a = a * a * (3 - 2 * a)  # smoothstep 0.25..0.75
    a = np.where(inner, 1.0, np.where(near, a, 0.0))
    return a.astype(np.float32)


def estimate_foreground(rgb, alpha, sigma=3.0):
    """Replace the colour of semi-transparent pixels by a blur of nearby opaque foreground
    (removes most of the old background from the cut-out's edge)."""
    solid = (alpha > 0.97).astype(np.float32)
    img = rgb.astype(np.float32)
    wsum = ndimage.gaussian_filter(solid, sigma)
    fg = np.stack([ndimage.gaussian_filter(img[..., c] * solid, sigma) for c in range(3)], -1)
    fg = fg / np.maximum(wsum, 1e-6)[..., None]
    ok = (wsum > 1e-3)[..., None]
    edge = ((alpha > 0) & (alpha <= 0.97))[..., None]
    out = np.where(edge & ok, fg, img)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def touches(alpha, thr=0.5, px=2, min_count=4):
    a = alpha > thr
    return {
        "top": int(a[:px].sum()) >= min_count,
        "bottom": int(a[-px:].sum()) >= min_count,
        "left": int(a[:, :px].sum()) >= min_count,
        "right": int(a[:, -px:].sum()) >= min_count,
    }


def make_cutout(rgb, alpha, out_png, margin=4):
    """Write an RGBA cut-out cropped to the person; returns its metadata."""
    h, w = alpha.shape
    ys, xs = np.nonzero(alpha > 0.02)
    y0, y1 = max(0, ys.min() - margin), min(h, ys.max() + 1 + margin)
    x0, x1 = max(0, xs.min() - margin), min(w, xs.max() + 1 + margin)
    fg = estimate_foreground(rgb, alpha)
    rgba = np.concatenate([fg, np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)[..., None]], -1)
    Image.fromarray(rgba[y0:y1, x0:x1], "RGBA").save(out_png, optimize=False, compress_level=6)
    return {
        "file": os.path.relpath(out_png, CACHE),
        "frame_size": [w, h],
        "bbox": [int(x0), int(y0), int(x1), int(y1)],
        "touches": touches(alpha),  # which frame borders cut the person (keep them outside)
        "area": float(alpha.mean()),
    }


# ---- steps ---------------------------------------------------------------------------------

def build_photos(man):
    os.makedirs(os.path.join(CACHE, "photos"), exist_ok=True)
    recs, person_imgs = [], []
    for split, entries in (("train", splits.TRAIN_PHOTOS), ("val", splits.VAL_PHOTOS)):
        for e in entries:
            check_allowed(e)
            src = splits.source_path(e)
            rgb = load_rgb(src, PHOTO_MAX)
            out = os.path.join(CACHE, "photos", e["name"] + ".jpg")
            save_jpg(rgb, out)
            rec = source_record(e, src)
            rec.update(split=split, file=os.path.relpath(out, CACHE), size=[rgb.shape[1], rgb.shape[0]],
                       person=bool(e.get("person")))
            recs.append(rec)
            person_imgs.append(rgb)
    probs = run_segmenter(person_imgs)
    people = []
    for rec, rgb, prob in zip(recs, person_imgs, probs):
        alpha = clean_mask(rgb, prob)
        rec["segmenter_coverage"] = round(float((alpha > 0.5).mean()), 4)
        if rec["person"]:
            mpath = os.path.join(CACHE, "photos", rec["name"] + ".mask.png")
            Image.fromarray(np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8), "L").save(mpath)
            rec["mask"] = os.path.relpath(mpath, CACHE)
            os.makedirs(os.path.join(CACHE, "people"), exist_ok=True)
            cut = make_cutout(rgb, alpha, os.path.join(CACHE, "people", rec["name"] + ".png"))
            cut.update(name=rec["name"], split=rec["split"], source=rec["name"], source_kind="photo", licence=rec["licence"],
                       credit=rec["credit"])
            people.append(cut)
        elif rec["segmenter_coverage"] > 0.05:
            print(f"  note: segmenter finds {rec['segmenter_coverage']:.0%} person in {rec['name']} "
                  "(not flagged as a person photo: its mask is 0 in samples)")
    man["photos"] = recs
    man.setdefault("people", [])
    man["people"] = [p for p in man["people"] if p.get("source_kind") == "clip"] + people
    print(f"photos: {len(recs)} ({sum(r['split'] == 'train' for r in recs)} train), "
          f"{len(people)} person photos")


def build_styles(man):
    os.makedirs(os.path.join(CACHE, "styles"), exist_ok=True)
    recs = []
    for group, entries, max_side in (("train", splits.TRAIN_STYLES, PHOTO_MAX),
                                     ("val", splits.VAL_STYLES, PHOTO_MAX),
                                     ("artistic", splits.ARTISTIC_STYLES, ART_MAX)):
        for e in entries:
            check_allowed(e)
            src = splits.source_path(e)
            rgb = load_rgb(src, max_side)
            out = os.path.join(CACHE, "styles", e["name"] + ".jpg")
            save_jpg(rgb, out, q=95)
            rec = source_record(e, src)
            rec.update(split=group, file=os.path.relpath(out, CACHE), size=[rgb.shape[1], rgb.shape[0]])
            recs.append(rec)
    man["styles"] = recs
    print(f"styles: {len(recs)}")


def decode_clip(path):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", path],
                           capture_output=True, text=True, check=True).stdout.strip().split(",")
    w, h = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def build_people(man, step):
    for d in ("frames", "people"):
        os.makedirs(os.path.join(CACHE, d), exist_ok=True)
    frames_recs, clip_recs, people = [], [], []
    for split, entries in (("train", splits.TRAIN_CLIPS), ("val", splits.VAL_CLIPS)):
        for e in entries:
            check_allowed(e)
            src = splits.source_path(e)
            video = decode_clip(src)
            idx = list(range(0, len(video), step))
            rec = source_record(e, src)
            rec.update(split=split, frames_total=int(len(video)), frames_used=len(idx),
                       size=[int(video.shape[2]), int(video.shape[1])])
            clip_recs.append(rec)
            imgs = [video[i] for i in idx]
            probs = run_segmenter(imgs)
            for i, rgb, prob in zip(idx, imgs, probs):
                alpha = clean_mask(rgb, prob)
                fid = f"{e['name']}_f{i:03d}"
                cov = float((alpha > 0.5).mean())
                if cov < 0.03:
                    print(f"  skip {fid}: mask covers {cov:.1%}")
                    continue
                fpath = os.path.join(CACHE, "frames", fid + ".jpg")
                mpath = os.path.join(CACHE, "frames", fid + ".mask.png")
                save_jpg(rgb, fpath)
                Image.fromarray(np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8), "L").save(mpath)
                frames_recs.append({"name": fid, "clip": e["name"], "frame": i, "split": split,
                                    "file": os.path.relpath(fpath, CACHE),
                                    "mask": os.path.relpath(mpath, CACHE), "coverage": round(cov, 4)})
                cut = make_cutout(rgb, alpha, os.path.join(CACHE, "people", fid + ".png"))
                cut.update(name=fid, split=split, source=e["name"], source_kind="clip", frame=i,
                           licence=e["licence"], credit=e["credit"])
                people.append(cut)
            print(f"  {e['name']}: {len(video)} frames, {len(idx)} segmented")
    man["clips"] = clip_recs
    man["frames"] = frames_recs
    man["people"] = people + [p for p in man.get("people", []) if p.get("source_kind") != "clip"]
    print(f"people: {len(people)} cut-outs from {len(clip_recs)} clips")


def dir_size(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def shared_rel(path):
    """../shared/media/... for files of the shared media folder, else the absolute path."""
    if path.startswith(MEDIA + os.sep):
        return "../shared/media/" + os.path.relpath(path, MEDIA)
    return path


def write_manifest_md(man):
    L = []
    L.append("# Training data set: sources, licences, credits")
    L.append("")
    L.append("Generated by `models/data/build.py` (do not edit by hand); the data itself is rebuilt "
             "into the gitignored `models/data/cache/` (see `models/data/README.md`). ")
    L.append(f"Built with {man['tool_versions']} (`cache/manifest.json` has the full sha256 of "
             "every source file and the build date).")
    L.append("")
    L.append("Only free-licence items; nothing held out (see `models/common/splits.py`): no "
             "`dps_*` (academic), no OpenCV samples except the public-domain Starry Night painting, "
             "none of the eval's clips, photos or styles, nor the Debian originals of the held-out KDE images.")
    L.append("")
    L.append("## Debian packages")
    L.append("")
    L.append("| package | version | licence terms (its copyright file) |")
    L.append("|---|---|---|")
    lic = {"plasma-workspace-wallpapers": "per image metadata.json: LGPL-3.0 or CC-BY-SA-4.0; Debian copyright: GPL-2+",
           "mate-backgrounds": "per file: GPL-2+ (nature photos), CC-BY-SA-4.0 (Ubuntu MATE)",
           "lomiri-wallpapers-16.04": "per file: CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0",
           "lomiri-wallpapers-20.04": "per file: CC-BY-SA-3.0"}
    for p, v in sorted(man["packages"].items()):
        L.append(f"| `{p}` | {v} | {lic.get(p, '')} |")
    L.append("")
    L.append("## Clips (person cut-outs and webcam frames)")
    L.append("")
    L.append("| name | split | file | sha256 | frames used / total | licence | credit |")
    L.append("|---|---|---|---|---|---|---|")
    for c in man["clips"]:
        L.append(f"| {c['name']} | {c['split']} | `{shared_rel(c['source_file'])}` | "
                 f"`{c['source_sha256'][:16]}…` | {c['frames_used']} / {c['frames_total']} | {c['licence']} | {c['credit']} |")
    for title, key in (("Photographs", "photos"), ("Styles", "styles")):
        L.append("")
        L.append(f"## {title}")
        L.append("")
        L.append("| name | split | source file | package (version) | sha256 | licence | credit |")
        L.append("|---|---|---|---|---|---|---|")
        for r in man[key]:
            src = shared_rel(r["source_file"])
            pkg = f"{r['package']} ({r['package_version']})" if "package" in r else f"../shared/media (from {r['source']})"
            extra = f" ({r['note']})" if "note" in r else ""
            L.append(f"| {r['name']} | {r['split']} | `{src}` | {pkg} | `{r['source_sha256'][:16]}…` | "
                     f"{r['licence']} | {r['credit']}{extra} |")
    L.append("")
    L.append("Photo and style files are resized copies (Lanczos, long side <= 640 px; artistic styles "
             "<= 1024 px). Person cut-outs and masks are derived from the clips' frames and the two "
             "person photos with the shipped MediaPipe Selfie segmenter "
             "(`models/selfie_segmentation.onnx`, Apache-2.0).")
    with open(MANIFEST_MD, "w") as f:
        f.write("\n".join(L) + "\n")


def main():
    global CACHE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--step", type=int, default=3, help="segment every N-th clip frame (default 3)")
    ap.add_argument("--only", default="photos,styles,people",
                    help="comma list of steps to (re)build (default all; 'none' only rewrites "
                         "manifest.json and MANIFEST.md)")
    ap.add_argument("--cache", default=CACHE, help="output folder (default models/data/cache; "
                    "another folder is for test builds: the samplers read models/data/cache)")
    args = ap.parse_args()
    CACHE = os.path.abspath(args.cache)
    if not os.path.exists(SELFIE_ONNX):
        sys.exit(f"missing {SELFIE_ONNX}")
    os.makedirs(CACHE, exist_ok=True)
    mpath = os.path.join(CACHE, "manifest.json")
    man = json.load(open(mpath)) if os.path.exists(mpath) else {}
    steps = [x for x in args.only.split(",") if x and x != "none"]
    t0 = time.time()
    timings = man.get("timings_s", {})
    for name, fn in (("photos", lambda: build_photos(man)), ("styles", lambda: build_styles(man)),
                     ("people", lambda: build_people(man, args.step))):
        if name in steps:
            t = time.time()
            fn()
            timings[name] = round(time.time() - t, 1)
    import torch
    man.update(
        version=VERSION,
        built=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        step=args.step,
        tool_versions=f"ffmpeg, Pillow {Image.__version__}, numpy {np.__version__}, "
                      f"torch {torch.__version__}, onnxruntime-node (repo), selfie_segmentation.onnx "
                      f"sha256 {sha256_file(SELFIE_ONNX)[:16]}…",
        timings_s=timings,
        packages={p: pkg_version(p) for r in man.get("photos", []) + man.get("styles", [])
                  for p in [r.get("package")] if p},
    )
    man["bytes"] = dir_size(CACHE)
    with open(mpath + ".tmp", "w") as f:
        json.dump(man, f, indent=1)
    os.replace(mpath + ".tmp", mpath)  # atomic: running samplers may be reading it
    if CACHE != os.path.join(MODELS, "data", "cache"):
        print("test build: MANIFEST.md not rewritten")
    else:
        write_manifest_md(man)
    print(f"cache: {man['bytes'] / 1e6:.1f} MB in {CACHE}; "
          f"build {time.time() - t0:.1f} s; wrote {os.path.relpath(MANIFEST_MD, REPO)}")


if __name__ == "__main__":
    main()
