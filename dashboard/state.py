"""What one browser session holds, typed: the photos, the named plans and the active plan.

Pages read and write the session through these accessors instead of raw `st.session_state`
keys; the entries stay plain dicts (TypedDicts) so Streamlit can keep them in session state."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

import streamlit as st

__all__ = [
    "DEMO",
    "DEMO_NAME",
    "DEMO_PLAN_NAME",
    "PhotoEntry",
    "PlanEntry",
    "Row",
    "active_entry",
    "active_name",
    "demo_photo",
    "first_time",
    "init_state",
    "new_photo_id",
    "new_plan",
    "patient_response",
    "photo_error",
    "photos",
    "plan_error",
    "plan_note",
    "plans",
    "set_active",
    "set_photo_error",
    "set_photos",
    "set_plan_error",
    "set_patient_response",
    "set_plan_note",
    "start_patient",
    "unique_name",
]

DEMO = Path(__file__).resolve().parent.parent / "simulation" / "demo" / "grace_hopper.jpg"
DEMO_NAME = "Demo face (Grace Hopper, public domain)"
DEMO_PLAN_NAME = "Demo plan (for the demo face)"

Row = dict[str, Any]
"""One editor row: `site` (a standard site id or a `plan_table.point_key`), `units`, `day`."""


class PhotoEntry(TypedDict):
    """One uploaded (or the demo) photo, kept as its bytes; its analysis is cached by content.
    A video's rest also keeps its rest frames (`data` is the middle one, shown): as a rest it
    is measured from all of them combined, with their smaller ±."""

    id: str
    name: str
    data: bytes
    mirrored: bool
    expression: str
    rest_frames: NotRequired[list[bytes]]


class PlanEntry(TypedDict):
    """One named plan as the editor holds it; `v` changes whenever the rows change from code,
    so the widgets that show them get new keys."""

    product: str
    dilution: float
    rows: list[Row]
    label: str
    notes: str
    v: int


def new_plan(label: str = "", rows: list[Row] | None = None) -> PlanEntry:
    """An empty (or pre-filled) plan in onabotulinumtoxinA at 2.5 ml per 100 U."""
    return {
        "product": "onabotulinumtoxinA",
        "dilution": 2.5,
        "rows": rows or [],
        "label": label,
        "notes": "",
        "v": 0,
    }


def demo_photo() -> PhotoEntry:
    """The public-domain demo face, shown until a photo is uploaded."""
    return {
        "id": "demo",
        "name": DEMO_NAME,
        "data": DEMO.read_bytes(),
        "mirrored": False,
        "expression": "rest",
    }


def _demo_plan() -> PlanEntry:
    """The conservative plan that `suggest` proposes for the demo face (hard-coded so the first
    view does not wait for the search; a test keeps it equal): relax the right corrugator so
    the lower right brow can rise, and a little right lateral frontalis."""
    return new_plan(
        "demo: the conservative suggestion for this face",
        [
            {"site": "corrugator_medial_right", "units": 1.5, "day": 0.0},
            {"site": "frontalis_lateral_right", "units": 0.5, "day": 0.0},
        ],
    )


def init_state() -> None:
    """The first run of a session: the demo photo and its starter plan."""
    ss = st.session_state
    if "photos" in ss:
        return
    ss.photos = [demo_photo()]
    ss.next_photo = 1
    ss.seen_uploads = set()
    ss.photo_error = None
    ss.plans = {"Plan A": _demo_plan()}
    ss.active_plan = "Plan A"
    ss.plan_error = None
    ss.plan_note = None


def _untouched(entry: PlanEntry) -> bool:
    """Whether a plan is still the demo's starter plan exactly as the session began."""
    demo = _demo_plan()
    fields = ("product", "dilution", "rows", "label", "notes")
    return all(entry[f] == demo[f] for f in fields)  # type: ignore[literal-required]


def start_patient() -> None:
    """The first real photo replaced the demo face: the demo's starter plan was for the demo
    face, so the patient starts on an empty active plan. An untouched starter plan goes; an
    edited one (and every other plan) is kept, the starter renamed DEMO_PLAN_NAME."""
    ss = st.session_state
    old = plans()
    start = old.get("Plan A")
    kept = {n: e for n, e in old.items() if n != "Plan A"}
    if start is not None and not _untouched(start):
        kept = {unique_name(DEMO_PLAN_NAME): start, **kept}
    fresh = new_plan()
    fresh["v"] = (start["v"] + 1) if start is not None else 0  # new widget keys
    ss.plans = {"Plan A": fresh, **kept}
    ss.active_plan = "Plan A"
    note = "New patient photo: Plan A starts empty (the starter plan was for the demo face)"
    if start is not None and not _untouched(start):
        note += f"; your edited demo plan is kept as “{DEMO_PLAN_NAME}”"
    ss.plan_note = note + ". Add injections, or press Suggest plans for this face's own."


def plan_note() -> str | None:
    """The one-line note on what happened to the plans when the patient's photo came in."""
    return st.session_state.get("plan_note")


def set_plan_note(message: str | None) -> None:
    """Set (or clear) the note on the plans shown on the Photos and Plan pages."""
    st.session_state.plan_note = message


def photos() -> list[PhotoEntry]:
    """The session's photos, in upload order."""
    return cast(list[PhotoEntry], st.session_state.photos)


def set_photos(entries: list[PhotoEntry]) -> None:
    """Replace the session's photos."""
    st.session_state.photos = entries


def plans() -> dict[str, PlanEntry]:
    """The session's plans by name, in creation order."""
    return cast(dict[str, PlanEntry], st.session_state.plans)


def active_name() -> str:
    """The name of the plan being edited and predicted."""
    return str(st.session_state.active_plan)


def active_entry() -> PlanEntry:
    """The plan being edited and predicted."""
    return plans()[active_name()]


def set_active(name: str) -> None:
    """Make a plan the active one."""
    st.session_state.active_plan = name


def first_time(file_id: str) -> bool:
    """Whether an uploaded file is new to this session (then it is marked as seen), so a rerun
    never adds the same upload twice."""
    seen: set[str] = st.session_state.seen_uploads
    if file_id in seen:
        return False
    seen.add(file_id)
    return True


def new_photo_id() -> str:
    """A photo id not used before in this session."""
    ss = st.session_state
    ss.next_photo += 1
    return f"p{ss.next_photo - 1}"


def photo_error() -> str | None:
    """The one-line problem of the last photo that could not be added."""
    return st.session_state.photo_error


def set_photo_error(message: str | None) -> None:
    """Remember (or clear) the last photo's problem for the uploader."""
    st.session_state.photo_error = message


def plan_error() -> str | None:
    """The one-line problem of the last plan JSON that could not be loaded."""
    return st.session_state.plan_error


def set_plan_error(message: str | None) -> None:
    """Remember (or clear) the last plan file's problem for the plan uploader."""
    st.session_state.plan_error = message


def unique_name(base: str) -> str:
    """`base`, or `base (2)`, `base (3)`… when a plan already has that name."""
    names = plans()
    if base not in names:
        return base
    k = 2
    while f"{base} ({k})" in names:
        k += 1
    return f"{base} ({k})"


def patient_response() -> tuple[str, Any] | None:
    """The recorded patient whose calibrated response the predictions use (their name and
    `calibration.PatientResponse`), or None for the model's typical patient."""
    return st.session_state.get("patient_response")


def set_patient_response(name: str | None, response: Any = None) -> None:
    """Predict with this patient's response from now on (or, with None, the model's again)."""
    st.session_state.patient_response = (name, response) if name else None
