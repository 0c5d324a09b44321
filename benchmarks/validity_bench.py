"""Published effects against the model's figures (issue 16), printed by `make bench`."""

from __future__ import annotations

from pathlib import Path

from simulation.validity import compare
from simulation.validity.topics import all_effects

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "simulation" / "demo" / "grace_hopper.jpg"
FACES = ROOT.parent / "shared" / "faces" / "frontal"


def _faces() -> list[str]:
    real = sorted(str(p) for p in FACES.glob("*.jpg"))[:6] if FACES.is_dir() else []
    return [str(DEMO), *real]


def bench_validity() -> list[dict]:
    faces = _faces()
    out = []
    for effect in all_effects():
        c = compare(effect, faces)
        out.append({"id": effect.id, "row": c.row(), "median": c.median, "within": c.within})
    return out


def print_validity(rows: list[dict]) -> None:
    print("published effects against the model (median over faces; spread = published range):")
    for r in rows:
        print("  " + r["row"])
