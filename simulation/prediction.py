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

from . import atlas, mechanics, pharmacology
from .analysis import EXPRESSIONS, Analysis
from .errors import InputError, Notice
from .metrics import LABELS, METRIC_NAMES, VISIBILITY_MM, side_metrics, symmetry_index
from .plan import Plan, plan_to_json
from .resources import load_json

SIMULATION_SCHEMA = "symmetry-studio/simulation/1"
DEFAULT_DAYS = (0.0, 3.0, 14.0, 90.0, 180.0)
PEAK_DAY = 14.0  # review visit; effects reach their plateau by about day 14 (clinical-basis.md)
# Warning thresholds (assumptions, chosen from the visibility and normal-asymmetry figures in
# clinical-basis.md): a brow dropping 1 mm or an eye narrowing 0.5 mm is worth a word.
BROW_DROP_WARN_MM = 1.0
LID_DROP_WARN_MM = 0.5
FLIP_MIN_MM = 0.5
# Assumption: a person's resting tone and tissue stiffness differ from the atlas average by a
# factor with this log-SD (about ×0.74-×1.35 for the middle 68%), so the size of any predicted
# movement is that uncertain on top of the pharmacology. Without it a saturating dose gave ranges
# of ±0.1 mm, which no clinician would believe.
RESPONSE_LOG_SD = 0.3


@dataclass
class Subject:
    """One face ready to simulate: tissue model, response basis, and the measurement points'
    per-muscle displacement (so metrics need no mesh-sized work)."""

    analysis: Analysis
    model: mechanics.TissueModel
    basis: mechanics.ResponseBasis
    muscles: tuple[atlas.Muscle, ...]
    landmark_basis: np.ndarray  # (M, 468, 3) mm per unit
    point_names: tuple[str, ...]
    point_basis: np.ndarray  # (M, P, 2) mm per unit, face frame (x, y)
    belly_mm: np.ndarray  # (M, 3)
    belly_radius_mm: np.ndarray  # (M,)
    size: np.ndarray  # (M,) relative muscle size for dose-response
    tone: np.ndarray  # (M,) resting tone (fraction of max force)
    bulk: np.ndarray  # (M,) bool
    thickness_mm: np.ndarray  # (M,) bulk thickness, 0 elsewhere

    @property
    def muscle_ids(self) -> tuple[str, ...]:
        return self.basis.muscle_ids

    def expression_activation(self, expression: str) -> np.ndarray:
        """(M,) standard activation of an expression (0 for rest)."""
        if expression not in EXPRESSIONS:
            raise InputError(
                "unknown_expression",
                f"unknown expression '{expression}': use one of {', '.join(EXPRESSIONS)}",
            )
        pattern = load_json("expressions.json")["expressions"][expression]
        return np.array([pattern.get(m.base_id, 0.0) for m in self.muscles])


def build_subject(analysis: Analysis, subdivisions: int = 2) -> Subject:
    """Fit the tissue model to an analysed face and solve every muscle's response once."""
    v468 = analysis.mesh.vertices_mm
    muscles = atlas.muscles()
    model = mechanics.build_tissue_model(v468, analysis.mesh.faces, subdivisions=subdivisions)
    basis = mechanics.build_basis(model, muscles, v468)
    lm = basis.landmark_displacements()
    names = tuple(analysis.points_mm)
    pts = np.zeros((len(muscles), len(names), 2))
    for j, name in enumerate(names):
        for i, w in analysis.point_anchors[name].items():
            pts[:, j, :] += w * lm[:, i, :2]
    return Subject(
        analysis=analysis,
        model=model,
        basis=basis,
        muscles=muscles,
        landmark_basis=lm,
        point_names=names,
        point_basis=pts,
        belly_mm=np.array([m.belly(v468) for m in muscles]),
        belly_radius_mm=np.array([m.belly_radius_mm for m in muscles]),
        size=np.array([pharmacology.reference_muscle_size(m.id) for m in muscles]),
        tone=np.array([m.resting_tone for m in muscles]),
        bulk=np.array([m.kind == "bulk" for m in muscles]),
        thickness_mm=np.array([m.thickness_mm or 0.0 for m in muscles]),
    )


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


def _effects(
    subject: Subject, plan: Plan, days: np.ndarray, params: pharmacology.Params
) -> tuple[np.ndarray, np.ndarray]:
    """Inhibition (…, T, M) and relative thickness change (…, T, M) for a parameter draw."""
    m = len(subject.muscles)
    lead = () if params.n is None else (params.n,)
    if not plan.injections:
        zero = np.zeros((*lead, len(days), m))
        return zero, zero
    v468 = subject.analysis.mesh.vertices_mm
    points = np.array([inj.position(v468) for inj in plan.injections])
    units, volume = plan.units_ona(), plan.volumes_ml()
    inj_days = np.array([inj.day for inj in plan.injections])
    sessions = np.unique(inj_days)
    received = np.stack(
        [
            pharmacology.received_units(
                points[inj_days == s],
                units[inj_days == s],
                volume[inj_days == s],
                subject.belly_mm,
                subject.belly_radius_mm,
                params,
            )
            for s in sessions
        ],
        axis=-2,
    )  # (…, S, M)
    inh = pharmacology.inhibition_over_time(
        sessions, received, subject.size, days, plan.product, params
    )
    thick = np.zeros_like(inh)
    if subject.bulk.any():
        b = subject.bulk
        thick[..., b] = pharmacology.thickness_change(
            sessions, received[..., b], subject.size[b], days, plan.product, params
        )
    return inh, thick


