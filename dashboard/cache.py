"""Every cached computation of the dashboard, keyed by content (bounded, shared by sessions).

Arguments are hashed by what they contain: photo bytes by Streamlit, an `Analysis` by its image
digest and expression, a `Study` by its analyses, a `Plan` by its plan/1 JSON, arrays by their
values. No caller builds a key string."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

import numpy as np
import streamlit as st

from simulation.analysis import Analysis, Study, analyze_image
from simulation.attribution import Attribution, attribute
from simulation.calibration import PatientResponse
from simulation.errors import SymmetryStudioError
from simulation.ingest import load_image
from simulation.photo_warp import warp_photo
from simulation.plan import Plan, plan_to_json
from simulation.prediction import Prediction, Subject, build_subject
from simulation.prediction import predict as _predict
from simulation.render import FaceRenderer, draw_landmarks, face_camera
from simulation.schedule import Schedule
from simulation.schedule import schedule as _schedule
from simulation.suggest import Suggestions, suggest
from simulation.training import Case, build_case, builtin_scenario, parse_scenario
from simulation.training.score import TrainingScore, score_plan
from simulation.video import combine_rest

from .state import PhotoEntry

__all__ = [
    "HASH_FUNCS",
    "CaseSource",
    "combined_rest",
    "PANEL",
    "analysis",
    "analysis_id",
    "attribution",
    "overlay",
    "photo_analysis",
    "photo_results",
    "plan_json",
    "stored_photo",
    "training_case",
    "training_photo",
    "training_score",
    "predict",
    "render",
    "schedule",
    "study_id",
    "subject",
    "suggestions",
    "warp",
]

PANEL = (480, 560)  # 3D render size (width, height) in pixels


def plan_json(plan: Plan) -> str:
    """A plan's canonical plan/1 JSON (its cache identity)."""
    return json.dumps(plan_to_json(plan), sort_keys=True)


def analysis_id(a: Analysis) -> tuple[str, str]:
    """What an analysis is, for caching: its image digest and its expression label."""
    return a.image.sha256, a.expression


def study_id(study: Study) -> tuple[tuple[str, str], ...]:
    """What a study is: its photos' identities, the subject photo first."""
    return tuple(analysis_id(a) for a in study.analyses)


@dataclass(frozen=True)
class CaseSource:
    """Where a training case comes from: a built-in id, or an educator's scenario JSON with the
    photo they uploaded (kept in memory only)."""

    case_id: str
    scenario_json: str = ""
    photo: bytes | None = None

    @property
    def key(self) -> str:
        """A widget-key part unique to this case (an educator's id may repeat a built-in's)."""
        return f"edu_{self.case_id}" if self.scenario_json else self.case_id


def case_source_id(src: CaseSource) -> tuple[str, str, str]:
    """What a case source is: its id, scenario JSON and photo digest."""
    return src.case_id, src.scenario_json, sha256(src.photo).hexdigest() if src.photo else ""


HASH_FUNCS: dict[Any, Any] = {
    CaseSource: case_source_id,
    Analysis: analysis_id,
    Study: study_id,
    Plan: plan_json,
    PatientResponse: lambda r: r.digest,
}


def _cached(max_entries: int) -> Any:
    """`st.cache_resource` bounded to `max_entries`, hashing arguments by content."""
    return st.cache_resource(max_entries=max_entries, show_spinner=False, hash_funcs=HASH_FUNCS)


@_cached(16)
def analysis(data: bytes, name: str, mirrored: bool, expression: str) -> Analysis:
    """Landmarks, pose, scale and measurements of one photo's bytes."""
    return analyze_image(load_image(data, name=name, mirrored=mirrored), expression)


@_cached(4)
def combined_rest(frames: tuple[bytes, ...], name: str, mirrored: bool) -> Analysis:
    """A video's rest frames measured together (`video.combine_rest`): the middle frame's
    photo with the frames' mean measurements and combined ±, under its own cache identity."""
    analyses = [analysis(f, name, mirrored, "rest") for f in frames]
    rest = combine_rest(analyses)
    digest = sha256("".join(a.image.sha256 for a in analyses).encode()).hexdigest()
    image = dataclasses.replace(rest.image, sha256=f"{digest}:rest-of-{len(frames)}")
    return dataclasses.replace(rest, image=image)


def photo_analysis(p: PhotoEntry) -> Analysis:
    """The (cached) analysis of one of the session's photos (a video's rest labelled rest: its
    frames combined); raises its one-line problem."""
    frames = p.get("rest_frames")
    if frames and p["expression"] == "rest":
        return combined_rest(tuple(frames), p["name"], p["mirrored"])
    return analysis(p["data"], p["name"], p["mirrored"], p["expression"])


