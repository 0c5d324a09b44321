"""Prediction page: the active plan at the chosen day and expression, before and after in 3D
and on the photo, the predicted measurements with ranges, the time courses, and downloads."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from simulation.analysis import Analysis
from simulation.ingest import encode_png
from simulation.metrics import LABELS, METRIC_NAMES
from simulation.photo_warp import difference_overlay
from simulation.plan import Plan, plan_to_json
from simulation.prediction import Prediction
from simulation.render import grid
from simulation.tables import measurements_csv, predicted_symmetry_line, prediction_rows

from .. import cache, face3d, state
from ..charts import effect_chart, timeline_chart
from ..components import (
    EXPRESSION_LABELS,
    after_views,
    face_crop,
    highlight,
    injection_points,
    muscle_lines,
    predictions,
    rows_height,
)
from .limits import LIMITS
from .report_download import report_download
from .save_visit import save_panel

__all__ = ["prediction_page"]


def _options() -> dict[str, bool]:
    """The view toggles: heat map, injection points, muscles, three-quarter view, difference."""
    # A wrapping row (not five columns), so no label is cut short on a narrow window.
    row = st.container(horizontal=True, gap="medium")
    return {
        "heat": row.toggle("Heat map (mm)", value=True, key="opt_heat", width="content"),
        "points": row.toggle("Injection points", value=True, key="opt_points", width="content"),
        "muscles": row.toggle(
            "Muscles",
            value=False,
            key="opt_muscles",
            width="content",
            help="Each muscle's line of pull; after treatment coloured from blue (working) to "
            "red (blocked) by the predicted inhibition at this day.",
        ),
        "oblique": row.toggle(
            "Three-quarter image",
            value=False,
            key="opt_oblique",
            width="content",
            help="The downloaded before/after image from a three-quarter angle (turn the 3D "
            "views by dragging).",
        ),
        "diff": row.toggle("Photo difference", value=False, key="opt_diff", width="content"),
    }


def _views(
    rest: Analysis, tl: Prediction, at: Prediction, plan: Plan, day: float, opt: dict[str, bool]
) -> np.ndarray:
    """Draw before and after: the interactive 3D pair (one camera) and the photos; returns the
    warped photo (the off-screen 3D renders are made only when the PNG is downloaded)."""
    v0 = rest.mesh.vertices_mm
    warped = cache.warp(rest, at.displacement_mm[0])
    shown_after = difference_overlay(rest.image.rgb, warped) if opt["diff"] else warped
    face3d.viewer(
        rest.mesh,
        at.displacement_mm[0],
        rest.image.rgb,
        points_mm=injection_points(plan, v0),
        muscle_lines=face3d.muscle_lines(v0, at.inhibition[0]),
        max_mm=float(np.linalg.norm(tl.displacement_mm, axis=-1).max()),
        heat=opt["heat"],
        show_points=opt["points"],
        show_muscles=opt["muscles"],
        labels=("Before", f"After · day {day:g}"),
        key="prediction_3d",
    )
    b, a = st.columns(2)
    with b:
        st.markdown("#### Before")
        st.image(face_crop(rest.image.rgb, rest), caption="Photo", width="stretch")
    with a:
        st.markdown(f"#### After · day {day:g}")
        st.image(
            face_crop(shown_after, rest),
            caption="Predicted photo (original warped by the predicted movement)"
            + (", changes in magenta" if opt["diff"] else ""),
            width="stretch",
        )
    mag = np.linalg.norm(at.displacement_mm[0], axis=1)
    st.caption(f"Largest predicted skin movement at day {day:g}: {mag.max():.1f} mm.")
    return warped


def _before_after_png(
    rest: Analysis, tl: Prediction, at: Prediction, plan: Plan, warped: np.ndarray, opt: dict
) -> bytes:
    """The downloadable before/after picture: photos above, off-screen 3D renders below (made
    on click, so no rerun pays for them)."""
    az = 25.0 if opt["oblique"] else 0.0
    v0 = rest.mesh.vertices_mm
    before3d = cache.render(
        rest,
        v0,
        None,
        injection_points(plan, v0) if opt["points"] else None,
        None,
        az,
        muscle_lines(v0, None) if opt["muscles"] else None,
    )
    after3d, _ = after_views(
        rest, tl, at, plan, heat=opt["heat"], show_pts=opt["points"], az=az, muscles=opt["muscles"]
    )
    return encode_png(
        grid([[face_crop(rest.image.rgb, rest), face_crop(warped, rest)], [before3d, after3d]])
    )


def _courses(name: str, rest: Analysis, tl: Prediction) -> None:
    """Muscle inhibition over time, and one measurement over time (most changed first)."""
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(effect_chart(tl), width="stretch", key="effect_chart")
    with c2:
        changed = sorted(
            (n for n in METRIC_NAMES if n != "symmetry_index_mm"),
            key=lambda n: -abs(tl.metrics[tl.at(14)][n].diff.median - rest.metrics[n].diff),
        )
        metric = st.selectbox(
            "Measurement over time", changed, format_func=LABELS.get, key="timeline_metric"
        )
        st.plotly_chart(
            timeline_chart({name: tl}, metric, rest), width="stretch", key="metric_chart"
        )


def prediction_page(rest: Analysis, day: float, expr: str) -> None:
    """The Prediction tab for the active plan."""
    name = state.active_name()
    tl, at, plan = predictions(rest, state.active_entry(), day, expr)
    st.subheader(f"Prediction: {name} · day {day:g} · {EXPRESSION_LABELS[expr]}")
    if tl is None or at is None or plan is None:
        st.error("Fix the plan (see the Plan tab) to see its prediction.", icon=":material/error:")
        return
    opt = _options()
    warped = _views(rest, tl, at, plan, day, opt)

    st.markdown("#### Predicted measurements at this day")
    rows = prediction_rows(rest.metrics, at)
    st.dataframe(
        highlight(pd.DataFrame(rows)),
        hide_index=True,
        width="stretch",
        height=rows_height(rows),
        key="pred_table",
    )
    st.caption(predicted_symmetry_line(rest.metrics, at))
    for w in at.warnings:
        st.warning(w.message, icon=":material/warning:")
    _courses(name, rest, tl)

    st.markdown("#### Downloads")
    d1, d2, d3 = st.columns(3)
    d1.download_button(  # drawn and encoded on click: ~0.5 s that no rerun should wait for
        "Before/after image (PNG, no metadata)",
        lambda: _before_after_png(rest, tl, at, plan, warped, opt),
        file_name=f"before_after_day{day:g}.png",
        mime="image/png",
        key="dl_png",
    )
    d2.download_button(
        "Measurements (CSV)",
        measurements_csv(rest.metrics, at, name, day),
        file_name="measurements.csv",
        mime="text/csv",
        key="dl_csv",
    )
    d3.download_button(
        "Plan (JSON)",
        json.dumps(plan_to_json(plan), indent=2),
        file_name=f"{name.replace(' ', '_')}.json",
        mime="application/json",
        key="dl_plan",
    )
    report_download(rest, tl, at, plan, name, day, expr)
    save_panel()
    with st.expander("What the model cannot know", expanded=False):
        st.markdown(LIMITS)
