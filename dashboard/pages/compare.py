"""Compare page: up to three plans side by side at the chosen day: totals, residual asymmetry,
predicted photos and one measurement's time course."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from simulation.analysis import Analysis
from simulation.metrics import LABELS, METRIC_NAMES
from simulation.tables import compare_metric_rows, compare_summary_rows

from .. import cache, state
from ..charts import timeline_chart
from ..components import face_crop, predictions

__all__ = ["compare_page"]

PHOTO_PX = 380  # the predicted photos' width: three fit at 1280 px, each shrinks to its column


def compare_page(rest: Analysis, day: float, expr: str) -> None:
    """The Compare tab."""
    plans = state.plans()
    names = list(plans)
    st.subheader(f"Compare plans · day {day:g}")
    if len(names) < 2:
        st.info("Create a second plan (sidebar: New or Copy) to compare plans.")
    chosen = st.multiselect(
        "Plans to compare (up to 3)",
        names,
        default=names[-3:],
        max_selections=3,
        key="compare_sel_" + hashlib.sha1("|".join(names).encode()).hexdigest()[:8],
    )
    results = {}
    for n in chosen:
        tl, at, plan = predictions(rest, plans[n], day, expr)
        if tl is None or at is None or plan is None:
            st.error(
                f"{n}: the plan has an error; fix it in the Plan tab.", icon=":material/error:"
            )
            continue
        results[n] = (tl, at, plan)
    if not results:
        return
    summary = compare_summary_rows(rest.metrics, {n: (p, at) for n, (_, at, p) in results.items()})
    st.dataframe(pd.DataFrame(summary), hide_index=True, width="stretch", key="cmp_summary")
    rows = compare_metric_rows(rest.metrics, {n: at for n, (_, at, _p) in results.items()})
    st.markdown("**Predicted left − right at this day** (median, p10 to p90; ● = visible)")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="cmp_metrics")
    cols = st.columns(len(results))
    for col, (n, (_tl, at, _plan)) in zip(cols, results.items(), strict=True):
        with col:
            img = cache.warp(rest, at.displacement_mm[0])
            st.image(  # a face a chart's width, never a page's (one plan on a narrow window)
                face_crop(img, rest), caption=f"{n}: predicted photo, day {day:g}", width=PHOTO_PX
            )
            for w in at.warnings:
                st.warning(w.message, icon=":material/warning:")
    metric = st.selectbox(
        "Timeline of",
        [n for n in METRIC_NAMES if n != "symmetry_index_mm"],
        format_func=LABELS.get,
        key="cmp_metric",
    )
    st.plotly_chart(
        timeline_chart({n: r[0] for n, r in results.items()}, metric, rest),
        width="stretch",
        key="cmp_chart",
    )
