"""BT.601 limited-range colour conversions, exactly as server/src/engine/color.ts.

The engine works in (Y, U-128, V-128) with 0..255 units. Note that yuv_to_rgb uses color.ts's
own (rounded) inverse coefficients, so yuv_to_rgb(rgb_to_yuv(x)) == x only to ~1e-3.
"""
import torch

_RGB2YUV = torch.tensor([
    [0.256788, 0.504129, 0.097906],
    [-0.148223, -0.290993, 0.439216],
    [0.439216, -0.367788, -0.071427],
], dtype=torch.float64)
_YUV_OFFSET = torch.tensor([16.0, 0.0, 0.0], dtype=torch.float64)
# rows: R, G, B as functions of (Y - 16, U - 128, V - 128)
_YUV2RGB = torch.tensor([
    [1.164383, 0.0, 1.596027],
    [1.164383, -0.391762, -0.812968],
    [1.164383, 2.017232, 0.0],
], dtype=torch.float64)


def _apply(mat, x, offset_in=None, offset_out=None):
    if x.dim() < 3 or x.shape[-3] != 3:
        raise ValueError(f"expected [..., 3, H, W], got {tuple(x.shape)}")
    m = mat.to(dtype=x.dtype, device=x.device)
    if offset_in is not None:
        x = x - offset_in.to(dtype=x.dtype, device=x.device).view(3, 1, 1)
    y = torch.einsum("ij,...jhw->...ihw", m, x)
    if offset_out is not None:
        y = y + offset_out.to(dtype=x.dtype, device=x.device).view(3, 1, 1)
    return y


def rgb_to_yuv(rgb255):
    """[N,3,H,W] RGB in 0..255 -> (Y, U-128, V-128) in 0..255 units (color.ts rgbToYuv)."""
    return _apply(_RGB2YUV, rgb255, offset_out=_YUV_OFFSET)


def yuv_to_rgb(yuv):
    """(Y, U-128, V-128) -> RGB 0..255 (color.ts yuvToRgb; not clamped)."""
    return _apply(_YUV2RGB, yuv, offset_in=_YUV_OFFSET)
