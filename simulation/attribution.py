"""Which muscles drive a face's asymmetry: a sign-constrained fit through the response basis.

Each paired muscle may be stronger on one side: a relative excess r ≥ 0 of its resting tone (bulk
muscles: of their thickness) on the left or on the right, two separate unknowns. Through the
subject's response basis an excess moves the measurement points, so the measured left-right
differences at rest (and, with expression photos, the differences in each side's excursion) are a
linear function of r. A ridge-regularised, bounded least-squares fit explains the measured
differences with the fewest millimetres of unexplained residual; resampling the measurements
within their noise gives each muscle's confidence. What no muscle explains, and what stays the
same at rest and in expression, is reported as not a toxin case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import lsq_linear

from .analysis import Study
from .metrics import LABELS, METRIC_NAMES, VISIBILITY_MM, Z80, Metric
from .prediction import Subject
from .resources import THRESHOLDS, data_values
from .response import point_metrics

ATTRIBUTION_SCHEMA = "symmetry-studio/attribution/1"
KEY_METRICS: tuple[str, ...] = tuple(n for n in METRIC_NAMES if n != "symmetry_index_mm")

# Measurement noise of one photo's left-right difference (1 sd) and the smallest difference worth
# treating, per key measurement; values and reasons in meshes/thresholds.json "attribution".
NOISE: dict[str, float] = data_values(THRESHOLDS, "attribution", "noise")
TREAT_MIN: dict[str, float] = data_values(THRESHOLDS, "attribution", "treat_min")
# Prior on a muscle's side-to-side excess (relative, 1 sd), tightened to the muscle's upper bound
# when that is smaller (a muscle near its maximal force cannot be much stronger, so it should not
# soak up a share of every difference for free). assumption: strength differences of tens of
# percent between sides; weak enough that the data decide (shrinks a 40% excess ~5%).
PRIOR_SD = 0.5
# Upper bounds on the relative excess. assumption: a side at most 2.5x as strong as the model's
# resting tone, and never above the muscle's maximal force (tone + excess ≤ 1); a bulk muscle at
# most 50% thicker on one side.
MAX_EXCESS = 1.5
MAX_BULK_EXCESS = 0.5
RESAMPLES = 50  # refits with the targets perturbed by their noise (brief: 50)
# A muscle is reported when it explains at least this much of some measurement (mm).
# assumption: a third of the measurement noise.
REPORT_MIN_MM = 0.1
# Static rule (clinical-basis.md: "present at rest, unchanged in expression"). An expression
# "moves" a measurement when both sides' mean excursion is at least MOVE_MIN_MM; the difference
# is "unchanged" when the excursion difference stays within max(UNCHANGED_MM, UNCHANGED_FRAC x
# the rest difference). assumption: 1.5 mm is five times the noise; 0.5 mm / 25% ~ twice the
# noise of an excursion difference (two photos).
MOVE_MIN_MM = 1.5
UNCHANGED_MM = 0.5
UNCHANGED_FRAC = 0.25
# Weakness: one side's excursion under WEAK_RATIO of the other's (meshes/thresholds.json) when
# the stronger side moves at least WEAK_MIN_MM (assumption: well above the noise).
WEAK_RATIO: float = data_values(THRESHOLDS, "attribution")["weak_ratio"]
WEAK_MIN_MM = 2.0
STATIC_REASON = "static: volume, skeleton or laxity — not a toxin case"
UNEXPLAINED_REASON = (
    "not explained by muscle pull in the model: volume, skeleton or laxity — not a toxin case"
)
WEAK_MESSAGE = "toxin cannot lift a weak side; refer (nerve or muscle weakness)"
_FD_STEP = 1e-3  # finite-difference step (activation units or mm of thickness)
LID_ROLE = "lid_closer"  # the lids' pretarsal orbicularis, fitted after the other muscles

_ACTION = {
    "brow_elevator": "lifts the {side} brow",
    "brow_depressor": "pulls the {side} brow down",
    "eye_closer": "pulls the {side} brow and lid down",
    "lid_closer": "narrows the {side} eye (lid margin)",
    "lip_elevator": "lifts the {side} mouth corner",
    "lip_depressor": "pulls the {side} mouth corner down",
    "mouth_widener": "pulls the {side} mouth corner outwards",
    "jaw_closer": "widens the {side} lower face",
    "nose": "pulls the {side} side of the nose",
    "chin": "pulls the chin",
    "lip_sphincter": "purses the lips",
}


@dataclass(frozen=True)
class MuscleAttribution:
    """One muscle on one side that is stronger than its partner, and what that explains."""

    muscle: str
    side: str
    name: str
    role: str
    quantity: str  # "tone" or "thickness"
    excess: float  # relative excess (0.4 = 40% more tone, or 40% thicker)
    excess_abs: float  # activation units (fraction of maximal force) or mm of thickness
    explained_mm: dict[str, float]  # rest difference (left - right) explained, per measurement
    confidence: float  # share of resampled fits that keep this muscle at a similar size
    sentence: str

    @property
    def score(self) -> float:
        """Largest explained difference in mm-equivalents (degrees scaled by their noise)."""
        return max(
            (abs(v) * NOISE["brow_height_mm"] / NOISE[k] for k, v in self.explained_mm.items()),
            default=0.0,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "muscle": self.muscle,
            "side": self.side,
            "name": self.name,
            "quantity": self.quantity,
            "excess_pct": round(100.0 * self.excess, 1),
            "excess_abs": round(self.excess_abs, 4),
            "explained_mm": {k: round(v, 2) for k, v in self.explained_mm.items()},
            "confidence": round(self.confidence, 2),
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class Untreatable:
    """A difference that toxin will not change, and how much of it remains."""

    measurement: str
    residual_mm: float  # signed, left - right
    reason: str
    kind: str  # "static" or "unexplained"

    def to_json(self) -> dict[str, Any]:
        return {
            "measurement": self.measurement,
            "residual_mm": round(self.residual_mm, 2),
            "reason": self.reason,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Weakness:
    """One side moving much less than the other in an expression."""

    expression: str
    measurement: str
    side: str  # the weak side
    excursion_left: float
    excursion_right: float
    ratio: float
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "measurement": self.measurement,
            "side": self.side,
            "excursion_mm": {
                "left": round(self.excursion_left, 2),
                "right": round(self.excursion_right, 2),
            },
            "ratio": round(self.ratio, 2),
            "message": self.message,
        }


@dataclass
class Attribution:
    """Muscles ranked by what they explain, what they cannot explain, and weak sides."""

    muscles: list[MuscleAttribution]
    measured: dict[str, float]  # rest differences, left - right
    explained: dict[str, float]  # sum over muscles of the explained rest difference
    static: dict[str, float]  # measurements judged static, with their rest difference
    untreatable: list[Untreatable]
    weakness: list[Weakness]
    expressions: tuple[str, ...] = ()
    summary: list[str] = field(default_factory=list)
    measured_sd: dict[str, float] = field(default_factory=dict)  # the photo's 1-sd uncertainty

    def distinguishable(self, name: str) -> bool:
        """Whether the photo tells this rest difference from zero (outside its 80% band)."""
        return abs(self.measured[name]) > Z80 * self.measured_sd.get(name, 0.0)

    def treatable(self, name: str) -> float:
        """The part of a rest difference that muscles explain (0 for static measurements)."""
        return 0.0 if name in self.static else self.explained.get(name, 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": ATTRIBUTION_SCHEMA,
            "expressions": list(self.expressions),
            "measured_mm": {k: round(v, 2) for k, v in self.measured.items()},
            "measured_sd_mm": {k: round(v, 3) for k, v in self.measured_sd.items()},
            "explained_mm": {k: round(v, 2) for k, v in self.explained.items()},
            "attribution": [m.to_json() for m in self.muscles],
            "untreatable": [u.to_json() for u in self.untreatable],
            "weakness": [w.to_json() for w in self.weakness],
            "summary": list(self.summary),
        }


def _diffs(per_side: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
    """(…, K) left - right for KEY_METRICS."""
    return np.stack([per_side["left"][n] - per_side["right"][n] for n in KEY_METRICS], axis=-1)


def _sides(per_side: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
    """(…, 2, K) per-side values (left, right) for KEY_METRICS."""
    return np.stack(
        [np.stack([per_side[s][n] for n in KEY_METRICS], axis=-1) for s in ("left", "right")],
        axis=-2,
    )


def jacobian(subject: Subject, base: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-side metric values at activation change `base` (2, K) and their change per unit of
    each muscle's activation (M, 2, K), by a forward difference through the response basis."""
    m = len(subject.muscles)
    b = np.zeros(m) if base is None else np.asarray(base, dtype=np.float64)
    deltas = np.vstack([b[None], b[None] + _FD_STEP * np.eye(m)])  # (M+1, M)
    values = _sides(point_metrics(subject, deltas))  # (M+1, 2, K)
    return values[0], (values[1:] - values[0]) / _FD_STEP


