"""Training cases: the `symmetry-studio/scenario/1` JSON, its validation and its mirror image.

A scenario names a base face, a condition in the model's own terms (extra resting tone, a weak
muscle, a thicker bulk muscle, a static offset no muscle explains, a previous treatment still
acting), the expressions to show, the question, the answer and the teaching points. Every
structural problem is an `InputError` whose one-line message names the field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .. import atlas
from ..analysis import EXPRESSIONS
from ..errors import InputError
from ..metrics import SIDE_POINTS
from ..plan import Plan, parse_plan, plan_to_json

__all__ = [
    "BASE_FACES",
    "MAX_EXTRA_THICKNESS_MM",
    "MAX_EXTRA_TONE",
    "MAX_STATIC_MM",
    "SCENARIO_SCHEMA",
    "SIDED_POINTS",
    "Answer",
    "Condition",
    "Scenario",
    "StaticOffset",
    "builtin_ids",
    "builtin_scenario",
    "builtin_scenarios",
    "load_scenario",
    "mirror_scenario",
    "parse_scenario",
    "scenario_to_json",
]

SCENARIO_SCHEMA = "symmetry-studio/scenario/1"
# Base faces we may redistribute: the bundled public-domain demo photo (simulation/demo/NOTICE.md).
# scikit-image's astronaut is not offered: scikit-image is not a dependency. A mirrored base
# (`"mirrored": true`) is the same photo flipped, a second presentation of the same face.
BASE_FACES = ("demo",)
SIDED_POINTS = tuple(  # the measurement points a static offset may centre on
    f"{p}_{s}" for p in SIDE_POINTS for s in ("left", "right")
)
# Bounds that keep a condition inside what the linear model can stand for (assumptions): tone is
# a fraction of maximal force, weakness the fraction of strength left, thickness in mm.
MAX_EXTRA_TONE = 1.0
MAX_EXTRA_THICKNESS_MM = 6.0
MAX_STATIC_MM = 6.0


@dataclass(frozen=True)
class StaticOffset:
    """A displacement (mm, head frame x/y) no muscle explains, centred on a named measurement
    point and fading over `radius_mm` (volume, skeleton, laxity)."""

    point: str
    offset_mm: tuple[float, float]
    radius_mm: float = 12.0


@dataclass(frozen=True)
class Condition:
    """What is imposed on the base face, in the model's terms."""

    tone: dict[str, float] = field(default_factory=dict)  # muscle → extra resting tone
    weakness: dict[str, float] = field(default_factory=dict)  # muscle → strength left (0-1)
    thickness_mm: dict[str, float] = field(default_factory=dict)  # bulk muscle → extra mm
    static: tuple[StaticOffset, ...] = ()
    previous_plan: Plan | None = None  # a treatment still acting on the photo day
    previous_days_ago: float = 0.0


@dataclass(frozen=True)
class Answer:
    """The known answer: the muscles (with side) that drive the asymmetry, whether toxin is the
    treatment, the units a restrained plan may still use, and which suggestion is the model."""

    drivers: tuple[str, ...]
    toxin_case: bool = True
    restraint_units: float = 0.0
    model_plan: str = "balanced"
    plan: Plan | None = None  # the educator's own model plan, instead of a suggestion


@dataclass(frozen=True)
class Scenario:
    """One training case."""

    id: str
    title: str
    base: str
    mirrored: bool
    condition: Condition
    expressions: tuple[str, ...]
    question: str
    answer: Answer
    teaching_points: tuple[dict[str, str], ...]
    photo: bytes | None = field(default=None, compare=False, repr=False)  # an uploaded base


def _fail(field_name: str, problem: str) -> InputError:
    return InputError("bad_scenario", f"scenario field '{field_name}': {problem}")


