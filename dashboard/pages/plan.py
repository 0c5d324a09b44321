"""Plan page: the active plan's product and dilution, injections added at standard sites or by
clicking the face, the editable table with each injection's warnings, a live preview, and
saving or loading plan/1 JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from simulation import atlas, pharmacology
from simulation.analysis import Analysis
from simulation.attribution import KEY_METRICS
from simulation.errors import SymmetryStudioError
from simulation.metrics import LABELS
from simulation.plan import Plan, parse_plan, plan_to_json
from simulation.plan_table import is_point_key, row_warnings, rows_from_plan, site_name
from simulation.prediction import Prediction
from simulation.tables import plan_totals, unit

from .. import state
from ..components import EXPRESSION_LABELS, after_views, face_crop, plan_of, predictions
from .plan_click import click_to_inject

__all__ = ["plan_section"]


def _site_name(site_id: object) -> str:
    """How a site (or a free point) reads to a clinician; the plan keeps the id."""
    return site_name(site_id)


def _site_label(site_id: str) -> str:
    """How a site reads in the site picker: its name and usual dose."""
    s = {x.id: x for x in atlas.sites()}.get(site_id)
    if s is None:
        return _site_name(site_id)
    lo, hi = s.usual_units
    dose = f"{lo:g} U" if lo == hi else f"{lo:g}–{hi:g} U"
    return f"{s.label} · usual {dose} ona"


# --- widget callbacks: fold an edit into the plan entry (and bump `v` when rows change) -------


def _apply_editor(name: str, key: str) -> None:
    """data_editor on_change: fold the edits into the stored rows, then give the editor a new
    key so the same edits are never applied twice."""
    entry = state.plans()[name]
    delta = st.session_state.get(key, {})
    rows = [dict(r) for r in entry["rows"]]
    for idx, change in delta.get("edited_rows", {}).items():
        i = int(idx)
        if 0 <= i < len(rows):
            rows[i].update(change)
    deleted = {int(i) for i in delta.get("deleted_rows", [])}
    rows = [r for i, r in enumerate(rows) if i not in deleted]
    for added in delta.get("added_rows", []):
        rows.append(
            {"site": added.get("site"), "units": added.get("units"), "day": added.get("day", 0.0)}
        )
    entry["rows"] = rows
    entry["v"] += 1


def _set_field(name: str, field: str, key: str) -> None:
    """on_change of product, dilution, label and notes: store the widget's value."""
    state.plans()[name][field] = st.session_state[key]  # type: ignore[literal-required]


def _set_units(name: str, row: int, key: str) -> None:
    """on_change of the fine-tune control: the row's new units."""
    entry = state.plans()[name]
    if 0 <= row < len(entry["rows"]):
        entry["rows"][row]["units"] = float(st.session_state[key])
        entry["v"] += 1


def _add_injection(name: str) -> None:
    """on_click of 'Add injection': the chosen standard site, units and day as a new row."""
    ss = st.session_state
    entry = state.plans()[name]
    entry["rows"].append(
        {
            "site": ss[f"add_site_{name}"],
            "units": float(ss[f"add_units_{name}"]),
            "day": float(ss[f"add_day_{name}"]),
        }
    )
    entry["v"] += 1


# --- sections ---------------------------------------------------------------------------------


def _header(name: str, entry: state.PlanEntry) -> None:
    """Product, dilution, label and notes."""
    v = entry["v"]
    m1, m2, m3, m4 = st.columns([3, 2, 2, 2])
    products = list(pharmacology.PRODUCTS)
    m1.selectbox(
        "Product",
        products,
        index=products.index(entry["product"]) if entry["product"] in products else 0,
        format_func=lambda p: f"{pharmacology.product_info(p)['brand']} ({p})",
        key=f"product_{name}_{v}",
        on_change=_set_field,
        args=(name, "product", f"product_{name}_{v}"),
    )
    m2.number_input(
        "Dilution (ml per 100 U)",
        0.5,
        10.0,
        float(entry["dilution"]),
        0.5,
        key=f"dilution_{name}_{v}",
        on_change=_set_field,
        args=(name, "dilution", f"dilution_{name}_{v}"),
    )
    for col, field in ((m3, "label"), (m4, "notes")):
        col.text_input(
            field.capitalize(),
            entry.get(field, ""),
            key=f"{field}_{name}_{v}",
            on_change=_set_field,
            args=(name, field, f"{field}_{name}_{v}"),
        )


