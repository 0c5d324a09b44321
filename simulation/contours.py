"""Refine the contours that measurements use on the image itself (sub-pixel edges, iris circles).

Raw landmarks are pulled towards an average symmetric face, so a brow that sits 2.5 mm higher is
detected only ~1.9 mm higher. Each contour is seeded by the (symmetrised) landmarks and then moved
to the strongest intensity edge of the expected polarity along its normal. Every step treats the
patient's left and right identically, so a mirrored photo gives mirrored contours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, map_coordinates

from .face import LEFT_IRIS, RIGHT_IRIS

# Landmark chains (MediaPipe face mesh indices), ordered lateral -> medial, patient's right / left.
BROW_UPPER = {"right": (70, 63, 105, 66, 107), "left": (300, 293, 334, 296, 336)}
BROW_LOWER = {"right": (46, 53, 52, 65, 55), "left": (276, 283, 282, 295, 285)}
LID_UPPER = {
    "right": (33, 246, 161, 160, 159, 158, 157, 173, 133),
    "left": (263, 466, 388, 387, 386, 385, 384, 398, 362),
}
LID_LOWER = {
    "right": (33, 7, 163, 144, 145, 153, 154, 155, 133),
    "left": (263, 249, 390, 373, 374, 380, 381, 382, 362),
}
CANTHUS_LATERAL = {"right": 33, "left": 263}
CANTHUS_MEDIAL = {"right": 133, "left": 362}
IRIS = {"right": (RIGHT_IRIS, (469, 470, 471, 472)), "left": (LEFT_IRIS, (474, 475, 476, 477))}
SIDES = ("right", "left")


@dataclass(frozen=True)
class Frame:
    """The photo's measuring frame: origin between the pupils, x along the inter-pupil line
    towards the patient's left, y up, in pixels (multiply by mm_per_px for mm)."""

    origin: np.ndarray  # (2,) image pixels
    x_axis: np.ndarray  # (2,) unit, image pixels
    y_axis: np.ndarray  # (2,) unit, image pixels (points up in the photo)

    def to_frame(self, pts: np.ndarray) -> np.ndarray:
        d = np.asarray(pts, dtype=np.float64)[..., :2] - self.origin
        return np.stack([d @ self.x_axis, d @ self.y_axis], axis=-1)

    def to_image(self, pts: np.ndarray) -> np.ndarray:
        p = np.asarray(pts, dtype=np.float64)
        return self.origin + p[..., :1] * self.x_axis + p[..., 1:2] * self.y_axis


def frame_from_pupils(right_px: np.ndarray, left_px: np.ndarray) -> Frame:
    """The frame whose x axis runs from the right pupil to the left one (roll removed)."""
    x = (left_px - right_px) / np.linalg.norm(left_px - right_px)
    y = np.array([x[1], -x[0]])  # image y grows downwards, so this points up the face
    return Frame(0.5 * (left_px + right_px), x, y)


def sample_profiles(
    gray: np.ndarray, origins: np.ndarray, normals: np.ndarray, t: np.ndarray, width: float
) -> np.ndarray:
    """Intensity along each normal (K, T), averaged over a few parallel lines `width` px apart
    on either side, bilinear."""
    tangents = np.stack([normals[:, 1], -normals[:, 0]], axis=1)
    offsets = np.linspace(-width, width, 5)
    pts = (
        origins[:, None, None, :]
        + t[None, :, None, None] * normals[:, None, None, :]
        + offsets[None, None, :, None] * tangents[:, None, None, :]
    )
    vals = map_coordinates(
        gray, [pts[..., 1].ravel(), pts[..., 0].ravel()], order=1, mode="nearest"
    )
    return vals.reshape(pts.shape[:3]).mean(axis=2)


