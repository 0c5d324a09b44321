"""The topic modules whose `EFFECTS` make up the validity table, in print order."""

from __future__ import annotations

import simulation.validity.lid as lid  # not `from . import`: that reads as importing the package

MODULES: tuple = (lid,)
