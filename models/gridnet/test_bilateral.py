#!/usr/bin/python3
"""Unit checks: torch slicing / soft grid mask / guide tables against straightforward per-pixel
ports of the engine (server/src/engine/slice_reference.ts sampleGrid + sliceInterleaved,
soft_grid_mask.ts, guide.ts buildGuideLuts, color.ts). Exit 1 on mismatch.

  /usr/bin/python3 models/gridnet/test_bilateral.py
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bilateral as bl  # noqa: E402
from guide import PointwiseGuide, split_guide  # noqa: E402
from net import GridNet  # noqa: E402

FAIL = []


def check(name, err, tol):
    ok = err <= tol
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {err:.3g} (tol {tol:g})")
    if not ok:
        FAIL.append(name)


# ---- ports of the engine (float64, per pixel) ----------------------------------------------
def sample_grid(grid, nx, ny, nz, gx, gy, gz):
    """slice_reference.ts sampleGrid; grid: engine layout flat [ny][nx][nz][12]."""
    ix = min(nx - 2, max(0, math.floor(gx))); wx = min(1, max(0, gx - ix))
    iy = min(ny - 2, max(0, math.floor(gy))); wy = min(1, max(0, gy - iy))
    iz = min(nz - 2, max(0, math.floor(gz))); wz = min(1, max(0, gz - iz))
    out = np.zeros(12)
    for dy in range(2):
        for dx in range(2):
            for dz in range(2):
                w = (wx if dx else 1 - wx) * (wy if dy else 1 - wy) * (wz if dz else 1 - wz)
                if w == 0:
                    continue
                o = (((iy + dy) * nx + ix + dx) * nz + iz + dz) * 12
                out += w * grid[o:o + 12]
    return out


def build_luts(nz):
    """guide.ts buildGuideLuts({nz, splitByMask: true}) (x256 fixed point)."""
    half = nz // 2
    ySpan, mSpan = (half - 1) * 256, half * 256
    zY = [round(ySpan * min(1, max(0, (i - 16) / 219))) for i in range(256)]
    zM = [round(mSpan * (i / 255)) for i in range(256)]
    return zY, zM


def guide_z(luts, nz, y, m):
    zmax = (nz - 1) * 256 - 1
    z = luts[0][y] + luts[1][m]
    return min(zmax, max(0, z)) / 256


def slice_interleaved(grid, nx, ny, nz, luts, yuv, mask):
    """slice_reference.ts sliceInterleaved: yuv [h,w,3] float, mask [h,w] uint8."""
    h, w, _ = yuv.shape
    sx = (nx - 1) / (w - 1); sy = (ny - 1) / (h - 1)
    out = np.zeros_like(yuv)
    for y in range(h):
        for x in range(w):
            Y, U, V = yuv[y, x]
            yq = int(min(255, max(0, round(Y))))
            a = sample_grid(grid, nx, ny, nz, x * sx, y * sy, guide_z(luts, nz, yq, int(mask[y, x])))
            out[y, x, 0] = a[0] * Y + a[1] * U + a[2] * V + a[3]
            out[y, x, 1] = a[4] * Y + a[5] * U + a[6] * V + a[7]
            out[y, x, 2] = a[8] * Y + a[9] * U + a[10] * V + a[11]
    return out


def soft_mask_ref(nx, ny, nz, w, h, luma, mask, luts, prior=0.5):
    """soft_grid_mask.ts SoftGridMask.compute; returns [ny][nx][nz]."""
    num = np.zeros(nx * ny * nz); den = np.zeros(nx * ny * nz)
    sx = (nx - 1) / (w - 1); sy = (ny - 1) / (h - 1)
    zmax = (nz - 1) * 256 - 1; nxz = nx * nz
    for y in range(h):
        gy = y * sy; iy = min(int(gy), ny - 2); wy = gy - iy
        for x in range(w):
            yq = int(min(255, max(0, round(luma[y, x]))))
            m = int(mask[y, x])
            zf = min(zmax, max(0, luts[0][yq] + luts[1][m]))
            iz = zf >> 8; wz = (zf & 255) / 256
            gx = x * sx; ix = min(int(gx), nx - 2); wx = gx - ix
            fg = m / 255
            base = iy * nxz + ix * nz + iz
            for d in range(8):
                dx, dy, dz = d & 1, (d >> 1) & 1, d >> 2
                wgt = (wx if dx else 1 - wx) * (wy if dy else 1 - wy) * (wz if dz else 1 - wz)
                n = base + dy * nxz + dx * nz + dz
                num[n] += wgt * fg; den[n] += wgt
    split = np.array([1.0 if (n % nz) >= nz / 2 else 0.0 for n in range(nx * ny * nz)])
    return ((num + prior * split) / (den + prior)).reshape(ny, nx, nz)


def main():
    rng = np.random.default_rng(0)
    nx = ny = nz = 16
    h, w = 23, 37  # odd, non-square: catches x/y mix-ups
    # a known grid: random affines (identity + noise), engine layout
    grid_t = bl.identity_grid(1) + 0.3 * torch.randn(1, nz * 12, ny, nx, dtype=torch.float32)
    grid_t[:, 3::12] = 20 * torch.randn(1, nz, ny, nx)  # offsets in 0..255 units
    eng = bl.grid_to_engine(grid_t)[0].numpy().astype(np.float64).reshape(-1)
    # a photo-like input: RGB -> YUV (color.ts) and a mask with soft edges
    rgb = torch.from_numpy(rng.uniform(0, 255, (1, 3, h, w))).float()
    yuv = bl.rgb_to_yuv(rgb)
    yy, xx = np.mgrid[0:h, 0:w]
    mask_f = np.clip((xx - w * 0.4) / 6.0, 0, 1)
    mask_u8 = np.round(mask_f * 255).astype(np.uint8)
    # colour conversion round trip
    back = bl.yuv_to_rgb(yuv)
    check("yuv_to_rgb(rgb_to_yuv(x)) == x (0..255)", (back - rgb).abs().max().item(), 1e-2)
    ref_y = 16 + 0.256788 * rgb[0, 0] + 0.504129 * rgb[0, 1] + 0.097906 * rgb[0, 2]
    check("rgb_to_yuv Y matches color.ts", (yuv[0, 0] - ref_y).abs().max().item(), 1e-4)

    # guide: the pointwise guide at init == engine split LUTs (float grid units)
    luts = build_luts(nz)
    g = PointwiseGuide(nz)
    zY, zM = g.luts()
    check("guide init zY == buildGuideLuts zY/256", max(abs(a - b / 256) for a, b in zip(zY, luts[0])), 1 / 512 + 1e-6)
    check("guide init zM == buildGuideLuts zM/256", max(abs(a - b / 256) for a, b in zip(zM, luts[1])), 1 / 512 + 1e-6)

    # slicing: torch with the engine's own quantised z vs the per-pixel reference
    yuv_np = yuv[0].permute(1, 2, 0).numpy().astype(np.float64)
    z_eng = np.array([[guide_z(luts, nz, int(min(255, max(0, round(yuv_np[y, x, 0])))), int(mask_u8[y, x]))
                       for x in range(w)] for y in range(h)])
    ref = slice_interleaved(eng, nx, ny, nz, luts, yuv_np, mask_u8)
    co = bl.slice_coeffs(bl.grid_to_5d(grid_t.double()), torch.from_numpy(z_eng)[None, None])
    out = bl.apply_affine(co, yuv.double())[0].permute(1, 2, 0).numpy()
    check("slice (grid_sample, align_corners) == sliceInterleaved", np.abs(out - ref).max(), 1e-6)
    # the same with the continuous guide the training uses
    z_t = split_guide(yuv, torch.from_numpy(mask_u8 / 255.0)[None, None].float())
    check("continuous split guide vs quantised engine z (grid units)", np.abs(z_t[0, 0].numpy() - z_eng).max(), 0.02)

    # soft grid mask
    ref_m = soft_mask_ref(nx, ny, nz, w, h, yuv_np[:, :, 0], mask_u8, luts)
    mg = bl.soft_grid_mask(torch.from_numpy(z_eng)[None, None].double(),
                           torch.from_numpy(mask_u8 / 255.0)[None, None])
    mg_eng = mg[0, 0].permute(1, 2, 0).numpy()  # [ny][nx][nz]
    check("soft_grid_mask == soft_grid_mask.ts", np.abs(mg_eng - ref_m).max(), 1e-9)

    # blending in grid space: layout consistency with grid.ts blendGrids
    gf = bl.identity_grid(1) + torch.randn(1, nz * 12, ny, nx)
    gb = bl.identity_grid(1) + torch.randn(1, nz * 12, ny, nx)
    bt = bl.grid_to_engine(bl.blend_grids(gf, gb, mg.float()))[0].numpy().reshape(-1, 12)
    ef, eb = bl.grid_to_engine(gf)[0].numpy().reshape(-1, 12), bl.grid_to_engine(gb)[0].numpy().reshape(-1, 12)
    mflat = mg_eng.reshape(-1, 1)
    check("blend_grids == grid.ts blendGrids", np.abs(bt - (eb + mflat * (ef - eb))).max(), 1e-5)

    # raw -> coefficient map: raw 0 is the identity; centred parameterisation
    net = GridNet()
    raw = torch.zeros(1, nz * 12, ny, nx)
    check("raw 0 -> identity affine", (net.to_coeffs(raw) - bl.identity_grid(1)).abs().max().item(), 0)
    raw = torch.randn(1, nz * 12, ny, nx) * 0.1
    co = net.to_coeffs(raw).view(1, nz, 3, 4, ny, nx)
    r = raw.view(1, nz, 3, 4, ny, nx)
    x = torch.tensor([100.0, -20.0, 30.0])
    c = torch.tensor([128.0, 0.0, 0.0])
    A = torch.eye(3).view(1, 1, 3, 3, 1, 1) + r[:, :, :, :3]
    want = torch.einsum("nkrcyx,c->nkryx", A, x - c) + c.view(1, 1, 3, 1, 1) + 32 * r[:, :, :, 3]
    got = torch.einsum("nkrcyx,c->nkryx", co[:, :, :, :3], x) + co[:, :, :, 3]
    check("to_coeffs == A (x - c) + c + 32 b", (want - got).abs().max().item(), 1e-3)

    if FAIL:
        print(f"FAILED: {FAIL}")
        sys.exit(1)
    print("all bilateral checks passed")


if __name__ == "__main__":
    main()
