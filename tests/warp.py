"""Test helpers: move one brow, lid, mouth corner or jaw angle of a real photo by known mm."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates

from simulation.analysis import Analysis
from simulation.contours import LID_LOWER, LID_UPPER


def lift_brow(rgb: np.ndarray, analysis: Analysis, side: str, lift_mm: float) -> np.ndarray:
    """Smoothly warp the photo so the `side` brow moves up by `lift_mm` while the eye and the
    other brow stay where they are (Gaussian bump: flat over the brow, ~0 at the pupil)."""
    f = analysis.frame
    mm = analysis.mm_per_px
    brow = analysis.points_mm[f"brow_mid_{side}"] / mm
    gap = brow[1]  # brow height above the inter-pupil line (the frame's x axis)
    xx, yy, local_mm = _grid_mm(rgb, analysis)
    local = local_mm / mm
    dx = local[..., 0] - brow[0]
    dy = local[..., 1] - (brow[1] + 0.1 * gap)
    sx, sy = 0.55 * gap * 1.6, 0.33 * gap
    flat_x = np.exp(-0.5 * np.maximum(np.abs(dx) - 0.6 * gap, 0) ** 2 / sx**2)
    bump = flat_x * np.exp(-0.5 * (np.maximum(np.abs(dy) - 0.25 * gap, 0) / sy) ** 2)
    return _shift_along(rgb, f.y_axis, (lift_mm / mm) * bump, xx, yy)


def lift_mouth_corner(rgb: np.ndarray, analysis: Analysis, side: str, lift_mm: float) -> np.ndarray:
    """Smoothly warp the photo so the `side` mouth corner moves up by `lift_mm` (flat within
    2 mm of the corner, Gaussian fall-off of 3 mm beyond), as a depressor anguli oris
    treatment would; the lips' midline, 20+ mm away, stays put."""
    f = analysis.frame
    mm = analysis.mm_per_px
    corner = analysis.points_mm[f"corner_{side}"]
    xx, yy, local = _grid_mm(rgb, analysis)
    dist = np.maximum(np.abs(local - corner) - 2.0, 0.0)
    bump = np.exp(-0.5 * (dist**2).sum(axis=-1) / 3.0**2)
    return _shift_along(rgb, f.y_axis, (lift_mm / mm) * bump, xx, yy)


def drop_upper_lid(rgb: np.ndarray, analysis: Analysis, side: str, drop_mm: float) -> np.ndarray:
    """Smoothly warp the photo so the `side` upper lid moves down by `drop_mm`, as a ptosis
    would (see `_move_lid_band`)."""
    return _move_lid_band(rgb, analysis, LID_UPPER[side], -1.0, drop_mm)


def raise_lower_lid(rgb: np.ndarray, analysis: Analysis, side: str, rise_mm: float) -> np.ndarray:
    """Smoothly warp the photo so the `side` lower lid moves up by `rise_mm`, as a tighter lower
    lid would (see `_move_lid_band`). The iris sits on the lower lid, so the band would carry its
    lower half up too; a real lid slides over the eye, so the iris above the lid's margin (taken
    1 mm above MediaPipe's line, its median offset on the test photos) stays where it was."""
    moved = _move_lid_band(rgb, analysis, LID_LOWER[side], 1.0, rise_mm)
    f = analysis.frame
    mm = analysis.mm_per_px
    centre = analysis.points_mm[f"pupil_{side}"] / mm  # frame px
    radius = analysis.iris_radius_px[0 if side == "right" else 1]
    lid = f.to_frame(analysis.landmarks_px[list(LID_LOWER[side]), :2])
    order = np.argsort(lid[:, 0])
    local = _grid_mm(rgb, analysis)[2] / mm
    src = local - np.array([0.0, rise_mm / mm])  # where the band's pixels came from
    margin = np.interp(src[..., 0], lid[order, 0], lid[order, 1]) + 1.0 / mm
    iris = (np.hypot(*(local - centre).transpose(2, 0, 1)) < radius) & (src[..., 1] > margin)
    out = moved.copy()
    out[iris] = rgb[iris]
    return out


