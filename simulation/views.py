"""The three standard views of a visit (front, 45° either side, profile either side), read from
each photo's head pose, and whether two photos of one view were taken alike.

Standard views: the clinical guides photograph "front, 45-degree, and profile views under the
same light" (issue 18); the yaw of each view is that convention, and the tolerances and the
lighting and size limits below are assumptions (not yet checked against a photography
standard), kept as named constants so they can be sourced or tuned in one place.

Sides: yaw is `face.Pose.yaw`, + when the head is turned to the patient's left, which brings
the patient's RIGHT cheek towards the camera: a "45° right" view (the right side shown) has a
yaw of about +45°. Measurements come from the front view only; the other views are for
looking.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .errors import Notice
from .face import Pose

__all__ = [
    "EXPOSURE_EV_LIMIT",
    "SIZE_RATIO_LIMIT",
    "STANDARD_YAW",
    "VIEW_LABELS",
    "VIEW_TOLERANCE_DEG",
    "WHITE_BALANCE_LIMIT",
    "Conditions",
    "ViewCheck",
    "classify_view",
    "compare_conditions",
    "condition_changes",
    "photo_conditions",
]

STANDARD_YAW = {
    "front": 0.0,
    "right_45": 45.0,
    "left_45": -45.0,
    "right_profile": 90.0,
    "left_profile": -90.0,
}
VIEW_LABELS = {
    "front": "front",
    "right_45": "45° right",
    "left_45": "45° left",
    "right_profile": "profile right",
    "left_profile": "profile left",
}
VIEW_TOLERANCE_DEG = 10.0
"""How far a photo's yaw may be from its view's standard before a warning (assumption; the same
10° as the frontal analysis's own head-turn warning, `face.POSE_WARN_DEG`)."""
EXPOSURE_EV_LIMIT = 0.5
"""Largest difference in the face's brightness between two photos of one view, in stops
(assumption: half a stop visibly changes shadows, which read as contour changes)."""
WHITE_BALANCE_LIMIT = 0.06
"""Largest relative change of the face's red/green or blue/green ratio (assumption)."""
SIZE_RATIO_LIMIT = 1.15
"""Largest ratio of the face's size in the frame between two photos of one view: a different
distance changes perspective (a nearer camera enlarges the nose and narrows the face)
(assumption)."""


@dataclass(frozen=True)
class ViewCheck:
    """A photo's view, its yaw and pitch, and what is off its standard."""

    view: str
    yaw: float
    pitch: float
    warnings: tuple[Notice, ...]

    @property
    def label(self) -> str:
        return VIEW_LABELS[self.view]

    def to_json(self) -> dict[str, object]:
        return {
            "view": self.view,
            "label": self.label,
            "yaw_deg": round(self.yaw, 1),
            "pitch_deg": round(self.pitch, 1),
            "warnings": [w.to_json() for w in self.warnings],
        }


def classify_view(pose: Pose) -> ViewCheck:
    """The standard view nearest the head's yaw, with a warning when the yaw is more than
    `VIEW_TOLERANCE_DEG` from it (a "front" 12° turned, a "45°" at 30°). A tilted head (pitch)
    is the analysis's own `head_turned` warning, not repeated here."""
    view = min(STANDARD_YAW, key=lambda v: abs(pose.yaw - STANDARD_YAW[v]))
    off = pose.yaw - STANDARD_YAW[view]
    warnings = []
    if abs(off) > VIEW_TOLERANCE_DEG:
        shown = "right" if pose.yaw > 0 else "left"
        warnings.append(
            Notice(
                "view_off_standard",
                f"{VIEW_LABELS[view]} view turned {abs(pose.yaw):.0f}° (the {shown} side towards "
                f"the camera), {abs(off):.0f}° from its standard {abs(STANDARD_YAW[view]):.0f}°: "
                "retake it so that visits compare",
            )
        )
    return ViewCheck(view, pose.yaw, pose.pitch, tuple(warnings))


@dataclass(frozen=True)
class Conditions:
    """How a photo was taken, read on the face itself: brightness (linear light, 0-1), colour
    balance (red/green and blue/green of the skin) and the face's size in the frame (its
    height over the frame's diagonal)."""

    brightness: float
    red_green: float
    blue_green: float
    face_size: float

    def to_json(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in self.__dict__.items()}


# Cheeks and forehead: skin, away from the eyes, brows, lips and hair (MediaPipe mesh ids).
_SKIN = {
    "forehead": (10, 109, 67, 69, 108, 151, 337, 299, 297, 338),
    "right_cheek": (50, 101, 118, 117, 123, 187, 205, 36),
    "left_cheek": (280, 330, 347, 346, 352, 411, 425, 266),
}


def photo_conditions(rgb: np.ndarray, landmarks_px: np.ndarray) -> Conditions:
    """Brightness, colour balance and face size of one photo, from the skin patches the
    landmarks outline."""
    img = np.asarray(rgb)
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for ids in _SKIN.values():
        hull = cv2.convexHull(np.round(landmarks_px[list(ids), :2]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 1)
    pixels = img[mask.astype(bool)].astype(np.float64) / 255.0
    if len(pixels) == 0:
        pixels = img.reshape(-1, 3).astype(np.float64) / 255.0
    linear = np.where(pixels <= 0.04045, pixels / 12.92, ((pixels + 0.055) / 1.055) ** 2.4)
    r, g, b = np.maximum(linear.mean(axis=0), 1e-6)
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    ys = landmarks_px[:468, 1]
    size = float((ys.max() - ys.min()) / np.hypot(h, w))
    return Conditions(float(luma), float(r / g), float(b / g), size)


def condition_changes(a: Conditions, b: Conditions) -> list[tuple[str, str]]:
    """What differs between two photos of one view enough to mislead a comparison, each as its
    code and a short phrase on the second photo ("the face 1.2 stops darker")."""
    out = []
    ev = float(np.log2(b.brightness / a.brightness))
    if abs(ev) > EXPOSURE_EV_LIMIT:
        way = "brighter" if ev > 0 else "darker"
        out.append(("exposure_differs", f"the face {abs(ev):.1f} stops {way} (exposure)"))
    shifts = {
        "red": b.red_green / a.red_green - 1.0,
        "blue": b.blue_green / a.blue_green - 1.0,
    }
    colour, shift = max(shifts.items(), key=lambda kv: abs(kv[1]))
    if abs(shift) > WHITE_BALANCE_LIMIT:
        way = "more" if shift > 0 else "less"
        out.append(
            ("white_balance_differs", f"the skin {abs(shift):.0%} {way} {colour} (white balance)")
        )
    ratio = b.face_size / a.face_size
    if max(ratio, 1 / ratio) > SIZE_RATIO_LIMIT:
        way = "larger" if ratio > 1 else "smaller"
        out.append(
            ("distance_differs", f"the face {abs(ratio - 1):.0%} {way} (camera distance or zoom)")
        )
    return out


_ADVICE = {
    "exposure_differs": "use the same light and camera settings",
    "white_balance_differs": "use the same light and a fixed white balance",
    "distance_differs": "the camera's distance (or zoom) changed, which changes perspective; "
    "keep it fixed",
}


def compare_conditions(a: Conditions, b: Conditions, view: str = "front") -> list[Notice]:
    """What differs between two photos of one view enough to mislead a comparison."""
    label = VIEW_LABELS.get(view, view)
    return [
        Notice(code, f"the {label} photos differ: {what} in the second; {_ADVICE[code]}")
        for code, what in condition_changes(a, b)
    ]
