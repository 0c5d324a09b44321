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
    CANTHUS_LATERAL,
    CANTHUS_MEDIAL,
    LID_LOWER,
    LID_UPPER,
    BrowFit,
    Frame,
    align_brows,
    align_irises,
    chain_at,
    fit_brow,
    fit_iris,
    fit_lid,
    fit_mouth_corner,
    frame_from_pupils,
    to_gray,
)
from .errors import InputError, Notice
from .face import IRIS_DIAMETER_MM, SMALL_IRIS_PX, Face, Pose, camera_points, detect_face
from .ingest import LoadedImage, load_image
from .jaw import JAW_OFFSET_DIFF_MAX_MM, JAW_POINT, fit_jaw_outline, jaw_crop, jaw_shift
from .metrics import METRIC_NAMES, Metric, build_metrics, midsagittal_plane, symmetry_index

ANALYSIS_SCHEMA = "symmetry-studio/analysis/1"
EXPRESSIONS = ("rest", "brows_up", "frown", "eyes_closed", "smile", "pucker", "clench")

CORNER = {"right": 61, "left": 291}
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
    """Refine contours on the photo and compute every measurement and the head-frame mesh."""
    lm = face.landmarks_px
    gray, off = _crop_gray(img.rgb, lm)
    local = lm.copy()
    local[:, :2] -= off
    seed_frame = frame_from_pupils(local[468, :2], local[473, :2])
    irises = {s: fit_iris(gray, local, seed_frame, s) for s in ("right", "left")}
    frame = frame_from_pupils(irises["right"].centre_px, irises["left"].centre_px)
    radius = 0.5 * (irises["right"].radius_px + irises["left"].radius_px)
    mm = IRIS_DIAMETER_MM / (2.0 * radius)
    warnings = list(face.warnings)
    if radius < SMALL_IRIS_PX:
        warnings.append(
            Notice(
                "small_iris",
                f"iris radius only {radius:.1f} px: millimetre figures are imprecise; "
                "use a sharper photo with the face filling more of the frame",
            )
        )
    frame_lm = frame.to_frame(local)  # (478, 2) px
    points: dict[str, np.ndarray] = {}
    anchors: dict[str, dict[int, float]] = {}
    brow_shift: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    centres = {s: irises[s].centre_px for s in irises}
    pupil_x = {s: float(frame.to_frame(c)[0]) for s, c in centres.items()}
    brows = _fit_brows(gray, local, frame, frame_lm, pupil_x, mm)
    corner_shift = _mouth_corner_shifts(img.rgb, lm, frame, off, radius)
    lid_shift = {
        lid: _lid_shifts(gray, local, frame, pupil_x, radius, mm, lid) for lid in ("upper", "lower")
    }
    eye_shift = align_irises(gray, frame, centres, radius)
    pupil_y = {"left": 0.0, "right": 0.0}
    if eye_shift is not None:
        pupil_y = {"left": 0.5 * eye_shift, "right": -0.5 * eye_shift}
    jaw_x, jaw_problem = _jaw_shift(img.rgb, lm, frame, off, mm)
    if jaw_problem:
        warnings.append(Notice("jaw_not_fitted", jaw_problem))
    unread = [lid for lid, shift in lid_shift.items() if shift is None]
    if unread and expression != "eyes_closed":
        which = " and ".join(unread)
        warnings.append(
            Notice(
                "lids_not_fitted",
                f"the {which} lid margins could not be read on the photo, so those lid figures "
                "are the face model's and under-read a one-sided difference; use a sharp, evenly "
                "lit photo",
            )
        )
    for s in ("right", "left"):
        pupil = np.array([pupil_x[s], pupil_y[s]])
        xs, brow = brows[s]
        upper = frame_lm[list(BROW_UPPER[s])]
        brow_shift[s] = (xs, {p: brow.heights_px[p] - chain_at(upper, x) for p, x in xs.items()})
        points[f"pupil_{s}"] = pupil
        anchors[f"pupil_{s}"] = {}
        for part, x in xs.items():
            points[f"brow_{part}_{s}"] = np.array([x, brow.heights_px[part]])
            anchors[f"brow_{part}_{s}"] = _chain_weights(
                frame_lm[list(BROW_UPPER[s])], BROW_UPPER[s], x
            )
        for lid, chain in (("upper", LID_UPPER[s]), ("lower", LID_LOWER[s])):
            w = _chain_weights(frame_lm[list(chain)], chain, float(pupil[0]))
            shift = 0.0 if lid_shift[lid] is None else lid_shift[lid][s]
            name = f"lid_{lid}"
            points[f"{name}_{s}"] = np.array(
                [pupil[0], sum(frame_lm[i, 1] * v for i, v in w.items()) + shift]
            )
            anchors[f"{name}_{s}"] = w
        points[f"corner_{s}"] = frame_lm[CORNER[s]] + np.array([0.0, corner_shift[s]])
        anchors[f"corner_{s}"] = {CORNER[s]: 1.0}
        points[f"jaw_{s}"] = frame_lm[JAW_POINT[s]] + np.array([jaw_x, 0.0])
        anchors[f"jaw_{s}"] = {JAW_POINT[s]: 1.0}
    points["stomion"] = frame_lm[list(STOMION)].mean(axis=0)
    anchors["stomion"] = {i: 0.5 for i in STOMION}
    points["lip_lower_mid"] = frame_lm[LIP_LOWER_MID]
    anchors["lip_lower_mid"] = {LIP_LOWER_MID: 1.0}
    points_mm = {k: np.asarray(v, dtype=np.float64) * mm for k, v in points.items()}

    fitted = _brows_fitted(lm, frame_lm, frame, brow_shift)
    mesh = _subject_mesh(img, face, fitted, frame, off, mm)
    midline_x = _midline_x(mesh, face.pose.yaw, frame_lm * mm)
    metrics = build_metrics(points_mm, midline_x, symmetry_index(mesh.vertices_mm, mesh.mirror))
    refined = irises["right"].refined and irises["left"].refined
    if not refined:
        warnings.append(
            Notice(
                "iris_not_fitted",
                "the iris edge could not be fitted; scale taken from the landmarks (less precise)",
            )
        )
    return Analysis(
        image=img,
        expression=expression,
        mm_per_px=mm,
        iris_radius_px=(irises["right"].radius_px, irises["left"].radius_px),
        iris_refined=refined,
        pose=face.pose,
        landmarks_px=lm,
        blendshapes=face.blendshapes,
        frame=Frame(frame.origin + off, frame.x_axis, frame.y_axis),
        points_mm=points_mm,
        point_anchors=anchors,
        midline_x_mm=midline_x,
        metrics=metrics,
        mesh=mesh,
        warnings=tuple(warnings),
    )


