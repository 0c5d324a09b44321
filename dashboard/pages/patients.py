"""Patients page: find or add a patient, their visits side by side with the symmetry figures over
time, the follow-up against the prediction, and "Save this visit" for the consult's photos and
plan. The records live in the database `simulation.records` opens (nothing else is written)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from simulation.align import (
    ALIGNED_SIZE,
    StoredFace,
    aligned_face,
    aligned_points,
    injection_px,
    mark_points,
)
from simulation.errors import SymmetryStudioError
from simulation.metrics import LABELS, METRIC_NAMES
from simulation.plan import parse_plan
from simulation.records import Patient, Store, open_store
from simulation.records.visit_views import (
    StoredView,
    compare_visit_views,
    view_photos,
    visit_views,
)
from simulation.records.visits import (
    followup_caveats,
    followup_for_patient,
    response_for_patient,
    stored_metrics,
)
from simulation.render import face_crop
from simulation.tables import followup_rows

from .. import cache, state
from ..components import EXPRESSION_LABELS
from .report_download import followup_report_download
from .save_visit import save_form

__all__ = ["patients_page"]


def _store() -> Store | None:
    try:
        return open_store()
    except SymmetryStudioError as err:
        st.error(str(err), icon=":material/error:")
        return None


def _add_patient(store: Store, first: bool) -> None:
    """The add-patient form: open when there is nobody yet, folded once patients exist."""
    with (
        st.expander("Add a patient", expanded=first),
        st.form("patient_add", clear_on_submit=True),
    ):
        name = st.text_input("Display name or pseudonym", key="pt_name")
        year = st.number_input(
            "Year of birth (optional)", 0, dt.date.today().year, 0, key="pt_year"
        )
        consent = st.checkbox(
            "The patient consents to their photos being stored (else measurements only)",
            key="pt_consent",
        )
        if st.form_submit_button("Add patient"):
            try:
                pid = store.add_patient(name, int(year) or None, "", consent)
                st.session_state.patient_id = pid
            except SymmetryStudioError as err:
                st.error(str(err), icon=":material/error:")


def _aligned(photo: Any, plan_json: str | None) -> np.ndarray:
    """A stored rest photo with its face aligned on the pupils as every visit's is, and the
    visit's injections marked with their units."""
    rgb = cache.stored_photo(photo.photo_png)
    face = StoredFace.from_json(json.loads(photo.analysis_json))
    if face is None:
        return rgb
    out = aligned_face(rgb, face.landmarks_px)
    plan = parse_plan(json.loads(plan_json)) if plan_json else None
    if plan is None or not plan.injections:
        return out
    pts = aligned_points(face.landmarks_px, injection_px(face, plan))
    return mark_points(out, pts, [f"{inj.units:g} U" for inj in plan.injections])


def _rest_photo(visit: Any) -> Any:
    return next((p for p in visit.photos if p.expression == "rest" and p.photo_png), None)


def _photo_row(treated: Any, seen: Any, day: float) -> None:
    """Before, predicted for the follow-up's day, and observed, aligned alike."""
    before, after = _rest_photo(treated), _rest_photo(seen)
    if before is None or after is None or not treated.plan_json:
        st.caption(
            "Before / predicted / observed photos need both visits' rest photos (kept only "
            "with the patient's consent)."
        )
        return
    try:
        a = cache.analysis(before.photo_png, "treatment photo", False, "rest")
        plan = parse_plan(json.loads(treated.plan_json))
        at = cache.predict(a, plan, (float(day),), "rest", 200, None)
    except SymmetryStudioError as err:
        st.caption(f"No predicted photo: {err}")
        return
    lm = a.landmarks_px
    views = (
        (aligned_face(a.image.rgb, lm), f"Before ({treated.date.isoformat()})"),
        (aligned_face(cache.warp(a, at.displacement_mm[0]), lm), f"Predicted for day {day:g}"),
        (_aligned(after, None), f"Observed ({seen.date.isoformat()})"),
    )
    for col, (img, caption) in zip(st.columns(3), views, strict=True):
        col.image(img, caption=caption, width=ALIGNED_SIZE[0])


def _timeline(patient: Patient) -> None:
    st.markdown("**Visits**")
    st.caption(
        "Photos aligned on the pupils (the same size and place on every visit), each with the "
        "units injected at that visit."
    )
    if not patient.visits:
        st.caption("No visits yet.")
        return
    cols = st.columns(min(len(patient.visits), 4))
    for col, v in zip(cols, patient.visits[-4:], strict=False):
        with col:
            plan = json.loads(v.plan_json) if v.plan_json else None
            what = (
                f"{plan['product']} {sum(i['units'] for i in plan['injections']):g} U"
                if plan
                else "no treatment"
            )
            st.markdown(f"**{v.date.isoformat()}** · {what}")
            rest = next((p for p in v.photos if p.expression == "rest"), None)
            if rest is not None and rest.photo_png is not None:
                st.image(_aligned(rest, v.plan_json), width=ALIGNED_SIZE[0])
            else:
                st.caption("measurements only (no photo stored)")
            labels = [_view_label(sv) for sv in visit_views(v)]
            if labels:
                st.caption("Views: " + " · ".join(labels))
    rows = []
    for v in patient.visits:
        m = stored_metrics(v)
        if m is not None:
            rows.append(
                {
                    "Visit": v.date.isoformat(),
                    **{LABELS[n]: round(m[n].diff, 2) for n in METRIC_NAMES if n in m},
                }
            )
    if rows:
        st.markdown("**Left − right over time (mm)**")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="pt_over_time")


