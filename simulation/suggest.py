"""The smallest plans that balance a face: a greedy search over the standard sites, through the
subject's response basis, with the never-over-correct and never-lower-a-low-brow rules.

Each alternative (conservative, balanced, full) aims to remove a share of the asymmetry that the
attribution says muscles explain, at day 14 (masseter thinning: week 12), for the fewest units.
Candidate moves (one site, ±0.5 U steps in the product's own units) are scored in one batch at
the median parameters; an accepted move must keep every treated difference on its side across the
10th-90th percentile range of the same 200 draws `predict` uses. The final plans are verified
with `predict`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import atlas, pharmacology
from .analysis import Study
from .attribution import KEY_METRICS, TREAT_MIN, Attribution, attribute
from .errors import InputError, Notice
from .metrics import LABELS, VISIBILITY_MM, symmetry_index
from .plan import DEFAULT_DILUTION_ML_PER_100U, Injection, Plan, plan_to_json
from .prediction import (
    LID_CLOSERS,
    LID_DROP_WARN_MM,
    PEAK_DAY,
    Prediction,
    Range,
    Subject,
    predict,
)
from .response import Draws, activation_change, effects, point_metrics

SUGGESTION_SCHEMA = "symmetry-studio/suggestion/1"
# Share of the muscle-explained asymmetry each alternative aims to remove. conservative is the
# seed's "nudge" (under-correct, review at 2 weeks, top up); the numbers are the brief's
# (assumption: 50%, 80%, 100%).
ALTERNATIVES: tuple[tuple[str, float], ...] = (
    ("conservative", 0.5),
    ("balanced", 0.8),
    ("full", 1.0),
)
# How far a treated difference may cross zero at the pessimistic end (10th/90th percentile):
# conservative never crosses (brief); balanced and full stay inside what `predict` calls an
# over-correction (a flip of more than FLIP_MIN_MM = 0.5 mm at the 90th percentile), i.e. below
# the measurement noise of one photo pair. Without this slack no plan could remove more than
# ~55% of a difference, as the predicted effect's 10th-90th range spans about x0.6-x1.8.
STRICT = {"conservative": True, "balanced": False, "full": False}
STEP_UNITS = 0.5  # product units per step (brief)
MOVE_STEPS = (1, 2, 4, 8)  # candidate increments in steps (0.5, 1, 2, 4 U)
# Masseter thinning is slow: judge bulk muscles at week 12 of the first session (thickness -12%
# at week 12, lowest at about week 11: clinical-basis.md, masseter rows); later sessions add up
# and the schedule doses them (`schedule._masseter_course`).
BULK_PEAK_DAY = 84.0
# Below this many units received, a bulk muscle's thinning is taken as zero (the stray tail of
# the spread kernel from distant sites; < 1e-4 of a 30 U effect): saves the daily atrophy solve.
BULK_MIN_UNITS = 0.05
# Cost of one ona-equivalent unit against the squared residual in visibility thresholds
# (brow 3.5 mm). assumption: taking a brow difference from 2 to 1 mm (a gain of 0.24) is worth
# up to ~60 U, so dose only stops a plan that buys fractions of a millimetre with tens of units.
UNIT_COST = 0.004
# Weight (per mm² of increase) on the whole-face symmetry index, so a plan cannot balance the
# measured points while lifting an unmeasured part (a brow tail) out of line. Assumption: one
# millimetre of added RMS asymmetry costs as much as an uncorrected 3.5 mm brow difference.
SI_WEIGHT = 1.0
# A difference may get worse at the pessimistic end by this share of its treatment threshold
# (0.25 mm; assumption: below the ~0.3 mm measurement noise, so invisible).
WORSEN_TOLERANCE = 0.25
# Never lower a brow that already sits low by more than this at the pessimistic end (brief).
LOW_BROW_MAX_DROP_MM = 0.5
BROW_METRICS = ("brow_height_medial_mm", "brow_height_mm", "brow_height_lateral_mm")
SAMPLES = 200  # the same draws `predict` uses (seed 0)
# A site is used only if its target receives at least this share of a usual low dose on this
# face. assumption: 10% separates the sites that essentially miss their muscle (0-4% for the
# lateral corrugator, LLSAN and upper lip points on the test faces) from those placed at the
# edge of the belly (crow's feet upper point, DAO: 16-50%).
REACH_MIN = 0.1
MAX_ITERATIONS = 120
MAX_CHECKS = 12  # sampled feasibility checks per greedy step
# Sites for which the frontalis needs a companion glabella injection (clinical-basis.md: the
# forehead only together with the glabella; seed: 2-4 U to the higher frontalis + 1-2 U
# ipsilateral corrugator).
_COMPANIONS = ("corrugator_medial", "corrugator_lateral")
# `predict` warnings a suggested plan must not carry.
_REJECT = frozenset({"over_correction", "lid_drop", "lid_closure"})


@dataclass(frozen=True)
class PredictedDiff:
    """A key measurement's left-right difference before and after, on the day it is judged."""

    day: float
    before: float
    after: Range

    def to_json(self) -> dict[str, float]:
        return {"day": self.day, "before": round(self.before, 3), **self.after.to_json()}


