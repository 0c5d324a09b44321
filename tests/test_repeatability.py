"""Repeatability: a re-taken photo of the same face (tests/retake.py) gives the same figures
within their stated ±, on the real photos the app does not flag as imprecise.

The uncertainty was calibrated on the TUNING changes only; HELD_OUT checks it on changes it was
not set on. Figures are guards at what the method reaches now (docs/measurement.md), so a change
that makes the measurement less repeatable fails here.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from simulation.analysis import analyze_image
from simulation.ingest import flip_horizontal
from simulation.metrics import METRIC_NAMES, Z80
from tests.conftest import analysed, frontal_photos
from tests.retake import HELD_OUT, TUNING, jpeg

TWO_SIDED = [n for n in METRIC_NAMES if n != "symmetry_index_mm"]
pytestmark = pytest.mark.real_faces


def _measurable() -> list[str]:
    out = []
    for path in frontal_photos():
        codes = {w.code for w in analysed(str(path)).warnings}
        if not codes & {"small_iris", "head_turned"}:
            out.append(str(path))
    return out


@cache
def _changes(suite: str) -> tuple[np.ndarray, np.ndarray]:
    """Every left-right difference's change under every re-take of `suite` ("tuning" or
    "held_out"), and the stated 80% band of that change (both photos' uncertainties)."""
    photos = _measurable()
    if len(photos) < 8:
        pytest.skip("needs the real photos in ../shared/faces/frontal")
    changes, bands = [], []
    for path in photos:
        base = analysed(path)
        for retake in (TUNING if suite == "tuning" else HELD_OUT).values():
            again = analyze_image(dataclasses.replace(base.image, rgb=retake(base.image.rgb)))
            for n in TWO_SIDED:
                a, b = base.metrics[n], again.metrics[n]
                changes.append(abs(b.diff - a.diff))
                bands.append(Z80 * np.hypot(a.diff_sd, b.diff_sd))
    return np.array(changes), np.array(bands)


@pytest.mark.parametrize("suite", ["tuning", "held_out"])
def test_retaken_photos_give_nearly_the_same_differences(suite):
    """Before the refinements weighed their evidence (issue 12): 80% / 77% within 0.3 mm, 95th
    percentile 0.9 mm, worst 2.6 / 3.1 mm."""
    change, _ = _changes(suite)
    assert (change <= 0.3).mean() >= 0.80
    assert np.percentile(change, 95) <= 0.7
    assert change.max() <= 3.0


@pytest.mark.parametrize("suite", ["tuning", "held_out"])
def test_stated_band_holds_eighty_percent_of_retake_changes(suite):
    """The reported 80% band of a difference is calibrated: over the suite it holds 75-85% of
    the changes a re-take brings (on the held-out changes too, which it was not set on)."""
    change, band = _changes(suite)
    assert 0.75 <= (change <= band).mean() <= 0.85


@pytest.mark.xfail(
    strict=True,
    reason="issue 12's target is not reached yet: about 83% of differences move by 0.3 mm or "
    "less and the worst by 2-3 mm (lower-face width, lateral brow, mouth corners); "
    "docs/measurement.md says where the rest comes from",
)
def test_issue_target_95_percent_within_a_third_of_a_millimetre_and_none_over_half():
    change = np.concatenate([_changes("tuning")[0], _changes("held_out")[0]])
    assert (change <= 0.3).mean() >= 0.95 and change.max() <= 0.5


def test_a_mirrored_photo_saved_as_jpeg_still_mirrors_every_difference():
    """The lossless mirror agrees within 0.2 mm by construction (test_analysis); a mirror that
    was also re-saved as JPEG adds the re-take's own noise: within 0.7 mm (was 0.68 before
    the refinements weighed their evidence, and 1.0 once they did not yet smooth)."""
    photos = _measurable()
    if len(photos) < 8:
        pytest.skip("needs the real photos in ../shared/faces/frontal")
    worst = 0.0
    for path in photos:
        base = analysed(path)
        flipped = flip_horizontal(base.image)
        mirror = analyze_image(dataclasses.replace(flipped, rgb=jpeg(95)(flipped.rgb)))
        worst = max(
            worst, max(abs(base.metrics[n].diff + mirror.metrics[n].diff) for n in TWO_SIDED)
        )
    assert worst <= 0.7


def test_a_resaved_photo_reports_every_difference_with_its_band():
    """Every metric carries its ± in the JSON, and a difference that its band cannot tell from
    zero is said to be so."""
    photos = _measurable()
    if not photos:
        pytest.skip("needs the real photos in ../shared/faces/frontal")
    out = analysed(photos[0]).to_json()["metrics"]
    for n in TWO_SIDED:
        m = out[n]
        assert m["diff_sd"] > 0.0
        assert m["diff_p10"] == pytest.approx(m["diff"] - Z80 * m["diff_sd"], abs=2e-3)
        assert m["diff_p90"] == pytest.approx(m["diff"] + Z80 * m["diff_sd"], abs=2e-3)
        assert m["distinguishable"] == (not m["diff_p10"] <= 0.0 <= m["diff_p90"])