def _move_lid_band(
    rgb: np.ndarray, analysis: Analysis, chain: tuple, into_eye: float, move_mm: float
) -> np.ndarray:
    """Move a band along a lid `move_mm` towards the eye's centre (`into_eye` is +1 for a lower
    lid, -1 for an upper one): from 1 mm outside MediaPipe's lid line to 1.8 mm + `move_mm`
    inside it (the margin sits up to ~1.6 mm inside the line on the test photos, and must land
    inside the band), moving as one, fading over 0.8 mm towards the pupil, 1.5 mm away from the
    eye and 2 mm beyond the canthi."""
    f = analysis.frame
    mm = analysis.mm_per_px
    lid = f.to_frame(analysis.landmarks_px[list(chain), :2]) * mm
    order = np.argsort(lid[:, 0])
    xs, ys = lid[order, 0], lid[order, 1]
    xx, yy, local = _grid_mm(rgb, analysis)
    inward = into_eye * (local[..., 1] - np.interp(local[..., 0], xs, ys))
    far = 1.8 + move_mm
    dy = np.where(
        inward > far, (inward - far) / 0.8, np.where(inward < -1.0, (-1.0 - inward) / 1.5, 0.0)
    )
    dx = np.maximum(np.maximum(xs[0] - local[..., 0], local[..., 0] - xs[-1]), 0.0)
    bump = np.exp(-0.5 * dy**2) * np.exp(-0.5 * (dx / 2.0) ** 2)
    return _shift_along(rgb, f.y_axis, (into_eye * move_mm / mm) * bump, xx, yy)


def widen_jaw(rgb: np.ndarray, analysis: Analysis, side: str, widen_mm: float) -> np.ndarray:
    """Smoothly warp the photo so the `side` jaw angle moves outward by `widen_mm`, as a larger
    masseter would (flat within 4 mm across and 6 mm up and down of the jaw point, Gaussian
    fall-off of the same sizes beyond); the chin and the other side stay put."""
    f = analysis.frame
    mm = analysis.mm_per_px
    jaw = analysis.points_mm[f"jaw_{side}"]
    xx, yy, local = _grid_mm(rgb, analysis)
    size = np.array([4.0, 6.0])
    dist = np.maximum(np.abs(local - jaw) - size, 0.0)
    bump = np.exp(-0.5 * ((dist / size) ** 2).sum(axis=-1))
    outward = 1.0 if side == "left" else -1.0
    return _shift_along(rgb, f.x_axis, (outward * widen_mm / mm) * bump, xx, yy)


def height_difference_mm(analysis: Analysis, reference: Analysis, point: str) -> float:
    """Left minus right height (mm) of a measured point ("lid_upper", "pupil", …) on the photo,
    along the reference photo's up axis, so that a warped photo compares with the original."""
    at = {
        s: analysis.frame.to_image(analysis.points_mm[f"{point}_{s}"] / analysis.mm_per_px)
        for s in ("left", "right")
    }
    return float((at["left"] - at["right"]) @ reference.frame.y_axis * analysis.mm_per_px)


def _grid_mm(rgb: np.ndarray, analysis: Analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pixel's image x and y, and its position in the analysis's frame in mm."""
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    local = analysis.frame.to_frame(np.stack([xx, yy], axis=-1)) * analysis.mm_per_px
    return xx, yy, local


def _shift_along(
    rgb: np.ndarray, axis: np.ndarray, shift_px: np.ndarray, xx: np.ndarray, yy: np.ndarray
) -> np.ndarray:
    """Resample the photo so content moves `shift_px` (per pixel) along a unit `axis`."""
    src = np.stack([xx, yy], axis=-1) - shift_px[..., None] * axis
    out = np.empty_like(rgb)
    for c in range(rgb.shape[2]):
        out[..., c] = np.clip(
            map_coordinates(rgb[..., c].astype(np.float64), [src[..., 1], src[..., 0]], order=3),
            0,
            255,
        ).round()
    return out
