"""Training mode: the scorer rewards the model's answer, punishes wrong and unsafe plans, is
mirror-symmetric; malformed scenarios and bad CLI input fail in one line."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import pytest

from simulation.errors import SymmetryStudioError
from simulation.plan import Injection, Plan, plan_to_json
from simulation.training import build_case, builtin_ids, builtin_scenario, parse_scenario
from simulation.training.scenario import mirror_scenario, scenario_to_json
from simulation.training.score import SAFETY_CAP, score_plan


@cache
def _case(case_id: str, mirrored: bool = False):
    s = builtin_scenario(case_id)
    return build_case(mirror_scenario(s) if mirrored else s)


@cache
def _model_score(case_id: str):
    c = _case(case_id)
    ans = c.scenario.answer
    return score_plan(c, c.model_plan, (*ans.drivers, *(() if ans.toxin_case else ("not_toxin",))))


def test_library_has_ten_cases():
    assert len(builtin_ids()) >= 10


@pytest.mark.parametrize("case_id", builtin_ids())
def test_model_plan_scores_high(case_id):
    r = _model_score(case_id)
    assert r.total >= 90, (case_id, [c.to_json() for c in r.components])
    assert not r.capped


TOXIN = "heavy_brow_corrugator"


def test_empty_plan_scores_low():
    c = _case(TOXIN)
    assert score_plan(c, Plan(), ()).total < 50


def test_wrong_side_scores_low():
    c = _case(TOXIN)
    wrong = c.model_plan.mirrored()
    r = score_plan(c, wrong, [d.replace("_right", "_left") for d in c.scenario.answer.drivers])
    assert r.total < 50
    assert r.total < _model_score(TOXIN).total - 40


def test_over_correction_is_capped():
    c = _case(TOXIN)
    big = replace(
        c.model_plan,
        injections=tuple(replace(i, units=i.units * 8) for i in c.model_plan.injections),
    )
    r = score_plan(c, big, c.scenario.answer.drivers)
    assert r.faults and r.total <= SAFETY_CAP


def test_danger_zone_is_capped():
    c = _case(TOXIN)
    low = Injection(units=0.5, landmark=296, offset_mm=(-2.0, 3.0))
    plan = replace(c.model_plan, injections=(*c.model_plan.injections, low))
    r = score_plan(c, plan, c.scenario.answer.drivers)
    assert any(f.code == "glabella_too_low" for f in r.faults), [f.code for f in r.faults]
    assert r.total <= SAFETY_CAP


def test_mirrored_case_mirrored_plan_same_score():
    c, m = _case(TOXIN), _case(TOXIN, True)
    a = score_plan(c, c.model_plan, c.scenario.answer.drivers)
    b = score_plan(m, c.model_plan.mirrored(), m.scenario.answer.drivers)
    assert abs(a.total - b.total) <= 3.0


_PHOTO_GAPS = {
    "masseter_bulk": "warped rest photo shows ~0.5 of 4.8 mm lower-face width: the landmarker "
    "does not follow a jaw-contour warp (not fixed in time)",
    "skeletal_volume": "lower-face width 0.7 of 3.0 mm imposed shows on the photo (as masseter)",
    "lateral_brow_frontalis": "overall brow height measures -1.9 mm where +0.6 is imposed",
    "lid_ptosis": "MRD1 measures +0.2 mm where -1.0 is imposed: the lid warp is not picked up",
    "weak_side_nerve": "commissure differences measure under half of the imposed 0.7 mm",
    "mixed_brow_and_lid": "MRD1 and lateral brow measure under half of the imposed values",
}


def _photo_param(case_id: str):
    gap = _PHOTO_GAPS.get(case_id)
    marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
    return pytest.param(case_id, marks=marks)


@pytest.mark.parametrize("case_id", [_photo_param(i) for i in builtin_ids()])
def test_case_photo_shows_imposed_asymmetry(case_id):
    """The rest photo, analysed by the real landmarker, shows each imposed left-right difference
    over 0.5 mm (or deg) with its sign and at least half its size."""
    from simulation.analysis import analyze_image
    from simulation.ingest import encode_png, load_image

    c = _case(case_id)
    a = analyze_image(load_image(encode_png(c.photo("rest")), name=case_id))
    for k, want in c.imposed("rest").items():
        if abs(want) > 0.5:
            got = float(a.metrics[k].diff)
            assert got * want > 0 and abs(got) >= 0.5 * abs(want), (k, want, got)


# The measure each shown expression moves most, and how: the case's expression photo, analysed
# by the real landmarker, must move it (mean of both sides, from the rest photo) with the model's
# sign and at least half its size.
_EXPRESSION_MEASURE = {
    "brows_up": "brow_height_mm",
    "smile": "commissure_height_mm",
    "eyes_closed": "palpebral_fissure_mm",
    "frown": "brow_height_medial_mm",
    "clench": "lower_face_half_width_mm",
}
_EXPRESSION_GAPS = {  # measured on the demo face (its glasses' rims sit on the brows)
    ("lateral_brow_frontalis", "brows_up"): "brow height -0.6 mm on the photo, model +6.3 mm",
    ("overtreated_frontalis", "brows_up"): "brow height +0.3 mm on the photo, model +3.2 mm",
    ("mixed_brow_and_lid", "brows_up"): "brow height -0.1 mm on the photo, model +6.3 mm",
    ("masseter_bulk", "clench"): "jaw width -2.7 mm on the photo, model +1.4 mm (contour warp)",
    ("lid_ptosis", "eyes_closed"): "eye opening -0.7 mm on the photo, model -3.0 mm (lid warp)",
}


def _expression_params():
    out = []
    for case_id in builtin_ids():
        for e in builtin_scenario(case_id).expressions:
            if e == "rest":
                continue
            gap = _EXPRESSION_GAPS.get((case_id, e))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            out.append(pytest.param(case_id, e, marks=marks, id=f"{case_id}-{e}"))
    return out


@pytest.mark.parametrize(("case_id", "expression"), _expression_params())
def test_case_expression_photo_shows_the_movement(case_id, expression):
    """A case's expression photo shows the movement the trainee is asked to read: the analysed
    photo moves the expression's measure with the model's sign and at least half its size."""
    from simulation.analysis import analyze_image
    from simulation.ingest import encode_png, load_image
    from simulation.response import point_metrics

    c = _case(case_id)
    n = _EXPRESSION_MEASURE[expression]
    rest = analyze_image(load_image(encode_png(c.photo("rest")), name="rest")).metrics[n]
    moved = analyze_image(load_image(encode_png(c.photo(expression)), name=expression)).metrics[n]
    got = 0.5 * ((moved.left - rest.left) + (moved.right - rest.right))
    delta = c.expression_delta(expression)
    model, still = point_metrics(c.subject, delta), point_metrics(c.subject, 0.0 * delta)
    want = 0.5 * sum(model[s][n] - still[s][n] for s in ("left", "right"))
    assert abs(want) > 0.5, (n, want)  # the expression moves its measure in the model
    assert got * want > 0 and abs(got) >= 0.5 * abs(want), (n, want, got)


def test_malformed_scenario_names_field():
    raw = scenario_to_json(builtin_scenario(TOXIN))
    raw["condition"] = {"tone": {"no_such_muscle_left": 0.4}}
    with pytest.raises(SymmetryStudioError) as err:
        parse_scenario(raw)
    msg = str(err.value)
    assert "\n" not in msg and "condition" in msg
    raw = scenario_to_json(builtin_scenario(TOXIN))
    del raw["question"]
    with pytest.raises(SymmetryStudioError) as err:
        parse_scenario(raw)
    assert "question" in str(err.value) and "\n" not in str(err.value)


def test_cli_list_case_score(tmp_path, capsys):
    from simulation.cli import main

    assert main(["train", "list", "--json"]) == 0
    ids = [r["id"] for r in json.loads(capsys.readouterr().out)["cases"]]
    assert TOXIN in ids
    assert main(["train", "case", TOXIN, "--out", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["photos"] and all((tmp_path / p.split("/")[-1]).exists() for p in out["photos"])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_to_json(_case(TOXIN).model_plan)))
    args = ["train", "score", TOXIN, str(plan), "--json", "--diagnosis"]
    assert main([*args, *_case(TOXIN).scenario.answer.drivers]) == 0
    assert json.loads(capsys.readouterr().out)["total"] >= 90


def test_cli_bad_input_one_line(tmp_path, capsys):
    from simulation.cli import main

    rc = main(["train", "case", "no_such_case", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and err and "\n" not in err and "no_such_case" in err


def test_details_name_muscles_by_label_and_no_negative_zero():
    import math

    r = _model_score(TOXIN)
    parts = {c.name: c for c in r.components}
    assert parts["diagnosis"].detail == "right: Corrugator supercilii (right)"
    safety = parts["safety"]
    assert safety.points == 0.0 and math.copysign(1.0, safety.points) == 1.0
    assert math.copysign(1.0, safety.to_json()["points"]) == 1.0
    c = _case(TOXIN)
    wrong = score_plan(c, Plan(), ["corrugator_supercilii_left", "procerus"])
    detail = next(p.detail for p in wrong.components if p.name == "diagnosis")
    assert detail == (
        "missed: Corrugator supercilii (right); "
        "not a driver here: Corrugator supercilii (left), Procerus"
    )


def test_cli_scores_kept_per_trainee(tmp_path, capsys, monkeypatch):
    from simulation.cli import main

    monkeypatch.setenv("SYMMETRY_STUDIO_DB", f"sqlite:///{tmp_path / 'r.sqlite3'}")
    c = _case(TOXIN)
    plan, empty = tmp_path / "plan.json", tmp_path / "empty.json"
    plan.write_text(json.dumps(plan_to_json(c.model_plan)))
    empty.write_text(json.dumps({"product": "ona", "injections": []}))
    drivers = list(c.scenario.answer.drivers)
    assert (
        main(["train", "score", TOXIN, str(plan), "--trainee", "Ana", "--diagnosis", *drivers]) == 0
    )
    text = capsys.readouterr().out
    assert "saved as attempt" in text and "-0.0" not in text and "Corrugator supercilii" in text
    assert main(["train", "score", TOXIN, str(empty), "--trainee", "Ana", "--exam", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["saved"]["trainee"] == "Ana"
    assert main(["train", "history", "Ana", "--json"]) == 0
    hist = json.loads(capsys.readouterr().out)
    got = [(a["case"], a["mode"]) for a in hist["attempts"]]
    assert got == [(TOXIN, "practice"), (TOXIN, "exam")]
    assert hist["attempts"][0]["total"] >= 90 and hist["attempts"][1]["total"] == second["total"]
    assert hist["attempts"][0]["diagnosis"] == drivers
    assert main(["train", "history", "Ana"]) == 0
    assert "2 attempt(s)" in capsys.readouterr().out
    assert main(["train", "trainees", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["trainees"][0]["attempts"] == 2
    assert main(["train", "forget", "Ana"]) == 0
    capsys.readouterr()
    assert main(["train", "history", "Ana"]) == 2
    err = capsys.readouterr().err
    assert "no trainee 'Ana'" in err and err.count("\n") == 1


def test_cli_plays_an_upload_scenario_with_its_photo(tmp_path, capsys):
    from simulation.cli import main
    from tests.conftest import SAMPLE

    raw = scenario_to_json(builtin_scenario(TOXIN))
    raw["id"], raw["base"] = "on_my_photo", {"face": "upload", "mirrored": False}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(raw))
    assert main(["train", "case", str(path), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "mine.json" in err and "base.face" in err and err.count("\n") == 1
    argv = ["train", "case", str(path), "--photo", str(SAMPLE), "--out", str(tmp_path / "b")]
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [p.split("/")[-1] for p in out["photos"]] == [
        "on_my_photo_rest.png",
        "on_my_photo_frown.png",
    ]
