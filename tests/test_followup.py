"""Follow-up and per-patient calibration, validated on a real face: the "observed" follow-up
photo is the model's own predicted photo of plan A (must come out inside the band, prediction
about unchanged) or of a weaker plan, half the units (must come out weaker than the band, the
patient's effect scale must drop towards the true ratio, and the re-prediction of plan A must
land within the observed figure's ± where the original did not)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from simulation.analysis import analyze_image
from simulation.calibration import (
    MIN_ESS,
    DrawSet,
    follow_up,
    patient_response,
    prediction_draws,
)
from simulation.ingest import load_image
from simulation.metrics import Z80
from simulation.photo_warp import warp_photo
from simulation.plan import parse_plan
from simulation.prediction import build_subject, predict
from tests.conftest import SAMPLE, SHARED_FACES

DAY = 14.0
METRIC = "brow_height_lateral_mm"  # the lateral frontalis moves the lateral brow most


def _plan(units: float):
    # Doses on the steep part of the model's dose-response (1 U moves the brow about twice as
    # much as 0.5 U), so that half the units is a visibly weaker outcome.
    return parse_plan(
        {"product": "ona", "injections": [{"site": "frontalis_lateral_left", "units": units}]}
    )


def _face() -> str:
    real = SHARED_FACES / "frontal" / "02_grace_hopper.jpg"
    return str(real if real.exists() else SAMPLE)


@cache
def _setup():
    img = load_image(_face())
    before = analyze_image(img)
    subject = build_subject(before)
    return img, before, subject, prediction_draws(subject, _plan(1.0))


@cache
def _observed(units: float):
    """The analysis of the model's predicted photo of `units` at day 14."""
    img, before, subject, _ = _setup()
    pred = predict(subject, _plan(units), [DAY])
    rgb = warp_photo(img.rgb, before, pred.displacement_mm[0])
    return analyze_image(replace(img, rgb=rgb, sha256=f"{img.sha256}:pred{units}"))


def _true_ratio() -> float:
    _, before, subject, _ = _setup()
    effect = [
        predict(subject, _plan(u), [DAY], measurement_error=False).metrics[0][METRIC].diff.median
        - before.metrics[METRIC].diff
        for u in (0.5, 1.0)
    ]
    return effect[0] / effect[1]


def test_own_predicted_photo_is_inside_the_band_and_changes_little() -> None:
    _, _, _, draws = _setup()
    fu = follow_up(draws, DAY, _observed(1.0).metrics)
    m = fu.metrics[METRIC]
    assert m.inside_band and m.versus_prediction == "as predicted", m
    assert sum(x.inside_band for x in fu.metrics.values()) >= len(fu.metrics) - 1
    assert fu.effective_draws >= MIN_ESS and fu.tempering == 1.0
    assert abs(m.updated.median - m.predicted.median) < 0.3
    assert 0.75 < fu.effect_scale < 1.25


def test_half_the_units_is_weaker_and_the_update_follows_it() -> None:
    _, _, _, draws = _setup()
    obs = _observed(0.5).metrics
    fu = follow_up(draws, DAY, obs)
    m = fu.metrics[METRIC]
    assert m.versus_prediction == "weaker" and m.outside_by_mm > 0, m
    # The patient's effect scale drops towards the true ratio (about 0.5), from 1.
    ratio = _true_ratio()
    assert 0.35 < ratio < 0.65
    assert ratio - 0.15 < fu.effect_scale < 0.85, (fu.effect_scale, ratio)
    # The re-prediction of plan A moves at least half-way from the original to the observation.
    half = Z80 * obs[METRIC].diff_sd
    assert abs(m.predicted.median - m.observed) > half
    assert abs(m.updated.median - m.observed) < 0.5 * abs(m.predicted.median - m.observed)
    assert fu.effective_draws >= MIN_ESS