def _add_at_site(name: str, entry: state.PlanEntry, ona: float) -> None:
    """Area, site, units and day, and the button that adds the injection."""
    st.markdown("**Add an injection at a standard site**")
    all_sites = atlas.sites()
    areas = [a for a in atlas.AREAS if any(s.area == a for s in all_sites)]
    # A wrapping row: on a narrow window the dose, day and button go below the site picker.
    row = st.container(horizontal=True, vertical_alignment="bottom")
    a1, a2, a3, a4, a5 = (row.container(width=w) for w in (140, 300, 120, 100, "content"))
    area = a1.selectbox("Area", areas, key=f"add_area_{name}", format_func=str.capitalize)
    choices = [s.id for s in all_sites if s.area == area]
    site_id = a2.selectbox("Site", choices, format_func=_site_label, key=f"add_site_{name}")
    usual = next(s.usual_units for s in all_sites if s.id == site_id)
    default_units = round(float(np.mean(usual)) / ona * 2) / 2
    a3.number_input(
        f"Units ({pharmacology.product_info(entry['product'])['brand']})",
        0.0,
        200.0,
        default_units,
        0.5,
        key=f"add_units_{name}",
    )
    a4.number_input("Day", 0.0, 365.0, 0.0, 1.0, key=f"add_day_{name}")
    a5.button(
        "Add injection",
        key=f"add_btn_{name}",
        on_click=_add_injection,
        args=(name,),
        type="primary",
    )


def _editor(name: str, entry: state.PlanEntry, pred: Prediction | None) -> None:
    """The injection table (with each row's warnings) and the fine-tune control."""
    v = entry["v"]
    st.markdown("**Injections** (edit units and day in the table; add or delete rows)")
    editor_key = f"editor_{name}_{v}"
    site_ids = [s.id for s in atlas.sites()] + sorted(
        {str(r["site"]) for r in entry["rows"] if is_point_key(r.get("site"))}
    )
    df = pd.DataFrame(entry["rows"], columns=["site", "units", "day"])
    df["warning"] = row_warnings(entry["rows"], pred.warnings if pred is not None else [])
    st.data_editor(
        df,
        key=editor_key,
        num_rows="dynamic",
        width="stretch",
        on_change=_apply_editor,
        args=(name, editor_key),
        column_config={
            "site": st.column_config.SelectboxColumn(
                "Site", options=site_ids, format_func=_site_name, required=True, width=290
            ),
            "units": st.column_config.NumberColumn(
                f"Units ({pharmacology.product_info(entry['product'])['brand']})",
                help=f"Units of {entry['product']}",
                min_value=0.0,
                max_value=200.0,
                step=0.5,
            ),
            "day": st.column_config.NumberColumn("Day", min_value=0.0, max_value=365.0, step=1.0),
            "warning": st.column_config.TextColumn("Warning", disabled=True),
        },
    )
    read = plan_of(entry)
    for s in read.skipped:
        st.warning(s, icon=":material/edit:")
    if read.error:
        st.error(read.error, icon=":material/error:")
    if entry["rows"]:
        f1, f2 = st.columns([3, 2])
        row = f1.selectbox(
            "Fine-tune one injection",
            range(len(entry["rows"])),
            format_func=lambda i: f"{i + 1}. {_site_name(entry['rows'][i].get('site'))}",
            key=f"fine_row_{name}_{v}",
        )
        units_key = f"fine_units_{name}_{v}_{row}"
        f2.number_input(
            "Units",
            0.0,
            200.0,
            float(entry["rows"][row].get("units") or 0.0),
            0.5,
            key=units_key,
            on_change=_set_units,
            args=(name, row, units_key),
        )
    plan = read.plan
    if plan is not None:
        st.caption(plan_totals(plan))


