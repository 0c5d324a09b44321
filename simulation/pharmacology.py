"""Botulinum toxin pharmacology: products, spread, dose-response, time course, atrophy.

Pure NumPy and vectorised, with no knowledge of the face mesh. Every clinical number is read
from `meshes/pharmacology.json`, where each carries its source or is marked as an assumption.
Units are ona-equivalent inside; `to_ona_units` / `from_ona_units` convert at the interfaces.

`Params` fields may be arrays of shape (n,) (from `sample_params`): results then gain a leading
sample axis of length n. Arrays that describe muscles (`muscle_size`) give the per-sample shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np

from .errors import InputError
from .resources import load_json

DATA_FILE = "pharmacology.json"
_LN2 = float(np.log(2.0))

ArrayLike = float | Sequence[float] | np.ndarray


def _data() -> dict[str, Any]:
    return load_json(DATA_FILE)


def _val(node: dict[str, Any]) -> float:
    return float(node["value"])


PRODUCTS: tuple[str, ...] = tuple(_data()["products"])


@cache
def _aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for pid, info in _data()["products"].items():
        for name in (pid, info["name"], info["brand"], *info.get("aliases", ())):
            table[name.strip().lower()] = pid
    return table


def normalise_product(name: str) -> str:
    """The canonical product id for a generic name, brand or short name (case-insensitive)."""
    key = str(name).strip().lower()
    pid = _aliases().get(key)
    if pid is None:
        valid = ", ".join(
            f"{pid} ({info['brand']}, {info['aliases'][0]})"
            for pid, info in _data()["products"].items()
        )
        raise InputError("unknown_product", f"unknown product {name!r}: use one of {valid}")
    return pid


def product_info(product: str) -> dict[str, Any]:
    """The product's data (name, brand, factors with their sources) from pharmacology.json."""
    return _data()["products"][normalise_product(product)]


def ona_per_unit(product: str) -> float:
    """Ona-equivalent units in one unit of the product (abo 0.4: 10 U abo = 4 U ona)."""
    return _val(product_info(product)["ona_per_unit"])


def duration_factor(product: str) -> float:
    """How much longer the product's effect lasts than ona at equal ona-equivalent units."""
    return _val(product_info(product)["duration_factor"])


def onset_factor(product: str) -> float:
    """How much slower (> 1) or faster (< 1) the product's onset is than ona's."""
    return _val(product_info(product)["onset_factor"])


def _out(x: np.ndarray) -> float | np.ndarray:
    return float(x) if np.ndim(x) == 0 else x


def to_ona_units(units: ArrayLike, product: str) -> float | np.ndarray:
    """Product units to ona-equivalent units (the model's internal currency)."""
    return _out(np.asarray(units, dtype=float) * ona_per_unit(product))


def from_ona_units(units_ona: ArrayLike, product: str) -> float | np.ndarray:
    """Ona-equivalent units back to the product's own units (for display)."""
    return _out(np.asarray(units_ona, dtype=float) / ona_per_unit(product))


def injection_volume_ml(units: ArrayLike, dilution_ml_per_100u: float) -> float | np.ndarray:
    """Injected volume from the product's own units and the reconstitution (ml per 100 U)."""
    return _out(np.asarray(units, dtype=float) / 100.0 * float(dilution_ml_per_100u))


def _limit(name: str) -> float:
    return _val(_data()["limits"][name])


def session_max_ona() -> float:
    """Maximum ona-equivalent units in one session / 3 months (ona label): 400."""
    return _limit("session_max_ona")


def min_repeat_interval_days() -> float:
    """Minimum days between sessions on label (12 weeks)."""
    return _limit("min_repeat_interval_days")


def absurd_point_units(product: str = "onabotulinumtoxinA") -> float:
    """Units at one point above which a plan is rejected, in the product's own units."""
    return float(from_ona_units(_limit("absurd_units_per_point_ona"), product))


def reference_muscle_size(muscle_id: str) -> float:
    """Suggested relative size of a muscle (1 = lateral orbicularis oculi); `_left`/`_right` ok."""
    table = _data()["dose_response"]["muscle_size_reference"]
    base = muscle_id.removesuffix("_left").removesuffix("_right")
    if base not in table:
        matches = [k for k in table if k != "about" and base.startswith(k)]
        if not matches:
            raise KeyError(f"no reference size for muscle {muscle_id!r}")
        base = max(matches, key=len)
    return _val(table[base])


