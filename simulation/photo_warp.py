"""The predicted photo: the original photo's pixels moved by the simulated displacement.

Each mesh vertex's head-frame (x, y) displacement (mm) becomes an image displacement (pixels)
through the photo's measuring frame and scale; a thin-plate-spline field through those 468
vectors, pinned to zero on a ring around the face, gives a smooth dense field that fades out
beyond the face; the photo is then resampled backwards (output(p) = input(p - d(p))).
No Streamlit import: usable from the CLI and tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.interpolate import RBFInterpolator
from scipy.ndimage import map_coordinates
from scipy.spatial import ConvexHull

if TYPE_CHECKING:
    from .analysis import Analysis

N_MESH = 468
RING_SCALE = 1.25  # zero-displacement ring: the face hull scaled about its centre
RING_POINTS = 48
GRID_STEP = 4  # px between evaluations of the dense field (bilinear in between)


def displacement_px(analysis: Analysis, displacement_mm: np.ndarray) -> np.ndarray:
    """Head-frame (x, y) displacements in mm → image-pixel displacements (468, 2) (x right,
    y down), via the photo's frame axes and mm-per-pixel scale."""
    d = np.asarray(displacement_mm, dtype=np.float64)[:N_MESH, :2] / analysis.mm_per_px
    fr = analysis.frame
    return d[:, :1] * np.asarray(fr.x_axis)[None, :] + d[:, 1:2] * np.asarray(fr.y_axis)[None, :]


def _ring(points: np.ndarray) -> np.ndarray:
    hull = points[ConvexHull(points).vertices]
    centre = points.mean(axis=0)
    closed = np.vstack([hull, hull[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, s[-1], RING_POINTS, endpoint=False)
    ring = np.column_stack([np.interp(t, s, closed[:, 0]), np.interp(t, s, closed[:, 1])])
    return centre + RING_SCALE * (ring - centre)


def dense_field(
    shape: tuple[int, int], anchors_px: np.ndarray, vectors_px: np.ndarray
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The smooth (h, w, 2) displacement field over the face's box (zero outside), and the box
    (x0, y0, x1, y1) it covers in the image."""
    ring = _ring(anchors_px)
    pts = np.vstack([anchors_px, ring])
    vals = np.vstack([vectors_px, np.zeros_like(ring)])
    h, w = shape
    x0, y0 = np.floor(np.maximum(ring.min(axis=0), 0)).astype(int)
    x1, y1 = np.ceil(np.minimum(ring.max(axis=0), [w - 1, h - 1])).astype(int) + 1
    gx = np.arange(x0, x1 + GRID_STEP, GRID_STEP, dtype=np.float64)
    gy = np.arange(y0, y1 + GRID_STEP, GRID_STEP, dtype=np.float64)
    xx, yy = np.meshgrid(gx, gy)
    q = np.column_stack([xx.ravel(), yy.ravel()])
    rbf = RBFInterpolator(pts, vals, kernel="thin_plate_spline", smoothing=1e-3)
    coarse = rbf(q).reshape(len(gy), len(gx), 2)
    # Beyond the ring the field is zero; a soft edge (distance to the ring in ring-radius units).
    centre = anchors_px.mean(axis=0)
    ring_r = np.linalg.norm(ring - centre, axis=1)
    ang_ring = np.arctan2(ring[:, 1] - centre[1], ring[:, 0] - centre[0])
    ang_q = np.arctan2(q[:, 1] - centre[1], q[:, 0] - centre[0])
    order = np.argsort(ang_ring)
    r_at = np.interp(ang_q, ang_ring[order], ring_r[order], period=2 * np.pi)
    rel = np.linalg.norm(q - centre, axis=1) / r_at
    fade = np.clip((1.0 - rel) / (1.0 - 1.0 / RING_SCALE), 0.0, 1.0)
    fade = fade * fade * (3 - 2 * fade)  # smoothstep: 1 inside the face hull, 0 at the ring
    coarse *= fade.reshape(len(gy), len(gx), 1)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    coords = [(yy - y0) / GRID_STEP, (xx - x0) / GRID_STEP]
    field = np.stack(
        [map_coordinates(coarse[..., c], coords, order=1, mode="nearest") for c in range(2)],
        axis=-1,
    )
    return field, (int(x0), int(y0), int(x1), int(y1))


def warp_photo(rgb: np.ndarray, analysis: Analysis, displacement_mm: np.ndarray) -> np.ndarray:
    """The photo with the face moved by `displacement_mm` (468, 3) head-frame mm; (H, W, 3) uint8.

    Zero displacement returns an identical copy. Only the face region (and a soft margin)
    moves; the background stays where it was.
    """
    img = np.asarray(rgb)
    out = np.array(img, dtype=np.uint8, copy=True)
    d_px = displacement_px(analysis, displacement_mm)
    if not np.any(np.abs(d_px) > 1e-6):
        return out
    anchors = np.asarray(analysis.landmarks_px, dtype=np.float64)[:N_MESH, :2]
    field, (x0, y0, x1, y1) = dense_field(img.shape[:2], anchors, d_px)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    sx = xx - field[..., 0]
    sy = yy - field[..., 1]
    for c in range(3):
        out[y0:y1, x0:x1, c] = np.clip(
            np.rint(
                map_coordinates(img[..., c].astype(np.float64), [sy, sx], order=1, mode="nearest")
            ),
            0,
            255,
        ).astype(np.uint8)
    return out


def difference_overlay(before: np.ndarray, after: np.ndarray, gain: float = 4.0) -> np.ndarray:
    """The after photo with where it changed tinted magenta (|after - before|, amplified)."""
    b = np.asarray(before, dtype=np.float64)
    a = np.asarray(after, dtype=np.float64)
    diff = np.clip(np.abs(a - b).mean(axis=2, keepdims=True) * gain / 255.0, 0.0, 1.0)
    tint = np.array([255.0, 0.0, 200.0])
    return np.clip(a * (1 - 0.7 * diff) + tint * 0.7 * diff, 0, 255).astype(np.uint8)
