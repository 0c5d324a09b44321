"""The Patients tab through streamlit.testing: a recorded patient's visits, figures over time and
follow-up show; saving this visit stores the consult's photo under the patient."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.pages.report_download import followup_report_pdf
from simulation.analysis import analyze_image
from simulation.cli import main
from simulation.ingest import encode_png, load_image
from simulation.plan import parse_plan
from simulation.records import open_store
from simulation.records.store import PhotoInput
from simulation.records.visits import followup_caveats, followup_for_patient
from simulation.report import ReportDetails
from simulation.tables import followup_rows
from tests.conftest import ROOT, SAMPLE, analysed
from tests.test_views import turned_analysis

APP = str(ROOT / "streamlit_app.py")
PLAN = {"product": "ona", "injections": [{"site": "frontalis_lateral_left", "units": 1}]}


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    monkeypatch.setenv("SYMMETRY_STUDIO_DB", url)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    day14 = tmp_path / "day14.png"
    assert main(["simulate", str(SAMPLE), "--plan", str(plan), "--photo-out", str(day14)]) == 0
    assert main(["patient", "add", "Grace", "--photo-consent"]) == 0
    assert (
        main(["visit", "add", "Grace", "--date", "2026-01-05", str(SAMPLE), "--plan", str(plan)])
        == 0
    )
    assert main(["visit", "add", "Grace", "--date", "2026-01-19", str(day14)]) == 0
    return url


def test_patients_tab_shows_visits_and_followup_and_saves(db) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["main_tab"] = "Patients"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    md = " ".join(m.value for m in at.markdown)
    assert "2026-01-05" in md and "Follow-up at day 14" in md
    # both visits' photos (consent recorded), then before / predicted / observed at day 14
    assert len(at.get("image")) == 5
    captions = [c for im in at.get("image") for c in im.proto.imgs[0].caption.split("\n") if c]
    assert captions == ["Before (2026-01-05)", "Predicted for day 14", "Observed (2026-01-19)"]
    assert any("aligned on the pupils" in c.value for c in at.caption)
    tables = {tuple(d.value.columns)[:2]: d.value for d in at.dataframe}
    follow = next(v for k, v in tables.items() if k == ("Measurement", "Before"))
    assert "as predicted" in set(follow["Verdict"])
    caution = [w.value for w in at.warning if "Read this follow-up with care" in w.value]
    assert (
        caution and "photo of 2026-01-05: iris radius only" in caution[0]
    )  # the demo's small iris
    assert [d.label for d in at.get("download_button")] == ["Download follow-up report (PDF)"]
    at.button(key="pt_save").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    visits = open_store(db).patient("Grace").visits
    assert [v.date for v in visits][-1] == dt.date.today() and visits[-1].photos


def test_the_next_prediction_can_use_the_patients_response(db) -> None:
    """The follow-up's button makes the consult's predictions the patient's (the sidebar says
    so, with the follow-up day); the sidebar's button returns to the model's typical patient."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["main_tab"] = "Patients"
    at.run()
    at.button(key="pt_response_on").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [i.value for i in at.sidebar.info]
    assert any("Grace" in n and "response at day 14" in n for n in notes), notes
    name, response = at.session_state["patient_response"]
    assert name == "Grace" and response.draws.n == 200
    for tab in ("4 · Prediction", "6 · 12 months"):  # the predictions hash the response
        at.session_state["main_tab"] = tab
        at.run()
        assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    at.sidebar.button(key="pt_response_off").click()
    at.run()
    assert not at.sidebar.info and at.session_state["patient_response"] is None