def strongest_edge(
    profiles: np.ndarray, t: np.ndarray, lo: np.ndarray, hi: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel position (in t) of the largest rising edge of each profile within [lo, hi],
    and its strength relative to the profile's noise (0 where there is no usable edge)."""
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(profiles, sigma / dt, axis=1, mode="nearest")
    grad = np.gradient(smooth, dt, axis=1)
    inside = (t[None, :] >= lo[:, None]) & (t[None, :] <= hi[:, None])
    masked = np.where(inside, grad, -np.inf)
    k = masked.argmax(axis=1)
    rows = np.arange(len(k))
    k = np.clip(k, 1, len(t) - 2)
    g0, g1, g2 = grad[rows, k - 1], grad[rows, k], grad[rows, k + 1]
    denom = g0 - 2 * g1 + g2
    flat = np.abs(denom) <= 1e-12  # no curvature (a flat profile): keep the sample
    shift = np.where(flat, 0.0, 0.5 * (g0 - g2) / np.where(flat, 1.0, denom))
    pos = t[k] + np.clip(shift, -1, 1) * dt
    noise = np.median(np.abs(grad), axis=1) + 1e-6
    strength = np.where(np.isfinite(masked[rows, k]), g1 / noise, 0.0)
    return pos, strength


def half_contrast_rise(
    profiles: np.ndarray,
    t: np.ndarray,
    dark_lo: np.ndarray,
    dark_hi: np.ndarray,
    top: np.ndarray,
    sigma: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Topmost point within `top` above each profile's darkest value in [dark_lo, dark_hi] where
    it climbs through the level half way between that value and the brightness above it.
    Works for sharp and gradual margins and for brows made of several dark bands, and moves
    exactly with the image. Returns positions and the contrast (bright - dark)."""
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(profiles, sigma / dt, axis=1, mode="nearest")
    in_dark = (t[None, :] >= dark_lo[:, None]) & (t[None, :] <= dark_hi[:, None])
    k_dark = np.where(in_dark, smooth, np.inf).argmin(axis=1)
    rows = np.arange(len(k_dark))
    dark = smooth[rows, k_dark]
    above = t[None, :] >= t[k_dark][:, None]
    bright = _suffix_percentile(smooth, k_dark, 90.0)
    level = 0.5 * (dark + bright)
    below = smooth < level[:, None]
    rising = above[:, 1:] & below[:, :-1] & ~below[:, 1:] & (t[None, 1:] <= top[:, None])
    has = rising.any(axis=1)
    last = rising.shape[1] - 1 - rising[:, ::-1].argmax(axis=1)
    k = np.where(has, last + 1, len(t) - 1)
    k = np.clip(k, 1, len(t) - 1)
    y0, y1 = smooth[rows, k - 1], smooth[rows, k]
    frac = np.clip((level - y0) / np.where(np.abs(y1 - y0) > 1e-9, y1 - y0, 1.0), 0.0, 1.0)
    return t[k - 1] + frac * dt, bright - dark


def _suffix_percentile(values: np.ndarray, start: np.ndarray, q: float) -> np.ndarray:
    """Each row's q-th percentile (numpy's linear method) of its values from column `start[r]`
    on, for all rows at once (a per-row np.percentile cost more than the rest of a lid fit)."""
    n_rows, n = values.shape
    masked = np.where(np.arange(n)[None, :] >= start[:, None], values, -np.inf)
    ordered = np.sort(masked, axis=1)  # the suffix's values fill each row's last columns
    count = n - start
    pos = (n - count) + (q / 100.0) * (count - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    rows = np.arange(n_rows)
    frac = pos - lo
    return ordered[rows, lo] + frac * (ordered[rows, hi] - ordered[rows, lo])


def chain_at(frame_pts: np.ndarray, x: float) -> float:
    """Height (y) of a landmark chain at position x, by linear interpolation along x."""
    order = np.argsort(frame_pts[:, 0])
    return float(np.interp(x, frame_pts[order, 0], frame_pts[order, 1]))


@dataclass(frozen=True)
class IrisFit:
    centre_px: np.ndarray  # (2,)
    radius_px: float
    refined: bool


def fit_iris(gray: np.ndarray, landmarks_px: np.ndarray, frame: Frame, side: str) -> IrisFit:
    """Iris radius and horizontal centre from the limbus (iris-sclera edge) on rays beside the
    iris (within ±30° of the inter-pupil line, where lids rarely cover it), paired across the
    iris: each pair gives a diameter and a centre; the medians are robust to lashes and
    reflections. The vertical centre stays MediaPipe's: rays this flat cannot pin it down (a
    line fit through them wandered by ±1 mm on real photos)."""
    centre_idx, rim_idx = IRIS[side]
    c0 = landmarks_px[centre_idx, :2]
    r0 = float(np.linalg.norm(landmarks_px[list(rim_idx), :2] - c0, axis=1).mean())
    if r0 < 3.0:
        return IrisFit(c0, r0, False)
    half = np.radians(np.linspace(-30, 30, 9))
    angles = np.concatenate([half, np.pi - half])  # ray k and ray k + 9 mirror each other
    dirs_frame = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    dirs = dirs_frame[:, :1] * frame.x_axis + dirs_frame[:, 1:] * frame.y_axis
    t = np.arange(0.4 * r0, 1.7 * r0, max(r0 / 40.0, 0.05))
    prof = sample_profiles(gray, np.repeat(c0[None], len(dirs), 0), dirs, t, 0.04 * r0)
    lo, hi = np.full(len(dirs), 0.65 * r0), np.full(len(dirs), 1.45 * r0)
    rad, strength = strongest_edge(prof, t, lo, hi, sigma=max(0.06 * r0, 0.5))
    n = len(half)
    good = (strength[:n] > 1.5) & (strength[n:] > 1.5)
    if good.sum() < 3:
        return IrisFit(c0, r0, False)
    cos = np.cos(half[good])
    radius = float(np.median(0.5 * (rad[:n][good] + rad[n:][good]) * cos))
    shift = float(np.median(0.5 * (rad[:n][good] - rad[n:][good]) * cos))
    if not 0.8 * r0 < radius < 1.25 * r0:
        return IrisFit(c0, r0, False)
    return IrisFit(c0 + shift * frame.x_axis, radius, True)


@dataclass(frozen=True)
class BrowFit:
    heights_px: dict[str, float]  # "medial" / "mid" / "lateral": brow top, frame y in px
    refined: dict[str, bool]
    margin_edges: dict[str, tuple[np.ndarray, np.ndarray]]  # frame y (px), upper-margin edge


def fit_brow(
    gray: np.ndarray,
    landmarks_px: np.ndarray,
    frame: Frame,
    side: str,
    xs: dict[str, float],
) -> BrowFit:
    """Upper margin of the brow above each x (frame px): the half-contrast point between the
    brow's darkest part (found within the band MediaPipe outlines) and the forehead above it.
    Also keeps, per x, the brow's upper-margin edge profile for `align_brows`."""
    upper = frame.to_frame(landmarks_px[list(BROW_UPPER[side])])
    lower = frame.to_frame(landmarks_px[list(BROW_LOWER[side])])
    names = list(xs)
    y_up = np.array([chain_at(upper, xs[n]) for n in names])
    y_lo = np.array([chain_at(lower, xs[n]) for n in names])
    thick = np.maximum(y_up - y_lo, 2.0)
    seeds = 0.5 * (y_up + y_lo)
    origins = frame.to_image(np.column_stack([[xs[n] for n in names], seeds]))
    normals = np.repeat(frame.y_axis[None], len(names), 0)
    span = float(thick.max())
    t = np.arange(-1.0 * span, 1.6 * span, max(span / 60.0, 0.05))
    prof = sample_profiles(gray, origins, normals, t, 0.12 * span)
    sigma = max(0.05 * span, 0.5)
    pos, contrast = half_contrast_rise(prof, t, -0.35 * thick, 0.5 * thick, 1.3 * thick, sigma)
    good = contrast > 12.0  # grey levels: a brow visibly darker than the forehead
    heights = np.where(good, seeds + pos, y_up)
    edges = upper_margin_edges(prof, t, sigma, pos, span)
    return BrowFit(
        {n: float(h) for n, h in zip(names, heights, strict=True)},
        {n: bool(g) for n, g in zip(names, good, strict=True)},
        {n: (seeds[i] + t, edges[i]) for i, n in enumerate(names)},
    )


