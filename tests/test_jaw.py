"""The jaw-outline fit on synthetic photos with a known outline."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.contours import JAW_POINT, OVAL_SIDE, Frame, PhotoFrame, fit_jaw_outline, read_jaw

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
        offset, sd, support = fit_jaw_outline(rgb, landmarks, FRAME, side, MM_PER_PX)
        assert support == 1.0 and sd < 0.5, side
        # the step between the last skin column and the first background column, outward +
        assert offset == pytest.approx(expected, abs=0.1), side


def test_a_leaning_outline_is_read_at_the_jaw_point():
    rgb = _face(50, 250, tilt=0.3)
    offset, _, _ = fit_jaw_outline(rgb, _oval(59.0, 240.0), FRAME, "left", MM_PER_PX)
    # the band-averaged rows see a 6 px ramp, whose gradient peak is found within a third of
    # a pixel (0.03 mm here)
    assert offset == pytest.approx(9.5, abs=0.3)


def test_no_outline_is_not_fitted():
    rgb = np.full((200, 300, 3), SKIN, dtype=np.uint8)  # skin against skin: nothing to read
    assert fit_jaw_outline(rgb, _oval(59.0, 240.0), FRAME, "left", MM_PER_PX)[2] == 0.0


def _jaw_photo(rgb: np.ndarray, landmarks: np.ndarray) -> PhotoFrame:
    return PhotoFrame(
        rgb=rgb,
        landmarks_px=landmarks,
        frame=FRAME,
        radius_px=11.77 / (2 * MM_PER_PX),
        mm_per_px=MM_PER_PX,
        pupils_px={},
        band=np.zeros((1, 1), dtype=np.float32),
        band_offset=np.zeros(2),
    )


def test_read_jaw_keeps_the_difference_and_weighs_out_implausible_ones():
    # left outline 8 px (0.8 mm) beyond the oval, the right one 2 px: half the 6 px each way
    est = read_jaw(_jaw_photo(_face(300 - 242, 248), _oval(59.0, 240.0)))
    assert est.left_px == pytest.approx(3.0, abs=0.15)
    assert est.right_px == pytest.approx(-3.0, abs=0.15)
    assert est.weight == pytest.approx(1.0) and est.reason is None
    swapped = read_jaw(_jaw_photo(_face(300 - 248, 242), _oval(59.0, 240.0)))
    assert swapped.diff_px == pytest.approx(-est.diff_px, abs=0.05)
    # 4.4 mm apart: a collar, not a jaw; the face model's width stands, with its wide sd
    far = read_jaw(_jaw_photo(_face(300 - 194, 250 + 36), _oval(59.0, 240.0)))
    assert far.weight == 0.0 and far.diff_px == 0.0 and far.reason == "jaw_outlines_disagree"
    assert far.sd_px == pytest.approx(1.0 / MM_PER_PX)


def test_read_jaw_says_which_side_it_could_not_read():
    rgb = _face(300 - 250, 250)
    rgb[:, 150:] = SKIN  # the patient's left side (image right) melts into the background
    est = read_jaw(_jaw_photo(rgb, _oval(59.0, 240.0)))
    assert est.weight == 0.0 and est.reason == "jaw_unread_left"
