"""12-months page: a plan's visits over the year (initial, review, top-up, maintenance), the
latest session before an event, and the predicted course of the chosen measurements."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from simulation import pharmacology
from simulation.analysis import Analysis, Study
from simulation.attribution import KEY_METRICS
from simulation.errors import SymmetryStudioError
from simulation.metrics import LABELS
from simulation.noteworthy import noteworthy
from simulation.plan import Plan
from simulation.schedule import Schedule
from simulation.tables import grouped_warnings, visit_rows

from .. import cache, state
from ..charts import schedule_charts
from ..components import plan_of
from .suggest import current_suggestions

__all__ = ["schedule_page"]


def _event_note(sched: Schedule) -> None:
    """When to have the last session before the event (or that it is already too late)."""
    if sched.event_date is None or sched.latest_session_date is None:
        return
    lead = (sched.event_date - sched.latest_session_date).days
    if sched.latest_session_date < sched.start:
        st.warning(
            f"Event on {sched.event_date:%a %d %b %Y}: a session should be {lead // 7} weeks "
            f"ahead, by {sched.latest_session_date:%a %d %b %Y}, before this first session: "
            "the effect may not have settled by the day.",
            icon=":material/event_busy:",
        )
    else:
        st.info(
            f"Event on {sched.event_date:%a %d %b %Y}: the latest session before it is "
            f"**{sched.latest_session_date:%a %d %b %Y}** ({lead // 7} weeks ahead, so the "
            "effect has settled by the day).",
            icon=":material/event:",
        )


def _course(sched: Schedule, rest: Analysis) -> None:
    """The two charts, the measurements shown by default being the noteworthy ones."""
    changed = [
        n for n in KEY_METRICS if noteworthy(rest.metrics[n].diff, sched.metrics[n]["median"])
    ]
    metrics = st.multiselect(
        "Measurements in the chart",
        list(KEY_METRICS),
        default=changed or list(KEY_METRICS[:3]),
        format_func=LABELS.get,
        key="sched_metrics",
    )
    si_fig, lr_fig = schedule_charts(sched, rest, metrics)
    g1, g2 = st.columns(2)
    g1.plotly_chart(si_fig, width="stretch", key="sched_si_chart")
    g2.plotly_chart(lr_fig, width="stretch", key="sched_lr_chart")
    st.caption("Dotted lines: sessions; red line: the event date.")


def schedule_page(rest: Analysis, study: Study) -> None:
    """The 12-months tab: any plan, or a suggestion not yet made a plan."""
    _req, sug = current_suggestions(study)
    options: dict[str, Plan | None] = {n: plan_of(e).plan for n, e in state.plans().items()}
    for sp in sug or []:
        options[f"Suggestion: {sp.name} (not yet a plan)"] = sp.plan
    names = list(options)
    active = state.active_name()
    c1, c2, c3 = st.columns([3, 2, 2])
    chosen = c1.selectbox(
        "Schedule for",
        names,
        index=names.index(active),
        key="sched_for_" + hashlib.sha1("|".join([active, *names]).encode()).hexdigest()[:8],
    )
    start = c2.date_input("First session", value=dt.date.today(), key="sched_start")
    event = c3.date_input(
        "Event date (optional)",
        value=None,
        key="sched_event",
        help="A wedding, a photo shoot…: gives the latest date for the session before it.",
    )
    st.subheader(f"12 months: {chosen}")
    plan = options[chosen]
    if plan is None:
        st.error("This plan has an error: fix it in the Plan tab.", icon=":material/error:")
        return
    if not plan.injections:
        st.info("Add injections to this plan to see its visits over the year.")
        return
    try:
        with st.spinner("Predicting the year…"):
            mine = state.patient_response()
            sched = cache.schedule(study, plan, event, start, mine[1] if mine else None)
    except SymmetryStudioError as err:
        st.error(str(err), icon=":material/error:")
        return
    _event_note(sched)
    brand = pharmacology.product_info(plan.product)["brand"]
    st.table(pd.DataFrame(visit_rows(sched, brand)), hide_index=True)  # injections in full
    for n in sched.notes:
        st.caption(f"Note: {n}")
    _course(sched, rest)
    for message in grouped_warnings(sched.warnings):
        st.warning(message, icon=":material/warning:")
    st.caption(
        "Maintenance when the predicted effect has halved (12–16 weeks; masseter: three cycles "
        "12 weeks apart, then twice a year, with smaller later doses once the jaw is balanced: "
        "the thinning adds up over sessions). A prediction, not a promise: how long toxin lasts "
        "varies from person to person, and the review at 2 weeks decides the top-up."
    )