def upper_margin_edges(
    profiles: np.ndarray, t: np.ndarray, sigma: float, margins: np.ndarray, span: float
) -> np.ndarray:
    """Where each profile brightens upwards near its fitted upper margin: flat within
    [margin - 0.6 span, margin + 0.4 span], tapering to zero over 0.3 span beyond, so that
    forehead lines and the lid below weigh nothing."""
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(profiles, sigma / dt, axis=1, mode="nearest")
    grad = np.maximum(np.gradient(smooth, dt, axis=1), 0.0)
    rel = t[None, :] - margins[:, None]
    out = np.maximum(np.maximum(-0.6 * span - rel, rel - 0.4 * span), 0.0)
    taper = np.clip(1.0 - out / (0.3 * span), 0.0, 1.0)
    return grad * (0.5 - 0.5 * np.cos(np.pi * taper))


# Where a brow point's overlay is ambiguous, its neighbours along the same brow break the tie.
BROW_NEIGHBOURS = {"medial": ("mid",), "mid": ("medial", "lateral"), "lateral": ("mid",)}


def align_brows(left: BrowFit, right: BrowFit, search: float) -> dict[str, float | None]:
    """Left-minus-right brow height (frame px) at each x as the vertical shift that best overlays
    the two upper-margin edge profiles, searched within `search` px of the two fits' difference.
    Unlike each fit, it moves exactly with the image wherever the landmark seeds sit; swapping
    sides negates it. Where several overlays fit about equally well (grey hairs, forehead
    lines), the one closest to the neighbouring points' differences is taken, since the two
    brows' difference varies smoothly along the brow; None where no overlay can be trusted."""
    found: dict[str, list[float]] = {}
    for name, (y_l, e_l) in left.margin_edges.items():
        y_r, e_r = right.margin_edges[name]
        guess = left.heights_px[name] - right.heights_px[name]
        usable = left.refined[name] and right.refined[name]
        found[name] = overlay_shifts(y_l, e_l, y_r, e_r, guess, search) if usable else []
    out = {name: c[0] if len(c) == 1 else None for name, c in found.items()}
    for name, candidates in found.items():
        near = [out[n] for n in BROW_NEIGHBOURS.get(name, ()) if out.get(n) is not None]
        if len(candidates) > 1 and near:
            ref = float(np.mean(near))
            out[name] = min(candidates, key=lambda c: abs(c - ref))
    return out


