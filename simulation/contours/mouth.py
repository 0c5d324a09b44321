"""The mouth corners: where the lips meet near each corner, read on the photo, and the two
corners' left-right estimate."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .estimate import Estimate, blend, ramp, weighted_spread
from .frame import PhotoFrame, chain_at
from .profiles import sample_profiles, to_gray

__all__ = ["CORNER", "MOUTH_SEAM", "fit_mouth_corner", "read_mouth_corners"]

CORNER = {"right": 61, "left": 291}
# Mouth seam near each corner, ordered corner -> medial: the outer corner, the inner-lip corner,
# then midpoints of facing inner-lip landmarks (upper, lower).
MOUTH_SEAM = {
    "right": (61, 78, (191, 95), (80, 88)),
    "left": (291, 308, (415, 324), (310, 318)),
}
# How much darker (grey levels) than the lips the gap must be for a column to count: from 6,
# fully from 14 (assumption, set on the test photos); columns' weight (summed) for a corner to
# be read at all: from 1 to 2.
GAP_DARKNESS = (6.0, 14.0)
CORNER_EVIDENCE = (1.0, 2.0)
# Uncertainty (1 sd, mm) of one column's seam beyond the columns' own spread, and of the face
# model's corner height where the photo is not read (assumptions).
CORNER_COLUMN_SD_MM = 0.15
CORNER_MODEL_SD_MM = 0.4
# Each profile is averaged over 0.1 iris radii across and smoothed over 0.03 along (assumptions,
# set on the re-take changes in tests/retake.py TUNING).
CORNER_PROFILE_WIDTH = 0.1
CORNER_SMOOTHING = 0.03


def fit_mouth_corner(photo: PhotoFrame, side: str) -> tuple[float, float, float]:
    """How far (frame px, + = up) the mouth corner sits above MediaPipe's, its sd (px) and how
    well it was read (0..1). The gap between the lips is the darkest band across the mouth: at
    four points 0.1-0.4 iris radii medial of the corner the minimum of a vertical profile marks
    it; each point is weighed by how much darker than the lips the gap is there."""
    radius = photo.radius_px
    half = int(np.ceil(1.2 * radius)) + 4
    h, w = photo.rgb.shape[:2]
    corner = photo.landmarks_px[CORNER[side], :2]
    x0, y0 = max(int(corner[0]) - half, 0), max(int(corner[1]) - half, 0)
    x1, y1 = min(int(corner[0]) + half, w), min(int(corner[1]) + half, h)
    gray = to_gray(photo.rgb[y0:y1, x0:x1])
    frame = photo.frame.shifted(np.array([x0, y0], dtype=np.float64))
    lm = photo.landmarks_px[:, :2] - (x0, y0)
    pts = [lm[list(p) if isinstance(p, tuple) else [p]].mean(axis=0) for p in MOUTH_SEAM[side]]
    seam = frame.to_frame(np.array(pts))
    inward = -1.0 if side == "left" else 1.0  # towards the midline along frame x
    xs = seam[0, 0] + inward * radius * np.array([0.1, 0.2, 0.3, 0.4])
    ys = np.array([chain_at(seam, x) for x in xs])
    normals = np.repeat(frame.y_axis[None], len(xs), 0)
    t = np.arange(-0.45 * radius, 0.45 * radius, max(radius / 60.0, 0.05))
    origins = frame.to_image(np.column_stack([xs, ys]))
    prof = sample_profiles(gray, origins, normals, t, CORNER_PROFILE_WIDTH * radius)
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(
        prof, max(CORNER_SMOOTHING * radius, 0.5) / dt, axis=1, mode="nearest"
    )
    inner = np.abs(t) <= 0.3 * radius
    k = np.where(inner[None, :], smooth, np.inf).argmin(axis=1)
    rows = np.arange(len(xs))
    weight = np.asarray(ramp(np.median(smooth, axis=1) - smooth[rows, k], *GAP_DARKNESS))
    k = np.clip(k, 1, len(t) - 2)
    y_0, y_1, y_2 = smooth[rows, k - 1], smooth[rows, k], smooth[rows, k + 1]
    curv = y_0 - 2 * y_1 + y_2
    frac = np.where(curv > 1e-9, 0.5 * (y_0 - y_2) / np.where(curv > 1e-9, curv, 1.0), 0.0)
    pos = t[k] + np.clip(frac, -1, 1) * dt
    mean, sd, n_eff = weighted_spread(pos, weight)
    read = float(ramp(weight.sum(), *CORNER_EVIDENCE))
    sd = float(np.hypot(sd / np.sqrt(max(n_eff, 1.0)), CORNER_COLUMN_SD_MM / photo.mm_per_px))
    return mean, sd, read


def read_mouth_corners(photo: PhotoFrame) -> Estimate:
    """Both corners' shifts from MediaPipe's (each corner its own: a smile lifts them both),
    each weighed by how well its gap was read, and the sd of their difference."""
    (m_l, sd_l, w_l), (m_r, sd_r, w_r) = (fit_mouth_corner(photo, s) for s in ("left", "right"))
    model = CORNER_MODEL_SD_MM / photo.mm_per_px
    left, sd_left = blend(m_l, sd_l, w_l, model)
    right, sd_right = blend(m_r, sd_r, w_r, model)
    weight = min(w_l, w_r)
    reason = None if weight >= 0.5 else "mouth_corners_not_fitted"
    return Estimate(left, right, float(np.hypot(sd_left, sd_right)), weight, reason)