def _paired(subject: Subject, lids: bool = False) -> np.ndarray:
    """Indices of the muscles that have a side (midline muscles cannot make a side stronger):
    the lids' own closing muscles (`lids`) or all the others."""
    return np.array(
        [
            i
            for i, mu in enumerate(subject.muscles)
            if mu.side != "midline" and (mu.role == LID_ROLE) == lids
        ]
    )


def _scale(subject: Subject) -> np.ndarray:
    """Rest activation change per unit relative excess: resting tone, or thickness (mm)."""
    return np.where(subject.bulk, subject.thickness_mm, subject.tone)


def _upper_bounds(subject: Subject, idx: np.ndarray) -> np.ndarray:
    """Largest relative excess per unknown: tone may not pass maximal force; bulk +50%."""
    tone = subject.tone[idx]
    with np.errstate(divide="ignore"):
        linear = np.minimum(MAX_EXCESS, np.where(tone > 0, (1.0 - tone) / tone, MAX_EXCESS))
    return np.where(subject.bulk[idx], MAX_BULK_EXCESS, np.maximum(linear, 1e-9))


@dataclass(frozen=True)
class _Design:
    """The linear system: weighted columns, targets, noise, and which rows are rest rows."""

    a: np.ndarray  # (R, N) mm per unit relative excess, divided by the row noise
    y: np.ndarray  # (R,) targets divided by the row noise
    noise: np.ndarray  # (R,) mm
    rest_cols: np.ndarray  # (K, N) rest diff per unit relative excess (not weighted)
    upper: np.ndarray  # (N,)
    idx: np.ndarray  # (N,) muscle index of each unknown