def overlay_shifts(
    y_a: np.ndarray,
    e_a: np.ndarray,
    y_b: np.ndarray,
    e_b: np.ndarray,
    guess: float,
    search: float,
    min_score: float = 0.5,
    rival: float = 0.95,
) -> list[float]:
    """Shifts s (within guess ± search) that overlay profile a moved by -s/2 on profile b moved
    by +s/2 best, sub-sample: the best one and any rival local maximum scoring at least `rival`
    of it. Empty when the best overlap is weak (normalised score under `min_score`) or lies on
    the edge of the search (the true one may be outside)."""
    step = min(y_a[1] - y_a[0], y_b[1] - y_b[0]) / 2.0
    n = int(np.ceil(search / step))
    shifts = guess + step * np.arange(-n, n + 1)
    y = np.arange(min(y_a[0], y_b[0]) - search, max(y_a[-1], y_b[-1]) + search, step)
    a = np.interp(y[None, :] + 0.5 * shifts[:, None], y_a, e_a, left=0.0, right=0.0)
    b = np.interp(y[None, :] - 0.5 * shifts[:, None], y_b, e_b, left=0.0, right=0.0)
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1)) + 1e-12
    score = (a * b).sum(axis=1) / norm
    k = int(score.argmax())
    if not 0 < k < len(shifts) - 1 or score[k] < min_score:
        return []
    inner = score[1:-1]
    peaks = np.flatnonzero(
        (inner >= score[:-2]) & (inner >= score[2:]) & (inner >= rival * score[k])
    )
    out = []
    for i in sorted(peaks + 1, key=lambda i: -score[i]):
        curv = score[i - 1] - 2 * score[i] + score[i + 1]
        frac = 0.5 * (score[i - 1] - score[i + 1]) / curv if curv < 0 else 0.0
        out.append(float(shifts[i] + np.clip(frac, -1.0, 1.0) * step))
    return out


