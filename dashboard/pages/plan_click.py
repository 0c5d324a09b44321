"""Click-to-inject on the Plan page: pick a landmark on the photo, nudge it by an offset, and
add it as a plan/1 `point` injection."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from simulation.analysis import Analysis
from simulation.plan_table import point_key

from .. import state
from ..components import face_crop

__all__ = ["click_to_inject", "face_click_figure"]


def face_click_figure(rest: Analysis) -> go.Figure:
    """The face with its 468 landmarks as clickable dots (a click picks the nearest one)."""
    crop = face_crop(rest.image.rgb, rest)
    lm = rest.landmarks_px[:468, :2]
    lo = np.maximum(np.floor(lm.min(axis=0) - (lm.max(axis=0) - lm.min(axis=0)) * 0.35), 0)
    xy = lm - lo
    fig = go.Figure(go.Image(z=crop, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="markers",
            marker={"size": 6, "color": "rgba(0, 229, 255, 0.55)"},
            selected={"marker": {"color": "#ff2b2b", "size": 13, "opacity": 1.0}},
            unselected={"marker": {"opacity": 0.45}},
            customdata=np.arange(468),
            hovertemplate="landmark %{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        height=520,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        dragmode=False,
        showlegend=False,
    )
    return fig


def _add_point(name: str, landmark: int, dx: float, dy: float, units: float, day: float) -> None:
    """on_click of 'Add point injection': the picked landmark plus offset as a new row."""
    entry = state.plans()[name]
    entry["rows"].append({"site": point_key(landmark, dx, dy), "units": float(units), "day": day})
    entry["v"] += 1


def click_to_inject(name: str, rest: Analysis, ona: float) -> None:
    """The clickable face and, once a landmark is picked, its offset, units, day and button."""
    ss = st.session_state
    c1, c2 = st.columns([3, 2])
    with c1:
        event = st.plotly_chart(
            face_click_figure(rest),
            key=f"click_face_{name}",
            on_select="rerun",
            selection_mode="points",
            config={"displayModeBar": False},
        )
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        picked = points[0].get("customdata")
        if isinstance(picked, list):
            picked = picked[0]
        if picked is not None:
            ss[f"click_lm_{name}"] = int(picked)
    lm = ss.get(f"click_lm_{name}")
    with c2:
        if lm is None:
            st.caption("Click a dot on the face: the injection goes there, plus the offset below.")
            return
        st.markdown(f"**Landmark {lm}** selected")
        dx = st.number_input("Offset right → left (mm)", -30.0, 30.0, 0.0, 1.0, key=f"cdx_{name}")
        dy = st.number_input("Offset down → up (mm)", -30.0, 30.0, 0.0, 1.0, key=f"cdy_{name}")
        units = st.number_input(
            "Units", 0.5, 100.0, round(2.0 / ona * 2) / 2, 0.5, key=f"cu_{name}"
        )
        day = st.number_input("Day", 0.0, 365.0, 0.0, 1.0, key=f"cday_{name}")
        st.caption(
            "x is towards the patient's left, y up, in the photo's face frame; a danger-zone "
            "warning appears in the injection's row if the point is risky."
        )
        st.button(
            "Add point injection",
            key=f"click_add_{name}",
            on_click=_add_point,
            args=(name, lm, dx, dy, units, float(day)),
        )
