"""The video panel of the Photos page: a clip of one movement, its rest and peak frames shown for
confirmation, per-side curves, the timing asymmetry, and the frames handed on as photos."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from simulation.analysis import EXPRESSIONS
from simulation.errors import SymmetryStudioError
from simulation.ingest import encode_png
from simulation.metrics import LABELS, Z80
from simulation.video import VideoAnalysis, analyze_video

from ..components import EXPRESSION_LABELS, face_crop

__all__ = ["curves_chart", "video_panel"]


class AddPhoto(Protocol):
    """The Photos page's `add_photo`: a frame as a photo (a rest with all its rest frames)."""

    def __call__(
        self,
        name: str,
        data: bytes,
        mirrored: bool,
        expression: str | None = None,
        rest_frames: list[bytes] | None = None,
    ) -> None: ...


_RESULT = "video_result"  # session state: (clip file id, VideoAnalysis) or an error message
_SIDE_STYLE = {"left": ("#ff7f50", "solid"), "right": ("#1982c4", "dash")}


def curves_chart(va: VideoAnalysis, measure: str) -> go.Figure:
    """One measure's per-side excursion from rest over the clip, with the rest and peak frames
    and each side's start marked."""
    curve = next(c for c in va.curves if c.measure == measure)
    t = curve.times_ms / 1000.0
    fig = go.Figure()
    for side in ("left", "right"):
        colour, dash = _SIDE_STYLE[side]
        fig.add_trace(
            go.Scatter(
                x=t,
                y=getattr(curve, side),
                name=f"patient's {side}",
                line={"color": colour, "dash": dash, "width": 2.5},
                mode="lines+markers",
                marker={"size": 4},
            )
        )
    for move in va.movements():
        for timing in move.timings:
            if timing.measure != measure:
                continue
            for side in ("left", "right"):
                onset = getattr(timing, side).onset_ms
                if onset is not None:
                    fig.add_vline(
                        x=onset / 1000.0, line={"color": _SIDE_STYLE[side][0], "dash": "dot"}
                    )
    for f in va.rest_frames:
        fig.add_vrect(
            x0=f.time_ms / 1000 - 0.02,
            x1=f.time_ms / 1000 + 0.02,
            fillcolor="#2ec4b6",
            opacity=0.35,
            line_width=0,
        )
    for p in va.peaks:
        fig.add_vrect(
            x0=p.time_ms / 1000 - 0.02,
            x1=p.time_ms / 1000 + 0.02,
            fillcolor="#f15bb5",
            opacity=0.45,
            line_width=0,
        )
    unit = "°" if measure.endswith("_deg") else "mm"
    fig.update_layout(
        title=f"{LABELS[measure]}: change from rest ({unit})",
        xaxis_title="time (s)",
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def _analyse(data: bytes, name: str, expression: str | None, mirrored: bool) -> None:
    bar = st.progress(0.0, text="Reading the clip…")
    try:
        va = analyze_video(
            data,
            name,
            expression=expression,
            mirrored=mirrored,
            progress=lambda f, text: bar.progress(min(max(f, 0.0), 1.0), text=text),
        )
    except SymmetryStudioError as err:
        st.session_state[_RESULT] = f"{name}: {err}"
        bar.empty()
        return
    bar.empty()
    st.session_state[_RESULT] = va


def _frames(va: VideoAnalysis) -> None:
    """The chosen frames, for the user to confirm."""
    chosen = [*va.rest_frames, *va.peaks]
    cols = st.columns(min(len(chosen), 6))
    for col, f in zip(cols, chosen[:6], strict=False):
        a = f.analysis
        col.image(
            face_crop(np.asarray(a.image.rgb), a, 0.15),
            caption=f"{EXPRESSION_LABELS.get(f.role, f.role)} · {f.time_ms / 1000:.2f} s",
            width="stretch",
        )


def _timing(va: VideoAnalysis) -> None:
    for p, move in zip(va.peaks, va.movements(), strict=True):
        t = va.track.times_ms
        st.markdown(
            f"**{EXPRESSION_LABELS.get(p.role, p.role)}** from {t[move.start] / 1000:.2f} s to "
            f"{t[move.end] / 1000:.2f} s, peak at {p.time_ms / 1000:.2f} s"
        )
        for timing in move.timings:
            st.markdown(f"- {timing.sentence()}")


def _rest_table(va: VideoAnalysis) -> None:
    single = va.rest_frames[len(va.rest_frames) // 2].analysis.metrics
    rows = [
        {
            "Measurement": LABELS[k],
            "Left − right": round(m.diff, 2),
            f"± ({len(va.rest_frames)} frames)": round(Z80 * m.diff_sd, 2),
            "± (one frame)": round(Z80 * single[k].diff_sd, 2),
        }
        for k, m in va.rest.metrics.items()
        if m.diff_sd > 0
    ]
    st.caption(
        f"Rest from {len(va.rest_frames)} frames combined: a steadier measurement than one "
        "photo (80% bands)."
    )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _use_frames(va: VideoAnalysis, add_photo: AddPhoto) -> None:
    """The rest (the middle rest frame shown, every rest frame measured: `combine_rest`, as
    `VideoAnalysis.study()` does) and each peak become the session's photos."""
    rest = [encode_png(np.asarray(f.analysis.image.rgb)) for f in va.rest_frames]
    middle = va.rest_frames[len(va.rest_frames) // 2].analysis.image.name
    name = f"{middle} (rest of {len(rest)} frames)" if len(rest) > 1 else middle
    add_photo(name, rest[len(rest) // 2], False, "rest", rest_frames=rest)
    for f in va.peaks:
        png = encode_png(np.asarray(f.analysis.image.rgb))
        add_photo(f.analysis.image.name, png, False, f.role)
    st.session_state.pop(_RESULT, None)
    st.rerun()


def video_panel(add_photo: AddPhoto) -> None:
    """Upload a clip, analyse it with a progress bar, show what it found; `add_photo` (the
    Photos page's) hands the chosen frames on as photos."""
    result = st.session_state.get(_RESULT)
    with st.expander("Video of a movement (rest, peak, per-side timing)", expanded=bool(result)):
        st.caption(
            "A short clip (MP4, MOV or WebM, up to 60 s) of one movement, facing the camera, "
            "starting and ending at rest. Kept in this session's memory only."
        )
        c1, c2, c3 = st.columns([3, 2, 1])
        clip = c1.file_uploader(
            "Upload a clip", type=["mp4", "mov", "webm", "m4v", "mkv", "avi"], key="video_up"
        )
        choice = c2.selectbox(
            "Movement",
            ("guess", *EXPRESSIONS[1:]),
            format_func=lambda e: "guess from the clip" if e == "guess" else EXPRESSION_LABELS[e],
            key="video_expr",
        )
        mirrored = c3.toggle("Selfie", key="video_mirror", help="the clip is mirrored")
        if clip is not None and st.button("Analyse the clip", key="video_go", type="primary"):
            _analyse(clip.getvalue(), clip.name, None if choice == "guess" else choice, mirrored)
            result = st.session_state.get(_RESULT)
        if isinstance(result, str):
            st.error(result, icon=":material/error:")
            return
        if result is None:
            return
        va: VideoAnalysis = result
        info = va.track.info
        st.markdown(
            f"**{info.name}**: {info.duration_s:.1f} s at {info.fps:.0f} fps, "
            f"{len(va.track.samples)} frames measured"
        )
        for w in va.warnings:
            st.warning(w.message, icon=":material/warning:")
        _frames(va)
        _timing(va)
        moving = [t.measure for m in va.movements() for t in m.timings] or [va.curves[0].measure]
        measure = st.selectbox(
            "Curve", list(dict.fromkeys(moving)), format_func=LABELS.get, key="video_curve"
        )
        st.plotly_chart(curves_chart(va, measure), key="video_chart")
        _rest_table(va)
        if st.button(
            "Use the rest and peak frames as photos", key="video_use", disabled=not va.peaks
        ):
            _use_frames(va, add_photo)