# Mouth seam near each corner, ordered corner -> medial: the outer corner, the inner-lip corner,
# then midpoints of facing inner-lip landmarks (upper, lower).
MOUTH_SEAM = {
    "right": (61, 78, (191, 95), (80, 88)),
    "left": (291, 308, (415, 324), (310, 318)),
}


def fit_mouth_corner(
    gray: np.ndarray, landmarks_px: np.ndarray, frame: Frame, side: str, radius: float
) -> float | None:
    """How far (frame px, + = up) the mouth corner sits above MediaPipe's. The gap between the
    lips is the darkest band across the mouth: at four points 0.1-0.4 iris radii medial of the
    corner the minimum of a vertical profile marks it, and the median offset from MediaPipe's
    seam moves the corner. None when the gap is not visibly darker than the lips."""
    pts = [
        landmarks_px[list(p) if isinstance(p, tuple) else [p], :2].mean(axis=0)
        for p in MOUTH_SEAM[side]
    ]
    seam = frame.to_frame(np.array(pts))
    inward = -1.0 if side == "left" else 1.0  # towards the midline along frame x
    xs = seam[0, 0] + inward * radius * np.array([0.1, 0.2, 0.3, 0.4])
    ys = np.array([chain_at(seam, x) for x in xs])
    normals = np.repeat(frame.y_axis[None], len(xs), 0)
    t = np.arange(-0.45 * radius, 0.45 * radius, max(radius / 60.0, 0.05))
    origins = frame.to_image(np.column_stack([xs, ys]))
    prof = sample_profiles(gray, origins, normals, t, 0.02 * radius)
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(prof, max(0.03 * radius, 0.5) / dt, axis=1, mode="nearest")
    inner = np.abs(t) <= 0.3 * radius
    k = np.where(inner[None, :], smooth, np.inf).argmin(axis=1)
    rows = np.arange(len(xs))
    good = np.median(smooth, axis=1) - smooth[rows, k] > 10.0  # grey levels: a visible gap
    if good.sum() < 2:
        return None
    k = np.clip(k, 1, len(t) - 2)
    y0, y1, y2 = smooth[rows, k - 1], smooth[rows, k], smooth[rows, k + 1]
    curv = y0 - 2 * y1 + y2
    frac = np.where(curv > 1e-9, 0.5 * (y0 - y2) / np.where(curv > 1e-9, curv, 1.0), 0.0)
    return float(np.median((t[k] + np.clip(frac, -1, 1) * dt)[good]))


def align_irises(
    gray: np.ndarray, frame: Frame, centres: dict[str, np.ndarray], radius: float
) -> float | None:
    """How much higher (frame px) the left eye sits than the right, relative to the given iris
    centres: the vertical shift that best overlays the lower halves of the two eyes (iris, pupil,
    lower limbus and lid: 1.3 iris radii either side, from 1.4 radii below the centre to 0.1
    above), the right one mirrored. MediaPipe's iris follows the upper lid (0.1-0.55 mm per mm
    of droop); the lower half of the eye does not move with it. Swapping sides negates it. None
    where no overlay fits well (the nearest to no shift is taken where several fit alike)."""
    u = np.linspace(-1.3, 1.3, 27) * radius
    v = np.arange(-1.4 * radius, 0.1 * radius, radius / 30.0)
    edges = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        grid = (
            centres[side]
            + (sign * u)[:, None, None] * frame.x_axis
            + v[None, :, None] * frame.y_axis
        )
        vals = map_coordinates(gray, [grid[..., 1], grid[..., 0]], order=1, mode="nearest")
        dv = v[1] - v[0]
        smooth = gaussian_filter1d(vals, max(0.05 * radius, 0.5) / dv, axis=1, mode="nearest")
        edges[side] = np.gradient(smooth, dv, axis=1)
    search = IRIS_ALIGN_SEARCH * radius
    y, e_l = _side_by_side(v, edges["left"], search)
    _, e_r = _side_by_side(v, edges["right"], search)
    found = overlay_shifts(y, e_l, y, e_r, 0.0, search, min_score=0.3)
    return min(found, key=abs) if found else None


