"""Symmetry Studio consult dashboard: photos → analysis → plan (and suggestions) → prediction →
comparison → the 12-month schedule. Run: `streamlit run streamlit_app.py` (or `make run`).

This entry only sets up the page, the session and the lazy tabs; the pages live in `dashboard/`
and compute through the `simulation` package. Nothing is written to disk
but the records a user saves on the Patients tab."""

from __future__ import annotations

import sys

import streamlit as st

from dashboard import cache, state
from dashboard.components import predictions
from dashboard.pages import analysis, compare, photos, plan, prediction, schedule, suggest
from dashboard.pages.limits import limits_page
from dashboard.pages.patients import patients_page
from dashboard.pages.training import training_page
from dashboard.server import serve
from dashboard.sidebar import sidebar
from dashboard.tabs import TAB_KEY, TABS, keep_hidden_widget_state
from simulation.errors import SymmetryStudioError
from simulation.study import assemble_study


def main() -> None:
    """One run: sidebar, then only the open tab (a switch is a rerun on cached results)."""
    st.set_page_config(page_title="Symmetry Studio", page_icon="🪞", layout="wide")
    state.init_state()
    keep_hidden_widget_state()
    day, expr = sidebar()
    tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    t_photos, t_analysis, t_plan, t_prediction, t_compare, t_year = tabs[:6]
    here = next((t for t in tabs if t.open), t_photos)
    for tab, page in zip(tabs[6:], (patients_page, training_page, limits_page), strict=True):
        if tab.open:  # pages of their own: no consult photo needed
            with tab:
                page()
            return
    if t_photos.open:
        with t_photos:
            photos.photos_page()
    try:
        study = assemble_study(cache.photo_results(state.photos()))
    except SymmetryStudioError as err:
        if not t_photos.open:  # the Photos tab shows each photo's own problem
            with here:
                st.error(f"No analysable photo: {err}", icon=":material/error:")
        return
    rest = study.analyses[0]
    if t_analysis.open:
        with t_analysis:
            analysis.measurements_section(rest)
    try:
        with here, st.spinner("Building the tissue model of this face (once per photo)…"):
            cache.subject(rest)
        att = cache.attribution(study)
        _tl, at, _plan = predictions(rest, state.active_entry(), day, expr)
    except SymmetryStudioError as err:
        if not t_photos.open:  # the Photos tab reports its own problems
            with here:
                st.error(str(err), icon=":material/error:")
        return
    if t_photos.open:  # the model above is now ready for the first look at the prediction
        return
    with here:
        try:
            if t_analysis.open:
                analysis.attribution_section(att)
            elif t_plan.open:
                try:
                    suggest.suggest_section(study)
                except SymmetryStudioError as err:  # the plan editor still works
                    st.error(str(err), icon=":material/error:")
                plan.plan_section(at, rest, day, expr)
            elif t_prediction.open:
                prediction.prediction_page(rest, day, expr)
            elif t_compare.open:
                compare.compare_page(rest, day, expr)
            elif t_year.open:
                schedule.schedule_page(rest, study)
        except SymmetryStudioError as err:
            st.error(str(err), icon=":material/error:")


if __name__ == "__main__" and not st.runtime.exists():
    serve(__file__, sys.argv[1:])
else:
    main()