def _model_excursion(subject: Subject, expression: str) -> np.ndarray:
    """(2, K) per-side change of the key measurements from the standard activation of an
    expression on this face."""
    e = subject.expression_activation(expression)
    both = _sides(point_metrics(subject, np.stack([np.zeros_like(e), e])))
    return both[1] - both[0]


def _moved(model_exc: np.ndarray) -> np.ndarray:
    """(K,) bool: which measurements an expression's standard activation moves."""
    return np.abs(model_exc).mean(axis=0) >= 1.0


def _design(
    subject: Subject,
    measured: np.ndarray,
    static: set[str],
    study: Study | None,
    lids: bool = False,
) -> _Design:
    """Rest rows (measured differences; static ones set to 0) and, per expression photo, rows
    for the differences in each side's excursion beyond the model's (scaled to the effort)."""
    idx = _paired(subject, lids)
    scale = _scale(subject)[idx]
    _, jac = jacobian(subject)  # (M, 2, K)
    jd = jac[:, 0, :] - jac[:, 1, :]  # (M, K) diff per unit activation
    rest_cols = (jd[idx] * scale[:, None]).T  # (K, N)
    # the model's own misfit (NOISE) and this photo's measurement uncertainty of each difference
    base = subject.analysis.metrics
    model_noise = np.array([NOISE[n] for n in KEY_METRICS])
    noise = np.hypot(model_noise, [base[n].diff_sd for n in KEY_METRICS])
    target = measured.copy()
    for k, n in enumerate(KEY_METRICS):
        if n in static:
            target[k] = 0.0  # muscles should explain none of a static difference
    rows, ys, sds = [rest_cols], [target], [noise]
    for expr, exc in _expression_data(subject, study).items():
        e = subject.expression_activation(expr)
        if not e.any():
            continue
        model0, jac_e = jacobian(subject, e)
        rest0 = _sides(point_metrics(subject, np.zeros(len(subject.muscles))))
        model_exc = model0 - rest0  # (2, K) standard excursion per side
        moved = _moved(model_exc)
        measured_exc = np.array(
            [[exc[n].left for n in KEY_METRICS], [exc[n].right for n in KEY_METRICS]]
        )
        mean_model = model_exc.mean(axis=0)[moved]
        mean_meas = measured_exc.mean(axis=0)[moved]
        if not moved.any() or float(mean_model @ mean_model) == 0.0:
            continue
        effort = max(0.0, float(mean_meas @ mean_model / (mean_model @ mean_model)))
        jd_e = (jac_e[:, 0, :] - jac_e[:, 1, :])[idx]  # (N, K)
        cols = (effort * e[idx][:, None] * jd_e).T[moved]  # (k, N)
        y_e = (measured_exc[0] - measured_exc[1]) - effort * (model_exc[0] - model_exc[1])
        rows.append(cols)
        ys.append(y_e[moved])
        # an excursion is the difference of two photos: the model's misfit on each, and both
        # photos' measurement uncertainty
        exc_sd = np.array([exc[n].diff_sd for n in KEY_METRICS])
        sds.append(np.hypot(np.sqrt(2.0) * model_noise, exc_sd)[moved])
    a = np.vstack(rows)
    sd = np.concatenate(sds)
    return _Design(
        a=a / sd[:, None],
        y=np.concatenate(ys) / sd,
        noise=sd,
        rest_cols=rest_cols,
        upper=_upper_bounds(subject, idx),
        idx=idx,
    )