def _num(raw: Any, where: str, lo: float, hi: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise _fail(where, f"must be a number, got {raw!r}")
    if not lo <= raw <= hi:
        raise _fail(where, f"must be between {lo:g} and {hi:g}, got {raw:g}")
    return float(raw)


def _muscle(mid: Any, where: str) -> str:
    try:
        return atlas.muscle(str(mid)).id
    except InputError:
        raise _fail(where, f"unknown muscle '{mid}' (see `symmetry-studio muscles`)") from None


def _muscle_map(raw: Any, where: str, lo: float, hi: float, bulk: bool | None = None) -> dict:
    if not isinstance(raw, dict):
        raise _fail(where, "must be an object of muscle id → number")
    out = {}
    for mid, value in raw.items():
        m = _muscle(mid, f"{where}.{mid}")
        if bulk is not None and (atlas.muscle(m).kind == "bulk") != bulk:
            kind = "a bulk muscle (masseter)" if bulk else "a muscle with tone (not masseter)"
            raise _fail(f"{where}.{mid}", f"must be {kind}")
        out[m] = _num(value, f"{where}.{mid}", lo, hi)
    return out


def _static(raw: Any) -> tuple[StaticOffset, ...]:
    if not isinstance(raw, list):
        raise _fail("condition.static", "must be a list of {point, offset_mm, radius_mm}")
    out = []
    for k, item in enumerate(raw):
        where = f"condition.static[{k}]"
        if not isinstance(item, dict):
            raise _fail(where, "must be an object")
        point = item.get("point")
        if point not in SIDED_POINTS:
            raise _fail(f"{where}.point", f"must be one of {', '.join(SIDED_POINTS)}")
        off = item.get("offset_mm")
        if not isinstance(off, list) or len(off) != 2:
            raise _fail(f"{where}.offset_mm", "must be [dx, dy] in mm")
        dx, dy = (_num(v, f"{where}.offset_mm", -MAX_STATIC_MM, MAX_STATIC_MM) for v in off)
        radius = _num(item.get("radius_mm", 12.0), f"{where}.radius_mm", 3.0, 40.0)
        out.append(StaticOffset(str(point), (dx, dy), radius))
    return tuple(out)


def _condition(raw: Any) -> Condition:
    if not isinstance(raw, dict):
        raise _fail("condition", "must be an object")
    known = {"tone", "weakness", "thickness_mm", "static", "previous_treatment"}
    extra = sorted(set(raw) - known)
    if extra:
        raise _fail(f"condition.{extra[0]}", f"unknown; use {', '.join(sorted(known))}")
    prev, days_ago = None, 0.0
    if "previous_treatment" in raw:
        p = raw["previous_treatment"]
        if not isinstance(p, dict) or "plan" not in p:
            raise _fail("condition.previous_treatment", "needs 'plan' and 'days_ago'")
        days_ago = _num(p.get("days_ago"), "condition.previous_treatment.days_ago", 0, 365)
        try:
            prev = parse_plan(p["plan"])
        except InputError as err:
            raise _fail("condition.previous_treatment.plan", err.message) from None
    cond = Condition(
        tone=_muscle_map(raw.get("tone", {}), "condition.tone", -1.0, MAX_EXTRA_TONE, False),
        weakness=_muscle_map(raw.get("weakness", {}), "condition.weakness", 0.0, 1.0, False),
        thickness_mm=_muscle_map(
            raw.get("thickness_mm", {}), "condition.thickness_mm", 0.0, MAX_EXTRA_THICKNESS_MM, True
        ),
        static=_static(raw.get("static", [])),
        previous_plan=prev,
        previous_days_ago=days_ago,
    )
    if not (cond.tone or cond.weakness or cond.thickness_mm or cond.static or prev):
        raise _fail(
            "condition",
            "imposes nothing: give tone, weakness, thickness_mm, static or previous_treatment",
        )
    return cond


def _text(raw: dict, key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, "must be a non-empty string")
    return value.strip()


def parse_scenario(obj: dict[str, Any] | str | bytes, photo: bytes | None = None) -> Scenario:
    """Validate a scenario; every problem is one line naming the field."""
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except (ValueError, UnicodeDecodeError) as err:
            raise InputError("bad_scenario_json", f"scenario is not valid JSON ({err})") from None
    if not isinstance(obj, dict):
        raise InputError("bad_scenario", "a scenario must be a JSON object")
    if obj.get("schema") != SCENARIO_SCHEMA:
        raise _fail("schema", f"must be '{SCENARIO_SCHEMA}', got {obj.get('schema')!r}")
    sid = _text(obj, "id")
    if not all(c.isalnum() or c in "_-" for c in sid):
        raise _fail("id", "use letters, digits, '_' or '-' only")
    base = obj.get("base")
    if not isinstance(base, dict):
        raise _fail("base", 'must be an object like {"face": "demo", "mirrored": false}')
    face = base.get("face")
    if face not in (*BASE_FACES, "upload"):
        raise _fail("base.face", f"must be one of {', '.join(BASE_FACES)} (or 'upload')")
    if face == "upload" and photo is None:
        raise _fail("base.face", "'upload' needs the educator's photo beside the scenario")
    mirrored = base.get("mirrored", False)
    if not isinstance(mirrored, bool):
        raise _fail("base.mirrored", "must be true or false")
    exprs = obj.get("expressions", ["rest"])
    if not isinstance(exprs, list) or not exprs or exprs[0] != "rest":
        raise _fail("expressions", "must be a list starting with 'rest'")
    for e in exprs:
        if e not in EXPRESSIONS:
            raise _fail("expressions", f"unknown expression '{e}': use {', '.join(EXPRESSIONS)}")
    ans = obj.get("answer")
    if not isinstance(ans, dict):
        raise _fail("answer", "must be an object with 'drivers' and 'toxin_case'")
    drivers = ans.get("drivers")
    if not isinstance(drivers, list):
        raise _fail("answer.drivers", "must be a list of muscle ids (may be empty)")
    toxin = ans.get("toxin_case", True)
    if not isinstance(toxin, bool):
        raise _fail("answer.toxin_case", "must be true or false")
    model = ans.get("model_plan", "balanced")
    own = None
    if isinstance(model, dict):
        try:
            own = parse_plan(model)
        except InputError as err:
            raise _fail("answer.model_plan", err.message) from None
        model = "own"
    elif model not in ("conservative", "balanced", "full", "none"):
        raise _fail("answer.model_plan", "must be conservative, balanced, full, none or a plan")
    answer = Answer(
        drivers=tuple(_muscle(d, "answer.drivers") for d in drivers),
        toxin_case=toxin,
        restraint_units=_num(ans.get("restraint_units", 0), "answer.restraint_units", 0, 100),
        model_plan="none" if not toxin else model,
        plan=own,
    )
    points = obj.get("teaching_points")
    if not isinstance(points, list) or not points:
        raise _fail("teaching_points", "must be a non-empty list of {text, source}")
    for k, p in enumerate(points):
        if not isinstance(p, dict) or not isinstance(p.get("text"), str):
            raise _fail(f"teaching_points[{k}]", "needs a 'text' and a 'source'")
        if not isinstance(p.get("source"), str) or not p["source"].strip():
            raise _fail(f"teaching_points[{k}].source", "name the source (or 'assumption')")
    return Scenario(
        id=sid,
        title=_text(obj, "title"),
        base=str(face),
        mirrored=mirrored,
        condition=_condition(obj.get("condition")),
        expressions=tuple(exprs),
        question=_text(obj, "question"),
        answer=answer,
        teaching_points=tuple({"text": p["text"], "source": p["source"]} for p in points),
        photo=photo,
    )


def load_scenario(path: str | Path, photo: bytes | None = None) -> Scenario:
    """Read and validate a scenario file (`photo`: the base photo of an 'upload' scenario)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(
            "unreadable_scenario", f"cannot read scenario {p}: {err.strerror}"
        ) from None
    try:
        return parse_scenario(text, photo)
    except InputError as err:
        raise InputError(err.code, f"{p.name}: {err.message}") from None


def _cases_dir() -> Any:
    return resources.files(__package__) / "cases"


def builtin_ids() -> tuple[str, ...]:
    """Ids of the built-in cases, in library order (file names sort by their number prefix)."""
    return tuple(s.id for s in builtin_scenarios())


def builtin_scenarios() -> tuple[Scenario, ...]:
    """The built-in case library (simulation/training/cases/*.json, shipped in the wheel)."""
    files = sorted(f for f in _cases_dir().iterdir() if f.name.endswith(".json"))
    out = []
    for f in files:
        try:
            out.append(parse_scenario(f.read_text(encoding="utf-8")))
        except InputError as err:
            raise InputError(err.code, f"{f.name}: {err.message}") from None
    return tuple(out)


def builtin_scenario(case_id: str) -> Scenario:
    """A built-in case by id (`<id>_mirrored` gives its mirror image)."""
    if case_id.endswith("_mirrored"):
        return mirror_scenario(builtin_scenario(case_id.removesuffix("_mirrored")))
    for s in builtin_scenarios():
        if s.id == case_id:
            return s
    raise InputError(
        "unknown_case",
        f"unknown training case '{case_id}': see `symmetry-studio train list`",
    )


def _mirror_point(name: str) -> str:
    return name.replace("_left", "_tmp").replace("_right", "_left").replace("_tmp", "_right")


def mirror_scenario(s: Scenario) -> Scenario:
    """The same case on the other side of the face: the base photo flipped, every muscle,
    point and previous injection swapped left for right (for the mirror check and variety)."""
    c = s.condition
    m = atlas.mirror_id
    cond = Condition(
        tone={m(k): v for k, v in c.tone.items()},
        weakness={m(k): v for k, v in c.weakness.items()},
        thickness_mm={m(k): v for k, v in c.thickness_mm.items()},
        static=tuple(
            StaticOffset(_mirror_point(o.point), (-o.offset_mm[0], o.offset_mm[1]), o.radius_mm)
            for o in c.static
        ),
        previous_plan=None if c.previous_plan is None else c.previous_plan.mirrored(),
        previous_days_ago=c.previous_days_ago,
    )
    sid = s.id.removesuffix("_mirrored") if s.id.endswith("_mirrored") else f"{s.id}_mirrored"
    return replace(
        s,
        id=sid,
        mirrored=not s.mirrored,
        condition=cond,
        answer=replace(
            s.answer,
            drivers=tuple(m(d) for d in s.answer.drivers),
            plan=None if s.answer.plan is None else s.answer.plan.mirrored(),
        ),
    )


def scenario_to_json(s: Scenario) -> dict[str, Any]:
    """The scenario as `symmetry-studio/scenario/1` JSON (what an educator writes)."""
    c = s.condition
    cond: dict[str, Any] = {}
    if c.tone:
        cond["tone"] = dict(c.tone)
    if c.weakness:
        cond["weakness"] = dict(c.weakness)
    if c.thickness_mm:
        cond["thickness_mm"] = dict(c.thickness_mm)
    if c.static:
        cond["static"] = [
            {"point": o.point, "offset_mm": list(o.offset_mm), "radius_mm": o.radius_mm}
            for o in c.static
        ]
    if c.previous_plan is not None:
        cond["previous_treatment"] = {
            "days_ago": c.previous_days_ago,
            "plan": plan_to_json(c.previous_plan),
        }
    return {
        "schema": SCENARIO_SCHEMA,
        "id": s.id,
        "title": s.title,
        "base": {"face": s.base, "mirrored": s.mirrored},
        "condition": cond,
        "expressions": list(s.expressions),
        "question": s.question,
        "answer": {
            "drivers": list(s.answer.drivers),
            "toxin_case": s.answer.toxin_case,
            "restraint_units": s.answer.restraint_units,
            "model_plan": plan_to_json(s.answer.plan) if s.answer.plan else s.answer.model_plan,
        },
        "teaching_points": [dict(p) for p in s.teaching_points],
    }
