"""One published effect: what was measured, by whom, the figure with its spread, and how the
model computes the same figure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Comparison", "PublishedEffect", "compare"]


@dataclass(frozen=True)
class PublishedEffect:
    """A published figure and the model's recipe for it.

    `model(faces)` returns the model's figure on each face (a synthetic face list is allowed for
    effects that do not depend on the face, e.g. a thickness time course); `low`..`high` is the
    published spread the model's median must fall in. `known_miss` says why the model does not
    reproduce a figure it is shown beside (kept in the table so the gap stays visible).
    """

    id: str
    what: str
    unit: str
    published: float
    low: float
    high: float
    source: str
    model: Callable[[Sequence[str]], Sequence[float]]
    known_miss: str = ""


@dataclass(frozen=True)
class Comparison:
    """The model's figure for one effect over faces, and whether its median is in range."""

    effect: PublishedEffect
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return float(np.median(self.values))

    @property
    def within(self) -> bool:
        return self.effect.low <= self.median <= self.effect.high

    def row(self) -> str:
        e = self.effect
        span = f"{min(self.values):+.2f}..{max(self.values):+.2f}" if len(self.values) > 1 else ""
        mark = "ok" if self.within else ("MISS" if e.known_miss else "OUT")
        return (
            f"{e.what:52} {e.published:+7.2f} [{e.low:+.2f}, {e.high:+.2f}] {e.unit:4}"
            f" model {self.median:+7.2f} {span:>14} {mark:3}  {e.source}"
        )


def compare(effect: PublishedEffect, faces: Sequence[str]) -> Comparison:
    """Run the model's recipe for `effect` on `faces`."""
    return Comparison(effect, tuple(float(v) for v in effect.model(faces)))
