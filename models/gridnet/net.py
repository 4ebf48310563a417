"""The grid network of Xia et al. 2021 (Table 4) on the distilled 1/4-width VGG-19 (4SE).

MaskNet (M1..M3): [RGB, noisy mask] at L x L -> enhanced mask.
GridNet: three splatting blocks with ST-AdaIN (SA: masked statistics per region, TC: blended
with the previous frame's statistics by alpha); first (S1, stride 2) and last (S3) conv of each
block shared between the content and style paths, S2 separate; skip concatenation of the next
VGG level; then L1, L2, F (3x3, 64, ReLU) and Gamma (1x1, nz*12) at 16 x 16.
Both regions run as a batch of 2 (row 0 = speaker/fg with mask m, row 1 = background with 1-m).

The style side (style path up to every ST-AdaIN layer) is a separate function so the server
computes it once per style: style_stats = [mean_1, std_1, mean_2, std_2, mean_3, std_3]
(block b has widths[b] channels), S = 2 * sum(widths) = 112 with the default widths (8, 16, 32).
The TC state has the same layout: the region's own (unblended) content mean/std of this frame.

Grid parameterisation: Gamma outputs raw r [N, nz, 3, 4, ny, nx] (channel k*12 + c); the affine
applied to x = (Y, U-128, V-128) is  A (x - c) + c + 32 * r[:, 3]  with A = I + r[:, :3] and
c = (128, 0, 0) (centred, so a gain change does not shift mid-grey); it is converted in the graph
to the engine's 3x4 form (coefficient 3 = c_row + 32 r_row3 - sum_col A[row, col] c_col).
raw = 0 is the identity; Gamma's bias starts at 0 and its weights small.

Colour-statistics head (not in Table 4; `colour=True`, added after the CPU run runs/cpu_main stayed
at the identity): the region's (Y, U-128, V-128) mean/std at L x L (TC-blended like the other
statistics) and the style image's -> a small MLP -> 12 raw coefficients added to every node of the
region's grid (a global per-region affine, e.g. a colour transfer, that the grid path refines).
Its last layer starts at 0. With it, S grows by 6 (the style's YUV mean, std at the end of
style_stats; the region's at the end of state).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from bilateral import COEFFS, NZ
from vggwrap import Encoder4

OFFSET_SCALE = 32.0
# the VGG features enter the blocks scaled to ~unit RMS (measured on training frames: r11..r41
# RMS 7.6, 13.0, 6.7, 4.7): raw they reach 100+ and, at the learning rates a short schedule
# needs, drove every unit of L1 below zero (a dead ReLU layer: constant grids) in the first run
FEAT_SCALE = (1 / 8.0, 1 / 13.0, 1 / 7.0, 1 / 5.0)
LEAK = 0.1  # LeakyReLU slope in the grid path (Table 4: ReLU); keeps units from dying


def act(x):
    return F.leaky_relu(x, LEAK)
CENTRE = (128.0, 0.0, 0.0)
STAT_EPS = 1e-4   # var + eps: std >= 0.01 (features are O(1)); keeps AdaIN finite on dead channels
REGION_EPS = 1e-3  # added to region weights: an empty region falls back to the frame's statistics


def masked_stats(x, w):
    """x [N,C,h,w], w [N,1,h,w] >= 0 -> mean, std [N,C] (weighted, population variance)."""
    w = w + REGION_EPS
    ws = w.sum((2, 3))
    mean = (x * w).sum((2, 3)) / ws
    var = ((x - mean[:, :, None, None]) ** 2 * w).sum((2, 3)) / ws
    return mean, torch.sqrt(var + STAT_EPS)


def plain_stats(x):
    mean = x.mean((2, 3))
    var = ((x - mean[:, :, None, None]) ** 2).mean((2, 3))
    return mean, torch.sqrt(var + STAT_EPS)


_RGB2YUV = ((0.256788, 0.504129, 0.097906), (-0.148223, -0.290993, 0.439216), (0.439216, -0.367788, -0.071427))


def rgb01_to_yuv(x):
    """[N,3,H,W] RGB 0..1 -> engine (Y, U-128, V-128) 0..255 units (color.ts) as a 1x1 conv."""
    w = torch.tensor(_RGB2YUV, dtype=x.dtype, device=x.device).view(3, 3, 1, 1) * 255.0
    b = torch.tensor([16.0, 0.0, 0.0], dtype=x.dtype, device=x.device)
    return F.conv2d(x, w, b)


def colour_features(m_c, s_c, m_s, s_s):
    """content / style YUV mean, std [N,3] -> the colour head's input [N,18] (O(1) values)."""
    lc = torch.log(s_c.clamp_min(1.0) / 32.0)
    ls = torch.log(s_s.clamp_min(1.0) / 32.0)
    return torch.cat([m_c / 64.0, lc, m_s / 64.0, ls, (m_s - m_c) / 64.0, ls - lc], 1)


