"""The response-basis evaluation (simulation/response.py) and the one way to draw uncertainty."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from simulation import pharmacology, response
from simulation.plan import parse_plan
from simulation.prediction import OUTCOME_SAMPLES, OUTCOME_SEED, build_subject, predict
from simulation.response import Draws, activation_change, effects, point_metrics
from tests.conftest import SAMPLE, analysed

DAY14 = np.array([14.0])
SIDES = ("left", "right")


@pytest.fixture(scope="module")
def s():
    return build_subject(analysed(str(SAMPLE)))


def plan(*injections):
    return parse_plan({"product": "ona", "injections": list(injections)})


def change(subject, p, days=DAY14, expression=0.0):
    """Per-side metric change from the photographed face at the median parameters."""
    inh, thick = effects(subject, p, days, pharmacology.Params())
    moved = point_metrics(subject, activation_change(subject, inh, thick, expression))
    still = point_metrics(subject, np.zeros(len(subject.muscles)))
    return {x: {n: moved[x][n] - still[x][n] for n in still[x]} for x in SIDES}


def test_the_public_surface_is_declared():
    assert set(response.__all__) == {
        "RESPONSE_LOG_SD",
        "Draws",
        "Subject",
        "activation_change",
        "build_subject",
        "effects",
        "measurement_noise",
        "point_metrics",
    }


def test_activation_change_exact_on_a_synthetic_subject():
    # two linear muscles (tone 0.2, 0.4) and one bulk muscle 10 mm thick
    sub = SimpleNamespace(
        bulk=np.array([False, False, True]),
        tone=np.array([0.2, 0.4, 0.0]),
        thickness_mm=np.array([0.0, 0.0, 10.0]),
    )
    inh = np.array([[0.5, 0.0, 0.25]])
    thick = np.array([[0.0, 0.0, -0.1]])
    assert activation_change(sub, inh, thick, 0.0) == pytest.approx(np.array([[-0.1, 0, -1.0]]))
    # the individual's response scales tone and thinning, not the expression
    expr = np.array([0.4, 1.0, 0.8])
    got = activation_change(sub, inh, thick, expr, response=2.0)
    assert got == pytest.approx(np.array([[-0.2 + 0.2, 1.0, -2.0 + 0.6]]))
    # nothing inhibited, nothing thinned, at rest: no change at all
    zero = np.zeros((1, 3))
    assert np.array_equal(activation_change(sub, zero, zero, 0.0), zero)


def test_an_empty_plan_changes_nothing(s):
    days = np.array([0.0, 14.0, 90.0])
    inh, thick = effects(s, plan(), days, pharmacology.Params())
    assert inh.shape == thick.shape == (3, len(s.muscles))
    assert not inh.any() and not thick.any()
    draws = Draws.sample(7, 0)
    inh_s, _ = effects(s, plan(), days, draws.params)
    assert inh_s.shape == (7, 3, len(s.muscles)) and not inh_s.any()
    # zero activation change: the measurement points are the photo's, the metrics its own
    still = point_metrics(s, np.zeros(len(s.muscles)))
    for side in SIDES:
        for name, value in still[side].items():
            assert value == getattr(s.analysis.metrics[name], side), (side, name)


def test_more_units_inhibit_more_and_drop_the_brow_further(s):
    drops, inhibitions = [], []
    k = s.muscle_ids.index("frontalis_lateral_left")
    for units in (1.0, 2.0, 4.0, 8.0):
        p = plan({"site": "frontalis_lateral_left", "units": units})
        inh, _ = effects(s, p, DAY14, pharmacology.Params())
        inhibitions.append(inh[0, k])
        drops.append(-change(s, p)["left"]["brow_height_lateral_mm"])
    assert np.all(np.diff(inhibitions) > 0) and inhibitions[-1] < 1.0
    assert np.all(np.diff(drops) > 0) and drops[0] > 0


@pytest.mark.parametrize("side", SIDES)
def test_a_one_sided_injection_moves_its_own_side(s, side):
    other = "right" if side == "left" else "left"
    p = plan({"site": f"frontalis_lateral_{side}", "units": 4})
    inh, _ = effects(s, p, DAY14, pharmacology.Params())
    treated = {m for m, x in zip(s.muscle_ids, inh[0], strict=True) if x > 1e-3}
    assert treated == {f"frontalis_lateral_{side}"}
    d = change(s, p)
    assert d[side]["brow_height_lateral_mm"] < -1.0  # the brow drops on the treated side
    for name in d[side]:
        assert abs(d[other][name]) <= 0.01 * max(1.0, abs(d[side][name])), name


def test_mirrored_plans_give_mirrored_changes(s):
    """The sample face is nearly symmetric: the same dose on the other side moves the other
    side's brow by nearly the same amount (within 10%), the lower face not at all."""
    left = change(s, plan({"site": "frontalis_lateral_left", "units": 4}))
    right = change(s, plan({"site": "frontalis_lateral_right", "units": 4}))
    for name in ("brow_height_mm", "brow_height_lateral_mm", "mrd1_mm"):
        assert left["left"][name] == pytest.approx(right["right"][name], rel=0.1), name
    assert left["left"]["commissure_height_mm"] == pytest.approx(0.0, abs=1e-3)


