"""The consult report's download on the Prediction page: the header fields a chart needs, the
paper, with or without the photo, and the PDF built on click (the CLI's `report` does the same)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from simulation.analysis import Analysis
from simulation.plan import Plan
from simulation.prediction import Prediction
from simulation.report import (
    PAPERS,
    TIMELINE_DAYS,
    ReportDetails,
    consult_report,
    report_views,
)

from .. import cache, state

__all__ = ["followup_report_download", "followup_report_pdf", "report_download"]


def _pdf(
    rest: Analysis,
    plan: Plan,
    at: Prediction,
    tl: Prediction,
    day: float,
    expr: str,
    details: ReportDetails,
    photos: bool,
    paper: str,
    followup: tuple | None = None,
) -> bytes:
    """The report's PDF bytes (about 0.2 s with the photo, drawn only when the button is hit)."""
    views = report_views(rest, at, tl, plan, photos=photos)
    return consult_report(
        rest,
        plan,
        at,
        tl,
        day,
        details,
        views,
        photos=photos,
        paper=paper,
        expression=expr,
        followup=followup,
    )


def _paper(where: Any, key: str) -> str:
    """The A4 / US Letter choice of a report's download."""
    return where.radio(
        "Paper",
        list(PAPERS),
        format_func={"a4": "A4", "letter": "US Letter"}.get,
        horizontal=True,
        key=key,
    )


def report_download(
    rest: Analysis, tl: Prediction, at: Prediction, plan: Plan, name: str, day: float, expr: str
) -> None:
    """Header fields, paper and photo choice, and the "Download consult report" button."""
    mine = state.patient_response()
    st.markdown("#### Consult report")
    st.caption(
        "One PDF for the record: the dose map, the dose table, before | predicted | 3D, the "
        "measurements with their ranges, the time courses, the warnings and what the model "
        "cannot know. Made on this computer; embedded images carry no EXIF."
    )
    c1, c2, c3 = st.columns(3)
    patient = c1.text_input("Patient (name or pseudonym)", mine[0] if mine else "", key="rp_name")
    clinician = c2.text_input("Clinician", key="rp_clinician")
    lot = c3.text_input("Lot number", key="rp_lot")
    c4, c5 = st.columns(2)
    paper = _paper(c4, "rp_paper")
    photos = not c5.toggle(
        "Without photos (dose map on a line drawing, for sharing)", key="rp_no_photos"
    )
    details = ReportDetails(
        patient=patient.strip(),
        clinician=clinician.strip(),
        lot=lot.strip(),
        date=dt.date.today(),
        plan_name=name,
    )
    st.download_button(
        "Download consult report (PDF)",
        lambda: _pdf(rest, plan, at, tl, day, expr, details, photos, paper),
        file_name=f"consult_report_day{day:g}{'' if photos else '_no_photos'}.pdf",
        mime="application/pdf",
        icon=":material/description:",
        key="dl_report",
    )


def followup_report_pdf(
    rest: Analysis,
    plan: Plan,
    followup: tuple,
    details: ReportDetails,
    photos: bool,
    paper: str = "a4",
) -> bytes:
    """The follow-up report's PDF: the plan predicted for the follow-up's day and over the
    timeline on the treatment photo, with the predicted-against-observed section."""
    day = float(followup[2].day)
    at = cache.predict(rest, plan, (day,), "rest", 200, None)
    tl = cache.predict(rest, plan, TIMELINE_DAYS, "rest", 100, None)
    return _pdf(rest, plan, at, tl, day, "rest", details, photos, paper, followup)


def followup_report_download(
    rest: Analysis, plan: Plan, followup: tuple, patient: str, lot: str, treated: dt.date
) -> None:
    """The follow-up visit's report: the treatment's plan on its rest photo, predicted for the
    follow-up's day, with the predicted-against-observed section (`symmetry-studio report
    --visit ID` makes the same PDF)."""
    day = float(followup[2].day)
    st.markdown("**Follow-up report**")
    st.caption(
        f"One PDF of this follow-up: the dose map, the prediction for day {day:g} and the table "
        "above, predicted against observed, with the photos' warnings."
    )
    c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
    clinician = c1.text_input("Clinician", key="pt_rp_clinician")
    paper = _paper(c2, "pt_rp_paper")
    photos = not c3.toggle("Without photos (for sharing)", key="pt_rp_no_photos")
    details = ReportDetails(patient=patient, clinician=clinician.strip(), lot=lot, date=treated)

    st.download_button(
        "Download follow-up report (PDF)",
        lambda: followup_report_pdf(rest, plan, followup, details, photos, paper),
        file_name=f"followup_report_day{day:g}{'' if photos else '_no_photos'}.pdf",
        mime="application/pdf",
        icon=":material/description:",
        key="pt_dl_report",
    )