# How far (mm) the overlaid margins may move the two brows' difference away from what the
# separate fits give: the fits under-follow gradual brows by up to ~1.5 mm (measured on the
# real photos with a known lift), and a wider search can lock onto forehead lines (assumption).
BROW_ALIGN_SEARCH_MM = 2.0


def _fit_brows(
    gray: np.ndarray,
    local: np.ndarray,
    frame: Frame,
    frame_lm: np.ndarray,
    pupil_x: dict[str, float],
    mm: float,
) -> dict[str, tuple[dict[str, float], BrowFit]]:
    """Both brows' upper margins above the medial canthus, the pupil and the lateral canthus;
    their left-right difference comes from overlaying the two margins (`align_brows`), their
    mean height from the separate fits."""
    fits = {}
    for s in ("right", "left"):
        xs = {
            "medial": float(frame_lm[CANTHUS_MEDIAL[s], 0]),
            "mid": pupil_x[s],
            "lateral": float(frame_lm[CANTHUS_LATERAL[s], 0]),
        }
        fits[s] = (xs, fit_brow(gray, local, frame, s, xs))
    (xs_l, left), (xs_r, right) = fits["left"], fits["right"]
    diffs = align_brows(left, right, BROW_ALIGN_SEARCH_MM / mm)
    h_l, h_r = dict(left.heights_px), dict(right.heights_px)
    for p, d in diffs.items():
        if d is not None:
            mean = 0.5 * (h_l[p] + h_r[p])
            h_l[p], h_r[p] = mean + 0.5 * d, mean - 0.5 * d
    return {
        "left": (xs_l, dataclasses.replace(left, heights_px=h_l)),
        "right": (xs_r, dataclasses.replace(right, heights_px=h_r)),
    }


# Largest left-right difference (mm) between the two lids' offsets from MediaPipe's that is taken
# from the image: the landmarks follow a lid about half way, so even a 3 mm ptosis stays under
# it, while a lid fit caught on a shadow or a spectacle rim goes over (assumption).
LID_OFFSET_DIFF_MAX_MM = 2.0


def _lid_shifts(
    gray: np.ndarray,
    local: np.ndarray,
    frame: Frame,
    pupil_x: dict[str, float],
    radius: float,
    mm: float,
    lid: str,
) -> dict[str, float] | None:
    """Frame-y shift (px) of each upper or lower lid from MediaPipe's: the antisymmetric part of
    the two lids' image offsets (`fit_lid`). MediaPipe under-follows a lid that droops or rises
    on one side; the shared part of the offsets (where the landmarks sit in the lash line, or
    both lids are hooded) is left alone so MRD1 and MRD2 keep MediaPipe's mean, as the brows
    keep their fits' mean. None where either lid cannot be read or the two readings disagree
    implausibly."""
    found = {s: fit_lid(gray, local, frame, s, pupil_x[s], radius, lid) for s in ("right", "left")}
    left, right = found["left"], found["right"]
    if left is None or right is None or abs(left - right) * mm > LID_OFFSET_DIFF_MAX_MM:
        return None
    half = 0.5 * (left - right)
    return {"left": half, "right": -half}