def _side_by_side(
    v: np.ndarray, profiles: np.ndarray, search: float
) -> tuple[np.ndarray, np.ndarray]:
    """Profiles (K, T) laid end to end on one axis, with gaps wider than any searched shift so
    that an overlay never mixes two of them."""
    dv = v[1] - v[0]
    pad = int(np.ceil(2 * search / dv)) + 2
    n = len(v) + pad
    y = v[0] + dv * np.arange(n * len(profiles))
    return y, np.pad(profiles, ((0, 0), (0, pad))).ravel()


# Largest shift (iris radii, ~1.8 mm) searched between the two eyes' lower halves: MediaPipe's
# irises are off by less on the test photos (assumption).
IRIS_ALIGN_SEARCH = 0.3


# Grey levels between the lid margin and the sclera beside it for a lid column to count: eyes in
# shadow or behind tinted glasses fall back to MediaPipe's lids. The lower lid's lashes are
# sparser and paler than the upper lid's, so its edge has less contrast (assumption, set on the
# test photos).
LID_MIN_CONTRAST = {"upper": 25.0, "lower": 15.0}

# Columns (iris radii medial and lateral of the pupil) where each lid meets the sclera: the upper
# lid crosses the iris nearer the pupil, the lower lid lies below it further in (assumption).
LID_COLUMNS = {"upper": (1.1, 1.3, 1.5), "lower": (0.9, 1.1, 1.3)}


def fit_lid(
    gray: np.ndarray,
    landmarks_px: np.ndarray,
    frame: Frame,
    side: str,
    pupil_x: float,
    radius: float,
    lid: str,
) -> float | None:
    """How far (frame px, + = up) a lid margin (`lid` "upper" or "lower") sits above MediaPipe's
    lid line, read where the lid meets the sclera beside the iris: going from the lid's lash line
    towards the other lid, the half-contrast point into the white of the eye. Over the iris the
    margin is ambiguous (catchlights, dark irises), so these columns move the whole lid: the mean
    of the medial and the lateral columns' medians, so that one column passing or failing the
    contrast test cannot swing the answer (a plain median did, between a photo and its mirror).
    None where fewer than two columns show a lid margin against white sclera."""
    chains = {"upper": LID_UPPER[side], "lower": LID_LOWER[side]}
    own = frame.to_frame(landmarks_px[list(chains[lid]), :2])
    other = frame.to_frame(landmarks_px[list(chains["lower" if lid == "upper" else "upper"]), :2])
    cols = np.array(LID_COLUMNS[lid])
    xs = pupil_x + radius * np.concatenate([-cols, cols])
    inside = (xs > own[:, 0].min() + 0.1 * radius) & (xs < own[:, 0].max() - 0.1 * radius)
    xs = xs[inside]
    y_own = np.array([chain_at(own, x) for x in xs])
    towards = -1.0 if lid == "upper" else 1.0  # frame y direction from this lid into the eye
    gap = towards * (np.array([chain_at(other, x) for x in xs]) - y_own)
    open_ = gap > 0.25 * radius
    xs, y_own, gap = xs[open_], y_own[open_], gap[open_]
    if len(xs) < 2:
        return None
    t = np.arange(-0.5 * radius, 0.6 * radius, radius / 30.0)
    origins = frame.to_image(np.column_stack([xs, y_own]))
    normals = np.repeat(towards * frame.y_axis[None], len(xs), 0)
    prof = sample_profiles(gray, origins, normals, t, 0.04 * radius)
    n = len(xs)
    pos, contrast = half_contrast_rise(
        prof,
        t,
        np.full(n, -0.35 * radius),
        np.full(n, 0.3 * radius),
        np.minimum(0.6 * gap, 0.6 * radius),
        max(0.04 * radius, 0.5),
    )
    good = (contrast > LID_MIN_CONTRAST[lid]) & (pos < t[-2])  # at the end: no margin found
    if good.sum() < 2:
        return None
    halves = [h for h in (good & (xs < pupil_x), good & (xs > pupil_x)) if h.any()]
    return float(towards * np.mean([np.median(pos[h]) for h in halves]))


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """Luma (Rec. 601) as float32, the intensity that edges are found in."""
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)
