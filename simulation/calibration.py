"""Per-patient calibration: what the model predicted for a follow-up day against what the new
photo measures, and an importance-weighted update of the model's draws by that observation.

At a treatment visit, `prediction_draws` keeps every draw of the model's uncertainty (potency,
spread, sensitivity, duration, individual response, the starting photo's measurement error)
with the left-right differences it predicts on a grid of days. At the follow-up, each draw is
weighed by the likelihood of the observed differences under their measurement ± (Gaussian), the
posterior of a proper Bayesian update with the prior draws as proposal. When too few effective
draws remain the likelihood is tempered (raised to a power < 1) until `MIN_ESS` do, and the
result says so. See docs/records.md."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import pharmacology, response
from .metrics import METRIC_NAMES, Metric
from .plan import Plan
from .prediction import Range
from .response import Subject

__all__ = [
    "CALIBRATION_DAYS",
    "FOLLOWUP_SCHEMA",
    "MIN_ESS",
    "DrawSet",
    "FollowUp",
    "MetricFollowUp",
    "PatientResponse",
    "follow_up",
    "patient_response",
    "prediction_draws",
]

FOLLOWUP_SCHEMA = "symmetry-studio/followup/1"
# Days the draws are kept for; a follow-up between two of them is interpolated linearly.
CALIBRATION_DAYS = (0, 1, 2, 3, 5, 7, 10, 14, 21, 28, 42, 60, 90, 120, 150, 180, 270, 365)
CALIBRATION_SAMPLES = 1000
# Assumption: below 50 effective draws the 10th-90th percentiles rest on too few draws.
MIN_ESS = 50.0
# Assumption: an observed difference is never known better than ±0.05 mm (1 sd).
SD_FLOOR_MM = 0.05
PARAM_NAMES = ("potency", "spread", "sensitivity", "duration", "response")
TWO_SIDED = tuple(n for n in METRIC_NAMES if n != "symmetry_index_mm")


@dataclass(frozen=True)
class DrawSet:
    """The model's draws for one plan on one face: parameters (5, n), the predicted left-right
    differences (K, n, T) on `days` from the measured face, the starting differences (K,) and
    one draw of the starting photo's measurement error per draw (K, n), with its sd (K,)."""

    metric_names: tuple[str, ...]
    days: np.ndarray
    params: np.ndarray
    diff: np.ndarray
    before: np.ndarray
    error: np.ndarray
    before_sd: np.ndarray

    def at(self, day: float) -> np.ndarray:
        """(K, n) predicted differences on `day` (linear between the kept days)."""
        d = float(np.clip(day, self.days[0], self.days[-1]))
        j = int(np.clip(np.searchsorted(self.days, d), 1, len(self.days) - 1))
        t = (d - self.days[j - 1]) / (self.days[j] - self.days[j - 1])
        return (1 - t) * self.diff[:, :, j - 1] + t * self.diff[:, :, j]

    def to_bytes(self) -> bytes:
        """Compressed npz bytes (float32 differences) for the record database."""
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            metric_names=np.array(self.metric_names),
            days=self.days,
            params=self.params.astype(np.float32),
            diff=self.diff.astype(np.float32),
            before=self.before,
            error=self.error.astype(np.float32),
            before_sd=self.before_sd,
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> DrawSet:
        """The draws saved by `to_bytes`."""
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return cls(
                tuple(str(n) for n in z["metric_names"]),
                z["days"].astype(np.float64),
                z["params"].astype(np.float64),
                z["diff"].astype(np.float64),
                z["before"].astype(np.float64),
                z["error"].astype(np.float64),
                z["before_sd"].astype(np.float64),
            )


