"""The data the face3d viewer sends to the browser, built without Streamlit (unit-tested alone).

Two parts: the *scene* (geometry, photo texture, marker and muscle positions), which the
browser builds once per scene id, and the *state* (displacement, colour scale, muscle colours),
which only moves the after view's vertices. Arrays travel as base64 little-endian typed arrays.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from simulation import atlas
from simulation.render import HEAT_OPACITY, inhibition_colour

# matplotlib's "inferno" (the off-screen renders' heat map) at 11 even steps.
INFERNO = (
    "#000004",
    "#160b39",
    "#420a68",
    "#6a176e",
    "#932667",
    "#bc3754",
    "#dd513a",
    "#f37819",
    "#fca50a",
    "#f6d746",
    "#fcffa4",
)
POINT_COLOUR = "#00e5ff"
TEXTURE_MAX_PX = 512
VIEW_ANGLE_DEG = 30.0


class MeshLike(Protocol):
    """What the viewer needs of a face mesh (`simulation.analysis.SubjectMesh` has it)."""

    vertices_mm: np.ndarray  # (n, 3) mm, +x patient's left, +y up, +z towards the viewer
    faces: np.ndarray  # (m, 3) vertex indices
    uv: np.ndarray  # (n, 2) texture coordinates into the photo, v up


def muscle_lines(
    vertices_mm: np.ndarray, inhibition: Mapping[str, float] | None = None
) -> list[tuple[np.ndarray, float]]:
    """Every muscle's line of pull on the before face with its inhibition (0 when not in
    `inhibition`, e.g. a prediction's `inhibition[day_index]`): the viewer's `muscle_lines`."""
    return [
        (path, float((inhibition or {}).get(mid, 0.0)))
        for mid, path in atlas.muscle_paths(vertices_mm)
    ]


def b64(array: np.ndarray, dtype: str) -> str:
    """`array` as base64 of its little-endian `dtype` bytes (a JS typed array's layout)."""
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return base64.b64encode(data.tobytes()).decode("ascii")


def _hex(rgb: Sequence[int]) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb[:3])


