"""Refine the face outline at the jaw angle on the photo (for `lower_face_half_width_mm`).

MediaPipe's face oval follows a one-sided widening of the lower face (masseter) only about a
quarter of the way. Here the visible outline is found on 11 horizontal rows, 1 mm apart, around
MediaPipe's jaw point: each row's colour-gradient peaks (so skin against a darker or a lighter
background count alike) propose edges, and the straight line most rows agree on is the outline.
Rival outlines (a collar, a scarf, a background edge) are weighed by how many rows support
them, not picked between, and a gate is a smooth ramp, so a slightly different photo moves the
reading a little. Left and right are treated identically, so a mirrored photo gives swapped
offsets.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, map_coordinates

from .estimate import Estimate, blend, ramp
from .frame import Frame, PhotoFrame

__all__ = ["JAW_POINT", "OVAL_SIDE", "fit_jaw_outline", "jaw_crop", "read_jaw"]

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
# (a candidate within 0.6 mm) by about 60% of the rows (assumptions, set on the test photos).
MIN_GRADIENT = 6.0
MIN_RELATIVE = 0.35
MAX_TILT = 0.6
INLIER_MM = 0.6
# Largest left-right difference (mm) of the two outlines' offsets from MediaPipe's that is taken
# from the image: larger ones came from a collar, hair or background edge on the test photos.
# The image's weight falls from 1 at 2.5 mm to 0 at 3.5 mm (assumption).
JAW_OFFSET_DIFF_MM = (2.5, 3.5)
# Rival outlines: those whose support is within 2 rows of the best are weighed by
# exp((support - best) / 0.5 rows); the share of rows supporting an outline for it to count
# rises from 50% to 70% (assumptions).
RIVAL_ROWS = 3.0
RIVAL_TEMPERATURE = 1.0
SUPPORT_RAMP = (0.5, 0.7)
# Uncertainty (1 sd, mm) of the face model's jaw width difference where the outline is not read:
# MediaPipe's oval follows a one-sided widening only a quarter of the way (assumption).
JAW_MODEL_SD_MM = 1.0


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
) -> tuple[float, float, float]:
    """How far (frame px, + = outward, away from the midline) the visible face outline sits
    beyond MediaPipe's oval at the jaw point, its sd (px) and how well most rows support a
    straight outline (0..1; 0 where none). `rgb`, `landmarks_px` and `frame` share one pixel
    grid (a crop is fine)."""
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
    offset_mm, sd_mm, support = _weighed_lines(_edge_candidates(prof, t, mm), ROW_HEIGHTS_MM, mm)
    return offset_mm / mm, sd_mm / mm, support


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


def _weighed_lines(
    cands: tuple[np.ndarray, np.ndarray, np.ndarray], heights_mm: np.ndarray, mm: float
) -> tuple[float, float, float]:
    """Offset (mm, at height 0) of the straight outline that the rows' candidates (row, position
    px, relative strength) support, its sd (mm) and the share of rows that support it, ramped
    (0..1). Every pair of candidates on two rows proposes a line, scored by the sum over rows of
    the strongest candidate within INLIER_MM of it; the lines scoring near the best are each
    refitted to their inliers and weighed by their score, so rival outlines widen the sd."""
    k = len(heights_mm)
    row, pos_px, score = cands
    if len(row) < 2:
        return 0.0, 0.0, 0.0
    pos = pos_px * mm
    h = heights_mm[row]
    i, j = np.triu_indices(len(row), 1)
    pair = row[i] != row[j]
    i, j = i[pair], j[pair]
    tilt = (pos[j] - pos[i]) / (h[j] - h[i])
    flat = np.abs(tilt) <= MAX_TILT
    i, tilt = i[flat], tilt[flat]
    if len(i) == 0:
        return 0.0, 0.0, 0.0
    offset = pos[i] - tilt * h[i]
    near = np.abs(pos[None, :] - (offset[:, None] + tilt[:, None] * h[None, :])) <= INLIER_MM
    support = np.where(near, score[None, :], 0.0)  # (lines, candidates)
    rows_u = np.unique(row)
    total = np.stack([support[:, row == r].max(axis=1) for r in rows_u]).sum(axis=0)
    best = float(total.max())
    keep = np.flatnonzero(total >= best - RIVAL_ROWS)
    keep = keep[np.argsort(-total[keep])][:24]
    # each kept line's inliers: on every row, its strongest candidate within INLIER_MM
    masked = np.where(near[keep], score[None, :], -1.0)  # (L, candidates)
    picked = np.full((len(keep), k), -1)
    for r in rows_u:
        cols = np.flatnonzero(row == r)
        best_col = masked[:, cols].argmax(axis=1)
        found = masked[np.arange(len(keep)), cols[best_col]] >= 0.0
        picked[:, r] = np.where(found, cols[best_col], -1)
    used = picked >= 0  # (L, rows)
    n_rows = used.sum(axis=1)
    y = np.where(used, pos[np.maximum(picked, 0)], 0.0)
    hh = np.where(used, heights_mm[None, :], 0.0)
    # least squares offset + tilt * height over each line's inliers, in closed form
    sh, sy = hh.sum(axis=1), y.sum(axis=1)
    shh, shy = (hh * hh).sum(axis=1), (hh * y).sum(axis=1)
    det = n_rows * shh - sh * sh
    slope = np.where(np.abs(det) > 1e-12, (n_rows * shy - sh * sy) / np.where(det == 0, 1, det), 0)
    offsets = (sy - slope * sh) / np.maximum(n_rows, 1)
    res = np.where(used, y - offsets[:, None] - slope[:, None] * hh, 0.0)
    fit_sd = np.sqrt((res * res).sum(axis=1) / np.maximum(n_rows, 1))
    resid = np.where(n_rows > 2, fit_sd, 0.0) / np.sqrt(np.maximum(n_rows - 2, 1))
    shares = n_rows / k
    w = np.exp((total[keep] - best) / RIVAL_TEMPERATURE)
    w /= w.sum()
    mean = float(w @ offsets)
    var = float(w @ (resid**2 + (offsets - mean) ** 2))
    return mean, float(np.sqrt(var)), float(ramp(float(w @ shares), *SUPPORT_RAMP))


def read_jaw(photo: PhotoFrame) -> Estimate:
    """The jaw points' left-right estimate (frame x, + towards the patient's left): the
    antisymmetric part of the two outlines' outward offsets, which widens one side as much as
    it narrows the other (the mean width stays MediaPipe's, as for the lids), weighed by how
    well both outlines are read and how plausible their difference is."""
    found = {}
    for side in ("right", "left"):
        crop, corner = jaw_crop(photo.rgb, photo.landmarks_px, side, photo.mm_per_px)
        local = photo.landmarks_px.copy()
        local[:, :2] -= corner
        found[side] = fit_jaw_outline(
            crop, local, photo.frame.shifted(corner), side, photo.mm_per_px
        )
    (o_l, sd_l, w_l), (o_r, sd_r, w_r) = found["left"], found["right"]
    mm = photo.mm_per_px
    apart = abs(o_l - o_r) * mm
    weight = min(w_l, w_r) * (1.0 - float(ramp(apart, *JAW_OFFSET_DIFF_MM)))
    # a widening moves the left point left (+x) and the right point right (-x): half each
    mean, sd = blend(
        0.5 * (o_l - o_r), 0.5 * float(np.hypot(sd_l, sd_r)), weight, 0.5 * JAW_MODEL_SD_MM / mm
    )
    unread = [s for s, w in (("left", w_l), ("right", w_r)) if w < 0.5]
    if weight >= 0.5:
        reason = None
    elif unread:
        reason = "jaw_unread_" + "_and_".join(unread)
    else:
        reason = "jaw_outlines_disagree"
    return Estimate(mean, -mean, 2.0 * sd, weight, reason)
