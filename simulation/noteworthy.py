"""Which measurements a summary shows: those that are asymmetric, or that a plan changes.

One rule for the suggestion table, the 12-month chart and the `suggest` command's text."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["ASYMMETRIC_MM", "CHANGED_MM", "noteworthy"]

ASYMMETRIC_MM = 0.5  # a left - right difference worth showing even if no plan changes it
CHANGED_MM = 0.2  # a predicted change of the difference worth showing


def noteworthy(before: float, after: float | Iterable[float]) -> bool:
    """Whether a measurement's left - right `before` is large, or any predicted `after` value
    (one, or several: plans or days) moves it."""
    afters = np.atleast_1d(np.asarray(list(after) if not np.isscalar(after) else after, float))
    return abs(before) >= ASYMMETRIC_MM or bool(np.any(np.abs(afters - before) >= CHANGED_MM))
