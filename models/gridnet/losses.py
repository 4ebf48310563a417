"""Training losses (seed section 3.5), each normalised so that it is O(1) at the start of
training; the weights in train.py then say how much each term matters.

- content: LossNet f31 + f41, MSE(out, in) / mean(in^2) per level
- style: mean/std of LossNet f11..f41, output under the region's exact mask vs the style image,
  per region, squared error / mean(style mean^2 + std^2) per level
- smooth: bilateral-grid Laplacian (squared differences of x, y, z neighbours) of the raw grids
- mask: slice(z, M_grid) vs the exact mask (MSE)
- guide: z vs the split guide (luminance per region half, grid units^2 / nz^2)
- temporal: L1 warping error of consecutive outputs with the exact flow, on valid pixels
- identity: |out - in| (RGB 0..1) under a 'natural' region's exact mask
"""
import torch
import torch.nn.functional as F

try:
    from common.flow import warp as _common_warp
except Exception:  # pragma: no cover
    _common_warp = None

from vggwrap import mean_std as _mean_std


def warp(x, flow):
    """x sampled at p + flow(p) (pixels, bilinear, zeros outside) (= common.flow.warp)."""
    if _common_warp is not None:
        return _common_warp(x, flow)
    n, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=x.dtype, device=x.device),
                            torch.arange(w, dtype=x.dtype, device=x.device), indexing="ij")
    px = xs + flow[:, 0]
    py = ys + flow[:, 1]
    g = torch.stack([2 * px / max(w - 1, 1) - 1, 2 * py / max(h - 1, 1) - 1], -1)
    return F.grid_sample(x, g, mode="bilinear", padding_mode="zeros", align_corners=True)


def masked_mean_std(feat, weights):
    """mean/std [N,C] of feat under weights [N,1,H,W] (resized to the feature size by area)."""
    if weights is not None and weights.shape[-1] != feat.shape[-1]:
        weights = F.adaptive_avg_pool2d(weights, feat.shape[-2:])
    return _mean_std(feat, weights)


def content_loss(out_f, in_f, levels=(2, 3)):
    tot = 0.0
    for i in levels:
        tot = tot + ((out_f[i] - in_f[i]) ** 2).mean((1, 2, 3)) / (in_f[i] ** 2).mean((1, 2, 3)).clamp_min(1e-6)
    return tot / len(levels)  # [N]


def style_loss(out_f, weights, style_ms, level_w=(1.0, 1.0, 1.0, 1.0)):
    """out_f: list of [N,C,H,W]; weights [N,1,H,W]; style_ms: list of (mean [N,C], std [N,C])."""
    tot = 0.0
    for i, f in enumerate(out_f):
        m, s = masked_mean_std(f, weights)
        sm, ss = style_ms[i]
        norm = (sm ** 2 + ss ** 2).mean(1).clamp_min(1e-6)
        tot = tot + level_w[i] * (((m - sm) ** 2).mean(1) + ((s - ss) ** 2).mean(1)) / norm
    return tot / sum(level_w)  # [N]


def laplacian_smoothness(raw, nz):
    """raw [N, nz*12, ny, nx] -> [N]: mean squared difference of neighbours along x, y, z."""
    n, _, ny, nx = raw.shape
    g = raw.view(n, nz, 12, ny, nx)
    dz = (g[:, 1:] - g[:, :-1]) ** 2
    dy = (g[:, :, :, 1:] - g[:, :, :, :-1]) ** 2
    dx = (g[:, :, :, :, 1:] - g[:, :, :, :, :-1]) ** 2
    return (dz.mean((1, 2, 3, 4)) + dy.mean((1, 2, 3, 4)) + dx.mean((1, 2, 3, 4)))


def temporal_loss(out_t, out_prev, flow, valid, in_t=None, in_prev=None):
    """L1 warping error (RGB 0..1) of out_t vs warp(out_prev, flow) on valid pixels -> [N].
    With the inputs given, the inputs' own warping residual (bilinear resampling of the frames)
    is subtracted first, so only the flicker the stylization adds is penalised (an identity
    transform scores 0, and lowering contrast does not pay)."""
    d = out_t - warp(out_prev, flow)
    if in_t is not None:
        d = d - (in_t - warp(in_prev, flow))
    return (d.abs() * valid).sum((1, 2, 3)) / (3 * valid.sum((1, 2, 3)).clamp_min(1.0))


def aux_region_stats(enc, feats, weights, eps=1e-5):
    """Mean/std of the LossNet features f_l = conv{l}1_aux(r_l) (1x1 convs, no ReLU after) under
    region weights, computed exactly from the weighted mean/covariance of the encoder features
    r_l (16/32/64/128 channels) instead of materialising f_l (64..512 channels at full size):
      mean_f = W mean_r + b,  var_f = diag(W cov_r W^T).
    feats: [r11, r21, r31, r41] each [N,C,h,w]; weights [N,R,H,W] (area-resized per level).
    Returns a list of (mean [N,R,Cf], std [N,R,Cf])."""
    heads = (enc.conv11_aux, enc.conv21_aux, enc.conv31_aux, enc.conv41_aux)
    out = []
    for r, head in zip(feats, heads):
        n, c, h, w = r.shape
        wt = weights if weights.shape[-1] == w else F.adaptive_avg_pool2d(weights, (h, w))
        R = wt.shape[1]
        x = r.reshape(n, c, h * w)
        x = x - x.mean(2, keepdim=True).detach()  # centring: less cancellation in E[xx^T] - mm^T
        wf = wt.reshape(n, R, h * w)
        s0 = wf.sum(2).clamp_min(1e-6)                                 # [N,R]
        mean = torch.bmm(wf, x.transpose(1, 2)) / s0[..., None]        # [N,R,C]
        xw = x.unsqueeze(1) * wf.unsqueeze(2)                          # [N,R,C,HW]
        s2 = torch.matmul(xw, x.unsqueeze(1).transpose(2, 3)) / s0[..., None, None]  # [N,R,C,C]
        cov = s2 - mean.unsqueeze(-1) * mean.unsqueeze(-2)
        W = head.weight.view(head.weight.shape[0], c)                  # [Cf, C]
        mf = mean @ W.t()
        off = r.reshape(n, c, h * w).mean(2).detach()                  # [N,C]
        mf = mf + (off @ W.t()).unsqueeze(1) + head.bias
        var = ((cov @ W.t()) * W.t().unsqueeze(0).unsqueeze(0)).sum(2)  # [N,R,Cf] = diag(W cov W^T)
        out.append((mf, torch.sqrt(var.clamp_min(0) + eps)))
    return out


def style_loss_stats(out_stats, style_ms, level_w=(1.0, 1.0, 1.0, 1.0)):
    """out_stats: list of (mean, std) [N,Cf] of the output under a region; style_ms: list of
    (mean, std) [N,Cf] of the style image -> [N]."""
    tot = 0.0
    for i, ((m, s), (sm, ss)) in enumerate(zip(out_stats, style_ms)):
        norm = (sm ** 2 + ss ** 2).mean(1).clamp_min(1e-6)
        tot = tot + level_w[i] * (((m - sm) ** 2).mean(1) + ((s - ss) ** 2).mean(1)) / norm
    return tot / sum(level_w)
