"""The brows: each brow's upper margin above the medial canthus, the pupil and the lateral
canthus, and the two brows' height difference there.

Raw landmarks are pulled towards an average symmetric face, so a brow that sits 2.5 mm higher is
detected only ~1.9 mm higher. The difference is read by overlaying the two brows' upper-margin
edges (the right one mirrored onto the left), every shift weighed by how well it overlays and
the three points along a brow tied together, because the two brows' difference varies smoothly
along the brow. Grey hairs and forehead lines give rival overlays: they widen the answer's
uncertainty instead of being picked between.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .estimate import Estimate, chain_posteriors, ramp
from .frame import BROW_LOWER, BROW_UPPER, CANTHUS_LATERAL, CANTHUS_MEDIAL, PhotoFrame, chain_at
from .profiles import half_contrast_rise, overlay_scores, sample_profiles

__all__ = ["BROW_POINTS", "BrowReading", "brow_xs", "read_brows"]

BROW_POINTS = ("medial", "mid", "lateral")

# Grey levels between a brow's darkest part and the forehead above it: under 8 the brow is not
# read on the photo (MediaPipe's upper brow line stands), over 16 fully (assumption, set on the
# test photos).
BROW_CONTRAST = (8.0, 16.0)
# The corrections to MediaPipe's difference that are searched (mm either way), their prior
# (1 sd, mm: MediaPipe follows a one-sided brow lift about three quarters of the way, and real
# asymmetries reach 4-6 mm) and how much neighbouring points' corrections may differ (1 sd, mm)
# (assumptions).
BROW_SEARCH_MM = 3.0
BROW_PRIOR_MM = 2.5
BROW_COUPLING_MM = 1.5
# How sharply the overlay's score weighs one shift against another, and the overlap below
# which the photo is not trusted at all (0.4) or fully (0.6); the profiles are averaged across
# 0.3 brow thicknesses either side and the edges smoothed over 0.25 (hairs and pores otherwise
# give rival overlays that a re-saved photo flips between) (assumptions, set on the re-take
# changes in tests/retake.py TUNING and the known brow lifts).
BROW_SHARPNESS = 60.0
BROW_TRUST = (0.4, 0.6)
PROFILE_WIDTH = 0.3
EDGE_SMOOTHING = 0.25


@dataclass(frozen=True)
class BrowReading:
    """Both brows at three points: where along the brow (frame x, px), how high the upper
    margin sits (frame y, px), and each point's left-right estimate (the margins' shift from
    MediaPipe's upper brow line)."""

    xs: dict[str, dict[str, float]]  # side -> point -> frame x
    heights_px: dict[str, dict[str, float]]  # side -> point -> frame y of the upper margin
    estimates: dict[str, Estimate]  # point -> estimate


@dataclass(frozen=True)
class _Side:
    y_upper: np.ndarray  # MediaPipe's upper brow line at each point
    height: np.ndarray  # the fitted upper margin (soft-blended with MediaPipe's)
    trust: np.ndarray  # 0..1, how visibly darker than the forehead the brow is
    y: np.ndarray  # (K, T) frame y of each edge profile sample
    edges: np.ndarray  # (K, T) the upper-margin edge profile


def _read_side(photo: PhotoFrame, side: str, xs: dict[str, float]) -> _Side:
    gray, frame, lm = photo.band, photo.band_frame, photo.band_landmarks
    upper = frame.to_frame(lm[list(BROW_UPPER[side])])
    lower = frame.to_frame(lm[list(BROW_LOWER[side])])
    x = np.array([xs[p] for p in BROW_POINTS])
    y_up = np.array([chain_at(upper, v) for v in x])
    y_lo = np.array([chain_at(lower, v) for v in x])
    thick = np.maximum(y_up - y_lo, 2.0)
    seeds = 0.5 * (y_up + y_lo)
    span = float(thick.max())
    t = np.arange(-1.0 * span, 1.6 * span, max(span / 60.0, 0.05))
    sigma = max(0.05 * span, 0.5)
    origins = frame.to_image(np.column_stack([x, seeds]))
    normals = np.repeat(frame.y_axis[None], len(x), 0)
    prof = sample_profiles(gray, origins, normals, t, PROFILE_WIDTH * span)
    pos, contrast = half_contrast_rise(prof, t, -0.35 * thick, 0.5 * thick, 1.3 * thick, sigma)
    trust = np.asarray(ramp(contrast, *BROW_CONTRAST))
    height = trust * (seeds + pos) + (1.0 - trust) * y_up
    edges = _edges(prof, t, EDGE_SMOOTHING * span, height - seeds, span)
    return _Side(y_up, height, trust, seeds[:, None] + t[None, :], edges)