# --- derived model constants ---------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    r_ref: float
    u_ref: float
    v_ref: float
    a_units: float
    b_volume: float
    r_min: float
    r_max: float
    hill: float
    emax: float
    ed50_per_size: float
    onset_tau: float
    onset_shape: float
    t50_ref: float
    wear_shape: float
    dose_per_size_ref: float
    dose_exponent: float
    dose_scale_min: float
    dose_scale_max: float
    k_atrophy: float
    k_recover: float
    k_remodel: float
    k_remodel_recover: float
    min_thickness: float
    sigmas: tuple[float, float, float, float]


@cache
def _model() -> _Model:
    d = _data()
    sp, dr, tc = d["spread"], d["dose_response"], d["time_course"]
    at, un = d["atrophy"], d["uncertainty"]
    hill, emax = _val(dr["hill_coefficient"]), _val(dr["emax"])
    anchor_e = _val(dr["anchor_inhibition"])
    # Hill curve solved for ED50 at the anchor (anchor units on a size-1 muscle).
    x_anchor = (anchor_e / (emax - anchor_e)) ** (1.0 / hill)
    onset_shape = _val(tc["onset_shape"])
    wear_shape = _val(tc["wear_shape"])
    return_frac = _val(tc["return_fraction"])
    t_return = _val(tc["reference_return_weeks"]) * 7.0
    # wear(t_return) = return_frac  <=>  (t/T50)^m = 1/f - 1
    t50 = t_return / (1.0 / return_frac - 1.0) ** (1.0 / wear_shape)
    u_ref = _val(sp["reference_units_ona"])
    if not 0.0 <= _val(at["k_remodel_per_day"]) <= _val(at["k_recover_per_day"]):
        raise ValueError("pharmacology.json atrophy: need 0 <= k_remodel <= k_recover (bound)")
    if _val(at["k_remodel_recover_per_day"]) <= 0.0:
        raise ValueError("pharmacology.json atrophy: k_remodel_recover must be positive")
    return _Model(
        r_ref=_val(sp["reference_radius_mm"]),
        u_ref=u_ref,
        v_ref=u_ref / 100.0 * _val(sp["reference_dilution_ml_per_100u"]),
        a_units=_val(sp["units_exponent"]),
        b_volume=_val(sp["volume_exponent"]),
        r_min=_val(sp["min_radius_mm"]),
        r_max=_val(sp["max_radius_mm"]),
        hill=hill,
        emax=emax,
        ed50_per_size=_val(dr["anchor_units_ona"]) / x_anchor,
        onset_tau=_val(tc["half_effect_day"]) / _LN2 ** (1.0 / onset_shape),
        onset_shape=onset_shape,
        t50_ref=t50,
        wear_shape=wear_shape,
        dose_per_size_ref=_val(tc["reference_units_ona"]) / _val(tc["reference_muscle_size"]),
        dose_exponent=_val(tc["dose_exponent"]),
        dose_scale_min=_val(tc["dose_scale_min"]),
        dose_scale_max=_val(tc["dose_scale_max"]),
        k_atrophy=_val(at["k_atrophy_per_day"]),
        k_recover=_val(at["k_recover_per_day"]),
        k_remodel=_val(at["k_remodel_per_day"]),
        k_remodel_recover=_val(at["k_remodel_recover_per_day"]),
        min_thickness=_val(at["min_thickness"]),
        sigmas=(
            _val(un["potency_sigma"]),
            _val(un["spread_sigma"]),
            _val(un["sensitivity_sigma"]),
            _val(un["duration_sigma"]),
        ),
    )


def ed50_units(muscle_size: ArrayLike, sensitivity: float = 1.0) -> float | np.ndarray:
    """Ona units giving half of the maximal inhibition for a muscle of this relative size."""
    return _out(_model().ed50_per_size * np.asarray(muscle_size, dtype=float) / sensitivity)


# --- uncertain parameters ------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """One draw of the uncertain parameters (medians by default), or arrays of n draws."""

    potency: float | np.ndarray = 1.0  # multiplies effective units
    spread: float | np.ndarray = 1.0  # multiplies the spread radius
    sensitivity: float | np.ndarray = 1.0  # individual response: ED50 is divided by it
    duration: float | np.ndarray = 1.0  # multiplies the wear-off time

    @property
    def n(self) -> int | None:
        """Number of samples, or None for a single (scalar) draw."""
        fields = (self.potency, self.spread, self.sensitivity, self.duration)
        sizes = {np.size(v) for v in fields if np.ndim(v) > 0}
        if not sizes:
            return None
        if len(sizes) > 1:
            raise ValueError("Params arrays must all have the same length")
        return sizes.pop()


