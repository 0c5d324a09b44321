"""Rest and movements in a clip's curves, and each movement's timing per side.

The clip must start and end at rest (the recording instruction): among the samples of its first
and last second, the one whose level (all measures, both sides) the most samples of the clip
share is the rest reference, so a codec's settling first frames or a late start do not set it;
every sample within half the movement tolerance of it is a rest candidate, and their median is
the rest. A movement is a stretch where any measure
leaves the tolerance; its peak is the sample furthest out. For each measure that moves, each
side's start is where it first passes a fifth of its own peak excursion, and its arrival where
it passes nine tenths, both read between samples by linear interpolation, so the timing
resolves well below the time between samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .curves import CURVE_MEASURES, smooth

__all__ = [
    "MIN_MOVE_MM",
    "ONSET_FRACTION",
    "PEAK_FRACTION",
    "Events",
    "Movement",
    "SideTiming",
    "Timing",
    "find_events",
]

REST_END_MS = 1000.0  # the clip's first and last second hold its rest (recording instruction)
MIN_MOVE_MM = 1.0
"""Smallest excursion (mm) called a movement: a mouth-corner lift moves MediaPipe's brow and lid
landmarks by up to ~0.7 mm on the test clips, which must not count as their own movement
(assumption)."""
NOISE_FACTOR = 4.0  # a movement must also exceed 4 sd of the clip's own frame-to-frame jitter
ONSET_FRACTION = 0.2  # a side starts when it passes 20% of its own peak excursion (assumption)
PEAK_FRACTION = 0.9  # and arrives when it passes 90% of it (assumption)
N_REST = 5  # rest frames refined and combined
MERGE_GAP_MS = 200.0  # two stretches closer than this are one movement
EDGE_MS = 150.0  # a stretch starting this close to the clip's start is not a movement


@dataclass(frozen=True)
class SideTiming:
    """One side during one movement: when it started and arrived (ms from the clip's start;
    None when it did not move) and its peak excursion from rest (mm, signed as the movement)."""

    onset_ms: float | None
    peak_ms: float | None
    peak_mm: float

    def to_json(self) -> dict[str, float | None]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 1)

        return {
            "onset_ms": r(self.onset_ms),
            "peak_ms": r(self.peak_ms),
            "peak_mm": r(self.peak_mm),
        }


@dataclass(frozen=True)
class Timing:
    """One measure's timing asymmetry in one movement: right minus left (ms), so a positive lag
    means the patient's left side was first."""

    measure: str
    left: SideTiming
    right: SideTiming

    @property
    def onset_lag_ms(self) -> float | None:
        if self.left.onset_ms is None or self.right.onset_ms is None:
            return None
        return self.right.onset_ms - self.left.onset_ms

    @property
    def peak_lag_ms(self) -> float | None:
        if self.left.peak_ms is None or self.right.peak_ms is None:
            return None
        return self.right.peak_ms - self.left.peak_ms

    @property
    def leader(self) -> str | None:
        """The side that started first ("left", "right"), None if one side does not move."""
        lag = self.onset_lag_ms
        if lag is None:
            return None
        return "left" if lag > 0 else "right" if lag < 0 else "neither"

    def sentence(self) -> str:
        from ..metrics import LABELS

        name = LABELS[self.measure]
        peaks = f"peak {self.left.peak_mm:+.1f} mm left, {self.right.peak_mm:+.1f} mm right"
        if self.onset_lag_ms is None:
            still = "left" if self.left.onset_ms is None else "right"
            return f"{name}: the {still} side does not move ({peaks})"
        lead, other = ("left", "right") if self.onset_lag_ms >= 0 else ("right", "left")
        arrive = self.peak_lag_ms or 0.0
        first = "left" if arrive >= 0 else "right"
        return (
            f"{name}: the {lead} side starts {abs(self.onset_lag_ms):.0f} ms before the {other}; "
            f"the {first} reaches its peak {abs(arrive):.0f} ms first ({peaks})"
        )

    def to_json(self) -> dict[str, object]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 1)

        return {
            "measure": self.measure,
            "left": self.left.to_json(),
            "right": self.right.to_json(),
            "onset_lag_ms": r(self.onset_lag_ms),
            "peak_lag_ms": r(self.peak_lag_ms),
            "leader": self.leader,
        }


@dataclass(frozen=True)
class Movement:
    """One movement: its stretch of samples, its peak sample, a guess of which of the standard
    expressions it is (the user confirms) and the timing of each measure that moved."""

    start: int  # sample indices, inclusive
    end: int
    peak: int
    expression: str
    timings: tuple[Timing, ...]


@dataclass(frozen=True)
class Events:
    """The rest samples, the rest values, the movements and each measure's tolerance."""

    rest: tuple[int, ...]  # up to N_REST sample indices, spread over the rest stretches
    rest_candidates: tuple[int, ...]
    rest_values: dict[str, dict[str, float]]
    tolerance_mm: dict[str, float]
    movements: tuple[Movement, ...]


def _crossing(t: np.ndarray, y: np.ndarray, level: float, upto: int) -> float | None:
    """When y last rose through `level` before index `upto` (where it is at or above it),
    interpolated between samples; the window's start if it never was below."""
    below = np.nonzero(y[: upto + 1] < level)[0]
    if len(below) == 0:
        return float(t[0])
    k = int(below[-1]) + 1
    if k > upto:
        return None
    y0, y1 = y[k - 1], y[k]
    return float(t[k - 1] + (level - y0) / (y1 - y0) * (t[k] - t[k - 1]))


