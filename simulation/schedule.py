"""A year of visits for one plan: the first session, the 2-week review and top-up, maintenance
when the effect has halved (masseter: three cycles, then twice a year, at falling doses as the
thinning accumulates), timed around an event, with the predicted measurements over the year
from one `predict` call over every session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import atlas, pharmacology
from .attribution import KEY_METRICS, TREAT_MIN, Attribution
from .errors import InputError, Notice
from .metrics import LABELS, symmetry_index
from .plan import Injection, Plan, plan_to_json
from .prediction import FLIP_MIN_MM, PEAK_DAY, Subject, predict
from .resources import THRESHOLDS, data_values
from .response import Draws, activation_change, effects, point_metrics
from .suggest import BULK_PEAK_DAY, SAMPLES, STEP_UNITS

SCHEDULE_SCHEMA = "symmetry-studio/schedule/1"
HORIZON_DAYS = 365
# Visit intervals and top-up rules, with their sources: meshes/thresholds.json "schedule". Review
# at 2 weeks and top up a quarter of the first dose when a residual over one treatment threshold
# remains; maintenance when the effect has halved, within 12-16 weeks; masseter: three sessions
# 12 weeks apart, then twice a year, each later dose the largest share (in steps, down to a
# minimum) that thins no deeper than the first session did at week 12 (sessions accumulate:
# kim_2010); an event: the last session at least 3 weeks ahead (12 for masseter slimming), up to
# EVENT_WINDOW_DAYS earlier still near the plateau.
_INTERVALS = data_values(THRESHOLDS, "schedule")
REVIEW_DAY: int = _INTERVALS["review_day"]
TOPUP_FRACTION: float = _INTERVALS["topup_fraction"]
TOPUP_RESIDUAL_MM: float = _INTERVALS["topup_residual_mm"]
MAINTENANCE_MIN_DAYS: int = _INTERVALS["maintenance_min_days"]
MAINTENANCE_MAX_DAYS: int = _INTERVALS["maintenance_max_days"]
HALF_EFFECT: float = _INTERVALS["half_effect"]
MASSETER_CYCLES: int = _INTERVALS["masseter_cycles"]
MASSETER_INTERVAL_DAYS: int = _INTERVALS["masseter_interval_days"]
MASSETER_LATER_DAYS: int = _INTERVALS["masseter_later_days"]
MASSETER_DOSE_SHARE_STEP: float = _INTERVALS["masseter_dose_share_step"]
MASSETER_MIN_DOSE_SHARE: float = _INTERVALS["masseter_min_dose_share"]
EVENT_LEAD_DAYS: int = _INTERVALS["event_lead_days"]
MASSETER_EVENT_LEAD_DAYS: int = _INTERVALS["masseter_event_lead_days"]
EVENT_WINDOW_DAYS: int = _INTERVALS["event_window_days"]
TIMELINE_STEP_DAYS = 7
SI_SAMPLES = 50  # draws for the symmetry-index range over the year (the metrics use 200)


@dataclass(frozen=True)
class Visit:
    """One visit: when, why, and what is injected (plan units, sites)."""

    day: int
    date: dt.date
    kind: str  # initial, review, top-up, maintenance
    injections: tuple[Injection, ...]
    note: str = ""

    def to_json(self, product: str) -> dict[str, Any]:
        units = sum(i.units for i in self.injections)
        return {
            "day": self.day,
            "date": self.date.isoformat(),
            "kind": self.kind,
            "injections": [i.to_json() for i in self.injections],
            "total_units": {
                "product": round(units, 3),
                "ona": round(float(pharmacology.to_ona_units(units, product)), 3),
            },
            "note": self.note,
        }


@dataclass
class Schedule:
    """The visits over 12 months and the predicted measurements (median, p10, p90) over them."""

    start: dt.date
    visits: list[Visit]
    plan: Plan  # every session as injections on their days
    days: np.ndarray
    metrics: dict[str, dict[str, np.ndarray]]  # name → {median, p10, p90} of the diff (L - R)
    symmetry_index: dict[str, np.ndarray]
    warnings: list[Notice]
    event_date: dt.date | None = None
    latest_session_date: dt.date | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def session_days(self) -> list[int]:
        return [v.day for v in self.visits if v.injections]

    def to_json(self) -> dict[str, Any]:
        def series(d: dict[str, np.ndarray]) -> dict[str, list[float]]:
            return {k: [round(float(x), 3) for x in v] for k, v in d.items()}

        return {
            "schema": SCHEDULE_SCHEMA,
            "start": self.start.isoformat(),
            "event_date": self.event_date.isoformat() if self.event_date else None,
            "latest_session_date": (
                self.latest_session_date.isoformat() if self.latest_session_date else None
            ),
            "visits": [v.to_json(self.plan.product) for v in self.visits],
            "plan": plan_to_json(self.plan),
            "timeline": {
                "days": [float(d) for d in self.days],
                "symmetry_index_mm": series(self.symmetry_index),
                "metrics": {k: series(v) for k, v in self.metrics.items()},
            },
            "warnings": [w.to_json() for w in self.warnings],
            "notes": list(self.notes),
        }


def _is_masseter(inj: Injection) -> bool:
    return (inj.target or "").startswith("masseter")


def _at(injections: tuple[Injection, ...] | list[Injection], day: float) -> tuple[Injection, ...]:
    return tuple(replace(i, day=float(day)) for i in injections)


def _round_up(units: float, minimum: float) -> float:
    return max(minimum, STEP_UNITS * float(np.ceil(units / STEP_UNITS - 1e-9)))


def _smallest(inj: Injection, product: str) -> float:
    """Smallest dose at a site that `predict` does not call unusual (a quarter of its usual low
    dose), in product units on the 0.5 U grid."""
    sid = inj.site_id
    if not sid:
        return STEP_UNITS
    lo = pharmacology.from_ona_units(0.25 * atlas.site(sid).usual_units[0], product)
    return _round_up(float(lo), STEP_UNITS)


def _top_up_units(inj: Injection, scale: float, product: str) -> float:
    """A share of the first dose (at least the site's smallest dose), kept so the first dose
    plus the top-up stays within the site's usual range; 0 when there is no room."""
    units = _round_up(scale * inj.units, _smallest(inj, product))
    sid = inj.site_id
    if sid:
        hi = float(pharmacology.from_ona_units(atlas.site(sid).usual_units[1], product))
        room = STEP_UNITS * np.floor((hi - inj.units) / STEP_UNITS + 1e-9)
        units = min(units, room)
        if units < _smallest(inj, product):
            return 0.0
    return float(units)


def _diffs(
    subject: Subject,
    plan: Plan,
    days: np.ndarray,
    draws: Draws | None,
    typical: tuple[pharmacology.Params, float] | None = None,
) -> np.ndarray:
    """Key-measurement differences (…, T, K) for a plan: with `draws`, per draw; else for the
    `typical` patient (the model's median parameters unless given)."""
    if draws is None:
        params, response = typical or (pharmacology.Params(), 1.0)
    else:
        params, response = draws.params, draws.response[:, None, None]
    inh, thick = effects(subject, plan, days, params)
    per = point_metrics(subject, activation_change(subject, inh, thick, 0.0, response))
    return np.stack([per["left"][n] - per["right"][n] for n in KEY_METRICS], axis=-1)


def _top_up(
    subject: Subject,
    plan: Plan,
    first: list[Injection],
    attribution: Attribution | None,
    patient: Draws | None = None,
) -> tuple[list[Injection], str]:
    """A ~25% top-up at the sites that correct a difference still over 1 mm at day 14, cut back
    until the top-up's peak (day 28) does not over-correct (10th-90th percentile); judged on
    the `patient`'s calibrated draws when given, else on the model's."""
    if not first:
        return [], ""
    typical = None if patient is None else patient.median()
    base = subject.analysis.metrics
    d0 = np.array([base[n].diff for n in KEY_METRICS])
    day = np.array([float(REVIEW_DAY)])
    after = _diffs(subject, replace(plan, injections=tuple(first)), day, None, typical)[0]
    static = set(attribution.static) if attribution else set()
    wanted = [
        k
        for k, n in enumerate(KEY_METRICS)
        if n not in static
        and n != "lower_face_half_width_mm"
        and abs(after[k]) > TOPUP_RESIDUAL_MM * TREAT_MIN[n]
        and abs(d0[k]) - abs(after[k]) >= 0.2
        and after[k] * d0[k] > 0
    ]
    if not wanted:
        return [], ""
    chosen = []
    for inj in first:
        alone = _diffs(subject, replace(plan, injections=(inj,)), day, None, typical)[0] - d0
        if any(alone[k] * d0[k] < -0.05 for k in wanted):  # moves that difference towards 0
            chosen.append(inj)
    if not chosen:
        return [], ""
    draws = Draws.sample(SAMPLES, 0) if patient is None else patient
    sign = np.where(d0 >= 0, 1.0, -1.0)
    treated = np.abs(d0) >= FLIP_MIN_MM
    scale = TOPUP_FRACTION
    while scale >= TOPUP_FRACTION / 8:
        top = [
            replace(i, units=u, day=day[0])
            for i in chosen
            if (u := _top_up_units(i, scale, plan.product)) > 0
        ]
        if not top:
            return [], "review only: the sites that would top up are at their usual maximum"
        both = replace(plan, injections=tuple(first) + tuple(top))
        d = _diffs(subject, both, np.array([2.0 * REVIEW_DAY]), draws)[:, 0, :]
        p10, p90 = np.percentile(d, [10, 90], axis=0)
        near = np.where(sign > 0, p10, -p90)
        if not (treated & (near < -FLIP_MIN_MM)).any():
            names = ", ".join(LABELS[KEY_METRICS[k]].lower() for k in wanted)
            return top, f"top-up: {names} still over {TOPUP_RESIDUAL_MM:g} mm at 2 weeks"
        scale /= 2
    return [], "review only: any top-up would risk over-correcting"


def _half_effect_day(
    subject: Subject, plan: Plan, params: pharmacology.Params | None = None
) -> float:
    """First day after the peak on which the plan's total tone reduction is down to half (for
    the model's typical patient unless `params` are given)."""
    days = np.arange(0.0, 241.0)
    inh, _ = effects(subject, plan, days, params or pharmacology.Params())
    effect = (inh * np.where(subject.bulk, 0.0, subject.tone)).sum(axis=-1)
    if effect.max() <= 0:
        return float(MAINTENANCE_MIN_DAYS)
    peak = int(effect.argmax())
    below = np.flatnonzero(effect[peak:] <= HALF_EFFECT * effect[peak])
    return float(days[peak + below[0]]) if len(below) else float(days[-1])


def _cadence(first: int, gaps: list[int], horizon: int = HORIZON_DAYS) -> list[int]:
    """Session days from `first` with successive gaps (the last gap repeats)."""
    days, k = [first], 0
    while True:
        gap = gaps[min(k, len(gaps) - 1)]
        if days[-1] + gap > horizon:
            return days
        days.append(days[-1] + gap)
        k += 1


def _face_days(gap: int, event_day: int | None, top_up: bool) -> tuple[list[int], list[str]]:
    """Session days for the face (not masseter): every `gap` days; with an event, the session
    before it as late as the 12-16 week spacing allows but at least EVENT_LEAD_DAYS ahead, and
    none inside that lead time."""
    if event_day is None:
        return _cadence(0, [gap]), []
    latest = event_day - EVENT_LEAD_DAYS
    if latest < 0:
        return _cadence(0, [gap]), [
            f"the event is {event_day} days away, less than the {EVENT_LEAD_DAYS} days the "
            "effect needs to settle: it will not be at its plateau"
        ]
    best, count = 0, 0  # the latest day reachable with j gaps of 84-112 days
    for j in range(1, HORIZON_DAYS // MAINTENANCE_MIN_DAYS + 1):
        if j * MAINTENANCE_MIN_DAYS > latest:
            break
        best, count = min(j * MAINTENANCE_MAX_DAYS, latest), j
    before = [round(best * i / count) for i in range(count + 1)] if count else [0]
    after = _cadence(best, [gap])[1:]
    notes = []
    if after and after[0] <= event_day:
        after = _cadence(event_day + 1, [gap])
        notes.append(f"the session after day {best} waits until after the event")
    last = REVIEW_DAY if top_up and best < REVIEW_DAY <= latest else best
    if last < latest - EVENT_WINDOW_DAYS:
        notes.append(
            f"the event falls {event_day - last} days after the last session before it "
            "(12-week minimum spacing): part of the effect will have worn off"
        )
    elif last:
        notes.append(f"session on day {last}, {event_day - last} days before the event")
    return before + after, notes


def _masseter_days(event_day: int | None) -> tuple[list[int], list[str]]:
    """Masseter session days: three cycles 12 weeks apart, then every six months (doses:
    `_masseter_course`); an event only adds a note (more thinning before it never hurts)."""
    gaps = [MASSETER_INTERVAL_DAYS] * (MASSETER_CYCLES - 1) + [MASSETER_LATER_DAYS]
    days = _cadence(0, gaps)
    if event_day is None:
        return days, []
    latest = event_day - MASSETER_EVENT_LEAD_DAYS
    ready = [d for d in days if d <= latest]
    if not ready:
        return days, [
            f"masseter: the event is {event_day} days away, less than the "
            f"{MASSETER_EVENT_LEAD_DAYS} days slimming needs: it will be only partly thinner"
        ]
    return days, [f"masseter: session on day {ready[-1]} is {event_day - ready[-1]} days ahead"]


def _masseter_course(
    subject: Subject,
    plan: Plan,
    masseter: list[Injection],
    days: list[int],
    patient: Draws | None = None,
) -> tuple[list[list[Injection]], str]:
    """The masseter injections at each of `days`: the first as planned, each later one the
    largest share of it (typical patient, or this `patient`'s median) that, up to the next
    session, moves the lower-face width difference no further than the first session did at
    week 12 (the day the plan was judged on) or, when that moves it towards zero, up to an
    over-correction of FLIP_MIN_MM. The thinning accumulates, so later sessions need less
    (kim_2010) and an under-correcting plan closes the gap over the course."""
    typical = patient.median() if patient else None
    gaps = [b - a for a, b in zip(days, days[1:], strict=False)] + [MASSETER_LATER_DAYS]
    grid = np.arange(0.0, days[-1] + gaps[-1] + 1.0)
    k_width = KEY_METRICS.index("lower_face_half_width_mm")
    d0 = subject.analysis.metrics["lower_face_half_width_mm"].diff

    def width(course: list[list[Injection]]) -> np.ndarray:
        pairs = zip(days, course, strict=False)  # a course may stop short of `days`
        injections = tuple(i for d, dose in pairs for i in _at(dose, d))
        return _diffs(subject, replace(plan, injections=injections), grid, None, typical)[
            :, k_width
        ]

    first = width([masseter])[int(BULK_PEAK_DAY)]
    direction = float(np.sign(first - d0))
    limit = direction * (first - d0)  # how far the first session moved it
    if direction * d0 < 0:  # towards symmetry: may go on to a just-invisible over-correction
        limit = max(limit, abs(d0) + FLIP_MIN_MM)
    course = [list(masseter)]
    shares = np.arange(1.0, MASSETER_MIN_DOSE_SHARE - 1e-9, -MASSETER_DOSE_SHARE_STEP)

    def dose_at(j: int) -> list[Injection]:
        return [replace(i, units=_scaled(i, shares[j], plan.product)) for i in masseter]

    def fits(dose: list[Injection], k: int) -> bool:
        window = width([*course, dose])[days[k] : days[k] + gaps[k] + 1]
        return direction == 0 or bool((direction * (window - d0)).max() <= limit + 1e-6)

    for k in range(1, len(days)):  # more dose moves it further: bisect for the largest share
        lo, hi = 0, len(shares) - 1  # the first share that fits, else the smallest
        if not fits(dose_at(0), k):
            lo = 1
            while lo < hi:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if fits(dose_at(mid), k) else (mid + 1, hi)
        course.append(dose_at(lo))
    total = sum(i.units for i in masseter)
    later = [sum(i.units for i in dose) for dose in course[1:]]
    if all(u == total for u in later):
        return course, ""
    doses = ", ".join(f"{u:g}" for u in later)
    return course, (
        f"masseter: later sessions {doses} U after the first {total:g} U: the thinning adds up "
        "over sessions, so less keeps the lower face from over-correcting"
    )


def _scaled(inj: Injection, share: float, product: str) -> float:
    """`share` of an injection's units on the 0.5 U grid, at least the site's smallest dose."""
    if share >= 1.0:
        return inj.units
    return min(inj.units, _round_up(share * inj.units, _smallest(inj, product)))


def schedule(
    subject: Subject,
    plan: Plan,
    event_date: dt.date | None = None,
    start: dt.date | None = None,
    attribution: Attribution | None = None,
    patient: Draws | None = None,
) -> Schedule:
    """The visits over 12 months for a one-session plan, with the predicted key measurements
    and symmetry index (median, p10, p90) over the year; with `patient` (their calibrated
    draws, `calibration.patient_response`), the top-up and the course are theirs."""
    if not plan.injections:
        raise InputError("empty_plan", "a schedule needs a plan with at least one injection")
    if any(i.day != 0 for i in plan.injections):
        raise InputError(
            "schedule_needs_one_session", "schedule a plan whose injections are all on day 0"
        )
    start = start or dt.date.today()
    masseter = [i for i in plan.injections if _is_masseter(i)]
    other = [i for i in plan.injections if not _is_masseter(i)]
    notes: list[str] = []

    top, why = _top_up(subject, plan, other, attribution, patient)
    if why:
        notes.append(why)
    event_day = None
    latest_date = None
    if event_date is not None:
        event_day = (event_date - start).days
        if event_day < 0:
            raise InputError("bad_event_date", "the event date is before the first session")
        lead = MASSETER_EVENT_LEAD_DAYS if masseter else EVENT_LEAD_DAYS
        latest_date = event_date - dt.timedelta(days=lead)
        if other and top and event_day - REVIEW_DAY < EVENT_LEAD_DAYS:
            notes.append(
                f"the top-up on day {REVIEW_DAY} is only {event_day - REVIEW_DAY} days before "
                "the event"
            )

    tracks: list[tuple[list[Injection], list[int]]] = []
    if other:
        cycle = replace(plan, injections=tuple(other) + _at(top, REVIEW_DAY))
        gap = int(
            np.clip(
                _half_effect_day(subject, cycle, patient.median()[0] if patient else None),
                MAINTENANCE_MIN_DAYS,
                MAINTENANCE_MAX_DAYS,
            )
        )
        days, more = _face_days(gap, event_day, bool(top))
        tracks.append((other + list(top), days))
        notes += more
    sessions: dict[int, list[Injection]] = {}
    kinds: dict[int, str] = {}
    for injections, days in tracks:
        for k, d in enumerate(days):
            dose = injections if k else [i for i in injections if i not in top]
            sessions.setdefault(d, []).extend(_at(_merge(dose), d))
            kinds.setdefault(d, "initial" if d == 0 else "maintenance")
    if masseter:
        days, more = _masseter_days(event_day)
        course, note = _masseter_course(subject, plan, masseter, days, patient)
        for d, dose in zip(days, course, strict=True):
            sessions.setdefault(d, []).extend(_at(dose, d))
            kinds.setdefault(d, "initial" if d == 0 else "maintenance")
        notes += more + ([note] if note else [])
    if top:
        sessions.setdefault(REVIEW_DAY, []).extend(_at(top, REVIEW_DAY))
        kinds[REVIEW_DAY] = "top-up"
    else:
        sessions.setdefault(REVIEW_DAY, [])
        kinds.setdefault(REVIEW_DAY, "review")

    year = replace(
        plan,
        injections=tuple(i for d in sorted(sessions) for i in sessions[d]),
        label=(plan.label + " — 12 months").strip(" —"),
    )
    visits = [
        Visit(d, start + dt.timedelta(days=d), kinds[d], tuple(sessions[d]))
        for d in sorted(sessions)
    ]
    grid = set(range(0, HORIZON_DAYS + 1, TIMELINE_STEP_DAYS)) | {HORIZON_DAYS}
    grid |= {d for d in sessions} | {min(d + int(PEAK_DAY), HORIZON_DAYS) for d in sessions}
    if event_day is not None and event_day <= HORIZON_DAYS:
        grid.add(event_day)
    days_arr = np.array(sorted(grid), dtype=np.float64)
    pr = predict(subject, year, days_arr, draws=patient)
    metrics = {
        n: {
            "median": np.array([m[n].diff.median for m in pr.metrics]),
            "p10": np.array([m[n].diff.p10 for m in pr.metrics]),
            "p90": np.array([m[n].diff.p90 for m in pr.metrics]),
        }
        for n in KEY_METRICS
    }
    return Schedule(
        start=start,
        visits=visits,
        plan=year,
        days=days_arr,
        metrics=metrics,
        symmetry_index=_symmetry_over(subject, year, days_arr),
        warnings=list(pr.warnings),
        event_date=event_date,
        latest_session_date=latest_date,
        notes=notes,
    )


def _merge(injections: list[Injection]) -> list[Injection]:
    """Sum the units given at the same site (first dose plus top-up for maintenance)."""
    out: dict[tuple, Injection] = {}
    for i in injections:
        key = (i.site, i.muscle, i.landmark, i.offset_mm)
        out[key] = replace(out[key], units=out[key].units + i.units) if key in out else i
    return list(out.values())


def _symmetry_over(subject: Subject, plan: Plan, days: np.ndarray) -> dict[str, np.ndarray]:
    """Symmetry index (median, p10, p90) on each day from SI_SAMPLES draws of the full mesh."""
    draws = Draws.sample(SI_SAMPLES, 0)
    inh, thick = effects(subject, plan, days, draws.params)
    delta = activation_change(subject, inh, thick, 0.0, draws.response[:, None, None])
    verts = subject.analysis.mesh.vertices_mm + np.tensordot(
        delta, subject.landmark_basis, axes=([-1], [0])
    )  # (n, T, 468, 3)
    si = symmetry_index(verts.astype(np.float32), subject.analysis.mesh.mirror)  # (n, T)
    p10, p50, p90 = np.percentile(si, [10, 50, 90], axis=0)
    return {"median": p50, "p10": p10, "p90": p90}
