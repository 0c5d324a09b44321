"""The record commands end to end on the demo face: a patient recorded, treated, photographed
again (the predicted photo) and compared; consent, erasure and bad input as the user sees them."""

from __future__ import annotations

import datetime as dt
import json
import struct

import numpy as np
import pytest

from simulation.cli import main
from simulation.ingest import encode_png
from simulation.records import open_store
from simulation.records.store import PhotoInput
from tests.conftest import SAMPLE, analysed
from tests.test_views import turned_analysis

PLAN = {"product": "ona", "injections": [{"site": "frontalis_lateral_left", "units": 1}]}


def _chunks(png: bytes) -> list[bytes]:
    out, pos = [], 8
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos : pos + 4])
        out.append(png[pos + 4 : pos + 8])
        pos += 12 + n
    return out


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    monkeypatch.setenv("SYMMETRY_STUDIO_DB", url)
    return url


def _json(capsys, argv: list[str]) -> dict:
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_record_treat_photograph_again_and_compare(db, tmp_path, capsys) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    predicted = tmp_path / "day14.png"
    assert main(["simulate", str(SAMPLE), "--plan", str(plan), "--days", "14",
                 "--photo-out", str(predicted)]) == 0  # fmt: skip
    assert set(_chunks(predicted.read_bytes())) == {b"IHDR", b"IDAT", b"IEND"}  # no metadata
    p = _json(capsys, ["patient", "add", "Grace", "--photo-consent"])
    assert p["schema"] == "symmetry-studio/patient/1"
    v = _json(
        capsys,
        ["visit", "add", "Grace", "--date", "2026-01-05", str(SAMPLE), "--plan", str(plan),
         "--lot", "C1234"],
    )  # fmt: skip
    assert v["schema"] == "symmetry-studio/visit/1" and v["lot"] == "C1234"
    assert v["photos"][0]["photo_stored"] and v["product"] == "onabotulinumtoxinA"
    _json(capsys, ["visit", "add", "Grace", "--date", "2026-01-19", str(predicted)])
    fu = _json(capsys, ["followup", "Grace"])
    assert fu["schema"] == "symmetry-studio/followup/1" and fu["day"] == 14
    m = fu["metrics"]["brow_height_lateral_mm"]
    assert set(m) >= {"before", "predicted", "observed", "inside_band", "updated"}
    assert set(m["predicted"]) == {"median", "p10", "p90"} and set(m["observed"]) == {"value", "sd"}
    assert m["inside_band"] and m["predicted"]["median"] < m["before"] - 0.5
    assert "day 14" in fu["calibration"]["note"]
    # what each photo said about itself comes with the follow-up, dated, word for word
    said = {
        f"{k} photo of {d}: {w['message']}"
        for k, d, photo in (
            ("treatment", "2026-01-05", SAMPLE),
            ("follow-up", "2026-01-19", predicted),
        )
        for w in _json(capsys, ["analyze", str(photo)])["warnings"]
    }
    assert said and set(fu["photo_caveats"]) == said
    # the next session is predicted with Grace's own response, and says so
    again = _json(capsys, ["simulate", str(SAMPLE), "--plan", str(plan), "--days", "14",
                           "--patient", "Grace"])  # fmt: skip
    assert again["calibration"]["note"].startswith("based on this patient's response at day 14")
    diff = again["timeline"][0]["metrics"]["brow_height_lateral_mm"]["diff"]
    assert diff["median"] == pytest.approx(m["updated"]["median"], abs=0.2)
    # and so is the suggestion (its search, its ranges and the schedule for it)
    sug = _json(capsys, ["suggest", str(SAMPLE), "--patient", "Grace"])
    assert sug["calibration"] == {"patient": "Grace", "note": again["calibration"]["note"]}
    shown = _json(capsys, ["patient", "show", "Grace"])
    assert [x["date"] for x in shown["visits"]] == ["2026-01-05", "2026-01-19"]


def test_without_consent_only_measurements_are_kept(db, capsys) -> None:
    _json(capsys, ["patient", "add", "Private"])
    v = _json(capsys, ["visit", "add", "Private", "--date", "2026-01-05", str(SAMPLE)])
    assert not v["photos"][0]["photo_stored"]
    assert "brow_height_mm" in v["photos"][0]["analysis"]["metrics"]
    assert len(v["photos"][0]["analysis"]["landmarks_px"]) == 478