def sample_params(n: int, rng: np.random.Generator) -> Params:
    """n lognormal draws (median 1, log-sd from pharmacology.json): Params of (n,) arrays."""
    z = rng.standard_normal((4, int(n)))
    sig = np.asarray(_model().sigmas)[:, None]
    potency, spread, sensitivity, duration = np.exp(sig * z)
    return Params(potency, spread, sensitivity, duration)


def _param(value: float | np.ndarray, data_ndim: int) -> float | np.ndarray:
    """A parameter shaped to broadcast against per-sample data of `data_ndim` dimensions."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return float(a)
    return a.reshape(a.shape + (1,) * data_ndim)


# --- spread ---------------------------------------------------------------------------------


def spread_radius_mm(
    units_ona: ArrayLike, volume_ml: ArrayLike, params: Params = Params()
) -> float | np.ndarray:
    """Half-weight radius (mm) of an injection's field of effect: grows with dose and volume."""
    m = _model()
    u = np.maximum(np.asarray(units_ona, dtype=float), 0.0)
    v = np.maximum(np.asarray(volume_ml, dtype=float), 0.0)
    ndim = np.broadcast(u, v).ndim
    r = (
        m.r_ref
        * (u / m.u_ref) ** m.a_units
        * (v / m.v_ref) ** m.b_volume
        * _param(params.spread, ndim)
    )
    return _out(np.clip(r, m.r_min, m.r_max))


def received_units(
    inj_points_mm: np.ndarray,
    inj_units_ona: ArrayLike,
    inj_volume_ml: ArrayLike,
    muscle_points_mm: np.ndarray,
    muscle_radius_mm: ArrayLike,
    params: Params = Params(),
) -> np.ndarray:
    """Ona units each muscle receives (M,): kernel-weighted sum over the K injections.

    Weight 2^-(gap/r)^2 with gap = distance to the belly centre minus the belly radius (>= 0), r
    the injection's spread radius; a muscle inside the field gets the full dose (not conserved).
    """
    p = np.asarray(inj_points_mm, dtype=float).reshape(-1, 3)
    q = np.asarray(muscle_points_mm, dtype=float).reshape(-1, 3)
    units = np.broadcast_to(np.asarray(inj_units_ona, dtype=float), (len(p),))
    vol = np.broadcast_to(np.asarray(inj_volume_ml, dtype=float), (len(p),))
    belly = np.broadcast_to(np.asarray(muscle_radius_mm, dtype=float), (len(q),))
    gap = np.maximum(np.linalg.norm(p[:, None, :] - q[None, :, :], axis=2) - belly, 0.0)  # (K, M)
    r = np.asarray(spread_radius_mm(units, vol, params))  # (K,) or (n, K)
    w = np.exp(-_LN2 * (gap / r[..., :, None]) ** 2)  # (..., K, M)
    return np.einsum("...km,k->...m", w, units)


# --- dose-response --------------------------------------------------------------------------


def _hill(units: np.ndarray, ed50: np.ndarray) -> np.ndarray:
    m = _model()
    xh = (np.maximum(units, 0.0) / ed50) ** m.hill
    return m.emax * xh / (1.0 + xh)


def _hill_inverse(effect: np.ndarray, ed50: np.ndarray) -> np.ndarray:
    m = _model()
    e = np.clip(effect, 0.0, m.emax * (1.0 - 1e-12))
    return ed50 * (e / (m.emax - e)) ** (1.0 / m.hill)


def inhibition(
    received_units_ona: ArrayLike, muscle_size: ArrayLike, params: Params = Params()
) -> float | np.ndarray:
    """Peak inhibition in [0, 1): saturating (Hill) in the units received, ED50 ∝ muscle size."""
    size = np.asarray(muscle_size, dtype=float)
    if np.any(size <= 0):
        raise ValueError("muscle_size must be positive")
    nd = size.ndim
    ed50 = _model().ed50_per_size * size / _param(params.sensitivity, nd)
    units = np.asarray(received_units_ona, dtype=float) * _param(params.potency, nd)
    return _out(_hill(units, ed50))


# --- time course ----------------------------------------------------------------------------


def _fraction_of_peak(
    t: np.ndarray, dose_per_size: np.ndarray, onset_scale: float, duration_scale: Any
) -> np.ndarray:
    """onset(t) * wear(t) for days t since the session (0 before it)."""
    m = _model()
    tp = np.maximum(t, 0.0)
    onset = np.where(t > 0, -np.expm1(-((tp / (m.onset_tau * onset_scale)) ** m.onset_shape)), 0.0)
    with np.errstate(divide="ignore"):
        dose_scale = np.clip(
            (dose_per_size / m.dose_per_size_ref) ** m.dose_exponent,
            m.dose_scale_min,
            m.dose_scale_max,
        )
    t50 = m.t50_ref * dose_scale * duration_scale
    wear = 1.0 / (1.0 + (tp / t50) ** m.wear_shape)
    return onset * wear


