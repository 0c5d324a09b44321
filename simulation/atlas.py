"""Muscle atlas, standard injection sites and danger zones, placed on any face by its landmarks.

The numbers live in `meshes/muscles.json` and `meshes/injection_sites.json` (each with its source or
an `assumption:` note); this module only expands the paired entries to both sides through the
canonical mirror map, validates them, and turns landmark anchors into head-frame points.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np

from .canonical import N_MESH, canonical_mesh
from .errors import InputError
from .resources import load_json

KINDS = ("linear", "sphincter", "sheet", "bulk")
ROLES = (
    "brow_elevator",
    "brow_depressor",
    "eye_closer",
    "lid_closer",
    "lip_elevator",
    "lip_depressor",
    "mouth_widener",
    "lip_sphincter",
    "jaw_closer",
    "nose",
    "chin",
)
AREAS = ("forehead", "glabella", "periorbital", "nose", "midface", "perioral", "jaw", "neck")
SIDES = ("left", "right", "midline")
_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_MIRROR_X = np.array([-1.0, 1.0, 1.0])


def _frozen(values: Sequence[float]) -> np.ndarray:
    arr = np.array(values, dtype=np.float64)
    arr.setflags(write=False)
    return arr


def _anchor(vertices_mm: np.ndarray, landmarks: tuple[int, ...], offset: np.ndarray) -> np.ndarray:
    return np.asarray(vertices_mm, dtype=np.float64)[list(landmarks), :3].mean(axis=0) + offset


@dataclass(frozen=True, eq=False)
class Muscle:
    """One muscle on one side: landmark anchors (mean of vertices + head-frame offset) and figures.

    `origin` is the bone attachment (a sphincter's centre; for a bulk muscle the bone under the
    belly), `insertion` the skin it pulls (for a sphincter, the ring of insertion landmarks), so the
    fibre direction runs from the insertion towards the origin.
    """

    id: str
    name: str
    side: str
    kind: str
    role: str
    origin_landmarks: tuple[int, ...]
    origin_offset_mm: np.ndarray
    insertion_landmarks: tuple[int, ...]
    insertion_offset_mm: np.ndarray
    radius_mm: float
    belly_landmarks: tuple[int, ...]
    belly_offset_mm: np.ndarray
    belly_radius_mm: float
    max_force_n: float
    resting_tone: float
    thickness_mm: float | None
    provenance: Mapping[str, str]
    depth_mm: float | None = None
    notes: str = ""
    lateral_of_landmarks: tuple[int, ...] = ()  # pull only lateral to the vertical through these
    lateral_fade_mm: float = 0.0  # width of that limit's soft edge

    @property
    def base_id(self) -> str:
        """The id without its `_left`/`_right` suffix (the JSON entry it came from)."""
        return _base_id(self.id)

    def origin(self, vertices_mm: np.ndarray) -> np.ndarray:
        """Bone attachment (sphincter centre) on a subject's 468 head-frame vertices, (3,) mm."""
        return _anchor(vertices_mm, self.origin_landmarks, self.origin_offset_mm)

    def insertion(self, vertices_mm: np.ndarray) -> np.ndarray:
        """Centre of the skin region the muscle pulls, (3,) mm."""
        return _anchor(vertices_mm, self.insertion_landmarks, self.insertion_offset_mm)

    def insertion_points(self, vertices_mm: np.ndarray) -> np.ndarray:
        """Each insertion landmark plus the offset, (k, 3) mm: a sphincter's ring."""
        v = np.asarray(vertices_mm, dtype=np.float64)
        return v[list(self.insertion_landmarks), :3] + self.insertion_offset_mm

    def belly(self, vertices_mm: np.ndarray) -> np.ndarray:
        """Centre of the belly (where toxin acts), (3,) mm, on the skin surface like the sites:
        an offset from a landmark up a sloping forehead would otherwise float off the face."""
        p = _anchor(vertices_mm, self.belly_landmarks, self.belly_offset_mm)
        v = np.asarray(vertices_mm, dtype=np.float64)
        return np.array([p[0], p[1], surface_z(p[:2], v)])

    def fibre_direction(self, vertices_mm: np.ndarray) -> np.ndarray:
        """Unit vector from the insertion towards the origin (zero for a closed sphincter ring)."""
        if self.kind == "sphincter":
            pts = self.insertion_points(vertices_mm)
            d = self.origin(vertices_mm) - pts
            d /= np.linalg.norm(d, axis=1, keepdims=True)
            vec = d.mean(axis=0)
        else:
            vec = self.origin(vertices_mm) - self.insertion(vertices_mm)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 1e-6 else np.zeros(3)


