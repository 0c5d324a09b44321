"""Symmetry Studio consult dashboard: photos → analysis (and what drives the asymmetry) → plan
(and suggested plans) → prediction → comparison → the 12-month schedule.

This file only arranges widgets and calls the `simulation` package. Everything one browser
session holds lives in `st.session_state`; shared caches are keyed by content hashes (photo
bytes, plan JSON) and bounded. Nothing is written to disk.

Run: `streamlit run streamlit_app.py`
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import re
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from simulation import atlas, pharmacology
from simulation.analysis import EXPRESSIONS, Analysis, Study, analyze_image, excursions
from simulation.attribution import KEY_METRICS, Attribution, attribute
from simulation.errors import SymmetryStudioError
from simulation.ingest import encode_png, load_image
from simulation.landmarker import get_landmarker
from simulation.metrics import LABELS, METRIC_NAMES, VISIBILITY_MM, summary_sentence
from simulation.photo_warp import difference_overlay, warp_photo
from simulation.plan import PLAN_SCHEMA, Plan, parse_plan, plan_to_json
from simulation.prediction import Prediction, build_subject, predict
from simulation.render import (
    FaceRenderer,
    draw_landmarks,
    face_camera,
    grid,
    inhibition_colour,
    warm_up,
)
from simulation.schedule import Schedule, schedule
from simulation.suggest import Suggestions, suggest

TABS = (
    "1 · Photos",
    "2 · Analysis",
    "3 · Plan",
    "4 · Prediction",
    "5 · Compare",
    "6 · 12 months",
    "Limits",
)
KEEP_WHILE_HIDDEN = {  # widget keys (prefixes) whose settings survive leaving their tab
    TABS[0]: ("mirror_new",),
    TABS[2]: ("sug_product", "sug_max"),
    TABS[3]: ("opt_", "timeline_metric"),
    TABS[4]: ("compare_sel_", "cmp_metric"),
    TABS[5]: ("sched_for_", "sched_start", "sched_event", "sched_metrics"),
}
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
DEMO = Path(__file__).resolve().parent / "simulation" / "demo" / "grace_hopper.jpg"
DEMO_NAME = "Demo face (Grace Hopper, public domain)"
EXPRESSION_LABELS = {
    "rest": "rest",
    "brows_up": "brows up",
    "frown": "frown",
    "eyes_closed": "eyes closed",
    "smile": "smile",
    "pucker": "pucker",
    "clench": "clench",
}
TIMELINE_DAYS = tuple(sorted({*range(0, 181, 5), 1, 2, 3, 7, 14, 21}))
PANEL = (480, 560)
LIMITS = """
**What the model cannot know.** This is a *prediction, not a promise*: it is a mechanical and
pharmacological model fitted to one photo, and every number comes with a range (10th–90th
percentile over uncertain spread, potency, individual sensitivity and duration, and over how
this person's muscle tone and tissue differ from the anatomical average). It cannot see:

- **Static asymmetry** — differences of volume, skeleton, soft-tissue laxity or scarring. Toxin
  only relaxes muscle; it cannot treat these, and the model does not pretend to.
- **A weak side cannot be lifted.** Toxin can only weaken the stronger side to match; it never
  adds strength where a muscle is paretic.
- **Lid position from a photo.** Lid margins and pupil heights are read on the photo, yet a
  1 mm droop of one lid read as 0.6–1.2 mm on our test photos, and was missed on narrow, smiling
  eyes; MRD2 follows a change of one lower lid poorly. Measure a suspected ptosis at the consult.
- **Jaw width from a photo.** The jaw outline is read where it stands against the background;
  collars, beards and hair hide it (then the figure is the face model's, and the app says so).
  Judge the masseter by palpation on clenching.
- The depth and placement of a real needle, the product's storage and reconstitution, individual
  resistance, previous treatments, or how the face moves outside the photographed expressions.

The injector's examination and judgement decide the plan.
"""


# --- cached computation (keys are content hashes; bounded) -------------------------------------


def _photo_key(data: bytes, mirrored: bool) -> str:
    return hashlib.sha256(data).hexdigest() + (":mirrored" if mirrored else "")


@st.cache_resource(max_entries=16, show_spinner=False)
def _analysis(key: str, expression: str, _data: bytes, name: str, mirrored: bool) -> Analysis:
    return analyze_image(load_image(_data, name=name, mirrored=mirrored), expression)


@st.cache_resource(max_entries=16, show_spinner=False)
def _overlay(key: str, expression: str, _a: Analysis) -> np.ndarray:
    return draw_landmarks(_a.image.rgb, _a.landmarks_px, _a.frame)


@st.cache_resource(max_entries=4, show_spinner=False)
def _subject(key: str, _a: Analysis) -> Any:
    return build_subject(_a)


@st.cache_resource(max_entries=64, show_spinner=False)
def _predict(
    key: str, plan_json: str, days: tuple[float, ...], expression: str, samples: int, _s: Any
) -> Any:
    return predict(_s, parse_plan(plan_json), days, expression, samples=samples)


@st.cache_resource(max_entries=2, show_spinner=False)
def _renderer(key: str, _a: Analysis) -> FaceRenderer:
    m = _a.mesh
    return FaceRenderer(m.faces, m.uv, _a.image.rgb, m.vertices_mm, PANEL)


@st.cache_resource(max_entries=48, show_spinner=False)
def _render(
    key: str, _vertices: np.ndarray, _a: Analysis, _scalars, _points, clim, az, _lines=None
) -> Any:
    cam = face_camera(_a.mesh.vertices_mm, azimuth_deg=az)
    r = _renderer(_a.image.sha256, _a)
    with r.lock:
        return r.render(_vertices, _scalars, _points, cam, clim, _lines)


def _muscle_lines(vertices: np.ndarray, inhibition: dict[str, float] | None) -> list:
    """The muscles drawn over a face, coloured by how blocked each is (none before treatment)."""
    return [
        (path, inhibition_colour((inhibition or {}).get(mid, 0.0)))
        for mid, path in atlas.muscle_paths(vertices)
    ]


@st.cache_resource(max_entries=48, show_spinner=False)
def _warp(key: str, _a: Analysis, _disp: np.ndarray) -> np.ndarray:
    return warp_photo(_a.image.rgb, _a, _disp)


@st.cache_resource(max_entries=8, show_spinner=False)
def _attribution(key: str, _subject: Any, _study: Study) -> Attribution:
    """Which muscles drive the asymmetry; `key` names the rest and expression photos."""
    return attribute(_subject, _study)


@st.cache_resource(max_entries=16, show_spinner=False)
def _suggestions(
    key: str, product: str, max_units: float | None, _subject: Any, _study: Study, _att: Any
) -> Suggestions:
    return suggest(_subject, _study, product, max_units, attribution=_att)


@st.cache_resource(max_entries=16, show_spinner=False)
def _schedule(
    key: str,
    plan_json: str,
    event: dt.date | None,
    start: dt.date,
    _subject: Any,
    _att: Any,
) -> Schedule:
    return schedule(
        _subject, parse_plan(plan_json), event_date=event, start=start, attribution=_att
    )


# --- session state -----------------------------------------------------------------------------


def _new_plan(label: str = "", rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "product": "onabotulinumtoxinA",
        "dilution": 2.5,
        "rows": rows or [],
        "label": label,
        "notes": "",
        "v": 0,
    }


def _init_state() -> None:
    ss = st.session_state
    if "photos" not in ss:
        ss.photos = [
            {
                "id": "demo",
                "name": DEMO_NAME,
                "data": DEMO.read_bytes(),
                "mirrored": False,
                "expression": "rest",
            }
        ]
        ss.next_photo = 1
        ss.seen_uploads = set()
        ss.photo_error = None
        ss.plans = {
            # The conservative plan that `suggest` proposes for the demo face (hard-coded so the
            # first view does not wait for the search): relax the right brow's depressors
            # (corrugator, depressor supercilii) so the lower right brow can rise.
            "Plan A": _new_plan(
                "demo: the conservative suggestion for this face",
                [
                    {"site": "corrugator_medial_right", "units": 1.0, "day": 0.0},
                    {"site": "depressor_supercilii_right", "units": 2.0, "day": 0.0},
                ],
            )
        }
        ss.active_plan = "Plan A"
        ss.plan_error = None


def _add_photo(name: str, data: bytes, mirrored: bool, expression: str | None = None) -> None:
    """Analyse a new photo; on success add it (replacing the demo), on failure keep everything
    and remember the one-line message for the uploader."""
    ss = st.session_state
    used = {p["expression"] for p in ss.photos if p["id"] != "demo"}
    if expression is None:
        expression = next((e for e in EXPRESSIONS if e not in used), "rest")
    try:
        _analysis(_photo_key(data, mirrored), expression, data, name, mirrored)
    except SymmetryStudioError as err:
        ss.photo_error = f"{name}: {err}"
        return
    ss.photo_error = None
    ss.photos = [p for p in ss.photos if p["id"] != "demo"]
    ss.photos.append(
        {
            "id": f"p{ss.next_photo}",
            "name": name,
            "data": data,
            "mirrored": mirrored,
            "expression": expression,
        }
    )
    ss.next_photo += 1


def _photo_analysis(p: dict[str, Any]) -> Analysis:
    return _analysis(
        _photo_key(p["data"], p["mirrored"]), p["expression"], p["data"], p["name"], p["mirrored"]
    )


def _row_complete(row: dict[str, Any]) -> bool:
    """Whether an editor row has a site and units (incomplete rows stay out of the plan)."""
    units = row.get("units")
    return bool(row.get("site")) and not (
        units is None or (isinstance(units, float) and np.isnan(units))
    )


def _row_warnings(entry: dict[str, Any], pred: Prediction | None) -> list[str]:
    """For each editor row, the warnings about that injection (plan injection k is the k-th
    complete row), so they stand next to the injection they concern."""
    complete = [k for k, r in enumerate(entry["rows"]) if _row_complete(r)]
    notes: dict[int, list[str]] = {}
    for w in pred.warnings if pred is not None else []:
        if w.injection is not None and w.injection < len(complete):
            notes.setdefault(complete[w.injection], []).append(w.code.replace("_", " "))
    return [", ".join(notes.get(k, [])) for k in range(len(entry["rows"]))]


def _plan_obj(entry: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The plan as JSON-ready dict, and notes about rows left out because they are incomplete."""
    injections, skipped = [], []
    for k, r in enumerate(entry["rows"]):
        if not _row_complete(r):
            skipped.append(f"row {k + 1} has no site or no units: left out until completed")
            continue
        day = r.get("day")
        day = 0.0 if day is None or (isinstance(day, float) and np.isnan(day)) else float(day)
        point = _parse_point_id(str(r["site"]))
        where = {"point": point} if point else {"site": r["site"]}
        injections.append({**where, "units": float(r["units"]), "day": day})
    obj = {
        "schema": PLAN_SCHEMA,
        "product": entry["product"],
        "dilution_ml_per_100u": float(entry["dilution"]),
        "injections": injections,
    }
    if entry.get("label"):
        obj["label"] = entry["label"]
    if entry.get("notes"):
        obj["notes"] = entry["notes"]
    return obj, skipped


def _parsed(entry: dict[str, Any]) -> tuple[Plan | None, str | None, list[str]]:
    obj, skipped = _plan_obj(entry)
    try:
        plan = parse_plan(obj)
    except SymmetryStudioError as err:
        return None, str(err), skipped
    return plan, None, skipped


def _plan_json(plan: Plan) -> str:
    return json.dumps(plan_to_json(plan), sort_keys=True)


def _point_id(landmark: int, dx: float, dy: float) -> str:
    """Editor-row id of a free point: a landmark plus an offset in mm (plan/1 `point`)."""
    return f"point:{int(landmark)}:{dx:+.1f}:{dy:+.1f}"


def _parse_point_id(site: str) -> dict[str, Any] | None:
    """The plan/1 `point` of a `point:…` row id, or None for a standard site."""
    if not site.startswith("point:"):
        return None
    _, lm, dx, dy = site.split(":")
    return {"landmark": int(lm), "offset_mm": [float(dx), float(dy)]}


def _row_id(inj: Any) -> str:
    if inj.site_id:
        return inj.site_id
    return _point_id(inj.landmark, *inj.offset_mm)


def _site_rows_from_plan(plan: Plan) -> list[dict[str, Any]]:
    return [{"site": _row_id(i), "units": i.units, "day": i.day} for i in plan.injections]


# --- small formatting helpers --------------------------------------------------------------------


def _face_crop(rgb: np.ndarray, a: Analysis, margin: float = 0.35) -> np.ndarray:
    """The photo cropped around the face (landmark box plus a margin), for display."""
    lm = a.landmarks_px[:, :2]
    lo, hi = lm.min(axis=0), lm.max(axis=0)
    pad = (hi - lo) * margin
    h, w = rgb.shape[:2]
    x0, y0 = np.maximum(np.floor(lo - pad), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(hi + pad), [w, h]).astype(int)
    return rgb[y0:y1, x0:x1]


def _unit(name: str) -> str:
    return "°" if name.endswith("_deg") else "mm"


def _r1(value: float) -> float:
    """One decimal, never '-0.0'."""
    return round(value, 1) + 0.0


def _metric_table(metrics: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for name in METRIC_NAMES:
        m = metrics[name]
        rows.append(
            {
                "Measurement": LABELS[name],
                "Left": _r1(m.left),
                "Right": _r1(m.right),
                "Difference (L−R)": _r1(m.diff) if name != "symmetry_index_mm" else None,
                "Noticeable from": VISIBILITY_MM[name],
                "Unit": _unit(name),
                "Visible": "● visible" if m.visible else "",
            }
        )
    return pd.DataFrame(rows)


def _rows_height(rows: Any) -> int:
    """Pixel height that shows every row of a short table (Streamlit scrolls after ten)."""
    return 35 * (len(rows) + 1) + 3


def _highlight(df: pd.DataFrame, column: str = "Visible") -> Any:
    def style(row: pd.Series) -> list[str]:
        on = bool(row[column]) and str(row[column]).strip() not in ("", "no", "not visible")
        return ["background-color: rgba(255, 75, 75, 0.18)" if on else "" for _ in row]

    return df.style.apply(style, axis=1).format(precision=1, na_rep="")


def _rng(r: Any) -> str:
    return f"{_r1(r.median):+.1f} ({_r1(r.p10):+.1f} to {_r1(r.p90):+.1f})"


# --- sections ----------------------------------------------------------------------------------


def photos_section() -> None:
    ss = st.session_state
    st.subheader("Photos of one person")
    st.caption(
        "Upload one or several photos (label each with its expression), take one with the "
        "camera, or keep the demo face. Photos stay in this browser session's memory only."
    )
    c1, c2 = st.columns([3, 2])
    with c1:
        mirrored = st.toggle(
            "New photos are mirrored selfies (flip them once)", key="mirror_new", value=False
        )
        files = st.file_uploader(
            "Upload photos (JPEG, PNG, WebP, HEIC)",
            accept_multiple_files=True,
            key="uploader",
        )
        for f in files or []:
            if f.file_id not in ss.seen_uploads:
                ss.seen_uploads.add(f.file_id)
                with st.spinner(f"Analysing {f.name}…"):
                    _add_photo(f.name, f.getvalue(), mirrored)
        if ss.photo_error:
            st.error(ss.photo_error, icon=":material/error:")
    with c2:
        with st.expander("Take a photo with the camera"):
            shot = st.camera_input("Face the camera, neutral expression", key="camera")
            if shot is not None and shot.file_id not in ss.seen_uploads:
                ss.seen_uploads.add(shot.file_id)
                _add_photo("camera photo", shot.getvalue(), mirrored)
        if not any(p["id"] == "demo" for p in ss.photos) and st.button(
            "Use the demo face instead", key="use_demo"
        ):
            ss.photos = [
                {
                    "id": "demo",
                    "name": DEMO_NAME,
                    "data": DEMO.read_bytes(),
                    "mirrored": False,
                    "expression": "rest",
                }
            ]
            ss.photo_error = None
            st.rerun()

    for p in list(ss.photos):
        with st.container(border=True):
            a_col, b_col = st.columns([2, 3])
            with b_col:
                st.markdown(f"**{p['name']}**")
                e1, e2, e3 = st.columns([2, 2, 1])
                p["expression"] = e1.selectbox(
                    "Expression",
                    EXPRESSIONS,
                    index=EXPRESSIONS.index(p["expression"]),
                    format_func=EXPRESSION_LABELS.get,
                    key=f"expr_{p['id']}",
                )
                new_mirror = e2.toggle("Mirrored selfie", value=p["mirrored"], key=f"mir_{p['id']}")
                if e3.button("Remove", key=f"rm_{p['id']}", disabled=len(ss.photos) == 1):
                    ss.photos = [q for q in ss.photos if q["id"] != p["id"]]
                    st.rerun()
                if new_mirror != p["mirrored"]:
                    p["mirrored"] = new_mirror
                try:
                    with st.spinner("Finding the face…"):
                        a = _photo_analysis(p)
                except SymmetryStudioError as err:
                    st.error(str(err), icon=":material/error:")
                    continue
                pose = a.pose
                st.markdown(
                    f"Pose: yaw {pose.yaw:+.1f}°, pitch {pose.pitch:+.1f}°, "
                    f"roll {pose.roll:+.1f}°  \n"
                    f"Scale: {a.mm_per_px:.3f} mm/px ({a.scale_source.replace('_', ' ')}), "
                    f"photo {a.image.rgb.shape[1]}×{a.image.rgb.shape[0]} px"
                )
                if a.warnings:
                    for w in a.warnings:
                        st.warning(w.message, icon=":material/warning:")
                else:
                    st.success("Quality check passed: frontal, sharp enough, scale found.")
            with a_col:
                st.image(
                    _face_crop(_overlay(a.image.sha256, p["expression"], a), a, 0.2),
                    caption="Landmarks (cyan), irises (pink), measuring frame",
                    width="stretch",
                )


def _subject_photo() -> tuple[dict[str, Any], Analysis] | SymmetryStudioError:
    """The photo the model is built on (the rest photo first), or the first photo's problem."""
    ss = st.session_state
    ordered = sorted(ss.photos, key=lambda p: p["expression"] != "rest")
    problem = SymmetryStudioError("no photo: upload a frontal photo of a face")
    for k, p in enumerate(ordered):
        try:
            return p, _photo_analysis(p)
        except SymmetryStudioError as err:
            if k == 0:
                problem = err
    return problem


def analysis_section(rest: Analysis) -> None:
    ss = st.session_state
    st.subheader("Measurements at rest")
    st.caption(
        "Patient's own left and right. Differences at or past the visibility threshold "
        "(what observers notice) are highlighted."
    )
    df = _metric_table(rest.metrics)
    st.dataframe(
        _highlight(df),
        hide_index=True,
        width="stretch",
        height=_rows_height(df),
        key="metrics_table",
    )
    st.markdown("**In plain words**")
    lines = []
    for name in METRIC_NAMES:
        m = rest.metrics[name]
        s = summary_sentence(m)
        lines.append(f"- {':red[**' + s + '**]' if m.visible else s}")
    st.markdown("\n".join(lines))
    others = []
    for p in ss.photos:
        if p["expression"] == "rest":
            continue
        try:
            others.append(_photo_analysis(p))
        except SymmetryStudioError:
            continue
    if others:
        st.subheader("Expression excursions (expression minus rest)")
        for a in others:
            exc = excursions(rest, a)
            st.markdown(f"**{EXPRESSION_LABELS[a.expression]}** — {a.image.name}")
            table = _metric_table(exc)
            st.dataframe(
                _highlight(table),
                hide_index=True,
                width="stretch",
                height=_rows_height(table),
                key=f"exc_{a.image.sha256}_{a.expression}",
            )
    else:
        st.info(
            "Add photos of expressions (brows up, frown, smile, …) to measure each side's "
            "movement from rest."
        )


def _study(rest_p: dict[str, Any], rest: Analysis) -> tuple[str, Study]:
    """The rest photo and one analysable photo per other expression, and a key made of their
    content hashes (for the attribution and suggestion caches)."""
    by_expr: dict[str, Analysis] = {}
    for p in st.session_state.photos:
        if p is rest_p or p["expression"] in ("rest", rest.expression, *by_expr):
            continue
        try:
            by_expr[p["expression"]] = _photo_analysis(p)
        except SymmetryStudioError:
            continue
    key = "|".join([rest.image.sha256, *(f"{e}:{a.image.sha256}" for e, a in by_expr.items())])
    exc = {e: excursions(rest, a) for e, a in by_expr.items()}
    return key, Study((rest, *by_expr.values()), exc)


def _amount(value: float, name: str) -> str:
    return f"{abs(value):.1f}{'°' if _unit(name) == '°' else ' mm'}"


def attribution_section(att: Attribution) -> None:
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
    shown = att.muscles[:8]
    if shown:
        rows = []
        for k, m in enumerate(shown, 1):
            top = max(m.explained_mm, key=lambda n: abs(m.explained_mm[n]))
            rows.append(
                {
                    "#": k,
                    "Muscle": m.name,
                    "Side": m.side,
                    "Stronger by": f"{100 * m.excess:.0f}% {m.quantity}",
                    "Explains most of": LABELS[top],
                    "Explained (L−R)": f"{m.explained_mm[top]:+.1f} {_unit(top)}",
                    "Confidence": m.confidence,
                }
            )
        st.dataframe(
            pd.DataFrame(rows),
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
    else:
        st.info("No muscle explains a measurable difference.", icon=":material/info:")
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Not a toxin case** (what muscles do not explain)")
        for u in att.untreatable:
            st.warning(
                f"{LABELS[u.measurement]}: {_amount(u.residual_mm, u.measurement)} remains — "
                f"{u.reason}.",
                icon=":material/block:",
            )
        if not att.untreatable:
            st.caption("No difference of 1 mm or more is left over once the muscles are counted.")
    with c2:
        st.markdown("**Weakness** (a side that moves too little)")
        for w in att.weakness:
            u = _unit(w.measurement)
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


def _site_label(site_id: str) -> str:
    point = _parse_point_id(site_id)
    if point:
        dx, dy = point["offset_mm"]
        return f"Point at landmark {point['landmark']} ({dx:+.1f}, {dy:+.1f} mm)"
    s = {x.id: x for x in atlas.sites()}.get(site_id)
    if s is None:
        return site_id
    lo, hi = s.usual_units
    dose = f"{lo:g} U" if lo == hi else f"{lo:g}–{hi:g} U"
    return f"{s.label} · usual {dose} ona"


def _apply_editor(name: str, key: str) -> None:
    """data_editor on_change: fold the edits into the stored rows, then give the editor a new
    key so the same edits are never applied twice."""
    ss = st.session_state
    entry = ss.plans[name]
    delta = ss.get(key, {})
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
    st.session_state.plans[name][field] = st.session_state[key]


def _set_units(name: str, row: int, key: str) -> None:
    entry = st.session_state.plans[name]
    if 0 <= row < len(entry["rows"]):
        entry["rows"][row]["units"] = float(st.session_state[key])
        entry["v"] += 1


def _add_injection(name: str) -> None:
    ss = st.session_state
    entry = ss.plans[name]
    entry["rows"].append(
        {
            "site": ss[f"add_site_{name}"],
            "units": float(ss[f"add_units_{name}"]),
            "day": float(ss[f"add_day_{name}"]),
        }
    )
    entry["v"] += 1


def _face_click_figure(rest: Analysis) -> go.Figure:
    """The face with its 468 landmarks as clickable dots (a click picks the nearest one)."""
    crop = _face_crop(rest.image.rgb, rest)
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


def _click_to_inject(name: str, rest: Analysis, ona: float) -> None:
    """Pick a landmark on the photo, nudge it by an offset, and add it as a point injection."""
    ss = st.session_state
    c1, c2 = st.columns([3, 2])
    with c1:
        event = st.plotly_chart(
            _face_click_figure(rest),
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
            on_click=_add_point_injection,
            args=(name, lm, dx, dy, units, day),
        )


def _add_point_injection(
    name: str, landmark: int, dx: float, dy: float, units: float, day: float
) -> None:
    entry = st.session_state.plans[name]
    site = _point_id(landmark, dx, dy)
    entry["rows"].append({"site": site, "units": float(units), "day": float(day)})
    entry["v"] += 1


def _plan_preview(rest: Analysis, subject: Any, day: float, expr: str) -> None:
    """Before and predicted after beside the dose editor, so every edit shows its effect
    without leaving the tab (the Prediction tab has the ranges, views and timeline)."""
    entry = st.session_state.plans[st.session_state.active_plan]
    tl, at, plan = _predictions(rest.image.sha256, subject, entry, day, expr)
    if at is None or not plan.injections:
        return
    with st.spinner("Drawing the face…"):
        after3d, warped = _after_views(rest, tl, at, plan, day, expr)
    st.markdown(f"**Preview at day {day:g}** ({EXPRESSION_LABELS[expr]})")
    c1, c2, c3 = st.columns(3)
    c1.image(_face_crop(rest.image.rgb, rest), caption="Before", width="stretch")
    c2.image(_face_crop(warped, rest), caption="Predicted photo", width="stretch")
    c3.image(after3d, caption="Predicted 3D, heat map = movement (mm)", width="stretch")
    moved = sorted(
        KEY_METRICS, key=lambda n: -abs(at.metrics[0][n].diff.median - rest.metrics[n].diff)
    )[:3]
    st.caption(
        "Left − right, before → predicted median: "
        + "; ".join(
            f"{LABELS[n].lower()} {rest.metrics[n].diff:+.1f} → "
            f"{at.metrics[0][n].diff.median:+.1f} {_unit(n)}"
            for n in moved
        )
        + ". Ranges and the timeline are in the Prediction tab."
    )


def plan_section(
    pred: Prediction | None,
    rest: Analysis | None = None,
    subject: Any = None,
    day: float = 14.0,
    expr: str = "rest",
) -> None:
    ss = st.session_state
    name = ss.active_plan
    entry = ss.plans[name]
    v = entry["v"]
    st.subheader(f"Plan: {name}")
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
    m3.text_input(
        "Label",
        entry.get("label", ""),
        key=f"label_{name}_{v}",
        on_change=_set_field,
        args=(name, "label", f"label_{name}_{v}"),
    )
    m4.text_input(
        "Notes",
        entry.get("notes", ""),
        key=f"notes_{name}_{v}",
        on_change=_set_field,
        args=(name, "notes", f"notes_{name}_{v}"),
    )
    ona = pharmacology.ona_per_unit(entry["product"])

    st.markdown("**Add an injection at a standard site**")
    all_sites = atlas.sites()
    areas = [a for a in atlas.AREAS if any(s.area == a for s in all_sites)]
    a1, a2, a3, a4, a5 = st.columns([2, 5, 2, 2, 2], vertical_alignment="bottom")
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
        width="stretch",
    )

    # A toggle, not an expander: Streamlit runs an expander's body on every rerun, and the
    # clickable face (photo + 468 points) would then be rebuilt on each dose edit.
    if rest is not None and st.toggle(
        "…or click on the face to inject at any point", key=f"click_mode_{name}"
    ):
        _click_to_inject(name, rest, ona)

    st.markdown("**Injections** (edit units and day in the table; add or delete rows)")
    editor_key = f"editor_{name}_{v}"
    site_ids = [s.id for s in all_sites] + sorted(
        {str(r["site"]) for r in entry["rows"] if str(r.get("site") or "").startswith("point:")}
    )
    df = pd.DataFrame(entry["rows"], columns=["site", "units", "day"])
    df["warning"] = _row_warnings(entry, pred)
    st.data_editor(
        df,
        key=editor_key,
        num_rows="dynamic",
        width="stretch",
        on_change=_apply_editor,
        args=(name, editor_key),
        column_config={
            "site": st.column_config.SelectboxColumn("Site", options=site_ids, required=True),
            "units": st.column_config.NumberColumn(
                f"Units ({entry['product']})", min_value=0.0, max_value=200.0, step=0.5
            ),
            "day": st.column_config.NumberColumn("Day", min_value=0.0, max_value=365.0, step=1.0),
            "warning": st.column_config.TextColumn("Warning", disabled=True),
        },
    )
    plan, error, skipped = _parsed(entry)
    for s in skipped:
        st.warning(s, icon=":material/edit:")
    if error:
        st.error(error, icon=":material/error:")
    if entry["rows"]:
        f1, f2 = st.columns([3, 2])
        row = f1.selectbox(
            "Fine-tune one injection",
            range(len(entry["rows"])),
            format_func=lambda i: f"{i + 1}. {entry['rows'][i].get('site') or '(no site)'}",
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
    if plan is not None:
        tot = plan.total_units()
        vol = float(np.sum(plan.volumes_ml())) if plan.injections else 0.0
        st.caption(
            f"Total {tot['product']:g} U {plan.product} = {tot['ona']:.1f} U ona-equivalent, "
            f"{vol:.2f} ml at {plan.dilution_ml_per_100u:g} ml/100 U."
        )
    if rest is not None and subject is not None:
        _plan_preview(rest, subject, day, expr)
    if pred is not None and pred.warnings:
        st.markdown("**Warnings for this plan**")
        for w in pred.warnings:
            st.warning(w.message, icon=":material/warning:")

    st.divider()
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
        if up is not None and up.file_id not in ss.seen_uploads:
            ss.seen_uploads.add(up.file_id)
            try:
                loaded = parse_plan(up.getvalue())
            except SymmetryStudioError as err:
                ss.plan_error = f"{up.name}: {err}"
            else:
                ss.plan_error = None
                new = _unique_name(loaded.label or Path(up.name).stem)
                e = _new_plan(loaded.label, _site_rows_from_plan(loaded))
                e.update(product=loaded.product, dilution=loaded.dilution_ml_per_100u)
                e["notes"] = loaded.notes
                ss.plans[new] = e
                ss.active_plan = new
                st.rerun()
        if ss.plan_error:
            st.error(ss.plan_error, icon=":material/error:")


def _request_suggestions(study_key: str) -> None:
    ss = st.session_state
    ss.suggest_req = {
        "key": study_key,
        "product": ss["sug_product"],
        "max_units": ss["sug_max"],
    }


def _current_suggestions(
    study_key: str, subject: Any, study: Study, att: Attribution
) -> tuple[dict[str, Any] | None, Suggestions | None]:
    """The suggestions last asked for in this session, if they were for these photos."""
    req = st.session_state.get("suggest_req")
    if not req or req["key"] != study_key:
        return req, None
    max_units = None if req["max_units"] is None else float(req["max_units"])
    sug = _suggestions(study_key, req["product"], max_units, subject, study, att)
    return req, sug


def _use_suggestion(name: str, fraction: float, plan: Plan) -> None:
    """Add a suggested plan as a new named plan, and make it the active one."""
    ss = st.session_state
    new = _unique_name(f"Suggested: {name}")
    entry = _new_plan(
        f"suggested {name} plan: aims at {100 * fraction:.0f}% of the muscle-driven asymmetry",
        _site_rows_from_plan(plan),
    )
    entry.update(product=plan.product, dilution=plan.dilution_ml_per_100u)
    ss.plans[new] = entry
    ss.active_plan = new


def _suggested_table(sug: Suggestions) -> pd.DataFrame:
    """Before and each alternative's predicted left - right (median, p10 to p90), for the
    measurements that are asymmetric or that a plan changes (the CLI's rule)."""
    first = sug[0]
    row = {"Measurement": "Symmetry index (mm)", "Before": round(first.symmetry_index_before, 1)}
    for sp in sug:
        si = sp.symmetry_index
        row[sp.name.capitalize()] = f"{si.median:.1f} ({si.p10:.1f} to {si.p90:.1f})"
    rows = [row]
    for n, d in first.predicted.items():
        changes = [abs(sp.predicted[n].after.median - d.before) >= 0.2 for sp in sug]
        if abs(d.before) >= 0.5 or any(changes):
            label = f"{LABELS[n]} ({_unit(n)})" + (f", day {d.day:g}" if d.day != 14 else "")
            row = {"Measurement": label, "Before": round(d.before, 1)}
            for sp in sug:
                row[sp.name.capitalize()] = _rng(sp.predicted[n].after)
            rows.append(row)
    return pd.DataFrame(rows)


def suggest_section(study_key: str, subject: Any, study: Study, att: Attribution) -> None:
    ss = st.session_state
    with st.container(border=True):
        st.markdown("#### Suggest a plan")
        st.caption(
            "The smallest plans over the standard sites that balance the muscle-driven part of the "
            "asymmetry at day 14 (masseter: week 12), never over-correcting at the pessimistic end "
            "of the range and never lowering a low brow. Use one to copy it into the editor, then "
            "change it like any plan."
        )
        products = list(pharmacology.PRODUCTS)
        active = ss.plans[ss.active_plan]["product"]
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
            on_click=_request_suggestions,
            args=(study_key,),
        )
        req, sug = _current_suggestions(study_key, subject, study, att)
        if req is None:
            return
        if sug is None:
            st.caption("The photos changed since the last suggestion: suggest again.")
            return
        brand = pharmacology.product_info(req["product"])["brand"]
        limit = "" if req["max_units"] is None else f", at most {req['max_units']:g} U"
        st.caption(f"For {brand} ({req['product']}){limit}.")
        if not sug:
            st.info(f"No plan: {sug.reason}.", icon=":material/info:")
            return
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
                    on_click=_use_suggestion,
                    args=(sp.name, sp.fraction, sp.plan),
                    width="stretch",
                    help="Add it as a new plan (editable, in Compare) and make it active",
                )
        st.markdown(
            "**Predicted left − right at day 14** (median, p10 to p90; masseter width at week 12)"
        )
        st.dataframe(_suggested_table(sug), hide_index=True, width="stretch", key="sug_table")


def _unique_name(base: str) -> str:
    names = st.session_state.plans
    if base not in names:
        return base
    k = 2
    while f"{base} ({k})" in names:
        k += 1
    return f"{base} ({k})"


def _predictions(
    subject_key: str, subject: Any, entry: dict[str, Any], day: float, expression: str
) -> tuple[Any, Any, Plan | None]:
    plan, error, _ = _parsed(entry)
    if plan is None:
        return None, None, None
    pj = _plan_json(plan)
    timeline = _predict(subject_key, pj, TIMELINE_DAYS, expression, 100, subject)
    at_day = _predict(subject_key, pj, (float(day),), expression, 200, subject)
    return timeline, at_day, plan


def _points_key(points: np.ndarray | None) -> str:
    if points is None:
        return ""
    return hashlib.sha1(np.round(points, 2).tobytes()).hexdigest()


def _injection_points(plan: Plan, vertices: np.ndarray) -> np.ndarray | None:
    if plan is None or not plan.injections:
        return None
    return np.array([inj.position(vertices) for inj in plan.injections])


def _timeline_chart(timelines: dict[str, Any], metric: str, rest: Analysis) -> go.Figure:
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
        title=f"{LABELS[metric]}: left − right ({_unit(metric)})",
        xaxis_title="day after injection",
        yaxis_title=f"difference ({_unit(metric)})",
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def _effect_chart(tl: Any) -> go.Figure:
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
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def _after_views(
    rest: Analysis,
    tl: Any,
    at: Any,
    plan: Plan,
    day: float,
    expr: str,
    *,
    heat: bool = True,
    show_pts: bool = True,
    az: float = 0.0,
    muscles: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The predicted 3D face and the predicted photo of one plan at one day (both cached, so
    the plan preview and the prediction tab share them)."""
    skey = rest.image.sha256
    disp = at.displacement_mm[0]
    clim = (0.0, max(1.0, float(np.linalg.norm(tl.displacement_mm, axis=2).max())))
    pj = _plan_json(plan)
    after3d = _render(
        f"{skey}|after|{pj}|{day}|{expr}|{heat}|{show_pts}|{az}|{muscles}",
        at.vertices_mm[0],
        rest,
        np.linalg.norm(disp, axis=1) if heat else None,
        _injection_points(plan, at.vertices_mm[0]) if show_pts else None,
        clim,
        az,
        _muscle_lines(at.vertices_mm[0], at.inhibition[0]) if muscles else None,
    )
    return after3d, _warp(f"{skey}|{pj}|{day}|{expr}", rest, disp)


def prediction_section(
    rest_p: dict[str, Any], rest: Analysis, subject: Any, day: float, expr: str
) -> None:
    ss = st.session_state
    name = ss.active_plan
    entry = ss.plans[name]
    skey = rest.image.sha256
    tl, at, plan = _predictions(skey, subject, entry, day, expr)
    st.subheader(f"Prediction: {name} · day {day:g} · {EXPRESSION_LABELS[expr]}")
    if at is None:
        st.error("Fix the plan (see the Plan tab) to see its prediction.", icon=":material/error:")
        return
    o1, o2, o5, o3, o4 = st.columns(5)
    heat = o1.toggle("Heat map (mm)", value=True, key="opt_heat")
    show_pts = o2.toggle("Injection points", value=True, key="opt_points")
    show_muscles = o5.toggle(
        "Muscles",
        value=False,
        key="opt_muscles",
        help="Each muscle's line of pull; after treatment coloured from blue (working) to red "
        "(blocked) by the predicted inhibition at this day.",
    )
    oblique = o3.toggle("Three-quarter view", value=False, key="opt_oblique")
    diff_overlay = o4.toggle("Photo difference", value=False, key="opt_diff")
    az = 25.0 if oblique else 0.0

    mag = np.linalg.norm(at.displacement_mm[0], axis=1)
    pts_before = _injection_points(plan, rest.mesh.vertices_mm) if show_pts else None
    with st.spinner("Drawing the face…"):
        before3d = _render(
            f"{rest.image.sha256}|before|{_points_key(pts_before)}|{az}|{show_muscles}",
            rest.mesh.vertices_mm,
            rest,
            None,
            pts_before,
            None,
            az,
            _muscle_lines(rest.mesh.vertices_mm, None) if show_muscles else None,
        )
        after3d, warped = _after_views(
            rest, tl, at, plan, day, expr, heat=heat, show_pts=show_pts, az=az, muscles=show_muscles
        )
    shown_after = difference_overlay(rest.image.rgb, warped) if diff_overlay else warped
    b, a = st.columns(2)
    with b:
        st.markdown("#### Before")
        st.image(before3d, caption="3D face (photo-textured mesh)", width="stretch")
        st.image(_face_crop(rest.image.rgb, rest), caption="Photo", width="stretch")
    with a:
        st.markdown(f"#### After · day {day:g}")
        st.image(
            after3d,
            caption="Predicted 3D face" + (", heat map = displacement (mm)" if heat else ""),
            width="stretch",
        )
        st.image(
            _face_crop(shown_after, rest),
            caption="Predicted photo (original warped by the predicted movement)"
            + (", changes in magenta" if diff_overlay else ""),
            width="stretch",
        )
    st.caption(f"Largest predicted skin movement at day {day:g}: {mag.max():.1f} mm.")

    st.markdown("#### Predicted measurements at this day")
    rows = []
    for n in METRIC_NAMES:
        mr = at.metrics[0][n]
        before = rest.metrics[n]
        if n == "symmetry_index_mm":
            rows.append(
                {
                    "Measurement": LABELS[n],
                    "Before L−R": None,
                    "Predicted L−R (p10 to p90)": f"{mr.left.median:.1f} (index)",
                    "Left": f"{mr.left.median:.1f}",
                    "Right": f"{mr.right.median:.1f}",
                    "Visible": "",
                }
            )
            continue
        rows.append(
            {
                "Measurement": LABELS[n],
                "Before L−R": _r1(before.diff),
                "Predicted L−R (p10 to p90)": _rng(mr.diff),
                "Left": f"{mr.left.median:.1f} ({mr.left.p10:.1f}–{mr.left.p90:.1f})",
                "Right": f"{mr.right.median:.1f} ({mr.right.p10:.1f}–{mr.right.p90:.1f})",
                "Visible": "● visible" if mr.visible else "not visible",
            }
        )
    st.dataframe(
        _highlight(pd.DataFrame(rows)),
        hide_index=True,
        width="stretch",
        height=_rows_height(rows),
        key="pred_table",
    )
    if at.warnings:
        for w in at.warnings:
            st.warning(w.message, icon=":material/warning:")
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(_effect_chart(tl), width="stretch", key="effect_chart")
    with c2:
        changed = sorted(
            (n for n in METRIC_NAMES if n != "symmetry_index_mm"),
            key=lambda n: -abs(tl.metrics[tl.at(14)][n].diff.median - rest.metrics[n].diff),
        )
        metric = st.selectbox(
            "Measurement over time", changed, format_func=LABELS.get, key="timeline_metric"
        )
        st.plotly_chart(
            _timeline_chart({name: tl}, metric, rest), width="stretch", key="metric_chart"
        )

    st.markdown("#### Downloads")
    d1, d2, d3 = st.columns(3)
    d1.download_button(  # encoded on click: 0.2 s that should not delay every rerun
        "Before/after image (PNG, no metadata)",
        lambda: encode_png(
            grid(
                [[_face_crop(rest.image.rgb, rest), _face_crop(warped, rest)], [before3d, after3d]]
            )
        ),
        file_name=f"before_after_day{day:g}.png",
        mime="image/png",
        key="dl_png",
    )
    d2.download_button(
        "Measurements (CSV)",
        _measurements_csv(rest, at, name, day),
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
    with st.expander("What the model cannot know", expanded=False):
        st.markdown(LIMITS)


def _measurements_csv(rest: Analysis, at: Any, plan_name: str, day: float) -> str:
    rows = []
    for n in METRIC_NAMES:
        m, p = rest.metrics[n], at.metrics[0][n]
        rows.append(
            {
                "metric": n,
                "unit": _unit(n),
                "before_left": round(m.left, 3),
                "before_right": round(m.right, 3),
                "before_diff": round(m.diff, 3),
                "threshold": VISIBILITY_MM[n],
                "plan": plan_name,
                "day": day,
                "predicted_diff_median": round(p.diff.median, 3),
                "predicted_diff_p10": round(p.diff.p10, 3),
                "predicted_diff_p90": round(p.diff.p90, 3),
                "predicted_visible": p.visible,
            }
        )
    buf = io.StringIO()
    pd.DataFrame(rows).to_csv(buf, index=False)
    return buf.getvalue()


def compare_section(rest: Analysis, subject: Any, day: float, expr: str) -> None:
    ss = st.session_state
    names = list(ss.plans)
    st.subheader(f"Compare plans · day {day:g}")
    if len(names) < 2:
        st.info("Create a second plan (sidebar: New plan or Duplicate) to compare plans.")
    chosen = st.multiselect(
        "Plans to compare (up to 3)",
        names,
        default=names[-3:],
        max_selections=3,
        key="compare_sel_" + hashlib.sha1("|".join(names).encode()).hexdigest()[:8],
    )
    results = {}
    for n in chosen:
        tl, at, plan = _predictions(rest.image.sha256, subject, ss.plans[n], day, expr)
        if at is None:
            st.error(
                f"{n}: the plan has an error; fix it in the Plan tab.", icon=":material/error:"
            )
            continue
        results[n] = (tl, at, plan)
    if not results:
        return
    summary = []
    for n, (_tl, at, plan) in results.items():
        m = at.metrics[0]
        visible = [LABELS[k] for k in METRIC_NAMES if m[k].visible]
        worst = max(
            (k for k in METRIC_NAMES if VISIBILITY_MM[k]),
            key=lambda k: abs(m[k].diff.median) / VISIBILITY_MM[k],
        )
        tot = plan.total_units()
        summary.append(
            {
                "Plan": n,
                "Product": plan.product,
                "Total units (product)": round(tot["product"], 1),
                "Total units (ona-equivalent)": round(tot["ona"], 1),
                "Symmetry index (mm)": round(m["symmetry_index_mm"].left.median, 2),
                "Visible asymmetries": len(visible),
                "Largest residual": f"{LABELS[worst]}: {_rng(m[worst].diff)} {_unit(worst)}",
                "Warnings": len(at.warnings),
            }
        )
    before = {
        "Plan": "(before)",
        "Product": "",
        "Total units (product)": 0.0,
        "Total units (ona-equivalent)": 0.0,
        "Symmetry index (mm)": round(rest.metrics["symmetry_index_mm"].left, 2),
        "Visible asymmetries": sum(m.visible for m in rest.metrics.values()),
        "Largest residual": "",
        "Warnings": 0,
    }
    st.dataframe(
        pd.DataFrame([before, *summary]),
        hide_index=True,
        width="stretch",
        key="cmp_summary",
    )
    rows = []
    for k in METRIC_NAMES:
        if k == "symmetry_index_mm":
            continue
        row = {"Measurement": LABELS[k], "Before L−R": _r1(rest.metrics[k].diff)}
        for n, (_tl, at, _p) in results.items():
            mr = at.metrics[0][k]
            row[n] = _rng(mr.diff) + (" ●" if mr.visible else "")
        rows.append(row)
    st.markdown("**Predicted left − right at this day** (median, p10 to p90; ● = visible)")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="cmp_metrics")
    cols = st.columns(len(results))
    for col, (n, (_tl, at, plan)) in zip(cols, results.items(), strict=True):
        with col:
            pj = _plan_json(plan)
            img = _warp(f"{rest.image.sha256}|{pj}|{day}|{expr}", rest, at.displacement_mm[0])
            st.image(
                _face_crop(img, rest), caption=f"{n}: predicted photo, day {day:g}", width="stretch"
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
        _timeline_chart({n: r[0] for n, r in results.items()}, metric, rest),
        width="stretch",
        key="cmp_chart",
    )


def _dates(start: dt.date, days: Any) -> list[dt.date]:
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


_INJECTION_WARNING = re.compile(
    r"^injection \d+ \((?P<what>.+), day (?P<day>[\d.]+)\): (?P<why>.+)$"
)


def _grouped_warnings(messages: list[str]) -> list[str]:
    """One line per problem: a plan repeated at every visit would repeat its warnings."""
    days: dict[tuple[str, str], list[str]] = {}
    order: list[str | tuple[str, str]] = []
    for m in messages:
        hit = _INJECTION_WARNING.match(m)
        if hit is None:
            order.append(m)
            continue
        key = (hit["what"], hit["why"])
        if key not in days:
            days[key] = []
            order.append(key)
        days[key].append(hit["day"])
    out = []
    for item in order:
        if isinstance(item, str):
            out.append(item)
        else:
            d = days[item]
            out.append(f"{item[0]} (day{'s' if len(d) > 1 else ''} {', '.join(d)}): {item[1]}")
    return out


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


def _schedule_charts(sched: Schedule, rest: Analysis, metrics: list[str]) -> tuple[Any, Any]:
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
        _band_traces(
            lr, x, sched.metrics[n], f"{LABELS[n]} ({_unit(n)})", COLOURS[k % len(COLOURS)]
        )
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


def schedule_section(
    rest: Analysis, subject: Any, study_key: str, study: Study, att: Attribution
) -> None:
    ss = st.session_state
    _req, sug = _current_suggestions(study_key, subject, study, att)
    options: dict[str, Plan | None] = {}
    for n, entry in ss.plans.items():
        options[n] = _parsed(entry)[0]
    for sp in sug or []:
        options[f"Suggestion: {sp.name} (not yet a plan)"] = sp.plan
    names = list(options)
    c1, c2, c3 = st.columns([3, 2, 2])
    chosen = c1.selectbox(
        "Schedule for",
        names,
        index=names.index(ss.active_plan),
        key="sched_for_"
        + hashlib.sha1("|".join([ss.active_plan, *names]).encode()).hexdigest()[:8],
    )
    start = c2.date_input("First session", value=dt.date.today(), key="sched_start")
    event = c3.date_input(
        "Event date (optional)",
        value=None,
        key="sched_event",
        help="A wedding, a photo shoot…: gives the latest date for the session before it.",
    )
    st.subheader(f"12 months: {chosen}")
    plan = options[chosen]
    if plan is None:
        st.error("This plan has an error: fix it in the Plan tab.", icon=":material/error:")
        return
    if not plan.injections:
        st.info("Add injections to this plan to see its visits over the year.")
        return
    try:
        with st.spinner("Predicting the year…"):
            sched = _schedule(study_key, _plan_json(plan), event, start, subject, att)
    except SymmetryStudioError as err:
        st.error(str(err), icon=":material/error:")
        return
    if sched.event_date is not None and sched.latest_session_date is not None:
        lead = (sched.event_date - sched.latest_session_date).days
        if sched.latest_session_date < sched.start:
            st.warning(
                f"Event on {sched.event_date:%a %d %b %Y}: a session should be {lead // 7} weeks "
                f"ahead, by {sched.latest_session_date:%a %d %b %Y}, before this first session: "
                "the effect may not have settled by the day.",
                icon=":material/event_busy:",
            )
        else:
            st.info(
                f"Event on {sched.event_date:%a %d %b %Y}: the latest session before it is "
                f"**{sched.latest_session_date:%a %d %b %Y}** ({lead // 7} weeks ahead, so the "
                "effect has settled by the day).",
                icon=":material/event:",
            )
    unit = pharmacology.product_info(plan.product)["brand"]
    rows = [
        {
            "Day": v.day,
            "Date": f"{v.date:%a %d %b %Y}",
            "Visit": v.kind,
            "Injections": ", ".join(f"{i.site_id} {i.units:g} U" for i in v.injections)
            or "— (review only)",
            f"Total ({unit} U)": f"{sum(i.units for i in v.injections):g}",
            "Note": v.note,
        }
        for v in sched.visits
    ]
    df = pd.DataFrame(rows)
    if not df["Note"].astype(bool).any():
        df = df.drop(columns="Note")
    st.table(df, hide_index=True)  # a short list whose injections should read in full
    for n in sched.notes:
        st.caption(f"Note: {n}")
    changed = [
        n
        for n in KEY_METRICS
        if abs(rest.metrics[n].diff) >= 0.5
        or np.abs(sched.metrics[n]["median"] - rest.metrics[n].diff).max() >= 0.2
    ]
    metrics = st.multiselect(
        "Measurements in the chart",
        list(KEY_METRICS),
        default=changed or list(KEY_METRICS[:3]),
        format_func=LABELS.get,
        key="sched_metrics",
    )
    si_fig, lr_fig = _schedule_charts(sched, rest, metrics)
    g1, g2 = st.columns(2)
    g1.plotly_chart(si_fig, width="stretch", key="sched_si_chart")
    g2.plotly_chart(lr_fig, width="stretch", key="sched_lr_chart")
    st.caption("Dotted lines: sessions; red line: the event date.")
    for message in _grouped_warnings([w.message for w in sched.warnings]):
        st.warning(message, icon=":material/warning:")
    st.caption(
        "Maintenance when the predicted effect has halved (12–16 weeks; masseter: three cycles "
        "10–12 weeks apart, then twice a year). A prediction, not a promise: how long toxin lasts "
        "varies from person to person, and the review at 2 weeks decides the top-up."
    )


def sidebar() -> tuple[float, str]:
    ss = st.session_state
    with st.sidebar:
        st.title("Symmetry Studio")
        st.caption("Predict what a toxin plan is likely to do to an asymmetric face.")
        names = list(ss.plans)
        ss.active_plan = st.selectbox(
            "Active plan",
            names,
            index=names.index(ss.active_plan),
            key=f"active_{len(names)}_{ss.active_plan}",
        )
        b1, b2, b3 = st.columns(3)
        if b1.button("New", key="plan_new", help="A new empty plan"):
            n = _unique_name(f"Plan {chr(ord('A') + len(names))}")
            ss.plans[n] = _new_plan()
            ss.active_plan = n
            st.rerun()
        if b2.button("Copy", key="plan_dup", help="A copy of the active plan to vary"):
            src = ss.plans[ss.active_plan]
            n = _unique_name(f"{ss.active_plan} copy")
            ss.plans[n] = {**src, "rows": [dict(r) for r in src["rows"]], "v": 0}
            ss.active_plan = n
            st.rerun()
        if b3.button("Delete", key="plan_del", disabled=len(names) == 1):
            del ss.plans[ss.active_plan]
            ss.active_plan = next(iter(ss.plans))
            st.rerun()
        st.divider()
        day = st.slider("Day after injection", 0, 180, 14, 1, key="day")
        expr = st.selectbox(
            "Expression to predict", EXPRESSIONS, format_func=EXPRESSION_LABELS.get, key="pred_expr"
        )
        st.divider()
        st.caption(
            "A prediction, not a promise: every figure has a range. Static asymmetry (volume, "
            "skeleton, laxity) is not treatable by toxin, and a weak side cannot be lifted."
        )
    return float(day), expr


def _keep_hidden_widget_state() -> None:
    """Only the open tab is drawn, and Streamlit forgets the value of a widget that a run does
    not draw: carry the other tabs' settings over as plain state. (Not for the open tab:
    Streamlit warns when a drawn widget's value was also set by code.)"""
    ss = st.session_state
    open_tab = ss.get("main_tab", TABS[0])
    for tab, prefixes in KEEP_WHILE_HIDDEN.items():
        if tab != open_tab:
            for k in [k for k in ss if isinstance(k, str) and k.startswith(prefixes)]:
                ss[k] = ss[k]


def main() -> None:
    st.set_page_config(page_title="Symmetry Studio", page_icon="🪞", layout="wide")
    _init_state()
    _keep_hidden_widget_state()
    ss = st.session_state
    day, expr = sidebar()
    # Lazy tabs: a run draws only the open tab, so an edit or a first view does not wait for
    # the other five (each tab switch is a rerun on cached results).
    tabs = st.tabs(TABS, key="main_tab", on_change="rerun")
    photos, analysis, plan, prediction, compare, year, limits = tabs
    here = next((t for t in tabs if t.open), photos)
    if limits.open:
        with limits:
            st.markdown(LIMITS)
        return
    if photos.open:
        with photos:
            photos_section()
    found = _subject_photo()
    if isinstance(found, SymmetryStudioError):
        if not photos.open:  # the Photos tab shows each photo's own problem
            with here:
                st.error(f"No analysable photo: {found}", icon=":material/error:")
        return
    rest_p, rest = found
    if analysis.open:
        with analysis:
            analysis_section(rest)
    try:
        with here, st.spinner("Building the tissue model of this face (once per photo)…"):
            subject = _subject(rest.image.sha256, rest)
        study_key, study = _study(rest_p, rest)
        att = _attribution(study_key, subject, study)
        entry = ss.plans[ss.active_plan]
        _tl, at, _plan = _predictions(rest.image.sha256, subject, entry, day, expr)
    except SymmetryStudioError as err:
        if not photos.open:  # the Photos tab reports its own problems
            with here:
                st.error(str(err), icon=":material/error:")
        return
    if photos.open:  # the model above is now ready for the first look at the prediction
        return
    with here:
        try:
            if analysis.open:
                attribution_section(att)
            elif plan.open:
                try:
                    suggest_section(study_key, subject, study, att)
                except SymmetryStudioError as err:  # the plan editor still works
                    st.error(str(err), icon=":material/error:")
                plan_section(at, rest, subject, day, expr)
            elif prediction.open:
                prediction_section(rest_p, rest, subject, day, expr)
            elif compare.open:
                compare_section(rest, subject, day, expr)
            elif year.open:
                schedule_section(rest, subject, study_key, study, att)
        except SymmetryStudioError as err:
            st.error(str(err), icon=":material/error:")


def _warm_up() -> None:
    """Load the landmark model and start VTK; a failure is reported when the app needs them."""
    for step in (get_landmarker, warm_up):
        with contextlib.suppress(Exception):
            step()


def serve(options: list[str]) -> None:
    """`python streamlit_app.py [streamlit options]` (what `make run` does): the dashboard, with
    the landmark model and the 3D renderer loading while the server starts, so the first
    visitor does not wait for them (~2.5 s). `streamlit run streamlit_app.py` works too."""
    from streamlit.web import cli

    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", __file__, *options]
    cli.main()


if __name__ == "__main__" and not st.runtime.exists():
    serve(sys.argv[1:])
else:
    main()
