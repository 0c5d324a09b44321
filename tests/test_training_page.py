"""The Training tab through streamlit.testing: a case's photos and question, an exam hiding the
figures until submitted, and a submitted model plan scored as the CLI scores it."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from simulation.training import build_case, builtin_ids, builtin_scenario
from simulation.training.score import score_plan
from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")
CASE = "heavy_brow_corrugator"


def _training(case: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["main_tab"] = "Training"
    at.run()
    at.selectbox(key="tr_case").set_value(case).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shows_figures(at: AppTest) -> bool:
    return any("What this face shows" in m.value for m in at.markdown)


def test_a_case_shows_its_photos_question_and_figures() -> None:
    at = _training(CASE)
    scenario = builtin_scenario(CASE)
    assert len(at.get("image")) == len(scenario.expressions)
    assert any(scenario.question in m.value for m in at.markdown)
    assert _shows_figures(at)


def test_an_exam_hides_the_figures_until_submitted() -> None:
    at = _training("exam")
    assert at.session_state["tr_exam_id"] in builtin_ids()
    assert not _shows_figures(at)
    at.button(key="tr_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _shows_figures(at)  # shown with the score
    assert any(m.value.startswith("### Score") for m in at.markdown)


def test_the_model_plan_submitted_scores_as_the_scorer_says() -> None:
    case = build_case(builtin_scenario(CASE))
    plan, drivers = case.model_plan, list(case.scenario.answer.drivers)
    want = score_plan(case, plan, drivers).total
    at = _training(CASE)
    at.multiselect(key=f"tr_dx_{CASE}").set_value(drivers)
    at.selectbox(key=f"tr_product_{CASE}").set_value(plan.product)
    rows = pd.DataFrame(
        {"site": [i.site_id for i in plan.injections], "units": [i.units for i in plan.injections]}
    )
    at.session_state[f"tr_plan_{CASE}"] = {
        "edited_rows": {},
        "added_rows": rows.to_dict("records"),
        "deleted_rows": [],
    }
    at.run()
    at.button(key="tr_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value.startswith(f"### Score {want:.0f} / 100") for m in at.markdown), [
        m.value for m in at.markdown
    ]
    assert want >= 90
    assert len(at.get("image")) == len(case.scenario.expressions) + 2  # yours | the model's