def _mouth_corner_shifts(
    rgb: np.ndarray, lm: np.ndarray, frame: Frame, off: np.ndarray, radius: float
) -> dict[str, float]:
    """Frame-y shift (px) of each mouth corner from MediaPipe's to where the lips meet on the
    image (0 where the lips' gap is not visible), each read on a small grey crop around it."""
    shifts = {}
    h, w = rgb.shape[:2]
    half = int(np.ceil(1.2 * radius)) + 4
    for side in ("right", "left"):
        corner = lm[CORNER[side], :2]
        x0, y0 = max(int(corner[0]) - half, 0), max(int(corner[1]) - half, 0)
        x1, y1 = min(int(corner[0]) + half, w), min(int(corner[1]) + half, h)
        local = lm.copy()
        local[:, :2] -= (x0, y0)
        crop_frame = Frame(frame.origin + off - (x0, y0), frame.x_axis, frame.y_axis)
        found = fit_mouth_corner(to_gray(rgb[y0:y1, x0:x1]), local, crop_frame, side, radius)
        shifts[side] = 0.0 if found is None else found
    return shifts


def _jaw_shift(
    rgb: np.ndarray, lm: np.ndarray, frame: Frame, off: np.ndarray, mm: float
) -> tuple[float, str | None]:
    """Frame-x shift (px) of both jaw points from MediaPipe's (`jaw.jaw_shift`), each side's
    outline read on a small crop around it; 0 and what went wrong where it cannot be used."""
    found = {}
    for side in ("right", "left"):
        crop, corner = jaw_crop(rgb, lm, side, mm)
        local = lm.copy()
        local[:, :2] -= corner
        crop_frame = Frame(frame.origin + off - corner, frame.x_axis, frame.y_axis)
        found[side] = fit_jaw_outline(crop, local, crop_frame, side, mm)
    shift = jaw_shift(found["left"], found["right"], mm)
    if shift is not None:
        return shift, None
    fallback = "lower-face width is the face model's and under-reads a one-sided difference"
    unread = [s for s in ("left", "right") if found[s] is None]
    if unread:
        return 0.0, (
            f"jaw outline not readable on the patient's {' and '.join(unread)} side (collar, "
            f"beard, hair or a skin-toned background): {fallback}; use a plain, contrasting "
            "background"
        )
    apart = abs(found["left"] - found["right"]) * mm
    return 0.0, (
        f"the jaw outlines differ from the face model's by {apart:.1f} mm (over "
        f"{JAW_OFFSET_DIFF_MAX_MM:.0f} mm: a collar, hair or background edge, or a difference too "
        f"large to trust from one photo): {fallback}; assess the masseters by palpation"
    )


def _midline_x(mesh: SubjectMesh, yaw_deg: float, frame_lm_mm: np.ndarray) -> float:
    """Frame x (mm) of the facial midline at the jaw angles. The mean x of the mirror-pair
    midpoints lies on the midline at the face's mean depth; the jaw angles lie about 55 mm
    behind it, where a turned head moves the midline by that depth times sin(yaw). Without
    this, lower-face half-widths differed by 2 mm per degree of yaw on the test photos."""
    mirror = mesh.mirror
    mean_2d = float(0.5 * (frame_lm_mm[:N_MESH, 0] + frame_lm_mm[mirror, 0]).mean())
    v, n = mesh.vertices_mm, mesh.plane_normal
    jaws = 0.5 * (v[JAW_POINT["left"]] + v[JAW_POINT["right"]])
    on_plane = jaws - (jaws @ n - mesh.plane_offset) * n
    behind = on_plane[2] - (0.5 * (v + v[mirror]))[:, 2].mean()
    return mean_2d + behind * float(np.sin(np.radians(yaw_deg)))


def _brows_fitted(
    lm: np.ndarray,
    frame_lm: np.ndarray,
    frame: Frame,
    shift: dict[str, tuple[dict[str, float], dict[str, float]]],
) -> np.ndarray:
    """Landmarks with both brows moved by the antisymmetric part of the refinement: MediaPipe
    pulls brows towards symmetry, so the mesh gets back the left-right difference the photo
    shows (the shared part, MediaPipe's habit of sitting above the hair, is left alone so the
    muscle atlas keeps its calibration)."""
    (xs_r, d_r), (xs_l, d_l) = shift["right"], shift["left"]
    asym = {p: 0.5 * (d_l[p] - d_r[p]) for p in d_l}
    out = lm.copy()
    for side, xs, sign in (("left", xs_l, 1.0), ("right", xs_r, -1.0)):
        order = sorted(xs, key=xs.get)
        xp = [xs[p] for p in order]
        fp = [sign * asym[p] for p in order]
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
    """Per-side change from rest to an expression (expression minus rest), mm."""
    return {
        n: Metric(
            n,
            other.metrics[n].left - rest.metrics[n].left,
            other.metrics[n].right - rest.metrics[n].right,
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
