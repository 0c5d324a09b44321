"""Pieces several pages share: the face crop, table styling, a plan entry's predictions and the
predicted views (3D and photo) of one plan at one day."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulation import atlas
from simulation.analysis import Analysis
from simulation.plan import Plan
from simulation.plan_table import RowsPlan, plan_from_rows
from simulation.prediction import Prediction
from simulation.render import face_crop, inhibition_colour

from . import cache, state
from .state import PlanEntry

__all__ = [
    "EXPRESSION_LABELS",
    "TIMELINE_DAYS",
    "after_views",
    "face_crop",
    "highlight",
    "injection_points",
    "muscle_lines",
    "plan_of",
    "predictions",
    "rows_height",
]

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


def rows_height(rows: Any) -> int:
    """Pixel height that shows every row of a short table (Streamlit scrolls after ten)."""
    return 35 * (len(rows) + 1) + 3


def highlight(df: pd.DataFrame, column: str = "Visible") -> Any:
    """The table with its visible-asymmetry rows tinted red."""

    def style(row: pd.Series) -> list[str]:
        """One CSS string per cell of a row: tinted when the row is visible."""
        on = bool(row[column]) and str(row[column]).strip() not in ("", "no", "not visible")
        return ["background-color: rgba(255, 75, 75, 0.18)" if on else "" for _ in row]

    return df.style.apply(style, axis=1).format(precision=1, na_rep="")


def muscle_lines(vertices: np.ndarray, inhibition: dict[str, float] | None) -> list:
    """The muscles drawn over a face, coloured by how blocked each is (none before treatment)."""
    return [
        (path, inhibition_colour((inhibition or {}).get(mid, 0.0)))
        for mid, path in atlas.muscle_paths(vertices)
    ]


def injection_points(plan: Plan | None, vertices: np.ndarray) -> np.ndarray | None:
    """Where the plan's needles go on a face (head frame, mm), or None for no injection."""
    if plan is None or not plan.injections:
        return None
    return np.array([inj.position(vertices) for inj in plan.injections])


def plan_of(entry: PlanEntry) -> RowsPlan:
    """The plan an editor entry describes, its error, and the rows it leaves out."""
    return plan_from_rows(
        entry["product"], entry["dilution"], entry["rows"], entry["label"], entry["notes"]
    )


def predictions(
    rest: Analysis, entry: PlanEntry, day: float, expression: str
) -> tuple[Prediction | None, Prediction | None, Plan | None]:
    """A plan entry's timeline and its prediction at `day` (both None when the plan is invalid),
    with the recorded patient's calibrated response when one is chosen on the Patients page."""
    plan = plan_of(entry).plan
    if plan is None:
        return None, None, None
    mine = state.patient_response()
    patient = mine[1] if mine else None
    timeline = cache.predict(rest, plan, TIMELINE_DAYS, expression, 100, patient)
    at_day = cache.predict(rest, plan, (float(day),), expression, 200, patient)
    return timeline, at_day, plan


def after_views(
    rest: Analysis,
    tl: Prediction,
    at: Prediction,
    plan: Plan,
    *,
    heat: bool = True,
    show_pts: bool = True,
    az: float = 0.0,
    muscles: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The predicted 3D face and the predicted photo of one plan at one day (both cached, so
    the plan preview and the prediction page share them)."""
    disp = at.displacement_mm[0]
    clim = (0.0, max(1.0, float(np.linalg.norm(tl.displacement_mm, axis=2).max())))
    after3d = cache.render(
        rest,
        at.vertices_mm[0],
        np.linalg.norm(disp, axis=1) if heat else None,
        injection_points(plan, at.vertices_mm[0]) if show_pts else None,
        clim,
        az,
        muscle_lines(at.vertices_mm[0], at.inhibition[0]) if muscles else None,
    )
    return after3d, cache.warp(rest, disp)
