"""Local stand-in for common.data.ClipSampler (used only while models/common is missing).

Samples are frames of the TRAINING clips (contract: iot_asl_{brother,eat,help,milk,please,
school,sister,walk}.mkv) and training photos, each moved by a random synthetic camera motion
(pan, zoom, small rotation) between the two frames, so the flow is exact:
warp(frames[t-1], flows[t-1]) == frames[t] where valid. Masks are zeros (not needed here).
Also used by the evaluation helpers to get webcam-like preview frames (`load_clip_frames`).
"""

import os
import subprocess

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from common_api import SHARED

TRAIN_CLIPS = [f"iot_asl_{w}.mkv" for w in
               ("brother", "eat", "help", "milk", "please", "school", "sister", "walk")]
TRAIN_PHOTOS = ["skimage_astronaut.jpg", "skimage_camera.png", "skimage_chelsea.jpg"]


def load_clip_frames(name, every=3, size=(480, 360)):
    """uint8 [F,H,W,3] frames of a clip (every `every`-th frame, resized to `size` = (w, h))."""
    path = os.path.join(SHARED, "media", "clips", name)
    w, h = size
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-vf", f"select=not(mod(n\\,{every})),scale={w}:{h}",
         "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, h, w, 3)


def load_photo(name, long_side=480):
    with Image.open(os.path.join(SHARED, "media", "photos", name)) as im:
        im = im.convert("RGB")
        s = long_side / max(im.size)
        im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.LANCZOS)
        return np.asarray(im, np.uint8)


class ClipSampler:
    def __init__(self, split="train", frames=2, size=192, seed=0):
        assert split == "train"
        self.T, self.S = frames, size
        self.images = []
        for c in TRAIN_CLIPS:
            self.images.extend(list(load_clip_frames(c)))
        for p in TRAIN_PHOTOS:
            self.images.append(load_photo(p))

    def _affine(self, rng, h, w):
        s = rng.uniform(0.55, 1.0) * min(h, w) / self.S  # source pixels per output pixel
        ang = rng.uniform(-0.08, 0.08)
        half = 0.5 * self.S * s * 1.45
        cx = rng.uniform(min(half, w / 2), max(w - half, w / 2))
        cy = rng.uniform(min(half, h / 2), max(h - half, h / 2))
        return np.array([cx, cy, s, ang])

    def _grid(self, p, h, w):
        cx, cy, s, ang = p
        S = self.S
        ys, xs = np.meshgrid(np.arange(S) - (S - 1) / 2, np.arange(S) - (S - 1) / 2, indexing="ij")
        c, sn = np.cos(ang), np.sin(ang)
        X = cx + s * (c * xs - sn * ys)
        Y = cy + s * (sn * xs + c * ys)
        return X, Y  # source coordinates (pixels) of each output pixel

    def sample(self, rng):
        img = self.images[rng.integers(len(self.images))]
        h, w, _ = img.shape
        src = torch.from_numpy(img).permute(2, 0, 1).float()[None] / 255.0
        p = self._affine(rng, h, w)
        params = [p]
        for _ in range(self.T - 1):
            d = np.array([rng.normal(0, 3), rng.normal(0, 3), p[2] * np.exp(rng.normal(0, 0.02)),
                          p[3] + rng.normal(0, 0.01)])
            p = np.array([p[0] + d[0] * p[2], p[1] + d[1] * p[2], d[2], d[3]])
            params.append(p)
        frames, coords = [], []
        for q in params:
            X, Y = self._grid(q, h, w)
            coords.append((X, Y))
            grid = torch.from_numpy(np.stack([X / (w - 1) * 2 - 1, Y / (h - 1) * 2 - 1], -1)).float()
            frames.append(F.grid_sample(src, grid[None], mode="bilinear", padding_mode="reflection",
                                        align_corners=True)[0])
        flows, valid = [], []
        for t in range(1, self.T):
            # frame t pixel p shows source point A_t p; frame t-1 shows it at A_{t-1}^-1 A_t p
            cx, cy, s, ang = params[t - 1]
            X, Y = coords[t]
            S = self.S
            dx, dy = X - cx, Y - cy
            c, sn = np.cos(-ang), np.sin(-ang)
            u = (c * dx - sn * dy) / s + (S - 1) / 2
            v = (sn * dx + c * dy) / s + (S - 1) / 2
            xs, ys = np.meshgrid(np.arange(S), np.arange(S))
            flows.append(torch.from_numpy(np.stack([u - xs, v - ys])).float())
            valid.append(torch.from_numpy(((u >= 0) & (u <= S - 1) & (v >= 0) & (v <= S - 1))
                                          [None].astype(np.float32)))
        S = self.S
        return {
            "frames": torch.stack(frames),
            "masks": torch.zeros(self.T, 1, S, S),
            "flows": torch.stack(flows),
            "valid": torch.stack(valid),
        }

    def batch(self, n, rng):
        items = [self.sample(rng) for _ in range(n)]
        return {k: torch.stack([it[k] for it in items]) for k in items[0]}
