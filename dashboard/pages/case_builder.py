"""The educator's case builder on the Training tab: a condition in the model's own terms (extra
tone, a weak muscle, a thicker masseter, a static offset, a previous treatment) on an uploaded
photo or the demo face; previewed, downloaded as `symmetry-studio/scenario/1` JSON and played at
once. Uploaded photos stay in this session's memory: nothing is written to disk."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from simulation import atlas
from simulation.analysis import EXPRESSIONS
from simulation.errors import InputError, SymmetryStudioError
from simulation.pharmacology import PRODUCTS, product_info
from simulation.render import face_crop
from simulation.training import SCENARIO_SCHEMA, parse_scenario
from simulation.training.scenario import (
    MAX_EXTRA_THICKNESS_MM,
    MAX_EXTRA_TONE,
    MAX_STATIC_MM,
    SIDED_POINTS,
)
from simulation.training.score import muscle_label

from .. import cache
from ..cache import CaseSource
from ..components import EXPRESSION_LABELS

__all__ = ["CUSTOM_KEY", "PLAY_KEY", "case_builder", "teaching_points"]

CUSTOM_KEY = "tr_custom"  # (CaseSource, title) of the educator's case the picker offers
PLAY_KEY = "tr_play_educator"  # set to open that case in the picker on the next run
READY_KEY = "edu_ready"  # the CaseSource last previewed (what download and play use)
NONE = ""  # "no such part" in the condition's pickers
PX = 200  # width of a preview photo


def teaching_points(text: str) -> list[dict[str, str]]:
    """One teaching point per line, written `text | source` (the source may be 'assumption')."""
    out = []
    lines = [line for line in text.splitlines() if line.strip()]
    for k, line in enumerate(lines, start=1):
        body, _, source = line.partition("|")
        if not body.strip() or not source.strip():
            raise InputError(
                "bad_scenario",
                f"teaching point {k}: write it as 'text | source' (the source may be 'assumption')",
            )
        out.append({"text": body.strip(), "source": source.strip()})
    return out


def _pick(where: Any, label: str, options: list[str], key: str, fmt: Any = None) -> str:
    return where.selectbox(
        label,
        [NONE, *options],
        format_func=lambda o: "none" if o == NONE else (fmt(o) if fmt else o),
        key=key,
    )


def _condition() -> dict[str, Any]:
    """The imposed condition's widgets, one of each kind; returns scenario/1 `condition`."""
    tone_ids = [m.id for m in atlas.muscles() if m.kind != "bulk"]
    bulk_ids = [m.id for m in atlas.muscles() if m.kind == "bulk"]
    cond: dict[str, Any] = {}
    a, b = st.columns(2)
    m = _pick(a, "Extra resting tone on", tone_ids, "edu_f_tone_muscle", muscle_label)
    v = b.number_input(
        "Extra tone (share of maximal force)", -1.0, MAX_EXTRA_TONE, 0.3, 0.05, key="edu_f_tone"
    )
    if m:
        cond["tone"] = {m: v}
    a, b = st.columns(2)
    m = _pick(a, "Weak muscle", tone_ids, "edu_f_weak_muscle", muscle_label)
    v = b.number_input("Strength left (0-1)", 0.0, 1.0, 0.5, 0.05, key="edu_f_weak")
    if m:
        cond["weakness"] = {m: v}
    a, b = st.columns(2)
    m = _pick(a, "Thicker masseter", bulk_ids, "edu_f_thick_muscle", muscle_label)
    v = b.number_input(
        "Extra thickness (mm)", 0.0, MAX_EXTRA_THICKNESS_MM, 2.0, 0.5, key="edu_f_thick"
    )
    if m:
        cond["thickness_mm"] = {m: v}
    a, b, c, d = st.columns(4)
    p = _pick(
        a,
        "Static offset (no muscle explains it) at",
        list(SIDED_POINTS),
        "edu_f_static_point",
        lambda o: o.replace("_", " "),
    )
    lim = MAX_STATIC_MM
    dx = b.number_input("x (mm)", -lim, lim, 0.0, 0.5, key="edu_f_static_dx")
    dy = c.number_input("y (mm, + is up)", -lim, lim, -1.5, 0.5, key="edu_f_static_dy")
    r = d.number_input("fading over (mm)", 3.0, 40.0, 12.0, 1.0, key="edu_f_static_radius")
    if p:
        cond["static"] = [{"point": p, "offset_mm": [dx, dy], "radius_mm": r}]
    sites = {s.id: s.label for s in atlas.sites()}
    a, b, c, d = st.columns(4)
    site = _pick(
        a, "Previous treatment still acting, at", list(sites), "edu_f_prev_site", sites.get
    )
    product = b.selectbox(
        "Its product",
        PRODUCTS,
        format_func=lambda q: product_info(q)["brand"],
        key="edu_f_prev_product",
    )
    units = c.number_input("Its units", 0.5, 100.0, 4.0, 0.5, key="edu_f_prev_units")
    days = d.number_input("Given days ago", 0, 365, 14, key="edu_f_prev_days")
    if site:
        cond["previous_treatment"] = {
            "days_ago": days,
            "plan": {"product": product, "injections": [{"site": site, "units": units}]},
        }
    return cond


