"""A tiny stand-in for common.data.ClipSampler (same .batch() keys), used only for smoke tests
before models/common exists: a training photo panned by integer steps (exact flow), with an
elliptic 'speaker' mask pasted at a fixed place in the photo (moves with it)."""
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

SHARED = os.environ.get("RESTYLE_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
PHOTOS = ["skimage_astronaut.jpg", "skimage_chelsea.jpg", "skimage_camera.png"]


def load_rgb(path, max_side=None):
    im = Image.open(path).convert("RGB")
    if max_side and max(im.size) > max_side:
        s = max_side / max(im.size)
        im = im.resize((round(im.size[0] * s), round(im.size[1] * s)), Image.LANCZOS)
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()


class TinyClipSampler:
    def __init__(self, split="train", frames=5, size=128, seed=0):
        self.T, self.S = frames, size
        self.photos = [load_rgb(os.path.join(SHARED, "media", "photos", p), 384) for p in PHOTOS]

    def sample(self, rng):
        img = self.photos[rng.integers(len(self.photos))]
        _, H, W = img.shape
        S, T = self.S, self.T
        yy, xx = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(W, dtype=torch.float32), indexing="ij")
        cx, cy = W * rng.uniform(0.35, 0.65), H * rng.uniform(0.35, 0.65)
        rx, ry = W * rng.uniform(0.12, 0.25), H * rng.uniform(0.2, 0.35)
        full = ((((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2) <= 1).float()[None]
        vx, vy = int(rng.integers(-3, 4)), int(rng.integers(-3, 4))
        x0 = int(rng.integers(12, W - S - 12)); y0 = int(rng.integers(12, H - S - 12))
        frames, masks, flows, valid = [], [], [], []
        for t in range(T):
            ox, oy = x0 + vx * t, y0 + vy * t
            frames.append(img[:, oy:oy + S, ox:ox + S])
            masks.append(full[:, oy:oy + S, ox:ox + S])
            if t:
                flows.append(torch.tensor([vx, vy], dtype=torch.float32).view(2, 1, 1).expand(2, S, S))
                v = torch.ones(1, S, S)
                if vx > 0: v[:, :, S - vx:] = 0
                if vx < 0: v[:, :, :-vx] = 0
                if vy > 0: v[:, S - vy:] = 0
                if vy < 0: v[:, :-vy] = 0
                valid.append(v)
        masks = torch.stack(masks)
        noisy = (F.avg_pool2d(masks, 9, 1, 4) > rng.uniform(0.3, 0.7)).float()
        noisy = F.avg_pool2d(noisy, 3, 1, 1)
        return {"frames": torch.stack(frames), "masks": masks, "noisy_masks": noisy,
                "flows": torch.stack(flows) if flows else torch.zeros(0, 2, S, S),
                "valid": torch.stack(valid) if valid else torch.zeros(0, 1, S, S)}

    def batch(self, n, rng):
        s = [self.sample(rng) for _ in range(n)]
        return {k: torch.stack([x[k] for x in s]) for k in s[0]}
