"""Training page: a case with a known cause of asymmetry, the trainee's diagnosis and plan, the
score with its parts, their predicted result beside the model plan's, and the teaching points."""

from __future__ import annotations

import random

import pandas as pd
import streamlit as st

from simulation import atlas
from simulation.errors import SymmetryStudioError
from simulation.metrics import LABELS
from simulation.pharmacology import PRODUCTS, product_info
from simulation.plan import parse_plan
from simulation.render import face_crop
from simulation.training import builtin_ids, builtin_scenario
from simulation.training.score import NOT_TOXIN

from .. import cache
from ..components import EXPRESSION_LABELS

__all__ = ["training_page"]

EXAM = "exam"  # the case picker's "a random case, figures hidden until submitted"
PX = 260  # width of a case photo


def _pick() -> tuple[str, bool]:
    """The case to work on and whether it is an exam (its figures hidden until submitted)."""
    ids = builtin_ids()
    titles = {i: builtin_scenario(i).title for i in ids}
    choice = st.selectbox(
        "Case",
        [EXAM, *ids],
        format_func=lambda i: (
            "Exam: a random case, figures hidden until you submit" if i == EXAM else titles[i]
        ),
        key="tr_case",
    )
    if choice != EXAM:
        return choice, False
    if st.session_state.get("tr_exam_id") not in ids or st.button("Another exam case"):
        st.session_state.tr_exam_id = random.choice(ids)
    return st.session_state.tr_exam_id, True


def _photos(case_id: str) -> None:
    case = cache.training_case(case_id)
    exprs = case.scenario.expressions
    for col, e in zip(st.columns(len(exprs)), exprs, strict=True):
        col.image(
            face_crop(cache.training_photo(case_id, e), case.base.analysis),
            caption=EXPRESSION_LABELS.get(e, e),
            width=PX,
        )


def _figures(case_id: str) -> None:
    """What the condition does to this face, per measurement and expression (model figures)."""
    case = cache.training_case(case_id)
    rows = []
    for e in case.scenario.expressions:
        for name, diff in case.imposed(e).items():
            if abs(diff) >= 0.3:
                rows.append(
                    {
                        "Expression": EXPRESSION_LABELS.get(e, e),
                        "Measurement": LABELS[name],
                        "Left − right added (mm)": round(diff, 1),
                    }
                )
    st.markdown("**What this face shows** (left − right the case adds, model figures)")
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="tr_figures")
    else:
        st.caption("No measurement differs by 0.3 mm or more at rest: look at the expressions.")


def _answer_inputs(case_id: str) -> tuple[tuple[str, ...], str, pd.DataFrame]:
    muscles = {m.id: f"{m.name} ({m.side})" for m in atlas.muscles()}
    diagnosis = st.multiselect(
        "What drives it? The muscle(s) and side, or “not a toxin case”",
        [NOT_TOXIN, *muscles],
        format_func=lambda m: "Not a toxin case" if m == NOT_TOXIN else muscles[m],
        key=f"tr_dx_{case_id}",
    )
    product = st.selectbox(
        "Product",
        PRODUCTS,
        format_func=lambda p: f"{product_info(p)['brand']} ({p})",
        key=f"tr_product_{case_id}",
    )
    sites = {s.id: s.label for s in atlas.sites()}
    plan = st.data_editor(
        pd.DataFrame({"site": pd.Series([], dtype=str), "units": pd.Series([], dtype=float)}),
        num_rows="dynamic",
        column_config={
            "site": st.column_config.SelectboxColumn(
                "Site", options=list(sites), format_func=sites.get, required=True
            ),
            "units": st.column_config.NumberColumn(
                "Units (product's own)", min_value=0.5, max_value=100.0, step=0.5, required=True
            ),
        },
        hide_index=True,
        width="stretch",
        key=f"tr_plan_{case_id}",
    )
    return tuple(diagnosis), product, plan


def _result(case_id: str, score) -> None:
    st.markdown(
        f"### Score {score.total:.0f} / 100" + (" (capped: a safety fault)" if score.capped else "")
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Part": c.name,
                    "Points": round(c.points, 1),
                    "Out of": c.max_points or "",
                    "Why": c.detail,
                }
                for c in score.components
            ]
        ),
        hide_index=True,
        width="stretch",
        key="tr_parts",
    )
    for w in score.faults:
        st.error(w.message, icon=":material/dangerous:")
    for w in score.cautions:
        st.warning(w.message, icon=":material/warning:")
    case = cache.training_case(case_id)
    c1, c2 = st.columns(2)
    for col, plan, title in (
        (c1, score.plan, "Your plan at day 14"),
        (c2, score.model_plan, f"The model plan at day 14 ({score.model_plan.label})"),
    ):
        units = ", ".join(
            f"{atlas.site(i.site_id).label if i.site_id else 'point'} {i.units:g} U"
            for i in plan.injections
        )
        col.image(
            face_crop(cache.training_photo(case_id, "rest", plan), case.base.analysis),
            caption=f"{title}: {units or 'no injection'}",
            width=PX,
        )
    st.markdown("**Teaching points**")
    for p in score.teaching_points:
        st.markdown(f"- {p['text']} *({p['source']})*")


def training_page() -> None:
    """The Training tab: pick a case, answer, plan, submit, read the score and the feedback."""
    st.subheader("Training")
    st.caption(
        "Each case is a face with a known cause of asymmetry, imposed in the model's own terms "
        "on a bundled public-domain photo; the score compares your answer and plan with the "
        "model's. Nothing here touches the consult's photos, plans or records."
    )
    try:
        case_id, exam = _pick()
        with st.spinner("Building the case…"):
            case = cache.training_case(case_id)
        _photos(case_id)
        st.markdown(f"**{case.scenario.question}**")
        done = st.session_state.get("tr_result")
        submitted = done is not None and done[0] == case_id
        if not exam or submitted:
            _figures(case_id)
        diagnosis, product, rows = _answer_inputs(case_id)
        if st.button("Submit diagnosis and plan", type="primary", key="tr_submit"):
            plan = parse_plan(
                {
                    "product": product,
                    "injections": [
                        {"site": r.site, "units": float(r.units)}
                        for r in rows.itertuples()
                        if isinstance(r.site, str) and pd.notna(r.units)
                    ],
                }
            )
            st.session_state.tr_result = (case_id, cache.training_score(case_id, plan, diagnosis))
            st.rerun()
        if submitted:
            _result(case_id, done[1])
    except SymmetryStudioError as err:
        st.error(str(err), icon=":material/error:")