def _fit(design: _Design, y: np.ndarray) -> np.ndarray:
    """Bounded ridge least squares: min |A r - y|^2 + |r / sd|^2, 0 ≤ r ≤ upper, with
    sd = min(PRIOR_SD, upper)."""
    n = design.a.shape[1]
    a = np.vstack([design.a, np.diag(1.0 / np.minimum(PRIOR_SD, design.upper))])
    b = np.concatenate([y, np.zeros(n)])
    return lsq_linear(a, b, bounds=(np.zeros(n), design.upper), method="bvls").x


def _expression_data(subject: Subject, study: Study | None) -> dict[str, dict[str, Metric]]:
    """Per-side excursions (expression minus rest) of each expression photo in the study."""
    if study is None:
        return {}
    return {e: exc for e, exc in study.excursions.items() if e != "rest"}


def _static_and_weak(
    subject: Subject, measured: np.ndarray, study: Study | None
) -> tuple[dict[str, float], list[Weakness]]:
    """Measurements present at rest and unchanged in an expression that moves them, and sides
    that move less than half as far as the other."""
    static: dict[str, float] = {}
    weak: list[Weakness] = []
    for expr, exc in _expression_data(subject, study).items():
        meant = _moved(_model_excursion(subject, expr))  # what the expression is meant to move
        for k, n in enumerate(KEY_METRICS):
            if not meant[k]:
                continue
            left, right = exc[n].left, exc[n].right
            if 0.5 * abs(left + right) >= MOVE_MIN_MM:
                d_rest = float(measured[k])
                unchanged = abs(left - right) <= max(UNCHANGED_MM, UNCHANGED_FRAC * abs(d_rest))
                if abs(d_rest) >= TREAT_MIN[n] and unchanged:
                    static[n] = d_rest
            strong = max(abs(left), abs(right))
            if n == "smile_angle_deg" or strong < WEAK_MIN_MM:
                continue
            same_direction = left * right > 0
            weak_val = min(abs(left), abs(right)) if same_direction else 0.0
            if weak_val < WEAK_RATIO * strong:
                side = "left" if abs(left) < abs(right) else "right"
                ratio = weak_val / strong
                weak.append(
                    Weakness(
                        expression=expr,
                        measurement=n,
                        side=side,
                        excursion_left=float(left),
                        excursion_right=float(right),
                        ratio=float(ratio),
                        message=f"{side} side moves {100 * ratio:.0f}% of the other in {expr} "
                        f"({LABELS[n].lower()}): {WEAK_MESSAGE}",
                    )
                )
    return static, weak


def _sentence(
    subject: Subject, i: int, r: float, explained: dict[str, float], measured: np.ndarray
) -> str:
    mu = subject.muscles[i]
    best = max(explained, key=lambda k: abs(explained[k]) * NOISE["brow_height_mm"] / NOISE[k])
    k = KEY_METRICS.index(best)
    unit = "°" if best.endswith("_deg") else " mm"
    action = _ACTION.get(mu.role, "pulls the {side} side").format(side=mu.side)
    what = "thicker" if mu.kind == "bulk" else "more tone"
    part, whole = float(explained[best]), float(measured[k])
    label = LABELS[best].lower()
    if part * whole <= 0:
        how = f"works against the {abs(whole):.1f}{unit} {label} difference by {abs(part):.1f}"
    elif abs(part) > abs(whole) + 0.05:
        how = (
            f"accounts for {abs(part):.1f}{unit} of {label} difference (more than the "
            f"{abs(whole):.1f}{unit} measured: other muscles offset part of it)"
        )
    else:
        how = f"explains {abs(part):.1f} of the {abs(whole):.1f}{unit} {label} difference"
    return (
        f"{mu.side} {mu.name.lower()} {action} ({100 * r:.0f}% {what} than the other side): {how}"
    )


