"""Training page: a case with a known cause of asymmetry, the trainee's diagnosis and plan, the
score with its parts, their predicted result beside the model plan's, and the teaching points;
with a trainee name, each submitted attempt is kept in the record database and their scores
shown. Below, the educator's case builder (case_builder.py)."""

from __future__ import annotations

import random

import pandas as pd
import streamlit as st

from simulation import atlas
from simulation.errors import SymmetryStudioError
from simulation.metrics import LABELS
from simulation.pharmacology import PRODUCTS, product_info
from simulation.plan import parse_plan
from simulation.records import open_store
from simulation.render import face_crop
from simulation.training import builtin_ids, builtin_scenario
from simulation.training.score import NOT_TOXIN, TrainingScore, muscle_label

from .. import cache
from ..cache import CaseSource
from ..components import EXPRESSION_LABELS
from .case_builder import CUSTOM_KEY, PLAY_KEY, case_builder

__all__ = ["training_page"]

EXAM = "exam"  # the case picker's "a random case, figures hidden until submitted"
EDUCATOR = "educator"  # the case picker's entry for the educator's case being played
PX = 260  # width of a case photo


def _pick() -> tuple[CaseSource, bool]:
    """The case to work on and whether it is an exam (its figures hidden until submitted)."""
    ss = st.session_state
    ids = builtin_ids()
    titles = {i: builtin_scenario(i).title for i in ids}
    custom = ss.get(CUSTOM_KEY)  # (CaseSource, title) of the educator's case, once played
    if ss.pop(PLAY_KEY, False):
        ss.tr_case = EDUCATOR
    if custom is not None:
        titles[EDUCATOR] = f"Educator's case: {custom[1]}"
    choice = st.selectbox(
        "Case",
        [EXAM, *ids, *([EDUCATOR] if custom is not None else [])],
        format_func=lambda i: (
            "Exam: a random case, figures hidden until you submit" if i == EXAM else titles[i]
        ),
        key="tr_case",
    )
    if choice == EDUCATOR:
        return custom[0], False
    if choice != EXAM:
        return CaseSource(choice), False
    if ss.get("tr_exam_id") not in ids or st.button("Another exam case"):
        ss.tr_exam_id = random.choice(ids)
    return CaseSource(ss.tr_exam_id), True


def _photos(src: CaseSource) -> None:
    case = cache.training_case(src)
    exprs = case.scenario.expressions
    for col, e in zip(st.columns(len(exprs)), exprs, strict=True):
        col.image(
            face_crop(cache.training_photo(src, e), case.base.analysis),
            caption=EXPRESSION_LABELS.get(e, e),
            width=PX,
        )


def _figures(src: CaseSource) -> None:
    """What the condition does to this face, per measurement and expression (model figures)."""
    case = cache.training_case(src)
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


def _answer_inputs(key: str) -> tuple[tuple[str, ...], str, pd.DataFrame]:
    muscles = {m.id: muscle_label(m.id) for m in atlas.muscles()}
    diagnosis = st.multiselect(
        "What drives it? The muscle(s) and side, or “not a toxin case”",
        [NOT_TOXIN, *muscles],
        format_func=lambda m: "Not a toxin case" if m == NOT_TOXIN else muscles[m],
        key=f"tr_dx_{key}",
    )
    product = st.selectbox(
        "Product",
        PRODUCTS,
        format_func=lambda p: f"{product_info(p)['brand']} ({p})",
        key=f"tr_product_{key}",
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
        key=f"tr_plan_{key}",
    )
    return tuple(diagnosis), product, plan


def _result(src: CaseSource, score: TrainingScore) -> None:
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
    case = cache.training_case(src)
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
            face_crop(cache.training_photo(src, "rest", plan), case.base.analysis),
            caption=f"{title}: {units or 'no injection'}",
            width=PX,
        )
    st.markdown("**Teaching points**")
    for p in score.teaching_points:
        st.markdown(f"- {p['text']} *({p['source']})*")


def _save(
    trainee: str, src: CaseSource, exam: bool, diagnosis: tuple[str, ...], score: TrainingScore
) -> tuple[bool, str, str]:
    """Keep the attempt under the trainee; returns what to tell them (ok, one line, who)."""
    data = score.to_json()
    try:
        store = open_store()
        try:
            store.add_attempt(
                trainee,
                src.case_id,
                "exam" if exam else "practice",
                list(diagnosis),
                data["plan"],
                data["total"],
                data["components"],
                score.capped,
            )
        finally:
            store.close()
    except SymmetryStudioError as err:
        return False, f"Not saved: {err}", trainee
    return True, f"Saved to {trainee}'s scores.", trainee


def _history(trainee: str) -> None:
    """The trainee's attempts, newest first: case, date (UTC), exam or practice, score."""
    try:
        store = open_store()
        try:
            t = store.trainee(trainee)
        finally:
            store.close()
    except SymmetryStudioError as err:
        st.error(str(err), icon=":material/error:")
        return
    titles = {i: builtin_scenario(i).title for i in builtin_ids()}
    rows = [
        {
            "Case": titles.get(a.case_id, a.case_id),
            "Date": a.created_at.date().isoformat(),
            "Mode": a.mode,
            "Score": round(a.total),
            "Capped by safety": "yes" if a.capped else "",
        }
        for a in reversed(t.attempts)
    ]
    st.markdown(f"**{t.name}'s scores** ({len(rows)} attempt(s), newest first; dates in UTC)")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="tr_history")


def training_page() -> None:
    """The Training tab: pick a case, answer, plan, submit, read the score and the feedback;
    then the trainee's scores, and the educator's case builder."""
    st.subheader("Training")
    st.caption(
        "Each case is a face with a known cause of asymmetry, imposed in the model's own terms "
        "on a bundled public-domain photo; the score compares your answer and plan with the "
        "model's. Nothing here touches the consult's photos, plans or patient records."
    )
    trainee = st.text_input(
        "Trainee (optional): your name or pseudonym, to keep your scores",
        key="tr_trainee",
    ).strip()
    try:
        src, exam = _pick()
        with st.spinner("Building the case…"):
            case = cache.training_case(src)
        _photos(src)
        st.markdown(f"**{case.scenario.question}**")
        done = st.session_state.get("tr_result")
        submitted = done is not None and done[0] == src
        if not exam or submitted:
            _figures(src)
        diagnosis, product, rows = _answer_inputs(src.key)
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
            score = cache.training_score(src, plan, diagnosis)
            st.session_state.tr_result = (src, score)
            st.session_state.tr_saved = (
                _save(trainee, src, exam, diagnosis, score) if trainee else None
            )
            st.rerun()
        if submitted:
            _result(src, done[1])
            saved = st.session_state.get("tr_saved")
            if saved is None:
                st.caption("Give your name above to keep your scores.")
            elif saved[0]:
                st.success(saved[1], icon=":material/save:")
                _history(saved[2])
            else:
                st.error(saved[1], icon=":material/error:")
    except SymmetryStudioError as err:
        st.error(str(err), icon=":material/error:")
    case_builder()
