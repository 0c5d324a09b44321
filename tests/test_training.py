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


@pytest.mark.parametrize("case_id", builtin_ids())
def test_case_model_shows_imposed_asymmetry(case_id):
    """The case face's imposed difference is what the case claims: nonzero somewhere."""
    c = _case(case_id)
    imposed = {k: v for e in c.scenario.expressions for k, v in c.imposed(e).items()}
    assert max(abs(v) for v in imposed.values()) > 0.3 or not c.scenario.answer.toxin_case


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