def _preview(rest: Analysis, day: float, expr: str) -> None:
    """Before and predicted after beside the dose editor, so every edit shows its effect
    without leaving the page (the Prediction page has the ranges, views and timeline)."""
    tl, at, plan = predictions(rest, state.active_entry(), day, expr)
    if tl is None or at is None or plan is None or not plan.injections:
        return
    with st.spinner("Drawing the face…"):
        after3d, warped = after_views(rest, tl, at, plan)
    st.markdown(f"**Preview at day {day:g}** ({EXPRESSION_LABELS[expr]})")
    c1, c2, c3 = st.columns(3)
    c1.image(face_crop(rest.image.rgb, rest), caption="Before", width="stretch")
    c2.image(face_crop(warped, rest), caption="Predicted photo", width="stretch")
    c3.image(after3d, caption="Predicted 3D, heat map = movement (mm)", width="stretch")
    moved = sorted(
        KEY_METRICS, key=lambda n: -abs(at.metrics[0][n].diff.median - rest.metrics[n].diff)
    )[:3]
    st.caption(
        "Left − right, before → predicted median: "
        + "; ".join(
            f"{LABELS[n].lower()} {rest.metrics[n].diff:+.1f} → "
            f"{at.metrics[0][n].diff.median:+.1f} {unit(n)}"
            for n in moved
        )
        + ". Ranges and the timeline are in the Prediction tab."
    )


def _load(name: str, plan: Plan | None) -> None:
    """Save the plan as JSON; load a plan JSON as a new plan."""
    j1, j2 = st.columns(2)
    with j1:
        if plan is not None:
            st.download_button(
                "Save plan JSON",
                json.dumps(plan_to_json(plan), indent=2),
                file_name=f"{name.replace(' ', '_')}.json",
                mime="application/json",
                key=f"save_{name}",
            )
    with j2:
        up = st.file_uploader(
            "Load a plan JSON (added as a new plan)", type=["json"], key="plan_up"
        )
        if up is not None and state.first_time(up.file_id):
            try:
                loaded = parse_plan(up.getvalue())
            except SymmetryStudioError as err:
                state.set_plan_error(f"{up.name}: {err}")
            else:
                state.set_plan_error(None)
                new = state.unique_name(loaded.label or Path(up.name).stem)
                e = state.new_plan(loaded.label, rows_from_plan(loaded))
                e.update(product=loaded.product, dilution=loaded.dilution_ml_per_100u)
                e["notes"] = loaded.notes
                state.plans()[new] = e
                state.set_active(new)
                st.rerun()
        if state.plan_error():
            st.error(state.plan_error(), icon=":material/error:")


def plan_section(
    pred: Prediction | None, rest: Analysis | None = None, day: float = 14.0, expr: str = "rest"
) -> None:
    """The active plan's editor; `pred` (its prediction at `day`) puts warnings in the rows."""
    name = state.active_name()
    entry = state.active_entry()
    st.subheader(f"Plan: {name}")
    if state.plan_note():
        st.info(state.plan_note(), icon=":material/info:")
    _header(name, entry)
    ona = pharmacology.ona_per_unit(entry["product"])
    _add_at_site(name, entry, ona)
    # A toggle, not an expander: Streamlit runs an expander's body on every rerun, and the
    # clickable face (photo + 468 points) would then be rebuilt on each dose edit.
    if rest is not None and st.toggle(
        "…or click on the face to inject at any point", key=f"click_mode_{name}"
    ):
        click_to_inject(name, rest, ona)
    _editor(name, entry, pred)
    if rest is not None:
        _preview(rest, day, expr)
    if pred is not None and pred.warnings:
        st.markdown("**Warnings for this plan**")
        for w in pred.warnings:
            st.warning(w.message, icon=":material/warning:")
    st.divider()
    _load(name, plan_of(entry).plan)