def pool_to(m, size):
    """area-average a mask [N,1,H,W] to size x size (H, W multiples of size)."""
    k = int(m.shape[-1]) // int(size)
    return m if k == 1 else F.avg_pool2d(m, k, k)


class MaskNet(nn.Module):
    """M1 (3x3, 16) M2 (3x3, 8) M3 (3x3, 1, sigmoid). Deviations from Table 4, measured here:
    ReLU after M1/M2 (the table lists none; a linear stack would be one filter), dilations
    1, 2, 4 (receptive field 15 px at L = 128 instead of 7: the undilated net did not beat the
    noisy input on the validation split in the CPU budget, the dilated one did), and the input
    mask's logit added before the sigmoid (a residual: the net starts as the identity and learns
    a correction of the noisy mask)."""

    def __init__(self, dilations=(1, 2, 4)):
        super().__init__()
        d1, d2, d3 = dilations
        self.m1 = nn.Conv2d(4, 16, 3, padding=d1, dilation=d1)
        self.m2 = nn.Conv2d(16, 8, 3, padding=d2, dilation=d2)
        self.m3 = nn.Conv2d(8, 1, 3, padding=d3, dilation=d3)
        self.gain = nn.Parameter(torch.tensor(8.0))
        nn.init.normal_(self.m3.weight, std=1e-3)
        nn.init.zeros_(self.m3.bias)

    def logits(self, rgb, mask):
        h = F.relu(self.m1(torch.cat([rgb, mask], 1)))
        h = F.relu(self.m2(h))
        return self.m3(h) + self.gain * (mask - 0.5)

    def forward(self, rgb, mask):
        return torch.sigmoid(self.logits(rgb, mask))


def _conv(cin, cout, k=3, stride=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2)


