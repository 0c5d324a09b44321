"""The sidebar: the active plan (new, copy, delete), the day and the expression to predict."""

from __future__ import annotations

import streamlit as st

from simulation.analysis import EXPRESSIONS

from . import state
from .components import EXPRESSION_LABELS

__all__ = ["sidebar"]


def _plan_buttons(names: list[str]) -> None:
    """New, Copy and Delete for the plans."""
    plans = state.plans()
    b1, b2, b3 = st.columns(3)
    if b1.button("New", key="plan_new", help="A new empty plan"):
        n = state.unique_name(f"Plan {chr(ord('A') + len(names))}")
        plans[n] = state.new_plan()
        state.set_active(n)
        st.rerun()
    if b2.button("Copy", key="plan_dup", help="A copy of the active plan to vary"):
        src = state.active_entry()
        n = state.unique_name(f"{state.active_name()} copy")
        plans[n] = {**src, "rows": [dict(r) for r in src["rows"]], "v": 0}
        state.set_active(n)
        st.rerun()
    if b3.button("Delete", key="plan_del", disabled=len(names) == 1):
        del plans[state.active_name()]
        state.set_active(next(iter(plans)))
        st.rerun()


def _patient_note() -> None:
    """Whose response the predictions use, when a recorded patient's was chosen."""
    mine = state.patient_response()
    if mine is None:
        return
    name, response = mine
    st.info(f"Predictions for **{name}**, {response.note}.", icon=":material/person:")
    if st.button("Use the model's typical patient", key="pt_response_off"):
        state.set_patient_response(None)
        st.rerun()


def sidebar() -> tuple[float, str]:
    """Draw the sidebar; returns the day after injection and the expression to predict."""
    with st.sidebar:
        st.title("Symmetry Studio")
        st.caption("Predict what a toxin plan is likely to do to an asymmetric face.")
        names = list(state.plans())
        active = state.active_name()
        state.set_active(
            st.selectbox(
                "Active plan",
                names,
                index=names.index(active),
                key=f"active_{len(names)}_{active}",
            )
        )
        _plan_buttons(names)
        st.divider()
        day = st.slider("Day after injection", 0, 180, 14, 1, key="day")
        expr = st.selectbox(
            "Expression to predict", EXPRESSIONS, format_func=EXPRESSION_LABELS.get, key="pred_expr"
        )
        _patient_note()
        st.divider()
        st.caption(
            "A prediction, not a promise: every figure has a range. Static asymmetry (volume, "
            "skeleton, laxity) is not treatable by toxin, and a weak side cannot be lifted."
        )
    return float(day), expr