@dataclass
class SuggestedPlan:
    """One alternative: the plan, its predicted residual asymmetry and its warnings."""

    name: str
    fraction: float
    plan: Plan
    predicted: dict[str, PredictedDiff]
    symmetry_index_before: float
    symmetry_index: Range
    warnings: list[Notice]

    @property
    def total_units(self) -> dict[str, float]:
        return self.plan.total_units()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target_correction_pct": round(100 * self.fraction),
            "plan": plan_to_json(self.plan),
            "predicted": {k: v.to_json() for k, v in self.predicted.items()},
            "symmetry_index_mm": {
                "day": PEAK_DAY,
                "before": round(self.symmetry_index_before, 3),
                **self.symmetry_index.to_json(),
            },
            "total_units": {k: round(v, 3) for k, v in self.total_units.items()},
            "warnings": [w.to_json() for w in self.warnings],
        }


class Suggestions(list[SuggestedPlan]):
    """The suggested plans (a list), the attribution they rest on, and why there are none."""

    def __init__(
        self,
        plans: list[SuggestedPlan],
        attribution: Attribution,
        reason: str = "",
        notes: list[str] | None = None,
    ) -> None:
        super().__init__(plans)
        self.attribution = attribution
        self.reason = reason
        self.notes = list(notes or [])  # what is left to the injector (a lid dose), and why

    def by_name(self, name: str) -> SuggestedPlan | None:
        return next((p for p in self if p.name == name), None)


def candidate_sites(subject: Subject) -> tuple[atlas.InjectionSite, ...]:
    """Routine standard sites outside every danger zone on this face (for the site and its
    target) whose target muscle gets at least REACH_MIN of the dose: a site whose toxin lands on
    another muscle would be a plan that says one thing and does another. The smile elevators'
    points are not routine (a flat or crooked smile is the risk), nor are the lids' pretarsal
    points (lagophthalmos, dry eye, ptosis): both are left to the injector."""
    v = subject.analysis.mesh.vertices_mm
    safe = tuple(
        s for s in atlas.sites() if s.routine and not atlas.danger_zones(s.position(v), v, s.target)
    )
    pos = np.array([s.position(v) for s in safe])
    units = np.array([s.usual_units[0] for s in safe])
    target = np.array([subject.muscle_ids.index(s.target) for s in safe])
    received = np.array(
        [
            pharmacology.received_units(
                p[None],
                u,
                pharmacology.injection_volume_ml(u, DEFAULT_DILUTION_ML_PER_100U),
                subject.belly_mm[t][None],
                subject.belly_radius_mm[t],
            )[0]
            for p, u, t in zip(pos, units, target, strict=True)
        ]
    )
    return tuple(s for s, r, u in zip(safe, received, units, strict=True) if r >= REACH_MIN * u)


