#!/usr/bin/python3
"""Train one artistic look: a feed-forward stylizing network (net.StyleNet) with the hybrid
loss of Huang et al. 2017 ("Real-Time Neural Style Transfer for Videos"): per-frame content +
style (Gram) + total variation on both frames of a pair, plus the two-frame temporal loss
|O_t - warp(O_{t-1}, flow)|^2 over valid pixels (two-frame synergic training).

  /usr/bin/python3 models/artistic/train.py --style starry-night-art --schedule cpu \
      [--device cpu|cuda] [--seed 0] [--resume] [--no-temporal] [--out DIR] [--steps N]

Writes into --out (default models/artistic/runs/<style>[-notemporal]):
  ckpt.pt (latest, resumable) and weights.pt (final), log.jsonl (losses), loss.png,
  schedule.json (the full configuration, steps, wall time, final losses),
  previews/step<N>.png (content | stylized at 256x192 on training-clip frames).
"""

import argparse
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

from common_api import SHARED, ClipSampler, Encoder4, LossNet, gram, warp  # noqa: E402
from net import StyleNet, load_ckpt  # noqa: E402

# ---------------------------------------------------------------------------------------------
# configuration
DEFAULTS = dict(
    width=8, blocks=5, k_in=9, k_out=3, norm="instance",  # network (see README speed table)
    size=128,            # training crop (square), px
    batch=2,             # frame PAIRS per step (2*batch images through the nets)
    steps=2000,
    lr=2e-3, lr_final=2e-4, decay_from=0.6,  # Adam; cosine decay from decay_from*steps
    style_size=256,      # long side of the painting when its Gram targets are computed, px
    content_weight=3.0, content_layers={"1": 0.25, "2": 1.0},  # f21, f31 (index into LossNet)
    style_weight=4.0, meanstd_weight=1.5, loss_features="student", style_layers={"0": 1.0, "1": 1.0, "2": 1.0, "3": 1.0},
    tv_weight=0.05,
    temporal_weight=100.0,  # 0 with --no-temporal
    temporal_from=0.0,      # fraction of steps before the temporal term is switched on
    input_noise=0.0,        # std of independent Gaussian noise added to each input frame (the
                            # losses use the clean frames): teaches invariance to sensor noise
    ckpt_every=200, log_every=10, preview_every=500,
)
SCHEDULES = {
    # 30 s on this machine: tiny crops, prints a falling loss
    "smoke": dict(size=96, batch=1, steps=30, ckpt_every=15, log_every=5, preview_every=30,
                  lr=3e-3, decay_from=1.0),
    # ~20 min per look on 2 shared CPU cores (niced)
    "cpu": dict(size=128, batch=2, steps=1000, warm_steps=1200),
    # on a GPU (--device cuda): the Johnson/Huang-sized schedule
    "gpu": dict(size=256, batch=4, steps=20000, warm_steps=10000, lr=1e-3, lr_final=1e-4, ckpt_every=1000,
                log_every=50, preview_every=2000, style_size=384),
}
PREVIEW_FRAMES = [("iot_asl_brother.mkv", 30), ("iot_asl_milk.mkv", 15), ("iot_asl_walk.mkv", 45)]
PREVIEW_SIZE = (256, 192)


def load_styles():
    with open(os.path.join(HERE, "styles.json")) as f:
        return {s["id"]: s for s in json.load(f)["styles"]}


def style_path(entry):
    img = entry["image"]
    if img.startswith("media/"):
        return os.path.join(SHARED, img)
    return os.path.join(HERE, img)


def load_image(path, long_side=None):
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("RGB")
        if long_side:
            s = long_side / max(im.size)
            im = im.resize((max(16, round(im.width * s)), max(16, round(im.height * s))),
                           Image.LANCZOS)
        a = np.asarray(im, np.float32) / 255.0
    return torch.from_numpy(a).permute(2, 0, 1)[None].contiguous()


def preview_frames():
    from fallback_data import load_clip_frames
    out = []
    for clip, idx in PREVIEW_FRAMES:
        fr = load_clip_frames(clip, every=1, size=PREVIEW_SIZE)[idx]
        out.append(torch.from_numpy(fr.astype(np.float32) / 255.0).permute(2, 0, 1))
    return torch.stack(out)