def prediction_draws(
    subject: Subject,
    plan: Plan,
    expression: str = "rest",
    samples: int = CALIBRATION_SAMPLES,
    seed: int = 0,
) -> DrawSet:
    """Every draw's predicted differences for `plan` on `CALIBRATION_DAYS`, including one draw
    of the starting photo's measurement error each (as `predict(..., measurement_error=True)`)."""
    days = np.asarray(CALIBRATION_DAYS, dtype=np.float64)
    sample = response.Draws.sample(samples, seed)
    draws, factor = sample.params, sample.response
    inh, thick = response.effects(subject, plan, days, draws)
    expr = subject.expression_activation(expression)
    per_side = response.point_metrics(
        subject, response.activation_change(subject, inh, thick, expr, factor[:, None, None])
    )
    diff = np.stack([per_side["left"][n] - per_side["right"][n] for n in TWO_SIDED])
    base = subject.analysis.metrics
    sd = np.array([base[n].diff_sd for n in TWO_SIDED])
    error = response.measurement_noise(sd, samples, seed)
    params = np.stack(
        [draws.potency, draws.spread, draws.sensitivity, draws.duration, factor]
    ).astype(np.float64)
    return DrawSet(
        TWO_SIDED, days, params, diff, np.array([base[n].diff for n in TWO_SIDED]), error, sd
    )


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]) -> list:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    c = np.cumsum(w) - 0.5 * w
    c /= w.sum()
    return [float(np.interp(q, c, v)) for q in qs]


def _range(values: np.ndarray, weights: np.ndarray) -> Range:
    lo, mid, hi = _weighted_quantiles(values, weights, (0.1, 0.5, 0.9))
    return Range(lo, mid, hi)


def _ess(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / np.sum(w * w))


def _weights(loglik: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Normalised importance weights, their effective sample size, and the tempering power
    (1 unless the full likelihood left fewer than `MIN_ESS` effective draws)."""

    def at(beta: float) -> np.ndarray:
        x = beta * loglik
        w = np.exp(x - x.max())
        return w / w.sum()

    w = at(1.0)
    if _ess(w) >= MIN_ESS:
        return w, _ess(w), 1.0
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _ess(at(mid)) >= MIN_ESS else (lo, mid)
    w = at(lo)
    return w, _ess(w), lo


@dataclass(frozen=True)
class MetricFollowUp:
    """One metric at the follow-up: before, predicted (with ranges), observed (value, sd),
    where the observation fell and the re-prediction with this patient's weighted draws."""

    name: str
    before: float
    predicted: Range
    observed: float
    observed_sd: float
    updated: Range

    @property
    def position(self) -> str:
        if self.observed < self.predicted.p10:
            return "below"
        return "above" if self.observed > self.predicted.p90 else "inside"

    @property
    def versus_prediction(self) -> str:
        """'as predicted', or whether the face moved less ('weaker') or more ('stronger')
        than the band said, judged from where it started."""
        if self.inside_band:
            return "as predicted"
        moved_less = abs(self.observed - self.before) < abs(self.predicted.median - self.before)
        return "weaker" if moved_less else "stronger"

    @property
    def inside_band(self) -> bool:
        return self.position == "inside"

    @property
    def outside_by_mm(self) -> float:
        """How far outside the 10th-90th band the observation lies (0 inside)."""
        return max(self.predicted.p10 - self.observed, self.observed - self.predicted.p90, 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "before": round(self.before, 3),
            "predicted": self.predicted.to_json(),
            "observed": {"value": round(self.observed, 3), "sd": round(self.observed_sd, 3)},
            "inside_band": self.inside_band,
            "position": self.position,
            "versus_prediction": self.versus_prediction,
            "outside_by_mm": round(self.outside_by_mm, 3),
            "updated": self.updated.to_json(),
        }


@dataclass(frozen=True)
class FollowUp:
    """A follow-up on `day` after treatment: every metric compared, and the calibration."""

    day: float
    metrics: dict[str, MetricFollowUp]
    weights: np.ndarray
    effective_draws: float
    tempering: float
    prior_params: dict[str, float]
    posterior_params: dict[str, float]
    effect_scale: float  # this patient's effect as a fraction of the model's median effect

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": FOLLOWUP_SCHEMA,
            "day": self.day,
            "metrics": {k: m.to_json() for k, m in self.metrics.items()},
            "calibration": {
                "draws": len(self.weights),
                "effective_draws": round(self.effective_draws, 1),
                "tempering": round(self.tempering, 3),
                "prior": {k: round(v, 3) for k, v in self.prior_params.items()},
                "posterior": {k: round(v, 3) for k, v in self.posterior_params.items()},
                "effect_scale": round(self.effect_scale, 3),
                "note": f"based on this patient's response at day {self.day:g}",
            },
        }