class Evaluator:
    """Batched prediction of plans over a fixed list of sites, for one subject and product:
    peak activation change (day 14; bulk muscles week 12) and per-side key measurements."""

    def __init__(
        self,
        subject: Subject,
        sites: tuple[atlas.InjectionSite, ...],
        product: str = "onabotulinumtoxinA",
        dilution: float = DEFAULT_DILUTION_ML_PER_100U,
        draws: Draws | None = None,
    ) -> None:
        self.subject = subject
        # the typical patient of `draws` (a recorded patient's calibrated draws), else the model's
        self.median, self.factor = (pharmacology.Params(), 1.0) if draws is None else draws.median()
        self.sites = sites
        self.product = pharmacology.normalise_product(product)
        self.dilution = dilution
        self.ona_per_unit = pharmacology.ona_per_unit(self.product)
        v = subject.analysis.mesh.vertices_mm
        pos = np.array([s.position(v) for s in sites]).reshape(-1, 3)
        dist = np.linalg.norm(pos[:, None, :] - subject.belly_mm[None, :, :], axis=2)
        self.gap = np.maximum(dist - subject.belly_radius_mm[None, :], 0.0)  # (S, M)
        hi = np.array([pharmacology.from_ona_units(s.usual_units[1], self.product) for s in sites])
        self.jmax = np.floor(hi / STEP_UNITS + 1e-9).astype(int)  # (S,)
        # Smallest non-zero dose: a quarter of the usual low dose (below that `predict` warns
        # `unusual_dose`).
        lo = np.array(
            [pharmacology.from_ona_units(0.25 * s.usual_units[0], self.product) for s in sites]
        )
        self.jmin = np.clip(np.ceil(lo / STEP_UNITS - 1e-9).astype(int), 1, self.jmax)
        steps = np.arange(int(self.jmax.max(initial=0)) + 1)
        units = steps * STEP_UNITS
        w = self._weights(units[None, :].repeat(len(sites), 0), self.median)
        self.table = w * (units * self.ona_per_unit)[None, :, None]  # (S, J+1, M) received
        self.bulk = subject.bulk
        self._bulk_grid, self._bulk_table = self._thickness_table()
        self._thickness_memo: dict[tuple, tuple[pharmacology.Params, np.ndarray]] = {}

    def _weights(
        self, units: np.ndarray, params: pharmacology.Params, gap: np.ndarray | None = None
    ) -> np.ndarray:
        """Spread kernel (S, J, M) for product `units` (S, J), or (…, S, M) for units (S,)."""
        ona = units * self.ona_per_unit
        vol = pharmacology.injection_volume_ml(units, self.dilution)
        r = np.asarray(pharmacology.spread_radius_mm(ona, vol, params))
        gap = self.gap if gap is None else gap
        gap = gap if units.ndim == 1 else gap[:, None, :]
        return np.exp(-np.log(2.0) * (gap / r[..., None]) ** 2)

    def _thickness_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Week-12 thickness change of each bulk muscle vs the units it receives (median)."""
        b = self.bulk
        if not b.any():
            return np.zeros(1), np.zeros((1, 0))
        top = float(self.table[..., b].max(initial=0.0) * max(1, len(self.sites)))
        grid = np.linspace(0.0, max(top, 1.0), 801)
        rec = np.repeat(grid[:, None, None], b.sum(), axis=2)  # (G, 1, Mb)
        change = pharmacology.thickness_change(
            [0.0], rec, self.subject.size[b], [BULK_PEAK_DAY], self.product, self.median
        )[:, 0, :]
        return grid, change

    def received(self, steps: np.ndarray) -> np.ndarray:
        """Units each muscle receives (B, M) for integer step vectors (B, S), median spread."""
        s = np.arange(len(self.sites))
        return self.table[s[None, :], steps].sum(axis=1)

    def received_sampled(self, units: np.ndarray, draws: Draws) -> np.ndarray:
        """Units each muscle receives (n, M) for one unit vector (S,) under sampled draws."""
        used = np.flatnonzero(units > 0)
        w = self._weights(units[used], draws.params, self.gap[used])  # (n, s, M)
        return np.einsum("...sm,s->...m", w, units[used] * self.ona_per_unit)

    def delta(self, received: np.ndarray, draws: Draws | None = None) -> np.ndarray:
        """Peak activation change (L, M): linear muscles at day 14, bulk thickness at week 12,
        at the median parameters or (L = n) for sampled draws."""
        p = self.median if draws is None else draws.params
        s = self.subject
        inh = pharmacology.inhibition_over_time(
            [0.0], received[:, None, :], s.size, [PEAK_DAY], self.product, p
        )[:, 0, :]
        thick = np.zeros_like(inh)
        b = self.bulk
        if b.any() and (received[:, b] > BULK_MIN_UNITS).any():
            if draws is None:
                for k, col in enumerate(np.flatnonzero(b)):
                    thick[:, col] = np.interp(
                        received[:, col], self._bulk_grid, self._bulk_table[:, k]
                    )
            else:
                thick[:, b] = self._sampled_thickness(received[:, b], p)
        response = self.factor if draws is None else draws.response[:, None]
        return activation_change(s, inh, thick, 0.0, response)

    def _sampled_thickness(self, received: np.ndarray, p: pharmacology.Params) -> np.ndarray:
        """Week-12 thickness change (n, Mb) of the bulk muscles under sampled draws, memoised:
        the search re-checks many plans that give the masseters the very same units (measured:
        242 evaluations, 43 distinct, on one test face), and each costs a daily integration."""
        key = (id(p), received.shape, received.tobytes())
        hit = self._thickness_memo.get(key)
        if hit is not None and hit[0] is p:  # the held reference keeps id(p) from being reused
            return hit[1]
        change = pharmacology.thickness_change(
            [0.0],
            received[:, None, :],
            self.subject.size[self.bulk],
            [BULK_PEAK_DAY],
            self.product,
            p,
        )[:, 0, :]
        self._thickness_memo[key] = (p, change)
        return change

    def symmetry_index(self, delta: np.ndarray) -> np.ndarray:
        """Whole-face symmetry index (L,) after activation changes (L, M)."""
        s = self.subject
        verts = s.analysis.mesh.vertices_mm + np.tensordot(delta, s.landmark_basis, axes=(1, 0))
        return symmetry_index(verts.astype(np.float32), s.analysis.mesh.mirror)

    def sides(self, delta: np.ndarray) -> np.ndarray:
        """Per-side key measurements (L, 2, K) after activation changes (L, M)."""
        per = point_metrics(self.subject, delta)
        return np.stack(
            [np.stack([per[x][n] for n in KEY_METRICS], axis=-1) for x in ("left", "right")],
            axis=-2,
        )

    def units(self, steps: np.ndarray) -> np.ndarray:
        return np.asarray(steps, dtype=np.float64) * STEP_UNITS

    def plan(self, steps: np.ndarray, label: str = "") -> Plan:
        units = self.units(steps)
        injections = tuple(
            Injection(float(u), 0.0, site=s.id)
            for s, u in zip(self.sites, units, strict=True)
            if u > 0
        )
        return Plan(self.product, self.dilution, injections, label=label)


@dataclass
class _Problem:
    """Targets, bounds and the sampled draws for one subject and one alternative."""

    ev: Evaluator
    before: np.ndarray  # (2, K) per-side values at rest
    d0: np.ndarray  # (K,) left - right before
    target: np.ndarray  # (K,) left - right aimed for
    is_target: np.ndarray  # (K,) bool
    max_units: float  # product units
    draws: Draws
    strict: bool = True  # no crossing at all (else up to half the treatment threshold)
    companions: dict[int, int] = field(default_factory=dict)  # frontalis site → glabella site
    companion_min: dict[int, int] = field(default_factory=dict)
    si0: float = 0.0  # whole-face symmetry index before treatment

    def objective(self, steps: np.ndarray) -> np.ndarray:
        """(B,) squared residual in visibility thresholds + unit cost, median parameters."""
        delta = self.ev.delta(self.ev.received(steps))
        sides = self.ev.sides(delta)
        diffs = sides[:, 0, :] - sides[:, 1, :]
        w = np.array([1.0 / VISIBILITY_MM[n] ** 2 for n in KEY_METRICS])
        on = np.where(self.is_target, (diffs - self.target) ** 2, 0.0)
        worse = np.maximum(np.abs(diffs) - np.abs(self.d0), 0.0)
        off = np.where(self.is_target, 0.0, worse**2)
        units = self.ev.units(steps).sum(axis=1) * self.ev.ona_per_unit
        si_up = np.maximum(self.ev.symmetry_index(delta) - self.si0, 0.0)
        return (on + off) @ w + UNIT_COST * units + SI_WEIGHT * si_up**2

    def feasible(self, steps: np.ndarray) -> bool:
        """No treated difference flips, no new or worse difference, no low brow or lid lowered,
        across the 10th-90th percentile range of the sampled parameters."""
        units = self.ev.units(steps)
        rec = self.ev.received_sampled(units, self.draws)
        sides = self.ev.sides(self.ev.delta(rec, self.draws))  # (n, 2, K)
        diffs = sides[:, 0, :] - sides[:, 1, :]
        lo, hi = np.percentile(diffs, [10, 90], axis=0)
        sign = np.where(self.d0 >= 0, 1.0, -1.0)
        near, far = np.where(sign > 0, lo, -hi), np.where(sign > 0, hi, -lo)  # oriented
        flip_min = np.array([0.5 * TREAT_MIN[n] for n in KEY_METRICS])
        size = np.abs(self.d0)
        # strict: no difference of 0.5 mm or more may cross zero at all
        crossing = self.strict & (self.is_target | (size >= flip_min))
        allowed_near = np.where(crossing, 0.0, -flip_min)
        worse = WORSEN_TOLERANCE * np.array([TREAT_MIN[n] for n in KEY_METRICS])
        allowed_far = np.where(self.is_target, size, np.maximum(size, flip_min)) + worse
        if (near < allowed_near - 1e-6).any() or (far > allowed_far).any():
            return False
        drop = self.before[None] - sides  # (n, 2, K) positive = lower
        p90 = np.percentile(drop, 90, axis=0)  # (2, K)
        for n in BROW_METRICS:
            k = KEY_METRICS.index(n)
            low = [0, 1] if abs(self.d0[k]) < 0.5 else [1 if self.d0[k] > 0 else 0]
            if (p90[low, k] > LOW_BROW_MAX_DROP_MM).any():
                return False
        k = KEY_METRICS.index("mrd1_mm")
        return bool((p90[:, k] <= LID_DROP_WARN_MM).all())

    def complete(self, steps: np.ndarray) -> np.ndarray:
        """Add the glabella companion to any frontalis site in use (in place, (B, S))."""
        for f, g in self.companions.items():
            use = steps[:, f] > 0
            steps[use, g] = np.maximum(steps[use, g], self.companion_min[g])
        return steps

    def _up(self, steps: np.ndarray, s: int) -> list[np.ndarray]:
        """`steps` with site s raised by each of MOVE_STEPS (at least to its smallest dose)."""
        out = []
        for k in MOVE_STEPS:
            value = max(steps[s] + k, self.ev.jmin[s])
            if value <= self.ev.jmax[s]:
                c = steps.copy()
                c[s] = value
                out.append(c)
        return out

    def _down(self, steps: np.ndarray, s: int) -> np.ndarray:
        c = steps.copy()
        c[s] = steps[s] - 1 if steps[s] > self.ev.jmin[s] else 0
        return c

    def _finish(self, steps: np.ndarray, cands: list[np.ndarray]) -> np.ndarray:
        """Companions added, unit limits kept, no-ops and duplicates dropped → (B, S)."""
        if not cands:
            return np.zeros((0, len(steps)), dtype=int)
        out = self.complete(np.array(cands))
        units = self.ev.units(out).sum(axis=1)
        ok = (units <= self.max_units + 1e-9) & (
            units * self.ev.ona_per_unit <= pharmacology.session_max_ona() + 1e-9
        )
        out = out[ok & (out != steps[None]).any(axis=1)]
        return np.unique(out, axis=0)

    def moves(self, steps: np.ndarray) -> np.ndarray:
        """Candidates (B, S): one site up by 0.5-4 U or down by 0.5 U, within each site's range
        and the unit limits, completed with companions."""
        cands = []
        for s in range(len(steps)):
            cands += self._up(steps, s)
            if steps[s] > 0:
                cands.append(self._down(steps, s))
        return self._finish(steps, cands)

    def swaps(self, steps: np.ndarray) -> np.ndarray:
        """Candidates (B, S): one site in use down a step and another one up (finer control
        when no single move helps)."""
        cands = []
        for u in np.flatnonzero(steps):
            down = self._down(steps, u)
            for s in range(len(steps)):
                if s != u:
                    cands += self._up(down, s)
        return self._finish(steps, cands)

    def _best(
        self, steps: np.ndarray, cands: np.ndarray, current: float, blocked: set[bytes]
    ) -> tuple[np.ndarray, float] | None:
        """The lowest-objective candidate that improves and passes the sampled checks."""
        if not len(cands):
            return None
        scores = self.objective(cands)
        order = np.lexsort((self.ev.units(cands).sum(axis=1), scores))
        checks = 0
        for b in order:
            if scores[b] >= current - 1e-9 or checks >= MAX_CHECKS:
                return None
            key = cands[b].tobytes()
            if key in blocked:
                continue
            checks += 1
            if self.feasible(cands[b]):
                return cands[b], float(scores[b])
            blocked.add(key)
        return None

    def search(self, start: np.ndarray) -> list[np.ndarray]:
        """Greedy descent from `start`: the best improving feasible move (else swap) until
        none is left. Returns the path of accepted step vectors, the last one best."""
        steps = start.copy() if self.feasible(start) else np.zeros_like(start)
        path = [steps]
        current = float(self.objective(steps[None])[0])
        blocked: set[bytes] = set()
        for _ in range(MAX_ITERATIONS):
            found = self._best(steps, self.moves(steps), current, blocked)
            if found is None:
                found = self._best(steps, self.swaps(steps), current, blocked)
            if found is None:
                break
            steps, current = found
            path.append(steps)
        return path


def _companions(
    sites: tuple[atlas.InjectionSite, ...], product: str
) -> tuple[dict[int, int], dict[int, int]]:
    """For each frontalis site, the ipsilateral corrugator site that must come with it, and
    that site's smallest dose in steps (its usual low dose)."""
    index = {s.id: i for i, s in enumerate(sites)}
    pairs, minimum = {}, {}
    for i, s in enumerate(sites):
        if not atlas.site(s.id).target.startswith("frontalis"):
            continue
        for base in _COMPANIONS:
            g = index.get(f"{base}_{s.side}")
            if g is not None:
                pairs[i] = g
                lo = pharmacology.from_ona_units(sites[g].usual_units[0], product)
                minimum[g] = int(np.ceil(lo / STEP_UNITS - 1e-9))
                break
    return pairs, minimum