def save_grid(rows, path):
    """rows: list of [3,H,W] tensors pairs -> one PNG, each row content | stylized."""
    from PIL import Image
    img = torch.cat([torch.cat(r, dim=2) for r in rows], dim=1)
    a = (img.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(a).save(path)


# ---------------------------------------------------------------------------------------------
class HybridLoss:
    """Content + style + TV per frame, temporal across the pair.

    Features: `loss_features='student'` (default) uses the distilled 4SE's own post-ReLU
    relu1_1..relu4_1 (16/32/64/128 channels: common.vgg.Encoder4.features); 'aux' uses
    common.vgg.LossNet (the 1x1 aux heads: approx. full-width VGG-19, 64..512 channels). The
    aux heads are linear in the student features, so equal student Grams and means imply equal
    aux Grams; the student Grams cost 16x less (the aux-Gram products were 17 % of a CPU step).
    Each term is relative (divided by the target's mean square), so the weights are scale-free.
    """

    def __init__(self, cfg, style_img, device):
        self.cfg = cfg
        self.student = cfg.get("loss_features", "student") == "student"
        self.lossnet = (Encoder4() if self.student else LossNet()).to(device).eval()
        for p in self.lossnet.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            feats = self.feats(style_img.to(device))
        self.style_grams = {int(k): gram(feats[int(k)]) for k in cfg["style_layers"]}
        self.style_norm = {k: float((g ** 2).mean()) for k, g in self.style_grams.items()}
        self.style_ms = {}
        for k in cfg["style_layers"]:
            f = feats[int(k)]
            m, sd = f.mean(dim=(2, 3)), f.std(dim=(2, 3))
            self.style_ms[int(k)] = (m, sd, float((m ** 2 + sd ** 2).mean()))
        self.upto = max(int(k) for k in list(cfg["content_layers"]) + list(cfg["style_layers"])) + 1

    def feats(self, x, upto=4):
        if self.student:
            return list(self.lossnet.features(x, upto=upto))
        return self.lossnet(x)[:upto]

    def __call__(self, x, out, flows=None, valid=None, temporal_weight=0.0):
        """x, out: [B,2,3,S,S] input frame pairs and their stylizations."""
        cfg = self.cfg
        b = x.shape[0]
        xi = x.reshape(b * 2, *x.shape[2:])
        oi = out.reshape(b * 2, *out.shape[2:])
        fo = self.feats(oi, self.upto)
        with torch.no_grad():
            fx = self.feats(xi, max(int(k) for k in cfg["content_layers"]) + 1)
        content = sum(w * F.mse_loss(fo[int(k)], fx[int(k)]) / (fx[int(k)] ** 2).mean().clamp_min(1e-8)
                      for k, w in cfg["content_layers"].items())
        style = 0.0
        for k, w in cfg["style_layers"].items():
            g = gram(fo[int(k)])
            tgt = self.style_grams[int(k)].expand_as(g)
            style = style + w * F.mse_loss(g, tgt) / self.style_norm[int(k)]
            if cfg.get("meanstd_weight", 0) > 0:
                f = fo[int(k)]
                m, sd, nrm = self.style_ms[int(k)]
                ms = (F.mse_loss(f.mean(dim=(2, 3)), m.expand(f.shape[0], -1)) +
                      F.mse_loss(f.std(dim=(2, 3)), sd.expand(f.shape[0], -1))) / nrm
                style = style + cfg["meanstd_weight"] / cfg["style_weight"] * w * ms
        tv = (oi[..., 1:, :] - oi[..., :-1, :]).abs().mean() + \
             (oi[..., :, 1:] - oi[..., :, :-1]).abs().mean()
        terms = {
            "content": cfg["content_weight"] * content,
            "style": cfg["style_weight"] * style,
            "tv": cfg["tv_weight"] * tv,
        }
        if flows is not None:
            # two-frame synergic term: O_t vs O_{t-1} warped to t (exact flow), valid pixels
            warped = warp(out[:, 0], flows[:, 0])
            m = valid[:, 0]
            d2 = ((out[:, 1] - warped) ** 2).mean(dim=1, keepdim=True)
            temporal = (d2 * m).sum() / m.sum().clamp_min(1.0)
            terms["temporal_raw"] = temporal.detach()
            if temporal_weight > 0:
                terms["temporal"] = temporal_weight * temporal
        total = sum(v for k, v in terms.items() if not k.endswith("_raw"))
        return total, terms


def lr_at(cfg, step):
    n = cfg["steps"]
    s0 = int(cfg["decay_from"] * n)
    if step < s0 or n <= s0:
        return cfg["lr"]
    t = (step - s0) / max(1, n - s0)
    return cfg["lr_final"] + 0.5 * (cfg["lr"] - cfg["lr_final"]) * (1 + math.cos(math.pi * t))


def plot_losses(log_path, png_path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [json.loads(line) for line in open(log_path)]
    if not rows:
        return
    steps = [r["step"] for r in rows]
    keys = [k for k in ("total", "content", "style", "tv", "temporal", "temporal_raw") if k in rows[-1]]
    fig, ax = plt.subplots(figsize=(7, 4))
    for k in keys:
        ax.plot(steps, [r.get(k, float("nan")) for r in rows], label=k)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)
    plt.close(fig)


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--style", required=True)
    ap.add_argument("--schedule", default="cpu", choices=sorted(SCHEDULES))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--no-temporal", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--steps", type=int, help="override the schedule's step count")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", help="start from another run's weights.pt (warm start: the other "
                    "looks fine-tune from the first look's network)")
    ap.add_argument("--bank", default="auto", choices=["auto", "on", "off"],
                    help="content pairs from runs/bank_<size>.pt (bank.py) when it exists (auto)")
    ap.add_argument("--set", action="append", default=[],
                    help="override a config value, KEY=JSON (e.g. --set style_weight=12)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    styles = load_styles()
    if args.style not in styles:
        sys.exit(f"unknown style {args.style}; known: {', '.join(styles)}")
    entry = styles[args.style]
    cfg = dict(DEFAULTS)
    cfg.update(SCHEDULES[args.schedule])
    cfg.update(entry.get("train", {}))
    cfg.update(entry.get("train_" + args.schedule, {}))  # per-look, per-schedule overrides
    if args.init and cfg.get("warm_steps"):
        cfg["steps"] = cfg["warm_steps"]  # fine-tuning from another look needs fewer steps
    if args.steps:
        cfg["steps"] = args.steps
    for kv in args.set:
        k, v = kv.split("=", 1)
        cfg[k] = json.loads(v)
    if args.no_temporal:
        cfg["temporal_weight"] = 0.0
    out_dir = args.out or os.path.join(HERE, "runs", args.style + ("-notemporal" if args.no_temporal else ""))
    os.makedirs(out_dir, exist_ok=True)
    device = torch.device(args.device)

    torch.manual_seed(args.seed)
    net = StyleNet(cfg["width"], cfg["blocks"], cfg["k_in"], cfg["k_out"], cfg["norm"]).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
    style_img = load_image(style_path(entry), cfg["style_size"])
    loss_fn = HybridLoss(cfg, style_img, device)
    bank = os.path.join(HERE, "runs", f"bank_{cfg['size']}.pt")
    if args.bank != "off" and (args.bank == "on" or os.path.exists(bank)):
        from bank import Bank
        sampler = Bank(bank)
        print(f"content pairs from {bank} ({sampler.n} pairs, random flips)", flush=True)
        meta_data = {"bank": os.path.relpath(bank, HERE), **sampler.meta}
    else:
        sampler = ClipSampler(split="train", frames=2, size=cfg["size"], seed=args.seed)
        meta_data = {"sampler": "common.data.ClipSampler on the fly"}
    rng = np.random.default_rng(args.seed)
    step, wall = 0, 0.0
    ckpt_path = os.path.join(out_dir, "ckpt.pt")
    log_path = os.path.join(out_dir, "log.jsonl")
    if args.resume and os.path.exists(ckpt_path):
        ck = load_ckpt(ckpt_path, map_location=device)
        net.load_state_dict(ck["net"])
        opt.load_state_dict(ck["opt"])
        step, wall = ck["step"], ck["wall"]
        rng.bit_generator.state = ck["rng"]
        torch.set_rng_state(ck["torch_rng"].cpu())
        # drop log lines written after that checkpoint
        if os.path.exists(log_path):
            rows = [l for l in open(log_path) if json.loads(l)["step"] <= step]
            open(log_path, "w").writelines(rows)
        print(f"resumed {ckpt_path} at step {step}", flush=True)
    else:
        if os.path.exists(log_path):
            os.remove(log_path)
        if args.init:
            ck = load_ckpt(args.init, map_location=device)
            net.load_state_dict(ck["net"])
            print(f"initialised from {args.init} (step {ck.get('step')})", flush=True)
    try:
        previews = preview_frames()
    except Exception as e:  # e.g. no ffmpeg or no shared media on a GPU machine
        print(f"no preview frames ({type(e).__name__}: {e}); previews off", flush=True)
        previews = None
    meta = {"style": args.style, "schedule": args.schedule, "device": args.device,
            "seed": args.seed, "temporal": not args.no_temporal, "config": cfg,
            "init": os.path.relpath(args.init, HERE) if args.init else None,
            "torch": torch.__version__, "data": meta_data, "common_fallback": __import__("common_api").FALLBACK}

    def checkpoint(final=False):
        atomic_save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step, "wall": wall,
                     "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                     "config": cfg, "meta": meta}, ckpt_path)
        if final:
            atomic_save({"net": net.state_dict(), "config": cfg, "meta": meta, "step": step},
                        os.path.join(out_dir, "weights.pt"))

    def preview():
        if previews is None:
            return
        net.eval()
        with torch.no_grad():
            y = net(previews.to(device)).cpu()
        net.train()
        save_grid([[previews[i], y[i]] for i in range(len(previews))],
                  os.path.join(out_dir, "previews", f"step{step:06d}.png"))

    logf = open(log_path, "a")
    acc, n_acc = {}, 0
    t_last = time.time()
    net.train()
    while step < cfg["steps"]:
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, step)
        b = sampler.batch(cfg["batch"], rng)
        x = b["frames"].to(device)
        flows, valid = b["flows"].to(device), b["valid"].to(device)
        t_data = time.time() - t0
        bsz = x.shape[0]
        x_in = x
        if cfg.get("input_noise", 0) > 0:
            x_in = (x + cfg["input_noise"] * torch.randn_like(x)).clamp(0, 1)
        out = net(x_in.reshape(bsz * 2, *x.shape[2:])).reshape(x.shape)
        tw = cfg["temporal_weight"] if step >= cfg["temporal_from"] * cfg["steps"] else 0.0
        total, terms = loss_fn(x, out, flows, valid, tw)
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        step += 1
        dt = time.time() - t0
        wall += dt
        for k, v in terms.items():
            acc[k] = acc.get(k, 0.0) + float(v)
        acc["total"] = acc.get("total", 0.0) + float(total)
        acc["s_per_step"] = acc.get("s_per_step", 0.0) + dt
        acc["s_data"] = acc.get("s_data", 0.0) + t_data
        n_acc += 1
        if step % cfg["log_every"] == 0 or step == cfg["steps"]:
            row = {"step": step, **{k: v / n_acc for k, v in acc.items()}, "lr": lr_at(cfg, step - 1),
                   "wall": wall}
            logf.write(json.dumps(row) + "\n")
            logf.flush()
            eta = (cfg["steps"] - step) * row["s_per_step"]
            print(f"step {step}/{cfg['steps']} total {row['total']:.4f} " +
                  " ".join(f"{k} {row[k]:.4g}" for k in ("content", "style", "tv", "temporal_raw")
                           if k in row) +
                  f" | {row['s_per_step']:.2f} s/step (data {row['s_data']:.2f}) eta {eta / 60:.1f} min",
                  flush=True)
            acc, n_acc = {}, 0
        if step % cfg["preview_every"] == 0 or step == cfg["steps"]:
            preview()
        if step % cfg["ckpt_every"] == 0 or step == cfg["steps"]:
            checkpoint(final=step == cfg["steps"])
            plot_losses(log_path, os.path.join(out_dir, "loss.png"),
                        f"{args.style}{' (no temporal)' if args.no_temporal else ''}: "
                        f"{cfg['steps']} steps, batch {cfg['batch']} pairs x {cfg['size']}px")
    logf.close()
    last = [json.loads(l) for l in open(log_path)][-1] if os.path.exists(log_path) else {}
    meta.update({"steps_done": step, "wall_s": round(wall, 1),
                 "final": {k: last.get(k) for k in ("total", "content", "style", "tv", "temporal",
                                                     "temporal_raw")}})
    with open(os.path.join(out_dir, "schedule.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"done: {step} steps, {wall / 60:.1f} min of training; {out_dir}", flush=True)


if __name__ == "__main__":
    main()