class GridNet(nn.Module):
    def __init__(self, nz=NZ, widths=(8, 16, 32), head=64, vgg_ch=(16, 32, 64, 128), encoder=None, cond=True,
                 colour=True):
        super().__init__()
        self.nz = nz
        self.widths = tuple(widths)
        self.enc = encoder if encoder is not None else Encoder4()
        for p in self.enc.parameters():
            p.requires_grad_(False)
        self.s1, self.s2c, self.s2s, self.s3 = nn.ModuleList(), nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for b, w in enumerate(widths):
            cin = vgg_ch[0] if b == 0 else widths[b - 1] + vgg_ch[b]
            self.s1.append(_conv(cin, w, stride=2))
            self.s2c.append(_conv(w, w))
            self.s2s.append(_conv(w, w))
            self.s3.append(_conv(w, w))
        self.l1 = _conv(widths[-1] + vgg_ch[3], head)
        self.l2 = _conv(head, head)
        self.f = _conv(head, head)
        # region-statistics conditioning (not in Table 4; see the module docstring): the masked
        # mean/std of the scaled VGG features r11..r41 of the region (TC-blended like ST-AdaIN's)
        # and those of the style image -> MLP -> a per-region bias of the fusion layer F
        self.vgg_ch = tuple(vgg_ch)
        self.cond = bool(cond)
        if self.cond:
            nv = 2 * sum(vgg_ch)
            self.c1 = nn.Linear(2 * nv, 128)
            self.c2 = nn.Linear(128, head)
        self.colour = bool(colour)
        if self.colour:
            self.col1 = nn.Linear(18, 64)
            self.col2 = nn.Linear(64, COEFFS)
            nn.init.zeros_(self.col2.weight)
            nn.init.zeros_(self.col2.bias)
        self.gamma = nn.Conv2d(head, nz * COEFFS, 1)
        nn.init.normal_(self.gamma.weight, std=1e-3)
        nn.init.zeros_(self.gamma.bias)
        # raw -> engine affine: coeff = base + M raw (per node, 12 x 12 linear map)
        mat = torch.zeros(COEFFS, COEFFS)
        base = torch.zeros(COEFFS)
        c = CENTRE
        for row in range(3):
            base[row * 4 + row] = 1.0
            base[row * 4 + 3] = c[row] - c[row]  # = c_row - sum_col I[row,col] c_col = 0
            for col in range(3):
                mat[row * 4 + col, row * 4 + col] = 1.0          # A[row,col] = I + r
                mat[row * 4 + 3, row * 4 + col] = -c[col]        # - r[row,col] * c_col
            mat[row * 4 + 3, row * 4 + 3] = OFFSET_SCALE
        self.register_buffer("raw_to_coeff", mat)
        self.register_buffer("coeff_base", base)

    @property
    def S(self):
        return 2 * sum(self.widths) + (2 * sum(self.vgg_ch) if self.cond else 0) + (6 if self.colour else 0)

    def encode(self, x):
        f = self.enc(x)
        return self.scale_feats([f["r11"], f["r21"], f["r31"], f["r41"]])

    @staticmethod
    def scale_feats(feats):
        return [t * k for t, k in zip(feats, FEAT_SCALE)]

    # ---- style side ------------------------------------------------------------------------
    def style_stats(self, style, feats=None):
        """style [K,3,L,L] RGB 0..1 (and optionally its scaled encoder features) -> [K, S]."""
        if feats is None:
            feats = self.encode(style)
        s = feats[0]
        out = []
        for b in range(len(self.widths)):
            s = act(self.s1[b](s))
            s = act(self.s2s[b](s))
            mu, sd = plain_stats(s)
            out += [mu, sd]
            if b + 1 < len(self.widths):
                s = torch.cat([act(self.s3[b](s)), feats[b + 1]], 1)
        if self.cond:
            for f in feats:
                out += list(plain_stats(f))
        if self.colour:
            out += list(plain_stats(rgb01_to_yuv(style)))
        return torch.cat(out, 1)

    def split_stats(self, v):
        """[N, S] -> [(mean, std)] for the 3 ST-AdaIN layers, then (cond) the 4 VGG levels."""
        out, o = [], 0
        for w in self.widths + (self.vgg_ch if self.cond else ()) + ((3,) if self.colour else ()):
            out.append((v[:, o:o + w], v[:, o + w:o + 2 * w]))
            o += 2 * w
        return out

    # ---- content side ----------------------------------------------------------------------
    def forward(self, image, mask, style_stats, prev_state, alpha, feats=None):
        """image [B,3,L,L] RGB 0..1; mask [B,1,L,L] (enhanced, 0..1); style_stats, prev_state
        [2B, S] (rows b*2 + r, r = 0 fg, 1 bg); alpha: float, [1] or [2B].
        Returns raw grids [2B, nz*12, 16, 16] and state [2B, S]."""
        B, L = int(image.shape[0]), int(image.shape[-1])
        if feats is None:
            feats = self.encode(image)
        regions = torch.stack([mask, 1 - mask], 1).reshape(2 * B, 1, L, L)
        sty = self.split_stats(style_stats)
        prev = self.split_stats(prev_state)
        if not torch.is_tensor(alpha):
            alpha = torch.tensor([float(alpha)], dtype=image.dtype, device=image.device)
        a = alpha.reshape(-1, 1)
        c = feats[0]
        state = []
        for b in range(len(self.widths)):
            c = act(self.s1[b](c))
            c = act(self.s2c[b](c))
            if b == 0:  # region-independent so far: the two regions split here
                c = c.unsqueeze(1).expand(B, 2, *c.shape[1:]).reshape(2 * B, *c.shape[1:])
            w = pool_to(regions, c.shape[-1])
            mu, sd = masked_stats(c, w)
            state += [mu, sd]
            mu_h = (1 - a) * mu + a * prev[b][0]
            sd_h = (1 - a) * sd + a * prev[b][1]
            s_mu, s_sd = sty[b]
            c = (c - mu_h[:, :, None, None]) * (s_sd / sd_h)[:, :, None, None] + s_mu[:, :, None, None]
            c = act(self.s3[b](c))
            nxt = feats[b + 1]
            nxt = nxt.unsqueeze(1).expand(B, 2, *nxt.shape[1:]).reshape(2 * B, *nxt.shape[1:])
            c = torch.cat([c, nxt], 1)
        cond = None
        if self.cond:
            nb = len(self.widths)
            cs, ss = [], []
            for lvl, f in enumerate(feats):
                f2 = f.unsqueeze(1).expand(B, 2, *f.shape[1:]).reshape(2 * B, *f.shape[1:])
                mu, sd = masked_stats(f2, pool_to(regions, f.shape[-1]))
                state += [mu, sd]
                pm, ps = prev[nb + lvl]
                cs += [(1 - a) * mu + a * pm, (1 - a) * sd + a * ps]
                ss += list(sty[nb + lvl])
            h = act(self.c1(torch.cat(cs + ss, 1)))
            cond = self.c2(h)[:, :, None, None]
        stride = int(c.shape[-1]) // 16
        if stride > 1:  # L = 256: one more stride-2 stage (L1's weights are the same)
            c = act(F.conv2d(c, self.l1.weight, self.l1.bias, stride=stride, padding=1))
        else:
            c = act(self.l1(c))
        c = act(self.l2(c))
        c = self.f(c)
        c = act(c + cond if cond is not None else c)
        raw = self.gamma(c)
        if self.colour:
            yuv = rgb01_to_yuv(image)
            yuv = yuv.unsqueeze(1).expand(B, 2, *yuv.shape[1:]).reshape(2 * B, *yuv.shape[1:])
            mu, sd = masked_stats(yuv, regions)
            state += [mu, sd]
            pm, ps = prev[-1]
            s_mu, s_sd = sty[-1]
            cf = colour_features((1 - a) * mu + a * pm, (1 - a) * sd + a * ps, s_mu, s_sd)
            d = self.col2(act(self.col1(cf)))  # [2B, 12]
            raw = (raw.view(raw.shape[0], self.nz, COEFFS, *raw.shape[2:]) + d[:, None, :, None, None]).reshape(raw.shape)
        return raw, torch.cat(state, 1)

    def to_coeffs(self, raw):
        """raw [N, nz*12, ny, nx] -> engine coefficients, same shape."""
        n, _, ny, nx = raw.shape
        r = raw.view(n, self.nz, COEFFS, ny, nx)
        co = torch.einsum("oc,nkcyx->nkoyx", self.raw_to_coeff, r) + self.coeff_base.view(1, 1, COEFFS, 1, 1)
        return co.reshape(n, self.nz * COEFFS, ny, nx)


# ---- ONNX wrappers (fixed L, batch as the interface says) ----------------------------------
class MaskExport(nn.Module):
    def __init__(self, masknet):
        super().__init__()
        self.m = masknet

    def forward(self, image, mask):
        return self.m(image, mask)


class StyleExport(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, style):
        return self.net.style_stats(style)


class MainExport(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image, mask, style_stats, prev_state, alpha):
        raw, state = self.net(image, mask, style_stats, prev_state, alpha)
        return self.net.to_coeffs(raw), state