def _relevant(ev: Evaluator) -> np.ndarray:
    """Sites whose usual top dose moves some key measurement by at least 0.05 threshold."""
    steps = np.diag(ev.jmax)
    sides = ev.sides(ev.delta(ev.received(steps)))
    base = ev.sides(ev.delta(ev.received(np.zeros((1, len(ev.sites)), dtype=int))))
    w = np.array([1.0 / VISIBILITY_MM[n] for n in KEY_METRICS])
    change = np.abs(sides - base).max(axis=1) * w
    return change.max(axis=1) >= 0.05


def _targets(att: Attribution) -> tuple[np.ndarray, np.ndarray]:
    """Which differences to correct, and the part of each that muscles explain: clipped to the
    measured difference, and all of it when the unexplained rest is below the treatment
    threshold (the fit's ridge shrinks every estimate a little; that rest is noise). The part
    the lids' own orbicularis explains is left out: its points are the injector's (not routine),
    and no other site should chase it (12 U of crow's feet to open an eye)."""
    d0 = np.array([att.measured[n] for n in KEY_METRICS])
    by_lids = np.array(
        [
            sum(m.explained_mm.get(n, 0.0) for m in att.muscles if m.muscle.startswith(LID_CLOSERS))
            for n in KEY_METRICS
        ]
    )
    minimum = np.array([TREAT_MIN[n] for n in KEY_METRICS])
    static = np.array([n in att.static for n in KEY_METRICS])
    explained = np.array([att.treatable(n) for n in KEY_METRICS]) - np.where(static, 0.0, by_lids)
    small_rest = (np.abs(d0 - explained) < minimum) & (np.abs(explained) >= 0.5 * minimum)
    explained = np.where(small_rest & ~static, d0, explained)
    sign = np.where(d0 >= 0, 1.0, -1.0)
    treatable = sign * np.clip(sign * explained, 0.0, np.abs(d0))
    # a difference the photo cannot tell from zero is not treated, however it reads
    seen = np.array([att.distinguishable(n) for n in KEY_METRICS])
    is_target = (np.abs(d0) >= minimum) & (np.abs(treatable) >= 0.5 * minimum) & seen
    return is_target, treatable


