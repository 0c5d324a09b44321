"""Clinical asymmetry measurements, defined once on named points in the face frame (mm).

The same functions measure a photo (points refined on the image) and a prediction (points moved
by the simulated displacement), so a predicted change means exactly what a measured one means.
Frame: origin between the pupils, x towards the patient's left along the inter-pupil line, y up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .resources import THRESHOLDS, data_values

SIDES = ("left", "right")
Z80 = 1.2815515655446004  # the standard normal's 90th percentile: a ±Z80·sd band holds 80%

# Smallest left-right difference that observers notice, mm (degrees for the smile angle; None:
# never called visible), with sources: meshes/thresholds.json "visibility_mm".
VISIBILITY_MM: dict[str, float | None] = data_values(THRESHOLDS, "visibility_mm")
METRIC_NAMES = tuple(VISIBILITY_MM)

LABELS = {
    "brow_height_medial_mm": "Brow height, medial",
    "brow_height_mm": "Brow height, mid-pupil",
    "brow_height_lateral_mm": "Brow height, lateral",
    "mrd1_mm": "MRD1 (pupil to upper lid)",
    "mrd2_mm": "MRD2 (pupil to lower lid)",
    "palpebral_fissure_mm": "Eye opening (palpebral fissure)",
    "commissure_height_mm": "Mouth-corner height",
    "commissure_excursion_mm": "Commissure excursion",
    "smile_angle_deg": "Smile angle",
    "lower_face_half_width_mm": "Lower-face half-width",
    "symmetry_index_mm": "Symmetry index (RMS)",
}

# Named points per side; the midline ones are shared.
SIDE_POINTS = (
    "pupil",
    "brow_medial",
    "brow_mid",
    "brow_lateral",
    "lid_upper",
    "lid_lower",
    "corner",
    "jaw",
)
MIDLINE_POINTS = ("stomion", "lip_lower_mid")


@dataclass(frozen=True)
class Metric:
    """One measurement on the patient's two sides, mm (degrees for angles)."""

    name: str
    left: float
    right: float
    diff_sd: float = 0.0  # measurement uncertainty of `diff` on this photo (1 sd)

    @property
    def diff(self) -> float:
        return self.left - self.right

    @property
    def band(self) -> tuple[float, float]:
        """The 80% band of the difference (10th to 90th percentile) on this photo."""
        half = Z80 * self.diff_sd
        return self.diff - half, self.diff + half

    @property
    def distinguishable(self) -> bool:
        """Whether the photo tells the difference from zero (0 lies outside its 80% band)."""
        lo, hi = self.band
        return not lo <= 0.0 <= hi

    @property
    def threshold(self) -> float | None:
        return VISIBILITY_MM[self.name]

    @property
    def visible(self) -> bool:
        t = self.threshold
        return t is not None and abs(self.diff) >= t

    def to_json(self) -> dict[str, float | bool | None]:
        lo, hi = self.band
        return {
            "left": round(self.left, 3),
            "right": round(self.right, 3),
            "diff": round(self.diff, 3),
            "diff_sd": round(self.diff_sd, 3),
            "diff_p10": round(lo, 3),
            "diff_p90": round(hi, 3),
            "distinguishable": self.distinguishable,
            "threshold": self.threshold,
            "visible": self.visible,
        }


def side_metrics(p: dict[str, np.ndarray], midline_x: float) -> dict[str, dict[str, np.ndarray]]:
    """Per-side values of every two-sided metric from named points `p` ("brow_mid_left", …).

    Points may carry leading batch axes (…, 2), so one call measures many samples at once."""
    out: dict[str, dict[str, np.ndarray]] = {}
    stomion, lip = p["stomion"], p["lip_lower_mid"]
    for s in SIDES:
        pupil = p[f"pupil_{s}"]
        corner = p[f"corner_{s}"]
        dy = lambda q, pupil=pupil: q[..., 1] - pupil[..., 1]  # noqa: E731 - local shorthand
        rel = corner - lip
        out[s] = {
            "brow_height_medial_mm": dy(p[f"brow_medial_{s}"]),
            "brow_height_mm": dy(p[f"brow_mid_{s}"]),
            "brow_height_lateral_mm": dy(p[f"brow_lateral_{s}"]),
            "mrd1_mm": dy(p[f"lid_upper_{s}"]),
            "mrd2_mm": -dy(p[f"lid_lower_{s}"]),
            "palpebral_fissure_mm": p[f"lid_upper_{s}"][..., 1] - p[f"lid_lower_{s}"][..., 1],
            "commissure_height_mm": corner[..., 1] - stomion[..., 1],
            "commissure_excursion_mm": np.linalg.norm(rel, axis=-1),
            "smile_angle_deg": np.degrees(np.arctan2(rel[..., 1], np.abs(rel[..., 0]))),
            "lower_face_half_width_mm": np.abs(p[f"jaw_{s}"][..., 0] - midline_x),
        }
    return out


