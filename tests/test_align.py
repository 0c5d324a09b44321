"""Aligned visit photos: exact pupil placement on a synthetic picture, and a re-taken photo
(rolled, rescaled, reframed) aligned onto the same pixels as the original."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from simulation.align import ALIGNED_SIZE, IRIS_CENTRES, PUPIL_GAP, PUPIL_ROW, aligned_face
from tests.conftest import SAMPLE, analysed


def _landmarks(p1: tuple[float, float], p2: tuple[float, float]) -> np.ndarray:
    lm = np.zeros((478, 3))
    lm[IRIS_CENTRES[0], :2], lm[IRIS_CENTRES[1], :2] = p1, p2
    return lm


def _dot_centre(rgb: np.ndarray, channel: int) -> np.ndarray:
    mask = rgb[:, :, channel].astype(int) - rgb.mean(axis=2) > 60
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


def test_the_pupils_land_level_and_where_the_layout_says() -> None:
    img = np.zeros((400, 500, 3), dtype=np.uint8)
    p_red, p_blue = (150.0, 220.0), (310.0, 160.0)  # tilted 20.6°, 171 px apart
    for (x, y), ch in ((p_red, 0), (p_blue, 2)):
        img[int(y) - 3 : int(y) + 4, int(x) - 3 : int(x) + 4, ch] = 255
    out = aligned_face(img, _landmarks(p_blue, p_red))  # the order given does not matter
    w, h = ALIGNED_SIZE
    want_red = np.array([w * (0.5 - PUPIL_GAP / 2), h * PUPIL_ROW])
    want_blue = np.array([w * (0.5 + PUPIL_GAP / 2), h * PUPIL_ROW])
    assert out.shape == (h, w, 3)
    assert np.abs(_dot_centre(out, 0) - want_red).max() < 1.0
    assert np.abs(_dot_centre(out, 2) - want_blue).max() < 1.0


@pytest.fixture(scope="module")
def rest():
    return analysed(str(SAMPLE))


@pytest.mark.parametrize("roll_deg, scale", [(4.0, 0.8), (-6.0, 1.3)])
def test_a_retaken_photo_aligns_onto_the_original(rest, roll_deg, scale) -> None:
    rgb = np.asarray(rest.image.rgb)
    lm = np.asarray(rest.landmarks_px, dtype=np.float64)[:, :2]
    h, w = rgb.shape[:2]
    # The re-take: rolled about a point off the face's centre, rescaled, shifted in the frame.
    th = np.radians(roll_deg)
    fwd = scale * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    centre, shift = np.array([w * 0.4, h * 0.55]), np.array([25.0, -15.0])
    size = (int(w * scale * 1.2), int(h * scale * 1.2))
    inv = np.linalg.inv(fwd)
    off = centre - inv @ (centre + shift)
    retake = Image.fromarray(rgb).transform(
        size, Image.Transform.AFFINE, (*inv[0], off[0], *inv[1], off[1]), Image.Resampling.BICUBIC
    )
    lm2 = (lm - centre) @ fwd.T + centre + shift
    a, b = aligned_face(rgb, lm).astype(float), aligned_face(np.asarray(retake), lm2).astype(float)
    inner = (slice(30, -30), slice(30, -30))  # the face, away from any frame edge
    aligned = np.abs(a[inner] - b[inner]).mean()
    side_by_side = np.abs(
        a[inner] - np.asarray(Image.fromarray(np.asarray(retake)).resize(ALIGNED_SIZE))[inner]
    ).mean()
    assert aligned < 6.0, aligned  # resampling twice blurs a little; nothing more
    assert side_by_side > 4 * aligned  # without alignment the two would not line up


def test_a_stored_analysis_places_the_plan_where_the_live_one_does(rest) -> None:
    from simulation.align import StoredFace, aligned_points, injection_px
    from simulation.plan import parse_plan

    plan = parse_plan(
        {
            "product": "ona",
            "injections": [
                {"site": "frontalis_lateral_left", "units": 2},
                {"site": "corrugator_medial_right", "units": 4},
                {"point": {"landmark": 105, "offset_mm": [0, 12]}, "units": 1},
            ],
        }
    )
    stored = StoredFace.from_json(rest.to_json(landmarks=True))
    assert stored is not None and StoredFace.from_json(rest.to_json()) is None
    live, kept = injection_px(rest, plan), injection_px(stored, plan)
    # the stored frame uses MediaPipe's iris centres, the live one the fitted irises
    assert np.abs(live - kept).max() < 2.0
    lm = np.asarray(rest.landmarks_px)[:, :2]
    pupils = aligned_points(rest.landmarks_px, lm[list(IRIS_CENTRES)])
    w, h = ALIGNED_SIZE
    assert np.allclose(sorted(pupils[:, 0]), [w * (0.5 - PUPIL_GAP / 2), w * (0.5 + PUPIL_GAP / 2)])
    assert np.allclose(pupils[:, 1], h * PUPIL_ROW)