def _no_plan_reason(att: Attribution, is_target: np.ndarray) -> str:
    if is_target.any():
        return ""
    big = [n for n in KEY_METRICS if abs(att.measured[n]) >= TREAT_MIN[n]]
    if not big:
        return "no left-right difference of 1 mm or more: nothing for toxin to balance"
    if not any(att.distinguishable(n) for n in big):
        return (
            "the differences of 1 mm or more are within this photo's measurement noise: "
            "retake a sharp, evenly lit frontal photo before planning"
        )
    static = [n for n in big if n in att.static]
    parts = []
    if static:
        parts.append(
            "unchanged in expression (static: volume, skeleton or laxity): "
            + ", ".join(LABELS[n].lower() for n in static)
        )
    rest = [n for n in big if n not in att.static]
    if rest:
        parts.append("not explained by muscle pull: " + ", ".join(LABELS[n].lower() for n in rest))
    return "no treatable asymmetry: the differences of 1 mm or more are " + "; ".join(parts)


LID_NOTE_UNITS = 2.0  # the eye-opening microdose the note predicts (Flynn 2001; usual 0.5-2 U)


def lid_notes(subject: Subject, att: Attribution, product: str) -> list[str]:
    """A lid difference the lids' own orbicularis explains is not chased by the plans (its
    points are the injector's): say so, with what the model predicts for a 2 U pretarsal dose on
    the narrower eye, and its danger."""
    out = []
    for m in att.muscles:
        if not m.muscle.startswith(LID_CLOSERS):
            continue
        lid = max(("mrd1_mm", "palpebral_fissure_mm"), key=lambda n: abs(m.explained_mm.get(n, 0)))
        if abs(m.explained_mm.get(lid, 0.0)) < TREAT_MIN[lid]:
            continue
        upper = m.muscle.startswith(LID_CLOSERS[0])
        site = f"pretarsal_{'upper' if upper else 'lower'}_{m.side}"
        units = pharmacology.from_ona_units(LID_NOTE_UNITS, product)
        plan = Plan(product, DEFAULT_DILUTION_ML_PER_100U, (Injection(units, 0.0, site=site),))
        pr = predict(subject, plan, [PEAK_DAY], samples=SAMPLES, measurement_error=False)
        change = pr.metrics[0][lid]
        before = subject.analysis.metrics[lid]
        r = getattr(change, m.side)
        gain = r.median - (before.left if m.side == "left" else before.right)
        out.append(
            f"{abs(m.explained_mm[lid]):.1f} mm of the {LABELS[lid].lower()} difference is the "
            f"{m.side} {'upper' if upper else 'lower'} lid's orbicularis: {units:g} U at that "
            f"lid's pretarsal point ({site}) would open the eye about {gain:.1f} mm by day "
            f"{PEAK_DAY:g}; not in the plans (lid doses are the injector's call: too much gives "
            "lagophthalmos or a dry eye)"
        )
    return out


