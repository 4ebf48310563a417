"""Training clips generated on the fly with exact optical flow and speaker masks.

    from common.data import ClipSampler, StylePool
    sampler = ClipSampler(split='train', frames=5, size=128, seed=0)
    rng = np.random.default_rng(0)
    b = sampler.batch(2, rng)          # dict of float32 tensors [2, T, ...]

sample(rng) -> dict of float32 tensors (S = size; size may also be (H, W)):
  frames       [T,3,S,S]   RGB in [0,1]
  masks        [T,1,S,S]   speaker mask in [0,1]: exact (the cut-out's alpha) for composites,
                           the warped (cleaned) segmenter mask for webcam frames / person
                           photos, 0 everywhere when the sample has no person
  noisy_masks  [T,1,S,S]   masks degraded like a segmenter's (erosion/dilation, low resolution,
                           blur, softness, holes, false blobs, shifts, one-frame lag, flicker)
  flows        [T-1,2,S,S] flows[t-1] maps frame t to frame t-1 (pixels, channel 0 = x,
                           1 = y): common.flow.warp(frames[t-1], flows[t-1]) ~= frames[t]
  valid        [T-1,1,S,S] 1 where that holds: in frame, not occluded, not on a soft mask
                           edge (both layers mix there), 0 across a scene cut
  cut          [T]         (extra) 1 at frame t when a scene cut / light change happened
                           between t-1 and t (only with scene_cut=True)
  has_person   [1]         (extra) 1 when the sample has a speaker
batch(n, rng) stacks n samples -> [n, T, ...]; batches(n, rng, prefetch=k) iterates over them
(k > 0: made ahead in a background thread).

Sample kinds (mix, default 0.25 / 0.6 / 0.15):
  photo   a photograph under a synthetic camera (pan, zoom, rotation, small affine, shake)
  person  a person cut-out (RGBA from the training clips' frames; alpha from the shipped
          selfie segmenter, cleaned) with its own motion over a person-free photo with its
          own camera motion; alpha-composited with premultiplied bilinear sampling
  frame   a whole webcam frame of a training clip (person in an office) under a camera
          motion; mask = its segmenter mask moved with the same motion
Every layer is an affine map of a still source, so the flow is exact (up to bilinear
resampling of the frames themselves). Scene cuts and global light changes never appear in
the temporal pairs unless asked for: sample(rng, scene_cut=True) splices two clips (or
changes exposure / white balance) at a random t with valid = 0 for that pair.

The data comes from models/data/cache/ (build it with `/usr/bin/python3 models/data/build.py`);
decoded pools are cached in memory per process (~250 MB for the train split).
"""
import json
import math
import os
import queue
import threading

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from . import splits
from .flow import in_frame, warp
from .paths import CACHE, MEDIA

__all__ = ["ClipSampler", "StylePool", "load_image", "noisy_masks"]

_POOLS = {}
_MANIFEST = None
DEFAULT_MIX = {"photo": 0.25, "person": 0.6, "frame": 0.15}


def _manifest():
    global _MANIFEST
    if _MANIFEST is None:
        path = os.path.join(CACHE, "manifest.json")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing: run `nice -n 19 /usr/bin/python3 "
                                    "models/data/build.py` first")
        with open(path) as f:
            _MANIFEST = json.load(f)
    return _MANIFEST


