"""Large movements: the untreated expression the model predicts from the rest photo against the
excursion measured on an expression photo of the same person (meshes/large_movements.json).

The tissue is linear around the photographed face, so a full eye closure is predicted at well
under half its size; the figures are stated as a limit rather than corrected."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from ..resources import load_json, meshes_dir
from .effect import PublishedEffect

__all__ = ["EFFECTS", "FIGURES", "FACES_ROOT", "excursion_ratios"]

FIGURES = load_json("large_movements.json")
FACES_ROOT = meshes_dir().parent.parent / "shared" / "faces"


@cache
def _rest(path: str):
    from ..analysis import analyze_image
    from ..ingest import load_image
    from ..prediction import build_subject

    return build_subject(analyze_image(load_image(path), "rest"))


def _sides(path_rest: str, path_expr: str, expression: str, measure: str):
    """Per side (left, right): (predicted, measured) excursion from rest, mm."""
    from ..analysis import analyze_image, excursions
    from ..ingest import load_image
    from ..response import point_metrics

    s = _rest(path_rest)
    measured = excursions(s.analysis, analyze_image(load_image(path_expr), expression))[measure]
    e = s.expression_activation(expression)
    pm = point_metrics(s, np.stack([np.zeros_like(e), e]))
    pred = [float(pm[side][measure][1] - pm[side][measure][0]) for side in ("left", "right")]
    return list(zip(pred, (measured.left, measured.right), strict=True))


def excursion_ratios(expression: str, root: Path = FACES_ROOT) -> list[float]:
    """Predicted / measured excursion on every moving side of every photo pair for
    `expression` (a side moving under `paretic_below` of the other is a palsy side and left
    out); [] when the photos are absent."""
    spec = FIGURES["expressions"][expression]
    paretic = FIGURES["paretic_below"]
    out: list[float] = []
    for pair in FIGURES["photo_pairs"]:
        if pair["expression"] != expression:
            continue
        rest, expr = root / pair["rest"], root / pair["photo"]
        if not (rest.is_file() and expr.is_file()):
            continue
        sides = _sides(str(rest), str(expr), expression, spec["measure"])
        biggest = max(abs(m) for _, m in sides)
        out += [p / m for p, m in sides if abs(m) >= paretic * biggest and abs(m) > 0.0]
    return out


def _effect(expression: str) -> PublishedEffect:
    spec = FIGURES["expressions"][expression]
    low, high = spec["good_enough"]
    return PublishedEffect(
        f"movement_{expression}",
        f"{expression}: predicted / measured {spec['label']}",
        "x",
        1.0,
        low,
        high,
        "expression photos, meshes/large_movements.json",
        lambda faces: excursion_ratios(expression) or [float("nan")],
        known_miss=""
        if low <= spec["median"] <= high
        else "the linear tissue under-predicts it; stated in the Limits tab, not corrected",
    )


EFFECTS = [_effect(e) for e in FIGURES["expressions"]]
