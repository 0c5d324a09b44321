"""Pharmacology: products, spread, dose-response, time course, sessions and atrophy."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import pharmacology as ph
from simulation.errors import InputError
from simulation.resources import load_json

DAYS = np.arange(-5.0, 400.0, 0.25)
MASSETER = ph.reference_muscle_size("masseter_left")


def first_day_below(fraction: float, curve: np.ndarray, days: np.ndarray = DAYS) -> float:
    """First day after the peak where the curve falls under `fraction` of its peak."""
    peak = int(np.argmax(curve))
    below = np.nonzero(curve[peak:] < fraction * curve[peak])[0]
    assert below.size, "never falls below the fraction"
    return float(days[peak + below[0]])


def first_day_above(fraction: float, curve: np.ndarray, ref: float) -> float:
    return float(DAYS[np.nonzero(curve >= fraction * ref)[0][0]])


# --- data and provenance --------------------------------------------------------------------


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")
    else:
        yield path, node


def test_every_number_has_a_source_or_an_assumption():
    data = load_json(ph.DATA_FILE)
    assert data["schema"] == "symmetry-studio/pharmacology/1"
    sources = data["sources"]
    valued = 0
    for path, node in _walk(data):
        if isinstance(node, dict) and "value" in node:
            valued += 1
            src = node.get("source", "")
            assert src in sources or src.startswith("assumption: "), path
        elif isinstance(node, int | float) and not isinstance(node, bool):
            assert path.endswith(".value"), f"bare number at {path}"
    assert valued > 40


def test_every_threshold_and_interval_has_a_source_or_an_assumption():
    """meshes/thresholds.json: each number is {value, source} (value may be null: no
    threshold), each rule names its source, and the modules read exactly these values."""
    from simulation import attribution, metrics, prediction, schedule
    from simulation.resources import THRESHOLDS

    data = load_json(THRESHOLDS)
    assert data["schema"] == "symmetry-studio/thresholds/1"
    sources = data["sources"]
    valued = 0
    for path, node in _walk(data):
        if isinstance(node, dict) and ("value" in node or "source" in node):
            valued += "value" in node
            src = node.get("source", "")
            assert src in sources or src.startswith("assumption: "), path
        elif isinstance(node, int | float) and not isinstance(node, bool):
            assert path.endswith(".value"), f"bare number at {path}"
    assert valued >= 40
    assert all(len(citation) > 40 for citation in sources.values())
    assert metrics.VISIBILITY_MM["brow_height_mm"] == 3.5
    assert metrics.VISIBILITY_MM["symmetry_index_mm"] is None
    assert tuple(attribution.NOISE) == tuple(attribution.TREAT_MIN) == attribution.KEY_METRICS
    assert (attribution.TREAT_MIN["lower_face_half_width_mm"], attribution.WEAK_RATIO) == (3, 0.5)
    assert (prediction.BROW_DROP_WARN_MM, prediction.LID_DROP_WARN_MM) == (1.0, 0.5)
    assert sorted(prediction.GLABELLA) == ["corrugator_supercilii", "procerus"]
    assert (schedule.REVIEW_DAY, schedule.MAINTENANCE_MIN_DAYS) == (14, 84)
    assert isinstance(schedule.MASSETER_LATER_DAYS, int)


# --- products -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Botox", "onabotulinumtoxinA"),
        ("ONA", "onabotulinumtoxinA"),
        ("xeomin", "incobotulinumtoxinA"),
        ("inco", "incobotulinumtoxinA"),
        (" Dysport ", "abobotulinumtoxinA"),
        ("abo", "abobotulinumtoxinA"),
        ("jeuveau", "prabotulinumtoxinA"),
        ("prabo", "prabotulinumtoxinA"),
        ("DAXXIFY", "daxibotulinumtoxinA"),
        ("daxi", "daxibotulinumtoxinA"),
        ("incobotulinumtoxina", "incobotulinumtoxinA"),
    ],
)
def test_normalise_product(name, expected):
    assert ph.normalise_product(name) == expected


def test_products_are_the_five():
    assert set(ph.PRODUCTS) == {
        "onabotulinumtoxinA",
        "incobotulinumtoxinA",
        "abobotulinumtoxinA",
        "prabotulinumtoxinA",
        "daxibotulinumtoxinA",
    }


def test_unknown_product_is_an_input_error():
    with pytest.raises(InputError) as err:
        ph.normalise_product("botulax")
    assert err.value.code == "unknown_product"
    assert "\n" not in err.value.message
    assert "botulax" in err.value.message and "onabotulinumtoxinA" in err.value.message
    with pytest.raises(InputError):
        ph.time_course([14.0], 20.0, "nope")


def test_unit_conversions():
    assert ph.to_ona_units(10.0, "dysport") == pytest.approx(4.0)
    assert ph.to_ona_units(20.0, "xeomin") == 20.0
    assert ph.to_ona_units(20.0, "jeuveau") == 20.0
    assert ph.to_ona_units(40.0, "daxxify") == pytest.approx(20.0)
    arr = ph.to_ona_units(np.array([2.5, 5.0]), "abo")
    np.testing.assert_allclose(arr, [1.0, 2.0])
    assert ph.from_ona_units(ph.to_ona_units(37.0, "abo"), "abo") == pytest.approx(37.0)
    assert ph.injection_volume_ml(4.0, 2.5) == pytest.approx(0.1)


def test_abo_10_equals_ona_4_within_5_percent():
    size = np.array([1.0, 0.5, MASSETER])
    e_abo = ph.inhibition(ph.to_ona_units(10.0, "abo"), size)
    e_ona = ph.inhibition(ph.to_ona_units(4.0, "ona"), size)
    np.testing.assert_allclose(e_abo, e_ona, rtol=0.05)
    tc_abo = ph.time_course(DAYS, ph.to_ona_units(10.0, "abo"), "abo", muscle_size=1.0)
    tc_ona = ph.time_course(DAYS, 4.0, "ona", muscle_size=1.0)
    np.testing.assert_allclose(tc_abo, tc_ona, rtol=0.05, atol=1e-9)


def test_inco_equals_ona():
    assert ph.inhibition(ph.to_ona_units(8.0, "inco"), 1.0) == ph.inhibition(8.0, 1.0)
    np.testing.assert_array_equal(ph.time_course(DAYS, 20.0, "inco"), ph.time_course(DAYS, 20.0))


def test_duration_factors_and_limits():
    assert ph.duration_factor("daxi") > 1.2
    assert ph.duration_factor("ona") == 1.0
    assert ph.session_max_ona() == 400.0
    assert ph.min_repeat_interval_days() == 84.0
    assert ph.absurd_point_units() == 100.0
    assert ph.absurd_point_units("dysport") == pytest.approx(250.0)


# --- time course ----------------------------------------------------------------------------


def test_onset_half_effect_between_day_2_and_4_and_90_percent_by_day_10():
    for product in ph.PRODUCTS:
        tc = ph.time_course(DAYS, 20.0, product)
        day14 = tc[DAYS == 14.0][0]
        assert 2.0 <= first_day_above(0.5, tc, day14) <= 4.0, product
        assert tc[DAYS == 10.0][0] >= 0.9 * day14, product
        assert tc[DAYS == 10.0][0] >= 0.9 * tc.max(), product


def test_zero_before_and_at_day_zero():
    tc = ph.time_course(DAYS, 20.0)
    assert np.all(tc[DAYS <= 0.0] == 0.0)
    assert np.all(tc >= 0.0) and tc.max() <= 1.0


def test_glabella_20u_back_under_10_percent_at_20_plus_minus_3_weeks():
    weeks = first_day_below(0.1, ph.time_course(DAYS, 20.0, "ona")) / 7.0
    assert 17.0 <= weeks <= 23.0


def test_higher_dose_lasts_longer():
    low = first_day_below(0.1, ph.time_course(DAYS, 20.0))
    high = first_day_below(0.1, ph.time_course(DAYS, 40.0))
    assert high > low + 7.0
    tc = ph.time_course(DAYS, np.array([10.0, 20.0, 40.0]))  # (T, 3): broadcast over doses
    assert tc.shape == (len(DAYS), 3)
    at_120 = tc[DAYS == 120.0][0]
    assert at_120[0] < at_120[1] < at_120[2]


def test_daxi_lasts_longer_than_ona():
    ona = first_day_below(0.1, ph.time_course(DAYS, 20.0, "ona")) / 7.0
    daxi = first_day_below(0.1, ph.time_course(DAYS, ph.to_ona_units(40.0, "daxi"), "daxi")) / 7.0
    assert daxi > ona + 3.0
    assert daxi / ona == pytest.approx(24.0 / 19.0, rel=0.05)


# --- dose-response --------------------------------------------------------------------------


def test_dose_response_monotone_saturating_zero_at_zero():
    units = np.linspace(0.0, 200.0, 801)
    e = ph.inhibition(units, 1.0)
    assert e[0] == 0.0
    assert np.all(np.diff(e) > 0)
    assert np.all(np.diff(e, 2)[40:] < 0)  # concave past the low-dose shoulder
    assert e[-1] < 1.0 and e[-1] > 0.9
    assert ph.inhibition(1e9, 1.0) < 1.0


def test_bigger_muscle_needs_more_units():
    sizes = np.array([0.25, 0.5, 1.0, MASSETER])
    e = ph.inhibition(np.full(4, 8.0), sizes)
    assert np.all(np.diff(e) < 0)


def test_dose_response_anchors():
    assert ph.inhibition(8.0, ph.reference_muscle_size("orbicularis_oculi_lateral_left")) == (
        pytest.approx(0.85, abs=0.01)
    )
    assert ph.inhibition(30.0, MASSETER) == pytest.approx(0.85, abs=0.02)
    assert ph.inhibition(25.0, MASSETER) >= 0.75
    assert ph.inhibition(8.0, MASSETER) < 0.5
    frontalis = ph.reference_muscle_size("frontalis_lateral_right")
    assert 0.6 <= ph.inhibition(2.0, frontalis) < ph.inhibition(4.0, frontalis) <= 0.9


def test_params_shift_the_response():
    base = ph.inhibition(4.0, 1.0)
    assert ph.inhibition(4.0, 1.0, ph.Params(potency=1.5)) > base
    assert ph.inhibition(4.0, 1.0, ph.Params(sensitivity=0.7)) < base
    long = ph.time_course([120.0], 20.0, params=ph.Params(duration=1.3))[0]
    assert long > ph.time_course([120.0], 20.0)[0]


# --- spread ---------------------------------------------------------------------------------


def test_spread_radius_grows_with_units_and_volume():
    assert ph.spread_radius_mm(4.0, 0.1) == pytest.approx(5.0, rel=1e-3)  # ~1 cm across
    r_units = ph.spread_radius_mm(np.array([1.0, 2.0, 4.0, 8.0, 30.0]), 0.1)
    r_volume = ph.spread_radius_mm(4.0, np.array([0.02, 0.05, 0.1, 0.2, 0.4]))
    assert np.all(np.diff(r_units) > 0) and np.all(np.diff(r_volume) > 0)
    assert ph.spread_radius_mm(4.0, 0.1, ph.Params(spread=1.2)) == pytest.approx(6.0, rel=1e-3)


def test_received_units_local_and_bounded():
    muscles = np.array([[0.0, 0.0, 0.0], [30.0, 0.0, 0.0], [6.0, 0.0, 0.0]])
    radius = np.array([4.0, 4.0, 2.0])
    got = ph.received_units([[0.0, 0.0, 0.0]], [4.0], [0.1], muscles, radius)
    assert got.shape == (3,)
    assert got[0] == pytest.approx(4.0)  # injected into it: all of it
    assert got[1] < 0.01 * 4.0  # 30 mm away: almost nothing
    assert 0.5 < got[2] < 4.0  # a close neighbour: part of it
    inj = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [30.0, 0.0, 0.0]])
    units = np.array([4.0, 2.0, 10.0])
    got = ph.received_units(inj, units, units / 100 * 2.5, muscles, radius)
    assert np.all(got <= units.sum() + 1e-9) and np.all(got >= 0.0)
    assert got.sum() <= units.sum() * len(muscles)
    empty = ph.received_units(np.zeros((0, 3)), [], [], muscles, radius)
    np.testing.assert_array_equal(empty, np.zeros(3))


def test_more_dilute_reaches_further():
    muscles = np.array([[10.0, 0.0, 0.0]])
    concentrated = ph.received_units([[0.0, 0.0, 0.0]], [4.0], [0.04], muscles, [1.0])
    dilute = ph.received_units([[0.0, 0.0, 0.0]], [4.0], [0.2], muscles, [1.0])
    assert dilute[0] > concentrated[0]


# --- sessions -------------------------------------------------------------------------------


def test_top_up_adds_and_the_ceiling_holds():
    days = np.arange(0.0, 200.0)
    one = ph.inhibition_over_time([0.0], [[4.0]], [1.0], days)[:, 0]
    topped = ph.inhibition_over_time([0.0, 14.0], [[4.0], [2.0]], [1.0], days)[:, 0]
    assert np.all(topped[days < 14] == one[days < 14])
    assert topped[28] > one[28] + 0.02
    # loewe: a top-up near the peak is about the sum given at once (same drug), never more
    assert topped[28] == pytest.approx(ph.inhibition(6.0, 1.0), abs=0.02)
    assert topped.max() <= ph.inhibition(6.0, 1.0)
    for combine in ("loewe", "bliss"):
        huge = ph.inhibition_over_time(
            [0.0, 14.0, 28.0, 100.0], np.full((4, 2), 90.0), [1.0, 0.25], days, combine=combine
        )
        assert huge.max() < 1.0 and huge.min() >= 0.0
        bliss_top = ph.inhibition_over_time(
            [0.0, 14.0], [[4.0], [2.0]], [1.0], days, combine=combine
        )
        assert bliss_top[28, 0] > one[28]


def test_same_day_sessions_sum():
    days = np.array([3.0, 14.0, 90.0])
    split = ph.inhibition_over_time([0.0, 0.0], [[3.0], [5.0]], [1.0], days, combine="bliss")
    whole = ph.inhibition_over_time([0.0], [[8.0]], [1.0], days)
    np.testing.assert_allclose(split, whole)


def test_single_session_matches_dose_response_times_time_course():
    days = np.array([-1.0, 2.0, 14.0, 60.0, 140.0])
    sizes = np.array([1.0, MASSETER])
    got = ph.inhibition_over_time([0.0], [[8.0, 30.0]], sizes, days, product="abo")
    expected = ph.inhibition(np.array([8.0, 30.0]), sizes) * ph.time_course(
        days, np.array([8.0, 30.0]), "abo", muscle_size=sizes
    )
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    none = ph.inhibition_over_time([], np.zeros((0, 2)), sizes, days)
    np.testing.assert_array_equal(none, np.zeros((5, 2)))


# --- atrophy --------------------------------------------------------------------------------


def _masseter(session_days):
    days = np.arange(0.0, 366.0)
    received = np.full((len(session_days), 1), 30.0)
    return ph.thickness_change(session_days, received, [MASSETER], days)[:, 0]


def test_masseter_30u_thins_8_to_16_percent_at_week_12_lowest_week_8_to_14():
    change = _masseter([0.0])
    assert -0.16 <= change[84] <= -0.08
    assert 56 <= int(np.argmin(change)) <= 98
    assert change[14] < 0.0  # thinning already from week 2
    # returns partly by 12 months but not wholly: the remodelled part lasts (one session lasts
    # 6-12 months, kundu_2022; chang_2019's -12% a year after a course needs a lasting part)
    assert 0.67 * change.min() < change[365] < -0.01
    assert np.all(change <= 0.0)


def test_masseter_second_session_deepens():
    once = _masseter([0.0])
    twice = _masseter([0.0, 84.0])
    assert twice.min() < once.min() - 0.03
    assert np.all(twice[:85] == once[:85])


def test_atrophy_fraction_shapes_and_zero_without_toxin():
    days = np.arange(0.0, 50.0)
    assert np.all(ph.atrophy_fraction(days, np.zeros(50)) == 0.0)
    e = np.full((3, 50, 2), 0.5)
    out = ph.atrophy_fraction(days, e)
    assert out.shape == e.shape and np.all(out[:, 1:] < 0)


# --- uncertainty ----------------------------------------------------------------------------


def test_sample_params_reproducible_with_medians_near_one():
    a = ph.sample_params(20000, np.random.default_rng(7))
    b = ph.sample_params(20000, np.random.default_rng(7))
    for field in ("potency", "spread", "sensitivity", "duration"):
        x = getattr(a, field)
        np.testing.assert_array_equal(x, getattr(b, field))
        assert x.shape == (20000,) and np.all(x > 0)
        assert np.median(x) == pytest.approx(1.0, abs=0.03)
        assert np.std(np.log(x)) > 0.1
    assert a.n == 20000 and ph.Params().n is None


def test_sampled_params_add_a_leading_axis():
    p = ph.sample_params(50, np.random.default_rng(1))
    muscles = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 0.0]])
    rec = ph.received_units([[0.0, 0.0, 0.0]], [4.0], [0.1], muscles, [3.0, 3.0], p)
    assert rec.shape == (50, 2)
    assert ph.inhibition(rec, np.array([1.0, 0.5]), p).shape == (50, 2)
    assert ph.time_course(DAYS, 20.0, params=p).shape == (50, len(DAYS))
    days = np.array([0.0, 14.0, 90.0])
    e = ph.inhibition_over_time([0.0], rec[:, None, :], [1.0, 0.5], days, params=p)
    assert e.shape == (50, 3, 2)
    e2 = ph.inhibition_over_time([0.0, 14.0], [[4.0, 1.0], [2.0, 0.0]], [1.0, 0.5], days, params=p)
    assert e2.shape == (50, 3, 2)
    lo, med, hi = np.percentile(e2[:, 1, 0], [10, 50, 90])
    assert lo < med < hi
    # the median draw reproduces the deterministic prediction
    single = ph.inhibition_over_time([0.0, 14.0], [[4.0, 1.0], [2.0, 0.0]], [1.0, 0.5], days)
    assert med == pytest.approx(single[1, 0], abs=0.05)
