"""A trainee's answer scored against the case's known cause and the model's own plan.

Parts (0-100 in all, each shown): for a toxin case, diagnosis (which muscles, which side),
correction at day 14 (residual asymmetry weighted by the visibility thresholds the suggestion
uses, relative to what the model plan achieves) and economy of units against the model plan;
for a case toxin cannot fix, recognising it, naming the cause and restraint. Safety is a gate:
a danger zone, an over-correction (a flip at the pessimistic end of the range), the session
maximum, a lid drop, a low brow lowered further or a frontalis without the glabella caps the
total. Weights and caps are teaching choices (assumptions), not clinical figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import atlas
from ..attribution import KEY_METRICS
from ..errors import Notice
from ..metrics import LABELS, VISIBILITY_MM
from ..plan import Plan, plan_to_json
from ..prediction import PEAK_DAY, Prediction, predict
from ..suggest import BULK_PEAK_DAY
from .build import Case

__all__ = ["SCORE_SCHEMA", "Component", "TrainingScore", "muscle_label", "score_plan"]

SCORE_SCHEMA = "symmetry-studio/training-score/1"
# Points per part (assumption: the correction is what the patient sees, so it weighs most).
TOXIN_WEIGHTS = {"diagnosis": 30.0, "correction": 50.0, "economy": 20.0}
UNTREATABLE_WEIGHTS = {"recognition": 50.0, "diagnosis": 25.0, "restraint": 25.0}
SAFETY_CAP = 40.0  # a plan with a safety fault scores at most this (assumption)
CAUTION_PENALTY = 5.0  # per caution (an unusual dose, a brow lowered on its higher side)
MAX_CAUTION_PENALTY = 10.0
# Economy: full up to this multiple of the model's units (+ a small absolute slack), none at
# ECONOMY_ZERO times (assumption: 50% more than needed is still a reasonable plan).
ECONOMY_FULL, ECONOMY_ZERO, ECONOMY_SLACK_U = 1.5, 3.0, 2.0
RESTRAINT_ZERO_U = 10.0  # units beyond the case's allowance at which restraint scores 0
TARGET_MIN = 0.5  # a measurement is one of the case's targets when the condition moves it this far
NO_GAIN = 0.05  # a model gain below this counts as "nothing to correct"
# Fault codes: the danger zones, and the outcome warnings that harm the patient.
FAULTS = frozenset(
    {z.code for z in atlas.zones()}
    | {"over_correction", "over_session_maximum", "lid_drop", "frontalis_without_glabella"}
)
NOT_TOXIN = "not_toxin"


@dataclass(frozen=True)
class Component:
    """One part of the score: points out of a maximum, and why."""

    name: str
    points: float
    max_points: float
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "points": round(self.points, 1),
            "max": self.max_points,
            "detail": self.detail,
        }


@dataclass
class TrainingScore:
    """The score, its parts, the safety findings and both predictions (trainee, model)."""

    case_id: str
    total: float
    components: list[Component]
    faults: list[Notice]
    cautions: list[Notice]
    capped: bool
    plan: Plan
    model_plan: Plan
    prediction: Prediction
    model_prediction: Prediction
    residual: dict[str, dict[str, float]] = field(default_factory=dict)
    teaching_points: tuple[dict[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCORE_SCHEMA,
            "case": self.case_id,
            "total": round(self.total, 1),
            "capped_by_safety": self.capped,
            "components": [c.to_json() for c in self.components],
            "faults": [w.to_json() for w in self.faults],
            "cautions": [w.to_json() for w in self.cautions],
            "plan": plan_to_json(self.plan),
            "plan_units_ona": round(float(self.plan.units_ona().sum()), 2),
            "model_plan": plan_to_json(self.model_plan),
            "model_units_ona": round(float(self.model_plan.units_ona().sum()), 2),
            "residual": self.residual,
            "teaching_points": list(self.teaching_points),
        }


def _predictions(case: Case, plan: Plan) -> dict[str, Prediction]:
    """The plan predicted at rest and in each shown expression, at day 14 and week 12 (the
    suggestion's own judging days), without the photo's measurement error (the face is known)."""
    return {
        e: predict(
            case.subject,
            plan,
            [PEAK_DAY, BULK_PEAK_DAY],
            expression=e,
            samples=200,
            measurement_error=False,
        )
        for e in case.scenario.expressions
    }


def _targets(case: Case) -> dict[str, list[str]]:
    """Per shown photo, the measurements the condition's muscle part moves by TARGET_MIN or
    more (its static part stays whatever is injected: it is recognised, not corrected)."""
    out = {}
    for e in case.scenario.expressions:
        imp = _before(case, e)
        out[e] = [n for n in KEY_METRICS if VISIBILITY_MM[n] and abs(imp[n]) >= TARGET_MIN]
    return out


def _judged(case: Case) -> tuple[str, ...]:
    """The photos the correction is judged on: rest, as the suggestion judges; the expression
    photos only when the condition shows in expression alone (a gummy smile)."""
    targets = _targets(case)
    if targets["rest"]:
        return ("rest",)
    return tuple(e for e, names in targets.items() if names) or ("rest",)


def _before(case: Case, expression: str) -> dict[str, float]:
    """The muscle-driven part of each difference in `expression`, before treatment."""
    imposed = case.imposed(expression)
    return {n: imposed[n] - case.static_diff.get(n, 0.0) for n in KEY_METRICS}


def _residual(case: Case, preds: dict[str, Prediction]) -> tuple[float, dict[str, dict]]:
    """Weighted squared residual on the case's targets (plus any other measurement made worse),
    summed over the shown photos; and the per-measurement figures for the feedback."""
    total = 0.0
    rows: dict[str, dict[str, float]] = {}
    targets = _targets(case)
    for e in _judged(case):
        pr = preds[e]
        before = _before(case, e)
        for n in KEY_METRICS:
            t = VISIBILITY_MM[n]
            if not t:
                continue
            k = 1 if n == "lower_face_half_width_mm" else 0
            after = pr.metrics[k][n].diff.median - case.static_diff.get(n, 0.0)
            if n in targets[e]:
                total += (after / t) ** 2
                rows[f"{e}:{n}"] = {"before": round(before[n], 2), "after": round(after, 2)}
            else:
                total += (max(abs(after) - abs(before[n]), 0.0) / t) ** 2
    return total, rows


def _reference(case: Case) -> float:
    """Weighted squared asymmetry of the case's targets before treatment."""
    total = 0.0
    targets = _targets(case)
    for e in _judged(case):
        names = targets[e]
        before = _before(case, e)
        total += sum((before[n] / VISIBILITY_MM[n]) ** 2 for n in names)
    return total


def _safety(case: Case, plan: Plan, pr: Prediction) -> tuple[list[Notice], list[Notice]]:
    """Faults (cap the score) and cautions (cost a few points) of a plan on the case face."""
    if not plan.injections:
        return [], []
    faults, cautions = [], []
    rest = case.subject.analysis.metrics["brow_height_mm"].diff  # left - right
    for w in pr.warnings:
        if w.code in FAULTS:
            faults.append(w)
        elif w.code == "brow_drop":
            # "<side> brow height ...": lowering the higher brow is the treatment; lowering a
            # brow that is not the higher one is the complication (never lower a low brow).
            side = w.message.split()[0]
            higher = "left" if rest > 0.5 else "right" if rest < -0.5 else None
            (cautions if side == higher else faults).append(w)
        elif w.code == "unusual_dose":
            cautions.append(w)
    return faults, cautions


def _f1(named: set[str], drivers: set[str]) -> float:
    if not named and not drivers:
        return 1.0
    return 2.0 * len(named & drivers) / (len(named) + len(drivers))


def muscle_label(muscle_id: str) -> str:
    """A muscle's name with its side, as the trainee reads it ("Corrugator supercilii (right)");
    a midline muscle by its name alone."""
    m = atlas.muscle(muscle_id)
    return m.name if m.side == "midline" else f"{m.name} ({m.side})"


def _labels(ids: set[str]) -> list[str]:
    return sorted(muscle_label(i) for i in ids)


def _diagnosis_detail(named: set[str], drivers: set[str]) -> str:
    right = _labels(named & drivers)
    missed = _labels(drivers - named)
    wrong = _labels(named - drivers)
    parts = []
    if right:
        parts.append("right: " + ", ".join(right))
    if missed:
        parts.append("missed: " + ", ".join(missed))
    if wrong:
        parts.append("not a driver here: " + ", ".join(wrong))
    return "; ".join(parts) or "no muscle named, none drives it"


def _session_units(plan: Plan) -> float:
    """Ona-equivalent units given in the first session's window (what day 14 judges)."""
    if not plan.injections:
        return 0.0
    days = np.array([i.day for i in plan.injections])
    return float(plan.units_ona()[days < PEAK_DAY].sum())


def score_plan(
    case: Case,
    plan: Plan,
    diagnosis: Sequence[str] = (),
    model_predictions: dict[str, Prediction] | None = None,
) -> TrainingScore:
    """Score `plan` and `diagnosis` (muscle ids with side; "not_toxin" for "not a toxin case")
    on `case`. `model_predictions` may pass the model plan's cached predictions."""
    ans = case.scenario.answer
    named = {atlas.muscle(d).id for d in diagnosis if d != NOT_TOXIN}
    says_not_toxin = NOT_TOXIN in diagnosis
    drivers = set(ans.drivers)
    preds = _predictions(case, plan)
    model = case.model_plan
    model_preds = model_predictions or _predictions(case, model)
    faults, cautions = _safety(case, plan, preds["rest"])
    residual_t, rows = _residual(case, preds)
    components: list[Component] = []
    units = float(plan.units_ona().sum())
    if ans.toxin_case:
        w = TOXIN_WEIGHTS
        f1 = 0.0 if says_not_toxin else _f1(named, drivers)
        detail = (
            "called it not a toxin case: muscle pull drives it"
            if says_not_toxin
            else _diagnosis_detail(named, drivers)
        )
        components.append(Component("diagnosis", w["diagnosis"] * f1, w["diagnosis"], detail))
        ref = _reference(case)
        gain_t = 1.0 - residual_t / ref if ref > 0 else 0.0
        residual_m, _ = _residual(case, model_preds)
        gain_m = 1.0 - residual_m / ref if ref > 0 else 0.0
        if gain_m < NO_GAIN:
            share = 1.0 if gain_t > -NO_GAIN else 0.0
        else:
            share = float(np.clip(gain_t / gain_m, 0.0, 1.0))
        components.append(
            Component(
                "correction",
                w["correction"] * share,
                w["correction"],
                f"removes {100 * gain_t:.0f}% of the visible asymmetry at day 14 "
                f"(model plan: {100 * gain_m:.0f}%)",
            )
        )
        mine, theirs = _session_units(plan), _session_units(model)
        limit = max(theirs * ECONOMY_FULL, theirs + ECONOMY_SLACK_U)
        zero = max(theirs * ECONOMY_ZERO, limit + ECONOMY_SLACK_U)
        thrift = float(np.clip((zero - mine) / (zero - limit), 0.0, 1.0))
        components.append(
            Component(
                "economy",
                w["economy"] * thrift * share,
                w["economy"],
                f"{mine:g} U against the model's {theirs:g} U (ona-equivalent), "
                "in proportion to the correction achieved",
            )
        )
    else:
        w = UNTREATABLE_WEIGHTS
        components.append(
            Component(
                "recognition",
                w["recognition"] if says_not_toxin else 0.0,
                w["recognition"],
                "recognised that toxin cannot fix this"
                if says_not_toxin
                else "toxin cannot fix this case: it should be called 'not a toxin case'",
            )
        )
        f1 = _f1(named, drivers)
        components.append(
            Component(
                "diagnosis", w["diagnosis"] * f1, w["diagnosis"], _diagnosis_detail(named, drivers)
            )
        )
        allowed = ans.restraint_units
        keep = float(np.clip(1.0 - (units - allowed) / RESTRAINT_ZERO_U, 0.0, 1.0))
        components.append(
            Component(
                "restraint",
                w["restraint"] * keep,
                w["restraint"],
                f"{units:g} U planned; up to {allowed:g} U is reasonable here",
            )
        )
    total = sum(c.points for c in components)
    penalty = min(CAUTION_PENALTY * len(cautions), MAX_CAUTION_PENALTY)
    total = max(total - penalty, 0.0)
    capped = bool(faults) and total > SAFETY_CAP
    if faults:
        total = min(total, SAFETY_CAP)
    detail = (
        "; ".join(f.message for f in faults)
        if faults
        else ("no fault" + (f"; {len(cautions)} caution(s), -{penalty:g}" if cautions else ""))
    )
    # Negating a zero penalty gives -0.0, printed "-0.0": no penalty is a plain zero.
    components.append(Component("safety", -penalty if penalty and not faults else 0.0, 0.0, detail))
    return TrainingScore(
        case_id=case.id,
        total=float(total),
        components=components,
        faults=faults,
        cautions=cautions,
        capped=capped,
        plan=plan,
        model_plan=model,
        prediction=preds["rest"],
        model_prediction=model_preds["rest"],
        residual=rows,
        teaching_points=case.scenario.teaching_points,
    )


def label(name: str) -> str:
    """A measurement's readable name (for the page)."""
    return LABELS.get(name, name)
