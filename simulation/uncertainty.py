"""The measurement uncertainty of each metric's left-right difference on one photo.

It is built from the contour fits' own evidence (each `Estimate`'s sd: how sharply an overlay
fits, how far its columns or rival outlines disagree, how much the photo left to the face model)
plus what the fits cannot see: MediaPipe's landmarks move a little on a re-taken photo, and the
seeds move with them. Those floors, and a factor on the fits' own sds, were set on the re-take
changes in `tests/retake.py` TUNING and are checked on HELD_OUT (docs/measurement.md).
"""

from __future__ import annotations

import numpy as np

from .metrics import METRIC_NAMES, Metric

__all__ = ["CALIBRATION", "PIXEL_SD", "UNFITTED_IRIS_SCALE_SD", "difference_sds"]

# Per metric: a factor on the fits' own sds and what MediaPipe's re-take jitter adds beyond them
# (1 sd, mm; degrees for the angle). Set on the re-take changes in tests/retake.py TUNING as the
# narrowest band that holds 80% of the changes there, with the fits' own sds counting at least
# a tenth (assumptions; the held-out changes check them: docs/measurement.md).
CALIBRATION = {
    "brow_height_medial_mm": (0.1, 0.085),
    "brow_height_mm": (0.1, 0.0),
    "brow_height_lateral_mm": (0.15, 0.075),
    "mrd1_mm": (0.1, 0.0),
    "mrd2_mm": (0.1, 0.0),
    "palpebral_fissure_mm": (0.1, 0.0),
    "commissure_height_mm": (0.15, 0.145),
    "commissure_excursion_mm": (0.87, 0.105),
    "smile_angle_deg": (0.51, 0.095),
    "lower_face_half_width_mm": (0.1, 0.265),
}
# What one pixel limits: no edge is placed better than 0.15 px (1 sd, per point; so a difference
# of two points 0.2 px), in place of the floor where it is larger. It
# matters on low-resolution photos (an iris under ~8 px, which the analysis flags), where a
# millimetre is a pixel or two (assumption).
PIXEL_SD = 0.15
# Relative sd of the scale where the iris edge could not be fitted (landmark irises: assumption).
UNFITTED_IRIS_SCALE_SD = 0.04


def difference_sds(
    estimates_mm: dict[str, float],
    metrics: dict[str, Metric],
    mm_per_px: float,
    scale_sd: float = 0.0,
) -> dict[str, float]:
    """1-sd uncertainty of every metric's left-minus-right difference, from the contour
    estimates' sds (mm, by estimate name), the photo's resolution and the metrics themselves (a
    scale error moves a large difference more)."""
    e = estimates_mm
    mouth = metrics["commissure_excursion_mm"]
    half_mouth = max(0.5 * (mouth.left + mouth.right), 5.0)
    own = {
        "brow_height_medial_mm": np.hypot(e["brow_medial"], e["eyes"]),
        "brow_height_mm": np.hypot(e["brow_mid"], e["eyes"]),
        "brow_height_lateral_mm": np.hypot(e["brow_lateral"], e["eyes"]),
        "mrd1_mm": np.hypot(e["lid_upper"], e["eyes"]),
        "mrd2_mm": np.hypot(e["lid_lower"], e["eyes"]),
        "palpebral_fissure_mm": np.hypot(e["lid_upper"], e["lid_lower"]),
        "commissure_height_mm": e["corner"],
        "commissure_excursion_mm": 0.5 * e["corner"],
        "smile_angle_deg": np.degrees(e["corner"] / half_mouth),
        "lower_face_half_width_mm": e["jaw"],
    }
    out = {"symmetry_index_mm": 0.0}
    pixel = np.sqrt(2.0) * PIXEL_SD * mm_per_px
    for name, (factor, floor) in CALIBRATION.items():
        scale = scale_sd * abs(metrics[name].diff)
        limit = max(floor, pixel)  # the landmark jitter, or what one pixel allows if more
        out[name] = float(np.sqrt((factor * own[name]) ** 2 + limit**2 + scale**2))
    return {name: out[name] for name in METRIC_NAMES}
