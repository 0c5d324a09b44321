"""The irises: their size (the photo's scale), their horizontal centres, and the two pupils'
height difference read from the lower halves of the eyes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, map_coordinates

from .estimate import Estimate, chain_posteriors, ramp
from .frame import IRIS, Frame, PhotoFrame
from .profiles import overlay_scores, sample_profiles, side_by_side, strongest_edge

__all__ = ["IrisFit", "fit_iris", "read_eye_heights"]


@dataclass(frozen=True)
class IrisFit:
    """One iris: centre (photo pixels), radius, and whether its edge was found on the photo."""

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


# Largest shift (iris radii, ~1.8 mm) searched between the two eyes' lower halves: MediaPipe's
# irises are off by less on the test photos (assumption).
IRIS_ALIGN_SEARCH = 0.3
# Prior on that shift (iris radii, 1 sd): the pupils sit at MediaPipe's height unless the photo
# says otherwise (assumption).
IRIS_PRIOR_SD = 0.15
# How sharply the overlay's score (normalised overlap) weighs one shift against another, and
# the overlap below which the photo is not trusted at all (0.2) or fully (0.4) (assumptions,
# set on the re-take changes in tests/retake.py TUNING).
EYE_SHARPNESS = 60.0
EYE_TRUST = (0.2, 0.4)


def read_eye_heights(photo: PhotoFrame) -> Estimate:
    """How much higher (frame px) the left pupil sits than the right, relative to the fitted
    iris centres: the vertical shift that best overlays the lower halves of the two eyes (iris,
    pupil, lower limbus and lid: 1.3 iris radii either side, from 1.4 radii below the centre to
    0.1 above), the right one mirrored, every shift weighed by how well it overlays.
    MediaPipe's iris follows the upper lid (0.1-0.55 mm per mm of droop); the lower half of the
    eye does not move with it. Swapping sides negates it."""
    gray, frame, radius = photo.band, photo.band_frame, photo.radius_px
    u = np.linspace(-1.3, 1.3, 27) * radius
    v = np.arange(-1.4 * radius, 0.1 * radius, radius / 30.0)
    edges = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        centre = photo.pupils_px[side] - photo.band_offset
        grid = centre + (sign * u)[:, None, None] * frame.x_axis + v[None, :, None] * frame.y_axis
        vals = map_coordinates(gray, [grid[..., 1], grid[..., 0]], order=1, mode="nearest")
        dv = v[1] - v[0]
        smooth = gaussian_filter1d(vals, max(0.05 * radius, 0.5) / dv, axis=1, mode="nearest")
        edges[side] = np.gradient(smooth, dv, axis=1)
    search = IRIS_ALIGN_SEARCH * radius
    y, e_l = side_by_side(v, edges["left"], search)
    _, e_r = side_by_side(v, edges["right"], search)
    step = (v[1] - v[0]) / 2.0
    shifts = step * np.arange(-np.ceil(search / step), np.ceil(search / step) + 1)
    score = overlay_scores(y, e_l, y, e_r, shifts)
    trust = float(ramp(score.max(), *EYE_TRUST))
    loglik = EYE_SHARPNESS * trust * (score - score.max())
    prior = IRIS_PRIOR_SD * radius
    mean, sd = chain_posteriors(shifts, loglik[None], prior, prior)
    reason = None if trust >= 1.0 else "eyes_not_aligned"
    return Estimate.antisymmetric(float(mean[0]), float(sd[0]), trust, reason)
