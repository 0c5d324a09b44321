"""Published clinical effects set beside the model's own figure for the same plan.

Each topic module (masseter, lid, brow, movement) declares `EFFECTS`, a list of
`PublishedEffect`; `all_effects()` collects them for `make bench` and the README's calibration
table. Tests keep each effect inside its published spread.
"""

from __future__ import annotations

from .effect import Comparison, PublishedEffect, compare

__all__ = ["Comparison", "PublishedEffect", "all_effects", "compare"]


def all_effects() -> list[PublishedEffect]:
    """Every published effect the model is checked against, in the order of the topics."""
    from .topics import MODULES  # not `from . import topics`: that reads as a self-import

    return [e for module in MODULES for e in module.EFFECTS]
