"""Masseter thickness over one and several sessions (issue 16): each published figure in
meshes/pharmacology.json "atrophy" → "published" beside the model's figure for the same course.

The thinning does not depend on the face, so each recipe ignores the faces and returns one value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np

from .. import pharmacology
from ..resources import load_json
from .effect import PublishedEffect

__all__ = ["EFFECTS", "course_change", "model_figure", "published", "sessions_of"]

_UNITS = {"change_pct": "%", "lowest_week": "wk", "share_left": "x"}


@cache
def published() -> dict[str, dict[str, Any]]:
    """The published masseter figures by id (pharmacology.json "atrophy" → "published")."""
    block = load_json(pharmacology.DATA_FILE)["atrophy"]["published"]
    return {k: v for k, v in block.items() if k != "about"}


def _v(entry: dict[str, Any], key: str) -> float:
    return float(entry[key]["value"])


def sessions_of(entry: dict[str, Any]) -> list[float]:
    """Session days of a published course: `sessions` every `interval_days` from day 0."""
    return [k * _v(entry, "interval_days") for k in range(int(_v(entry, "sessions")))]


def course_change(
    session_days: Sequence[float], units_ona: float | Sequence[float], days: np.ndarray
) -> np.ndarray:
    """Thickness change (fraction) of a reference-size masseter on `days` for sessions of
    `units_ona` per side (one figure, or one per session), median parameters."""
    size = pharmacology.reference_muscle_size("masseter")
    units = np.broadcast_to(np.asarray(units_ona, dtype=float), (len(session_days),))
    received = units.reshape(-1, 1)
    return pharmacology.thickness_change(session_days, received, [size], days)[:, 0]


def model_figure(entry: dict[str, Any]) -> float:
    """The model's figure for one published entry, in the entry's own measure."""
    day = _v(entry, "day")
    days = np.arange(0.0, day + 1.0)
    change = course_change(sessions_of(entry), _v(entry, "units_ona_per_side"), days)
    measure = entry["measure"]
    if measure == "change_pct":
        return float(100.0 * change[-1])
    if measure == "lowest_week":
        return float(days[int(np.argmin(change))] / 7.0)
    if measure == "share_left":
        return float(change[-1] / change.min())
    raise ValueError(f"unknown measure {measure!r} in pharmacology.json atrophy.published")


def _recipe(entry: dict[str, Any]) -> Callable[[Sequence[str]], Sequence[float]]:
    def model(faces: Sequence[str]) -> Sequence[float]:
        del faces  # the thinning does not depend on the face
        return [model_figure(entry)]

    return model


EFFECTS: list[PublishedEffect] = [
    PublishedEffect(
        id=f"masseter_{key}",
        what=entry["what"],
        unit=_UNITS[entry["measure"]],
        published=_v(entry, "published"),
        low=_v(entry, "low"),
        high=_v(entry, "high"),
        source=entry["source"],
        model=_recipe(entry),
        known_miss=entry.get("known_miss", ""),
    )
    for key, entry in published().items()
]
