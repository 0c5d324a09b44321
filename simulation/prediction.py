"""Plan × time × uncertainty → predicted face: the superposition of per-muscle responses.

The tissue is linear around the photographed face, so each muscle's unit response is solved once
per subject (`build_subject`); any plan at any day, for 200 parameter draws, is a small dense
product (`predict`). The non-linear parts (spread, dose-response, time course, atrophy) live in
the per-muscle scalars from `pharmacology`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import atlas, pharmacology
from .errors import Notice
from .metrics import LABELS, METRIC_NAMES, VISIBILITY_MM, symmetry_index
from .plan import Plan, plan_to_json
from .resources import THRESHOLDS, data_values, load_json
from .response import (
    Draws,
    Subject,
    activation_change,
    build_subject,
    effects,
    measurement_noise,
    point_metrics,
)

__all__ = [
    "DEFAULT_DAYS",
    "LID_CLOSURE_WARN_UNITS",
    "PEAK_DAY",
    "SIMULATION_SCHEMA",
    "MetricRange",
    "Prediction",
    "Range",
    "Subject",
    "build_subject",
    "lid_closure_warnings",
    "outcome_warnings",
    "plan_warnings",
    "predict",
    "pretarsal_units",
]

SIMULATION_SCHEMA = "symmetry-studio/simulation/1"
DEFAULT_DAYS = (0.0, 3.0, 14.0, 90.0, 180.0)
PEAK_DAY = 14.0  # review visit; effects reach their plateau by about day 14 (clinical-basis.md)
# Warning thresholds and the frontalis-without-glabella rule, with their reasons:
# meshes/thresholds.json "warnings" (a brow dropping 1 mm or an eye narrowing 0.5 mm is worth a
# word; a flip past 0.5 mm is an over-correction).
_WARN = data_values(THRESHOLDS, "warnings")
BROW_DROP_WARN_MM: float = _WARN["brow_drop_mm"]
LID_DROP_WARN_MM: float = _WARN["lid_drop_mm"]
LID_CLOSURE_WARN_UNITS: float = _WARN["lid_closure_units_ona"]
# The lid's closing muscle: the pretarsal orbicularis of the upper and lower lid (atlas base ids).
LID_CLOSERS = ("orbicularis_oculi_pretarsal_upper", "orbicularis_oculi_pretarsal_lower")
FLIP_MIN_MM: float = _WARN["flip_min_mm"]
_FRONTALIS_RULE = load_json(THRESHOLDS)["warnings"]["frontalis_without_glabella"]
FRONTALIS: frozenset[str] = frozenset(_FRONTALIS_RULE["treated"])
GLABELLA: frozenset[str] = frozenset(_FRONTALIS_RULE["needs_one_of"])
# The outcome warnings judge a plan on their own, smaller batch of draws (a seed of their own,
# so they do not move when `predict` is asked for another seed or sample count).
OUTCOME_SAMPLES = 100
OUTCOME_SEED = 1


@dataclass(frozen=True)
class Range:
    """A predicted value: 10th percentile, median, 90th percentile."""

    p10: float
    median: float
    p90: float

    def to_json(self) -> dict[str, float]:
        return {
            "median": round(self.median, 3),
            "p10": round(self.p10, 3),
            "p90": round(self.p90, 3),
        }


@dataclass(frozen=True)
class MetricRange:
    """A predicted measurement on both sides, with ranges."""

    name: str
    left: Range
    right: Range
    diff: Range

    @property
    def visible(self) -> bool:
        t = VISIBILITY_MM[self.name]
        return t is not None and abs(self.diff.median) >= t

    def to_json(self) -> dict[str, Any]:
        return {
            "left": self.left.to_json(),
            "right": self.right.to_json(),
            "diff": self.diff.to_json(),
            "visible": self.visible,
        }


@dataclass
class Prediction:
    """What a plan is predicted to do, day by day, with ranges and warnings."""

    plan: Plan
    expression: str
    days: np.ndarray
    metrics: list[dict[str, MetricRange]]
    displacement_mm: np.ndarray  # (T, 468, 3), median parameters
    vertices_mm: np.ndarray  # (T, 468, 3)
    inhibition: list[dict[str, float]]
    thickness_change_pct: list[dict[str, float]]
    warnings: list[Notice] = field(default_factory=list)

    @property
    def total_units(self) -> dict[str, float]:
        return self.plan.total_units()

    def at(self, day: float) -> int:
        """Index of the predicted day nearest `day`."""
        return int(np.abs(self.days - day).argmin())

    def to_json(self) -> dict[str, Any]:
        timeline = []
        for t, day in enumerate(self.days):
            muscles = {}
            for mid, inh in self.inhibition[t].items():
                entry: dict[str, float] = {"inhibition": round(inh, 4)}
                if mid in self.thickness_change_pct[t]:
                    entry["thickness_change_pct"] = round(self.thickness_change_pct[t][mid], 2)
                muscles[mid] = entry
            timeline.append(
                {
                    "day": float(day),
                    "metrics": {k: m.to_json() for k, m in self.metrics[t].items()},
                    "muscles": muscles,
                }
            )
        return {
            "schema": SIMULATION_SCHEMA,
            "plan": plan_to_json(self.plan),
            "expression": self.expression,
            "total_units": self.total_units,
            "timeline": timeline,
            "warnings": [w.to_json() for w in self.warnings],
        }


def predict(
    subject: Subject,
    plan: Plan,
    days: Sequence[float] = DEFAULT_DAYS,
    expression: str = "rest",
    samples: int = 200,
    seed: int = 0,
    measurement_error: bool = True,
    draws: Draws | None = None,
) -> Prediction:
    """Predict the face for `plan` at each of `days` (median and 10th-90th percentile). With
    `measurement_error`, each draw of a left-right difference also carries one draw of the
    starting photo's measurement error (the same on every day): the face is measured, not
    known. The per-side figures and the suggestion's own checks leave it out. `draws` replaces
    the model's prior draws (`samples` of them from `seed`), e.g. by one patient's calibrated
    draws from `calibration.patient_response`, whose medians then also make the median face."""
    days_arr = np.asarray(days, dtype=np.float64)
    expr = subject.expression_activation(expression)
    patient = draws
    median, factor = (pharmacology.Params(), 1.0) if draws is None else draws.median()
    inh_med, thick_med = effects(subject, plan, days_arr, median)
    delta_med = activation_change(subject, inh_med, thick_med, expr, factor)  # (T, M)
    disp = np.tensordot(delta_med, subject.landmark_basis, axes=([-1], [0]))  # (T, 468, 3)
    verts = subject.analysis.mesh.vertices_mm[None] + disp

    if draws is None:
        draws = Draws.sample(samples, seed)
    samples = draws.n
    inh_s, thick_s = effects(subject, plan, days_arr, draws.params)
    response = draws.response[:, None, None]
    per_side = point_metrics(subject, activation_change(subject, inh_s, thick_s, expr, response))
    mirror = subject.analysis.mesh.mirror
    si = symmetry_index(verts, mirror)  # (T,)

    two_sided = [n for n in METRIC_NAMES if n != "symmetry_index_mm"]
    left = np.stack([per_side["left"][n] for n in two_sided])  # (K, n, T)
    right = np.stack([per_side["right"][n] for n in two_sided])
    diff = left - right
    if measurement_error:
        sd = np.array([subject.analysis.metrics[n].diff_sd for n in two_sided])
        diff = diff + measurement_noise(sd, samples, seed)[:, :, None]
    # one percentile call for every metric, side and day: (3 quantiles, 3 series, K, T)
    q = np.percentile(np.stack([left, right, diff]), [10, 50, 90], axis=2)
    metrics: list[dict[str, MetricRange]] = []
    for t in range(len(days_arr)):
        day_metrics = {}
        for k, name in enumerate(two_sided):
            lo, mid, hi = q[0, :, k, t], q[1, :, k, t], q[2, :, k, t]
            ranges = [Range(float(lo[j]), float(mid[j]), float(hi[j])) for j in range(3)]
            day_metrics[name] = MetricRange(name, *ranges)
        r = Range(float(si[t]), float(si[t]), float(si[t]))
        day_metrics["symmetry_index_mm"] = MetricRange(
            "symmetry_index_mm", r, r, Range(0.0, 0.0, 0.0)
        )
        metrics.append({n: day_metrics[n] for n in METRIC_NAMES})

    ids = subject.muscle_ids
    bulk_ids = [mid for mid, b in zip(ids, subject.bulk, strict=True) if b]
    prediction = Prediction(
        plan=plan,
        expression=expression,
        days=days_arr,
        metrics=metrics,
        displacement_mm=disp,
        vertices_mm=verts,
        inhibition=[dict(zip(ids, map(float, row), strict=True)) for row in inh_med],
        thickness_change_pct=[
            {mid: 100.0 * float(row[ids.index(mid)]) for mid in bulk_ids} for row in thick_med
        ],
    )
    prediction.warnings = plan_warnings(subject, plan) + outcome_warnings(subject, plan, patient)
    return prediction


def plan_warnings(subject: Subject, plan: Plan) -> list[Notice]:
    """Clinical risks visible from the plan and the face alone (codes are stable)."""
    out: list[Notice] = []
    v468 = subject.analysis.mesh.vertices_mm
    units_ona = plan.units_ona()
    days = np.array([i.day for i in plan.injections])
    limit = pharmacology.session_max_ona()
    window = pharmacology.min_repeat_interval_days()
    for d in np.unique(days):
        in_window = units_ona[(days >= d) & (days < d + window)].sum()
        if in_window > limit:
            out.append(
                Notice(
                    "over_session_maximum",
                    f"{in_window:.0f} U (ona-equivalent) within 3 months from day {d:g}: "
                    f"above the {limit:.0f} U label maximum",
                    day=float(d),
                )
            )
            break
    for d in np.unique(days):
        targets = {(plan.injections[k].target or "") for k in np.flatnonzero(days == d)}
        bases = {t.removesuffix("_left").removesuffix("_right") for t in targets}
        if bases & FRONTALIS and not bases & GLABELLA:
            out.append(
                Notice(
                    "frontalis_without_glabella",
                    f"day {d:g}: frontalis treated without the glabella; the unopposed "
                    "depressors can drop the brow (treat both together)",
                    day=float(d),
                )
            )
    out += lid_closure_warnings(subject, plan)
    for k, inj in enumerate(plan.injections):
        where = f"injection {k + 1} ({inj.describe()})"
        at = {"injection": k, "day": float(inj.day), "site": inj.site_id}
        at["what"] = inj.describe(day=False)
        for code, message in atlas.danger_zones(inj.position(v468), v468, inj.target):
            out.append(Notice(code, f"{where}: {message}", reason=message, **at))
        sid = inj.site_id
        if sid:
            lo, hi = atlas.site(sid).usual_units
            u = float(units_ona[k])
            if u > 2.0 * hi or u < 0.25 * lo:
                why = f"{u:g} U ona-equivalent is far outside this site's usual {lo:g}-{hi:g} U"
                out.append(Notice("unusual_dose", f"{where}: {why}", reason=why, **at))
    return out


def pretarsal_units(subject: Subject, plan: Plan, day: float) -> dict[str, float]:
    """Ona units that reach each eye's pretarsal orbicularis (upper and lower lid together, at
    the median spread) from the injections of the 3-month window starting on `day`."""
    window = pharmacology.min_repeat_interval_days()
    days = np.array([i.day for i in plan.injections])
    use = (days >= day) & (days < day + window)
    if not use.any():
        return {"left": 0.0, "right": 0.0}
    v468 = subject.analysis.mesh.vertices_mm
    points = np.array([inj.position(v468) for inj in plan.injections])[use]
    received = pharmacology.received_units(
        points,
        plan.units_ona()[use],
        plan.volumes_ml()[use],
        subject.belly_mm,
        subject.belly_radius_mm,
    )
    out = {}
    for side in ("left", "right"):
        rows = [subject.muscle_ids.index(f"{base}_{side}") for base in LID_CLOSERS]
        out[side] = float(received[rows].sum())
    return out


def lid_closure_warnings(subject: Subject, plan: Plan) -> list[Notice]:
    """A blepharospasm-size dose on an eye's pretarsal orbicularis: the lids may not close
    (lagophthalmos) and the eye may dry (threshold and sources: meshes/thresholds.json)."""
    out: list[Notice] = []
    for d in np.unique([i.day for i in plan.injections]):
        for side, units in pretarsal_units(subject, plan, float(d)).items():
            if units > LID_CLOSURE_WARN_UNITS:
                out.append(
                    Notice(
                        "lid_closure",
                        f"day {d:g}: about {units:.1f} U (ona-equivalent) reach the {side} "
                        "eye's pretarsal orbicularis, a blepharospasm dose (over "
                        f"{LID_CLOSURE_WARN_UNITS:g} U): the lids may not close fully "
                        "(lagophthalmos) and the eye may dry; keep eye-opening doses to 1-2 U "
                        "per lid",
                        day=float(d),
                    )
                )
        if any(n.day == float(d) for n in out):
            break
    return out


def outcome_warnings(subject: Subject, plan: Plan, draws: Draws | None = None) -> list[Notice]:
    """Risks that show in the predicted face at the 2-week review: flipped asymmetry, brow or
    lid drop (judged on the pessimistic end of the range of the model's draws, or of a recorded
    patient's calibrated `draws`: a weak responder's plan is judged on their response)."""
    if not plan.injections:
        return []
    out: list[Notice] = []
    if draws is None:
        draws = Draws.sample(OUTCOME_SAMPLES, OUTCOME_SEED)
    day = np.array([PEAK_DAY])
    inh, thick = effects(subject, plan, day, draws.params)
    response = draws.response[:, None, None]
    after = point_metrics(subject, activation_change(subject, inh, thick, 0.0, response))
    base = subject.analysis.metrics
    for name in ("brow_height_mm", "brow_height_lateral_mm", "commissure_height_mm"):
        before = base[name].diff
        diffs = after["left"][name][:, 0] - after["right"][name][:, 0]
        flipped = np.sign(diffs) != np.sign(before)
        if abs(before) >= FLIP_MIN_MM and np.percentile(np.abs(diffs) * flipped, 90) > FLIP_MIN_MM:
            out.append(
                Notice(
                    "over_correction",
                    f"{LABELS[name].lower()}: the {abs(before):.1f} mm difference may flip to "
                    "the other side at 2 weeks; lower the dose on the heavier side",
                )
            )
    for side in ("left", "right"):
        for name, limit, code in (
            ("brow_height_mm", BROW_DROP_WARN_MM, "brow_drop"),
            ("mrd1_mm", LID_DROP_WARN_MM, "lid_drop"),
        ):
            drop = base[name].left if side == "left" else base[name].right
            worst = np.percentile(drop - after[side][name][:, 0], 90)
            if worst > limit:
                out.append(
                    Notice(
                        code,
                        f"{side} {LABELS[name].lower()}: may drop by up to {worst:.1f} mm "
                        "at 2 weeks",
                    )
                )
    return out