def attribute(subject: Subject, study: Study | None = None, seed: int = 0) -> Attribution:
    """Estimate which muscles, on which side, explain the measured asymmetry (rest photo, plus
    expression excursions when a Study with expression photos is given), with confidences."""
    base = subject.analysis.metrics
    measured = np.array([base[n].diff for n in KEY_METRICS])
    static, weak = _static_and_weak(subject, measured, study)
    # Two stages: every other muscle first, then the lids' own orbicularis on what is left, so a
    # lid's closing tone takes only the lid difference the brow and face muscles do not explain
    # (and leaves their estimates as they were before the lids had a tone of their own).
    face = _design(subject, measured, set(static), study)
    lid = _design(subject, measured, set(static), study, lids=True)
    r_face = _fit(face, face.y)
    r = np.concatenate([r_face, _fit(lid, face.y - face.a @ r_face)])
    design = _Design(
        a=np.hstack([face.a, lid.a]),
        y=face.y,
        noise=face.noise,
        rest_cols=np.hstack([face.rest_cols, lid.rest_cols]),
        upper=np.concatenate([face.upper, lid.upper]),
        idx=np.concatenate([face.idx, lid.idx]),
    )

    explained_k = design.rest_cols * r[None, :]  # (K, N)
    rng = np.random.default_rng(seed)
    noise_y = rng.standard_normal((RESAMPLES, len(design.y)))
    fits = []
    for z in noise_y:  # noise is unit once weighted
        f = _fit(face, face.y + z)
        fits.append(np.concatenate([f, _fit(lid, face.y + z - face.a @ f)]))
    fits = np.array(fits)
    main_size = np.abs(explained_k).max(axis=0)  # (N,) mm
    resampled_size = np.abs(design.rest_cols[None, :, :] * fits[:, None, :]).max(axis=1)

    muscles: list[MuscleAttribution] = []
    for j, i in enumerate(design.idx):
        if main_size[j] < REPORT_MIN_MM:
            continue
        mu = subject.muscles[i]
        explained = {
            n: float(explained_k[k, j])
            for k, n in enumerate(KEY_METRICS)
            if abs(explained_k[k, j]) >= 0.05
        }
        keep = resampled_size[:, j] >= np.maximum(REPORT_MIN_MM, 0.5 * main_size[j])
        scale = float(_scale(subject)[i])
        muscles.append(
            MuscleAttribution(
                muscle=mu.id,
                side=mu.side,
                name=mu.name,
                role=mu.role,
                quantity="thickness" if mu.kind == "bulk" else "tone",
                excess=float(r[j]),
                excess_abs=float(r[j] * scale),
                explained_mm=explained,
                confidence=float(keep.mean()),
                sentence=_sentence(subject, i, float(r[j]), explained, measured),
            )
        )
    muscles.sort(key=lambda m: -m.score)

    total = explained_k.sum(axis=1)
    explained_total = {n: float(total[k]) for k, n in enumerate(KEY_METRICS)}
    untreatable = [Untreatable(n, d, STATIC_REASON, "static") for n, d in static.items()]
    for k, n in enumerate(KEY_METRICS):
        residual = float(measured[k] - total[k])
        if n not in static and abs(residual) >= TREAT_MIN[n]:
            untreatable.append(Untreatable(n, residual, UNEXPLAINED_REASON, "unexplained"))
    attribution = Attribution(
        muscles=muscles,
        measured={n: float(measured[k]) for k, n in enumerate(KEY_METRICS)},
        explained=explained_total,
        static=static,
        untreatable=untreatable,
        weakness=weak,
        expressions=tuple(_expression_data(subject, study)),
        measured_sd={n: float(base[n].diff_sd) for n in KEY_METRICS},
    )
    attribution.summary = _summary(attribution)
    return attribution


def _summary(att: Attribution) -> list[str]:
    """One plain line per visible-ish difference: who explains it and what stays."""
    out = []
    for n, d in att.measured.items():
        if abs(d) < TREAT_MIN[n]:
            continue
        unit = "°" if n.endswith("_deg") else " mm"
        side = "left" if d > 0 else "right"
        visible = VISIBILITY_MM[n] is not None and abs(d) >= VISIBILITY_MM[n]
        head = f"{LABELS[n]}: {abs(d):.1f}{unit}, {side} higher/larger"
        head += " (noticeable)" if visible else ""
        if n in att.static:
            out.append(f"{head}; unchanged in expression: {STATIC_REASON}")
            continue
        who = [
            f"{m.side} {m.name.lower()} {abs(m.explained_mm[n]):.1f}{unit}"
            for m in att.muscles
            if abs(m.explained_mm.get(n, 0.0)) >= 0.2
        ]
        rest = d - att.explained[n]
        line = f"{head}; " + (", ".join(who) if who else "no muscle explains it")
        if abs(rest) >= 0.2:
            line += f"; {abs(rest):.1f}{unit} unexplained"
        out.append(line)
    return out
