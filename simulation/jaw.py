"""Refine the face outline at the jaw angle on the photo (for `lower_face_half_width_mm`).

MediaPipe's face oval follows a one-sided widening of the lower face (masseter) only about a
quarter of the way. Here the visible outline is found on 11 horizontal rows, 1 mm apart, around
MediaPipe's jaw point: each row's colour-gradient peaks (so skin against a darker or a lighter
background count alike) propose edges, and the straight line most rows agree on is the outline.
Left and right are treated identically, so a mirrored photo gives swapped offsets.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, map_coordinates

from .contours import Frame

# Face-oval landmarks around each jaw angle, cheek to chin, and the jaw point itself (MediaPipe
# face mesh indices; the point is where `lower_face_half_width_mm` is measured).
OVAL_SIDE = {
    "left": (454, 323, 361, 288, 397, 365, 379, 378),
    "right": (234, 93, 132, 58, 172, 136, 150, 149),
}
JAW_POINT = {"left": 397, "right": 172}

# The search (mm): rows from 4 below to 6 above the jaw point, over the ramus and angle of the
# mandible, each searched 6 mm either side of the oval and averaged over 1 mm vertically, smoothed
# over 0.5 mm. Set on the test photos, where the visible outline lies 0-5 mm outside the oval
# (assumption).
ROW_HEIGHTS_MM = np.arange(-4.0, 6.01, 1.0)
REACH_MM = 6.0
BAND_MM = 1.0
SMOOTH_MM = 0.5
# An edge candidate: a colour-gradient peak of at least 6 grey levels per mm and 35% of its
# row's strongest. The outline: a line tilted at most 0.6 mm per mm against the oval, supported
# (a candidate within 0.6 mm) by at least 60% of the rows (assumptions, set on the test photos).
MIN_GRADIENT = 6.0
MIN_RELATIVE = 0.35
MAX_TILT = 0.6
INLIER_MM = 0.6
MIN_SUPPORT = 0.6
# Largest left-right difference (mm) of the two outlines' offsets from MediaPipe's that is taken
# from the image: larger ones came from a collar, hair or background edge on the test photos
# (assumption).
JAW_OFFSET_DIFF_MAX_MM = 3.0


def jaw_crop(
    rgb: np.ndarray, landmarks_px: np.ndarray, side: str, mm_per_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """The window around one side's jaw point that the fit reads, and its offset in pixels."""
    c = landmarks_px[JAW_POINT[side], :2]
    # the rows reach 7 mm above the point (6 mm, plus the 1 mm band) and the oval they start from
    # bends inward above it, so 8 mm on top of the search is room enough
    r = int(np.ceil((REACH_MM + 8.0) / mm_per_px)) + 3
    h, w = rgb.shape[:2]
    x0, y0 = max(int(c[0]) - r, 0), max(int(c[1]) - r, 0)
    x1, y1 = min(int(c[0]) + r + 1, w), min(int(c[1]) + r + 1, h)
    return rgb[y0:y1, x0:x1], np.array([x0, y0], dtype=np.float64)


def fit_jaw_outline(
    rgb: np.ndarray, landmarks_px: np.ndarray, frame: Frame, side: str, mm_per_px: float
) -> float | None:
    """How far (frame px, + = outward, away from the midline) the visible face outline sits
    beyond MediaPipe's oval at the jaw point, or None where no straight outline is supported
    by most rows. `rgb`, `landmarks_px` and `frame` share one pixel grid (a crop is fine)."""
    mm = mm_per_px
    outward = frame.x_axis if side == "left" else -frame.x_axis
    chain = frame.to_frame(landmarks_px[list(OVAL_SIDE[side]), :2])
    jaw = frame.to_frame(landmarks_px[JAW_POINT[side], :2])
    ys = jaw[1] + ROW_HEIGHTS_MM / mm
    order = np.argsort(chain[:, 1])
    xs = np.interp(ys, chain[order, 1], chain[order, 0])
    dt = max(0.1 / mm, 0.5)
    t = np.arange(-REACH_MM / mm, REACH_MM / mm + dt / 2, dt)
    band = np.linspace(-BAND_MM, BAND_MM, 5) / mm
    pts = (
        frame.to_image(np.column_stack([xs, ys]))[:, None, None, :]
        + t[None, :, None, None] * outward
        + band[None, None, :, None] * frame.y_axis
    )
    coords = [pts[..., 1].ravel(), pts[..., 0].ravel()]
    prof = np.stack(
        [
            map_coordinates(rgb[..., c].astype(np.float32), coords, order=1, mode="nearest")
            .reshape(pts.shape[:3])
            .mean(axis=2)
            for c in range(3)
        ],
        axis=1,
    )  # (rows, colour, t)
    offset_mm = _best_line(_edge_candidates(prof, t, mm), ROW_HEIGHTS_MM, mm)
    return None if offset_mm is None else offset_mm / mm


