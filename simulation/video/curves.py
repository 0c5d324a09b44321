"""Per-side curves over a clip: the photo measurements, read on every tracked frame's landmarks.

Each frame's points are placed as `analysis` places them (pupils, brows above the canthi and the
pupil, lids at the pupil, mouth corners, the lower lip's midpoint), straight from MediaPipe's
landmarks without the photo refinements (those cost ~15 ms a frame and run on the chosen frames
only), and measured by the same `metrics.side_metrics`, so a curve means what the photo figure
means. Millimetres come from the inter-pupil distance: a frame's scale is the rest frames'
scale times their inter-pupil distance over this frame's, so moving towards the camera does not
read as a movement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import savgol_filter

from ..contours import (
    BROW_UPPER,
    CANTHUS_LATERAL,
    CANTHUS_MEDIAL,
    CORNER,
    JAW_POINT,
    LID_LOWER,
    LID_UPPER,
    frame_from_pupils,
)
from ..face import IRIS_DIAMETER_MM, LEFT_IRIS, RIGHT_IRIS
from ..metrics import LABELS, side_metrics

__all__ = [
    "CURVE_MEASURES",
    "Curve",
    "inter_pupil_px",
    "landmark_iris_mm_per_px",
    "measure_frames",
    "smooth",
]

CURVE_MEASURES = (
    "brow_height_mm",
    "palpebral_fissure_mm",
    "commissure_height_mm",
    "commissure_excursion_mm",
)
"""The measures a clip's curves follow: brow, lids and mouth corners (the issue's list)."""

_STOMION, _LIP_LOWER_MID = (13, 14), 17
_IRIS_RIMS = {"right": (469, 470, 471, 472), "left": (474, 475, 476, 477)}


@dataclass(frozen=True)
class Curve:
    """One measure's per-side excursion from rest over the clip, mm."""

    measure: str
    times_ms: np.ndarray
    left: np.ndarray
    right: np.ndarray

    @property
    def label(self) -> str:
        return LABELS[self.measure]

    def to_json(self, every: int = 1) -> dict[str, object]:
        sl = slice(None, None, max(1, every))
        return {
            "measure": self.measure,
            "t_ms": np.round(self.times_ms[sl], 1).tolist(),
            "left_mm": np.round(self.left[sl], 3).tolist(),
            "right_mm": np.round(self.right[sl], 3).tolist(),
        }


def _chain_at(pts: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per frame, the height of a landmark chain (T, n, 2) at x (T,), interpolated along x."""
    out = np.empty(len(x))
    for t in range(len(x)):
        order = np.argsort(pts[t, :, 0])
        out[t] = np.interp(x[t], pts[t, order, 0], pts[t, order, 1])
    return out


def inter_pupil_px(landmarks: np.ndarray) -> np.ndarray:
    """(T,) inter-pupil distance in pixels of (T, 478, 3) landmarks."""
    return np.linalg.norm(landmarks[:, LEFT_IRIS, :2] - landmarks[:, RIGHT_IRIS, :2], axis=-1)


def landmark_iris_mm_per_px(landmarks: np.ndarray) -> float:
    """A rough scale from MediaPipe's iris rims (median over frames), for finding events before
    any frame is refined."""
    radii = []
    for side, rim in _IRIS_RIMS.items():
        centre = RIGHT_IRIS if side == "right" else LEFT_IRIS
        d = landmarks[:, list(rim), :2] - landmarks[:, [centre], :2]
        radii.append(np.linalg.norm(d, axis=-1).mean(axis=-1))
    return float(IRIS_DIAMETER_MM / (2.0 * np.median(np.mean(radii, axis=0))))


def measure_frames(
    landmarks: np.ndarray, mm_per_ipd: float, corner_shifts_px: np.ndarray | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Per-side values (T,) of every `CURVE_MEASURES` measure on (T, 478, 3) landmarks, mm, with
    `mm_per_ipd` the millimetres of one inter-pupil distance; `corner_shifts_px` (T, 2: left,
    right, frame px up) move the mouth corners as the photo showed them."""
    lm = landmarks[..., :2]
    t = len(lm)
    frames = [frame_from_pupils(lm[k, RIGHT_IRIS], lm[k, LEFT_IRIS]) for k in range(t)]
    local = np.stack([f.to_frame(lm[k]) for k, f in enumerate(frames)])  # (T, 478, 2) px
    scale = (mm_per_ipd / inter_pupil_px(landmarks))[:, None]
    local = local * scale[..., None]
    pts: dict[str, np.ndarray] = {}
    for s in ("right", "left"):
        pupil = local[:, RIGHT_IRIS if s == "right" else LEFT_IRIS]
        pts[f"pupil_{s}"] = pupil
        brow = local[:, list(BROW_UPPER[s])]
        for part, x in (
            ("medial", local[:, CANTHUS_MEDIAL[s], 0]),
            ("mid", pupil[:, 0]),
            ("lateral", local[:, CANTHUS_LATERAL[s], 0]),
        ):
            pts[f"brow_{part}_{s}"] = np.stack([x, _chain_at(brow, x)], axis=-1)
        for lid, chain in (("upper", LID_UPPER[s]), ("lower", LID_LOWER[s])):
            y = _chain_at(local[:, list(chain)], pupil[:, 0])
            pts[f"lid_{lid}_{s}"] = np.stack([pupil[:, 0], y], axis=-1)
        corner = local[:, CORNER[s]].copy()
        if corner_shifts_px is not None:
            corner[:, 1] += corner_shifts_px[:, 0 if s == "left" else 1] * scale[:, 0]
        pts[f"corner_{s}"] = corner
        pts[f"jaw_{s}"] = local[:, JAW_POINT[s]]
    pts["stomion"] = local[:, list(_STOMION)].mean(axis=1)
    pts["lip_lower_mid"] = local[:, _LIP_LOWER_MID]
    per_side = side_metrics(pts, 0.0)
    return {m: {s: per_side[s][m] for s in ("left", "right")} for m in CURVE_MEASURES}


def smooth(values: np.ndarray) -> np.ndarray:
    """Landmark jitter taken out of a curve: a 3-sample median (a single mis-read frame goes, a
    ramp stays where it is), then a symmetric (time-unbiased) quadratic Savitzky-Golay filter
    over 5 samples (a third of a second at 15 samples a second)."""
    if len(values) < 5:
        return values.copy()
    return savgol_filter(median_filter(values, 3, mode="nearest"), 5, 2, mode="nearest")
