"""The brow after a lateral orbicularis oculi dose (Ahn, Catten & Maas 2000): how far the
lateral and the mid-pupil brow rise, and the brow's shape (mid-pupil / lateral)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from .effect import PublishedEffect

__all__ = ["EFFECTS", "brow_lifts"]

SOURCE = "Ahn, Catten & Maas 2000, Plast Reconstr Surg 105:1129 (PMID 10724275), n=22"
# Ahn's 7-10 U ona per side, as the three crow's-feet points.
CROWS_FEET_8U = tuple(
    {"site": f"crows_feet_{row}_{side}", "units": 8 / 3}
    for row in ("upper", "middle", "lower")
    for side in ("left", "right")
)


@cache
def brow_lifts(path: str) -> tuple[tuple[float, float], ...]:
    """Per side (left, right): (lateral, mid-pupil) brow rise, mm, 14 days after 8 U."""
    from ..analysis import analyze_image
    from ..ingest import load_image
    from ..plan import parse_plan
    from ..prediction import build_subject, predict

    s = build_subject(analyze_image(load_image(path)))
    p = parse_plan({"product": "ona", "injections": list(CROWS_FEET_8U)})
    m = predict(s, p, [14.0]).metrics[0]
    base = s.analysis.metrics
    out = []
    for side in ("left", "right"):
        lat, mid = (
            getattr(m[n], side).median - getattr(base[n], side)
            for n in ("brow_height_lateral_mm", "brow_height_mm")
        )
        out.append((lat, mid))
    return tuple(out)


def _each_side(faces: Sequence[str], f) -> list[float]:
    return [f(lat, mid) for path in faces for lat, mid in brow_lifts(path)]


EFFECTS = [
    PublishedEffect(
        "brow_lateral_lift",
        "lateral brow rise after 8 U lateral orbicularis",
        "mm",
        4.83,
        2.5,
        6.0,
        SOURCE,
        lambda faces: _each_side(faces, lambda lat, mid: lat),
    ),
    PublishedEffect(
        "brow_mid_lift",
        "mid-pupil brow rise after 8 U lateral orbicularis",
        "mm",
        1.02,
        0.5,
        2.0,
        SOURCE,
        lambda faces: _each_side(faces, lambda lat, mid: mid),
    ),
    PublishedEffect(
        "brow_shape_ratio",
        "brow shape: mid-pupil / lateral rise",
        "",
        0.21,
        0.15,
        0.30,
        SOURCE,
        lambda faces: _each_side(faces, lambda lat, mid: mid / lat),
        known_miss="the brow skin carries the lateral lift inwards (model about 0.38); a softer "
        "brow tail reached 0.29 but moved the follow-up and plan-stability figures, so it is "
        "not in this release",
    ),
]