def _edges(
    profiles: np.ndarray, t: np.ndarray, sigma: float, margin: np.ndarray, span: float
) -> np.ndarray:
    """Where each profile brightens upwards near its fitted upper margin (`margin`, in t):
    flat within [margin - 0.6 span, margin + 0.4 span], tapering to zero over 0.3 span beyond,
    so that forehead lines and the lid below weigh nothing."""
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(profiles, sigma / dt, axis=1, mode="nearest")
    grad = np.maximum(np.gradient(smooth, dt, axis=1), 0.0)
    rel = t[None, :] - margin[:, None]
    out = np.maximum(np.maximum(-0.6 * span - rel, rel - 0.4 * span), 0.0)
    taper = np.clip(1.0 - out / (0.3 * span), 0.0, 1.0)
    return grad * (0.5 - 0.5 * np.cos(np.pi * taper))


def brow_xs(photo: PhotoFrame) -> dict[str, dict[str, float]]:
    """Frame x (px) of each side's brow points: above the medial canthus, the pupil and the
    lateral canthus."""
    frame_lm = photo.frame.to_frame(
        photo.landmarks_px[[*CANTHUS_MEDIAL.values(), *CANTHUS_LATERAL.values()]]
    )
    at = dict(
        zip((*CANTHUS_MEDIAL.values(), *CANTHUS_LATERAL.values()), frame_lm[:, 0], strict=True)
    )
    pupil_x = photo.pupil_x
    return {
        s: {
            "medial": float(at[CANTHUS_MEDIAL[s]]),
            "mid": pupil_x[s],
            "lateral": float(at[CANTHUS_LATERAL[s]]),
        }
        for s in ("right", "left")
    }


def read_brows(photo: PhotoFrame) -> BrowReading:
    """Both brows' upper margins and their left-right estimates (see the module docstring).
    Each point's difference is MediaPipe's plus the posterior mean correction; its mean height
    is the two fits' mean, so only the difference comes from the overlay."""
    xs = brow_xs(photo)
    sides = {s: _read_side(photo, s, xs[s]) for s in ("right", "left")}
    left, right = sides["left"], sides["right"]
    mm = photo.mm_per_px
    reach = BROW_SEARCH_MM / mm
    step = min(left.y[0, 1] - left.y[0, 0], right.y[0, 1] - right.y[0, 0]) / 2.0
    grid = step * np.arange(-np.ceil(reach / step), np.ceil(reach / step) + 1)
    guess = left.y_upper - right.y_upper
    loglik, trust = [], []
    for k in range(len(BROW_POINTS)):
        score = overlay_scores(
            left.y[k], left.edges[k], right.y[k], right.edges[k], guess[k] + grid
        )
        w = float(ramp(score.max(), *BROW_TRUST)) * float(min(left.trust[k], right.trust[k]))
        loglik.append(BROW_SHARPNESS * w * (score - score.max()))
        trust.append(w)
    mean, sd = chain_posteriors(grid, np.array(loglik), BROW_PRIOR_MM / mm, BROW_COUPLING_MM / mm)
    diff = guess + mean
    centre = 0.5 * (left.height + right.height)
    h_l, h_r = centre + 0.5 * diff, centre - 0.5 * diff
    estimates = {
        p: Estimate(
            float(h_l[k] - left.y_upper[k]),
            float(h_r[k] - right.y_upper[k]),
            float(sd[k]),
            trust[k],
            None if trust[k] >= 1.0 else "brows_not_aligned",
        )
        for k, p in enumerate(BROW_POINTS)
    }
    return BrowReading(
        xs,
        {
            "left": {p: float(h_l[k]) for k, p in enumerate(BROW_POINTS)},
            "right": {p: float(h_r[k]) for k, p in enumerate(BROW_POINTS)},
        },
        estimates,
    )
