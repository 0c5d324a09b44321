"""The topic modules whose `EFFECTS` make up the validity table, in print order."""

from __future__ import annotations

from . import brow, lid, masseter, movement
from .effect import PublishedEffect

__all__ = ["MODULES", "all_effects"]

MODULES: tuple = (masseter, lid, brow, movement)


def all_effects() -> list[PublishedEffect]:
    """Every published effect the model is checked against, in the order of the topics."""
    return [e for module in MODULES for e in module.EFFECTS]
