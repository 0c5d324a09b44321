"""Table rows, the measurements CSV, the 'noteworthy measurement' rule and the study builder,
all without Streamlit."""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import replace
from types import SimpleNamespace

import pytest

from simulation.errors import Notice, SymmetryStudioError
from simulation.metrics import METRIC_NAMES, VISIBILITY_MM
from simulation.noteworthy import noteworthy
from simulation.plan import parse_plan
from simulation.prediction import MetricRange, Range, build_subject, plan_warnings
from simulation.study import NO_PHOTO, assemble_study, subject_analysis
from simulation.tables import (
    CSV_COLUMNS,
    grouped_warnings,
    measurements_csv,
    metric_rows,
    predicted_symmetry_line,
    prediction_rows,
    r1,
    rng,
    symmetry_index_line,
)
from tests.conftest import SAMPLE, analysed


@pytest.fixture(scope="module")
def rest():
    return analysed(str(SAMPLE))


def _prediction(rest, shift: float) -> SimpleNamespace:
    """A one-day prediction whose every difference is the measured one plus `shift`."""

    def r(x: float) -> Range:
        return Range(x - 0.5, x, x + 0.5)

    metrics = {
        n: MetricRange(n, r(m.left), r(m.right), r(m.diff + shift)) for n, m in rest.metrics.items()
    }
    return SimpleNamespace(metrics=[metrics], warnings=[])


def test_noteworthy_is_a_large_difference_or_a_change() -> None:
    assert noteworthy(0.5, 0.5) and noteworthy(-0.6, [-0.6])
    assert not noteworthy(0.3, [0.3, 0.45]) and noteworthy(0.3, [0.3, 0.55])
    assert noteworthy(0.0, -0.2) and not noteworthy(0.0, [])


def test_rounding_never_shows_minus_zero() -> None:
    assert str(r1(-0.04)) == "0.0"
    assert rng(Range(-0.04, 1.25, 2.0)) == "+1.2 (+0.0 to +2.0)"


def test_metric_rows_are_the_analysis_table(rest) -> None:
    rows = metric_rows(rest.metrics)
    two_sided = [n for n in METRIC_NAMES if n != "symmetry_index_mm"]
    assert [r["Noticeable from"] for r in rows] == [VISIBILITY_MM[n] for n in two_sided]
    # the symmetry index has no sides to subtract: a line of its own, not a row of blanks
    assert all(None not in r.values() for r in rows)
    si = rest.metrics["symmetry_index_mm"].left
    assert f"Symmetry index: {r1(si)} mm" in symmetry_index_line(rest.metrics)
    for r, n in zip(rows, two_sided, strict=True):
        m = rest.metrics[n]
        assert r["± (80% band)"] == r1(1.2815515655446004 * m.diff_sd)
        assert r["Photo can tell it from 0"].startswith("yes" if m.distinguishable else "no")
    assert all(r["Unit"] in ("mm", "°") for r in rows)


def test_prediction_rows_show_before_and_range(rest) -> None:
    rows = prediction_rows(rest.metrics, _prediction(rest, 1.0))
    brow = next(r for r in rows if r["Measurement"] == "Brow height, mid-pupil")
    assert brow["Before L−R"] == r1(rest.metrics["brow_height_mm"].diff)
    assert brow["Predicted L−R (p10 to p90)"].count("(") == 1
    assert all(None not in r.values() for r in rows)  # no row of blanks for the index
    assert len(rows) == len(METRIC_NAMES) - 1


def test_the_predicted_symmetry_index_is_a_line_with_its_range(rest) -> None:
    at = _prediction(rest, 14.0)
    si = at.metrics[0]["symmetry_index_mm"].left
    line = predicted_symmetry_line(rest.metrics, at)
    before = r1(rest.metrics["symmetry_index_mm"].left)
    assert line.startswith(f"Symmetry index: {before} mm before, {si.median:.1f} mm predicted")
    assert f"({si.p10:.1f} to {si.p90:.1f})" in line


def test_measurements_csv_has_one_row_per_metric(rest) -> None:
    text = measurements_csv(rest.metrics, _prediction(rest, 0.0), "Plan A", 14.0)
    assert text.startswith("metric,unit,before_left")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["metric"] for r in rows] == list(METRIC_NAMES)
    assert rows[-1]["threshold"] == "" and rows[0]["day"] == "14.0"
    assert {r["predicted_visible"] for r in rows} <= {"True", "False"}


def test_repeated_injection_warnings_are_one_line_with_their_days() -> None:
    site = "corrugator_medial_right"
    why = (f"{site}, 12 U", "far outside")  # what the injection is, and the problem
    notices = [
        Notice("unusual_dose", f"injection 1 ({site}, 12 U, day 0): far", 0, 0.0, site, *why),
        Notice("over_correction", "a plan-wide note"),
        Notice("unusual_dose", f"injection 3 ({site}, 12 U, day 85): far", 2, 85.0, site, *why),
        # same wording at another site, and a session-wide notice with a day: never merged
        Notice("unusual_dose", "injection 2: far", 1, 0.0, "x", "procerus, 12 U", "far outside"),
        Notice("frontalis_without_glabella", "day 0: frontalis alone", day=0.0),
    ]
    assert grouped_warnings(notices) == [
        f"{site}, 12 U (days 0, 85): far outside",
        "a plan-wide note",
        "procerus, 12 U (day 0): far outside",
        "day 0: frontalis alone",
    ]
    assert notices[0].to_json() == {
        "code": "unusual_dose",
        "message": notices[0].message,
        "injection": 0,
        "day": 0.0,
        "site": site,
    }
    assert notices[1].to_json() == {"code": "over_correction", "message": "a plan-wide note"}


def test_plan_warnings_carry_their_injection_day_and_site(rest) -> None:
    plan = parse_plan(
        {
            "product": "ona",
            "injections": [
                {"site": "frontalis_lateral_left", "units": 3, "day": 0},
                {"site": "corrugator_medial_right", "units": 12, "day": 90},
            ],
        }
    )
    got = {w.code: w for w in plan_warnings(build_subject(rest), plan)}
    assert (got["unusual_dose"].injection, got["unusual_dose"].day) == (1, 90.0)
    assert got["unusual_dose"].site == "corrugator_medial_right"
    dose = got["unusual_dose"]
    assert dose.what == "corrugator_medial_right, 12 U" and dose.reason.startswith("12 U ona")
    assert dose.message == f"injection 2 ({dose.what}, day 90): {dose.reason}"
    assert grouped_warnings([dose, replace(dose, injection=3, day=180.0)]) == [
        f"{dose.what} (days 90, 180): {dose.reason}"  # the whole reason, not a trimmed message
    ]
    assert got["frontalis_without_glabella"].day == 0.0
    assert got["frontalis_without_glabella"].site is None


def test_the_study_is_built_on_the_rest_photo_with_one_photo_per_expression(rest) -> None:
    smile = dataclasses.replace(rest, expression="smile")
    other_smile = dataclasses.replace(rest, expression="smile")
    problem = SymmetryStudioError("no face found")
    study = assemble_study(
        [("smile", smile), ("rest", problem), ("rest", rest), ("smile", other_smile)]
    )
    assert study.analyses == (rest, smile) and set(study.excursions) == {"smile"}
    assert subject_analysis([("smile", smile)]) is smile  # no rest photo: the first analysable
    with pytest.raises(SymmetryStudioError, match="no face found"):
        subject_analysis([("smile", SymmetryStudioError("blurred")), ("rest", problem)])
    with pytest.raises(SymmetryStudioError, match=NO_PHOTO):
        subject_analysis([])
