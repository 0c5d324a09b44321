"""The photo's measuring frame and the landmark chains that every contour is seeded from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..face import LEFT_IRIS, RIGHT_IRIS

__all__ = [
    "BROW_LOWER",
    "BROW_UPPER",
    "CANTHUS_LATERAL",
    "CANTHUS_MEDIAL",
    "IRIS",
    "LID_LOWER",
    "LID_UPPER",
    "SIDES",
    "Frame",
    "PhotoFrame",
    "chain_at",
    "frame_from_pupils",
]

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
        """Image pixels (…, 2 or 3) to frame pixels (…, 2)."""
        d = np.asarray(pts, dtype=np.float64)[..., :2] - self.origin
        return np.stack([d @ self.x_axis, d @ self.y_axis], axis=-1)

    def to_image(self, pts: np.ndarray) -> np.ndarray:
        """Frame pixels (…, 2) to image pixels (…, 2)."""
        p = np.asarray(pts, dtype=np.float64)
        return self.origin + p[..., :1] * self.x_axis + p[..., 1:2] * self.y_axis

    def shifted(self, offset: np.ndarray) -> Frame:
        """The same frame on a crop whose top-left corner sits at `offset` (image pixels)."""
        return Frame(self.origin - offset, self.x_axis, self.y_axis)


def frame_from_pupils(right_px: np.ndarray, left_px: np.ndarray) -> Frame:
    """The frame whose x axis runs from the right pupil to the left one (roll removed)."""
    x = (left_px - right_px) / np.linalg.norm(left_px - right_px)
    y = np.array([x[1], -x[0]])  # image y grows downwards, so this points up the face
    return Frame(0.5 * (left_px + right_px), x, y)


def chain_at(frame_pts: np.ndarray, x: float) -> float:
    """Height (y) of a landmark chain at position x, by linear interpolation along x."""
    order = np.argsort(frame_pts[:, 0])
    return float(np.interp(x, frame_pts[order, 0], frame_pts[order, 1]))


@dataclass(frozen=True)
class PhotoFrame:
    """What every contour fit reads: the photo, its landmarks, its measuring frame and scale,
    and the grey eye-and-brow band that the eye and brow fits share (converted once)."""

    rgb: np.ndarray  # (H, W, 3) uint8, the whole photo
    landmarks_px: np.ndarray  # (478, 3), whole-photo pixels
    frame: Frame  # whole-photo pixels, origin between the fitted pupils
    radius_px: float  # mean fitted iris radius
    mm_per_px: float
    pupils_px: dict[str, np.ndarray]  # fitted iris centres, whole-photo pixels
    band: np.ndarray  # grey crop of the eye-and-brow band
    band_offset: np.ndarray  # its top-left corner in the photo

    @property
    def pupil_x(self) -> dict[str, float]:
        """Frame x (px) of each pupil."""
        return {s: float(self.frame.to_frame(c)[0]) for s, c in self.pupils_px.items()}

    @property
    def band_landmarks(self) -> np.ndarray:
        """The landmarks in the band's pixels."""
        out = self.landmarks_px.copy()
        out[:, :2] -= self.band_offset
        return out

    @property
    def band_frame(self) -> Frame:
        """The measuring frame in the band's pixels."""
        return self.frame.shifted(self.band_offset)
