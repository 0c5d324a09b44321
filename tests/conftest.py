"""Shared fixtures: real photos from ../shared/faces (skipped when absent), a committed sample."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from simulation.analysis import Analysis, analyze_image
from simulation.ingest import flip_horizontal, load_image

ROOT = Path(__file__).resolve().parent.parent
SHARED_FACES = ROOT.parent / "shared" / "faces"
SAMPLE = ROOT / "simulation" / "demo" / "grace_hopper.jpg"


def shared(*parts: str) -> Path:
    """A path under ../shared/faces, or skip the test when the folder is absent."""
    path = SHARED_FACES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (real test photos are not part of the project)")
    return path


def frontal_photos() -> list[Path]:
    """The real frontal photos, or none (the parametrised tests then skip)."""
    folder = SHARED_FACES / "frontal"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def photo_id(path: Path) -> str:
    return path.stem


@cache
def analysed(path: str, mirrored: bool = False) -> Analysis:
    """Analysis of a photo (or its mirror image), computed once per test session."""
    img = load_image(path)
    return analyze_image(flip_horizontal(img) if mirrored else img)
