"""The lid margins: how far each upper or lower lid sits from MediaPipe's lid line, read where
the lid meets the white of the eye beside the iris, and the two lids' left-right estimate.

MediaPipe under-follows a lid that droops or rises on one side; the shared part of the two
offsets (landmarks in the lash line, both lids hooded) is left alone, so MRD1 and MRD2 keep
MediaPipe's mean and take only the left-right difference from the photo.
"""

from __future__ import annotations

import numpy as np

from .estimate import Estimate, blend, ramp, weighted_spread
from .frame import LID_LOWER, LID_UPPER, PhotoFrame, chain_at
from .profiles import half_contrast_rise, sample_profiles

__all__ = ["LID_COLUMNS", "LID_MIN_CONTRAST", "fit_lid", "read_lids"]

# Grey levels between the lid margin and the sclera beside it for a lid column to count fully
# (it counts from 60% of this, rising smoothly): eyes in shadow or behind tinted glasses fall
# back to MediaPipe's lids. The lower lid's lashes are sparser and paler than the upper lid's,
# so its edge has less contrast (assumption, set on the test photos).
LID_MIN_CONTRAST = {"upper": 25.0, "lower": 15.0}

# Columns (iris radii medial and lateral of the pupil) where each lid meets the sclera: the upper
# lid crosses the iris nearer the pupil, the lower lid lies below it further in (assumption).
LID_COLUMNS = {"upper": (1.1, 1.3, 1.5), "lower": (0.9, 1.1, 1.3)}

# The two lids' offsets differing by more than this (mm) is implausible for a photo (the
# landmarks follow a lid about half way, so even a 3 mm ptosis stays under it) and points to a
# fit caught on a shadow or a spectacle rim: the image's weight falls from 1 at 1.6 mm to 0 at
# 2.4 mm. Columns' weight (summed) for a lid to be read at all: from 1 to 2.5 (assumptions).
LID_OFFSET_DIFF_MM = (1.6, 2.4)
LID_EVIDENCE = (1.0, 2.5)
# Uncertainty (1 sd, mm) of one column's margin beyond the columns' own spread, and of the face
# model's lid difference where the photo is not read (it under-reads a one-sided droop by about
# half: assumption).
LID_COLUMN_SD_MM = 0.15
LID_MODEL_SD_MM = 0.5
# Each column's profile is averaged over 0.15 iris radii across and smoothed over 0.08 along:
# lashes otherwise give a re-saved photo a different half-contrast point (assumptions, set on
# the re-take changes in tests/retake.py TUNING and the known lid warps).
LID_PROFILE_WIDTH = 0.15
LID_SMOOTHING = 0.08


def fit_lid(photo: PhotoFrame, side: str, lid: str) -> tuple[float, float, float]:
    """How far (frame px, + = up) a lid margin (`lid` "upper" or "lower") sits above MediaPipe's
    lid line, with its sd (px) and the columns' summed weight: going from the lid's lash line
    towards the other lid, the half-contrast point into the white of the eye, at three columns
    either side of the iris (over the iris the margin is ambiguous: catchlights, dark irises).
    The medial and the lateral columns count alike, so that one column more or less cannot swing
    the answer; each column is weighed by its contrast."""
    gray, frame, lm = photo.band, photo.band_frame, photo.band_landmarks
    radius, pupil_x = photo.radius_px, photo.pupil_x[side]
    chains = {"upper": LID_UPPER[side], "lower": LID_LOWER[side]}
    own = frame.to_frame(lm[list(chains[lid]), :2])
    other = frame.to_frame(lm[list(chains["lower" if lid == "upper" else "upper"]), :2])
    cols = np.array(LID_COLUMNS[lid])
    xs = pupil_x + radius * np.concatenate([-cols, cols])
    lo, hi = own[:, 0].min() + 0.1 * radius, own[:, 0].max() - 0.1 * radius
    inside = np.minimum(ramp(xs - lo, 0.0, 0.1 * radius), ramp(hi - xs, 0.0, 0.1 * radius))
    y_own = np.array([chain_at(own, x) for x in xs])
    towards = -1.0 if lid == "upper" else 1.0  # frame y direction from this lid into the eye
    gap = towards * (np.array([chain_at(other, x) for x in xs]) - y_own)
    weight = inside * ramp(gap, 0.2 * radius, 0.3 * radius)
    t = np.arange(-0.5 * radius, 0.6 * radius, radius / 30.0)
    origins = frame.to_image(np.column_stack([xs, y_own]))
    normals = np.repeat(towards * frame.y_axis[None], len(xs), 0)
    prof = sample_profiles(gray, origins, normals, t, LID_PROFILE_WIDTH * radius)
    n = len(xs)
    pos, contrast = half_contrast_rise(
        prof,
        t,
        np.full(n, -0.35 * radius),
        np.full(n, 0.3 * radius),
        np.minimum(0.6 * np.maximum(gap, 0.0), 0.6 * radius),
        max(LID_SMOOTHING * radius, 0.5),
    )
    thr = LID_MIN_CONTRAST[lid]
    end = t[-1] - pos  # at the end of the profile: no margin found
    weight = weight * ramp(contrast, 0.6 * thr, thr) * ramp(end, 0.0, 2.0 * (t[1] - t[0]))
    halves = [xs < pupil_x, xs > pupil_x]
    means, sds, total = [], [], 0.0
    for h in halves:
        m, sd, n_eff = weighted_spread(pos[h], weight[h])
        w = float(weight[h].sum())
        if w > 1e-9:
            means.append((m, w))
            sds.append(sd / np.sqrt(max(n_eff, 1.0)))
            total += w
    if total <= 1e-9:
        return 0.0, 0.0, 0.0
    # both halves count alike once each is read (a half's weight saturates at one column)
    hw = np.array([min(w, 1.0) for _, w in means])
    offset = float(np.sum([m for m, _ in means] * hw) / hw.sum())
    spread = float(np.std([m for m, _ in means])) if len(means) > 1 else 0.0
    sd = float(np.sqrt(np.mean(np.square(sds)) + spread**2 / len(means)))
    column_sd = LID_COLUMN_SD_MM / photo.mm_per_px
    return towards * offset, float(np.hypot(sd, column_sd)), total


def read_lids(photo: PhotoFrame, lid: str) -> Estimate:
    """The `lid` ("upper" or "lower") margins' left-right estimate: the antisymmetric part of
    the two lids' offsets from MediaPipe's, weighed by how well both are read and how plausible
    their difference is; the face model's own difference stands where the photo cannot tell."""
    (o_l, sd_l, w_l), (o_r, sd_r, w_r) = (fit_lid(photo, s, lid) for s in ("left", "right"))
    mm = photo.mm_per_px
    diff = o_l - o_r
    weight = float(ramp(min(w_l, w_r), *LID_EVIDENCE)) * (
        1.0 - float(ramp(abs(diff) * mm, *LID_OFFSET_DIFF_MM))
    )
    mean, sd = blend(diff, float(np.hypot(sd_l, sd_r)), weight, LID_MODEL_SD_MM / mm)
    return Estimate.antisymmetric(mean, sd, weight, None if weight >= 0.5 else "lids_not_fitted")
