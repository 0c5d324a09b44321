""" "Save this visit": the consult's photos and, if ticked, the active plan as injected, stored
under a patient. On the Patients tab and at the end of the Prediction tab, so a consult can be
recorded where it ends."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from simulation.errors import SymmetryStudioError
from simulation.records import Store, open_store
from simulation.records.visits import save_visit

from .. import cache, state
from ..components import plan_of

__all__ = ["save_form", "save_panel"]


def save_form(store: Store, patient_id: int, name: str, prefix: str) -> None:
    """Date, lot, "injected", notes and the Save button for one patient (keys `prefix`_…)."""
    st.markdown(
        f"**Save this visit for {name}** (the consult's photos and, if ticked, the plan as "
        "injected)"
    )
    c1, c2, c3 = st.columns(3)
    date = c1.date_input(
        "Visit date", dt.date.today(), max_value=dt.date.today(), key=f"{prefix}_date"
    )
    lot = c2.text_input("Lot number", key=f"{prefix}_lot")
    treated = c3.checkbox(
        f"{state.active_name()} was injected at this visit", key=f"{prefix}_treated"
    )
    notes = st.text_input("Notes", key=f"{prefix}_notes")
    if not st.button("Save this visit", key=f"{prefix}_save"):
        return
    try:
        analyses = [cache.photo_analysis(p) for p in state.photos()]
        plan = plan_of(state.active_entry()).plan if treated else None
        if treated and plan is None:
            st.error(
                "The plan has a problem (see the Plan tab): fix it or untick “injected”.",
                icon=":material/error:",
            )
            return
        with st.spinner("Saving the visit…"):
            save_visit(store, patient_id, date, analyses, plan, lot or None, notes)
        st.success(f"Visit of {date.isoformat()} saved for {name}.")
    except SymmetryStudioError as err:
        st.error(str(err), icon=":material/error:")


def save_panel() -> None:
    """The Prediction tab's "Save this visit": opens the records only when asked to, so a
    consult that records nothing never creates a database."""
    st.markdown("#### Record")
    if not st.toggle("Save this visit to a patient's record", key="pv_open"):
        return
    try:
        store = open_store()
    except SymmetryStudioError as err:
        st.error(str(err), icon=":material/error:")
        return
    try:
        patients = store.patients()
        if not patients:
            st.info("No patients yet: add one on the Patients tab.", icon=":material/person_add:")
            return
        names = {p.id: p.name for p in patients}
        pid = st.selectbox("Patient", list(names), format_func=names.get, key="pv_patient")
        save_form(store, pid, names[pid], "pv")
    finally:
        store.close()