def _activation_change(
    subject: Subject,
    inh: np.ndarray,
    thick: np.ndarray,
    expression: np.ndarray,
    response: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Change of every muscle's load from the photographed face (…, T, M): resting tone lost,
    expression weakened, bulk muscles thinned (mm); `response` scales the individual's tone."""
    lin = ~subject.bulk
    delta = np.where(lin, response * -subject.tone * inh + expression * (1.0 - inh), 0.0)
    bulk = response * subject.thickness_mm * thick + expression * (1.0 - inh)
    return np.where(subject.bulk, bulk, delta)


def _point_metrics(subject: Subject, delta: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per-side metric values for activation changes (…, M) → arrays (…)."""
    disp = np.tensordot(delta, subject.point_basis, axes=([-1], [0]))  # (…, P, 2)
    pts = {
        name: subject.analysis.points_mm[name] + disp[..., j, :]
        for j, name in enumerate(subject.point_names)
    }
    return side_metrics(pts, subject.analysis.midline_x_mm)


def predict(
    subject: Subject,
    plan: Plan,
    days: Sequence[float] = DEFAULT_DAYS,
    expression: str = "rest",
    samples: int = 200,
    seed: int = 0,
    measurement_error: bool = True,
) -> Prediction:
    """Predict the face for `plan` at each of `days` (median and 10th-90th percentile). With
    `measurement_error`, each draw of a left-right difference also carries one draw of the
    starting photo's measurement error (the same on every day): the face is measured, not
    known. The per-side figures and the suggestion's own checks leave it out."""
    days_arr = np.asarray(days, dtype=np.float64)
    expr = subject.expression_activation(expression)
    median = pharmacology.Params()
    inh_med, thick_med = _effects(subject, plan, days_arr, median)
    delta_med = _activation_change(subject, inh_med, thick_med, expr)  # (T, M)
    disp = np.tensordot(delta_med, subject.landmark_basis, axes=([-1], [0]))  # (T, 468, 3)
    verts = subject.analysis.mesh.vertices_mm[None] + disp

    rng = np.random.default_rng(seed)
    draws = pharmacology.sample_params(samples, rng)
    inh_s, thick_s = _effects(subject, plan, days_arr, draws)
    response = np.exp(RESPONSE_LOG_SD * rng.standard_normal(samples))[:, None, None]
    per_side = _point_metrics(subject, _activation_change(subject, inh_s, thick_s, expr, response))
    mirror = subject.analysis.mesh.mirror
    si = symmetry_index(verts, mirror)  # (T,)

    two_sided = [n for n in METRIC_NAMES if n != "symmetry_index_mm"]
    left = np.stack([per_side["left"][n] for n in two_sided])  # (K, n, T)
    right = np.stack([per_side["right"][n] for n in two_sided])
    diff = left - right
    if measurement_error:
        sd = np.array([subject.analysis.metrics[n].diff_sd for n in two_sided])
        error = sd[:, None] * np.random.default_rng([seed, 1]).standard_normal((len(sd), samples))
        diff = diff + error[:, :, None]
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
    prediction.warnings = plan_warnings(subject, plan) + outcome_warnings(subject, plan)
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
                )
            )
            break
    for d in np.unique(days):
        targets = {(plan.injections[k].target or "") for k in np.flatnonzero(days == d)}
        bases = {t.removesuffix("_left").removesuffix("_right") for t in targets}
        if bases & {"frontalis_medial", "frontalis_lateral"} and not bases & {
            "corrugator_supercilii",
            "procerus",
        }:
            out.append(
                Notice(
                    "frontalis_without_glabella",
                    f"day {d:g}: frontalis treated without the glabella; the unopposed "
                    "depressors can drop the brow (treat both together)",
                )
            )
    for k, inj in enumerate(plan.injections):
        where = f"injection {k + 1} ({inj.describe()})"
        for code, message in atlas.danger_zones(inj.position(v468), v468, inj.target):
            out.append(Notice(code, f"{where}: {message}", injection=k))
        sid = inj.site_id
        if sid:
            lo, hi = atlas.site(sid).usual_units
            u = float(units_ona[k])
            if u > 2.0 * hi or u < 0.25 * lo:
                out.append(
                    Notice(
                        "unusual_dose",
                        f"{where}: {u:g} U ona-equivalent is far outside this site's usual "
                        f"{lo:g}-{hi:g} U",
                        injection=k,
                    )
                )
    return out


def outcome_warnings(subject: Subject, plan: Plan) -> list[Notice]:
    """Risks that show in the predicted face at the 2-week review: flipped asymmetry, brow or
    lid drop (judged on the pessimistic end of the range)."""
    if not plan.injections:
        return []
    out: list[Notice] = []
    rng = np.random.default_rng(1)
    draws = pharmacology.sample_params(100, rng)
    day = np.array([PEAK_DAY])
    inh, thick = _effects(subject, plan, day, draws)
    response = np.exp(RESPONSE_LOG_SD * rng.standard_normal(100))[:, None, None]
    after = _point_metrics(subject, _activation_change(subject, inh, thick, 0.0, response))
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
