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


THRESHOLDS = "thresholds.json"


def data_values(name: str, *path: str) -> dict[str, Any]:
    """The `value` of each {value, source} entry under `path` in a `meshes/` JSON file, in file
    order (the sources stay in the file, beside the numbers)."""
    node = load_json(name)
    for key in path:
        node = node[key]
    return {k: v["value"] for k, v in node.items() if isinstance(v, dict) and "value" in v}