def _view_label(sv: StoredView) -> str:
    """A stored photo's expression and view, flagged with its yaw when off its standard."""
    what = f"{EXPRESSION_LABELS.get(sv.expression, sv.expression)}: {sv.check.label}"
    if sv.check.warnings:
        what += f" (turned {abs(sv.check.yaw):.0f}°, off its standard)"
    return what


def _views(patient: Patient) -> None:
    """Each visit's views side by side (when a visit has more than the front view), then the
    lighting, colour and distance check between visits' photos of one view."""
    visits = patient.visits[-4:]
    if any(set(view_photos(v)) - {"front"} for v in visits):
        st.markdown("**Views per visit**")
        st.caption("Measurements come from the front view; the other views are for looking.")
        for v in visits:
            shown = view_photos(v)
            st.markdown(f"*{v.date.isoformat()}*")
            for col, sv in zip(st.columns(5), shown.values(), strict=False):
                _view_card(col, sv)
    checks = compare_visit_views(patient.visits)
    unchecked = [c for c in checks if c.needs_photos]
    if unchecked:  # one line (the first pair's) for all: a patient without consent has many
        n = len(unchecked) - 1
        more = f" (and {n} more pair{'s' if n > 1 else ''} of visits)" if n else ""
        st.caption(f"{unchecked[0].warning}{more}")
    for c in checks:
        if c.warning and not c.needs_photos:
            st.warning(c.warning, icon=":material/warning:")


def _view_card(col: Any, sv: StoredView) -> None:
    """One view's photo (cropped to the face) with its label and yaw."""
    caption = f"{sv.check.label} · yaw {sv.check.yaw:+.0f}°"
    face = StoredFace.from_json(json.loads(sv.photo.analysis_json))
    if sv.photo.photo_png is None or face is None:
        col.caption(f"{caption}: measurements only (no photo stored)")
    else:
        rgb = cache.stored_photo(sv.photo.photo_png)
        col.image(face_crop(rgb, face, 0.15), caption=caption, width="stretch")
    for w in sv.check.warnings:
        col.warning(w.message, icon=":material/warning:")


def _followup_report(patient: Patient, treated: Any, seen: Any, fu: Any) -> None:
    """The follow-up's consult report, on the treatment visit's stored rest photo."""
    before = _rest_photo(treated)
    if before is None or not treated.plan_json:
        st.caption(
            "The follow-up report needs the treatment visit's rest photo (kept only with "
            "consent): run `symmetry-studio report PHOTO --visit "
            f"{seen.id}` with the photo instead."
        )
        return
    try:
        rest = cache.analysis(before.photo_png, "treatment photo", False, "rest")
    except SymmetryStudioError as err:
        st.caption(f"No follow-up report: {err}")
        return
    plan = parse_plan(json.loads(treated.plan_json))
    followup = (treated.date, seen.date, fu, followup_caveats(treated, seen))
    followup_report_download(rest, plan, followup, patient.name, treated.lot or "", treated.date)


def _followup(patient: Patient) -> None:
    try:
        treated, seen, fu = followup_for_patient(patient)
    except SymmetryStudioError:
        return
    st.markdown(
        f"**Follow-up at day {fu.day:g}** (treated {treated.date.isoformat()}, photo of "
        f"{seen.date.isoformat()}) · based on this patient's response at day {fu.day:g}: "
        f"effect {fu.effect_scale:.2f}× the model's typical patient"
    )
    _photo_row(treated, seen, fu.day)
    rows = followup_rows(fu)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="pt_followup")
    caveats = followup_caveats(treated, seen)
    if caveats:
        st.warning(
            "Read this follow-up with care: a change these photos cannot resolve is not evidence "
            "of the treatment.\n\n" + "\n".join(f"- {c}" for c in caveats),
            icon=":material/warning:",
        )
    _followup_report(patient, treated, seen, fu)
    mine = state.patient_response()
    if mine is not None and mine[0] == patient.name:
        st.caption(f"The predictions now use {patient.name}'s response (see the sidebar).")
    elif st.button(
        f"Predict the top-up or next session with {patient.name}'s response",
        key="pt_response_on",
        help="The Plan, Prediction, Compare and 12-month tabs then draw this patient's "
        "sensitivity, potency, spread and duration from this follow-up instead of the model's.",
    ):
        state.set_patient_response(patient.name, response_for_patient(patient))
        st.rerun()


def patients_page() -> None:
    """The records: pick or add a patient, their visits, follow-up and saving this visit."""
    st.subheader("Patients")
    store = _store()
    if store is None:
        return
    try:
        patients = store.patients()
        st.caption(f"Records in {store.engine.url.render_as_string(hide_password=True)}")
        _add_patient(store, first=not patients)
        if not patients and "patient_id" not in st.session_state:
            return
        patients = store.patients()
        ids = [p.id for p in patients]
        current = st.session_state.get("patient_id", ids[0])
        pid = st.selectbox(
            "Patient",
            ids,
            index=ids.index(current) if current in ids else 0,
            format_func=lambda i: next(p.name for p in patients if p.id == i),
            key="pt_select",
        )
        patient = store.patient(pid)
        _timeline(patient)
        _views(patient)
        _followup(patient)
        save_form(store, patient.id, patient.name, "pt")
    finally:
        store.close()