def _predict_plan(subject: Subject, plan: Plan, draws: Draws | None) -> Prediction:
    """The plan as `predict` sees it (its 200 draws, or the patient's) at the peak days the
    suggestion aims for, on the face as measured (differences inside the photo's noise are not
    targets at all)."""
    return predict(
        subject,
        plan,
        [PEAK_DAY, BULK_PEAK_DAY],
        samples=SAMPLES,
        measurement_error=False,
        draws=draws,
    )


def _verify(
    subject: Subject,
    plan: Plan,
    name: str,
    fraction: float,
    att: Attribution,
    pr: Prediction,
    draws: Draws,
) -> SuggestedPlan:
    """Collect the plan's predicted figures (`pr`, from `_predict_plan`) and warnings."""
    base = subject.analysis.metrics
    predicted = {}
    for n in KEY_METRICS:
        t = 1 if n == "lower_face_half_width_mm" else 0
        predicted[n] = PredictedDiff(float(pr.days[t]), base[n].diff, pr.metrics[t][n].diff)
    inh, thick = effects(subject, plan, np.array([PEAK_DAY]), draws.params)
    response = draws.response[:, None, None]
    delta = activation_change(subject, inh, thick, 0.0, response)[:, 0, :]  # (n, M)
    verts = subject.analysis.mesh.vertices_mm + np.tensordot(
        delta, subject.landmark_basis, axes=([-1], [0])
    )
    si = symmetry_index(verts.astype(np.float32), subject.analysis.mesh.mirror)
    p10, p50, p90 = np.percentile(si, [10, 50, 90])
    warnings = list(pr.warnings)
    for w in att.weakness:
        warnings.append(Notice("weakness", w.message))
    return SuggestedPlan(
        name=name,
        fraction=fraction,
        plan=plan,
        predicted=predicted,
        symmetry_index_before=base["symmetry_index_mm"].left,
        symmetry_index=Range(float(p10), float(p50), float(p90)),
        warnings=warnings,
    )


