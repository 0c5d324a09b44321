"""Photos page: upload, camera or demo photo, each with its expression label, pose, scale and
quality check."""

from __future__ import annotations

import streamlit as st

from simulation.analysis import EXPRESSIONS
from simulation.errors import SymmetryStudioError
from simulation.views import classify_view, compare_conditions, photo_conditions

from .. import cache, state
from ..components import EXPRESSION_LABELS, face_crop
from .video import video_panel

__all__ = ["add_photo", "photos_page"]


def add_photo(
    name: str,
    data: bytes,
    mirrored: bool,
    expression: str | None = None,
    rest_frames: list[bytes] | None = None,
) -> None:
    """Analyse a new photo; on success add it (replacing the demo), on failure keep everything
    and remember the one-line message for the uploader. `rest_frames` (a video's rest frames,
    `data` the middle one) make a rest measured from all of them combined."""
    photos = state.photos()
    used = {p["expression"] for p in photos if p["id"] != "demo"}
    if expression is None:
        expression = next((e for e in EXPRESSIONS if e not in used), "rest")
    entry: state.PhotoEntry = {
        "id": "",
        "name": name,
        "data": data,
        "mirrored": mirrored,
        "expression": expression,
    }
    if rest_frames:
        entry["rest_frames"] = list(rest_frames)
    try:
        cache.photo_analysis(entry)
    except SymmetryStudioError as err:
        state.set_photo_error(f"{name}: {err}")
        return
    state.set_photo_error(None)
    replaces_demo = any(p["id"] == "demo" for p in photos)
    kept = [p for p in photos if p["id"] != "demo"]
    entry["id"] = state.new_photo_id()
    kept.append(entry)
    state.set_photos(kept)
    if replaces_demo:
        state.start_patient()


def _sources() -> None:
    """The uploader, the camera and the demo button."""
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
            if state.first_time(f.file_id):
                with st.spinner(f"Analysing {f.name}…"):
                    add_photo(f.name, f.getvalue(), mirrored)
        if state.photo_error():
            st.error(state.photo_error(), icon=":material/error:")
        if state.plan_note():
            st.info(state.plan_note(), icon=":material/info:")
    with c2:
        with st.expander("Take a photo with the camera"):
            shot = st.camera_input("Face the camera, neutral expression", key="camera")
            if shot is not None and state.first_time(shot.file_id):
                add_photo("camera photo", shot.getvalue(), mirrored)
        if not any(p["id"] == "demo" for p in state.photos()) and st.button(
            "Use the demo face instead", key="use_demo"
        ):
            state.set_photos([state.demo_photo()])
            state.set_photo_error(None)
            state.set_plan_note(None)
            st.rerun()


def _photo_card(p: state.PhotoEntry) -> None:
    """One photo: its expression and mirror settings, pose, scale, quality and landmarks."""
    photos = state.photos()
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
        if e3.button("Remove", key=f"rm_{p['id']}", disabled=len(photos) == 1):
            state.set_photos([q for q in photos if q["id"] != p["id"]])
            st.rerun()
        if new_mirror != p["mirrored"]:
            p["mirrored"] = new_mirror
        try:
            with st.spinner("Finding the face…"):
                a = cache.photo_analysis(p)
        except SymmetryStudioError as err:
            st.error(str(err), icon=":material/error:")
            return
        pose = a.pose
        view = classify_view(pose)
        st.markdown(
            f"View: **{view.label}** · pose: yaw {pose.yaw:+.1f}°, pitch {pose.pitch:+.1f}°, "
            f"roll {pose.roll:+.1f}°  \n"
            f"Scale: {a.mm_per_px:.3f} mm/px ({a.scale_source.replace('_', ' ')}), "
            f"photo {a.image.rgb.shape[1]}×{a.image.rgb.shape[0]} px"
        )
        frames = p.get("rest_frames")
        if frames and p["expression"] == "rest":
            st.caption(
                f"Rest measured from {len(frames)} video frames combined (this one shown): "
                "a smaller ± than one photo's."
            )
        notes = [*a.warnings, *view.warnings, *_against_first_of_view(p, view.view)]
        if view.view != "front":
            st.info(
                f"A {view.label} view: kept for looking; measurements come from the front view.",
                icon=":material/info:",
            )
        if notes:
            for w in notes:
                st.warning(w.message, icon=":material/warning:")
        else:
            st.success("Quality check passed: frontal, sharp enough, scale found.")
    with a_col:
        st.image(
            face_crop(cache.overlay(a), a, 0.2),
            caption="Landmarks (cyan), irises (pink), measuring frame",
            width="stretch",
        )


def _against_first_of_view(p: state.PhotoEntry, view: str) -> list:
    """Lighting and distance differences from the first photo of the same view (if another)."""
    for q in state.photos():
        if q["id"] == p["id"]:
            return []
        try:
            other, mine = cache.photo_analysis(q), cache.photo_analysis(p)
        except SymmetryStudioError:
            continue
        if classify_view(other.pose).view == view:
            return compare_conditions(
                photo_conditions(other.image.rgb, other.landmarks_px),
                photo_conditions(mine.image.rgb, mine.landmarks_px),
                view,
            )
    return []


def photos_page() -> None:
    """The Photos tab."""
    st.subheader("Photos of one person")
    st.caption(
        "Upload one or several photos (label each with its expression), take one with the "
        "camera, or keep the demo face. Photos stay in this browser session's memory only."
    )
    _sources()
    video_panel(add_photo)
    for p in list(state.photos()):
        with st.container(border=True):
            _photo_card(p)
