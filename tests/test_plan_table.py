"""The plan editor's rows and the plan/1 plan: one conversion each way (no Streamlit)."""

from __future__ import annotations

import math

from simulation.errors import Notice
from simulation.plan import parse_plan, plan_to_json
from simulation.plan_table import (
    is_point_key,
    plan_from_rows,
    point_key,
    point_of_key,
    row_complete,
    row_warnings,
    rows_from_plan,
)


def test_a_point_key_round_trips_to_the_plan_point() -> None:
    key = point_key(105, 0.0, 12.0)
    assert key == "point:105:+0.0:+12.0" and is_point_key(key)
    assert point_of_key(key) == {"landmark": 105, "offset_mm": [0.0, 12.0]}
    assert point_of_key("frontalis_lateral_right") is None and not is_point_key(None)


def test_rows_to_plan_and_back_keep_every_injection() -> None:
    rows = [
        {"site": "corrugator_medial_right", "units": 1.0, "day": 0.0},
        {"site": point_key(105, -2.0, 12.0), "units": 2.5, "day": 14.0},
    ]
    read = plan_from_rows("onabotulinumtoxinA", 2.5, rows, "a label", "")
    assert read.error is None and read.skipped == ()
    plan = read.plan
    assert plan is not None and plan.label == "a label" and plan.notes == ""
    assert plan_to_json(plan)["injections"][1] == {
        "units": 2.5,
        "day": 14.0,
        "point": {"landmark": 105, "offset_mm": [-2.0, 12.0]},
    }
    assert rows_from_plan(plan) == rows
    assert rows_from_plan(parse_plan(plan_to_json(plan))) == rows


def test_incomplete_rows_are_left_out_with_a_note_and_a_missing_day_is_day_0() -> None:
    rows = [
        {"site": None, "units": 2.0, "day": 0.0},
        {"site": "corrugator_medial_right", "units": math.nan, "day": 0.0},
        {"site": "corrugator_medial_right", "units": 2.0, "day": math.nan},
    ]
    assert [row_complete(r) for r in rows] == [False, False, True]
    read = plan_from_rows("onabotulinumtoxinA", 2.5, rows)
    assert read.skipped == (
        "row 1 has no site or no units: left out until completed",
        "row 2 has no site or no units: left out until completed",
    )
    assert read.plan is not None and [i.day for i in read.plan.injections] == [0.0]


def test_an_invalid_plan_gives_its_one_line_message() -> None:
    read = plan_from_rows("onabotulinumtoxinA", 2.5, [{"site": "nowhere", "units": 2.0}])
    assert read.plan is None and read.error is not None and "injection 1" in read.error
    assert "\n" not in read.error


def test_a_warning_stands_in_the_row_of_its_injection() -> None:
    rows = [
        {"site": None, "units": 1.0, "day": 0.0},  # incomplete: not plan injection 0
        {"site": "corrugator_medial_right", "units": 12.0, "day": 0.0},
        {"site": "depressor_supercilii_right", "units": 2.0, "day": 0.0},
    ]
    warnings = [Notice("unusual_dose", "…", injection=0), Notice("plan_wide", "…")]
    assert row_warnings(rows, warnings) == ["", "unusual dose", ""]
