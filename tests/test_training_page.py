"""The Training tab through streamlit.testing: a case's photos and question, an exam hiding the
figures until submitted, and a submitted model plan scored as the CLI scores it."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from simulation.training import build_case, builtin_ids, builtin_scenario, scenario_to_json
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
    _submit_plan(at, CASE, plan, drivers)
    assert any(m.value.startswith(f"### Score {want:.0f} / 100") for m in at.markdown), [
        m.value for m in at.markdown
    ]
    assert want >= 90
    assert len(at.get("image")) == len(case.scenario.expressions) + 2  # yours | the model's


def _submit_plan(at: AppTest, key: str, plan, drivers) -> None:
    at.multiselect(key=f"tr_dx_{key}").set_value(drivers)
    at.selectbox(key=f"tr_product_{key}").set_value(plan.product)
    rows = pd.DataFrame(
        {"site": [i.site_id for i in plan.injections], "units": [i.units for i in plan.injections]}
    )
    at.session_state[f"tr_plan_{key}"] = {
        "edited_rows": {},
        "added_rows": rows.to_dict("records"),
        "deleted_rows": [],
    }
    at.run()
    at.button(key="tr_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]


def _history_table(at: AppTest) -> pd.DataFrame | None:
    return next((d.value for d in at.dataframe if "Mode" in d.value.columns), None)


def test_a_named_trainee_keeps_each_attempt_and_sees_their_history(tmp_path, monkeypatch) -> None:
    from simulation.records import open_store

    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    monkeypatch.setenv("SYMMETRY_STUDIO_DB", url)
    case = build_case(builtin_scenario(CASE))
    drivers = list(case.scenario.answer.drivers)
    want = score_plan(case, case.model_plan, drivers).total
    at = _training(CASE)
    at.button(key="tr_submit").click().run()  # no name: scored, nothing kept
    assert any("Give your name" in c.value for c in at.caption)
    assert _history_table(at) is None
    at.text_input(key="tr_trainee").set_value("  Ana ").run()
    _submit_plan(at, CASE, case.model_plan, drivers)
    assert any("Saved to Ana's scores" in s.value for s in at.success)
    at.selectbox(key="tr_case").set_value("exam").run()
    at.button(key="tr_submit").click().run()  # an empty exam answer
    assert not at.exception, [e.value for e in at.exception]
    table = _history_table(at)
    assert list(table["Mode"]) == ["exam", "practice"]  # newest first
    assert table["Score"].iloc[1] == round(want)
    assert table["Case"].iloc[1] == builtin_scenario(CASE).title
    store = open_store(url)
    attempts = store.trainee("Ana").attempts
    store.close()
    assert [a.mode for a in attempts] == ["practice", "exam"]
    assert attempts[0].case_id == CASE and attempts[0].total == pytest.approx(want, abs=0.05)
    assert attempts[1].case_id == at.session_state["tr_exam_id"]


def _fill_mirror_of_case_one(at: AppTest, points: str) -> None:
    """The form filled with the heavy-brow case on the other side (the left corrugator)."""
    at.text_input(key="edu_f_id").set_value("left_heavy_brow")
    at.text_input(key="edu_f_title").set_value("A heavy left brow")
    at.selectbox(key="edu_f_tone_muscle").set_value("corrugator_supercilii_left")
    at.number_input(key="edu_f_tone").set_value(0.4)
    at.multiselect(key="edu_f_exprs").set_value(["frown"])
    at.text_area(key="edu_f_question").set_value(
        "Why is the left brow heavy, and what would you do?"
    )
    at.multiselect(key="edu_f_drivers").set_value(["corrugator_supercilii_left"])
    at.text_area(key="edu_f_points").set_value(points)
    at.run()


def test_an_educator_builds_previews_downloads_and_plays_a_case() -> None:
    from simulation.training import mirror_scenario

    at = _training(CASE)
    _fill_mirror_of_case_one(at, "Relax the stronger corrugator. | clinical-basis.md: mechanism")
    at.button(key="edu_preview").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    ready = json.loads(at.session_state["edu_ready"].scenario_json)
    mirrored = scenario_to_json(mirror_scenario(builtin_scenario(CASE)))
    assert ready["schema"] == "symmetry-studio/scenario/1"
    assert ready["condition"] == mirrored["condition"]  # the form writes the model's terms
    assert ready["base"] == {"face": "demo", "mirrored": False}
    assert ready["teaching_points"] == [
        {"text": "Relax the stronger corrugator.", "source": "clinical-basis.md: mechanism"}
    ]
    previews = [im for im in at.get("image") if "preview" in im.proto.imgs[0].caption]
    assert len(previews) == 2  # rest and frown
    assert at.get("download_button")
    at.button(key="edu_play").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["tr_case"] == "educator"
    assert any("left brow heavy" in m.value for m in at.markdown)
    # The built-in case's model plan, mirrored, answers the mirrored case as well.
    plan = build_case(builtin_scenario(CASE)).model_plan.mirrored()
    _submit_plan(at, "edu_left_heavy_brow", plan, ["corrugator_supercilii_left"])
    score = next(m.value for m in at.markdown if m.value.startswith("### Score"))
    assert int(score.split()[2]) >= 90, score


def test_an_educator_plays_a_scenario_file_and_an_upload_case_needs_its_photo() -> None:
    raw = json.loads(json.dumps(scenario_to_json(builtin_scenario("dao_corner_down"))))
    raw["id"], raw["title"] = "from_file", "A case from a file"
    at = _training(CASE)
    at.file_uploader(key="eduup_json").set_value(
        ("c.json", json.dumps(raw).encode(), "application/json")
    )
    at.run()
    at.button(key="edu_play_file").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["tr_case"] == "educator"
    assert any(raw["question"] in m.value for m in at.markdown)
    raw["base"]["face"] = "upload"
    at.file_uploader(key="eduup_json").set_value(
        ("c.json", json.dumps(raw).encode(), "application/json")
    )
    at.run()
    at.button(key="edu_play_file").click().run()
    assert not at.exception
    (err,) = [e.value for e in at.error]
    assert "base.face" in err and "photo" in err and "\n" not in err


def test_the_case_builder_reports_bad_input_in_one_line() -> None:
    at = _training(CASE)
    _fill_mirror_of_case_one(at, "A point with no source")
    at.button(key="edu_preview").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "teaching point 1: write it as 'text | source' (the source may be 'assumption')"
    ]
    at.text_area(key="edu_f_points").set_value("Fine. | assumption")
    at.selectbox(key="edu_f_tone_muscle").set_value("")
    at.run()
    at.button(key="edu_preview").click().run()  # a condition that imposes nothing
    (err,) = [e.value for e in at.error]
    assert "condition" in err and "\n" not in err
    at.selectbox(key="edu_f_tone_muscle").set_value("corrugator_supercilii_left")
    at.file_uploader(key="eduup_photo").set_value(("face.png", b"not a photo", "image/png"))
    at.run()
    at.button(key="edu_preview").click().run()
    assert not at.exception
    (err,) = [e.value for e in at.error]
    assert "face.png" in err or "photo" in err, err
    assert "\n" not in err and "edu_ready" not in at.session_state