def test_the_prediction_tab_saves_the_visit_with_the_plan_as_injected(db) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["main_tab"] = "4 · Prediction"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.get("selectbox") or all(s.key != "pv_patient" for s in at.selectbox)
    at.toggle(key="pv_open").set_value(True).run()
    assert at.selectbox(key="pv_patient").value is not None
    at.checkbox(key="pv_treated").check()
    at.text_input(key="pv_lot").input("L77")
    at.run()
    at.button(key="pv_save").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("saved for Grace" in s.value for s in at.success)
    visit = open_store(db).patient("Grace").visits[-1]
    assert visit.date == dt.date.today() and visit.lot == "L77" and visit.plan_json
    assert json.loads(visit.plan_json)["injections"]  # the active (demo) plan, as injected


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext")
def test_the_followup_report_holds_predicted_against_observed(db) -> None:
    """What the Patients tab's "Download follow-up report" builds: the treatment's plan on its
    stored photo, with the follow-up section's verdicts as the tab's table shows them."""
    patient = open_store(db).patient("Grace")
    treated, seen, fu = followup_for_patient(patient)
    photo = next(p for p in treated.photos if p.expression == "rest").photo_png
    rest = analyze_image(load_image(photo, name="treatment photo"))
    plan = parse_plan(json.loads(treated.plan_json))
    details = ReportDetails(patient="Grace", date=treated.date)
    caveats = followup_caveats(treated, seen)
    followup = (treated.date, seen.date, fu, caveats)
    pdf = followup_report_pdf(rest, plan, followup, details, photos=False, paper="letter")
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.decode()
    assert "612 x 792" in info  # US Letter, as chosen
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Follow-up at day 14: predicted against observed" in text
    verdicts = {r["Verdict"] for r in followup_rows(fu)}
    assert verdicts and all(v in text for v in verdicts)
    assert "Grace" in text and "1 U" in text
    flat = " ".join(text.split())
    assert caveats and all(" ".join(c.split()) in flat for c in caveats)  # as the tab warns


def test_a_read_only_database_says_so_in_one_line_and_keeps_the_session(db, monkeypatch) -> None:
    """Adding a patient to a database that cannot be written shows one line, not a traceback,
    and the session's plan is still there afterwards."""
    path = db.removeprefix("sqlite:///")
    monkeypatch.setenv("SYMMETRY_STUDIO_DB", f"sqlite:///file:{path}?mode=ro&uri=true")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["main_tab"] = "Patients"
    at.run()
    plans_before = dict(at.session_state["plans"])
    at.text_input(key="pt_name").input("Newcomer")
    next(b for b in at.button if b.label == "Add patient").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "read" in errors[0] and "\n" not in errors[0], errors
    assert dict(at.session_state["plans"]) == plans_before
    assert [p.name for p in open_store(db).patients()] == ["Grace"]


@pytest.fixture
def views_db(tmp_path, monkeypatch):
    """Ada: a front photo and a 45° right copy (the demo's mesh turned) on 2026-01-05, a darker
    copy of the demo photo on 2026-01-19 (the same face, less light)."""
    url = f"sqlite:///{tmp_path / 'v.sqlite3'}"
    monkeypatch.setenv("SYMMETRY_STUDIO_DB", url)
    a = analysed(str(SAMPLE))
    rgb = np.asarray(a.image.rgb)
    store = open_store(url)
    store.add_patient("Ada", None, "", True)
    png = encode_png(rgb)
    store.add_visit(
        "Ada",
        dt.date(2026, 1, 5),
        [
            PhotoInput("rest", a.to_json(landmarks=True), png),
            PhotoInput("rest", turned_analysis(a, 45), png),
        ],
    )
    store.close()
    dark = tmp_path / "darker.png"
    dark.write_bytes(encode_png((rgb.astype(np.float64) * 0.6).astype(np.uint8)))
    assert main(["visit", "add", "Ada", "--date", "2026-01-19", str(dark)]) == 0
    return url


def test_the_patients_tab_shows_each_visits_views_and_the_lighting_check(views_db) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["main_tab"] = "Patients"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value == "**Views per visit**" for m in at.markdown)
    captions = [c.value for c in at.caption]
    assert "Views: rest: front · rest: 45° right" in captions
    assert "Views: rest: front" in captions
    shown = [c for im in at.get("image") for c in im.proto.imgs[0].caption.split("\n") if c]
    assert any(c.startswith("45° right · yaw +4") for c in shown), shown
    assert sum(c.startswith("front · yaw") for c in shown) == 2
    (warning,) = [w.value for w in at.warning if "taken differently" in w.value]
    assert "front photos of 2026-01-05 and 2026-01-19" in warning
    assert "stops darker (exposure)" in warning


def test_without_consent_the_tab_says_the_lighting_check_needs_the_photos(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMMETRY_STUDIO_DB", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    assert main(["patient", "add", "Private"]) == 0
    for day in ("2026-01-05", "2026-01-19", "2026-02-02"):
        assert main(["visit", "add", "Private", "--date", day, str(SAMPLE)]) == 0
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["main_tab"] = "Patients"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (line,) = [c.value for c in at.caption if "not checked" in c.value]
    assert "front photos of 2026-01-05 and 2026-01-19" in line and "needs both photos" in line
    assert line.endswith("(and 1 more pair of visits)")
    assert not any("taken differently" in w.value for w in at.warning)
    assert not any(m.value == "**Views per visit**" for m in at.markdown)  # front views only
