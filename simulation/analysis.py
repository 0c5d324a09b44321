"""Photo(s) → calibrated face → clinical measurements: the `analyze` step of the pipeline."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .canonical import N_MESH, canonical_mesh
from .contours import (
    BROW_LOWER,
    BROW_UPPER,
    CORNER,
    JAW_POINT,
    LID_LOWER,
    LID_UPPER,
    Estimate,
    Frame,
    PhotoFrame,
    brow_xs,
    chain_at,
    fit_iris,
    frame_from_pupils,
    read_brows,
    read_eye_heights,
    read_jaw,
    read_lids,
    read_mouth_corners,
    to_gray,
)
from .errors import InputError, Notice
from .face import IRIS_DIAMETER_MM, SMALL_IRIS_PX, Face, Pose, camera_points, detect_face
from .ingest import LoadedImage, load_image
from .metrics import METRIC_NAMES, Metric, build_metrics, midsagittal_plane, symmetry_index
from .uncertainty import UNFITTED_IRIS_SCALE_SD, difference_sds

ANALYSIS_SCHEMA = "symmetry-studio/analysis/1"
EXPRESSIONS = ("rest", "brows_up", "frown", "eyes_closed", "smile", "pucker", "clench")

STOMION = (13, 14)
LIP_LOWER_MID = 17


@dataclass(frozen=True)
class SubjectMesh:
    """The subject's face as the canonical topology with their landmark positions, in mm in the
    head frame (+x patient's left, +y up, +z forward, origin between the pupils, pose removed)."""

    vertices_mm: np.ndarray  # (468, 3)
    faces: np.ndarray  # (898, 3)
    uv: np.ndarray  # (468, 2): texture coordinates into the photo (v up)
    mirror: np.ndarray  # (468,): left-right partner of each vertex
    plane_normal: np.ndarray  # midsagittal plane n·x = d
    plane_offset: float

    def to_trimesh(self, subdivisions: int = 0) -> Any:
        """A `trimesh.Trimesh` (Loop-subdivided `subdivisions` times for smooth rendering)."""
        import trimesh
        from trimesh.remesh import subdivide_loop

        v, f = self.vertices_mm, self.faces
        if subdivisions:
            v, f = subdivide_loop(v, f, iterations=subdivisions)
        return trimesh.Trimesh(vertices=v, faces=f, process=False)


@dataclass(frozen=True)
class Analysis:
    """Everything measured on one photo."""

    image: LoadedImage
    expression: str
    mm_per_px: float
    iris_radius_px: tuple[float, float]  # (right, left)
    iris_refined: bool
    pose: Pose
    landmarks_px: np.ndarray  # (478, 3) symmetrised, in the ingested image's pixels
    blendshapes: dict[str, float]
    frame: Frame
    points_mm: dict[str, np.ndarray]  # named measurement points, face frame (mm)
    point_anchors: dict[str, dict[int, float]]  # landmark weights that move each point
    midline_x_mm: float
    metrics: dict[str, Metric]
    mesh: SubjectMesh
    warnings: tuple[Notice, ...]
    estimates: dict[str, Estimate] = field(default_factory=dict)  # each contour's reading

    @property
    def scale_source(self) -> str:
        return "iris_circle_fit" if self.iris_refined else "iris_landmarks"

    def to_json(self, landmarks: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": ANALYSIS_SCHEMA,
            "image": {
                "name": self.image.name,
                "width": int(self.image.rgb.shape[1]),
                "height": int(self.image.rgb.shape[0]),
                "mirrored": self.image.mirrored,
                "sha256": self.image.sha256,
                "decode_scale": self.image.decode_scale,
            },
            "expression": self.expression,
            "scale": {
                "mm_per_px": round(self.mm_per_px, 5),
                "source": self.scale_source,
                "iris_diameter_mm": IRIS_DIAMETER_MM,
                "iris_radius_px": [round(r, 2) for r in self.iris_radius_px],
            },
            "pose_deg": self.pose.to_json(),
            "metrics": {k: m.to_json() for k, m in self.metrics.items()},
            "warnings": [w.to_json() for w in self.warnings],
        }
        if landmarks:
            out["landmarks_px"] = np.round(self.landmarks_px[:, :2], 2).tolist()
        return out


def _chain_weights(frame_pts: np.ndarray, idx: Sequence[int], x: float) -> dict[int, float]:
    """Weights of the two chain landmarks bracketing x (linear interpolation along x)."""
    order = np.argsort(frame_pts[:, 0])
    xs, ids = frame_pts[order, 0], [idx[i] for i in order]
    if x <= xs[0]:
        return {ids[0]: 1.0}
    if x >= xs[-1]:
        return {ids[-1]: 1.0}
    k = int(np.searchsorted(xs, x))
    w = (x - xs[k - 1]) / (xs[k] - xs[k - 1])
    return {ids[k - 1]: float(1 - w), ids[k]: float(w)}


# Landmarks whose neighbourhood the refinement reads: both brows, lids and irises.
_REFINED = sorted(
    {
        i
        for chains in (BROW_UPPER, BROW_LOWER, LID_UPPER, LID_LOWER)
        for c in chains.values()
        for i in c
    }
    | set(range(468, 478))
)


def _crop_gray(rgb: np.ndarray, lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grey crop of the eye-and-brow band (the only place refinement looks; converting the whole
    photo would cost more than the refinement) and its offset in pixels."""
    band = lm[_REFINED, :2]
    lo = np.floor(band.min(axis=0)).astype(int)
    hi = np.ceil(band.max(axis=0)).astype(int)
    pad = ((hi - lo) * np.array([0.15, 0.8])).astype(int) + 4
    h, w = rgb.shape[:2]
    x0, y0 = max(lo[0] - pad[0], 0), max(lo[1] - pad[1], 0)
    x1, y1 = min(hi[0] + pad[0], w), min(hi[1] + pad[1], h)
    return to_gray(rgb[y0:y1, x0:x1]), np.array([x0, y0], dtype=np.float64)


def measure_face(img: LoadedImage, face: Face, expression: str = "rest") -> Analysis:
    """Refine contours on the photo and compute every measurement, its uncertainty and the
    head-frame mesh."""
    lm = face.landmarks_px
    gray, off = _crop_gray(img.rgb, lm)
    local = lm.copy()
    local[:, :2] -= off
    seed_frame = frame_from_pupils(local[468, :2], local[473, :2])
    irises = {s: fit_iris(gray, local, seed_frame, s) for s in ("right", "left")}
    band_frame = frame_from_pupils(irises["right"].centre_px, irises["left"].centre_px)
    frame = band_frame.shifted(-off)
    radius = 0.5 * (irises["right"].radius_px + irises["left"].radius_px)
    mm = IRIS_DIAMETER_MM / (2.0 * radius)
    photo = PhotoFrame(
        rgb=img.rgb,
        landmarks_px=lm,
        frame=frame,
        radius_px=radius,
        mm_per_px=mm,
        pupils_px={s: irises[s].centre_px + off for s in irises},
        band=gray,
        band_offset=off,
    )
    estimates = _estimates(photo)
    warnings = list(face.warnings) + _warnings(estimates, radius, expression, mm)
    refined = irises["right"].refined and irises["left"].refined
    if not refined:
        warnings.append(
            Notice(
                "iris_not_fitted",
                "the iris edge could not be fitted; scale taken from the landmarks (less precise)",
            )
        )
    frame_lm = frame.to_frame(lm)  # (478, 2) px
    points, anchors = _points(photo, frame_lm, estimates)
    points_mm = {k: np.asarray(v, dtype=np.float64) * mm for k, v in points.items()}
    fitted = _brows_fitted(lm, frame_lm, frame, estimates, brow_xs(photo))
    mesh = _subject_mesh(img, face, fitted, band_frame, off, mm)
    midline_x = _midline_x(mesh, face.pose.yaw, frame_lm * mm)
    metrics = build_metrics(points_mm, midline_x, symmetry_index(mesh.vertices_mm, mesh.mirror))
    sds = difference_sds(
        {k: e.sd_px * mm for k, e in estimates.items()},
        metrics,
        mm,
        scale_sd=0.0 if refined else UNFITTED_IRIS_SCALE_SD,
    )
    metrics = {k: dataclasses.replace(m, diff_sd=sds[k]) for k, m in metrics.items()}
    return Analysis(
        image=img,
        expression=expression,
        mm_per_px=mm,
        iris_radius_px=(irises["right"].radius_px, irises["left"].radius_px),
        iris_refined=refined,
        pose=face.pose,
        landmarks_px=lm,
        blendshapes=face.blendshapes,
        frame=frame,
        points_mm=points_mm,
        point_anchors=anchors,
        midline_x_mm=midline_x,
        metrics=metrics,
        mesh=mesh,
        warnings=tuple(warnings),
        estimates=estimates,
    )


def _estimates(photo: PhotoFrame) -> dict[str, Estimate]:
    """Every contour's left-right estimate, by name: "eyes", "brow_medial", "brow_mid",
    "brow_lateral", "lid_upper", "lid_lower", "corner", "jaw"."""
    brows = read_brows(photo)
    out = {f"brow_{p}": e for p, e in brows.estimates.items()}
    out["eyes"] = read_eye_heights(photo)
    out["lid_upper"] = read_lids(photo, "upper")
    out["lid_lower"] = read_lids(photo, "lower")
    out["corner"] = read_mouth_corners(photo)
    out["jaw"] = read_jaw(photo)
    return out


def _warnings(
    estimates: dict[str, Estimate], radius: float, expression: str, mm: float
) -> list[Notice]:
    """What the user must know about this photo's refinements: a small iris, lids or a jaw
    outline that the photo could not decide (so those figures lean on the face model)."""
    out = []
    if radius < SMALL_IRIS_PX:
        out.append(
            Notice(
                "small_iris",
                f"iris radius only {radius:.1f} px: millimetre figures are imprecise; "
                "use a sharper photo with the face filling more of the frame",
            )
        )
    unread = [lid for lid in ("upper", "lower") if estimates[f"lid_{lid}"].weight < 0.5]
    if unread and expression != "eyes_closed":
        which = " and ".join(unread)
        out.append(
            Notice(
                "lids_not_fitted",
                f"the {which} lid margins could not be read on the photo, so those lid figures "
                "lean on the face model and under-read a one-sided difference; use a sharp, "
                "evenly lit photo",
            )
        )
    jaw = estimates["jaw"]
    if jaw.weight < 0.5:
        out.append(Notice("jaw_not_fitted", _jaw_problem(jaw, mm)))
    return out


def _jaw_problem(jaw: Estimate, mm: float) -> str:
    fallback = "lower-face width leans on the face model and under-reads a one-sided difference"
    if jaw.reason and jaw.reason.startswith("jaw_unread_"):
        side = jaw.reason.removeprefix("jaw_unread_").replace("_", " ")
        return (
            f"jaw outline not readable on the patient's {side} side (collar, beard, hair or a "
            f"skin-toned background): {fallback}; use a plain, contrasting background"
        )
    return (
        "the two jaw outlines differ from the face model's by over 2.5 mm "
        f"(a collar, hair or background edge, or a difference too large to trust from one "
        f"photo): {fallback}; assess the masseters by palpation"
    )


def _points(
    photo: PhotoFrame, frame_lm: np.ndarray, est: dict[str, Estimate]
) -> tuple[dict[str, np.ndarray], dict[str, dict[int, float]]]:
    """The named measurement points (frame px) and the landmark weights that move each."""
    points: dict[str, np.ndarray] = {}
    anchors: dict[str, dict[int, float]] = {}
    pupil_x = photo.pupil_x
    brows = {p: est[f"brow_{p}"] for p in ("medial", "mid", "lateral")}
    xs = brow_xs(photo)
    for s in ("right", "left"):
        pupil = np.array([pupil_x[s], _side(est["eyes"], s)])
        points[f"pupil_{s}"] = pupil
        anchors[f"pupil_{s}"] = {}
        upper = frame_lm[list(BROW_UPPER[s])]
        for part, x in xs[s].items():
            points[f"brow_{part}_{s}"] = np.array([x, chain_at(upper, x) + _side(brows[part], s)])
            anchors[f"brow_{part}_{s}"] = _chain_weights(upper, BROW_UPPER[s], x)
        for lid, chain in (("upper", LID_UPPER[s]), ("lower", LID_LOWER[s])):
            w = _chain_weights(frame_lm[list(chain)], chain, float(pupil[0]))
            y = sum(frame_lm[i, 1] * v for i, v in w.items()) + _side(est[f"lid_{lid}"], s)
            points[f"lid_{lid}_{s}"] = np.array([pupil[0], y])
            anchors[f"lid_{lid}_{s}"] = w
        points[f"corner_{s}"] = frame_lm[CORNER[s]] + np.array([0.0, _side(est["corner"], s)])
        anchors[f"corner_{s}"] = {CORNER[s]: 1.0}
        outward = 1.0 if s == "left" else -1.0
        jaw_dx = outward * _side(est["jaw"], s)
        points[f"jaw_{s}"] = frame_lm[JAW_POINT[s]] + np.array([jaw_dx, 0.0])
        anchors[f"jaw_{s}"] = {JAW_POINT[s]: 1.0}
    points["stomion"] = frame_lm[list(STOMION)].mean(axis=0)
    anchors["stomion"] = {i: 0.5 for i in STOMION}
    points["lip_lower_mid"] = frame_lm[LIP_LOWER_MID]
    anchors["lip_lower_mid"] = {LIP_LOWER_MID: 1.0}
    return points, anchors


def _side(e: Estimate, side: str) -> float:
    return e.left_px if side == "left" else e.right_px


def _midline_x(mesh: SubjectMesh, yaw_deg: float, frame_lm_mm: np.ndarray) -> float:
    """Frame x (mm) of the facial midline at the jaw angles. The mean x of the mirror-pair
    midpoints lies on the midline at the face's mean depth; the jaw angles lie about 55 mm
    behind it, where a turned head moves the midline by that depth times sin(yaw). Without
    this, lower-face half-widths differed by 2 mm per degree of yaw on the test photos."""
    mirror = mesh.mirror
    mean_2d = float(0.5 * (frame_lm_mm[:N_MESH, 0] + frame_lm_mm[mirror, 0]).mean())
    return mean_2d + _midline_depth(mesh) * float(np.sin(np.radians(yaw_deg)))


def _midline_depth(mesh: SubjectMesh) -> float:
    """How far (mm) the jaw angles' midpoint lies behind the face's mean depth."""
    v, n, mirror = mesh.vertices_mm, mesh.plane_normal, mesh.mirror
    jaws = 0.5 * (v[JAW_POINT["left"]] + v[JAW_POINT["right"]])
    on_plane = jaws - (jaws @ n - mesh.plane_offset) * n
    return float(on_plane[2] - (0.5 * (v + v[mirror]))[:, 2].mean())


def _brows_fitted(
    lm: np.ndarray,
    frame_lm: np.ndarray,
    frame: Frame,
    est: dict[str, Estimate],
    brow_x: dict[str, dict[str, float]],
) -> np.ndarray:
    """Landmarks with both brows moved by the antisymmetric part of the refinement: MediaPipe
    pulls brows towards symmetry, so the mesh gets back the left-right difference the photo
    shows (the shared part, MediaPipe's habit of sitting above the hair, is left alone so the
    muscle atlas keeps its calibration)."""
    out = lm.copy()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        xs = brow_x[side]
        order = sorted(xs, key=xs.get)
        xp = [xs[p] for p in order]
        fp = [sign * 0.5 * est[f"brow_{p}"].diff_px for p in order]
        for i in (*BROW_UPPER[side], *BROW_LOWER[side]):
            out[i, :2] += float(np.interp(frame_lm[i, 0], xp, fp)) * frame.y_axis
    return out


def _subject_mesh(
    img: LoadedImage, face: Face, landmarks: np.ndarray, frame: Frame, off: np.ndarray, mm: float
) -> SubjectMesh:
    canon = canonical_mesh()
    cam = camera_points(landmarks) * mm
    origin_img = frame.origin + off
    origin_cam = np.array([origin_img[0], -origin_img[1], -landmarks[[468, 473], 2].mean()])
    verts = ((cam - origin_cam * mm) @ face.rotation)[:N_MESH]
    h, w = img.rgb.shape[:2]
    uv = np.column_stack([landmarks[:N_MESH, 0] / w, 1.0 - landmarks[:N_MESH, 1] / h])
    normal, offset = midsagittal_plane(verts, canon.mirror)
    return SubjectMesh(verts, canon.faces, uv, canon.mirror, normal, offset)


def analyze_image(img: LoadedImage, expression: str = "rest") -> Analysis:
    """Detect, refine and measure one loaded photo."""
    if expression not in EXPRESSIONS:
        raise InputError(
            "unknown_expression",
            f"unknown expression '{expression}': use one of {', '.join(EXPRESSIONS)}",
        )
    return measure_face(img, detect_face(img.rgb, img.name), expression)


@dataclass(frozen=True)
class Study:
    """Several photos of one person, each labelled with an expression."""

    analyses: tuple[Analysis, ...]
    excursions: dict[str, dict[str, Metric]] = field(default_factory=dict)

    @cached_property
    def rest(self) -> Analysis | None:
        return next((a for a in self.analyses if a.expression == "rest"), None)


def excursions(rest: Analysis, other: Analysis) -> dict[str, Metric]:
    """Per-side change from rest to an expression (expression minus rest), mm, with the
    uncertainty of its difference (both photos' measurement errors)."""
    return {
        n: Metric(
            n,
            other.metrics[n].left - rest.metrics[n].left,
            other.metrics[n].right - rest.metrics[n].right,
            float(np.hypot(other.metrics[n].diff_sd, rest.metrics[n].diff_sd)),
        )
        for n in METRIC_NAMES
    }


def analyze(
    sources: Sequence[str | os.PathLike[str] | bytes] | str | os.PathLike[str] | bytes,
    expressions: Sequence[str] | None = None,
    mirrored: bool = False,
) -> Study:
    """Analyse one or several photos of one person (the public entry point)."""
    if isinstance(sources, (str, bytes, os.PathLike)):
        sources = [sources]
    labels = list(expressions or [])
    if len(labels) > len(sources):
        raise InputError("too_many_expressions", "more --expression labels than photos")
    if not labels and len(sources) == 1:
        labels = ["rest"]
    if len(labels) != len(sources):
        raise InputError(
            "missing_expression",
            "several photos need one --expression label each (rest, brows_up, smile, …)",
        )
    analyses = tuple(
        analyze_image(load_image(src, mirrored=mirrored), lab)
        for src, lab in zip(sources, labels, strict=True)
    )
    rest = next((a for a in analyses if a.expression == "rest"), None)
    exc = {
        a.expression: excursions(rest, a) for a in analyses if rest is not None and a is not rest
    }
    return Study(analyses, exc)
