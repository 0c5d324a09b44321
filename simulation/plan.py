"""Injection plans: the `symmetry-studio/plan/1` JSON, its validation and normalisation.

Structural problems are errors naming the field and the injection; clinical risks are not errors
but warnings, raised by the prediction where the face is known."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import atlas, pharmacology
from .canonical import N_MESH
from .errors import InputError

PLAN_SCHEMA = "symmetry-studio/plan/1"
DEFAULT_DILUTION_ML_PER_100U = 2.5  # common reconstitution (2.5 ml saline per 100 U): assumption


@dataclass(frozen=True)
class Injection:
    """One injection: where (a standard site, a muscle's default site, or a landmark point),
    how much (in the plan product's own units) and when (day after the first session)."""

    units: float
    day: float = 0.0
    site: str | None = None
    muscle: str | None = None
    landmark: int | None = None
    offset_mm: tuple[float, float] = (0.0, 0.0)

    @property
    def site_id(self) -> str | None:
        """The standard site used (a muscle's default site when given by muscle)."""
        if self.site:
            return self.site
        if self.muscle:
            return atlas.default_site_for(self.muscle).id
        return None

    @property
    def target(self) -> str | None:
        """The muscle this injection is aimed at (None for a free point)."""
        sid = self.site_id
        return atlas.site(sid).target if sid else None

    def position(self, vertices_mm: np.ndarray) -> np.ndarray:
        """Where the needle goes on a subject's face, head frame (mm)."""
        sid = self.site_id
        if sid:
            return atlas.site(sid).position(vertices_mm)
        v = np.asarray(vertices_mm, dtype=np.float64)
        xy = v[self.landmark, :2] + np.asarray(self.offset_mm)
        return np.array([xy[0], xy[1], atlas.surface_z(xy, v)])

    def describe(self, day: bool = True) -> str:
        """Where, how many units and (unless `day` is False) on which day."""
        where = self.site_id or f"landmark {self.landmark} {self.offset_mm}"
        return f"{where}, {self.units:g} U" + (f", day {self.day:g}" if day else "")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"units": self.units, "day": self.day}
        if self.site:
            out["site"] = self.site
        elif self.muscle:
            out["muscle"] = self.muscle
        else:
            out["point"] = {"landmark": self.landmark, "offset_mm": list(self.offset_mm)}
        return out


@dataclass(frozen=True)
class Plan:
    """A whole plan in one product; units are the product's own."""

    product: str = "onabotulinumtoxinA"
    dilution_ml_per_100u: float = DEFAULT_DILUTION_ML_PER_100U
    injections: tuple[Injection, ...] = ()
    label: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def units_ona(self) -> np.ndarray:
        return np.asarray(
            pharmacology.to_ona_units(np.array([i.units for i in self.injections]), self.product),
            dtype=np.float64,
        ).reshape(-1)

    def volumes_ml(self) -> np.ndarray:
        units = np.array([i.units for i in self.injections], dtype=np.float64)
        return np.asarray(pharmacology.injection_volume_ml(units, self.dilution_ml_per_100u))

    def total_units(self) -> dict[str, float]:
        """Total in the product's units and in ona-equivalent units."""
        return {
            "product": float(sum(i.units for i in self.injections)),
            "ona": float(self.units_ona().sum()),
        }

    def mirrored(self) -> Plan:
        """The same plan on the other side of the face (for the mirror check)."""
        from .face import landmark_mirror

        partner = landmark_mirror()
        flipped = []
        for inj in self.injections:
            if inj.site:
                flipped.append(_replace(inj, site=atlas.mirror_id(inj.site)))
            elif inj.muscle:
                flipped.append(_replace(inj, muscle=atlas.mirror_id(inj.muscle)))
            else:
                dx, dy = inj.offset_mm
                flipped.append(
                    _replace(inj, landmark=int(partner[inj.landmark]), offset_mm=(-dx, dy))
                )
        return Plan(self.product, self.dilution_ml_per_100u, tuple(flipped), self.label, self.notes)


def _replace(inj: Injection, **kw: Any) -> Injection:
    from dataclasses import replace

    return replace(inj, **kw)


def _number(value: Any, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError("bad_number", f"{where}: '{name}' must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InputError("bad_number", f"{where}: '{name}' must be a finite number")
    return float(value)


def _parse_injection(raw: Any, k: int, product: str) -> Injection:
    where = f"injection {k + 1}"
    if not isinstance(raw, dict):
        raise InputError("bad_injection", f"{where}: must be an object with site/muscle/point")
    given = [key for key in ("site", "muscle", "point") if raw.get(key) is not None]
    if len(given) != 1:
        raise InputError(
            "bad_injection", f"{where}: give exactly one of 'site', 'muscle' or 'point'"
        )
    if "units" not in raw:
        raise InputError("missing_units", f"{where}: 'units' is missing")
    units = _number(raw["units"], where, "units")
    if units <= 0:
        raise InputError("bad_units", f"{where}: units must be more than 0, got {units:g}")
    limit = pharmacology.absurd_point_units(product)
    if units > limit:
        raise InputError(
            "absurd_units",
            f"{where}: {units:g} U at one point is beyond any clinical dose (max {limit:g} U)",
        )
    day = _number(raw.get("day", 0), where, "day")
    if day < 0 or day > 3650:
        raise InputError("bad_day", f"{where}: 'day' must be between 0 and 3650")
    try:
        if "site" in given:
            atlas.site(str(raw["site"]))
            return Injection(units, day, site=str(raw["site"]))
        if "muscle" in given:
            atlas.muscle(str(raw["muscle"]))
            return Injection(units, day, muscle=str(raw["muscle"]))
    except InputError as err:
        raise InputError(err.code, f"{where}: {err.message}") from None
    point = raw["point"]
    if not isinstance(point, dict) or "landmark" not in point:
        raise InputError("bad_point", f"{where}: 'point' needs a 'landmark' (0-{N_MESH - 1})")
    lm = point["landmark"]
    if isinstance(lm, bool) or not isinstance(lm, int) or not 0 <= lm < N_MESH:
        raise InputError(
            "unknown_landmark", f"{where}: landmark must be a whole number 0-{N_MESH - 1}"
        )
    off = point.get("offset_mm", [0, 0])
    if not isinstance(off, (list, tuple)) or len(off) != 2:
        raise InputError("bad_point", f"{where}: 'offset_mm' must be [dx, dy] in mm")
    dx, dy = (_number(v, where, "offset_mm") for v in off)
    return Injection(units, day, landmark=lm, offset_mm=(dx, dy))


def parse_plan(obj: dict[str, Any] | str | bytes) -> Plan:
    """Validate and normalise a plan; errors name the field and the injection."""
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except (ValueError, UnicodeDecodeError) as err:
            raise InputError("bad_plan_json", f"plan is not valid JSON ({err})") from None
    if not isinstance(obj, dict):
        raise InputError("bad_plan", "a plan must be a JSON object")
    schema = obj.get("schema", PLAN_SCHEMA)
    if schema != PLAN_SCHEMA:
        raise InputError("bad_schema", f"plan schema '{schema}' is not '{PLAN_SCHEMA}'")
    product = pharmacology.normalise_product(str(obj.get("product", "onabotulinumtoxinA")))
    dilution = _number(
        obj.get("dilution_ml_per_100u", DEFAULT_DILUTION_ML_PER_100U), "plan", "dilution"
    )
    if not 0.5 <= dilution <= 10:
        raise InputError(
            "bad_dilution", "plan: dilution_ml_per_100u must be between 0.5 and 10 ml per 100 U"
        )
    raw = obj.get("injections", [])
    if not isinstance(raw, list):
        raise InputError("bad_plan", "plan: 'injections' must be a list")
    injections = tuple(_parse_injection(r, k, product) for k, r in enumerate(raw))
    return Plan(product, dilution, injections, str(obj.get("label", "")), str(obj.get("notes", "")))


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The normalised plan as `symmetry-studio/plan/1` JSON."""
    out: dict[str, Any] = {
        "schema": PLAN_SCHEMA,
        "product": plan.product,
        "dilution_ml_per_100u": plan.dilution_ml_per_100u,
        "injections": [i.to_json() for i in plan.injections],
    }
    if plan.label:
        out["label"] = plan.label
    if plan.notes:
        out["notes"] = plan.notes
    return out