def symmetry_index(vertices: np.ndarray, mirror: np.ndarray) -> Any:
    """RMS distance (mm) between each vertex and its partner reflected through the fitted
    midsagittal plane (see `midsagittal_plane`). Vertices (…, N, 3) with any leading batch axes
    give (…); a single face gives a float. float32 input is computed in float32 (a nanometre
    off, half the memory traffic: the optimiser and the year's schedule run it in bulk)."""
    v = np.asarray(vertices)
    if v.dtype != np.float32:
        v = v.astype(np.float64)
    pairs = mirror != np.arange(len(mirror))
    d = v[..., pairs, :] - v[..., mirror[pairs], :]
    n = (np.sign(d[..., :1]) * d).sum(axis=-2)  # each pair twice, as left minus right
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    mid = 0.5 * (v[..., pairs, :] + v[..., mirror[pairs], :])
    offset = np.einsum("...k,...k->...", mid.mean(axis=-2), n)
    dist = np.einsum("...nk,...k->...n", v, n) - offset[..., None]
    reflected = v - 2.0 * dist[..., None] * n[..., None, :]
    out = np.sqrt(np.mean(np.sum((reflected[..., mirror, :] - v) ** 2, axis=-1), axis=-1))
    return float(out) if out.ndim == 0 else out.astype(np.float64)


def midsagittal_plane(vertices: np.ndarray, mirror: np.ndarray) -> tuple[np.ndarray, float]:
    """Plane n·x = d that best separates mirror pairs: n along the mean pair direction (left
    minus right), through the mean of the pair midpoints."""
    pairs = mirror != np.arange(len(mirror))
    left = pairs & (vertices[:, 0] > vertices[mirror, 0])
    d = vertices[left] - vertices[mirror[left]]
    n = d.sum(axis=0)
    n /= np.linalg.norm(n)
    mid = 0.5 * (vertices[pairs] + vertices[mirror[pairs]])
    return n, float(mid.mean(axis=0) @ n)


def build_metrics(
    points: dict[str, np.ndarray], midline_x: float, symmetry_index_mm: float
) -> dict[str, Metric]:
    """All metrics, in the order of METRIC_NAMES."""
    per_side = side_metrics(points, midline_x)
    out = {
        name: Metric(name, float(per_side["left"][name]), float(per_side["right"][name]))
        for name in METRIC_NAMES
        if name != "symmetry_index_mm"
    }
    out["symmetry_index_mm"] = Metric("symmetry_index_mm", symmetry_index_mm, symmetry_index_mm)
    return out


# How each difference reads in plain words: {side}/{other} are the patient's sides, {d} the size.
_PHRASES = {
    "brow_height_medial_mm": "{side} brow (inner end) {d} higher than the {other}",
    "brow_height_mm": "{side} brow {d} higher than the {other} (above the pupil)",
    "brow_height_lateral_mm": "{side} brow (outer end) {d} higher than the {other}",
    "mrd1_mm": "{side} upper lid {d} higher above the pupil than the {other} (MRD1)",
    "mrd2_mm": "{side} lower lid {d} further below the pupil than the {other} (MRD2)",
    "palpebral_fissure_mm": "{side} eye open {d} wider than the {other}",
    "commissure_height_mm": "{side} mouth corner {d} higher than the {other}",
    "commissure_excursion_mm": "{side} mouth corner {d} further from the lip's midline",
    "smile_angle_deg": "{side} mouth corner's angle {d} steeper than the {other}",
    "lower_face_half_width_mm": "{side} lower face {d} wider than the {other}",
}


def summary_sentence(m: Metric) -> str:
    """Plain-language line for one metric, e.g. 'left brow 2.8 mm higher than the right (above
    the pupil) (±0.2 mm): noticeable'; a difference inside its 80% band is said to be not
    distinguishable from zero on this photo."""
    if m.name == "symmetry_index_mm":
        return f"overall symmetry index {m.left:.1f} mm (0 = perfectly symmetric)"
    unit = "°" if m.name.endswith("_deg") else " mm"
    if abs(m.diff) < 0.05:
        label = LABELS[m.name]
        label = label if label[:2].isupper() else label[0].lower() + label[1:]
        return f"{label}: the same on both sides"
    side, other = ("left", "right") if m.diff > 0 else ("right", "left")
    text = _PHRASES[m.name].format(side=side, other=other, d=f"{abs(m.diff):.1f}{unit}")
    if m.diff_sd > 0:
        text += f" (±{Z80 * m.diff_sd:.1f}{unit})"
    if m.diff_sd > 0 and not m.distinguishable:
        return f"{text}: not distinguishable from zero on this photo"
    verdict = "noticeable" if m.visible else f"below what observers notice ({m.threshold:g}{unit})"
    return f"{text}: {verdict}"
