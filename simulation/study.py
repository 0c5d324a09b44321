"""The study a model is built on, from photos analysed one by one (some may have failed).

`analysis.analyze` reads files; a dashboard analyses each photo on its own (cached) and keeps
the ones that fail. This builds the same `Study` from those results: one rule for which photo
the face model is built on and which expression photos sharpen it."""

from __future__ import annotations

from collections.abc import Sequence

from .analysis import Analysis, Study, excursions
from .errors import SymmetryStudioError

__all__ = ["NO_PHOTO", "assemble_study", "subject_analysis"]

NO_PHOTO = "no photo: upload a frontal photo of a face"

Result = Analysis | SymmetryStudioError


def _rest_first(results: Sequence[tuple[str, Result]]) -> list[tuple[str, Result]]:
    """The results with the rest photos first (otherwise in photo order)."""
    return sorted(results, key=lambda r: r[0] != "rest")


def subject_analysis(results: Sequence[tuple[str, Result]]) -> Analysis:
    """The photo the model is built on: the first analysable rest photo, else the first
    analysable one. `results` are (expression label, analysis or its error) in photo order;
    raises the problem of the first photo tried when none is analysable."""
    problem: SymmetryStudioError = SymmetryStudioError(NO_PHOTO)
    for k, (_expr, result) in enumerate(_rest_first(results)):
        if isinstance(result, Analysis):
            return result
        if k == 0:
            problem = result
    raise problem


def assemble_study(results: Sequence[tuple[str, Result]]) -> Study:
    """The subject photo first, then the first analysable photo of each other expression, with
    each one's excursion from the subject photo (failed photos are left out)."""
    rest = subject_analysis(results)
    by_expr: dict[str, Analysis] = {}
    for expr, result in results:
        if result is rest or expr in ("rest", rest.expression, *by_expr):
            continue
        if isinstance(result, Analysis):
            by_expr[expr] = result
    exc = {e: excursions(rest, a) for e, a in by_expr.items()}
    return Study((rest, *by_expr.values()), exc)
