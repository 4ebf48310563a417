"""Bilateral-grid operations in torch, matching the TypeScript engine exactly
(server/src/engine/grid.ts, guide.ts, soft_grid_mask.ts, slice_reference.ts).

Conventions (engine):
- colour: (Y, U-128, V-128) in 0..255 units, BT.601 limited range (color.ts).
- grid: nx = ny = nz = 16 nodes; node (i, j, k) at pixel x = i (W-1)/(nx-1), y = j (H-1)/(ny-1),
  guide z = k (grid units): trilinear interpolation with align_corners=True on all axes.
  A node holds a 3x4 affine: coefficients 0..3 -> Y', 4..7 -> U'-128, 8..11 -> V'-128, each a dot
  product with (Y, U-128, V-128, 1).
- network grids: [N, nz*12, ny, nx] with channel k*12 + c (H index = node j, W index = node i).
  The engine layout Float32 [ny][nx][nz][12] is grids[r].reshape(nz, 12, ny, nx).permute(2, 3, 0, 1).
- guide: z = clamp(zY[Y] + zM[m], 0, nz - 1) (the engine clamps at (nz-1)*256-1 in x256 fixed
  point, i.e. 1/256 below nz-1; irrelevant here).
- soft grid mask (Algorithm 1 as in soft_grid_mask.ts): splat of the mask with the slicing's
  trilinear weights, M = (num + prior * split) / (den + prior), split = 1 on the upper z half.
"""
import torch
import torch.nn.functional as F

NX = NY = NZ = 16
COEFFS = 12

try:  # the shared conversions (models/common/color.py) once they exist
    from common.color import rgb_to_yuv as _c_rgb_to_yuv, yuv_to_rgb as _c_yuv_to_rgb  # noqa: F401
except Exception:  # pragma: no cover
    _c_rgb_to_yuv = _c_yuv_to_rgb = None

# color.ts rgbToYuv / yuvToRgb (rgb in 0..255; u, v centred)
_RGB2YUV = torch.tensor([[0.256788, 0.504129, 0.097906],
                         [-0.148223, -0.290993, 0.439216],
                         [0.439216, -0.367788, -0.071427]])
_YUV2RGB = torch.tensor([[1.164383, 0.0, 1.596027],
                         [1.164383, -0.391762, -0.812968],
                         [1.164383, 2.017232, 0.0]])


def rgb_to_yuv(rgb255):
    """[N,3,H,W] RGB 0..255 -> (Y, U-128, V-128)."""
    if _c_rgb_to_yuv is not None:
        return _c_rgb_to_yuv(rgb255)
    m = _RGB2YUV.to(rgb255)
    out = torch.einsum("oc,nchw->nohw", m, rgb255)
    return out + torch.tensor([16.0, 0.0, 0.0], dtype=rgb255.dtype, device=rgb255.device).view(1, 3, 1, 1)


def yuv_to_rgb(yuv):
    """(Y, U-128, V-128) -> RGB 0..255 (unclamped), color.ts yuvToRgb."""
    if _c_yuv_to_rgb is not None:
        return _c_yuv_to_rgb(yuv)
    m = _YUV2RGB.to(yuv)
    x = yuv - torch.tensor([16.0, 0.0, 0.0], dtype=yuv.dtype, device=yuv.device).view(1, 3, 1, 1)
    return torch.einsum("oc,nchw->nohw", m, x)


def identity_grid(n, nz=NZ, ny=NY, nx=NX, dtype=torch.float32, device=None):
    """[n, nz*12, ny, nx] of identity affines."""
    ident = torch.tensor([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], dtype=dtype, device=device)
    return ident.view(1, 1, COEFFS, 1, 1).expand(n, nz, COEFFS, ny, nx).reshape(n, nz * COEFFS, ny, nx).clone()


def grid_to_5d(grid, nz=NZ):
    """[N, nz*12, ny, nx] -> [N, 12, nz, ny, nx] (grid_sample's C, D, H, W)."""
    n, _, ny, nx = grid.shape
    return grid.view(n, nz, COEFFS, ny, nx).permute(0, 2, 1, 3, 4)


def grid_to_engine(grid, nz=NZ):
    """[N, nz*12, ny, nx] -> engine layout [N, ny, nx, nz, 12]."""
    n, _, ny, nx = grid.shape
    return grid.view(n, nz, COEFFS, ny, nx).permute(0, 3, 4, 1, 2).contiguous()


def _norm_coords(h, w, z, nz):
    """sampling grid for F.grid_sample (align_corners=True): [N, 1, H, W, 3] (x, y, z) in -1..1."""
    n = z.shape[0]
    dev, dt = z.device, z.dtype
    xs = torch.linspace(-1.0, 1.0, w, device=dev, dtype=dt) if w > 1 else torch.zeros(1, device=dev, dtype=dt)
    ys = torch.linspace(-1.0, 1.0, h, device=dev, dtype=dt) if h > 1 else torch.zeros(1, device=dev, dtype=dt)
    gx = xs.view(1, 1, w).expand(n, h, w)
    gy = ys.view(1, h, 1).expand(n, h, w)
    gz = z.view(n, h, w) * (2.0 / (nz - 1)) - 1.0
    return torch.stack([gx, gy, gz], dim=-1).unsqueeze(1)


