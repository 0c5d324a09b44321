"""The jaw-outline fit on synthetic photos with a known outline."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.contours import Frame
from simulation.jaw import JAW_POINT, OVAL_SIDE, fit_jaw_outline, jaw_shift

SKIN, BACKGROUND = (200.0, 150.0, 120.0), (40.0, 60.0, 90.0)
FRAME = Frame(np.array([149.5, 50.0]), np.array([1.0, 0.0]), np.array([0.0, -1.0]))
MM_PER_PX = 0.1


def _face(left_edge: int, right_edge: int, tilt: float = 0.0) -> np.ndarray:
    """A 200 x 300 photo: skin from column `left_edge` to `right_edge` (exclusive; mirror
    symmetric about column 149.5 when they add up to 300), background
    outside; each edge leans outward by `tilt` px per px down the photo."""
    yy, xx = np.mgrid[0:200, 0:300].astype(np.float64)
    lean = tilt * (yy - 100.0)
    skin = (xx >= left_edge - lean) & (xx < right_edge + lean)
    return np.where(skin[..., None], SKIN, BACKGROUND).astype(np.uint8)


def _oval(x_image_left: float, x_image_right: float) -> np.ndarray:
    """MediaPipe's oval as two vertical lines, the jaw points at image row 100."""
    landmarks = np.zeros((478, 3))
    for side, x in (("right", x_image_left), ("left", x_image_right)):
        chain = list(OVAL_SIDE[side])
        landmarks[chain, 0] = x
        landmarks[chain, 1] = np.linspace(20.0, 180.0, len(chain))
        landmarks[JAW_POINT[side], :2] = (x, 100.0)
    return landmarks


@pytest.mark.parametrize(("edge", "expected"), [(250, 9.5), (244, 3.5), (236, -4.5)])
def test_outline_offset_is_the_colour_step_beyond_the_oval(edge, expected):
    rgb = _face(300 - edge, edge)  # symmetric: the patient's right edge mirrors the left
    landmarks = _oval(59.0, 240.0)
    for side in ("left", "right"):
        offset = fit_jaw_outline(rgb, landmarks, FRAME, side, MM_PER_PX)
        # the step between the last skin column and the first background column, outward +
        assert offset == pytest.approx(expected, abs=0.1), side


def test_a_leaning_outline_is_read_at_the_jaw_point():
    rgb = _face(50, 250, tilt=0.3)
    offset = fit_jaw_outline(rgb, _oval(59.0, 240.0), FRAME, "left", MM_PER_PX)
    # the band-averaged rows see a 6 px ramp, whose gradient peak is found within a third of
    # a pixel (0.03 mm here)
    assert offset == pytest.approx(9.5, abs=0.3)


def test_no_outline_is_not_fitted():
    rgb = np.full((200, 300, 3), SKIN, dtype=np.uint8)  # skin against skin: nothing to read
    assert fit_jaw_outline(rgb, _oval(59.0, 240.0), FRAME, "left", MM_PER_PX) is None


def test_jaw_shift_keeps_the_difference_and_gates_implausible_ones():
    assert jaw_shift(12.0, 4.0, MM_PER_PX) == pytest.approx(4.0)  # half of an 8 px difference
    assert jaw_shift(4.0, 12.0, MM_PER_PX) == pytest.approx(-4.0)
    assert jaw_shift(40.0, 5.0, MM_PER_PX) is None  # 3.5 mm apart: a collar, not a jaw
    assert jaw_shift(None, 5.0, MM_PER_PX) is None
