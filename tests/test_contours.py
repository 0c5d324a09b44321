"""Exact checks of the contour refinement on synthetic profiles (no photo, no detector)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.contours import (
    LID_LOWER,
    LID_UPPER,
    BrowFit,
    Frame,
    _suffix_percentile,
    align_brows,
    align_irises,
    fit_lid,
    half_contrast_rise,
    overlay_shifts,
)

Y = np.arange(0.0, 60.0, 0.25)


def _edges(*peaks: tuple[float, float], y: np.ndarray = Y) -> np.ndarray:
    """An upper-margin edge profile: Gaussian bumps (centre, height), 1.5 px wide."""
    return sum(h * np.exp(-0.5 * ((y - c) / 1.5) ** 2) for c, h in peaks)


def test_overlay_recovers_a_known_shift_to_a_twentieth_of_a_pixel():
    brow = _edges((30.0, 1.0), (24.0, 0.4), (35.0, 0.3))  # a margin with a ragged edge
    moved = _edges((33.7, 1.0), (27.7, 0.4), (38.7, 0.3))
    (shift,) = overlay_shifts(Y, moved, Y, brow, guess=2.5, search=3.0)
    assert shift == pytest.approx(3.7, abs=0.05)
    assert overlay_shifts(Y, brow, Y, moved, guess=-2.5, search=3.0) == [pytest.approx(-shift)]


def test_overlay_lists_both_shifts_when_two_fit_equally_well():
    single = _edges((30.0, 1.0))
    double = _edges((28.0, 1.0), (36.0, 1.0))  # which of the two is the margin?
    found = overlay_shifts(Y, double, Y, single, guess=2.0, search=6.0)
    assert sorted(found) == [pytest.approx(-2.0, abs=0.05), pytest.approx(6.0, abs=0.05)]


def test_overlay_gives_up_when_the_best_fit_is_outside_the_search():
    brow, moved = _edges((30.0, 1.0)), _edges((34.0, 1.0))
    assert overlay_shifts(Y, moved, Y, brow, guess=0.0, search=2.0) == []
    found = overlay_shifts(Y, moved, Y, brow, guess=0.0, search=5.0)
    assert found == [pytest.approx(4.0, abs=0.05)]


def test_overlay_gives_up_when_the_margins_do_not_look_alike():
    brow = _edges((30.0, 1.0))
    other = np.where(Y > 45, 1.0, 0.0)  # nothing where the brow is
    assert overlay_shifts(Y, other, Y, brow, guess=0.0, search=3.0) == []


def _fit(edges: dict[str, np.ndarray], refined: bool = True) -> BrowFit:
    return BrowFit(
        {p: 30.0 for p in edges}, {p: refined for p in edges}, {p: (Y, e) for p, e in edges.items()}
    )


def test_align_brows_measures_the_difference_and_skips_unrefined_brows():
    left, right = _fit({"mid": _edges((33.0, 1.0))}), _fit({"mid": _edges((30.0, 1.0))})
    assert align_brows(left, right, 4.0)["mid"] == pytest.approx(3.0, abs=0.05)
    assert align_brows(right, left, 4.0)["mid"] == pytest.approx(-3.0, abs=0.05)
    unrefined = _fit({"mid": _edges((30.0, 1.0))}, refined=False)
    assert align_brows(left, unrefined, 4.0)["mid"] is None


def test_align_brows_breaks_a_tie_with_the_neighbouring_points():
    """Mid overlays at -2 or +6 fit equally well; medial and lateral say +5 and +7."""
    left = _fit(
        {
            "medial": _edges((35.0, 1.0)),
            "mid": _edges((28.0, 1.0), (36.0, 1.0)),
            "lateral": _edges((37.0, 1.0)),
        }
    )
    right = _fit({p: _edges((30.0, 1.0)) for p in ("medial", "mid", "lateral")})
    found = align_brows(left, right, 8.0)
    assert found == {
        "medial": pytest.approx(5.0, abs=0.05),
        "mid": pytest.approx(6.0, abs=0.05),
        "lateral": pytest.approx(7.0, abs=0.05),
    }
    alone = align_brows(
        _fit({"mid": left.margin_edges["mid"][1]}), _fit({"mid": _edges((30.0, 1.0))}), 8.0
    )
    assert alone == {"mid": None}  # no neighbour to ask: no answer


def test_half_contrast_rise_finds_the_midpoint_of_a_ramp_exactly():
    t = np.arange(-20.0, 30.0, 0.1)
    profile = np.clip(50.0 + 10.0 * (t - 2.0), 50.0, 150.0)[None, :]  # dark 50 -> bright 150
    lo, hi, top = np.array([-10.0]), np.array([5.0]), np.array([25.0])
    pos, contrast = half_contrast_rise(profile, t, lo, hi, top, sigma=0.2)
    assert pos[0] == pytest.approx(7.0, abs=0.02)  # level 100 is reached 5 px up the ramp
    assert contrast[0] == pytest.approx(100.0, abs=0.5)


def test_suffix_percentile_matches_numpy_row_by_row():
    rng = np.random.default_rng(7)
    values = rng.normal(size=(40, 33)).astype(np.float32)
    start = rng.integers(0, 33, size=40)
    expected = [np.percentile(values[r, start[r] :], 90) for r in range(40)]
    assert _suffix_percentile(values, start, 90.0) == pytest.approx(expected, abs=1e-6)


def _synthetic_eye(
    upper_row: int = 84, lower_row: int = 126, lash: float = 30.0, lower_lash: float = 80.0
) -> tuple[np.ndarray, np.ndarray, Frame]:
    """A 200 x 200 grey eye: skin (120), white sclera (220) from `upper_row` down to
    `lower_row` (exclusive), a 6 px upper lash line (`lash`) above it and a paler 3 px lower one
    (`lower_lash`) below it; MediaPipe's upper lid line at row 80, its lower lid at row 130, the
    pupil at (100, 100) with an iris radius of 20 px."""
    gray = np.full((200, 200), 120.0, dtype=np.float32)
    gray[upper_row - 6 : upper_row] = lash
    gray[upper_row:lower_row] = 220.0
    gray[lower_row : lower_row + 3] = lower_lash
    landmarks = np.zeros((478, 3))
    for side in ("right", "left"):
        xs = np.linspace(40.0, 160.0, len(LID_UPPER[side]))
        landmarks[list(LID_UPPER[side]), :2] = np.column_stack([xs, np.full_like(xs, 80.0)])
        landmarks[list(LID_LOWER[side]), :2] = np.column_stack([xs, np.full_like(xs, 130.0)])
    frame = Frame(np.array([100.0, 100.0]), np.array([1.0, 0.0]), np.array([0.0, -1.0]))
    return gray, landmarks, frame


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize(
    ("lid", "margin_row", "line_row"),
    [("upper", 78, 80), ("upper", 84, 80), ("upper", 90, 80)]
    + [("lower", 126, 130), ("lower", 131, 130), ("lower", 135, 130)],
)
def test_lid_offset_is_the_step_between_lash_line_and_sclera(side, lid, margin_row, line_row):
    gray, landmarks, frame = _synthetic_eye(**{f"{lid}_row": margin_row})
    offset = fit_lid(gray, landmarks, frame, side, pupil_x=0.0, radius=20.0, lid=lid)
    # the step lies half way between rows margin_row - 1 and margin_row (lash and sclera, or
    # sclera and lash); + = above MediaPipe's line at line_row; within a sixth of a pixel
    # (profiles are sampled every 2/3 px)
    assert offset == pytest.approx(line_row - (margin_row - 0.5), abs=0.15)


@pytest.mark.parametrize("lid", ["upper", "lower"])
def test_lid_without_a_margin_against_white_sclera_is_not_fitted(lid):
    gray, landmarks, frame = _synthetic_eye(lash=100.0, lower_lash=110.0)
    gray[84:126] = 115.0  # the white of the eye in shadow: leave the lids to MediaPipe
    assert fit_lid(gray, landmarks, frame, "left", pupil_x=0.0, radius=20.0, lid=lid) is None


def _two_eyes(left_rise: float) -> np.ndarray:
    """Two synthetic eyes (dark iris of radius 20 px on white sclera, a lower lid below), the
    left one (image right, centre x 300) drawn `left_rise` px higher than the right (x 100)."""
    yy, xx = np.mgrid[0:200, 0:400].astype(np.float64)
    gray = np.full(yy.shape, 120.0)  # skin
    for cx, cy in ((100.0, 100.0), (300.0, 100.0 - left_rise)):
        # anti-aliased edges, so that a sub-pixel rise is drawn as one
        white = np.clip(yy - (cy - 15.0) + 0.5, 0, 1) * np.clip(cy + 17.0 - yy + 0.5, 0, 1)
        white = white * (np.abs(xx - cx) < 45)
        gray = gray + (230.0 - gray) * white
        iris = np.hypot(xx - cx, yy - cy)
        gray = np.where(iris < 20.0, 60.0 + 60.0 * np.clip(iris - 19.0, 0.0, 1.0), gray)
    return gray.astype(np.float32)


@pytest.mark.parametrize("rise", [0.0, 1.5, -4.0])
def test_align_irises_finds_how_much_higher_the_left_eye_sits(rise):
    frame = Frame(np.array([200.0, 100.0]), np.array([1.0, 0.0]), np.array([0.0, -1.0]))
    centres = {"right": np.array([100.0, 100.0]), "left": np.array([300.0, 100.0])}
    shift = align_irises(_two_eyes(rise), frame, centres, radius=20.0)
    assert shift == pytest.approx(rise, abs=0.1)
    # measured from where each eye really is, the two match
    moved = {**centres, "left": np.array([300.0, 100.0 - rise])}
    assert align_irises(_two_eyes(rise), frame, moved, radius=20.0) == pytest.approx(0.0, abs=0.1)


def test_align_irises_gives_up_when_the_eyes_do_not_look_alike():
    frame = Frame(np.array([200.0, 100.0]), np.array([1.0, 0.0]), np.array([0.0, -1.0]))
    gray = _two_eyes(0.0)
    gray[:, 200:] = 120.0  # no left eye at all
    centres = {"right": np.array([100.0, 100.0]), "left": np.array([300.0, 100.0])}
    assert align_irises(gray, frame, centres, radius=20.0) is None