def _draft(uploaded: bool) -> dict[str, Any]:
    """The scenario the form describes (validated later, by `parse_scenario`)."""
    case_id = st.text_input("Case id (letters, digits, _ or -)", "my_case", key="edu_f_id")
    title = st.text_input("Title", key="edu_f_title")
    mirrored = st.checkbox("Mirror the photo", key="edu_f_mirrored")
    st.markdown("**The imposed condition** (sides are the patient's own)")
    cond = _condition()
    exprs = st.multiselect(
        "Expressions to show besides rest",
        list(EXPRESSIONS[1:]),
        format_func=lambda e: EXPRESSION_LABELS.get(e, e),
        key="edu_f_exprs",
    )
    question = st.text_area("Question for the trainee", key="edu_f_question")
    muscles = [m.id for m in atlas.muscles()]
    drivers = st.multiselect(
        "The answer: the muscles (with side) that drive it",
        muscles,
        format_func=muscle_label,
        key="edu_f_drivers",
    )
    c1, c2, c3 = st.columns(3)
    toxin = c1.checkbox("Toxin is the treatment", True, key="edu_f_toxin")
    restraint = c2.number_input(
        "Units a restrained plan may use (non-toxin case)",
        0.0,
        100.0,
        0.0,
        1.0,
        key="edu_f_restraint",
    )
    model = c3.selectbox(
        "Model plan", ("balanced", "conservative", "full", "none"), key="edu_f_model"
    )
    points = st.text_area(
        "Teaching points, one per line: text | source (a real source, or 'assumption')",
        key="edu_f_points",
    )
    return {
        "schema": SCENARIO_SCHEMA,
        "id": case_id.strip(),
        "title": title,
        "base": {"face": "upload" if uploaded else "demo", "mirrored": mirrored},
        "condition": cond,
        "expressions": ["rest", *exprs],
        "question": question,
        "answer": {
            "drivers": drivers,
            "toxin_case": toxin,
            "restraint_units": restraint,
            "model_plan": model,
        },
        "teaching_points": teaching_points(points),
    }


def _play(src: CaseSource) -> None:
    """Offer the case in the picker and open it (on the next run, before the picker is drawn)."""
    case = cache.training_case(src)
    st.session_state[CUSTOM_KEY] = (src, case.scenario.title)
    st.session_state[PLAY_KEY] = True
    st.rerun()


def _preview(src: CaseSource, current: str | None) -> None:
    """The previewed case's photos, its JSON to download, and "play it now"."""
    case = cache.training_case(src)
    exprs = case.scenario.expressions
    for col, e in zip(st.columns(len(exprs)), exprs, strict=True):
        col.image(
            face_crop(cache.training_photo(src, e), case.base.analysis),
            caption=f"preview: {EXPRESSION_LABELS.get(e, e)}",
            width=PX,
        )
    if current != src.scenario_json:
        st.caption("The form has changed since this preview: preview again to use the new one.")
    if src.photo is not None:
        st.caption(
            "The JSON names an uploaded photo: keep the photo with it, and load both below to "
            "play it again."
        )
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download the case JSON",
        src.scenario_json,
        file_name=f"{src.case_id}.json",
        mime="application/json",
        key="edu_download",
    )
    if c2.button("Play this case now", type="primary", key="edu_play"):
        _play(src)


def _from_file(photo: bytes | None) -> None:
    """Play a scenario file (with the uploaded photo when it names one)."""
    up = st.file_uploader("Or play a scenario file (JSON)", type=["json"], key="eduup_json")
    if up is None or not st.button("Play the file", key="edu_play_file"):
        return
    try:
        text = up.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("bad_scenario_json", f"{up.name} is not a UTF-8 text file") from None
    s = parse_scenario(text, photo)
    _play(CaseSource(s.id, text, photo if s.base == "upload" else None))


def case_builder() -> None:
    """The "Educator: build a case" expander."""
    with st.expander("Educator: build a case"):
        st.caption(
            "Impose a condition on a face in the model's own terms; the engine simulates it "
            "forward and warps the photo, so the case has a known answer. Without an upload the "
            "bundled demo face is used. An uploaded photo stays in memory only. More than one "
            "part of a kind: download the JSON, edit it (docs/training.md), load it below."
        )
        up = st.file_uploader(
            "Base photo (JPEG or PNG, a frontal face)",
            type=["jpg", "jpeg", "png"],
            key="eduup_photo",
        )
        photo = up.getvalue() if up is not None else None
        ss = st.session_state
        try:
            try:
                current = json.dumps(_draft(photo is not None), indent=2)
            except InputError as err:
                current = None
                draft_error = err
            else:
                draft_error = None
            if st.button("Preview the case", key="edu_preview"):
                if draft_error is not None:
                    raise draft_error
                src = CaseSource(json.loads(current)["id"], current, photo)
                with st.spinner("Building the case…"):
                    cache.training_case(src)  # validates it and builds it once
                ss[READY_KEY] = src
            ready = ss.get(READY_KEY)
            if ready is not None:
                _preview(ready, current)
            _from_file(photo)
        except SymmetryStudioError as err:
            st.error(str(err), icon=":material/error:")
