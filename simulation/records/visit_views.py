"""The standard views of each recorded visit's photos, and whether two visits' photos of one view
were taken alike enough to compare.

A stored photo's view comes from the head pose its analysis JSON keeps (`pose_deg`), so every
record has it, with or without its pixels. The lighting, colour and face-size check needs the
pixels (kept only with consent) and the stored landmarks: `views.photo_conditions`, then
`views.compare_conditions` between consecutive visits with that view.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis import EXPRESSIONS
from ..face import Pose
from ..views import VIEW_LABELS, Conditions, ViewCheck, classify_view, condition_changes
from ..views import photo_conditions as _photo_conditions
from .models import PhotoRecord, Visit

__all__ = [
    "VIEW_ORDER",
    "StoredView",
    "ViewComparison",
    "compare_visit_views",
    "stored_view",
    "view_photos",
    "visit_views",
]

VIEW_ORDER = ("front", "left_45", "right_45", "left_profile", "right_profile")
"""The order the views are shown in: front, then the 45° views, then the profiles."""


@dataclass(frozen=True)
class StoredView:
    """One stored photo with its view (from its stored head pose)."""

    photo: PhotoRecord
    check: ViewCheck

    @property
    def expression(self) -> str:
        return self.photo.expression

    @property
    def has_pixels(self) -> bool:
        return self.photo.photo_png is not None

    def to_json(self) -> dict[str, Any]:
        return {"expression": self.expression, **self.check.to_json()}


def stored_view(photo: PhotoRecord) -> ViewCheck | None:
    """The view of a stored photo from its analysis's head pose (None without a pose)."""
    pose = json.loads(photo.analysis_json).get("pose_deg")
    if not pose:
        return None
    return classify_view(Pose(float(pose["yaw"]), float(pose["pitch"]), float(pose["roll"])))


def _order(sv: StoredView) -> tuple[int, int]:
    e = sv.expression
    return VIEW_ORDER.index(sv.check.view), EXPRESSIONS.index(e) if e in EXPRESSIONS else 99


def visit_views(visit: Visit) -> list[StoredView]:
    """Every photo of a visit with its view, front first, then 45°, then profile (within one
    view, rest first)."""
    out = []
    for ph in visit.photos:
        check = stored_view(ph)
        if check is not None:
            out.append(StoredView(ph, check))
    return sorted(out, key=_order)


def view_photos(visit: Visit) -> dict[str, StoredView]:
    """The photo shown for each view the visit has (its rest photo, else its first), in
    `VIEW_ORDER`: the visit's views side by side."""
    out: dict[str, StoredView] = {}
    for sv in visit_views(visit):
        out.setdefault(sv.check.view, sv)
    return out


@dataclass(frozen=True)
class ViewComparison:
    """Two visits' photos of one view: what differs in how they were taken (`changes`, on the
    later photo), or, without both photos' pixels, that the check could not run."""

    view: str
    first: dt.date
    second: dt.date
    changes: tuple[tuple[str, str], ...]
    needs_photos: bool

    @property
    def label(self) -> str:
        return VIEW_LABELS[self.view]

    @property
    def warning(self) -> str | None:
        """The one line to show (None when the two photos compare cleanly)."""
        a, b = self.first.isoformat(), self.second.isoformat()
        if self.needs_photos:
            return (
                f"Lighting and distance of the {self.label} photos of {a} and {b} not checked: "
                "the check needs both photos (kept only with the patient's consent)."
            )
        if not self.changes:
            return None
        what = "; ".join(phrase for _code, phrase in self.changes)
        return (
            f"The {self.label} photos of {a} and {b} were taken differently: on {b} {what}. "
            "A change between them may be the photo's, not the face's."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "first": self.first.isoformat(),
            "second": self.second.isoformat(),
            "checked": not self.needs_photos,
            "differs": [code for code, _ in self.changes],
            "warning": self.warning,
        }


def _conditions(photo: PhotoRecord) -> Conditions | None:
    """A stored photo's lighting, colour and face size (None without pixels or landmarks)."""
    from ..ingest import load_image

    landmarks = json.loads(photo.analysis_json).get("landmarks_px")
    if photo.photo_png is None or not landmarks:
        return None
    rgb = load_image(photo.photo_png, name="visit photo").rgb
    return _photo_conditions(rgb, np.asarray(landmarks, dtype=np.float64))


def compare_visit_views(visits: Sequence[Visit]) -> list[ViewComparison]:
    """Each visit's photo of each view against the previous visit's photo of that view (by
    date), in `VIEW_ORDER` then date order."""
    by_date = sorted(visits, key=lambda v: v.date)
    shown = [(v.date, view_photos(v)) for v in by_date]
    out = []
    for view in VIEW_ORDER:
        having = [(d, views[view]) for d, views in shown if view in views]
        for (d1, a), (d2, b) in zip(having, having[1:], strict=False):
            ca, cb = _conditions(a.photo), _conditions(b.photo)
            if ca is None or cb is None:
                out.append(ViewComparison(view, d1, d2, (), needs_photos=True))
            else:
                out.append(ViewComparison(view, d1, d2, tuple(condition_changes(ca, cb)), False))
    return out