def follow_up(draws: DrawSet, day: float, observed: dict[str, Metric]) -> FollowUp:
    """Compare the draws' prediction for `day` with the observed metrics, and weigh the draws
    by the observation (Gaussian likelihood with the observed ± per metric)."""
    model = draws.at(day)  # (K, n), from the face as measured
    pred = model + draws.error  # with the starting photo's measurement error
    names = [n for n in draws.metric_names if n in observed]
    idx = [draws.metric_names.index(n) for n in names]
    obs = np.array([observed[n].diff for n in names])
    # Both photos' errors are Gaussian and independent of the model draws: marginalised
    # exactly, so the weights only judge the model's parameters.
    obs_sd = np.maximum([observed[n].diff_sd for n in names], SD_FLOOR_MM)
    sd = np.hypot(obs_sd, draws.before_sd[idx])
    z = (model[idx] - obs[:, None]) / sd[:, None]
    w, ess, beta = _weights(-0.5 * np.sum(z * z, axis=0))
    flat = np.full(pred.shape[1], 1.0 / pred.shape[1])
    out = {
        n: MetricFollowUp(
            n,
            float(draws.before[k]),
            _range(pred[k], flat),
            float(observed[n].diff),
            float(observed[n].diff_sd),
            _range(pred[k], w),
        )
        for n, k in zip(names, idx, strict=True)
    }
    logp = np.log(draws.params)
    prior = dict(zip(PARAM_NAMES, np.exp(logp.mean(axis=1)).tolist(), strict=True))
    post = dict(zip(PARAM_NAMES, np.exp(logp @ w).tolist(), strict=True))
    return FollowUp(float(day), out, w, ess, beta, prior, post, _effect_scale(model, draws, w))


def _effect_scale(model: np.ndarray, draws: DrawSet, w: np.ndarray) -> float:
    """Posterior mean of each draw's effect projected on the median effect (1 = the model's
    typical patient, 0.5 = half the movement); 1 when the plan moves nothing."""
    effect = model - draws.before[:, None]  # (K, n)
    typical = np.median(effect, axis=1)
    norm = float(typical @ typical)
    if norm < 1e-6:
        return 1.0
    return float((typical @ effect / norm) @ w)


@dataclass(frozen=True)
class PatientResponse:
    """One patient's calibrated draws for their next prediction (a top-up, the next session),
    and the line that says so wherever that prediction is shown."""

    draws: response.Draws
    day: float
    effect_scale: float
    effective_draws: float

    @property
    def note(self) -> str:
        return (
            f"based on this patient's response at day {self.day:g}: effect "
            f"{self.effect_scale:.2f}× the model's typical patient "
            f"({self.effective_draws:.0f} effective draws)"
        )

    @property
    def digest(self) -> str:
        """What these draws are, for caching a prediction made with them."""
        p = self.draws.params
        arr = np.stack([p.potency, p.spread, p.sensitivity, p.duration, self.draws.response])
        return hashlib.sha256(arr.tobytes()).hexdigest()[:16]


def patient_response(
    fu: FollowUp, draws: DrawSet, samples: int = 200, seed: int = 0
) -> PatientResponse:
    """`samples` draws of the patient's parameters from the follow-up's posterior: the prior
    draws resampled by their importance weights (systematic resampling, so a draw of weight w
    appears about w × samples times). Parameters that the follow-up cannot judge (e.g. duration
    at day 14) keep their prior spread."""
    w = np.asarray(fu.weights, dtype=np.float64)
    u = (np.random.default_rng([seed, 2]).random() + np.arange(samples)) / samples
    idx = np.minimum(np.searchsorted(np.cumsum(w) / w.sum(), u), len(w) - 1)
    potency, spread, sensitivity, duration, factor = draws.params[:, idx]
    return PatientResponse(
        response.Draws(pharmacology.Params(potency, spread, sensitivity, duration), factor),
        fu.day,
        fu.effect_scale,
        fu.effective_draws,
    )
