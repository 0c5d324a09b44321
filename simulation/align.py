"""Photo geometry for display: visit photos aligned on the face (the pupils level, a fixed
distance apart and in a fixed place, so a series of visits reads by eye although each photo was
framed, rolled and scaled differently) and a plan's injection points in a photo's pixels.
Display only: measurements always come from the photo itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .contours.frame import Frame, frame_from_pupils

__all__ = [
    "ALIGNED_SIZE",
    "IRIS_CENTRES",
    "StoredFace",
    "align_matrix",
    "aligned_face",
    "aligned_points",
    "injection_px",
    "mark_points",
]

IRIS_CENTRES = (468, 473)  # MediaPipe Face Landmarker's two iris centres (478-landmark model)
ALIGNED_SIZE = (240, 300)  # width, height in pixels of an aligned face
# Layout of the aligned face (display choices, not clinical figures): the pupils 36% of the
# width apart and 40% of the height down, which keeps forehead to chin in the frame.
PUPIL_GAP = 0.36
PUPIL_ROW = 0.40


def align_matrix(landmarks_px: np.ndarray, size: tuple[int, int] = ALIGNED_SIZE) -> np.ndarray:
    """The 2×3 affine map from aligned-image pixels to photo pixels that puts the two pupils
    (sorted left to right in the picture) level, `PUPIL_GAP` of the width apart."""
    lm = np.asarray(landmarks_px, dtype=np.float64)[:, :2]
    src = sorted((lm[i] for i in IRIS_CENTRES), key=lambda p: p[0])
    w, h = size
    dst = [
        np.array([w * (0.5 - PUPIL_GAP / 2), h * PUPIL_ROW]),
        np.array([w * (0.5 + PUPIL_GAP / 2), h * PUPIL_ROW]),
    ]
    v = src[1] - src[0]
    s = float(np.hypot(*v)) / float(dst[1][0] - dst[0][0])
    c, si = s * v[0] / np.hypot(*v), s * v[1] / np.hypot(*v)
    a = np.array([[c, -si], [si, c]])
    t = src[0] - a @ dst[0]
    return np.column_stack([a, t])


def aligned_face(
    rgb: np.ndarray,
    landmarks_px: np.ndarray,
    size: tuple[int, int] = ALIGNED_SIZE,
    background: tuple[int, int, int] = (128, 128, 128),
) -> np.ndarray:
    """`rgb` resampled (bicubic) so its face sits as every other aligned face does."""
    from PIL import Image

    m = align_matrix(landmarks_px, size)
    im = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    out = im.transform(
        size,
        Image.Transform.AFFINE,
        tuple(m.ravel()),
        resample=Image.Resampling.BICUBIC,
        fillcolor=background,
    )
    return np.asarray(out)


def aligned_points(
    landmarks_px: np.ndarray, pts_px: np.ndarray, size: tuple[int, int] = ALIGNED_SIZE
) -> np.ndarray:
    """Photo pixels (k, 2) to the pixels of the photo's aligned face."""
    m = align_matrix(landmarks_px, size)
    return (np.asarray(pts_px, dtype=np.float64).reshape(-1, 2) - m[:, 2]) @ np.linalg.inv(
        m[:, :2]
    ).T


def mark_points(rgb: np.ndarray, pts: np.ndarray, labels: list[str]) -> np.ndarray:
    """A copy of `rgb` with each point ringed and labelled (the dose map's colour)."""
    from PIL import Image, ImageDraw

    im = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    draw = ImageDraw.Draw(im)
    for (x, y), text in zip(np.asarray(pts).reshape(-1, 2), labels, strict=True):
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), outline=(209, 16, 90), width=2)
        draw.text((x + 5, y - 6), text, fill=(209, 16, 90), stroke_width=2, stroke_fill="white")
    return np.asarray(im)


@dataclass(frozen=True)
class StoredFace:
    """What `injection_px` needs of a photo, rebuilt from a stored analysis (its landmarks and
    scale; the frame from MediaPipe's iris centres, not the fitted ones)."""

    landmarks_px: np.ndarray
    frame: Frame
    mm_per_px: float

    @classmethod
    def from_json(cls, analysis: dict[str, Any]) -> StoredFace | None:
        """From `Analysis.to_json(landmarks=True)`; None without landmarks."""
        lm = analysis.get("landmarks_px")
        if lm is None:
            return None
        lm = np.asarray(lm, dtype=np.float64)
        frame = frame_from_pupils(lm[IRIS_CENTRES[0]], lm[IRIS_CENTRES[1]])
        return cls(lm, frame, float(analysis["scale"]["mm_per_px"]))


def injection_px(analysis: Any, plan: Any) -> np.ndarray:
    """Each injection's point in the photo's pixels (k, 2): its landmark plus its offset in mm
    along the photo's measuring frame (the same placement as `Injection.position`)."""
    from . import atlas

    out = []
    fr = analysis.frame
    for inj in plan.injections:
        if inj.site_id:
            s = atlas.site(inj.site_id)
            lm, off = s.landmark, np.asarray(s.offset_mm, dtype=np.float64)
        else:
            lm, off = int(inj.landmark or 0), np.asarray(inj.offset_mm, dtype=np.float64)
        d = off / analysis.mm_per_px
        base = np.asarray(analysis.landmarks_px, dtype=np.float64)[lm, :2]
        out.append(base + d[0] * np.asarray(fr.x_axis) + d[1] * np.asarray(fr.y_axis))
    return np.array(out).reshape(-1, 2)