def suggest(
    subject: Subject,
    study: Study | None = None,
    product: str = "onabotulinumtoxinA",
    max_units: float | None = None,
    attribution: Attribution | None = None,
    dilution: float = DEFAULT_DILUTION_ML_PER_100U,
    draws: Draws | None = None,
) -> Suggestions:
    """Up to three plans (conservative, balanced, full) that reduce the muscle-explained
    asymmetry at day 14 with the fewest units, never over-correcting at the 90th percentile.
    `draws` (a recorded patient's calibrated draws, `calibration.patient_response`) replace the
    model's 200 prior draws everywhere: in the search, its median and the final check."""
    pid = pharmacology.normalise_product(product)
    if max_units is not None and (not np.isfinite(max_units) or max_units <= 0):
        raise InputError("bad_max_units", f"--max-units must be a positive number, got {max_units}")
    att = attribution if attribution is not None else attribute(subject, study)
    notes = lid_notes(subject, att, pid)
    is_target, treatable = _targets(att)
    reason = _no_plan_reason(att, is_target)
    if reason:
        return Suggestions([], att, reason, notes)

    sites = candidate_sites(subject)
    ev = Evaluator(subject, sites, pid, dilution, draws)
    keep = _relevant(ev)
    sites = tuple(s for s, k in zip(sites, keep, strict=True) if k)
    ev = Evaluator(subject, sites, pid, dilution, draws)
    pairs, minimum = _companions(sites, pid)
    session_max = float(pharmacology.from_ona_units(pharmacology.session_max_ona(), pid))
    limit = session_max if max_units is None else min(float(max_units), session_max)
    before = ev.sides(np.zeros((1, len(subject.muscles))))[0]
    d0 = before[0] - before[1]
    patient = draws
    draws = Draws.sample(SAMPLES, 0) if patient is None else patient

    plans: list[SuggestedPlan] = []
    seen: set[bytes] = set()
    steps = np.zeros(len(sites), dtype=int)
    for name, fraction in ALTERNATIVES:
        problem = _Problem(
            ev=ev,
            before=before,
            d0=d0,
            target=d0 - fraction * treatable * is_target,
            is_target=is_target,
            max_units=limit,
            draws=draws,
            strict=STRICT[name],
            companions=pairs,
            companion_min=minimum,
            si0=float(ev.symmetry_index(np.zeros((1, len(subject.muscles))))[0]),
        )
        path = problem.search(steps)
        # `predict` has the last word: step back while it still sees an over-correction or a
        # lid drop (its draws differ from the search's).
        while True:
            steps = path.pop()
            if not steps.any() or (not path and steps.tobytes() in seen):
                break  # nothing, or back at a plan already suggested: no new plan here
            plan = ev.plan(steps, label=name)
            pr = _predict_plan(subject, plan, patient)
            if not {w.code for w in pr.warnings} & _REJECT or not path:
                verified = _verify(subject, plan, name, fraction, att, pr, draws)
                break
        key = steps.tobytes()
        if not steps.any() or key in seen:
            continue
        seen.add(key)
        plans.append(verified)
    if not plans:
        reason = (
            "no plan over the standard sites improves the treatable asymmetry enough for its "
            "units without over-correcting, lowering a low brow or leaving the dose ranges"
        )
    return Suggestions(plans, att, reason, notes)


def suggestion_to_json(
    suggestions: Suggestions, schedule: Any | None = None, product: str | None = None
) -> dict[str, Any]:
    """The `symmetry-studio/suggestion/1` JSON."""
    att = suggestions.attribution
    return {
        "schema": SUGGESTION_SCHEMA,
        "product": product,
        "measured_mm": {k: round(v, 3) for k, v in att.measured.items()},
        "attribution": [m.to_json() for m in att.muscles],
        "untreatable": [u.to_json() for u in att.untreatable],
        "weakness": [w.to_json() for w in att.weakness],
        "summary": list(att.summary),
        "plans": [p.to_json() for p in suggestions],
        "reason": suggestions.reason or None,
        "notes": list(suggestions.notes),
        "schedule": None if schedule is None else schedule.to_json(),
    }
