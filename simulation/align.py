"""Visit photos aligned on the face: the pupils level, a fixed distance apart and in a fixed
place, so a series of visits reads by eye although each photo was framed, rolled and scaled
differently. Display only: measurements always come from the photo itself."""

from __future__ import annotations

import numpy as np

__all__ = ["ALIGNED_SIZE", "IRIS_CENTRES", "align_matrix", "aligned_face"]

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