def _u8(path, mode="RGB"):
    with Image.open(path) as im:
        a = np.asarray(im.convert(mode), dtype=np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    return torch.from_numpy(np.array(a.transpose(2, 0, 1), copy=True, order="C"))


def load_image(path, size=None):
    """An image file -> float32 [1,3,H,W] RGB in [0,1]. size: None (as is), an int (long
    side, aspect kept) or (h, w) (squashed)."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        if isinstance(size, int):
            s = size / max(im.size)
            im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.LANCZOS)
        elif size is not None:
            im = im.resize((size[1], size[0]), Image.LANCZOS)
        a = np.asarray(im, dtype=np.float32) / 255.0
    return torch.from_numpy(a.transpose(2, 0, 1).copy()).unsqueeze(0)


def _mips(img_u8, min_side=48):
    """uint8 [C,h,w] -> list of levels (level L = 2^L x 2^L box average; pixel centre u at
    level 0 is at (u + 0.5) / 2^L - 0.5 at level L)."""
    levels = [img_u8]
    x = img_u8.float()
    while min(x.shape[-2:]) >= 2 * min_side:
        x = F.avg_pool2d(x[None], 2)[0]
        levels.append(x.round().clamp(0, 255).to(torch.uint8))
    return levels


class _Pool:
    """Decoded sources of one split: uint8 mip pyramids (RGB, RGB+mask, or premultiplied RGBA)."""

    def __init__(self, split, frame_stride=2):
        man = _manifest()
        self.photos, self.backgrounds, self.frames, self.people = [], [], [], []
        for r in man["photos"]:
            if r["split"] != split:
                continue
            assert not splits.is_forbidden(r["name"])
            img = _u8(os.path.join(CACHE, r["file"]))
            if r.get("mask"):
                img = torch.cat([img, _u8(os.path.join(CACHE, r["mask"]), "L")])
            item = {"name": r["name"], "mip": _mips(img), "mask": bool(r.get("mask"))}
            self.photos.append(item)
            if not item["mask"]:
                self.backgrounds.append(item)  # person-free: usable behind a cut-out
        recs = [r for r in man.get("frames", []) if r["split"] == split]
        for r in recs[::frame_stride]:
            img = torch.cat([_u8(os.path.join(CACHE, r["file"])), _u8(os.path.join(CACHE, r["mask"]), "L")])
            self.frames.append({"name": r["name"], "mip": _mips(img), "mask": True})
        for r in man["people"]:
            if r["split"] != split:
                continue
            rgba = _u8(os.path.join(CACHE, r["file"]), "RGBA")
            a = rgba[3:4].float() / 255.0
            pm = torch.cat([(rgba[:3].float() * a).round().to(torch.uint8), rgba[3:4]])  # premultiplied
            bottom = torch.nonzero(rgba[3, -1] > 127).flatten()
            self.people.append({"name": r["name"], "mip": _mips(pm), "touches": r["touches"],
                                "size": tuple(rgba.shape[-2:]),
                                "bottom_x": float(bottom.float().mean()) if len(bottom) else None})
        if not self.photos or not self.people:
            raise RuntimeError(f"split {split!r}: empty pools in {CACHE} (rebuild the cache)")


def _pool(split):
    if split not in ("train", "val"):
        raise ValueError("split must be 'train' or 'val' (held-out media are never sampled)")
    if split not in _POOLS:
        _POOLS[split] = _Pool(split)
    return _POOLS[split]


# ---- geometry (numpy float64; 3x3 maps from output pixel (x, y, 1) to source pixel) --------

def _rot(t):
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, -s], [s, c]])


def _h(m2, t2):
    a = np.eye(3)
    a[:2, :2] = m2
    a[:2, 2] = t2
    return a


_MOTION = {  # per level: speed (fraction of size / frame), zoom / frame, rotation deg / frame, shake
    "static": (0.0, 0.0, 0.0, 0.0),
    "slow": (0.015, 0.01, 0.3, 0.003),
    "fast": (0.06, 0.04, 1.5, 0.01),
}


def _motion(rng, level, size, scale=1.0):
    vmax, zmax, wmax, shake = _MOTION[level]
    lo = {"static": 0, "slow": 0, "fast": 0.25}[level]
    speed = size * vmax * rng.uniform(lo, 1.0) * scale
    ang = rng.uniform(0, 2 * math.pi)
    v = np.array([math.cos(ang), math.sin(ang)]) * speed
    acc = v * rng.uniform(-0.3, 0.3)
    z = rng.uniform(-zmax, zmax) * scale
    w = math.radians(rng.uniform(-wmax, wmax)) * scale
    sh = size * shake * rng.uniform(0, 1) * scale
    return v, acc, z, w, sh


def _camera_maps(rng, T, H, W, src_h, src_w, level, motion_scale, aug=True, zoom=(0.3, 1.0)):
    """Maps A_t (output -> source) of a camera looking at a still photo; all output corners
    stay inside the source for every t. zoom: the view's size as a fraction of the largest
    view that fits (log-uniform), never magnifying the source more than ~1.7x if avoidable."""
    o = np.array([(W - 1) / 2, (H - 1) / 2])
    th0 = math.radians(rng.uniform(-4, 4)) if aug and rng.random() < 0.5 else 0.0
    an = rng.uniform(-0.06, 0.06) if aug and rng.random() < 0.3 else 0.0
    shear = rng.uniform(-0.06, 0.06) if aug and rng.random() < 0.2 else 0.0
    flip = -1.0 if aug and rng.random() < 0.5 else 1.0
    v, acc, z, w, sh = _motion(rng, level, min(H, W), motion_scale)
    base = np.array([[flip * (1 + an), shear], [0.0, 1 - an]])
    ms, ds = [], []
    for t in range(T):
        m = math.exp(z * t) * _rot(th0 + w * t) @ base
        d = v * t + 0.5 * acc * t * t + (rng.normal(0, sh, 2) if sh > 0 and t > 0 else 0.0)
        ms.append(m)
        ds.append(d)
    corners = np.array([[0, 0], [W - 1, 0], [0, H - 1], [W - 1, H - 1]], float) - o
    pts = np.concatenate([corners @ m.T + d for m, d in zip(ms, ds)])  # at s0 = 1, c0 = 0
    lo, hi = pts.min(0), pts.max(0)
    span = np.maximum(hi - lo, 1e-6)
    s_max = min((src_w - 3) / span[0], (src_h - 3) / span[1])
    s_lo = max(min(0.6, s_max), zoom[0] * s_max)
    s_max = max(s_lo, zoom[1] * s_max)
    s0 = math.exp(rng.uniform(math.log(s_lo), math.log(s_max))) if s_max > s_lo else s_max
    c_lo = np.array([1.0, 1.0]) - s0 * lo
    c_hi = np.array([src_w - 2.0, src_h - 2.0]) - s0 * hi
    c0 = c_lo + rng.uniform(0, 1, 2) * np.maximum(c_hi - c_lo, 0)
    # q = c0 + s0 * (M_t (p - o) + d_t)
    return [_h(s0 * m, c0 + s0 * (d - m @ o)) for m, d in zip(ms, ds)]


def _person_maps(rng, T, H, W, person, level, motion_scale):
    """Maps A_t (output -> cut-out pixel) of a cut-out moving in the frame. Borders where the
    person was cut by the original frame stay outside the output frame."""
    hc, wc = person["size"]
    tch = person["touches"]
    if tch["bottom"]:
        hf = rng.uniform(0.5, 1.0)
        a = np.array([person["bottom_x"] if person["bottom_x"] is not None else (wc - 1) / 2, hc - 1.0])
    else:
        hf = rng.uniform(0.35, 0.8)
        a = np.array([(wc - 1) / 2, (hc - 1) / 2])
    m0 = hc / (hf * H)  # cut-out px per output px
    if tch["bottom"]:
        pos0 = np.array([rng.uniform(0.3, 0.7) * (W - 1), H - 1 + 2.0])
    else:
        pos0 = np.array([rng.uniform(0.3, 0.7) * (W - 1), rng.uniform(0.4, 0.6) * (H - 1)])
    phi0 = math.radians(rng.uniform(-4, 4))
    v, acc, z, w, sh = _motion(rng, level, min(H, W), motion_scale * 0.7)
    poss, ms, phis = [], [], []
    for t in range(T):
        poss.append(pos0 + v * t + 0.5 * acc * t * t + (rng.normal(0, sh, 2) if sh > 0 and t > 0 else 0.0))
        ms.append(m0 * math.exp(-z * t))
        phis.append(phi0 + w * t)
    poss = np.array(poss)

    def edge_out(t, pts):  # cut-out points -> output coords at frame t
        return (pts - a) @ (_rot(phis[t]).T / ms[t]) + poss[t]

    n = 9
    xs, ys = np.linspace(0, wc - 1, n), np.linspace(0, hc - 1, n)
    edges = {"bottom": np.stack([xs, np.full(n, hc - 1.0)], 1), "top": np.stack([xs, np.zeros(n)], 1),
             "left": np.stack([np.zeros(n), ys], 1), "right": np.stack([np.full(n, wc - 1.0), ys], 1)}
    for _ in range(2):
        for side, pts in edges.items():
            if not tch[side]:
                continue
            out = np.concatenate([edge_out(t, pts) for t in range(T)])
            if side == "bottom":
                poss[:, 1] += max(0.0, (H - 1 + 1.5) - out[:, 1].min())
            elif side == "top":
                poss[:, 1] -= max(0.0, out[:, 1].max() - (-1.5))
            elif side == "left":
                poss[:, 0] -= max(0.0, out[:, 0].max() - (-1.5))
            else:
                poss[:, 0] += max(0.0, (W - 1 + 1.5) - out[:, 0].min())
    # q = a + m R(-phi) (p - pos)
    maps = []
    for t in range(T):
        mm = ms[t] * _rot(-phis[t])
        maps.append(_h(mm, a - mm @ poss[t]))
    return maps


# ---- rendering -----------------------------------------------------------------------------

_HOMOG = {}


def _homog_grid(H, W):
    g = _HOMOG.get((H, W))
    if g is None:
        ys, xs = torch.meshgrid(torch.arange(H, dtype=torch.float32),
                                torch.arange(W, dtype=torch.float32), indexing="ij")
        g = torch.stack([xs.flatten(), ys.flatten(), torch.ones(H * W)])  # [3, HW]
        _HOMOG[(H, W)] = g
    return g


def _jitter_params(rng, strength):
    return dict(gain=rng.uniform(0.8, 1.2) ** strength, wb=np.exp(rng.normal(0, 0.06 * strength, 3)),
                tone=rng.uniform(-0.25, 0.25) * strength, sat=math.exp(rng.uniform(-0.3, 0.25) * strength))


def _color_jitter_frames(frames, rng, strength, alpha=None):
    """The same colour jitter on every frame [T,3,H,W] (so temporal pairs stay exact):
    a tone curve (x + k x (1 - x), a cheap gamma), then exposure, white balance and
    saturation as one 3x3 colour matrix. With alpha [T,1,H,W] the frames are premultiplied
    and stay so."""
    if strength <= 0:
        return frames
    j = _jitter_params(rng, strength)
    x = frames.clamp(0, 1) if alpha is None else frames / alpha.clamp_min(1e-3)
    if alpha is not None:
        x = x.clamp_(0, 1)
    if j["tone"] != 0:  # x + k x (1 - x) = x * (1 + k - k x)
        x = x * (1 + j["tone"] - j["tone"] * x)
    sat = j["sat"]
    m = (sat * np.eye(3) + (1 - sat) / 3.0) @ np.diag(j["gain"] * j["wb"])
    x = torch.einsum("ij,tjhw->tihw", torch.from_numpy(m.astype(np.float32)), x).clamp_(0, 1)
    return x if alpha is None else x.mul_(alpha)


def _inv3(m):
    """Inverse of a 3x3 affine (last row 0 0 1)."""
    a, b, c, d = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
    det = a * d - b * c
    inv2 = np.array([[d, -b], [-c, a]]) / det
    return _h(inv2, -inv2 @ m[:2, 2])


def _render(mip, maps, H, W, padding="border"):
    """Sample a source (uint8 mip pyramid [C,h,w]) through each 3x3 map (output -> level-0
    source pixels) -> float [T,C,H,W] in [0,1]. Picks the mip level for the map's scale and
    antialias-resizes the (small) crop for the rest, so minified frames do not alias."""
    T = len(maps)
    C = mip[0].shape[0]
    scale = min(math.sqrt(abs(maps_det)) for maps_det in (m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0] for m in maps))
    L = int(min(len(mip) - 1, max(0, math.floor(math.log2(max(scale, 1e-6) / 1.2)))))
    src = mip[L]
    sh, sw = src.shape[-2:]
    f = 2.0 ** L
    # level-L pixel coords: u_L = (u + 0.5) / f - 0.5
    lv = np.array([[1 / f, 0, 0.5 / f - 0.5], [0, 1 / f, 0.5 / f - 0.5], [0, 0, 1]])
    maps_l = [lv @ m for m in maps]
    corners = np.array([[0, 0, 1], [W - 1, 0, 1], [0, H - 1, 1], [W - 1, H - 1, 1]], float).T
    pts = np.concatenate([m[:2] @ corners for m in maps_l], axis=1)
    x0 = int(max(0, math.floor(pts[0].min()) - 2))
    y0 = int(max(0, math.floor(pts[1].min()) - 2))
    x1 = int(min(sw - 1, math.ceil(pts[0].max()) + 2))
    y1 = int(min(sh - 1, math.ceil(pts[1].max()) + 2))
    if x1 - x0 < 1 or y1 - y0 < 1:  # entirely outside (a cut-out out of frame): empty
        return torch.zeros(T, C, H, W)
    crop = src[:, y0:y1 + 1, x0:x1 + 1].float().div_(255.0)
    ch, cw = crop.shape[-2:]
    rx = ry = 1.0
    r = scale / f
    if r > 1.35 and min(ch, cw) / r >= 4:
        nh, nw = max(2, round(ch / r)), max(2, round(cw / r))
        crop = F.interpolate(crop[None], size=(nh, nw), mode="bilinear", align_corners=False,
                             antialias=True)[0]
        ry, rx = nh / ch, nw / cw
    ch2, cw2 = crop.shape[-2:]
    # level pixel u -> crop pixel u' = (u - x0 + 0.5) * rx - 0.5 -> normalised (align_corners)
    A = np.stack([m[:2] for m in maps_l])  # [T,2,3]
    post = np.array([[rx * 2 / max(cw2 - 1, 1), 0, ((0.5 - x0) * rx - 0.5) * 2 / max(cw2 - 1, 1) - 1],
                     [0, ry * 2 / max(ch2 - 1, 1), ((0.5 - y0) * ry - 0.5) * 2 / max(ch2 - 1, 1) - 1]])
    full = post[:, :2] @ A + np.concatenate([np.zeros((2, 2)), post[:, 2:]], 1)[None]  # [T,2,3]
    grid = torch.from_numpy(full.astype(np.float32)) @ _homog_grid(H, W)  # [T,2,HW]
    grid = grid.view(T, 2, H, W).permute(0, 2, 3, 1).reshape(1, T * H, W, 2)
    out = F.grid_sample(crop[None], grid, mode="bilinear", padding_mode=padding, align_corners=True)
    return out.view(C, T, H, W).transpose(0, 1)


def _flows(maps, H, W):
    """[T-1,2,H,W]: flow_t(p) = A_{t-1}^{-1} A_t p - p."""
    g = _homog_grid(H, W)
    out = []
    for t in range(1, len(maps)):
        b = (_inv3(maps[t - 1]) @ maps[t])[:2] - np.array([[1, 0, 0], [0, 1, 0]])
        out.append(torch.from_numpy(b.astype(np.float32)) @ g)
    return torch.stack(out).view(-1, 2, H, W)


def _dilate(m, r):
    """Max filter with a (2r+1)^2 square, separable (fast for large r)."""
    if r <= 0:
        return m
    if r == 1:
        return F.max_pool2d(m, 3, 1, 1)
    m = F.max_pool2d(m, (1, 2 * r + 1), 1, (0, r))
    return F.max_pool2d(m, (2 * r + 1, 1), 1, (r, 0))


def _erode(m, r):
    return -_dilate(-m, r) if r > 0 else m


# ---- noisy masks ---------------------------------------------------------------------------

def _gauss_blur(x, sigma):
    if sigma < 0.3:
        return x
    r = max(1, int(math.ceil(2.5 * sigma)))
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma * sigma))
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def _ellipses(rng, H, W, n, centers, rmin, rmax):
    """Soft union of n random ellipses [1,1,H,W] around the given centres (list of (x, y))."""
    g = _homog_grid(H, W)
    xs, ys = g[0].view(H, W), g[1].view(H, W)
    out = torch.zeros(H, W)
    for i in range(n):
        cx, cy = centers[i % len(centers)]
        rx, ry = rng.uniform(rmin, rmax, 2)
        th = rng.uniform(0, math.pi)
        c, s = math.cos(th), math.sin(th)
        u = ((xs - cx) * c + (ys - cy) * s) / rx
        v = (-(xs - cx) * s + (ys - cy) * c) / ry
        out = torch.maximum(out, (1.5 - 1.5 * (u * u + v * v)).clamp(0, 1))
    return out.view(1, 1, H, W)


def noisy_masks(masks, rng, has_person=True):
    """Exact masks [T,1,H,W] -> masks degraded like a segmenter's output [T,1,H,W].

    One 'segmenter character' per clip (bias to erode/dilate, working resolution, blur,
    softness) plus per-frame flicker (radius jitter, holes, false blobs, small shifts) and
    sometimes a one-frame lag."""
    T, _, H0, W0 = masks.shape
    red = max(1, min(H0, W0) // 128)  # work at <= ~128 px (the segmenter's own scale), upsample at the end
    if red > 1:
        masks = F.avg_pool2d(masks, red)
    H, W = masks.shape[-2:]
    u = min(H, W) / 128.0  # noise scales with the size
    bias = int(round(rng.uniform(-3, 3) * u))
    low = rng.choice([1, 2, 4, 8], p=[0.25, 0.3, 0.3, 0.15])
    blur = rng.uniform(0, 2.0) * u
    sharp = rng.uniform(6, 24)
    lag = rng.random() < 0.25
    conf = rng.uniform(0.75, 1.0) if rng.random() < 0.3 else 1.0
    out = []
    for t in range(T):
        m = masks[max(0, t - 1) if lag else t][None]
        r = bias + int(rng.integers(-1, 2) * max(1, round(u)))
        m = _dilate(m, r) if r > 0 else _erode(m, -r)
        if rng.random() < 0.3:  # small misalignment
            dx, dy = rng.integers(-2, 3, 2) * max(1, round(u))
            m = torch.roll(m, shifts=(int(dy), int(dx)), dims=(2, 3))
        if low > 1:
            m = F.interpolate(F.adaptive_avg_pool2d(m, (max(2, H // low), max(2, W // low))), size=(H, W),
                              mode="bilinear", align_corners=False)
        m = _gauss_blur(m, blur)
        if rng.random() < 0.3 and has_person:  # holes inside the person
            ys, xs = torch.nonzero(masks[t, 0] > 0.5, as_tuple=True)
            if len(ys):
                k = rng.integers(0, len(ys), 3)
                cen = [(float(xs[i]), float(ys[i])) for i in k]
                m = m * (1 - rng.uniform(0.5, 1.0) * _ellipses(rng, H, W, int(rng.integers(1, 4)), cen,
                                                                  0.02 * min(H, W), 0.1 * min(H, W)))
        if rng.random() < (0.3 if has_person else 0.15):  # false-positive blobs
            cen = [tuple(rng.uniform(0, 1, 2) * [W - 1, H - 1])]
            m = torch.maximum(m, rng.uniform(0.4, 1.0) * _ellipses(rng, H, W, int(rng.integers(1, 3)), cen,
                                                                   0.03 * min(H, W), 0.12 * min(H, W)))
        if sharp < 20:  # soft probabilities (normalised so that 0 -> 0 and 1 -> 1)
            lo = 1 / (1 + math.exp(sharp / 2))
            m = (torch.sigmoid((m - 0.5) * sharp) - lo) / (1 - 2 * lo)
        out.append(m[0] * conf)
    out = torch.stack(out)
    if red > 1:
        out = F.interpolate(out, size=(H0, W0), mode="bilinear", align_corners=False)
    return out.clamp(0, 1)


# ---- the sampler ---------------------------------------------------------------------------

class ClipSampler:
    """See the module docstring. split 'train' (default) or 'val' (a small split carved out of
    the trainable pool: one clip and four photos; never eval media).

    mix: dict kind -> weight (kinds 'photo', 'person', 'frame'); motion: scales all motion;
    color: strength of the per-layer colour jitter (0 = off); scene_cut_prob: probability
    that sample() makes a scene-cut sample when scene_cut is not given (default 0).
    """

    def __init__(self, split="train", frames=5, size=128, seed=0, mix=None, motion=1.0, color=1.0,
                 scene_cut_prob=0.0):
        self.split = split
        self.T = int(frames)
        if self.T < 1:
            raise ValueError("frames must be >= 1")
        self.H, self.W = (size, size) if isinstance(size, int) else tuple(size)
        self.mix = dict(DEFAULT_MIX if mix is None else mix)
        self.motion = motion
        self.color = color
        self.scene_cut_prob = scene_cut_prob
        self.rng = np.random.default_rng(seed)
        self.pool = _pool(split)
        kinds = [k for k, w in self.mix.items() if w > 0]
        if "frame" in kinds and not self.pool.frames:
            kinds.remove("frame")
        self._kinds = kinds
        w = np.array([self.mix[k] for k in kinds], float)
        self._p = w / w.sum()

    # -- one clip without cuts --
    def _clip(self, rng, kind):
        T, H, W = self.T, self.H, self.W
        level = rng.choice(["static", "slow", "fast"], p=[0.2, 0.45, 0.35])
        if kind == "person":
            bg = self.pool.backgrounds[rng.integers(len(self.pool.backgrounds))]
            person = self.pool.people[rng.integers(len(self.pool.people))]
            flip = rng.random() < 0.5
            if flip:  # mirror the cut-out: plan the motion for the mirrored one, fold the flip into the maps
                t = person["touches"]
                wc = person["size"][1]
                person = dict(person, touches=dict(t, left=t["right"], right=t["left"]),
                              bottom_x=None if person["bottom_x"] is None else wc - 1 - person["bottom_x"])
            bg_level = rng.choice(["static", "slow", "fast"], p=[0.4, 0.4, 0.2])
            bmaps = _camera_maps(rng, T, H, W, *bg["mip"][0].shape[-2:], bg_level, self.motion)
            pmaps = _person_maps(rng, T, H, W, person, level, self.motion)
            if flip:
                fx = _h(np.diag([-1.0, 1.0]), np.array([person["size"][1] - 1.0, 0.0]))
                rmaps = [fx @ m for m in pmaps]
            else:
                rmaps = pmaps
            back = _color_jitter_frames(_render(bg["mip"], bmaps, H, W), rng, self.color)
            fg = _render(person["mip"], rmaps, H, W, padding="zeros")
            a = fg[:, 3:4].clamp(0, 1)
            fgc = _color_jitter_frames(fg[:, :3], rng, 0.5 * self.color, alpha=a)
            frames = fgc + (1 - a) * back
            if T == 1:
                return frames, a, None, None, True
            fb, ff = _flows(bmaps, H, W), _flows(pmaps, H, W)
            solid_fg = (a >= 0.99).float()
            solid_bg = (a <= 0.01).float()
            is_fg = (a[1:] > 0.5).float()
            flows = is_fg * ff + (1 - is_fg) * fb
            # fg pixels: solid in t (1 px inside) and solid where they come from in t-1
            v_fg = _erode(solid_fg[1:], 1) * (warp(solid_fg[:-1], ff) > 0.999).float()
            # bg pixels: clear of the person in t (1 px margin) and not occluded in t-1
            occ = warp(_dilate((a[:-1] > 0.01).float(), 1), fb)
            v_bg = _erode(solid_bg[1:], 1) * (occ <= 0).float()
            valid = in_frame(flows) * torch.clamp(v_fg + v_bg, 0, 1)
            return frames, a, flows, valid, True
        src = (self.pool.photos if kind == "photo" else self.pool.frames)
        item = src[rng.integers(len(src))]
        maps = _camera_maps(rng, T, H, W, *item["mip"][0].shape[-2:], level, self.motion,
                            zoom=(0.3, 1.0) if kind == "photo" else (0.6, 1.0))
        out = _render(item["mip"], maps, H, W)
        frames = _color_jitter_frames(out[:, :3], rng, self.color)
        person = item["mask"]
        mask = out[:, 3:4] if person else torch.zeros(T, 1, H, W)
        if T == 1:
            return frames, mask, None, None, person
        flows = _flows(maps, H, W)
        return frames, mask, flows, in_frame(flows), person

    def _kind(self, rng):
        return self._kinds[rng.choice(len(self._kinds), p=self._p)]

    def sample(self, rng=None, scene_cut=None):
        rng = self.rng if rng is None else rng
        T, H, W = self.T, self.H, self.W
        if scene_cut is None:
            scene_cut = self.scene_cut_prob > 0 and rng.random() < self.scene_cut_prob
        kind = self._kind(rng)
        frames, masks, flows, valid, person = self._clip(rng, kind)
        cut = torch.zeros(T)
        if scene_cut and T >= 2:
            c = int(rng.integers(1, T))
            if rng.random() < 0.6:  # hard cut to another clip
                f2, m2, fl2, v2, p2 = self._clip(rng, self._kind(rng))
                frames = torch.cat([frames[:c], f2[c:]])
                masks = torch.cat([masks[:c], m2[c:]])
                flows = torch.cat([flows[:c], fl2[c:]]) if c < T - 1 else flows
                valid = torch.cat([valid[:c], v2[c:]]) if c < T - 1 else valid
                person = person or p2
            else:  # global light change (exposure / white balance) from frame c on
                g = torch.tensor(rng.uniform(0.5, 1.5) * np.exp(rng.normal(0, 0.12, 3)), dtype=torch.float32)
                frames = torch.cat([frames[:c], (frames[c:] * g.view(1, 3, 1, 1)).clamp(0, 1)])
            valid = valid.clone()
            valid[c - 1] = 0
            cut[c] = 1
        out = {
            "frames": frames.clamp(0, 1).contiguous(),
            "masks": masks.clamp(0, 1).contiguous(),
            "noisy_masks": noisy_masks(masks, rng, person),
            "flows": flows if flows is not None else torch.zeros(0, 2, H, W),
            "valid": valid if valid is not None else torch.zeros(0, 1, H, W),
            "cut": cut,
            "has_person": torch.tensor([1.0 if person else 0.0]),
        }
        return out

    def batch(self, n, rng=None, scene_cut=None):
        rng = self.rng if rng is None else rng
        samples = [self.sample(rng, scene_cut) for _ in range(n)]
        return {k: torch.stack([s[k] for s in samples]) for k in samples[0]}

    def batches(self, n, rng=None, scene_cut=None, prefetch=0):
        """Endless iterator of batch(n, rng, scene_cut) (the same sequence either way).
        prefetch=k > 0 makes up to k batches ahead in a background thread (torch ops release
        the GIL, so sampling overlaps the training step); close() the iterator to stop it."""
        rng = self.rng if rng is None else rng
        if prefetch <= 0:
            while True:
                yield self.batch(n, rng, scene_cut)
        q = queue.Queue(maxsize=prefetch)
        stop = threading.Event()

        def work():
            while not stop.is_set():
                try:
                    item = self.batch(n, rng, scene_cut)
                except BaseException as e:  # hand it to the consumer
                    item = e
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        pass
                if isinstance(item, BaseException):
                    return

        th = threading.Thread(target=work, name="ClipSampler.prefetch", daemon=True)
        th.start()
        try:
            while True:
                item = q.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()


# ---- styles --------------------------------------------------------------------------------

class StylePool:
    """Style images.  kind: 'train' (common.splits.TRAIN_STYLES: photoreal looks for the grid
    network), 'val' (VAL_STYLES), 'artistic' (ARTISTIC_STYLES, long side <= 1024), all from
    the cache; 'heldout' loads the free held-out styles straight from ../shared/media for
    previews and evaluation only (never train on them).

      pool.names                     list of names
      pool.entry(name)               its splits entry (licence, credit, ...)
      pool.get(name, size=None)      float32 [1,3,H,W] in [0,1]; size int = long side, (h, w) = squash
      pool.sample(rng, size=256)     (name, [3,size,size]) random style, random crop + resize
    """

    def __init__(self, kind="train"):
        self.kind = kind
        if kind == "heldout":
            self.entries = [e for e in splits.HELDOUT_STYLES if not e["name"].startswith("dps_")]
            self.files = {e["name"]: os.path.join(MEDIA, e["path"]) for e in self.entries}
        else:
            key = {"train": "TRAIN_STYLES", "val": "VAL_STYLES", "artistic": "ARTISTIC_STYLES"}[kind]
            self.entries = splits.ALL[key]
            recs = {r["name"]: r for r in _manifest()["styles"]}
            self.files = {e["name"]: os.path.join(CACHE, recs[e["name"]]["file"]) for e in self.entries}
        self.names = [e["name"] for e in self.entries]
        self._cache = {}

    def entry(self, name):
        return next(e for e in self.entries if e["name"] == name)

    def image_u8(self, name):
        if name not in self._cache:
            self._cache[name] = _u8(self.files[name])
        return self._cache[name]

    def get(self, name, size=None):
        if size is None:
            return self.image_u8(name).float().div(255.0).unsqueeze(0)
        return load_image(self.files[name], size)

    def sample(self, rng, size=256, min_crop=0.5):
        name = self.names[rng.integers(len(self.names))]
        img = self.image_u8(name)
        h, w = img.shape[-2:]
        s = rng.uniform(min_crop, 1.0)
        ch, cw = max(8, int(h * s)), max(8, int(w * s))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = img[:, y:y + ch, x:x + cw].float().div(255.0)[None]
        hw = (size, size) if isinstance(size, int) else tuple(size)
        out = F.interpolate(crop, size=hw, mode="bilinear", align_corners=False, antialias=True)[0]
        if rng.random() < 0.5:
            out = torch.flip(out, dims=[2])
        return name, out.clamp(0, 1)