def slice_coeffs(grid5, z):
    """Trilinear slicing: grid5 [N, C, nz, ny, nx], z [N,1,H,W] in grid units -> [N, C, H, W]."""
    n, c, nz, ny, nx = grid5.shape
    h, w = z.shape[-2:]
    g = _norm_coords(h, w, z, nz)
    out = F.grid_sample(grid5, g, mode="bilinear", padding_mode="border", align_corners=True)
    return out[:, :, 0]


def apply_affine(coeffs, yuv):
    """coeffs [N,12,H,W], yuv [N,3,H,W] (Y, U-128, V-128) -> [N,3,H,W] (unclamped)."""
    a = coeffs.view(coeffs.shape[0], 3, 4, *coeffs.shape[-2:])
    return (a[:, :, 0] * yuv[:, 0:1] + a[:, :, 1] * yuv[:, 1:2] + a[:, :, 2] * yuv[:, 2:3] + a[:, :, 3])


_LO = torch.tensor([0.0, -128.0, -128.0]).view(1, 3, 1, 1)
_HI = torch.tensor([255.0, 127.0, 127.0]).view(1, 3, 1, 1)


def clamp_yuv(yuv):
    """The engine's output clamp: Y in 0..255, U, V in 0..255 after +128."""
    return torch.maximum(torch.minimum(yuv, _HI.to(yuv)), _LO.to(yuv))


def render(grid, z, yuv, nz=NZ):
    """Slice grid [N, nz*12, ny, nx] at every pixel of yuv [N,3,H,W] with guide z [N,1,H,W];
    returns the clamped output (Y, U-128, V-128)."""
    co = slice_coeffs(grid_to_5d(grid, nz), z)
    return clamp_yuv(apply_affine(co, yuv))


def split_grid_mask(nz=NZ, ny=NY, nx=NX, dtype=torch.float32, device=None):
    """[1, 1, nz, ny, nx]: 1 on the upper z half (speaker nodes of the split guide)."""
    k = torch.arange(nz, device=device)
    s = (k >= nz // 2).to(dtype)
    return s.view(1, 1, nz, 1, 1).expand(1, 1, nz, ny, nx).clone()


def soft_grid_mask(z, m, prior=0.5, nz=NZ, ny=NY, nx=NX):
    """Soft grid mask (soft_grid_mask.ts): z [N,1,h,w] guide (grid units) of the low-res pixels,
    m [N,1,h,w] their mask in 0..1. Differentiable w.r.t. m and z. Returns [N, 1, nz, ny, nx]."""
    n, _, h, w = z.shape
    dev, dt = z.device, z.dtype
    sx = (nx - 1) / (w - 1) if w > 1 else 0.0
    sy = (ny - 1) / (h - 1) if h > 1 else 0.0
    gx = torch.arange(w, device=dev, dtype=dt) * sx
    gy = torch.arange(h, device=dev, dtype=dt) * sy
    ix = gx.floor().clamp(max=nx - 2)
    iy = gy.floor().clamp(max=ny - 2)
    wx = (gx - ix).view(1, 1, w).expand(n, h, w)
    wy = (gy - iy).view(1, h, 1).expand(n, h, w)
    ixl = ix.long().view(1, 1, w).expand(n, h, w)
    iyl = iy.long().view(1, h, 1).expand(n, h, w)
    zz = z.view(n, h, w).clamp(0, nz - 1)
    iz = zz.detach().floor().clamp(max=nz - 2)
    wz = zz - iz
    izl = iz.long()
    fg = m.view(n, h, w)
    num = torch.zeros(n, ny * nx * nz, device=dev, dtype=dt)
    den = torch.zeros(n, ny * nx * nz, device=dev, dtype=dt)
    for d in range(8):
        dx, dy, dz = d & 1, (d >> 1) & 1, d >> 2
        wgt = (wx if dx else 1 - wx) * (wy if dy else 1 - wy) * (wz if dz else 1 - wz)
        idx = ((iyl + dy) * nx + (ixl + dx)) * nz + (izl + dz)
        num = num.scatter_add(1, idx.reshape(n, -1), (wgt * fg).reshape(n, -1))
        den = den.scatter_add(1, idx.reshape(n, -1), wgt.reshape(n, -1))
    split = split_grid_mask(nz, ny, nx, dt, dev).view(1, nz, ny, nx).permute(0, 2, 3, 1).reshape(1, -1)
    mg = (num + prior * split) / (den + prior)  # layout [ny][nx][nz]
    return mg.view(n, ny, nx, nz).permute(0, 3, 1, 2).unsqueeze(1)


def blend_grids(gf, gb, mgrid, nz=NZ):
    """eq. 7 in grid space: gf, gb [N, nz*12, ny, nx], mgrid [N,1,nz,ny,nx] -> [N, nz*12, ny, nx]."""
    n, _, ny, nx = gf.shape
    m = mgrid.view(n, nz, 1, ny, nx)
    f = gf.view(n, nz, COEFFS, ny, nx)
    b = gb.view(n, nz, COEFFS, ny, nx)
    return (b + m * (f - b)).reshape(n, nz * COEFFS, ny, nx)


def slice_mask(mgrid, z):
    """slice(z, M_grid): the pixel-space mask the blended grid implies, [N,1,H,W]."""
    return slice_coeffs(mgrid, z)
