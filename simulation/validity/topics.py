"""The topic modules whose `EFFECTS` make up the validity table, in print order."""

from __future__ import annotations

from . import lid

MODULES: tuple = (lid,)
