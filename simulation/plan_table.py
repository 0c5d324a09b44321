"""The plan editor's rows (site, units, day) converted to and from a `plan.Plan`.

The dashboard edits a plan as table rows; this module is the only place that turns rows into a
plan/1 `Plan` and back, so the table never carries a second plan encoding. A free point's row
holds its `site` as `point:<landmark>:<dx>:<dy>` (offset in mm), a key that round-trips exactly
to the plan/1 `point`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import atlas
from .errors import Notice, SymmetryStudioError
from .plan import PLAN_SCHEMA, Injection, Plan, parse_plan

__all__ = [
    "POINT_PREFIX",
    "RowsPlan",
    "is_point_key",
    "plan_from_rows",
    "point_key",
    "point_of_key",
    "row_complete",
    "row_key",
    "row_warnings",
    "rows_from_plan",
    "site_name",
]

POINT_PREFIX = "point:"


def _missing(value: Any) -> bool:
    """Whether an editor cell is empty (None, or NaN from pandas)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def row_complete(row: dict[str, Any]) -> bool:
    """Whether an editor row has a site and units (incomplete rows stay out of the plan)."""
    return bool(row.get("site")) and not _missing(row.get("units"))


def point_key(landmark: int, dx: float, dy: float) -> str:
    """The row key of a free point: a landmark plus an offset in mm (a plan/1 `point`)."""
    return f"{POINT_PREFIX}{int(landmark)}:{dx:+.1f}:{dy:+.1f}"


def is_point_key(site: Any) -> bool:
    """Whether a row's site is a free point's key (not a standard site id)."""
    return str(site or "").startswith(POINT_PREFIX)


def point_of_key(site: str) -> dict[str, Any] | None:
    """The plan/1 `point` of a free point's row key, or None for a standard site."""
    if not is_point_key(site):
        return None
    _, lm, dx, dy = site.split(":")
    return {"landmark": int(lm), "offset_mm": [float(dx), float(dy)]}


def row_key(inj: Injection) -> str:
    """The row key of a plan injection: its standard site, else its point's key."""
    if inj.site_id:
        return inj.site_id
    return point_key(int(inj.landmark or 0), *inj.offset_mm)


def rows_from_plan(plan: Plan) -> list[dict[str, Any]]:
    """The editor rows of a plan, one per injection."""
    return [{"site": row_key(i), "units": i.units, "day": i.day} for i in plan.injections]


@dataclass(frozen=True)
class RowsPlan:
    """Editor rows read as a plan: the plan (None when invalid), its one-line error, and a note
    per incomplete row left out."""

    plan: Plan | None
    error: str | None
    skipped: tuple[str, ...]


def _plan_json(
    product: str, dilution: float, rows: Sequence[dict[str, Any]], label: str, notes: str
) -> tuple[dict[str, Any], list[str]]:
    """The plan/1 JSON of the complete rows, and a note per incomplete row."""
    injections, skipped = [], []
    for k, r in enumerate(rows):
        if not row_complete(r):
            skipped.append(f"row {k + 1} has no site or no units: left out until completed")
            continue
        day = 0.0 if _missing(r.get("day")) else float(r["day"])
        point = point_of_key(str(r["site"]))
        where = {"point": point} if point else {"site": r["site"]}
        injections.append({**where, "units": float(r["units"]), "day": day})
    obj: dict[str, Any] = {
        "schema": PLAN_SCHEMA,
        "product": product,
        "dilution_ml_per_100u": float(dilution),
        "injections": injections,
    }
    if label:
        obj["label"] = label
    if notes:
        obj["notes"] = notes
    return obj, skipped


def plan_from_rows(
    product: str,
    dilution: float,
    rows: Sequence[dict[str, Any]],
    label: str = "",
    notes: str = "",
) -> RowsPlan:
    """The plan the rows describe (complete rows only), validated as any plan/1 JSON is."""
    obj, skipped = _plan_json(product, dilution, rows, label, notes)
    try:
        return RowsPlan(parse_plan(obj), None, tuple(skipped))
    except SymmetryStudioError as err:
        return RowsPlan(None, str(err), tuple(skipped))


def row_warnings(rows: Sequence[dict[str, Any]], warnings: Iterable[Notice]) -> list[str]:
    """For each row, the codes of the warnings about its injection (plan injection k is the
    k-th complete row), so they stand next to the injection they concern."""
    complete = [k for k, r in enumerate(rows) if row_complete(r)]
    notes: dict[int, list[str]] = {}
    for w in warnings:
        if w.injection is not None and w.injection < len(complete):
            notes.setdefault(complete[w.injection], []).append(w.code.replace("_", " "))
    return [", ".join(notes.get(k, [])) for k in range(len(rows))]


def site_name(site: Any) -> str:
    """How a row's site (or free point) reads to a clinician, e.g. "Corrugator, medial (brow
    head) (right)"; the plan keeps the id. The plan table and the consult report both use it."""
    key = str(site or "")
    point = point_of_key(key)
    if point:
        dx, dy = point["offset_mm"]
        return f"Point at landmark {point['landmark']} ({dx:+.1f}, {dy:+.1f} mm)"
    s = {x.id: x for x in atlas.sites()}.get(key)
    return s.label if s is not None else key or "(no site)"
