"""A clip of a movement, analysed: tracked, its curves, rest and peaks found, the chosen frames
refined and measured like photos, and a study built from them.

bytes or path -> `track_clip` (VIDEO-mode landmarks, sampled) -> `measure_frames` (per-side
curves) -> `find_events` (rest, movements, timing) -> the chosen frames decoded again and
analysed as photos -> `combine_rest` -> `VideoAnalysis.study()` for the model.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis import EXPRESSIONS, Analysis, Study, analyze_image
from ..errors import InputError, Notice, SymmetryStudioError
from ..ingest import LoadedImage
from ..study import assemble_study
from .curves import (
    CURVE_MEASURES,
    Curve,
    inter_pupil_px,
    landmark_iris_mm_per_px,
    measure_frames,
    smooth,
)
from .decode import Source, iter_frames
from .events import Events, Movement, SideTiming, find_events
from .rest import combine_rest
from .track import SAMPLE_FPS, Progress, Track, track_clip

__all__ = ["VIDEO_SCHEMA", "ChosenFrame", "VideoAnalysis", "analyze_video"]

VIDEO_SCHEMA = "symmetry-studio/video/1"


@dataclass(frozen=True)
class ChosenFrame:
    """A frame the clip gives the study: its role ("rest" or an expression), where it is, and
    its analysis as a photo."""

    role: str
    index: int
    time_ms: float
    analysis: Analysis

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "frame": self.index, "t_ms": round(self.time_ms, 1)}


@dataclass(frozen=True)
class VideoAnalysis:
    """Everything read from one clip."""

    track: Track
    events: Events
    curves: tuple[Curve, ...]
    rest_frames: tuple[ChosenFrame, ...]
    rest: Analysis  # the rest frames combined
    peaks: tuple[ChosenFrame, ...]  # one per movement, in time order
    warnings: tuple[Notice, ...]

    def study(self) -> Study:
        """The study the model is built on: the combined rest, then each movement's peak."""
        return assemble_study([("rest", self.rest), *((p.role, p.analysis) for p in self.peaks)])

    def movements(self) -> tuple[Movement, ...]:
        return self.events.movements

    def to_json(self, every: int = 1) -> dict[str, Any]:
        """The clip, the frames chosen, the curves (every `every`-th sample) and the timing."""
        single = self.rest_frames[len(self.rest_frames) // 2].analysis
        return {
            "schema": VIDEO_SCHEMA,
            "clip": self.track.info.to_json(),
            "frames_tracked": len(self.track.samples),
            "frames_missing": self.track.missing,
            "rest_frames": [f.to_json() for f in self.rest_frames],
            "rest": {
                k: {**m.to_json(), "diff_sd_one_frame": round(single.metrics[k].diff_sd, 3)}
                for k, m in self.rest.metrics.items()
            },
            "movements": [
                {
                    "expression": p.role,
                    "peak": p.to_json(),
                    "start_ms": round(float(self.track.times_ms[m.start]), 1),
                    "end_ms": round(float(self.track.times_ms[m.end]), 1),
                    "timing": [t.to_json() for t in m.timings],
                }
                for p, m in zip(self.peaks, self.events.movements, strict=True)
            ],
            "curves": [c.to_json(every) for c in self.curves],
            "warnings": [w.to_json() for w in self.warnings],
        }


def _scaled(events: Events, k: float) -> Events:
    """The same events with every millimetre figure multiplied by k (a refined scale)."""

    def side(s: SideTiming) -> SideTiming:
        return dataclasses.replace(s, peak_mm=s.peak_mm * k)

    moves = tuple(
        dataclasses.replace(
            m,
            timings=tuple(
                dataclasses.replace(t, left=side(t.left), right=side(t.right)) for t in m.timings
            ),
        )
        for m in events.movements
    )
    rest = {m: {s: v * k for s, v in d.items()} for m, d in events.rest_values.items()}
    tol = {m: v * k for m, v in events.tolerance_mm.items()}
    return dataclasses.replace(events, movements=moves, rest_values=rest, tolerance_mm=tol)


def _frame_image(name: str, index: int, time_ms: float, rgb: np.ndarray) -> LoadedImage:
    digest = hashlib.sha256(rgb.tobytes()).hexdigest()
    return LoadedImage(rgb, f"{name} @ {time_ms / 1000:.2f} s", digest, False, "video frame")


def analyze_video(
    source: Source,
    name: str | None = None,
    *,
    expression: str | None = None,
    mirrored: bool = False,
    sample_fps: float = SAMPLE_FPS,
    tracking: str = "image",
    progress: Progress | None = None,
) -> VideoAnalysis:
    """Analyse a clip of one movement or a sequence (see the module docstring). `expression`
    labels every movement found (default: each movement's own guess)."""
    if expression is not None and expression not in EXPRESSIONS[1:]:
        raise InputError(
            "unknown_expression",
            f"unknown expression '{expression}': use one of {', '.join(EXPRESSIONS[1:])}",
        )
    track = track_clip(
        source,
        name,
        sample_fps=sample_fps,
        mirrored=mirrored,
        tracking=tracking,
        progress=progress,
    )
    label = track.info.name
    lms = track.landmarks
    times = track.times_ms
    ipd_mm = landmark_iris_mm_per_px(lms) * float(np.median(inter_pupil_px(lms)))
    values = measure_frames(lms, ipd_mm, track.corner_shifts_px)
    events = find_events(times, values)
    samples = track.samples
    roles = {samples[k].index: "rest" for k in events.rest}
    for m in events.movements:
        roles[samples[m.peak].index] = expression or m.expression
    warnings = list(track.warnings)
    if not events.movements:
        warnings.append(
            Notice(
                "no_movement",
                f"no movement found in {label} (nothing moved more than "
                f"{min(events.tolerance_mm.values()):.1f} mm from rest): film one movement, "
                "starting and ending at rest",
            )
        )
    analysed: dict[int, ChosenFrame] = {}
    done = 0
    for frame in iter_frames(source, label, wanted=set(roles), mirrored=mirrored):
        role = roles[frame.index]
        img = _frame_image(label, frame.index, frame.time_ms, frame.rgb)
        try:
            a = analyze_image(img, role)
        except SymmetryStudioError as err:
            warnings.append(Notice("frame_not_measured", f"{img.name}: {err}"))
            continue
        analysed[frame.index] = ChosenFrame(role, frame.index, frame.time_ms, a)
        done += 1
        if progress is not None:
            progress(0.8 + 0.2 * done / len(roles), f"measuring the chosen frames ({done})")
    rest_frames = tuple(
        analysed[samples[k].index] for k in events.rest if samples[k].index in analysed
    )
    if not rest_frames:
        raise InputError(
            "no_rest_frame",
            f"{label}: no rest frame could be measured; start the clip with the face at rest, "
            "facing the camera",
        )
    rest = combine_rest([f.analysis for f in rest_frames])
    refined = np.median(
        [
            f.analysis.mm_per_px * inter_pupil_px(f.analysis.landmarks_px[None])[0]
            for f in rest_frames
        ]
    )
    k = float(refined / ipd_mm)
    events = _scaled(events, k)
    curves = tuple(
        Curve(
            m,
            times,
            k * smooth(values[m]["left"]) - events.rest_values[m]["left"],
            k * smooth(values[m]["right"]) - events.rest_values[m]["right"],
        )
        for m in CURVE_MEASURES
    )
    kept = tuple(m for m in events.movements if samples[m.peak].index in analysed)
    events = dataclasses.replace(events, movements=kept)
    peaks = tuple(analysed[samples[m.peak].index] for m in kept)
    if progress is not None:
        progress(1.0, "done")
    return VideoAnalysis(track, events, curves, rest_frames, rest, peaks, tuple(warnings))
