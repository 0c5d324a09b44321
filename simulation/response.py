"""Evaluating a subject's response basis: plan → per-muscle inhibition → load change → moved
measurement points, for the median parameters or a batch of uncertainty draws.

These are the pieces every prediction shares (`predict`, the outcome warnings, the suggestion's
search, the schedule), so they live here with one way to draw the uncertainty (`Draws.sample`):
the same seed gives the same draws wherever they are used."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import atlas, mechanics, pharmacology
from .analysis import EXPRESSIONS, Analysis
from .errors import InputError
from .metrics import side_metrics
from .plan import Plan
from .resources import load_json

__all__ = [
    "RESPONSE_LOG_SD",
    "Draws",
    "Subject",
    "activation_change",
    "build_subject",
    "effects",
    "measurement_noise",
    "point_metrics",
]

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


_RECENT_BASES = 2  # the tissue models kept by face geometry (the slow step; ~6 MB each)
_bases: OrderedDict[str, tuple[mechanics.TissueModel, mechanics.ResponseBasis]] = OrderedDict()
_bases_lock = threading.Lock()
_building: dict[str, threading.Lock] = {}  # faces being solved now, by key


def _tissue_and_basis(
    v468: np.ndarray, faces: np.ndarray, muscles: tuple, subdivisions: int
) -> tuple[mechanics.TissueModel, mechanics.ResponseBasis]:
    """The tissue model and response basis of one face geometry, solved once: the same face
    analysed again (another tab, the server's warm-up of the demo face) reuses them."""
    tissue = sorted(
        (k, v) for k, v in vars(mechanics).items() if k.isupper() and isinstance(v, float | int)
    )
    what = repr((subdivisions, muscles, tissue)).encode()
    key = hashlib.sha256(v468.tobytes() + np.asarray(faces).tobytes() + what).hexdigest()
    with _bases_lock:
        if key in _bases:
            _bases.move_to_end(key)
            return _bases[key]
        building = _building.setdefault(key, threading.Lock())
    with building:  # a second caller of the same face waits for the first solve, not redoes it
        with _bases_lock:
            if key in _bases:
                return _bases[key]
        model = mechanics.build_tissue_model(v468, faces, subdivisions=subdivisions)
        built = (model, mechanics.build_basis(model, muscles, v468))
        with _bases_lock:
            _bases[key] = built
            _building.pop(key, None)
            while len(_bases) > _RECENT_BASES:
                _bases.popitem(last=False)
    return built


def build_subject(analysis: Analysis, subdivisions: int = 2) -> Subject:
    """Fit the tissue model to an analysed face and solve every muscle's response once."""
    v468 = analysis.mesh.vertices_mm
    muscles = atlas.muscles()
    model, basis = _tissue_and_basis(v468, analysis.mesh.faces, tuple(muscles), subdivisions)
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
class Draws:
    """Uncertainty draws: pharmacology parameters and the individual's response factor."""

    params: pharmacology.Params
    response: np.ndarray  # (n,) factor on the individual's tone and tissue response

    @property
    def n(self) -> int:
        return len(self.response)

    def median(self) -> tuple[pharmacology.Params, float]:
        """The draws' median parameters and response factor: their typical patient."""
        p = self.params
        fields = (p.potency, p.spread, p.sensitivity, p.duration)
        return pharmacology.Params(*(float(np.median(a)) for a in fields)), float(
            np.median(self.response)
        )

    @staticmethod
    def sample(n: int, seed: int) -> Draws:
        """`n` draws from one seed: the pharmacology first, then the response factor, from one
        generator (the order `predict` has always used, so its ranges stay put)."""
        rng = np.random.default_rng(seed)
        params = pharmacology.sample_params(n, rng)
        return Draws(params, np.exp(RESPONSE_LOG_SD * rng.standard_normal(n)))


def measurement_noise(sd: np.ndarray, n: int, seed: int) -> np.ndarray:
    """(K, n) draws of the starting photo's measurement error of K differences with standard
    deviations `sd`; a stream of its own so the response draws of `seed` are unaffected."""
    sd = np.asarray(sd, dtype=np.float64)
    return sd[:, None] * np.random.default_rng([seed, 1]).standard_normal((len(sd), n))


def effects(
    subject: Subject, plan: Plan, days: np.ndarray, params: pharmacology.Params
) -> tuple[np.ndarray, np.ndarray]:
    """Inhibition and relative thickness change of every muscle, each (…, T, M), on `days` for
    one parameter set (or, with sampled `params`, a leading draw axis)."""
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


def activation_change(
    subject: Subject,
    inh: np.ndarray,
    thick: np.ndarray,
    expression: float | np.ndarray,
    response: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Change of every muscle's load from the photographed face (…, T, M): resting tone lost,
    expression weakened, bulk muscles thinned (mm); `response` scales the individual's tone."""
    lin = ~subject.bulk
    delta = np.where(lin, response * -subject.tone * inh + expression * (1.0 - inh), 0.0)
    bulk = response * subject.thickness_mm * thick + expression * (1.0 - inh)
    return np.where(subject.bulk, bulk, delta)


def point_metrics(subject: Subject, delta: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per-side metric values after activation changes `delta` (…, M): {"left"/"right": name →
    array (…)}, through the measurement points' own basis (no mesh-sized work)."""
    disp = np.tensordot(delta, subject.point_basis, axes=([-1], [0]))  # (…, P, 2)
    pts = {
        name: subject.analysis.points_mm[name] + disp[..., j, :]
        for j, name in enumerate(subject.point_names)
    }
    return side_metrics(pts, subject.analysis.midline_x_mm)