def test_the_same_seed_gives_the_same_draws_and_another_seed_others():
    a, b, c = Draws.sample(50, 3), Draws.sample(50, 3), Draws.sample(50, 4)
    assert a.n == 50 and np.array_equal(a.response, b.response)
    for name, value in vars(a.params).items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, vars(b.params)[name]), name
    assert not np.array_equal(a.response, c.response)
    # the response factor has the stated spread: log-SD RESPONSE_LOG_SD around 1
    big = Draws.sample(20000, 0)
    assert np.median(big.response) == pytest.approx(1.0, abs=0.02)
    assert np.std(np.log(big.response)) == pytest.approx(response.RESPONSE_LOG_SD, rel=0.03)
    noise = response.measurement_noise(np.array([0.0, 2.0]), 20000, 0)
    assert not noise[0].any() and np.std(noise[1]) == pytest.approx(2.0, rel=0.03)


GLABELLA_AND_BROW = (
    {"site": "corrugator_medial_right", "units": 12},
    {"site": "frontalis_lateral_left", "units": 3},
    {"site": "crows_feet_upper_left", "units": 2.5, "day": 14},
    {"site": "masseter_lower_left", "units": 20},
)


def test_predict_ranges_are_the_shared_draws_percentiles(s):
    """`predict`'s 10th-50th-90th percentiles are those of `Draws.sample(samples, seed)` pushed
    through the same three steps: there is no second way of drawing inside it."""
    p = plan(*GLABELLA_AND_BROW)
    pr = predict(s, p, [14.0], samples=60, seed=5, measurement_error=False)
    draws = Draws.sample(60, 5)
    inh, thick = effects(s, p, DAY14, draws.params)
    expr = s.expression_activation("rest")
    per = point_metrics(s, activation_change(s, inh, thick, expr, draws.response[:, None, None]))
    for name in ("brow_height_mm", "mrd1_mm", "lower_face_half_width_mm"):
        diff = per["left"][name][:, 0] - per["right"][name][:, 0]
        lo, mid, hi = np.percentile(diff, [10, 50, 90])
        r = pr.metrics[0][name].diff
        assert (r.p10, r.median, r.p90) == pytest.approx((lo, mid, hi), abs=1e-12), name


def test_predict_ranges_are_unchanged_by_the_response_module(s):
    """Figures recorded before the response evaluation became its own module (sample photo,
    default 200 draws, seed 0, with measurement error): the refactor moved no number. Re-recorded
    when the lids got their own pretarsal parts with a calibrated tone (issue 16): the 12 U
    corrugator dose spills a little onto the right upper lid's orbicularis, which lifts that
    brow 0.01-0.02 mm (was: diff 0.23 [-0.51, 0.804]; right 25.61 [25.244, 26.173])."""
    pr = predict(s, plan(*GLABELLA_AND_BROW), [14.0])
    got = pr.metrics[0]["brow_height_mm"]
    assert got.diff.to_json() == {"median": 0.204, "p10": -0.54, "p90": 0.771}
    assert got.left.to_json() == {"median": 25.86, "p10": 25.67, "p90": 25.999}
    assert got.right.to_json() == {"median": 25.627, "p10": 25.255, "p90": 26.175}
    assert [w.code for w in pr.warnings] == ["unusual_dose", "over_correction"]
    assert (OUTCOME_SAMPLES, OUTCOME_SEED) == (100, 1)


def test_the_same_face_reuses_its_solved_basis_and_another_face_does_not():
    """The tissue solve is kept by face geometry (the server's warm-up of the demo face relies
    on a second analysis of the same bytes giving the same vertices); a moved face, or another
    tissue constant, is solved afresh, and only the last few are kept."""
    import dataclasses

    from simulation import mechanics
    from simulation.analysis import analyze_image
    from simulation.ingest import load_image

    a = analyze_image(load_image(SAMPLE.read_bytes(), name="one"), "rest")
    b = analyze_image(load_image(SAMPLE.read_bytes(), name="two"), "rest")
    assert np.array_equal(a.mesh.vertices_mm, b.mesh.vertices_mm)
    first, again = build_subject(a), build_subject(b)
    assert again.basis is first.basis and again.analysis is b
    moved_mesh = dataclasses.replace(a.mesh, vertices_mm=a.mesh.vertices_mm * 1.01)
    moved = build_subject(dataclasses.replace(a, mesh=moved_mesh))
    assert moved.basis is not first.basis
    assert not np.allclose(moved.basis.displacements, first.basis.displacements)
    old = mechanics.ANCHOR_SOFT
    try:
        mechanics.ANCHOR_SOFT = old * 2
        stiffer = build_subject(a)
    finally:
        mechanics.ANCHOR_SOFT = old
    assert stiffer.basis is not first.basis
    assert len(response._bases) <= response._RECENT_BASES


def test_two_threads_asking_for_one_face_solve_it_once(monkeypatch):
    """The server's warm-up and the first visitor may ask for the demo face at once: the second
    waits for the first solve instead of repeating it."""
    import threading

    from simulation import mechanics
    from simulation.analysis import analyze_image
    from simulation.ingest import load_image

    response._bases.clear()
    calls = []
    real = mechanics.build_basis

    def counted(*args, **kwargs):
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(mechanics, "build_basis", counted)
    a = analyze_image(load_image(SAMPLE.read_bytes(), name="demo"), "rest")
    out = [None, None]

    def ask(k):
        out[k] = build_subject(a)

    threads = [threading.Thread(target=ask, args=(k,), name=f"t{k}") for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and out[0].basis is out[1].basis
