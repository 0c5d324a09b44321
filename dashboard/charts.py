"""The dashboard's Plotly charts: a measurement over time, muscle inhibition over time, and the
12-month course."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from simulation.analysis import Analysis
from simulation.metrics import LABELS, VISIBILITY_MM
from simulation.prediction import Prediction
from simulation.schedule import Schedule
from simulation.tables import unit

__all__ = ["COLOURS", "effect_chart", "schedule_charts", "timeline_chart"]

COLOURS = (  # one per measurement (ten), distinguishable on white
    "#ff7f50",
    "#9b5de5",
    "#2ec4b6",
    "#e9c46a",
    "#00b4d8",
    "#f15bb5",
    "#8ac926",
    "#6a4c93",
    "#1982c4",
    "#8d6e63",
)
_LAYOUT = {
    "height": 340,
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "legend": {"orientation": "h", "y": -0.25},
}


def timeline_chart(timelines: Mapping[str, Prediction], metric: str, rest: Analysis) -> go.Figure:
    """One measurement's predicted left − right over days, a band per plan."""
    fig = go.Figure()
    colours = ["#00b4d8", "#ff7f50", "#9b5de5", "#2ec4b6"]
    for k, (label, tl) in enumerate(timelines.items()):
        c = colours[k % len(colours)]
        days = tl.days
        med = [m[metric].diff.median for m in tl.metrics]
        lo = [m[metric].diff.p10 for m in tl.metrics]
        hi = [m[metric].diff.p90 for m in tl.metrics]
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([days, days[::-1]]),
                y=np.concatenate([hi, lo[::-1]]),
                fill="toself",
                fillcolor=c,
                opacity=0.2,
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(x=days, y=med, name=f"{label} (median, band p10–p90)", line={"color": c})
        )
    t = VISIBILITY_MM.get(metric)
    if t:
        for y in (t, -t):
            fig.add_hline(y=y, line_dash="dot", line_color="#aaa", annotation_text="noticeable")
    fig.add_hline(
        y=rest.metrics[metric].diff, line_dash="dash", line_color="#666", annotation_text="before"
    )
    fig.update_layout(
        title=f"{LABELS[metric]}: left − right ({unit(metric)})",
        xaxis_title="day after injection",
        yaxis_title=f"difference ({unit(metric)})",
        **_LAYOUT,
    )
    return fig


def effect_chart(tl: Prediction) -> go.Figure:
    """Each treated muscle's predicted inhibition over days (median, %)."""
    fig = go.Figure()
    ids = sorted({m for d in tl.inhibition for m, x in d.items() if x > 0.02})
    for mid in ids:
        fig.add_trace(
            go.Scatter(x=tl.days, y=[100 * d.get(mid, 0.0) for d in tl.inhibition], name=mid)
        )
    fig.update_layout(
        title="Effect over time: muscle inhibition (median, %)",
        xaxis_title="day after injection",
        yaxis_title="inhibition (%)",
        yaxis_range=[0, 100],
        **_LAYOUT,
    )
    return fig


def _dates(start: dt.date, days: Any) -> list[dt.date]:
    """The calendar date of each day after the first session."""
    return [start + dt.timedelta(days=int(round(float(d)))) for d in days]


def _band_traces(fig: go.Figure, x: list, band: dict[str, Any], name: str, colour: str) -> None:
    """A median line with its p10-p90 band."""
    fig.add_trace(
        go.Scatter(
            x=x + x[::-1],
            y=list(band["p90"]) + list(band["p10"])[::-1],
            fill="toself",
            fillcolor=colour,
            opacity=0.2,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=name,
        )
    )
    fig.add_trace(
        go.Scatter(x=x, y=list(band["median"]), name=name, line={"color": colour}, legendgroup=name)
    )


def _vline(x: Any, line: dict[str, Any]) -> dict[str, Any]:
    """A full-height vertical line at `x` (a date) as a layout shape."""
    return {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": line,
    }


def schedule_charts(
    sched: Schedule, rest: Analysis, metrics: Sequence[str]
) -> tuple[go.Figure, go.Figure]:
    """The symmetry index and the chosen measurements over the year, with the sessions and the
    event date as vertical lines."""
    x = _dates(sched.start, sched.days)
    layout = {
        "height": 380 + 24 * ((len(metrics) + 1) // 2),  # a legend row per two measurements
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.12},
        "hovermode": "x unified",
    }
    si = go.Figure()
    _band_traces(si, x, sched.symmetry_index, "symmetry index (median, band p10–p90)", "#00b4d8")
    si.add_hline(
        y=rest.metrics["symmetry_index_mm"].left,
        line_dash="dash",
        line_color="#666",
        annotation_text="before",
        annotation_position="top left",
    )
    lr = go.Figure()
    for k, n in enumerate(metrics):
        _band_traces(lr, x, sched.metrics[n], f"{LABELS[n]} ({unit(n)})", COLOURS[k % len(COLOURS)])
    lr.add_hline(y=0.0, line_color="#aaa")
    # Vertical lines as plain layout shapes: one add_vline per visit cost ~30 ms each (measured).
    lines = [
        _vline(v.date, {"dash": "dot", "color": "rgba(136,136,136,0.6)", "width": 1})
        for v in sched.visits
        if v.injections
    ]
    if sched.event_date is not None:
        lines.append(_vline(sched.event_date, {"color": "#d62828", "width": 2}))
    for fig in (si, lr):
        fig.update_layout(**layout)
        fig.update_layout(shapes=[*fig.layout.shapes, *lines])
    si.update_layout(title="Symmetry index over the year (mm, lower is more symmetric)")
    si.update_yaxes(title="symmetry index (mm)", rangemode="tozero")
    lr.update_layout(title="Left − right over the year (median, band p10–p90)")
    lr.update_yaxes(title="left − right")
    return si, lr