@pytest.mark.xfail(
    strict=True,
    reason="the predicted photo re-measured under-reads a small movement (half the units: the "
    "lateral brow moves 0.47 mm in the model, 0.12 mm on the warped photo), so the observation "
    "lies beyond what any prior draw predicts; see docs/records.md",
)
def test_half_the_units_update_lands_within_the_observed_band() -> None:
    _, _, _, draws = _setup()
    obs = _observed(0.5).metrics
    m = follow_up(draws, DAY, obs).metrics[METRIC]
    assert abs(m.updated.median - m.observed) <= Z80 * obs[METRIC].diff_sd


def test_draws_survive_the_database_bytes() -> None:
    _, _, _, draws = _setup()
    back = DrawSet.from_bytes(draws.to_bytes())
    assert back.metric_names == draws.metric_names
    assert np.allclose(back.at(DAY), draws.at(DAY), atol=1e-4)
    assert np.allclose(back.at(12.0), (back.at(10.0) * 2 + back.at(14.0) * 2) / 4, atol=1e-9)


def test_an_impossible_observation_tempers_instead_of_collapsing() -> None:
    _, before, _, draws = _setup()
    far = {k: replace(m, left=m.left + 20.0, diff_sd=0.05) for k, m in before.metrics.items()}
    fu = follow_up(draws, DAY, far)
    assert fu.tempering < 1.0 and fu.effective_draws == pytest.approx(MIN_ESS, rel=0.05)


def _effect(subject, before, plan, **kw) -> float:
    """The plan's predicted day-14 change of the lateral brow difference (median, mm)."""
    pred = predict(subject, plan, [DAY], measurement_error=False, **kw)
    return pred.metrics[0][METRIC].diff.median - before.metrics[METRIC].diff


def test_next_session_uses_the_patients_calibrated_draws() -> None:
    """After a weaker-than-predicted follow-up, the next session's prediction (another dose)
    is weaker than the model's, by about the patient's effect scale, and says why."""
    _, before, subject, draws = _setup()
    fu = follow_up(draws, DAY, _observed(0.5).metrics)
    mine = patient_response(fu, draws)
    assert mine.draws.n == 200
    assert mine.note.startswith("based on this patient's response at day 14")
    prior, calibrated = (
        _effect(subject, before, _plan(1.5), **kw) for kw in ({}, {"draws": mine.draws})
    )
    assert abs(calibrated) < 0.85 * abs(prior), (prior, calibrated)
    assert np.sign(calibrated) == np.sign(prior)
    # the ranges come from the patient's draws too: the band of plan A moves towards the
    # observation just as the follow-up's own re-prediction did
    again = predict(subject, _plan(1.0), [DAY], draws=mine.draws).metrics[0][METRIC].diff
    assert again.median == pytest.approx(fu.metrics[METRIC].updated.median, abs=0.15)


def test_an_as_predicted_follow_up_leaves_the_next_prediction_where_it_was() -> None:
    _, before, subject, draws = _setup()
    mine = patient_response(follow_up(draws, DAY, _observed(1.0).metrics), draws)
    prior = _effect(subject, before, _plan(1.5))
    assert _effect(subject, before, _plan(1.5), draws=mine.draws) == pytest.approx(
        prior, abs=0.25 * abs(prior) + 0.05
    )


def test_resampling_follows_the_weights_exactly() -> None:
    """All the weight on one draw: every resampled draw is that draw; equal weight on two:
    half and half."""
    _, _, _, draws = _setup()
    fu = follow_up(draws, DAY, _observed(1.0).metrics)
    one = np.zeros(len(fu.weights))
    one[7] = 1.0
    got = patient_response(replace(fu, weights=one), draws, samples=40).draws
    assert np.all(got.params.potency == draws.params[0, 7])
    assert np.all(got.response == draws.params[4, 7])
    two = np.zeros(len(fu.weights))
    two[[3, 11]] = 0.5
    got = patient_response(replace(fu, weights=two), draws, samples=40).draws
    assert np.sum(got.params.spread == draws.params[1, 3]) == 20
