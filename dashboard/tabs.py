"""The lazy tabs: their labels, and the settings of hidden tabs kept across reruns.

Only the open tab is drawn (each switch is a rerun on cached results), and Streamlit forgets
the value of a widget a run does not draw, so the hidden tabs' settings are carried over."""

from __future__ import annotations

import streamlit as st

__all__ = ["KEEP_WHILE_HIDDEN", "TABS", "TAB_KEY", "keep_hidden_widget_state"]

TABS = (
    "1 · Photos",
    "2 · Analysis",
    "3 · Plan",
    "4 · Prediction",
    "5 · Compare",
    "6 · 12 months",
    "Patients",
    "Training",
    "Limits",
)
TAB_KEY = "main_tab"  # the session-state key of the open tab
KEEP_WHILE_HIDDEN = {  # widget keys (prefixes) whose settings survive leaving their tab
    TABS[0]: ("mirror_new",),
    TABS[2]: ("sug_product", "sug_max"),
    TABS[3]: ("opt_", "timeline_metric"),
    TABS[4]: ("compare_sel_", "cmp_metric"),
    TABS[5]: ("sched_for_", "sched_start", "sched_event", "sched_metrics"),
    TABS[7]: ("tr_trainee", "edu_f_"),  # not the uploaders or buttons: code may not set those
}


def keep_hidden_widget_state() -> None:
    """Carry the hidden tabs' widget values over as plain state. (Not for the open tab:
    Streamlit warns when a drawn widget's value was also set by code.)"""
    ss = st.session_state
    open_tab = ss.get(TAB_KEY, TABS[0])
    for tab, prefixes in KEEP_WHILE_HIDDEN.items():
        if tab != open_tab:
            for k in [k for k in ss if isinstance(k, str) and k.startswith(prefixes)]:
                ss[k] = ss[k]
