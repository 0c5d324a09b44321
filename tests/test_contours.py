"""Exact checks of the contour refinements on synthetic photos and profiles (no detector)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.contours import (
    BROW_LOWER,
    BROW_UPPER,
    CANTHUS_LATERAL,
    CANTHUS_MEDIAL,
    LID_LOWER,
    LID_UPPER,
    Estimate,
    Frame,
    PhotoFrame,
    blend,
    chain_posteriors,
    fit_lid,
    ramp,
    read_brows,
    read_eye_heights,
    read_lids,
    weighted_spread,
)
from simulation.contours.profiles import half_contrast_rise, overlay_scores, suffix_percentile

Y = np.arange(0.0, 60.0, 0.25)
UPRIGHT = (np.array([1.0, 0.0]), np.array([0.0, -1.0]))  # frame x right, y up the image


def _photo(gray: np.ndarray, landmarks: np.ndarray, origin, radius: float, pupils) -> PhotoFrame:
    """A PhotoFrame over a synthetic grey image (band = the whole image)."""
    rgb = np.repeat(gray[..., None], 3, axis=2).clip(0, 255).astype(np.uint8)
    return PhotoFrame(
        rgb=rgb,
        landmarks_px=landmarks,
        frame=Frame(np.asarray(origin, dtype=np.float64), *UPRIGHT),
        radius_px=radius,
        mm_per_px=11.77 / (2 * radius),
        pupils_px={s: np.asarray(c, dtype=np.float64) for s, c in pupils.items()},
        band=gray.astype(np.float32),
        band_offset=np.zeros(2),
    )


# ---- the continuous weighing every refinement is built from


def test_ramp_is_a_smooth_step_with_exact_ends_and_middle():
    assert ramp(-1.0, 0.0, 2.0) == 0.0
    assert ramp(1.0, 0.0, 2.0) == pytest.approx(0.5)
    assert ramp(3.0, 0.0, 2.0) == 1.0
    x = np.linspace(-1.0, 3.0, 4001)
    assert np.abs(np.diff(ramp(x, 0.0, 2.0))).max() < 1e-3  # no jump anywhere


def test_blend_trusts_the_image_by_its_weight_and_widens_where_it_cannot_decide():
    assert blend(2.0, 0.1, 1.0, 0.5) == pytest.approx((2.0, 0.1))
    assert blend(2.0, 0.1, 0.0, 0.5) == pytest.approx((0.0, 0.5))
    mean, sd = blend(2.0, 0.1, 0.5, 0.5)
    # a half-and-half mixture of N(2, 0.1) and N(0, 0.5): mean 1, variance 0.13 + 1
    assert mean == pytest.approx(1.0)
    assert sd == pytest.approx(np.sqrt(0.5 * 0.01 + 0.5 * 0.25 + 0.25 * 4.0))


def test_weighted_spread_is_the_weighted_mean_sd_and_effective_count():
    mean, sd, n = weighted_spread(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    assert (mean, sd, n) == pytest.approx((2.0, 1.0, 2.0))
    assert weighted_spread(np.array([1.0, 3.0]), np.array([0.0, 0.0])) == (0.0, 0.0, 0.0)


def test_chain_posterior_of_one_gaussian_reading_is_the_conjugate_answer():
    grid = np.linspace(-10.0, 10.0, 4001)
    reading, reading_sd, prior_sd = 2.0, 0.5, 1.0
    loglik = -0.5 * ((grid - reading) / reading_sd) ** 2
    mean, sd = chain_posteriors(grid, loglik[None], prior_sd, 1.0)
    w = prior_sd**2 / (prior_sd**2 + reading_sd**2)
    assert mean[0] == pytest.approx(w * reading, abs=1e-3)
    assert sd[0] == pytest.approx(np.sqrt(w) * reading_sd, abs=1e-3)


def test_two_equally_good_readings_are_weighed_not_picked():
    """Two rival overlays (-2 and +2) that fit equally well give the midpoint and a sd that
    spans both; a slightly better fit of one moves the answer a little, never by a jump."""
    grid = np.linspace(-6.0, 6.0, 2401)

    def rivals(tilt: float) -> np.ndarray:
        return np.logaddexp(
            -0.5 * ((grid + 2.0) / 0.2) ** 2, tilt - 0.5 * ((grid - 2.0) / 0.2) ** 2
        )

    mean, sd = chain_posteriors(grid, rivals(0.0)[None], 100.0, 1.0)
    assert mean[0] == pytest.approx(0.0, abs=1e-6)
    assert sd[0] == pytest.approx(2.0, abs=0.05)
    tilted, _ = chain_posteriors(grid, rivals(0.05)[None], 100.0, 1.0)
    assert 0.0 < tilted[0] < 0.1


def test_chain_neighbours_pull_an_ambiguous_point_towards_them():
    """The middle point cannot tell -3 from +3; both neighbours read +3, so it leans to +3."""
    grid = np.linspace(-8.0, 8.0, 1601)
    sharp = lambda c: -0.5 * ((grid - c) / 0.2) ** 2  # noqa: E731 - local shorthand
    ambiguous = np.logaddexp(sharp(-3.0), sharp(3.0))
    mean, _ = chain_posteriors(grid, np.array([sharp(3.0), ambiguous, sharp(3.0)]), 10.0, 1.0)
    assert mean == pytest.approx([3.0, 3.0, 3.0], abs=0.05)


def test_estimate_splits_an_antisymmetric_difference_in_half():
    e = Estimate.antisymmetric(3.0, 0.2, 1.0)
    assert (e.left_px, e.right_px, e.diff_px) == (1.5, -1.5, 3.0)


# ---- profiles


def _edges(*peaks: tuple[float, float], y: np.ndarray = Y) -> np.ndarray:
    """An upper-margin edge profile: Gaussian bumps (centre, height), 1.5 px wide."""
    return sum(h * np.exp(-0.5 * ((y - c) / 1.5) ** 2) for c, h in peaks)


def test_overlay_scores_peak_at_the_known_shift_and_swapping_negates_it():
    brow = _edges((30.0, 1.0), (24.0, 0.4), (35.0, 0.3))  # a margin with a ragged edge
    moved = _edges((33.7, 1.0), (27.7, 0.4), (38.7, 0.3))
    shifts = np.arange(-6.0, 6.0001, 0.05)
    score = overlay_scores(Y, moved, Y, brow, shifts)
    assert shifts[score.argmax()] == pytest.approx(3.7, abs=0.05)
    assert score.max() == pytest.approx(1.0, abs=1e-3)
    swapped = overlay_scores(Y, brow, Y, moved, shifts)
    assert shifts[swapped.argmax()] == pytest.approx(-3.7, abs=0.05)


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
    assert suffix_percentile(values, start, 90.0) == pytest.approx(expected, abs=1e-6)


# ---- lids


def _eye_lids(
    upper_row: int = 84, lower_row: int = 126, lash: float = 30.0, lower_lash: float = 80.0
) -> tuple[np.ndarray, np.ndarray]:
    """A 200 x 200 grey eye: skin (120), white sclera (220) from `upper_row` down to
    `lower_row` (exclusive), a 6 px upper lash line (`lash`) above it and a paler 3 px lower one
    (`lower_lash`) below it; MediaPipe's upper lid line at row 80, its lower lid at row 130, the
    pupil at (100, 100) with an iris radius of 20 px (both sides' chains on this one eye)."""
    gray = np.full((200, 200), 120.0, dtype=np.float32)
    gray[upper_row - 6 : upper_row] = lash
    gray[upper_row:lower_row] = 220.0
    gray[lower_row : lower_row + 3] = lower_lash
    landmarks = np.zeros((478, 3))
    for side in ("right", "left"):
        xs = np.linspace(40.0, 160.0, len(LID_UPPER[side]))
        landmarks[list(LID_UPPER[side]), :2] = np.column_stack([xs, np.full_like(xs, 80.0)])
        landmarks[list(LID_LOWER[side]), :2] = np.column_stack([xs, np.full_like(xs, 130.0)])
    return gray, landmarks


def _lid_photo(gray: np.ndarray, landmarks: np.ndarray) -> PhotoFrame:
    pupil = (100.0, 100.0)
    return _photo(gray, landmarks, pupil, 20.0, {"right": pupil, "left": pupil})


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize(
    ("lid", "margin_row", "line_row"),
    [("upper", 78, 80), ("upper", 84, 80), ("upper", 90, 80)]
    + [("lower", 126, 130), ("lower", 131, 130), ("lower", 135, 130)],
)
def test_lid_offset_is_the_step_between_lash_line_and_sclera(side, lid, margin_row, line_row):
    gray, landmarks = _eye_lids(**{f"{lid}_row": margin_row})
    offset, sd, weight = fit_lid(_lid_photo(gray, landmarks), side, lid)
    # the step lies half way between rows margin_row - 1 and margin_row (lash and sclera, or
    # sclera and lash); + = above MediaPipe's line at line_row. Within 0.4 px (0.12 mm): the
    # profiles are smoothed over 0.08 iris radii (1.6 px here) for repeatability, which pulls
    # the half-contrast level of a 3-6 px lash line by about a third of a pixel
    assert offset == pytest.approx(line_row - (margin_row - 0.5), abs=0.4)
    assert weight == pytest.approx(6.0)  # all six columns read
    # the columns agree exactly, so the sd is the per-column floor alone (0.15 mm)
    assert sd == pytest.approx(0.15 / _lid_photo(gray, landmarks).mm_per_px, rel=0.02)


@pytest.mark.parametrize("lid", ["upper", "lower"])
def test_lid_without_a_margin_against_white_sclera_leaves_the_face_model_reading(lid):
    gray, landmarks = _eye_lids(lash=100.0, lower_lash=110.0)
    gray[84:126] = 115.0  # the white of the eye in shadow
    photo = _lid_photo(gray, landmarks)
    assert fit_lid(photo, "left", lid)[2] == 0.0
    est = read_lids(photo, lid)
    assert (est.diff_px, est.weight, est.reason) == (0.0, 0.0, "lids_not_fitted")
    assert est.sd_px == pytest.approx(0.5 / photo.mm_per_px)  # the face model's own sd


# ---- pupils' heights


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


def _eyes_photo(gray: np.ndarray, left_centre_y: float = 100.0) -> PhotoFrame:
    pupils = {"right": (100.0, 100.0), "left": (300.0, left_centre_y)}
    return _photo(gray, np.zeros((478, 3)), (200.0, 100.0), 20.0, pupils)


@pytest.mark.parametrize("rise", [0.0, 1.5, -4.0])
def test_eye_heights_find_how_much_higher_the_left_eye_sits(rise):
    est = read_eye_heights(_eyes_photo(_two_eyes(rise)))
    assert est.diff_px == pytest.approx(rise, abs=0.1)
    assert est.weight == 1.0 and est.reason is None
    # measured from where each eye really is, the two match
    moved = read_eye_heights(_eyes_photo(_two_eyes(rise), 100.0 - rise))
    assert moved.diff_px == pytest.approx(0.0, abs=0.1)


def test_eye_heights_fall_back_to_no_shift_with_a_wide_sd_when_the_eyes_do_not_match():
    gray = _two_eyes(0.0)
    gray[:, 200:] = 120.0  # no left eye at all
    est = read_eye_heights(_eyes_photo(gray))
    assert est.weight < 0.5 and est.reason == "eyes_not_aligned"
    assert abs(est.diff_px) < 0.5
    assert est.sd_px > 1.0  # the photo cannot tell: about the prior's 3 px (0.15 radii)


# ---- brows


def _brows(left_rise: float) -> tuple[np.ndarray, np.ndarray]:
    """A forehead (170) with two dark brows (60), 8 px thick, their upper margins at row 60
    (right brow, image x 40-160) and 60 - `left_rise` (left brow, x 240-360), anti-aliased;
    MediaPipe's brow lines drawn symmetric at rows 58 (upper) and 70 (lower), canthi below."""
    yy, xx = np.mgrid[0:200, 0:400].astype(np.float64)
    gray = np.full(yy.shape, 170.0)
    for x0, top in ((40.0, 60.0), (240.0, 60.0 - left_rise)):
        band = np.clip(yy - top + 0.5, 0, 1) * np.clip(top + 8.0 - yy + 0.5, 0, 1)
        band = band * ((xx >= x0) & (xx < x0 + 120))
        gray = gray - 110.0 * band
    landmarks = np.zeros((478, 3))
    for side, (x0, x1) in {"right": (150.0, 50.0), "left": (250.0, 350.0)}.items():
        xs = np.linspace(x0, x1, 5)[::-1]  # chains run lateral -> medial
        landmarks[list(BROW_UPPER[side]), :2] = np.column_stack([xs, np.full(5, 58.0)])
        landmarks[list(BROW_LOWER[side]), :2] = np.column_stack([xs, np.full(5, 70.0)])
    landmarks[CANTHUS_MEDIAL["right"], :2] = (140.0, 100.0)
    landmarks[CANTHUS_LATERAL["right"], :2] = (60.0, 100.0)
    landmarks[CANTHUS_MEDIAL["left"], :2] = (260.0, 100.0)
    landmarks[CANTHUS_LATERAL["left"], :2] = (340.0, 100.0)
    return gray.astype(np.float32), landmarks


@pytest.mark.parametrize("rise", [0.0, 3.0, -5.0])
def test_brows_read_the_difference_the_photo_shows_not_the_landmarks(rise):
    """MediaPipe's brow lines are drawn symmetric; the photo's brows differ by `rise` px."""
    gray, landmarks = _brows(rise)
    photo = _photo(
        gray, landmarks, (200.0, 100.0), 12.0, {"right": (100.0, 100.0), "left": (300.0, 100.0)}
    )
    reading = read_brows(photo)
    for point, est in reading.estimates.items():
        assert est.diff_px == pytest.approx(rise, abs=0.15), point
        assert est.weight == 1.0
        h = reading.heights_px
        assert h["left"][point] - h["right"][point] == pytest.approx(rise, abs=0.15)
    # the margins themselves: the right brow's upper edge (row 60) is 40 px above the pupils'
    # row 100 whatever the left one does, and the left one `rise` px higher
    assert reading.heights_px["right"]["mid"] == pytest.approx(40.0, abs=0.3)
    assert reading.heights_px["left"]["mid"] == pytest.approx(40.0 + rise, abs=0.3)
