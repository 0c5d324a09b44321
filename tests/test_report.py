"""The consult report (PDF): its text holds the plan's units, the figures and the warnings as the
dashboard shows them; its pages render; its images carry no EXIF; a 40-injection plan with a
long note stays on the page; A4 and Letter; bad input is one line. Read with poppler's tools,
as any PDF reader would."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulation import atlas, cli
from simulation.metrics import METRIC_NAMES
from simulation.plan import parse_plan
from simulation.prediction import build_subject, predict
from simulation.report import (
    TIMELINE_DAYS,
    ReportDetails,
    consult_report,
    course_marks,
    report_views,
)
from simulation.tables import (
    followup_rows,
    plan_totals,
    predicted_symmetry_line,
    prediction_rows,
)
from tests.conftest import SAMPLE, analysed

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="poppler-utils is missing: `make test` installs it (as root: apt-get install "
    "poppler-utils)",
)

PLAN = {
    "product": "abo",
    "notes": "Prefers a natural look; review at two weeks.",
    "injections": [
        {"site": "frontalis_lateral_left", "units": 10},
        {"site": "glabella_procerus", "units": 10},
        {"muscle": "corrugator_supercilii_left", "units": 7.5},
        {"muscle": "corrugator_supercilii_right", "units": 8},
        {"point": {"landmark": 105, "offset_mm": [0, 12]}, "units": 4},
    ],
}
DETAILS = ReportDetails(patient="Ms K", clinician="Dr Adler", lot="C4521", date=dt.date(2026, 3, 2))


@pytest.fixture(scope="module")
def case():
    rest = analysed(str(SAMPLE))
    subject = build_subject(rest)
    plan = parse_plan(PLAN)
    at = predict(subject, plan, (14.0,))
    tl = predict(subject, plan, TIMELINE_DAYS, samples=100)
    return rest, subject, plan, at, tl, report_views(rest, at, tl, plan)


@pytest.fixture(scope="module")
def pdf(case, tmp_path_factory) -> Path:
    rest, _, plan, at, tl, views = case
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    path.write_bytes(consult_report(rest, plan, at, tl, 14.0, DETAILS, views))
    return path


def _text(path: Path) -> str:
    """The PDF's text with every run of whitespace one space (lines wrap where they wrap)."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"\s+", " ", out.stdout)


