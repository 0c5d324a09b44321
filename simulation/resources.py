"""Where the bundled data lives: `meshes/` beside the package (checkout) or inside it (wheel)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def meshes_dir() -> Path:
    """The `meshes/` data folder: the checkout's own, or the copy packaged inside a wheel."""
    for candidate in (_PACKAGE.parent / "meshes", _PACKAGE / "_meshes"):
        if (candidate / "canonical_face_model.obj").is_file():
            return candidate
    raise FileNotFoundError("the meshes/ data folder is missing: reinstall symmetry-studio")


@cache
def load_json(name: str) -> Any:
    """A JSON data file from `meshes/`, parsed once per process."""
    with (meshes_dir() / name).open(encoding="utf-8") as fh:
        return json.load(fh)