def photo_results(photos: list[PhotoEntry]) -> list[tuple[str, Analysis | SymmetryStudioError]]:
    """Each photo's expression label and analysis (or its one-line problem), in photo order."""
    out: list[tuple[str, Analysis | SymmetryStudioError]] = []
    for p in photos:
        try:
            out.append((p["expression"], photo_analysis(p)))
        except SymmetryStudioError as err:
            out.append((p["expression"], err))
    return out


@_cached(32)
def stored_photo(png: bytes) -> np.ndarray:
    """A recorded visit's stored photo, decoded once (the Patients tab shows it on every rerun)."""
    return load_image(png, name="visit photo").rgb


@_cached(16)
def overlay(a: Analysis) -> np.ndarray:
    """The photo with its landmarks, irises and measuring frame drawn on."""
    return draw_landmarks(a.image.rgb, a.landmarks_px, a.frame)


@_cached(4)
def subject(a: Analysis) -> Subject:
    """The tissue model and response basis of the face in one photo (the slow step)."""
    return build_subject(a)


@_cached(64)
def predict(
    a: Analysis,
    plan: Plan,
    days: tuple[float, ...],
    expression: str,
    samples: int,
    patient: PatientResponse | None = None,
) -> Prediction:
    """A plan's predicted effect on the face of `a` at `days`, with ranges (from the `patient`'s
    calibrated draws when given)."""
    draws = patient.draws if patient is not None else None
    return _predict(subject(a), plan, days, expression, samples=samples, draws=draws)


@_cached(2)
def _renderer(a: Analysis) -> FaceRenderer:
    """The off-screen renderer of one face (textured with its photo); `render` locks it."""
    m = a.mesh
    return FaceRenderer(m.faces, m.uv, a.image.rgb, m.vertices_mm, PANEL)


@_cached(48)
def render(
    a: Analysis,
    vertices: np.ndarray,
    scalars: np.ndarray | None,
    points: np.ndarray | None,
    clim: tuple[float, float] | None,
    az: float,
    lines: list | None = None,
) -> np.ndarray:
    """The photo-textured 3D face of `a` at `vertices`, with an optional heat map, injection
    points and muscle lines, seen from azimuth `az` degrees."""
    cam = face_camera(a.mesh.vertices_mm, azimuth_deg=az)
    r = _renderer(a)
    with r.lock:
        return r.render(vertices, scalars, points, cam, clim, lines)


@_cached(48)
def warp(a: Analysis, displacement: np.ndarray) -> np.ndarray:
    """The photo of `a` warped by a predicted landmark displacement (mm)."""
    return warp_photo(a.image.rgb, a, displacement)


@_cached(8)
def attribution(study: Study) -> Attribution:
    """Which muscles drive the asymmetry of the study's subject photo."""
    return attribute(subject(study.analyses[0]), study)


@_cached(16)
def suggestions(
    study: Study,
    product: str,
    max_units: float | None,
    patient: PatientResponse | None = None,
) -> Suggestions:
    """The smallest plans that balance the muscle-driven asymmetry (for the `patient`'s
    calibrated response when given)."""
    rest = study.analyses[0]
    draws = patient.draws if patient is not None else None
    return suggest(
        subject(rest), study, product, max_units, attribution=attribution(study), draws=draws
    )


@_cached(16)
def schedule(
    study: Study,
    plan: Plan,
    event: dt.date | None,
    start: dt.date,
    patient: PatientResponse | None = None,
) -> Schedule:
    """A plan's visits and predicted course over 12 months (the `patient`'s when given)."""
    s = subject(study.analyses[0])
    draws = patient.draws if patient is not None else None
    return _schedule(
        s, plan, event_date=event, start=start, attribution=attribution(study), patient=draws
    )


@_cached(3)
def training_case(src: CaseSource) -> Case:
    """A training case built on its base face (about 1 s the first time): built-in, or an
    educator's scenario on their uploaded photo."""
    if src.scenario_json:
        return build_case(parse_scenario(src.scenario_json, src.photo))
    return build_case(builtin_scenario(src.case_id))


@_cached(24)
def training_photo(src: CaseSource, expression: str, plan: Plan | None = None) -> np.ndarray:
    """The case's photo in `expression`, or with `plan`'s predicted day-14 result on it."""
    case = training_case(src)
    if plan is None:
        return case.photo(expression)
    at = _predict(case.subject, plan, (14.0,), expression, samples=50, measurement_error=False)
    return case.photo(expression, extra_mm=at.displacement_mm[0])


@_cached(8)
def training_score(src: CaseSource, plan: Plan, diagnosis: tuple[str, ...]) -> TrainingScore:
    """The trainee's score on a case (the model plan's predictions are made once per case)."""
    return score_plan(training_case(src), plan, diagnosis)