def _info(path: Path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout


def test_text_holds_units_figures_and_warnings_as_the_dashboard_shows_them(case, pdf) -> None:
    rest, _, plan, at, tl, _ = case
    text = _text(pdf)
    for field in ("Ms K", "Dr Adler", "C4521", "2026-03-02", "Dysport", "2.5 ml per 100 U"):
        assert field in text
    assert plan_totals(plan) in text  # the Plan tab's caption, word for word
    for k, inj in enumerate(plan.injections):
        assert f"{inj.units:g} U" in text
        assert f"{plan.units_ona()[k]:.1f}" in text
    assert atlas.site("glabella_procerus").depth in text
    rows = prediction_rows(rest.metrics, at)
    for r in rows:
        assert r["Predicted L−R (p10 to p90)"] in text
        assert r["Left"] in text and r["Right"] in text
    assert predicted_symmetry_line(rest.metrics, at)[:40] in " ".join(text.split())
    assert at.warnings, "the low frontalis point should be warned about"
    for w in at.warnings:
        assert w.message in text
    assert "prediction, not a promise" in text and "What the model cannot know" in text
    assert "patient's right" in text and "patient's left" in text
    # each chart names its onset, peak and wear-off days above the plot, from the timeline's median
    key = [n for n in METRIC_NAMES if n != "symmetry_index_mm"]
    moved = sorted(key, key=lambda n: -abs(at.metrics[0][n].diff.median - rest.metrics[n].diff))
    days = np.asarray(tl.days)
    for n in moved[:3]:
        med = np.array([m[n].diff.median for m in tl.metrics]) - rest.metrics[n].diff
        marks = course_marks(days, med)
        assert marks and " · ".join(f"{k} day {t:g}" for k, t in marks.items()) in text, n


def test_pages_render(pdf, tmp_path) -> None:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert 2 <= len(pages) <= 4
    for page in pages:
        lo, hi = Image.open(page).convert("L").getextrema()
        assert lo < 60 and hi > 240  # ink on paper, not a blank page


def _images(pdf: Path, out: Path) -> list[Path]:
    subprocess.run(["pdfimages", "-all", str(pdf), str(out / "img")], check=True)
    return sorted(out.glob("img-*"))


def test_images_and_metadata_carry_nothing_but_pixels(pdf, tmp_path) -> None:
    images = _images(pdf, tmp_path)
    assert len(images) >= 3  # dose map photo, before, predicted, 3D
    for img in images:
        data = img.read_bytes()
        assert b"Exif" not in data and b"ICC_PROFILE" not in data
        assert not Image.open(img).getexif()
    raw = pdf.read_bytes()
    info = _info(pdf)
    for secret in (SAMPLE.name, SAMPLE.stem, str(SAMPLE.parent), "Ms K"):
        assert secret not in info and secret.encode() not in raw


def test_without_photos_no_photo_pixels_reach_the_report(case, tmp_path) -> None:
    rest, _, plan, at, tl, _ = case
    views = report_views(rest, at, tl, plan, photos=False)
    path = tmp_path / "share.pdf"
    path.write_bytes(consult_report(rest, plan, at, tl, 14.0, DETAILS, views, photos=False))
    images = _images(path, tmp_path)
    assert len(images) == 1  # the untextured 3D face only
    im = Image.open(images[0]).convert("RGB")
    face = im.crop((im.width // 3, im.height // 3, 2 * im.width // 3, 2 * im.height // 3))
    r, g, b = (band.getextrema() for band in face.split())
    assert max(abs(r[1] - b[1]), abs(r[0] - b[0])) < 60  # grey shading, not skin tones
    assert "line drawing" in _text(path)


def _on_page(path: Path, margin: float) -> list[str]:
    """The words of the PDF that reach into a page's margin (or off the page)."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    bad = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S):
        w, h = float(page[1]), float(page[2])
        for m in re.finditer(
            r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)<',
            page[3],
        ):
            x0, y0, x1, y1 = map(float, m.groups()[:4])
            if x0 < margin or y0 < margin or x1 > w - margin or y1 > h - margin:
                bad.append(m[5])
    return bad


@pytest.mark.parametrize("paper,size", [("a4", "595.276 x 841.89"), ("letter", "612 x 792")])
def test_forty_injections_and_a_long_note_stay_on_the_page(case, tmp_path, paper, size) -> None:
    rest, subject, _, _, _, views = case
    sites = [s.id for s in atlas.sites() if s.routine][:40]
    injections = [{"site": sites[k % len(sites)], "units": 1 + k % 4} for k in range(40)]
    note = ("Long note: " + "the patient asked about the other side again; " * 40) + "x" * 300
    plan = parse_plan({"product": "ona", "notes": note, "injections": injections})
    at = predict(subject, plan, (14.0,), samples=50)
    tl = predict(subject, plan, (0.0, 14.0, 90.0, 180.0), samples=30)
    path = tmp_path / f"big-{paper}.pdf"
    path.write_bytes(consult_report(rest, plan, at, tl, 14.0, DETAILS, views, paper=paper))
    assert size in _info(path)
    assert _on_page(path, margin=20.0) == []
    text = _text(path)
    assert "the patient asked about the other side again" in text
    assert f" 40 {atlas.site(sites[39 % len(sites)]).label}" in text  # the table's last row made it


def test_followup_section_shows_predicted_against_observed(case, tmp_path) -> None:
    from simulation.calibration import follow_up, prediction_draws

    rest, subject, plan, at, tl, views = case
    fu = follow_up(prediction_draws(subject, plan), 14.0, rest.metrics)
    path = tmp_path / "fu.pdf"
    followup = (dt.date(2026, 3, 2), dt.date(2026, 3, 16), fu)
    path.write_bytes(consult_report(rest, plan, at, tl, 14.0, DETAILS, views, followup=followup))
    text = _text(path)
    assert "predicted against observed" in text and "treated 2026-03-02".lower() in text.lower()
    for r in followup_rows(fu):
        assert r["Predicted (p10 to p90)"] in text and r["Observed"] in text


def test_cli_writes_the_report_of_a_recorded_visit(tmp_path, capsys) -> None:
    from simulation.records import open_store
    from simulation.records.visits import save_visit

    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    store = open_store(db)
    try:
        store.add_patient("Ms K", photo_consent=True)
        vid = save_visit(
            store,
            "Ms K",
            dt.date(2026, 3, 2),
            [analysed(str(SAMPLE))],
            parse_plan(PLAN),
            lot="C4521",
        )
    finally:
        store.close()
    out = tmp_path / "visit.pdf"
    rc = cli.main(["report", "--visit", str(vid), "--db", db, "--out", str(out), "--no-photos"])
    assert rc == 0, capsys.readouterr().err
    text = _text(out)
    assert "Ms K" in text and "C4521" in text and "2026-03-02" in text


@pytest.mark.parametrize(
    "content,expected",
    [(None, "cannot read plan"), ("{bad", "plan is not valid JSON")],
)
def test_bad_plan_is_one_line(tmp_path, capsys, content, expected) -> None:
    plan = tmp_path / "plan.json"
    if content is not None:
        plan.write_text(content)
    rc = cli.main(["report", str(SAMPLE), "--plan", str(plan), "--out", str(tmp_path / "x.pdf")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and expected in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()


def test_unwritable_output_is_one_line(tmp_path, capsys) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"injections": [{"site": "glabella_procerus", "units": 4}]}')
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    rc = cli.main(
        ["report", str(SAMPLE), "--plan", str(plan), "--out", str(tmp_path / "no" / "x.pdf")]
    )
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "cannot write" in err and len(err.splitlines()) == 1


def test_every_chart_title_and_mark_line_fits_its_chart(case) -> None:
    """The three timeline charts sit side by side a third of the text width apart: whatever
    measurement is charted, its title and its onset/peak/wear-off line stay inside the chart
    (the eye opening's title once ran off the page)."""
    from reportlab.graphics.shapes import String
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from simulation.metrics import LABELS
    from simulation.report._chart import timeline_drawing
    from simulation.report._document import _fonts, unit

    _fonts()  # the report registers its shipped fonts before it draws
    rest, _, _, _, tl, _ = case
    width = 170.0  # about a third of A4's text width, as the report lays them out
    for n in METRIC_NAMES:
        if n == "symmetry_index_mm":
            continue
        d = timeline_drawing(LABELS[n], rest.metrics[n].diff, tl, n, width, 92, unit(n))
        for s in d.contents:
            if not isinstance(s, String):
                continue
            w = stringWidth(s.text, s.fontName, s.fontSize)
            x0 = {"start": s.x, "middle": s.x - w / 2, "end": s.x - w}[s.textAnchor]
            assert x0 >= -0.5 and x0 + w <= width + 0.5, (n, s.text, x0, w)
