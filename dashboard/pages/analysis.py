"""Analysis page: the measurements at rest, each expression's movement from rest, and what
drives the asymmetry (the muscle attribution)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation.analysis import Analysis, excursions
from simulation.attribution import Attribution
from simulation.errors import SymmetryStudioError
from simulation.metrics import LABELS, METRIC_NAMES, Metric, summary_sentence
from simulation.tables import amount, attribution_rows, metric_rows, symmetry_index_line, unit

from .. import cache, state
from ..components import EXPRESSION_LABELS, highlight, rows_height

__all__ = ["attribution_section", "measurements_section", "metric_table"]


def metric_table(metrics: dict[str, Metric]) -> pd.DataFrame:
    """The measurement table (at rest, or an expression's excursion): one row per metric."""
    return pd.DataFrame(metric_rows(metrics))


def _show_metrics(metrics: dict[str, Metric], key: str) -> None:
    """A measurement table, visible rows highlighted, every row shown."""
    df = metric_table(metrics)
    st.dataframe(highlight(df), hide_index=True, width="stretch", height=rows_height(df), key=key)


def measurements_section(rest: Analysis) -> None:
    """The measurements at rest in a table and in plain words, then each expression's
    excursion (expression minus rest)."""
    st.subheader("Measurements at rest")
    st.caption(
        "Patient's own left and right. Differences at or past the visibility threshold "
        "(what observers notice) are highlighted. ± is the 80% band of what a re-taken photo "
        "of the same face would read: a difference inside it is not distinguishable from zero "
        "on this photo, and no suggested plan treats it."
    )
    _show_metrics(rest.metrics, "metrics_table")
    st.caption(symmetry_index_line(rest.metrics))
    st.markdown("**In plain words**")
    lines = []
    for name in METRIC_NAMES:
        m = rest.metrics[name]
        s = summary_sentence(m)
        if not s.lower().startswith(LABELS[name].lower()):
            s = f"{LABELS[name]}: {s}"
        lines.append(f"- {':red[**' + s + '**]' if m.visible else s}")
    st.markdown("\n".join(lines))
    others = []
    for p in state.photos():
        if p["expression"] == "rest":
            continue
        try:
            others.append(cache.photo_analysis(p))
        except SymmetryStudioError:
            continue
    if not others:
        st.info(
            "Add photos of expressions (brows up, frown, smile, …) to measure each side's "
            "movement from rest."
        )
        return
    st.subheader("Expression excursions (expression minus rest)")
    for a in others:
        st.markdown(f"**{EXPRESSION_LABELS[a.expression]}** — {a.image.name}")
        _show_metrics(excursions(rest, a), f"exc_{a.image.sha256}_{a.expression}")


def _muscles(att: Attribution) -> None:
    """The largest muscle contributions as a table and in plain sentences."""
    shown = att.muscles[:8]
    if not shown:
        st.info("No muscle explains a measurable difference.", icon=":material/info:")
        return
    st.dataframe(
        pd.DataFrame(attribution_rows(att, len(shown))),
        hide_index=True,
        width="stretch",
        key="attr_table",
        column_config={
            "Confidence": st.column_config.ProgressColumn(
                "Confidence", min_value=0.0, max_value=1.0, format="percent"
            )
        },
    )
    st.markdown(
        "\n".join(
            f"{k}. {m.sentence[0].upper() + m.sentence[1:]} *(confidence {m.confidence:.0%})*"
            for k, m in enumerate(shown, 1)
        )
    )
    if len(att.muscles) > len(shown):
        st.caption(f"… and {len(att.muscles) - len(shown)} smaller contributions.")


def attribution_section(att: Attribution) -> None:
    """Which muscles drive the asymmetry, what toxin cannot treat, and weak sides."""
    st.divider()
    st.subheader("What drives the asymmetry")
    st.caption(
        "A model estimate, not a diagnosis: the side-to-side differences in muscle tone (or, for "
        "the masseter, thickness) that best explain the measured differences through this face's "
        "tissue model"
        + (
            f", using the {', '.join(EXPRESSION_LABELS[e] for e in att.expressions)} photos"
            if att.expressions
            else " (rest photo only: expression photos sharpen it and can reveal weakness)"
        )
        + ". Confidence is the share of refits, with the measurements varied within their "
        "noise, that keep the muscle at a similar size."
    )
    _muscles(att)
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Not a toxin case** (what muscles do not explain)")
        for u in att.untreatable:
            st.warning(
                f"{LABELS[u.measurement]}: {amount(u.residual_mm, u.measurement)} remains — "
                f"{u.reason}.",
                icon=":material/block:",
            )
        if not att.untreatable:
            st.caption("No difference of 1 mm or more is left over once the muscles are counted.")
    with c2:
        st.markdown("**Weakness** (a side that moves too little)")
        for w in att.weakness:
            u = unit(w.measurement)
            st.error(
                f"{w.message[0].upper()}{w.message[1:]}. Movement from rest: left "
                f"{w.excursion_left:+.1f} {u}, right {w.excursion_right:+.1f} {u}.",
                icon=":material/error:",
            )
        if not att.weakness:
            st.caption(
                "No weak side found."
                if att.expressions
                else "Needs expression photos (brows up, smile, …) to compare each side's movement."
            )
    if att.summary:
        with st.expander("Per measurement: who explains what"):
            st.markdown("\n".join(f"- {line}" for line in att.summary))
