"""Backward warping with dense optical flow in pixels.

Convention (used everywhere in models/): flow[:, 0] is the x (column) displacement and
flow[:, 1] the y (row) displacement, in pixels of the tensor being warped.
    warp(x, flow)(p) = x(p + flow(p))            bilinear, zeros outside the image
so with ClipSampler's flows[t-1] (maps frame t to frame t-1):
    warp(frames[t-1], flows[t-1]) ~= frames[t]   on valid[t-1] pixels.
Pixel centres are at integer coordinates 0..W-1 (align_corners=True semantics).
"""
import torch
import torch.nn.functional as F

_BASE = {}


def base_grid(h, w, device=None, dtype=torch.float32):
    """[1,2,H,W] pixel coordinates (x, y) of every pixel."""
    key = (h, w, str(device), dtype)
    g = _BASE.get(key)
    if g is None:
        ys, xs = torch.meshgrid(torch.arange(h, dtype=dtype, device=device),
                                torch.arange(w, dtype=dtype, device=device), indexing="ij")
        g = torch.stack([xs, ys]).unsqueeze(0)
        if len(_BASE) > 64:
            _BASE.clear()
        _BASE[key] = g
    return g


def pixels_to_grid(pos, h, w):
    """[N,2,H',W'] absolute pixel positions in an HxW image -> grid_sample grid [N,H',W',2]."""
    gx = pos[:, 0] * (2.0 / max(w - 1, 1)) - 1.0
    gy = pos[:, 1] * (2.0 / max(h - 1, 1)) - 1.0
    return torch.stack([gx, gy], dim=-1)


def sample(x, pos, mode="bilinear", padding_mode="zeros"):
    """x [N,C,H,W] sampled at absolute pixel positions pos [N,2,H',W'] -> [N,C,H',W']."""
    h, w = x.shape[-2:]
    return F.grid_sample(x, pixels_to_grid(pos, h, w), mode=mode, padding_mode=padding_mode,
                         align_corners=True)


def warp(x, flow, mode="bilinear", padding_mode="zeros"):
    """x [N,C,H,W] sampled at p + flow(p), flow [N,2,H,W] in pixels (x, y)."""
    if flow.shape[-2:] != x.shape[-2:] or flow.shape[1] != 2:
        raise ValueError(f"flow {tuple(flow.shape)} does not fit x {tuple(x.shape)}")
    pos = base_grid(x.shape[-2], x.shape[-1], flow.device, flow.dtype) + flow
    return sample(x, pos, mode, padding_mode)


def in_frame(flow):
    """[N,1,H,W] 1 where p + flow(p) lies inside the image (pixel-centre range)."""
    h, w = flow.shape[-2:]
    pos = base_grid(h, w, flow.device, flow.dtype) + flow
    ok = (pos[:, 0] >= 0) & (pos[:, 0] <= w - 1) & (pos[:, 1] >= 0) & (pos[:, 1] <= h - 1)
    return ok.unsqueeze(1).to(flow.dtype)


def resize_flow(flow, size):
    """Resize a flow field to size (h, w), scaling the displacements accordingly
    (pixel-centre convention: factor (w'-1)/(w-1))."""
    h, w = flow.shape[-2:]
    h2, w2 = size
    f = F.interpolate(flow, size=size, mode="bilinear", align_corners=True)
    sx = (w2 - 1) / max(w - 1, 1)
    sy = (h2 - 1) / max(h - 1, 1)
    return torch.cat([f[:, :1] * sx, f[:, 1:] * sy], dim=1)


def warp_error(a_t, warped_prev, valid, eps=1e-8):
    """Mean over valid pixels (and channels) of (a_t - warped_prev)^2 per sample -> [N]."""
    d = (a_t - warped_prev) ** 2 * valid
    return d.flatten(1).sum(1) / (valid.flatten(1).sum(1) * a_t.shape[1] + eps)
