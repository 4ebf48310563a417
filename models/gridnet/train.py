#!/usr/bin/python3
"""Train the grid network of Xia et al. 2021 (mask enhancement, ST-AdaIN grid prediction,
learned guide, grid-space blending) on clips from common.data.ClipSampler.

  /usr/bin/python3 models/gridnet/train.py --schedule cpu|gpu|smoke [--device cpu|cuda]
      [--seed 0] [--resume] [--no-temporal] [--guide pointwise|conv] --out models/gridnet/runs/NAME

Phases: (1) the mask network alone (BCE + L2 of the enhanced noisy mask vs the exact mask),
then frozen; (2) everything else end to end on clips of T frames carrying the TC-AdaIN state
(alpha 0 on each clip's first frame, `alpha` after). Writes into --out: ckpt.pt (every
--ckpt-minutes and at the end; --resume continues from it), log.csv, loss.png, schedule.json,
previews/*.png (fixed training samples at each checkpoint), final.pt.
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vggwrap  # noqa: E402  (puts models/ on sys.path)
from vggwrap import Encoder4, LossNet, aux_heads  # noqa: E402
import bilateral as bl  # noqa: E402
from guide import make_guide, split_guide  # noqa: E402
from losses import (aux_region_stats, content_loss, laplacian_smoothness, masked_mean_std,  # noqa: E402
                    style_loss_stats, warp)
from net import GridNet, MaskNet  # noqa: E402

MODELS = os.path.dirname(HERE)
# the training set is ready when models/data/build.py has written the data cache's manifest (the old
# marker, models/common/READY, was written by nothing, so every run on a fresh clone fell back to the
# smoke-test stand-in data without saying so; main() now refuses that for any schedule but smoke)
COMMON_READY = os.path.exists(os.path.join(MODELS, "data", "cache", "manifest.json"))

SCHEDULES = {
    # 30 s on this CPU: a few steps of each phase, prints a falling loss
    # (one fixed batch, so the loss must fall: checks that everything learns end to end)
    "smoke": dict(L=128, size=128, clips=2, frames=2, mask_batch=8, mask_steps=20, main_steps=25,
                  lr=1e-3, mask_lr=3e-3, max_minutes=1.5, style_crops=0, ckpt_minutes=5, preview_every=0,
                  fixed_batch=True, max_styles=4, loss_size=64),
    # ~90 min on the 2-core machine (niced, shared): sized from the measured s/step (README)
    # (the machine is shared: 3 frames per clip and the loss network at 64^2 keep ~2k steps possible)
    "cpu": dict(L=128, size=128, clips=2, frames=3, mask_batch=8, mask_steps=1500, mask_minutes=10,
                main_steps=6000, lr=1e-3, mask_lr=1e-2, max_minutes=90, loss_size=64, style_crops=8, ckpt_minutes=5, preview_every=1000),
    # the seed's (6.3): 256^2 crops, 2 clips x 5 frames, 20k mask + 90k main, Adam 1e-4
    "gpu": dict(L=256, size=256, clips=2, frames=5, mask_batch=10, mask_steps=20000, main_steps=90000,
                lr=1e-4, mask_lr=1e-4, max_minutes=60 * 48, style_crops=16, ckpt_minutes=10, preview_every=5000),
}

# loss weights on the normalised terms (losses.py); seed: c 0.2, s 1, r 0.02, m 5, z 1.5, t 1000
WEIGHTS = dict(content=0.5, style=1.0, color=0.0, smooth=0.5, mask=2.0, guide=0.02, temporal=2.0, identity=2.0,
               distill=0.0)
# distillation (not in the seed; --distill): the perceptual losses alone left the CPU run's grids at the
# identity (runs/cpu_main). `distill` pulls the output towards a per-region Reinhard colour transfer of
# the input (mean/std of Y, U, V under the region's exact mask matched to the style image's): an affine
# map in YUV, i.e. exactly what a grid can express, so it gives a strong, fittable signal at once. Its
# weight is annealed (cosine) from WEIGHTS["distill"] to DISTILL["floor"] x that by progress DISTILL["until"].
DISTILL = dict(floor=0.25, until=0.6, gain_lo=0.5, gain_hi=2.5, luma_lo=0.5, luma_hi=2.5)
# luma_lo/hi (--luma-gain): the bounds of the luminance (Y) gain alone. A look that scales the speaker's
# or background's luminance contrast by k scales every edge's gradient by k, so detail no longer keeps
# its scale (the eval's gradient SSIM falls to about 2k / (1 + k^2)); a tighter Y bound keeps the detail
# and leaves chroma (the look's colours) at gain_lo/hi.
DISTILL_PRESET = dict(distill=1.0, content=0.2, color=0.5)  # --distill: weights used for runs/cpu_distill


def gain_bounds(device=None):
    """[3] lower and upper bounds of the per-channel (Y, U, V) Reinhard gain."""
    lo = torch.tensor([DISTILL["luma_lo"], DISTILL["gain_lo"], DISTILL["gain_lo"]], device=device)
    hi = torch.tensor([DISTILL["luma_hi"], DISTILL["gain_hi"], DISTILL["gain_hi"]], device=device)
    return lo, hi


def init_colour_head(net, steps=1500, n=8192, seed=0):
    """Pre-fit the colour head (net.py) to the per-region Reinhard transfer in raw grid units
    (diag gain g = clamp(std_s / std_c), offset = (m_s - g m_c + (g - 1) c) / 32) on random
    content/style YUV statistics, so that training starts from a stylizing network whose
    distillation target is already close; a few seconds on one thread. Returns the fit's RMSE."""
    from net import CENTRE, OFFSET_SCALE, colour_features
    g = torch.Generator().manual_seed(seed)

    def rnd_stats(k):
        m = torch.stack([16 + 219 * torch.rand(k, generator=g), 25 * torch.randn(k, generator=g),
                         25 * torch.randn(k, generator=g)], 1)
        s = torch.stack([2 + 70 * torch.rand(k, generator=g), 1 + 30 * torch.rand(k, generator=g),
                         1 + 30 * torch.rand(k, generator=g)], 1)
        return m, s
    m_c, s_c = rnd_stats(n)
    m_s, s_s = rnd_stats(n)
    cf = colour_features(m_c, s_c, m_s, s_s)
    lo, hi = gain_bounds()
    gain = torch.maximum(torch.minimum(s_s / torch.sqrt(s_c ** 2 + 1.0), hi), lo)
    c = torch.tensor(CENTRE)
    tgt = torch.zeros(n, 3, 4)
    for ch in range(3):
        tgt[:, ch, ch] = gain[:, ch] - 1
        tgt[:, ch, 3] = (m_s[:, ch] - gain[:, ch] * m_c[:, ch] + (gain[:, ch] - 1) * c[ch]) / OFFSET_SCALE
    tgt = tgt.reshape(n, 12)
    ps = list(net.col1.parameters()) + list(net.col2.parameters())
    nn_init = torch.nn.init
    nn_init.normal_(net.col2.weight, std=0.01)
    opt = torch.optim.Adam(ps, lr=3e-3)
    for i in range(steps):
        idx = torch.randint(0, n, (512,), generator=g)
        with torch.enable_grad():
            from net import act
            pred = net.col2(act(net.col1(cf[idx])))
            loss = ((pred - tgt[idx]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        from net import act
        return float(((net.col2(act(net.col1(cf))) - tgt) ** 2).mean().sqrt())


def weight_of(k, prog):
    """loss weight of term k at progress prog (0..1) of the main phase."""
    w = WEIGHTS[k]
    if k == "distill" and w:
        a = min(1.0, prog / max(1e-6, DISTILL["until"]))
        w = w * (DISTILL["floor"] + (1 - DISTILL["floor"]) * 0.5 * (1 + math.cos(math.pi * a)))
    return w
ALPHA = 0.5          # TC-AdaIN weight of the previous frame (today's tcAlpha)
P_NATURAL = 0.2      # probability that one region of a clip is 'natural' (identity grid)
FALLBACK_STYLES = ["kde_fallenleaf.jpg", "skimage_rocket.jpg"]


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ---- data ----------------------------------------------------------------------------------
def make_sampler(frames, size, seed):
    if COMMON_READY:
        from common.data import ClipSampler
        return ClipSampler(split="train", frames=frames, size=size, seed=seed), "common.data.ClipSampler"
    from tinydata import TinyClipSampler
    return TinyClipSampler(frames=frames, size=size, seed=seed), "tinydata (common not READY)"


def style_files():
    """Photoreal training looks: common.splits.TRAIN_STYLES (the data cache's downscaled copy
    when present, else the source), else two media styles."""
    if COMMON_READY:
        from common import splits
        from common.paths import CACHE
        out = []
        for e in splits.TRAIN_STYLES:
            cached = os.path.join(CACHE, "styles", e["name"] + ".jpg")
            out.append(cached if os.path.exists(cached) else splits.source_path(e))
        return out, "common.splits.TRAIN_STYLES"
    from tinydata import SHARED
    return [os.path.join(SHARED, "media", "styles", f) for f in FALLBACK_STYLES], "fallback"


def load_style(path, max_side=512):
    from PIL import Image
    im = Image.open(path).convert("RGB")
    s = max_side / max(im.size)
    if s < 1:
        im = im.resize((round(im.size[0] * s), round(im.size[1] * s)), Image.LANCZOS)
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()


class StylePool:
    """Per style: the whole image squashed to L x L (as the server does) plus random crops
    (area 40-100 %), with their encoder features and LossNet mean/std cached (frozen nets)."""

    def __init__(self, files, L, crops, enc, lossnet, rng, device, loss_size=None):
        self.files, self.L = files, L
        self.images, self.feats, self.ms = [], [], []
        for f in files:
            img = load_style(f)
            views = [F.interpolate(img[None], (L, L), mode="area")[0]]
            _, H, W = img.shape
            for _ in range(crops):
                a = rng.uniform(0.4, 1.0)
                ar = rng.uniform(0.75, 1.33)
                h = int(min(H, round(math.sqrt(a * H * W / ar))))
                w = int(min(W, round(h * ar)))
                y0 = int(rng.integers(0, H - h + 1)); x0 = int(rng.integers(0, W - w + 1))
                views.append(F.interpolate(img[None, :, y0:y0 + h, x0:x0 + w], (L, L), mode="area")[0])
            x = torch.stack(views).to(device)
            with torch.no_grad():
                r = enc.features(x)
                # the style loss's targets, at the size the loss network sees the outputs
                xl = x if not loss_size or loss_size == L else F.interpolate(x, (loss_size, loss_size), mode="area")
                lf = aux_heads(enc, r if xl is x else enc.features(xl))
            self.images.append(x.cpu())
            self.feats.append([t for t in r])
            yuv = bl.rgb_to_yuv(x * 255.0)
            self.ms.append([masked_mean_std(t, None) for t in lf] + [masked_mean_std(yuv, None)])

    def __len__(self):
        return len(self.files)

    def get(self, idx, view):
        """encoder features (list of [1,...]) and LossNet (mean, std) list for (style, view)."""
        return ([t[view:view + 1] for t in self.feats[idx]],
                [(m[view:view + 1], s[view:view + 1]) for m, s in self.ms[idx]])


# ---- model bundle --------------------------------------------------------------------------
class Bundle:
    def __init__(self, guide_kind, device):
        self.enc = Encoder4().to(device)
        self.lossnet = LossNet(encoder=self.enc).to(device)
        self.net = GridNet(encoder=self.enc).to(device)
        self.mask = MaskNet().to(device)
        self.guide = make_guide(guide_kind).to(device)
        self.device = device

    def trainable(self):
        return [p for p in list(self.net.parameters()) + list(self.guide.parameters()) if p.requires_grad]

    def state(self):
        return {"net": {k: v for k, v in self.net.state_dict().items() if not k.startswith("enc.")},
                "mask": self.mask.state_dict(), "guide": self.guide.state_dict(), "guide_kind": self.guide.kind}

    def load(self, st, partial=False):
        """partial: missing colour-head weights are fine (--init-from a run without it)."""
        if "col1.weight" not in st["net"] and not partial and self.net.colour:
            # a checkpoint of a run without the colour head (e.g. runs/cpu_main): build it without
            self.net = GridNet(encoder=self.enc, colour=False).to(self.device)
        missing, unexpected = self.net.load_state_dict(st["net"], strict=False)
        assert not unexpected and all(k.startswith("enc.") or (partial and k.startswith("col"))
                                      for k in missing), (missing, unexpected)
        self.mask.load_state_dict(st["mask"])
        self.guide.load_state_dict(st["guide"])


def forward_clip(b, frames, noisy, style_stats, natural, alpha=ALPHA, L=128, grad=True):
    """frames [B,T,3,S,S] RGB 0..1, noisy [B,T,1,S,S]; style_stats [B,2,Sdim]; natural [B,2] bool.
    Returns a dict of flattened [B*T, ...] tensors (row b*T + t)."""
    B, T, _, S, _ = frames.shape
    x = frames.reshape(B * T, 3, S, S)
    nm = noisy.reshape(B * T, 1, S, S)
    lo = x if S == L else F.interpolate(x, (L, L), mode="area")
    nlo = nm if S == L else F.interpolate(nm, (L, L), mode="area")
    with torch.no_grad():
        m_enh = b.mask(lo, nlo)
        feats = b.enc.features(lo)
    fv = [f.view(B, T, *f.shape[1:]) for f in b.net.scale_feats(feats)]
    mv = m_enh.view(B, T, 1, L, L)
    lov = lo.view(B, T, 3, L, L)
    st = style_stats.reshape(2 * B, -1)
    state = torch.zeros_like(st)
    raws = []
    with torch.set_grad_enabled(grad):
        for t in range(T):
            a = 0.0 if t == 0 else alpha
            raw, state = b.net(lov[:, t], mv[:, t], st, state, a, feats=[f[:, t] for f in fv])
            raws.append(raw.view(B, 2, *raw.shape[1:]))
        raw = torch.stack(raws, 1)  # [B,T,2,C,16,16]
        keep = (~natural).to(raw.dtype).view(B, 1, 2, 1, 1, 1)
        raw = raw * keep  # natural region: raw 0 = the identity affine everywhere
        raw = raw.reshape(B * T * 2, *raw.shape[3:])
        co = b.net.to_coeffs(raw).view(B * T, 2, *raw.shape[1:])
        m_full = m_enh if S == L else F.interpolate(m_enh, (S, S), mode="bilinear", align_corners=False)
        yuv = bl.rgb_to_yuv(x * 255.0)
        z = b.guide(yuv, m_full, x)
        z_lo = z if S == L else b.guide(bl.rgb_to_yuv(lo * 255.0), m_enh, lo)
        mgrid = bl.soft_grid_mask(z_lo, m_enh)
        grid = bl.blend_grids(co[:, 0], co[:, 1], mgrid)
        coeffs = bl.slice_coeffs(bl.grid_to_5d(grid), z)  # per-pixel affines [N,12,S,S]
        out_yuv = bl.clamp_yuv(bl.apply_affine(coeffs, yuv))
        out = (bl.yuv_to_rgb(out_yuv) / 255.0).clamp(0, 1)
    return dict(x=x, yuv=yuv, m_enh=m_enh, m_full=m_full, z=z, mgrid=mgrid, raw=raw, out=out, coeffs=coeffs,
                feats=feats)


def region_gain(yuv, w2, ss):
    """Per region k (weights w2[:, k]) the input's (Y, U, V) mean and the bounded Reinhard gain
    clamp(std_style / std_k) (gain_bounds), and the input's std. yuv [N,3,S,S]; w2 [N,2,S,S];
    ss [N,2,3] -> mean, gain, std, each [N,2,3]."""
    N, _, S, _ = yuv.shape
    yv = yuv.reshape(N, 1, 3, S * S)
    wv = w2.reshape(N, 2, 1, S * S)
    ws = wv.sum(-1).clamp_min(1e-6)
    m = (yv * wv).sum(-1) / ws                                          # [N,2,3]
    sd = (((yv - m.unsqueeze(-1)) ** 2 * wv).sum(-1) / ws + 1.0).sqrt()  # +1: 1 level floor
    lo, hi = gain_bounds(yuv.device)
    return m, torch.maximum(torch.minimum(ss / sd, hi), lo), sd


def reinhard_target(yuv, w2, sm, m, g, nat):
    """Per-region Reinhard colour transfer in the engine's YUV: for region k (weights w2[:, k]),
    (yuv - mean_k) * clamp(std_style / std_k) + mean_style, per channel; a natural region keeps
    the input. Blended per pixel by the exact region weights; clamped to what the engine outputs.
    yuv [N,3,S,S]; w2 [N,2,S,S]; sm [N,2,3] (style YUV mean); m, g [N,2,3] (region_gain: the
    input's mean and the bounded gain per region); nat [N,2] bool."""
    N, _, S, _ = yuv.shape
    yv = yuv.reshape(N, 1, 3, S * S)
    wv = w2.reshape(N, 2, 1, S * S)
    t = (yv - m.unsqueeze(-1)) * g.unsqueeze(-1) + sm.unsqueeze(-1)     # [N,2,3,SS]
    t = torch.where(nat.view(N, 2, 1, 1), yv.expand_as(t), t)
    t = (t * wv).sum(1) / wv.sum(1).clamp_min(1e-6)                      # [N,3,SS]
    t = bl.clamp_yuv(t.view(N, 3, S, S))
    rgb = (bl.yuv_to_rgb(t) / 255.0).clamp(0, 1)
    return rgb


def compute_losses(b, r, batch, style_ms, natural, temporal=True, loss_size=None, prog=0.0):
    """style_ms: per LossNet level (mean, std) [B,2,Cf] of each clip's fg/bg style image.
    prog: progress of the main phase (annealed weights, weight_of)."""
    B, T = batch["frames"].shape[:2]
    S = batch["frames"].shape[-1]
    N = B * T
    gt = batch["masks"].reshape(N, 1, S, S)
    x, out = r["x"], r["out"]
    heads = (b.enc.conv31_aux, b.enc.conv41_aux)
    ls = loss_size or S
    # the loss network (content, style) sees the output at loss_size (cpu schedule: half size)
    out_l = out if ls == S else F.interpolate(out, (ls, ls), mode="area")
    r_out = b.enc.features(out_l)
    if ls == r["feats"][0].shape[-1] and ls == S:
        r_in = r["feats"]
    else:
        with torch.no_grad():
            r_in = b.enc.features(x if ls == S else F.interpolate(x, (ls, ls), mode="area"))
    L = {}
    with torch.no_grad():
        in_f = [h(f) for h, f in zip(heads, r_in[2:])]
    out_f = [h(f) for h, f in zip(heads, r_out[2:])]
    L["content"] = content_loss(out_f, in_f, levels=(0, 1)).mean()
    # style: per region under its exact mask; skipped for natural or (almost) empty regions
    w2 = torch.cat([gt, 1 - gt], 1)  # [N,2,S,S]
    ost = aux_region_stats(b.enc, r_out, w2)
    fi = torch.arange(N, device=x.device) // T
    sty = [(m[fi], s[fi]) for m, s in style_ms]  # [N,2,Cf]
    area = w2.mean((2, 3))  # [N,2]
    nat = natural[fi]  # [N,2]
    per = torch.stack([style_loss_stats([(m[:, k], s[:, k]) for m, s in ost], [(m[:, k], s[:, k]) for m, s in sty[:4]])
                       for k in range(2)], 1)  # [N,2]
    use = ((~nat) & (area > 0.03)).to(per.dtype)
    L["style"] = (per * use).sum() / use.sum().clamp_min(1.0)
    # colour moments (not in the seed; added for the short CPU schedule): mean/std of the output's
    # (Y, U-128, V-128) under each region's mask vs the style image's, in units of 32 levels
    oy = bl.rgb_to_yuv(out * 255.0).reshape(N, 1, 3, S * S)
    wv = w2.reshape(N, 2, 1, S * S)
    ws = wv.sum(-1).clamp_min(1e-6)
    cm = (oy * wv).sum(-1) / ws                                        # [N,2,3]
    cs = (((oy - cm.unsqueeze(-1)) ** 2 * wv).sum(-1) / ws + 1e-5).sqrt()
    sm, ss = sty[4]
    with torch.no_grad():  # the std the bounded gain reaches (= the style's where unbounded)
        m_in, g_in, sd_in = region_gain(r["yuv"], w2, ss)
    pc = (((cm - sm) ** 2 + (cs - sd_in * g_in) ** 2).mean(-1)) / 32.0 ** 2  # [N,2]
    L["color"] = (pc * use).sum() / use.sum().clamp_min(1.0)
    if WEIGHTS.get("distill"):
        with torch.no_grad():
            r["target"] = reinhard_target(r["yuv"], w2, sm, m_in, g_in, nat)
        # mean abs RGB difference, 0.05 (~13 levels) -> 1
        L["distill"] = (out - r["target"]).abs().mean() * 20.0
    else:
        L["distill"] = torch.zeros((), device=x.device)
    # identity: a natural region must keep its colours (also where the other look might bleed)
    usen = (nat & (area > 0.01)).to(per.dtype)
    d = ((out - x).abs().mean(1, keepdim=True) * w2).sum((2, 3)) / w2.sum((2, 3)).clamp_min(1.0)  # [N,2]
    L["identity"] = (d * usen).sum() / usen.sum().clamp_min(1.0) * 10.0  # 0.1 mean abs change -> 1
    L["smooth"] = laplacian_smoothness(r["raw"], b.net.nz).mean() * 100.0
    L["mask"] = ((bl.slice_mask(r["mgrid"], r["z"]) - gt) ** 2).mean() * 10.0
    L["guide"] = ((r["z"] - split_guide(r["yuv"], r["m_full"])) ** 2).mean()
    if temporal and T > 1:
        # flicker: frame t's output vs frame t rendered with frame t-1's per-pixel affines
        # (warped along the exact flow): penalises changes of the transform between frames,
        # not a strong (consistent) transform amplifying the frames' own resampling residual
        o = out.view(B, T, *out.shape[1:])
        co = r["coeffs"].view(B, T, *r["coeffs"].shape[1:])
        yv = r["yuv"].view(B, T, *r["yuv"].shape[1:])
        fl = batch["flows"].reshape(B * (T - 1), 2, S, S)
        va = batch["valid"].reshape(B * (T - 1), 1, S, S)
        prev_co = warp(co[:, :-1].reshape(-1, *co.shape[2:]), fl)
        cur = yv[:, 1:].reshape(-1, *yv.shape[2:])
        alt = (bl.yuv_to_rgb(bl.clamp_yuv(bl.apply_affine(prev_co, cur))) / 255.0).clamp(0, 1)
        d = (o[:, 1:].reshape(-1, *out.shape[1:]) - alt).abs() * va
        L["temporal"] = (d.sum((1, 2, 3)) / (3 * va.sum((1, 2, 3)).clamp_min(1.0))).mean() * 50.0  # 0.02 -> 1
    else:
        L["temporal"] = torch.zeros((), device=x.device)
    total = sum(weight_of(k, prog) * v for k, v in L.items())
    return total, L


def pick_styles(rng, B, n_styles):
    idx = rng.integers(0, n_styles, size=(B, 2))
    natural = np.zeros((B, 2), dtype=bool)
    for i in range(B):
        if rng.uniform() < P_NATURAL:
            natural[i, rng.integers(0, 2)] = True
    return idx, natural


def style_batch(b, pool, idx, views):  # noqa: C901
    """style_stats [B,2,S] (through the trainable style path) and LossNet mean/std per level
    [B,2,C] for the chosen (style, view) pairs."""
    B = idx.shape[0]
    feats, ms = [], []
    for i in range(B):
        for r in range(2):
            f, m = pool.get(int(idx[i, r]), int(views[i, r]))
            feats.append(f); ms.append(m)
    cat = [torch.cat([f[l] for f in feats]) for l in range(4)]
    imgs = torch.stack([pool.images[int(idx[i, r])][int(views[i, r])] for i in range(B) for r in range(2)])
    stats = b.net.style_stats(imgs.to(cat[0].device), feats=b.net.scale_feats(cat)).view(B, 2, -1)
    lv = [(torch.cat([m[l][0] for m in ms]).view(B, 2, -1), torch.cat([m[l][1] for m in ms]).view(B, 2, -1))
          for l in range(len(ms[0]))]
    return stats, lv


# ---- previews ------------------------------------------------------------------------------
def to_u8(t):
    return (t.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).cpu().numpy()


def write_preview(b, pool, samples, path, L):
    """Rows: fixed training clips (first frame shown at t = T-1 so TC state is in use).
    Columns: input | noisy mask | enhanced mask | guide z | soft grid mask sliced | output |
    fg style | bg style (natural = grey)."""
    from PIL import Image
    rows = []
    with torch.no_grad():
        for smp in samples:
            batch, sidx, nat = smp["batch"], smp["styles"], smp["natural"]
            stats, _ = style_batch(b, pool, sidx, np.zeros_like(sidx))
            r = forward_clip(b, batch["frames"], batch["noisy_masks"], stats, torch.from_numpy(nat), L=L, grad=False)
            t = -1
            S = batch["frames"].shape[-1]
            cols = [r["x"][t], batch["noisy_masks"][0, t].expand(3, S, S), r["m_enh"][t].expand(3, -1, -1),
                    (r["z"][t] / 15.0).expand(3, -1, -1),
                    bl.slice_mask(r["mgrid"][-1:], r["z"][-1:])[0].expand(3, -1, -1),
                    r["out"][t]]
            for reg in range(2):
                if nat[0, reg]:
                    cols.append(torch.full((3, S, S), 0.5))
                else:
                    im = pool.images[int(sidx[0, reg])][0]
                    cols.append(F.interpolate(im[None], (S, S), mode="area")[0])
            rows.append(np.concatenate([to_u8(c) for c in cols], 1))
    Image.fromarray(np.concatenate(rows, 0)).save(path)


def fixed_samples(sampler, n_styles, n=6, seed=1234):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        batch = sampler.batch(1, rng)
        sidx = np.array([[i % n_styles, (i * 3 + 1) % n_styles]])
        nat = np.zeros((1, 2), dtype=bool)
        if i == n - 1:
            nat[0, 0] = True  # speaker natural, background styled
        if i == n - 2:
            nat[0, 1] = True  # background natural
        out.append(dict(batch=batch, styles=sidx, natural=nat))
    return out


# ---- plotting ------------------------------------------------------------------------------
def plot(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        return
    if not history:
        return
    keys = sorted({k for h in history for k in h if not k.endswith("_raw")} -
                  {"step", "phase", "time", "s_per_step", "lr", "progress", "grad_norm"})
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for phase, ax in zip(("mask", "main"), axes):
        h = [r for r in history if r["phase"] == phase]
        if not h:
            ax.set_visible(False)
            continue
        steps = [r["step"] for r in h]
        for k in keys:
            v = [r.get(k) for r in h]
            if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in v) or not any(v):
                continue
            w = max(1, len(v) // 60)
            sm = np.convolve(v, np.ones(w) / w, mode="valid")
            ax.plot(steps[w - 1:], sm, label=k)
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"{phase} phase (weighted terms; smoothed)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ---- main ----------------------------------------------------------------------------------
def save_ckpt(path, payload):
    tmp = path + ".tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schedule", choices=SCHEDULES, default="smoke")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--no-temporal", action="store_true", help="train without the temporal loss (ablation)")
    ap.add_argument("--guide", choices=("pointwise", "conv"), default="pointwise")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--main-steps", type=int, default=None, help="override the schedule's main steps")
    ap.add_argument("--mask-steps", type=int, default=None)
    ap.add_argument("--max-minutes", type=float, default=None)
    ap.add_argument("--frames", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--preview-every", type=int, default=None)
    ap.add_argument("--weights", default=None, help="JSON overrides of the loss weights, e.g. '{\"smooth\": 1}'")
    ap.add_argument("--mask-from", default=None, help="reuse the (frozen) mask network of another run's ckpt")
    ap.add_argument("--init-from", default=None,
                    help="start from another run's ckpt (mask network, grid network, guide; not the optimizer)")
    ap.add_argument("--colour-init", action="store_true",
                    help="pre-fit the colour head to the Reinhard transfer before the main phase (init_colour_head)")
    ap.add_argument("--luma-gain", default=None, metavar="LO,HI",
                    help="bounds of the Reinhard luminance gain (default %s,%s, as chroma)" % (DISTILL["luma_lo"],
                                                                                          DISTILL["luma_hi"]))
    ap.add_argument("--distill", action="store_true",
                    help="distillation towards per-region Reinhard YUV targets: weights %s (before --weights)"
                    % DISTILL_PRESET)
    args = ap.parse_args()

    if not COMMON_READY and args.schedule != "smoke":
        sys.exit("no training set: models/data/cache/manifest.json is missing; build it with "
                 "/usr/bin/python3 models/data/build.py (the stand-in data is for --schedule smoke only)")
    torch.set_num_threads(args.threads)
    sch = dict(SCHEDULES[args.schedule])
    if args.distill:
        WEIGHTS.update(DISTILL_PRESET)
    if args.weights:
        WEIGHTS.update(json.loads(args.weights))
    if args.luma_gain:
        DISTILL["luma_lo"], DISTILL["luma_hi"] = (float(v) for v in args.luma_gain.split(","))
    for k in ("main_steps", "mask_steps", "max_minutes", "frames", "lr", "preview_every"):
        if getattr(args, k) is not None:
            sch[k] = getattr(args, k)
    dev = torch.device(args.device)
    os.makedirs(os.path.join(args.out, "previews"), exist_ok=True)
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    with open(os.path.join(args.out, "pid"), "w") as f:
        f.write(f"{os.getpid()}\n")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    b = Bundle(args.guide, dev)
    sampler, data_src = make_sampler(sch["frames"], sch["size"], args.seed)
    mask_sampler, _ = make_sampler(1, sch["size"], args.seed + 1)
    files, style_src = style_files()
    files = files[:sch.get("max_styles") or len(files)]
    pool = StylePool(files, sch["L"], sch["style_crops"], b.enc, b.lossnet, np.random.default_rng(args.seed + 7), dev,
                     loss_size=sch.get("loss_size"))
    log(f"data: {data_src}; styles: {len(files)} from {style_src}; vgg from "
        f"{'common.vgg' if vggwrap.USING_COMMON else 'local fallback'}; device {dev}, threads {args.threads}")

    schedule = dict(schedule=args.schedule, **sch, seed=args.seed, temporal=not args.no_temporal,
                    guide=args.guide, weights=WEIGHTS, distill=DISTILL if WEIGHTS.get("distill") else None,
                    init_from=args.init_from, mask_from=args.mask_from, alpha=ALPHA, p_natural=P_NATURAL, data=data_src,
                    styles=[os.path.basename(f) for f in files], optimizer="Adam(0.9, 0.999, 1e-8), warmup 100, "
                    "cosine to 5%", grad_clip=5.0, widths=list(b.net.widths), S=b.net.S, nz=b.net.nz,
                    torch=torch.__version__)
    with open(os.path.join(args.out, "schedule.json"), "w") as f:
        json.dump(schedule, f, indent=1)

    phase, step, history, elapsed0 = "mask", 0, [], 0.0
    opt_mask = torch.optim.Adam(b.mask.parameters(), lr=sch["mask_lr"])
    opt = torch.optim.Adam(b.trainable(), lr=sch["lr"])
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=dev)
        b.load(ck["model"])
        opt_mask.load_state_dict(ck["opt_mask"])
        opt.load_state_dict(ck["opt"])
        phase, step, history, elapsed0 = ck["phase"], ck["step"], ck["history"], ck.get("elapsed", 0.0)
        rng = np.random.default_rng(args.seed + 1000 + step)
        for k in ("main_t0_s", "mask_steps_done"):
            if k in ck.get("schedule", {}):
                schedule[k] = ck["schedule"][k]
        log(f"resumed {ckpt_path}: phase {phase} step {step}, {elapsed0 / 60:.1f} min so far")
    if args.init_from and phase == "mask" and step == 0:
        b.load(torch.load(args.init_from, map_location=dev)["model"], partial=True)
        phase = "main"
        log(f"model (mask, grid network, guide) from {args.init_from}; skipping the mask phase")
    if args.mask_from and phase == "mask" and step == 0:
        b.mask.load_state_dict(torch.load(args.mask_from, map_location=dev)["model"]["mask"])
        phase = "main"
        log(f"mask network from {args.mask_from}; skipping the mask phase")

    if args.colour_init and phase == "main" and step == 0 and b.net.colour:
        rmse = init_colour_head(b.net, seed=args.seed)
        log(f"colour head pre-fitted to the Reinhard transfer (raw RMSE {rmse:.4f})")
        schedule["colour_init_rmse"] = rmse
    samples = fixed_samples(sampler, len(pool))
    t_start = time.time()
    last_ckpt = time.time()
    run_log = open(os.path.join(args.out, "log.csv"), "a")
    csvw = None

    def checkpoint(final=False):
        payload = dict(model=b.state(), opt_mask=opt_mask.state_dict(), opt=opt.state_dict(), phase=phase,
                       step=step, history=history, elapsed=elapsed0 + time.time() - t_start, schedule=schedule)
        save_ckpt(ckpt_path, payload)
        with open(os.path.join(args.out, "schedule.json"), "w") as f:
            json.dump(dict(schedule, steps_done=step, phase_now=phase, minutes=round(payload["elapsed"] / 60, 1)),
                      f, indent=1)
        if final:
            save_ckpt(os.path.join(args.out, "final.pt"), payload)
        plot(history, os.path.join(args.out, "loss.png"))

    def over_time():
        return elapsed0 + time.time() - t_start > sch["max_minutes"] * 60

    def now():
        return elapsed0 + time.time() - t_start

    # time budgets: the schedule ends by max_minutes whatever the machine's load; the learning
    # rate follows progress = max(step / steps, time used / time budget) of each phase
    mask_budget = sch.get("mask_minutes", sch["max_minutes"]) * 60

    # ---- phase 1: mask network -------------------------------------------------------------
    t_phase = time.time()
    while phase == "mask" and step < sch["mask_steps"] and now() < mask_budget and not over_time():
        t0 = time.time()
        bt = mask_sampler.batch(sch["mask_batch"], rng)
        x = bt["frames"][:, 0].to(dev); gt = bt["masks"][:, 0].to(dev); nm = bt["noisy_masks"][:, 0].to(dev)
        if x.shape[-1] != sch["L"]:
            x, gt, nm = (F.interpolate(v, (sch["L"], sch["L"]), mode="area") for v in (x, gt, nm))
        logits = b.mask.logits(x, nm)
        pred = torch.sigmoid(logits)
        bce = F.binary_cross_entropy_with_logits(logits, gt)
        l2 = ((pred - gt) ** 2).mean()
        base = ((nm - gt) ** 2).mean()
        loss = bce + 10 * l2
        for g in opt_mask.param_groups:
            prog = min(1.0, max(step / max(1, sch["mask_steps"]), now() / mask_budget))
            g["lr"] = sch["mask_lr"] * (0.5 * (1 + math.cos(math.pi * prog)) * 0.95 + 0.05)
        opt_mask.zero_grad()
        loss.backward()
        opt_mask.step()
        step += 1
        rec = dict(step=step, phase="mask", bce=bce.item(), l2=l2.item(), l2_noisy_input=base.item(),
                   s_per_step=time.time() - t0, time=elapsed0 + time.time() - t_start)
        history.append(rec)
        if step % 25 == 0 or step <= 3:
            log(f"mask {step}/{sch['mask_steps']}: bce {bce.item():.4f} l2 {l2.item():.4f} "
                f"(noisy input l2 {base.item():.4f}) {rec['s_per_step']:.3f} s/step")
        if time.time() - last_ckpt > sch["ckpt_minutes"] * 60:
            checkpoint(); last_ckpt = time.time()
    if phase == "mask":
        phase, step = "main", 0
        main_t0 = now()
        schedule["mask_steps_done"] = history[-1]["step"] if history else 0
        schedule["main_t0_s"] = main_t0
        checkpoint()
        log(f"mask phase done ({(time.time() - t_phase) / 60:.1f} min); mask network frozen")
    for p in b.mask.parameters():
        p.requires_grad_(False)

    # ---- phase 2: grid network + guide -----------------------------------------------------
    B, T = sch["clips"], sch["frames"]
    n_main = sch["main_steps"]
    main_t0 = schedule.get("main_t0_s", now())
    main_budget = max(60.0, sch["max_minutes"] * 60 - main_t0 - 60)  # 1 min for the final writes

    def progress():
        return min(1.0, max(step / n_main, (now() - main_t0) / main_budget))

    while progress() < 1.0:
        t0 = time.time()
        prog = progress()
        lr = sch["lr"] * min(1.0, (step + 1) / min(100, max(1, n_main // 10))) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * prog)))
        for g in opt.param_groups:
            g["lr"] = lr
        if sch.get("fixed_batch"):
            rng = np.random.default_rng(args.seed)
        bt = sampler.batch(B, rng)
        bt = {k: v.to(dev) for k, v in bt.items()}
        sidx, nat = pick_styles(rng, B, len(pool))
        views = rng.integers(0, sch["style_crops"] + 1, size=(B, 2))
        stats, sms = style_batch(b, pool, sidx, views)
        natural = torch.from_numpy(nat).to(dev)
        r = forward_clip(b, bt["frames"], bt["noisy_masks"], stats, natural, L=sch["L"])
        total, L = compute_losses(b, r, bt, sms, natural, temporal=not args.no_temporal,
                                  loss_size=sch.get("loss_size"), prog=prog)
        opt.zero_grad()
        total.backward()
        gn = torch.nn.utils.clip_grad_norm_(b.trainable(), 5.0)
        opt.step()
        step += 1
        rec = dict(step=step, phase="main", progress=round(prog, 4), total=total.item(), **{k: weight_of(k, prog) * v.item() for k, v in L.items()},
                   **{k + "_raw": v.item() for k, v in L.items() if k in ("style", "distill", "content", "color")},
                   grad_norm=float(gn), lr=lr, s_per_step=time.time() - t0, time=elapsed0 + time.time() - t_start)
        history.append(rec)
        if csvw is None:
            csvw = csv.DictWriter(run_log, fieldnames=list(rec.keys()))
            if run_log.tell() == 0:
                csvw.writeheader()
        csvw.writerow(rec)
        if step % 10 == 0 or step <= 3:
            run_log.flush()
            recent = history[-10:]
            avg = {k: np.mean([h[k] for h in recent if h["phase"] == "main"]) for k in ("total", *L.keys())}
            log(f"main {step}/{n_main} lr {lr:.2e}: total {avg['total']:.4f} | " +
                " ".join(f"{k} {avg[k]:.4f}" for k in L) + f" | |g| {float(gn):.2f} {rec['s_per_step']:.2f} s/step")
        if sch["preview_every"] and step % sch["preview_every"] == 0:
            write_preview(b, pool, samples, os.path.join(args.out, "previews", f"step{step:06d}.png"), sch["L"])
        if time.time() - last_ckpt > sch["ckpt_minutes"] * 60:
            checkpoint(); last_ckpt = time.time()
            write_preview(b, pool, samples, os.path.join(args.out, "previews", "latest.png"), sch["L"])
    checkpoint(final=True)
    write_preview(b, pool, samples, os.path.join(args.out, "previews", f"final_step{step:06d}.png"), sch["L"])
    main_hist = [h for h in history if h["phase"] == "main"]
    if main_hist:
        k = max(1, min(20, len(main_hist) // 4))
        first = np.mean([h["total"] for h in main_hist[:k]])
        last = np.mean([h["total"] for h in main_hist[-k:]])
        log(f"done: {step} main steps; total loss first {k} steps {first:.4f} -> last {k} {last:.4f} "
            f"({'falling' if last < first else 'NOT falling'}); {(elapsed0 + time.time() - t_start) / 60:.1f} min")


if __name__ == "__main__":
    main()