def time_course(
    days: ArrayLike,
    units_ona: ArrayLike = 20.0,
    product: str = "onabotulinumtoxinA",
    params: Params = Params(),
    muscle_size: ArrayLike | None = None,
) -> np.ndarray:
    """Fraction of the peak effect at each day (T,) after one session on day 0.

    Wear-off lengthens with the dose per muscle size (default size: the glabellar complex, so
    20 U is the 19.7-week reference); result shape (T, *units.shape), sampled: (n, T, ...).
    """
    pid = normalise_product(product)
    t = np.asarray(days, dtype=float).reshape(-1)
    if muscle_size is None:
        muscle_size = _val(_data()["time_course"]["reference_muscle_size"])
    size = np.asarray(muscle_size, dtype=float)
    u = np.asarray(units_ona, dtype=float)
    nd = np.broadcast(u, size).ndim
    t = t.reshape(t.shape + (1,) * nd)
    dose_per_size = u * _param(params.potency, nd + 1) / size
    dur = duration_factor(pid) * _param(params.duration, nd + 1)
    return _fraction_of_peak(t, dose_per_size, onset_factor(pid), dur)


def inhibition_over_time(
    session_days: ArrayLike,
    received_units_ona: np.ndarray,
    muscle_size: ArrayLike,
    days: ArrayLike,
    product: str = "onabotulinumtoxinA",
    params: Params = Params(),
    combine: Literal["loewe", "bliss"] = "loewe",
) -> np.ndarray:
    """Inhibition (T, M) from several sessions: received_units_ona (S, M) or sampled (n, S, M).

    Same-day sessions are summed; others combine by dose addition ("loewe": same drug, so a
    split dose equals the whole; ceiling emax < 1) or by 1 - Π(1 - e_i) ("bliss").
    """
    pid = normalise_product(product)
    m = _model()
    size = np.asarray(muscle_size, dtype=float).reshape(-1)
    if np.any(size <= 0):
        raise ValueError("muscle_size must be positive")
    t = np.asarray(days, dtype=float).reshape(-1)
    sd = np.asarray(session_days, dtype=float).reshape(-1)
    rec = np.asarray(received_units_ona, dtype=float)
    if rec.ndim == 1:
        rec = rec.reshape(len(sd), -1)
    if rec.shape[-2:] != (len(sd), len(size)):
        raise ValueError(
            f"received_units_ona has shape {rec.shape}, expected (S={len(sd)}, M={len(size)})"
        )
    n = params.n
    lead = (n,) if n is not None else rec.shape[:-2]
    if len(sd) == 0:
        return np.zeros((*lead, len(t), len(size)))
    uniq, inv = np.unique(sd, return_inverse=True)
    group = (inv[None, :] == np.arange(len(uniq))[:, None]).astype(float)  # (U, S)
    rec_g = np.einsum("us,...sm->...um", group, rec)[..., None, :, :]  # (..., 1, U, M)

    potency = _param(params.potency, 3)
    ed50 = m.ed50_per_size * size / _param(params.sensitivity, 3)  # (.., 1, 1, M)
    dose = rec_g * potency
    peak = _hill(dose, ed50)
    dt = t[:, None, None] - uniq[None, :, None]  # (T, U, 1)
    dur = duration_factor(pid) * _param(params.duration, 3)
    e = peak * _fraction_of_peak(dt, dose / size, onset_factor(pid), dur)  # (..., T, U, M)
    if combine == "bliss":
        out = 1.0 - np.prod(1.0 - e, axis=-2)
    elif combine == "loewe":
        ed50_tm = ed50[..., 0, :] if ed50.ndim >= 3 else ed50  # drop the session axis
        out = _hill(_hill_inverse(e, ed50).sum(axis=-2), ed50_tm)
    else:
        raise ValueError(f"unknown combine rule {combine!r}")
    return np.broadcast_to(out, (*lead, len(t), len(size))).copy()


# --- atrophy of bulk muscles ----------------------------------------------------------------