@dataclass(frozen=True, eq=False)
class InjectionSite:
    """A standard injection point: a landmark plus an (x, y) offset in mm, on the skin surface."""

    id: str
    label: str
    area: str
    side: str
    landmark: int
    offset_mm: np.ndarray
    target: str
    usual_units: tuple[float, float]
    depth: str
    notes: str
    provenance: Mapping[str, str]
    default: bool = False
    routine: bool = True  # False: a smile-elevator point, for the injector's own plans only

    def position(self, vertices_mm: np.ndarray) -> np.ndarray:
        """The site on a subject's skin: landmark + offset in the face plane, z from the surface."""
        v = np.asarray(vertices_mm, dtype=np.float64)
        xy = v[self.landmark, :2] + self.offset_mm
        return np.array([xy[0], xy[1], surface_z(xy, v)])


@dataclass(frozen=True, eq=False)
class DangerZone:
    """A region of the face plane (polygon of landmark anchors) where an injection risks harm."""

    code: str
    side: str
    message: str
    polygon: tuple[tuple[int, float, float], ...]
    applies_to: frozenset[str] | None
    exempt: frozenset[str] = field(default_factory=frozenset)

    def polygon_xy(self, vertices_mm: np.ndarray) -> np.ndarray:
        """The zone's corners in the head frame's (x, y) plane, (k, 2) mm."""
        v = np.asarray(vertices_mm, dtype=np.float64)
        return np.array([v[i, :2] + (dx, dy) for i, dx, dy in self.polygon])

    def applies(self, target: str | None) -> bool:
        """Whether the zone matters for an injection aimed at `target` (any muscle when None)."""
        if target is None:
            return True
        base = _base_id(target)
        if base in self.exempt:
            return False
        return self.applies_to is None or base in self.applies_to

    def contains(self, point_mm: np.ndarray, vertices_mm: np.ndarray) -> bool:
        """Whether the point's (x, y) lies inside the polygon (even-odd rule)."""
        return _inside(np.asarray(point_mm, dtype=np.float64)[:2], self.polygon_xy(vertices_mm))


def _base_id(any_id: str) -> str:
    for suffix in ("_left", "_right"):
        if any_id.endswith(suffix):
            return any_id[: -len(suffix)]
    return any_id


def mirror_id(muscle_or_site_id: str) -> str:
    """The id of the mirror-image muscle or site: swaps `_left`/`_right`, midline ids unchanged."""
    if muscle_or_site_id.endswith("_left"):
        return muscle_or_site_id[: -len("_left")] + "_right"
    if muscle_or_site_id.endswith("_right"):
        return muscle_or_site_id[: -len("_right")] + "_left"
    return muscle_or_site_id