def _edge_candidates(
    prof: np.ndarray, t: np.ndarray, mm: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every colour-gradient peak that is strong enough, row by row: its row, its position (px)
    and its strength relative to its row's strongest."""
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(prof, SMOOTH_MM / mm / dt, axis=2, mode="nearest")
    grad = np.gradient(smooth, dt, axis=2) / mm  # grey levels per mm
    m = np.sqrt((grad * grad).sum(axis=1))  # (rows, t), either polarity
    top = m.max(axis=1, keepdims=True)
    peak = np.zeros(m.shape, dtype=bool)
    peak[:, 1:-1] = (m[:, 1:-1] >= m[:, :-2]) & (m[:, 1:-1] > m[:, 2:])
    peak &= (m >= MIN_GRADIENT) & (m >= MIN_RELATIVE * top)
    r, i = np.nonzero(peak)
    before, at, after = m[r, i - 1], m[r, i], m[r, i + 1]
    curv = before - 2 * at + after
    frac = np.where(curv < 0, 0.5 * (before - after) / np.where(curv < 0, curv, -1.0), 0.0)
    pos = t[i] + np.clip(frac, -1.0, 1.0) * dt
    return r, pos, at / top[r, 0]


def _best_line(
    cands: tuple[np.ndarray, np.ndarray, np.ndarray], heights_mm: np.ndarray, mm: float
) -> float | None:
    """Offset (mm, at height 0) of the straight outline that the rows' candidates (row, position
    px, relative strength) support best: every pair of candidates on two rows proposes a line,
    scored by the sum over rows of the strongest candidate within INLIER_MM of it; None when
    under MIN_SUPPORT of the rows agree."""
    k = len(heights_mm)
    row, pos_px, score = cands
    if len(row) < 2:
        return None
    pos = pos_px * mm
    h = heights_mm[row]
    i, j = np.triu_indices(len(row), 1)
    pair = row[i] != row[j]
    i, j = i[pair], j[pair]
    tilt = (pos[j] - pos[i]) / (h[j] - h[i])
    flat = np.abs(tilt) <= MAX_TILT
    i, tilt = i[flat], tilt[flat]
    if len(i) == 0:
        return None
    offset = pos[i] - tilt * h[i]
    near = np.abs(pos[None, :] - (offset[:, None] + tilt[:, None] * h[None, :])) <= INLIER_MM
    support = np.where(near, score[None, :], 0.0)  # (lines, candidates)
    total = sum(support[:, row == r].max(axis=1) for r in np.unique(row))
    best = int(np.argmax(total))
    chosen = np.full(k, -1)
    for n in np.flatnonzero(near[best]):
        if chosen[row[n]] < 0 or score[n] > score[chosen[row[n]]]:
            chosen[row[n]] = n
    rows = np.flatnonzero(chosen >= 0)
    if len(rows) < MIN_SUPPORT * k:
        return None
    design = np.column_stack([np.ones(len(rows)), heights_mm[rows]])
    return float(np.linalg.lstsq(design, pos[chosen[rows]], rcond=None)[0][0])


def jaw_shift(left: float | None, right: float | None, mm_per_px: float) -> float | None:
    """Frame-x shift (px, + towards the patient's left) of both jaw points: the antisymmetric
    part of the two outlines' outward offsets, which widens one side as much as it narrows the
    other (the mean width stays MediaPipe's, as for the lids). None where either side is not
    read or the two differ implausibly."""
    if left is None or right is None or abs(left - right) * mm_per_px > JAW_OFFSET_DIFF_MAX_MM:
        return None
    return 0.5 * (left - right)
