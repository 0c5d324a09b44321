"""The pretarsal orbicularis and the lid (issue 16): the published eye-opening effects of a
pretarsal microdose against the model's figure for the same one-sided plan.

The figures and their sources are in meshes/muscles.json ("sources": flynn_2001, ludwig_2022,
aps_2024). None of the abstracts gives a standard deviation of the change, so each spread is an
assumption stated with the effect. Ludwig 2022 also saw the untreated lid fall 0.16 mm (Hering's
law); the model has no coupling between the eyes, so it predicts no change there.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from ..analysis import analyze_image
from ..ingest import load_image
from ..plan import parse_plan
from ..prediction import PEAK_DAY, Subject, build_subject, predict
from .effect import PublishedEffect

__all__ = ["EFFECTS", "aperture_change", "lid_change", "wear_off_ratio"]

UPPER_2U = ({"site": "pretarsal_upper_left", "units": 2},)
LOWER_2U = ({"site": "pretarsal_lower_left", "units": 2},)
# Flynn 2001: three crow's-feet points of 4 U, 1.5 cm from the lateral canthus, 1 cm apart.
CROWS_FEET_12U = tuple(
    {"site": f"crows_feet_{row}_left", "units": 4} for row in ("upper", "middle", "lower")
)
LATE_DAY = 168.0  # week 24, when both ptosis studies found the lid back at baseline


@cache
def _subject(path: str) -> Subject:
    return build_subject(analyze_image(load_image(path)))


def lid_change(
    path: str, injections: Sequence[dict], metric: str, side: str = "left", day: float = PEAK_DAY
) -> float:
    """Predicted median change of `metric` (mm) on `side` at `day` for a plan on the face in
    the photo at `path`."""
    s = _subject(path)
    plan = parse_plan({"product": "ona", "injections": list(injections)})
    after = getattr(predict(s, plan, [day]).metrics[0][metric], side).median
    before = s.analysis.metrics[metric]
    return float(after - (before.left if side == "left" else before.right))


def aperture_change(path: str, injections: Sequence[dict]) -> float:
    """Predicted widening of the treated (left) palpebral fissure at 2 weeks, mm."""
    return lid_change(path, injections, "palpebral_fissure_mm")


def wear_off_ratio(path: str) -> float:
    """The 2 U upper-lid MRD1 rise left at week 24, as a fraction of its week-2 size."""
    peak = lid_change(path, UPPER_2U, "mrd1_mm")
    return lid_change(path, UPPER_2U, "mrd1_mm", day=LATE_DAY) / peak


def _each(fn):
    return lambda faces: np.array([fn(str(f)) for f in faces])


EFFECTS = [
    PublishedEffect(
        id="lid_upper_pretarsal_mrd1",
        what="2 U upper-lid pretarsal: MRD1 rise at wk 2",
        unit="mm",
        published=0.71,
        low=0.35,
        high=0.9,
        source=(
            "aps_2024 (n=49, +0.71 mm) and ludwig_2022 (n=8, +0.52 mm); spread assumption: "
            "2/3 of the smaller to 1.25x the larger mean; dose not in the abstracts (2 U assumed)"
        ),
        model=_each(lambda f: lid_change(f, UPPER_2U, "mrd1_mm")),
    ),
    PublishedEffect(
        id="lid_upper_pretarsal_wear_off",
        what="2 U upper-lid pretarsal: MRD1 rise left at wk 24",
        unit="x",
        published=0.0,
        low=0.0,
        high=0.25,
        source="ludwig_2022, aps_2024: back to baseline at wk 24; spread assumption",
        model=_each(wear_off_ratio),
    ),
    PublishedEffect(
        id="lid_lower_pretarsal_aperture",
        what="2 U lower-lid pretarsal: aperture wider at rest",
        unit="mm",
        published=0.5,
        low=0.25,
        high=0.75,
        source="flynn_2001 (n=15); spread assumption: x0.5-x1.5 (no SD in the abstract)",
        model=_each(lambda f: aperture_change(f, LOWER_2U)),
    ),
    PublishedEffect(
        id="lid_lower_pretarsal_and_crows_feet_aperture",
        what="2 U lower lid + 12 U crow's feet: aperture wider",
        unit="mm",
        published=1.8,
        low=0.9,
        high=2.7,
        source="flynn_2001 (n=15); spread assumption: x0.5-x1.5 (no SD in the abstract)",
        model=_each(lambda f: aperture_change(f, LOWER_2U + CROWS_FEET_12U)),
    ),
]
