"""The 'Suggest a plan' panel at the top of the Plan page: the smallest plans that balance the
muscle-driven asymmetry, each one click away from being an editable plan."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from simulation import pharmacology
from simulation.analysis import Study
from simulation.plan import Plan
from simulation.plan_table import rows_from_plan
from simulation.suggest import Suggestions
from simulation.tables import suggestion_rows

from .. import cache, state

__all__ = ["current_suggestions", "suggest_section"]


def _request(study: Study) -> None:
    """on_click of 'Suggest plans': remember what was asked for, and for which photos."""
    ss = st.session_state
    ss.suggest_req = {
        "study": cache.study_id(study),
        "product": ss["sug_product"],
        "max_units": ss["sug_max"],
    }


def current_suggestions(study: Study) -> tuple[dict[str, Any] | None, Suggestions | None]:
    """The suggestions last asked for in this session (the request, and the suggestions when
    the request was for these photos)."""
    req = st.session_state.get("suggest_req")
    if not req or req["study"] != cache.study_id(study):
        return req, None
    max_units = None if req["max_units"] is None else float(req["max_units"])
    mine = state.patient_response()
    return req, cache.suggestions(study, req["product"], max_units, mine[1] if mine else None)


def _use(name: str, fraction: float, plan: Plan) -> None:
    """Add a suggested plan as a new named plan, and make it the active one."""
    new = state.unique_name(f"Suggested: {name}")
    entry = state.new_plan(
        f"suggested {name} plan: aims at {100 * fraction:.0f}% of the muscle-driven asymmetry",
        rows_from_plan(plan),
    )
    entry.update(product=plan.product, dilution=plan.dilution_ml_per_100u)
    state.plans()[new] = entry
    state.set_active(new)


def _controls(study: Study) -> None:
    """The product, the optional session limit and the button."""
    products = list(pharmacology.PRODUCTS)
    active = state.active_entry()["product"]
    c1, c2, c3 = st.columns([3, 2, 2], vertical_alignment="bottom")
    c1.selectbox(
        "Product for the suggestions",
        products,
        index=products.index(active) if active in products else 0,
        format_func=lambda p: f"{pharmacology.product_info(p)['brand']} ({p})",
        key="sug_product",
    )
    c2.number_input(
        "Session limit, product U (optional)",
        min_value=0.5,
        max_value=400.0,
        value=None,
        step=0.5,
        placeholder="label maximum",
        key="sug_max",
    )
    c3.button(
        "Suggest plans",
        key="suggest_btn",
        type="primary",
        width="stretch",
        on_click=_request,
        args=(study,),
    )


def _alternatives(sug: Suggestions) -> None:
    """One card per suggested plan (with its 'Use this plan' button), then their table."""
    cols = st.columns(len(sug), border=True)
    for col, sp in zip(cols, sug, strict=True):
        with col:
            tot = sp.total_units
            st.markdown(
                f"**{sp.name.capitalize()}** · aims at {100 * sp.fraction:.0f}% of the "
                f"muscle-driven part  \n"
                f"Total **{tot['product']:g} U** {sp.plan.product} ({tot['ona']:.1f} U ona)"
            )
            st.caption(", ".join(f"{i.site_id} {i.units:g} U" for i in sp.plan.injections))
            for w in sp.warnings:
                st.warning(w.message, icon=":material/warning:")
            st.button(
                "Use this plan",
                key=f"use_sug_{sp.name}",
                on_click=_use,
                args=(sp.name, sp.fraction, sp.plan),
                width="stretch",
                help="Add it as a new plan (editable, in Compare) and make it active",
            )
    st.markdown(
        "**Predicted left − right at day 14** (median, p10 to p90; masseter width at week 12)"
    )
    st.dataframe(
        pd.DataFrame(suggestion_rows(sug)), hide_index=True, width="stretch", key="sug_table"
    )


def suggest_section(study: Study) -> None:
    """The panel: product and limit, the button, and the alternatives last asked for."""
    with st.container(border=True):
        st.markdown("#### Suggest a plan")
        st.caption(
            "The smallest plans over the standard sites that balance the muscle-driven part of the "
            "asymmetry at day 14 (masseter: week 12), never over-correcting at the pessimistic end "
            "of the range and never lowering a low brow. Use one to copy it into the editor, then "
            "change it like any plan."
        )
        _controls(study)
        req, sug = current_suggestions(study)
        if req is None:
            return
        if sug is None:
            st.caption("The photos changed since the last suggestion: suggest again.")
            return
        brand = pharmacology.product_info(req["product"])["brand"]
        limit = "" if req["max_units"] is None else f", at most {req['max_units']:g} U"
        mine = state.patient_response()
        whose = f" For {mine[0]}: {mine[1].note}." if mine else ""
        st.caption(f"For {brand} ({req['product']}){limit}.{whose}")
        for note in sug.notes:
            st.info(note[0].upper() + note[1:] + ".", icon=":material/visibility:")
        if not sug:
            st.info(f"No plan: {sug.reason}.", icon=":material/info:")
            return
        _alternatives(sug)
