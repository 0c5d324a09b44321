"""Published clinical effects set beside the model's own figure for the same plan.

Each topic module (masseter, lid, brow, movement) declares `EFFECTS`, a list of
`PublishedEffect`; `topics.all_effects()` collects them for `make bench` and the README's
calibration table. Tests keep each effect inside its published spread.
"""

from __future__ import annotations

from .effect import Comparison, PublishedEffect, compare

__all__ = ["Comparison", "PublishedEffect", "compare"]