def _atrophy_steps(e: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, ...]:
    """The affine maps (f, r) -> P (f, r) + c of the fast and remodelled deficits over steps of
    h days at inhibition e (both (S, ...)): the exact solution of x' = A x + b with
    A = [[-(a + k_r), -a], [k_m, -k_s]], b = [a D, 0], a = k_a e. Returns P11, P12, P21, P22,
    c1, c2, each (S, ...)."""
    m = _model()
    a = m.k_atrophy * e
    depth = 1.0 - m.min_thickness
    a11, a12, a21, a22 = -(a + m.k_recover), -a, m.k_remodel, -m.k_remodel_recover
    det = a11 * a22 - a12 * a21  # (a + k_r) k_s + a k_m > 0
    f_eq, r_eq = -a22 * a * depth / det, a21 * a * depth / det
    mu = 0.5 * (a11 + a22)
    disc = (0.5 * (a11 - a22)) ** 2 + a12 * a21
    nu = np.sqrt(np.abs(disc))
    x = nu * h
    if np.all(disc > 0) and np.all(x > 1e-4):  # distinct real eigenvalues mu +- nu (the usual)
        e1, e2 = np.exp((mu + nu) * h), np.exp((mu - nu) * h)
        gch, gsh = 0.5 * (e1 + e2), 0.5 * (e1 - e2) / nu  # e^(mu h) cosh(x), e^(mu h) sinh(x)/nu
    else:
        real = disc >= 0
        g = np.exp(mu * h)
        gch = g * np.where(real, np.cosh(x), np.cos(x))
        with np.errstate(divide="ignore", invalid="ignore"):
            gsh = g * np.where(x > 1e-9, np.where(real, np.sinh(x), np.sin(x)) / nu, h)
    p11, p12 = gch + gsh * (a11 - mu), gsh * a12
    p21, p22 = gsh * a21, gch + gsh * (a22 - mu)
    return p11, p12, p21, p22, f_eq - p11 * f_eq - p12 * r_eq, r_eq - p21 * f_eq - p22 * r_eq


def atrophy_fraction(
    days: ArrayLike, inhibition_timeline: np.ndarray, params: Params = Params()
) -> np.ndarray:
    """Thickness change (fraction, <= 0) of a bulk muscle from its inhibition on a day grid.

    days (T,) ascending, daily or finer, at baseline at days[0]; inhibition (T,) or (..., T, M).
    A fast deficit follows the block and feeds a slow remodelled one, so sessions accumulate
    (equations: pharmacology.json "atrophy"); stepped exactly with e at interval midpoints.
    """
    m = _model()
    del params  # atrophy has no sampled parameter of its own; inhibition carries the spread
    t = np.asarray(days, dtype=float).reshape(-1)
    e = np.asarray(inhibition_timeline, dtype=float)
    axis = 0 if e.ndim == 1 else -2
    e = np.ascontiguousarray(np.moveaxis(e, axis, 0))  # (T, ...)
    if e.shape[0] != len(t):
        raise ValueError("inhibition_timeline and days differ in length")
    if np.any(np.diff(t) < 0):
        raise ValueError("days must be ascending")
    depth = 1.0 - m.min_thickness
    h = np.diff(t).reshape((-1,) + (1,) * (e.ndim - 1))
    p11, p12, p21, p22, c1, c2 = _atrophy_steps(0.5 * (e[1:] + e[:-1]), h)
    fast = np.zeros(e.shape[1:])
    slow = np.zeros(e.shape[1:])
    total = np.empty_like(e)
    total[0] = 0.0
    for i in range(len(t) - 1):  # the maps are ready: only the recursion is sequential
        fast, slow = p11[i] * fast + p12[i] * slow + c1[i], p21[i] * fast + p22[i] * slow + c2[i]
        total[i + 1] = fast + slow
    out = -np.minimum(total, depth)  # the bound holds exactly; this clips rounding only
    return np.moveaxis(out, 0, axis)


def thickness_change(
    session_days: ArrayLike,
    received_units_ona: np.ndarray,
    muscle_size: ArrayLike,
    days: ArrayLike,
    product: str = "onabotulinumtoxinA",
    params: Params = Params(),
) -> np.ndarray:
    """Thickness change fraction (T, M) of bulk muscles at `days`, integrated on a daily grid."""
    t = np.asarray(days, dtype=float).reshape(-1)
    sd = np.asarray(session_days, dtype=float).reshape(-1)
    start = min(0.0, *(sd.tolist() or [0.0]), *t.tolist()) - 1.0
    end = max(t.max(initial=0.0), start + 1.0)
    grid = np.union1d(np.arange(np.floor(start), np.ceil(end) + 1.0), t)
    e = inhibition_over_time(sd, received_units_ona, muscle_size, grid, product, params)
    change = atrophy_fraction(grid, e)
    return np.take(change, np.searchsorted(grid, t), axis=-2)