def _inside(p: np.ndarray, poly: np.ndarray) -> bool:
    x, y = p
    xs, ys = poly[:, 0], poly[:, 1]
    xn, yn = np.roll(xs, -1), np.roll(ys, -1)
    crosses = (ys > y) != (yn > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = xs + (y - ys) * (xn - xs) / (yn - ys)
    return bool(np.count_nonzero(crosses & (x < x_at)) % 2)


def surface_z(xy: np.ndarray, vertices_mm: np.ndarray) -> float:
    """Height of the front-most canonical-topology triangle over (x, y); off the mesh (above the
    forehead's edge, say), the height of the nearest vertex, so points just inside and just
    outside the edge stay consistent."""
    v = np.asarray(vertices_mm, dtype=np.float64)
    tri = v[canonical_mesh().faces]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    v0, v1 = b[:, :2] - a[:, :2], c[:, :2] - a[:, :2]
    v2 = np.asarray(xy, dtype=np.float64) - a[:, :2]
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    ok = np.abs(den) > 1e-12
    den = np.where(ok, den, 1.0)
    s = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
    t = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
    eps = 1e-9
    hit = ok & (s >= -eps) & (t >= -eps) & (s + t <= 1 + eps)
    if not hit.any():
        nearest = np.argmin(np.sum((v[:, :2] - np.asarray(xy, dtype=np.float64)) ** 2, axis=1))
        return float(v[nearest, 2])
    z = a[:, 2] + s * (b[:, 2] - a[:, 2]) + t * (c[:, 2] - a[:, 2])
    return float(z[hit].max())


# ---- loading and validation -------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_fields(entry: Mapping[str, Any]) -> list[str]:
    """Names of the entry's fields holding a number or a (nested) list of numbers."""

    def numeric(value: Any) -> bool:
        if _is_number(value):
            return True
        return isinstance(value, list) and bool(value) and all(numeric(x) for x in value)

    return [k for k, v in entry.items() if k != "provenance" and numeric(v)]


def provenance_keys(text: str) -> list[str] | None:
    """Source keys named by a provenance string, or None for an `assumption:` note."""
    head = text.split(":", 1)[0].strip()
    if head == "assumption":
        return None
    return [k.strip() for k in head.split(",")]


def check_provenance(entry: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    """Every numeric field needs `assumption: ...` or existing source keys in `provenance`."""
    prov = entry.get("provenance", {})
    where = entry.get("id") or entry.get("code")
    for name in _numeric_fields(entry):
        text = prov.get(name)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: numeric field '{name}' has no provenance")
        keys = provenance_keys(text)
        if keys is None:
            if len(text.split(":", 1)[1].strip()) < 5:
                raise ValueError(f"{where}: assumption for '{name}' does not say why")
            continue
        missing = [k for k in keys if k not in sources]
        if missing:
            raise ValueError(f"{where}: provenance of '{name}' cites unknown source {missing}")


def _check_landmarks(where: str, landmarks: Sequence[int]) -> tuple[int, ...]:
    out = tuple(int(i) for i in landmarks)
    if not out or any(i < 0 or i >= N_MESH for i in out):
        raise ValueError(f"{where}: landmarks must be canonical vertices 0..{N_MESH - 1}")
    return out


def _check_midline(where: str, landmarks: tuple[int, ...], offset: np.ndarray) -> None:
    mirror = canonical_mesh().mirror
    if sorted(int(mirror[i]) for i in landmarks) != sorted(landmarks) or offset[0] != 0:
        raise ValueError(f"{where}: a midline anchor needs a mirror-closed landmark set and dx = 0")


def _sides(entry: Mapping[str, Any]) -> tuple[str, ...]:
    return ("left", "right") if entry.get("paired") else ("midline",)


def _side_id(base: str, side: str) -> str:
    return base if side == "midline" else f"{base}_{side}"


def _place(landmarks: tuple[int, ...], offset: np.ndarray, side: str) -> tuple:
    if side != "right":
        return landmarks, offset
    mirror = canonical_mesh().mirror
    return tuple(int(mirror[i]) for i in landmarks), offset * _MIRROR_X[: len(offset)]


def _build_muscles(data: Mapping[str, Any]) -> tuple[Muscle, ...]:
    sources = data["sources"]
    out: list[Muscle] = []
    for entry in data["muscles"]:
        base = entry["id"]
        if not _ID.match(base) or base.endswith(("_left", "_right")):
            raise ValueError(f"muscle id '{base}' must be snake_case without a side suffix")
        if entry["kind"] not in KINDS or entry["role"] not in ROLES:
            raise ValueError(f"{base}: unknown kind '{entry['kind']}' or role '{entry['role']}'")
        check_provenance(entry, sources)
        anchors = {}
        for part in ("origin", "insertion", "belly"):
            lms = _check_landmarks(base, entry[f"{part}_landmarks"])
            off = np.asarray(entry[f"{part}_offset_mm"], dtype=np.float64)
            if off.shape != (3,):
                raise ValueError(f"{base}: {part}_offset_mm must be [dx, dy, dz]")
            if not entry.get("paired"):
                _check_midline(base, lms, off)
            anchors[part] = (lms, off)
        tone = float(entry["resting_tone"])
        if not 0.0 <= tone <= 1.0 or entry["radius_mm"] <= 0 or entry["belly_radius_mm"] <= 0:
            raise ValueError(f"{base}: resting_tone must be in 0..1 and radii positive")
        if entry["max_force_n"] <= 0:
            raise ValueError(f"{base}: max_force_n must be positive")
        if (entry["kind"] == "bulk") != (entry.get("thickness_mm") is not None):
            raise ValueError(f"{base}: thickness_mm is required for bulk muscles and only for them")
        limit = (
            _check_landmarks(base, entry["lateral_of_landmarks"])
            if "lateral_of_landmarks" in entry
            else ()
        )
        fade = float(entry.get("lateral_fade_mm", 0.0))
        if limit and (not entry.get("paired") or fade <= 0):
            raise ValueError(
                f"{base}: a lateral limit needs a paired muscle and lateral_fade_mm > 0"
            )
        for side in _sides(entry):
            placed = {p: _place(*anchors[p], side) for p in anchors}
            thickness = entry.get("thickness_mm")
            depth = entry.get("depth_mm")
            out.append(
                Muscle(
                    id=_side_id(base, side),
                    name=entry["name"],
                    side=side,
                    kind=entry["kind"],
                    role=entry["role"],
                    origin_landmarks=placed["origin"][0],
                    origin_offset_mm=_frozen(placed["origin"][1]),
                    insertion_landmarks=placed["insertion"][0],
                    insertion_offset_mm=_frozen(placed["insertion"][1]),
                    radius_mm=float(entry["radius_mm"]),
                    belly_landmarks=placed["belly"][0],
                    belly_offset_mm=_frozen(placed["belly"][1]),
                    belly_radius_mm=float(entry["belly_radius_mm"]),
                    max_force_n=float(entry["max_force_n"]),
                    resting_tone=tone,
                    thickness_mm=None if thickness is None else float(thickness),
                    provenance=MappingProxyType(dict(entry["provenance"])),
                    depth_mm=None if depth is None else float(depth),
                    notes=entry.get("notes", ""),
                    lateral_of_landmarks=_place(limit, np.zeros(3), side)[0] if limit else (),
                    lateral_fade_mm=fade,
                )
            )
    return tuple(out)


def _build_sites(data: Mapping[str, Any], muscle_ids: set[str]) -> tuple[InjectionSite, ...]:
    sources = data["sources"]
    out: list[InjectionSite] = []
    for entry in data["sites"]:
        base = entry["id"]
        if not _ID.match(base) or base.endswith(("_left", "_right")):
            raise ValueError(f"site id '{base}' must be snake_case without a side suffix")
        if entry["area"] not in AREAS:
            raise ValueError(f"{base}: unknown area '{entry['area']}'")
        check_provenance(entry, sources)
        (landmark,) = _check_landmarks(base, [entry["landmark"]])
        offset = np.asarray(entry["offset_mm"], dtype=np.float64)
        if offset.shape != (2,):
            raise ValueError(f"{base}: offset_mm must be [dx, dy]")
        if not entry.get("paired"):
            _check_midline(base, (landmark,), offset)
        lo, hi = (float(u) for u in entry["usual_units"])
        if not 0 < lo <= hi:
            raise ValueError(f"{base}: usual_units must be [low, high] with 0 < low <= high")
        for side in _sides(entry):
            (lm,), off = _place((landmark,), offset, side)
            target = entry["target"]
            if target not in muscle_ids:
                target = _side_id(target, side)
            if target not in muscle_ids:
                raise ValueError(f"{base}: target muscle '{entry['target']}' is not in the atlas")
            out.append(
                InjectionSite(
                    id=_side_id(base, side),
                    label=entry["label"] + ("" if side == "midline" else f" ({side})"),
                    area=entry["area"],
                    side=side,
                    landmark=lm,
                    offset_mm=_frozen(off),
                    target=target,
                    usual_units=(lo, hi),
                    depth=entry["depth"],
                    notes=entry.get("notes", ""),
                    provenance=MappingProxyType(dict(entry["provenance"])),
                    default=bool(entry.get("default", False)),
                    routine=bool(entry.get("routine", True)),
                )
            )
    return tuple(out)


def _build_zones(data: Mapping[str, Any], muscle_bases: set[str]) -> tuple[DangerZone, ...]:
    sources = data["sources"]
    out: list[DangerZone] = []
    for entry in data["danger_zones"]:
        check_provenance(entry, sources)
        corners = [(int(c[0]), float(c[1]), float(c[2])) for c in entry["polygon"]]
        _check_landmarks(entry["code"], [c[0] for c in corners])
        applies = entry.get("applies_to")
        named = set(applies or ()) | set(entry.get("exempt", ()))
        if named - muscle_bases:
            raise ValueError(f"{entry['code']}: unknown muscles {sorted(named - muscle_bases)}")
        for side in _sides(entry):
            mirror = canonical_mesh().mirror
            placed = tuple(
                (int(mirror[i]), -dx, dy) if side == "right" else (i, dx, dy)
                for i, dx, dy in corners
            )
            out.append(
                DangerZone(
                    code=entry["code"],
                    side=side,
                    message=entry["message"].format(side=side if side != "midline" else "central"),
                    polygon=placed,
                    applies_to=None if applies is None else frozenset(applies),
                    exempt=frozenset(entry.get("exempt", ())),
                )
            )
    return tuple(out)


@cache
def _atlas() -> tuple[tuple[Muscle, ...], tuple[InjectionSite, ...], tuple[DangerZone, ...]]:
    ms = _build_muscles(load_json("muscles.json"))
    ids = {m.id for m in ms}
    if len(ids) != len(ms):
        raise ValueError("duplicate muscle ids in muscles.json")
    site_data = load_json("injection_sites.json")
    ss = _build_sites(site_data, ids)
    if len({s.id for s in ss}) != len(ss):
        raise ValueError("duplicate site ids in injection_sites.json")
    zones = _build_zones(site_data, {m.base_id for m in ms})
    return ms, ss, zones


@cache
def _index() -> tuple[dict[str, Muscle], dict[str, InjectionSite], dict[str, InjectionSite]]:
    ms, ss, _ = _atlas()
    defaults: dict[str, InjectionSite] = {}
    for s in ss:
        if s.default:
            if s.target in defaults:
                raise ValueError(f"two default sites for {s.target}")
            defaults[s.target] = s
    missing = [m.id for m in ms if m.id not in defaults]
    if missing:
        raise ValueError(f"muscles without a default site: {missing}")
    return {m.id: m for m in ms}, {s.id: s for s in ss}, defaults


def muscle_paths(vertices_mm: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Each muscle as a polyline on a subject's face, for drawing: insertion to bone attachment
    (linear, sheet), the closed ring of insertion points (sphincter), a circle round the belly
    (bulk). Points sit on the skin so they show over the face."""
    v = np.asarray(vertices_mm, dtype=np.float64)
    out = []
    for m in muscles():
        if m.kind == "sphincter":
            ring = m.insertion_points(v)
            path = np.vstack([ring, ring[:1]])
        elif m.kind == "bulk":
            c = m.belly(v)
            a = np.linspace(0.0, 2.0 * np.pi, 25)
            r = 0.5 * m.belly_radius_mm
            path = c + np.column_stack([r * np.cos(a), r * np.sin(a), np.zeros_like(a)])
        else:
            path = np.vstack([m.insertion(v), m.origin(v)])
        on_skin = [surface_z(p[:2], v) for p in path]
        out.append((m.id, np.column_stack([path[:, :2], on_skin])))
    return out


def muscles() -> tuple[Muscle, ...]:
    """All muscles, paired ones expanded to `_left` then `_right`, in the data file's order."""
    return _atlas()[0]


def sites() -> tuple[InjectionSite, ...]:
    """All standard injection sites, paired ones expanded to both sides."""
    return _atlas()[1]


def zones() -> tuple[DangerZone, ...]:
    """All danger zones, paired ones expanded to both sides."""
    return _atlas()[2]


def _unknown(code: str, kind: str, wanted: str, valid: Sequence[str]) -> InputError:
    hint = ", ".join(list(valid)[:6])
    return InputError(code, f"unknown {kind} '{wanted}': valid ids include {hint}, ...")


def muscle(muscle_id: str) -> Muscle:
    """The muscle with this id; an unknown id is an InputError('unknown_muscle')."""
    by_id = _index()[0]
    if muscle_id not in by_id:
        raise _unknown("unknown_muscle", "muscle", muscle_id, list(by_id))
    return by_id[muscle_id]


def site(site_id: str) -> InjectionSite:
    """The standard site with this id; an unknown id is an InputError('unknown_site')."""
    by_id = _index()[1]
    if site_id not in by_id:
        raise _unknown("unknown_site", "site", site_id, list(by_id))
    return by_id[site_id]


def default_site_for(muscle_id: str) -> InjectionSite:
    """The site a plan naming only the muscle injects (same side as the muscle)."""
    return _index()[2][muscle(muscle_id).id]


def danger_zones(
    point_mm: np.ndarray, vertices_mm: np.ndarray, target: str | None = None
) -> list[tuple[str, str]]:
    """(code, message) for each danger zone the point's (x, y) lies in on this face.

    With `target` (a muscle id) only the zones that matter for that muscle are checked: e.g.
    `frontalis_low` only for frontalis injections, `below_upper_dao` only for the DAO.
    """
    v = np.asarray(vertices_mm, dtype=np.float64)
    return [(z.code, z.message) for z in zones() if z.applies(target) and z.contains(point_mm, v)]