def _side_timing(t: np.ndarray, e: np.ndarray, tol: float) -> SideTiming:
    """Timing of one side's signed excursion `e` (positive along the movement) in a window."""
    k = int(np.argmax(e))
    peak = float(e[k])
    if peak < tol:
        return SideTiming(None, None, peak)
    onset = _crossing(t, e, ONSET_FRACTION * peak, k)
    arrive = _crossing(t, e, PEAK_FRACTION * peak, k)
    return SideTiming(onset, arrive, peak)


def _guess(exc_at_peak: dict[str, float], tol: dict[str, float]) -> str:
    """The standard expression a movement most looks like, from the mean excursion at its peak."""
    score = {m: exc_at_peak[m] / tol[m] for m in exc_at_peak}
    mouth = max(abs(score["commissure_height_mm"]), abs(score["commissure_excursion_mm"]))
    brow = abs(score["brow_height_mm"])
    eyes = -score["palpebral_fissure_mm"]
    best = max(mouth, brow, eyes)
    if best == mouth:
        if score["commissure_excursion_mm"] < 0 and score["commissure_height_mm"] < 1:
            return "pucker"
        return "smile"
    if best == brow:
        return "brows_up" if score["brow_height_mm"] > 0 else "frown"
    return "eyes_closed"


def _runs(mask: np.ndarray, t: np.ndarray) -> list[tuple[int, int]]:
    """Stretches of True (inclusive index pairs), gaps under MERGE_GAP_MS merged, lone samples
    dropped."""
    runs: list[list[int]] = []
    for k in np.nonzero(mask)[0]:
        if runs and (k == runs[-1][1] + 1 or t[k] - t[runs[-1][1]] < MERGE_GAP_MS):
            runs[-1][1] = int(k)
        else:
            runs.append([int(k), int(k)])
    return [(a, b) for a, b in runs if b > a]


def find_events(times_ms: np.ndarray, values: dict[str, dict[str, np.ndarray]]) -> Events:
    """Rest samples, movements and timings from per-side measure values (T,) in mm."""
    t = np.asarray(times_ms, dtype=np.float64)
    sm = {m: {s: smooth(values[m][s]) for s in ("left", "right")} for m in CURVE_MEASURES}
    tol = {}
    for m in CURVE_MEASURES:
        jitter = max(
            1.4826 * float(np.median(np.abs(np.diff(values[m][s])))) / np.sqrt(2)
            for s in ("left", "right")
        )
        tol[m] = max(NOISE_FACTOR * jitter, MIN_MOVE_MM)
    # The rest is the stillest common level among the clip's first and last second (a clip
    # starts and ends at rest): the end sample whose level the most samples of the clip share.
    ends = np.nonzero((t <= t[0] + REST_END_MS) | (t >= t[-1] - REST_END_MS))[0]
    stack = np.stack([sm[m][s] / tol[m] for m in CURVE_MEASURES for s in ("left", "right")])
    near = np.max(np.abs(stack[:, ends, None] - stack[:, None, :]), axis=0) < 0.5  # (ends, T)
    best = ends[int(np.argmax(near.sum(axis=1)))]
    ref = {m: {s: float(sm[m][s][best]) for s in sm[m]} for m in CURVE_MEASURES}

    def activity(ref: dict[str, dict[str, float]]) -> np.ndarray:
        return np.max(
            [np.abs(sm[m][s] - ref[m][s]) / tol[m] for m in CURVE_MEASURES for s in ref[m]],
            axis=0,
        )

    quiet = activity(ref) < 0.5
    ref = {m: {s: float(np.median(sm[m][s][quiet])) for s in sm[m]} for m in CURVE_MEASURES}
    act = activity(ref)
    candidates = np.nonzero(act < 0.5)[0]
    if len(candidates) == 0:
        candidates = np.array([int(np.argmin(act))])
    pick = np.unique(np.round(np.linspace(0, len(candidates) - 1, N_REST)).astype(int))
    rest = tuple(int(candidates[k]) for k in pick)

    # a movement must start from a rest seen in the clip: a stretch from its very first samples
    # is the camera or codec settling, or a clip started mid-movement
    runs = [(a, b) for a, b in _runs(act >= 1.0, t) if t[a] - t[0] > EDGE_MS]
    movements = []
    for k, (a, b) in enumerate(runs):
        lo = runs[k - 1][1] + 1 if k else 0
        hi = runs[k + 1][0] - 1 if k + 1 < len(runs) else len(t) - 1
        exc = {m: {s: sm[m][s] - ref[m][s] for s in sm[m]} for m in CURVE_MEASURES}
        total = sum(np.abs(exc[m][s][a : b + 1]) / tol[m] for m in exc for s in exc[m])
        peak = a + int(np.argmax(total))
        mean_at_peak = {m: 0.5 * (exc[m]["left"][peak] + exc[m]["right"][peak]) for m in exc}
        timings = []
        for m in CURVE_MEASURES:
            window = slice(lo, hi + 1)
            lw, rw = exc[m]["left"][window], exc[m]["right"][window]
            extreme = max(np.max(np.abs(lw)), np.max(np.abs(rw)))
            if extreme < tol[m]:
                continue
            big = lw if np.max(np.abs(lw)) >= np.max(np.abs(rw)) else rw
            sign = 1.0 if big[int(np.argmax(np.abs(big)))] > 0 else -1.0
            tw = t[window]
            left, right = (_side_timing(tw, sign * e, tol[m]) for e in (lw, rw))
            timings.append(
                Timing(
                    m,
                    SideTiming(left.onset_ms, left.peak_ms, sign * left.peak_mm),
                    SideTiming(right.onset_ms, right.peak_ms, sign * right.peak_mm),
                )
            )
        movements.append(Movement(a, b, peak, _guess(mean_at_peak, tol), tuple(timings)))
    return Events(rest, tuple(int(c) for c in candidates), ref, tol, tuple(movements))