def test_export_import_and_delete(db, tmp_path, capsys) -> None:
    _json(capsys, ["patient", "add", "Moving", "--birth-year", "1980"])
    out = tmp_path / "backup.json"
    assert main(["records", "export", str(out)]) == 0
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert main(["records", "import", str(out), "--db", other]) == 0
    assert [p["name"] for p in _json(capsys, ["patient", "list", "--db", other])["patients"]] == [
        "Moving"
    ]
    assert main(["patient", "delete", "Moving"]) == 0
    assert _json(capsys, ["patient", "list"])["patients"] == []


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["patient", "show", "nobody"], "no patient 'nobody'"),
        (["followup", "nobody"], "no patient"),
        (["visit", "add", "x", "--date", "someday", "p.jpg"], "is not a date"),
        (["patient", "list", "--db", "postgresql://u@/d?host=/no-such-dir"], "cannot use"),
        (["records", "import", str(SAMPLE)], "not JSON"),
    ],
)
def test_bad_input_is_one_line(db, capsys, argv, words) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_patient_without_follow_up_cannot_calibrate_a_prediction(db, tmp_path, capsys) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    _json(capsys, ["patient", "add", "Ann"])
    assert main(["simulate", str(SAMPLE), "--plan", str(plan), "--patient", "Ann"]) == 2
    err = capsys.readouterr().err
    assert "has no treatment visit" in err and err.count("\n") == 1


def test_patient_show_lists_each_photos_view_and_the_lighting_check(db, tmp_path, capsys) -> None:
    """A front photo and a 45° right copy (the demo's mesh turned) on 2026-01-05, a darker copy
    of the demo photo on 2026-01-19: each photo's view, and the exposure warning naming both."""
    a = analysed(str(SAMPLE))
    rgb = np.asarray(a.image.rgb)
    _json(capsys, ["patient", "add", "Ada", "--photo-consent"])
    store = open_store(db)
    png = encode_png(rgb)
    turned = turned_analysis(a, 45)
    store.add_visit(
        "Ada",
        dt.date(2026, 1, 5),
        [PhotoInput("rest", a.to_json(landmarks=True), png), PhotoInput("rest", turned, png)],
    )
    store.close()
    dark = tmp_path / "darker.png"
    dark.write_bytes(encode_png((rgb.astype(np.float64) * 0.6).astype(np.uint8)))
    _json(capsys, ["visit", "add", "Ada", "--date", "2026-01-19", str(dark)])
    capsys.readouterr()
    assert main(["patient", "show", "Ada"]) == 0
    text = capsys.readouterr().out
    assert "2026-01-05  no treatment              rest (front), rest (45° right)" in text
    (line,) = [x for x in text.splitlines() if "taken differently" in x]
    assert line.startswith("  warning: The front photos of 2026-01-05 and 2026-01-19")
    assert "stops darker (exposure)" in line
    shown = _json(capsys, ["patient", "show", "Ada"])
    views = [[p["view"]["view"] for p in v["photos"]] for v in shown["visits"]]
    assert views == [["front", "right_45"], ["front"]]
    assert shown["visits"][0]["photos"][1]["view"]["yaw_deg"] == pytest.approx(
        a.pose.yaw + 45, abs=1.0
    )
    (check,) = shown["view_checks"]
    assert check["view"] == "front" and check["checked"]
    assert check["differs"] == ["exposure_differs"] and "2026-01-19" in check["warning"]


def test_patient_show_says_the_check_needs_the_photos_without_consent(db, capsys) -> None:
    _json(capsys, ["patient", "add", "Private"])
    for day in ("2026-01-05", "2026-01-19"):
        _json(capsys, ["visit", "add", "Private", "--date", day, str(SAMPLE)])
    capsys.readouterr()
    assert main(["patient", "show", "Private"]) == 0
    text = capsys.readouterr().out
    assert (
        "note: Lighting and distance of the front photos of 2026-01-05 and 2026-01-19 not " in text
    )
    assert "needs both photos" in text
    (check,) = _json(capsys, ["patient", "show", "Private"])["view_checks"]
    assert check["checked"] is False and check["differs"] == []
