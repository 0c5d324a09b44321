"""Intensity profiles and the edge, contrast and overlay operations every contour fit uses.

All of them treat the patient's left and right identically and move exactly with the image, so a
mirrored or re-framed photo gives the same answers."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, map_coordinates

__all__ = [
    "half_contrast_rise",
    "overlay_scores",
    "sample_profiles",
    "side_by_side",
    "strongest_edge",
    "suffix_percentile",
    "to_gray",
]


def sample_profiles(
    gray: np.ndarray, origins: np.ndarray, normals: np.ndarray, t: np.ndarray, width: float
) -> np.ndarray:
    """Intensity along each normal (K, T), averaged over a few parallel lines `width` px apart
    on either side, bilinear."""
    tangents = np.stack([normals[:, 1], -normals[:, 0]], axis=1)
    offsets = np.linspace(-width, width, 5)
    pts = (
        origins[:, None, None, :]
        + t[None, :, None, None] * normals[:, None, None, :]
        + offsets[None, None, :, None] * tangents[:, None, None, :]
    )
    vals = map_coordinates(
        gray, [pts[..., 1].ravel(), pts[..., 0].ravel()], order=1, mode="nearest"
    )
    return vals.reshape(pts.shape[:3]).mean(axis=2)


def strongest_edge(
    profiles: np.ndarray, t: np.ndarray, lo: np.ndarray, hi: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel position (in t) of the largest rising edge of each profile within [lo, hi],
    and its strength relative to the profile's noise (0 where there is no usable edge)."""
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(profiles, sigma / dt, axis=1, mode="nearest")
    grad = np.gradient(smooth, dt, axis=1)
    inside = (t[None, :] >= lo[:, None]) & (t[None, :] <= hi[:, None])
    masked = np.where(inside, grad, -np.inf)
    k = masked.argmax(axis=1)
    rows = np.arange(len(k))
    k = np.clip(k, 1, len(t) - 2)
    g0, g1, g2 = grad[rows, k - 1], grad[rows, k], grad[rows, k + 1]
    denom = g0 - 2 * g1 + g2
    flat = np.abs(denom) <= 1e-12  # no curvature (a flat profile): keep the sample
    shift = np.where(flat, 0.0, 0.5 * (g0 - g2) / np.where(flat, 1.0, denom))
    pos = t[k] + np.clip(shift, -1, 1) * dt
    noise = np.median(np.abs(grad), axis=1) + 1e-6
    strength = np.where(np.isfinite(masked[rows, k]), g1 / noise, 0.0)
    return pos, strength


def half_contrast_rise(
    profiles: np.ndarray,
    t: np.ndarray,
    dark_lo: np.ndarray,
    dark_hi: np.ndarray,
    top: np.ndarray,
    sigma: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Topmost point within `top` above each profile's darkest value in [dark_lo, dark_hi] where
    it climbs through the level half way between that value and the brightness above it.
    Works for sharp and gradual margins and for brows made of several dark bands, and moves
    exactly with the image. Returns positions and the contrast (bright - dark)."""
    dt = t[1] - t[0]
    smooth = gaussian_filter1d(profiles, sigma / dt, axis=1, mode="nearest")
    in_dark = (t[None, :] >= dark_lo[:, None]) & (t[None, :] <= dark_hi[:, None])
    k_dark = np.where(in_dark, smooth, np.inf).argmin(axis=1)
    rows = np.arange(len(k_dark))
    dark = smooth[rows, k_dark]
    above = t[None, :] >= t[k_dark][:, None]
    bright = suffix_percentile(smooth, k_dark, 90.0)
    level = 0.5 * (dark + bright)
    below = smooth < level[:, None]
    rising = above[:, 1:] & below[:, :-1] & ~below[:, 1:] & (t[None, 1:] <= top[:, None])
    has = rising.any(axis=1)
    last = rising.shape[1] - 1 - rising[:, ::-1].argmax(axis=1)
    k = np.where(has, last + 1, len(t) - 1)
    k = np.clip(k, 1, len(t) - 1)
    y0, y1 = smooth[rows, k - 1], smooth[rows, k]
    frac = np.clip((level - y0) / np.where(np.abs(y1 - y0) > 1e-9, y1 - y0, 1.0), 0.0, 1.0)
    return t[k - 1] + frac * dt, bright - dark


def suffix_percentile(values: np.ndarray, start: np.ndarray, q: float) -> np.ndarray:
    """Each row's q-th percentile (numpy's linear method) of its values from column `start[r]`
    on, for all rows at once (a per-row np.percentile cost more than the rest of a lid fit)."""
    n_rows, n = values.shape
    masked = np.where(np.arange(n)[None, :] >= start[:, None], values, -np.inf)
    ordered = np.sort(masked, axis=1)  # the suffix's values fill each row's last columns
    count = n - start
    pos = (n - count) + (q / 100.0) * (count - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    rows = np.arange(n_rows)
    frac = pos - lo
    return ordered[rows, lo] + frac * (ordered[rows, hi] - ordered[rows, lo])


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """Luma (Rec. 601) as float32, the intensity that edges are found in."""
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)


def overlay_scores(
    y_a: np.ndarray,
    e_a: np.ndarray,
    y_b: np.ndarray,
    e_b: np.ndarray,
    shifts: np.ndarray,
) -> np.ndarray:
    """Normalised overlap (-1..1) of profile a moved by -s/2 with profile b moved by +s/2, for
    every shift s: how well the two look alike when a sits s higher than b."""
    step = shifts[1] - shifts[0] if len(shifts) > 1 else 1.0
    reach = float(np.abs(shifts).max())
    y = np.arange(min(y_a[0], y_b[0]) - reach, max(y_a[-1], y_b[-1]) + reach, abs(step))
    a = np.interp(y[None, :] + 0.5 * shifts[:, None], y_a, e_a, left=0.0, right=0.0)
    b = np.interp(y[None, :] - 0.5 * shifts[:, None], y_b, e_b, left=0.0, right=0.0)
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1)) + 1e-12
    return (a * b).sum(axis=1) / norm


def side_by_side(
    v: np.ndarray, profiles: np.ndarray, search: float
) -> tuple[np.ndarray, np.ndarray]:
    """Profiles (K, T) laid end to end on one axis, with gaps wider than any searched shift so
    that an overlay never mixes two of them."""
    dv = v[1] - v[0]
    pad = int(np.ceil(2 * search / dv)) + 2
    n = len(v) + pad
    y = v[0] + dv * np.arange(n * len(profiles))
    return y, np.pad(profiles, ((0, 0), (0, pad))).ravel()