def texture(rgb: np.ndarray, uv: np.ndarray, margin: float = 0.04) -> tuple[str, np.ndarray]:
    """The photo cropped to the mesh's texture footprint (plus a margin) and shrunk to at most
    TEXTURE_MAX_PX a side, as a JPEG data URL, with the uv remapped into the crop (v up)."""
    from PIL import Image

    img = np.ascontiguousarray(np.asarray(rgb)[..., :3], dtype=np.uint8)
    h, w = img.shape[:2]
    uv = np.asarray(uv, dtype=np.float64)
    px = np.column_stack([uv[:, 0] * w, (1.0 - uv[:, 1]) * h])  # image pixels, y down
    lo, hi = px.min(axis=0), px.max(axis=0)
    pad = (hi - lo) * margin
    x0, y0 = np.maximum(np.floor(lo - pad), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(hi + pad), [w, h]).astype(int)
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    crop = Image.fromarray(img[y0:y1, x0:x1])
    crop.thumbnail((TEXTURE_MAX_PX, TEXTURE_MAX_PX), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    crop.save(buf, format="JPEG", quality=88)
    url = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    new_uv = np.column_stack([(px[:, 0] - x0) / (x1 - x0), 1.0 - (px[:, 1] - y0) / (y1 - y0)])
    return url, new_uv


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values (steps of 1, 2 or 5 × 10^k) from `lo` to `hi`, both ends
    included (the top end replaces a round tick too close to it)."""
    span = hi - lo
    if span <= 0:
        return [lo]
    mag = 10.0 ** math.floor(math.log10(span / max(count - 1, 1)))
    steps = [m * mag for m in (1.0, 2.0, 5.0, 10.0)]
    step = min(steps, key=lambda st: abs(span / st - (count - 1)))
    ticks = [lo + k * step for k in range(int(math.floor(span / step + 1e-9)) + 1)]
    if hi - ticks[-1] > 0.35 * step:
        ticks.append(hi)
    else:
        ticks[-1] = hi
    return [round(t, 6) for t in ticks]


def _tick_label(value: float, step: float) -> str:
    decimals = max(1, -math.floor(math.log10(step))) if step > 0 else 1
    return f"{value:.{decimals}f}"


def colour_scale(max_mm: float, label: str = "displacement (mm)") -> dict[str, Any]:
    """The heat map's colour scale from 0 to `max_mm`: inferno stops, the opacity ramp of the
    off-screen renders and labelled ticks, so the browser's legend reads in mm."""
    hi = float(max_mm) if np.isfinite(max_mm) and max_mm > 0 else 1.0
    n = len(INFERNO) - 1
    ticks = nice_ticks(0.0, hi)
    return {
        "min": 0.0,
        "max": hi,
        "stops": [[k / n, c] for k, c in enumerate(INFERNO)],
        "opacity": [float(a) for a in HEAT_OPACITY],
        "ticks": [
            [t, _tick_label(t, ticks[1] - ticks[0] if len(ticks) > 1 else hi)] for t in ticks
        ],
        "label": label,
    }


def home_camera(vertices: np.ndarray) -> dict[str, Any]:
    """The front view the reset button returns to: looking along −z at the face's box centre
    from the distance that fits it in a 480×560 view at 30° (as `simulation.render`)."""
    v = np.asarray(vertices, dtype=np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    centre = 0.5 * (lo + hi)
    height = float(max(hi[1] - lo[1], (hi[0] - lo[0]) * 560 / 480))
    dist = height / (2.0 * math.tan(math.radians(VIEW_ANGLE_DEG / 2))) * 1.08
    return {
        "target": [round(float(c), 3) for c in centre],
        "distance": round(dist, 3),
        "fov": VIEW_ANGLE_DEG,
    }


def _nearest_vertex(points: np.ndarray, vertices: np.ndarray) -> list[int]:
    d = np.linalg.norm(points[:, None, :] - vertices[None, :, :], axis=2)
    return [int(i) for i in d.argmin(axis=1)]


def scene_payload(
    mesh: MeshLike,
    texture_rgb: np.ndarray,
    muscle_paths: Sequence[np.ndarray] = (),
) -> dict[str, Any]:
    """The part sent to build the scene: geometry, texture and muscle paths of the before face.

    Its `id` hashes all of it: the browser rebuilds only for another face, never for a new
    displacement or plan."""
    v = np.asarray(mesh.vertices_mm, dtype=np.float64)
    f = np.asarray(mesh.faces, dtype=np.int64)
    if v.ndim != 2 or v.shape[1] != 3 or f.ndim != 2 or f.shape[1] != 3:
        raise ValueError("vertices_mm must be (n, 3) and faces (m, 3)")
    if len(np.asarray(mesh.uv)) != len(v):
        raise ValueError("uv must have one row per vertex")
    url, uv = texture(texture_rgb, mesh.uv)
    index32 = int(f.max(initial=0)) > 65535
    out: dict[str, Any] = {
        "positions": b64(v, "f4"),
        "index": b64(f, "u4" if index32 else "u2"),
        "index32": index32,
        "uv": b64(uv, "f4"),
        "texture": url,
        "lines": [b64(np.asarray(p, dtype=np.float64).reshape(-1, 3), "f4") for p in muscle_paths],
        "lineColourBefore": _hex(inhibition_colour(0.0)),
        "colours": colour_scale(1.0),
        "camera": home_camera(v),
    }
    out["id"] = hashlib.sha1(json.dumps(out, sort_keys=True).encode()).hexdigest()[:16]
    return out


def state_payload(
    vertices_mm: np.ndarray,
    displacement_mm: np.ndarray | None,
    *,
    points_mm: np.ndarray | None = None,
    max_mm: float | None = None,
    inhibition: Sequence[float] = (),
    heat: bool = True,
    show_points: bool = True,
    show_muscles: bool = True,
    labels: tuple[str, str] = ("Before", "After"),
) -> dict[str, Any]:
    """The part that changes with the plan, dose or day: per-vertex displacement (n, 3) in mm of
    the after view, the heat map's scale (0 to `max_mm`, default the largest movement, at least
    1 mm), the injection points (k, 3) on the before face, each muscle's inhibition (0 working
    to 1 blocked) as its colour."""
    v = np.asarray(vertices_mm, dtype=np.float64)
    disp = None
    top = 0.0
    if displacement_mm is not None:
        disp = np.asarray(displacement_mm, dtype=np.float64)
        if disp.shape != v.shape:
            raise ValueError(f"displacement_mm must be {v.shape}, got {disp.shape}")
        top = float(np.linalg.norm(disp, axis=1).max(initial=0.0))
    hi = float(max_mm) if max_mm is not None else max(1.0, top)
    pts = np.zeros((0, 3)) if points_mm is None else np.asarray(points_mm, dtype=np.float64)
    pts = pts.reshape(-1, 3) if show_points else np.zeros((0, 3))
    out: dict[str, Any] = {
        "displacement": None if disp is None else b64(disp, "f4"),
        "colours": colour_scale(hi),
        "heat": bool(heat),
        "points": b64(pts, "f4"),
        "pointVertex": _nearest_vertex(pts, v) if len(pts) else [],
        "pointColour": POINT_COLOUR,
        "lineColours": [_hex(inhibition_colour(x)) for x in inhibition],
        "muscles": {
            "from": _hex(inhibition_colour(0.0)),
            "to": _hex(inhibition_colour(1.0)),
            "label": "muscles (after: predicted inhibition)",
        }
        if show_muscles and len(inhibition)
        else None,
        "labels": list(labels),
    }
    out["version"] = hashlib.sha1(json.dumps(out, sort_keys=True).encode()).hexdigest()[:16]
    return out
