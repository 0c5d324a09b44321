"""One face in one photo: symmetrised landmarks, head pose, iris scale and the head-frame mesh.

MediaPipe's landmarks are not mirror-consistent (the same photo flipped disagrees by several
pixels), so every photo is detected twice, as it is and mirrored, and the two are averaged
through the canonical mesh's left-right correspondence: a mirrored photo then yields exactly the
mirrored landmarks, by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .canonical import N_MESH, canonical_mesh
from .errors import InputError, Notice
from .ingest import mirror_pixels
from .landmarker import Detection, get_landmarker

IRIS_DIAMETER_MM = (
    11.77  # mean visible iris diameter; Emotrics' scale convention (clinical-basis.md)
)
RIGHT_IRIS, LEFT_IRIS = 468, 473  # centres; 469..472 and 474..477 are each iris's rim points
POSE_WARN_DEG = 10.0  # issue 2: warn when |yaw| or |pitch| exceeds 10 degrees
SMALL_IRIS_PX = 8.0  # issue 2: an iris radius under ~8 px makes mm figures imprecise

# The iris rim points swap under a left-right flip as 469<->476, 470<->475, 471<->474, 472<->477
# (measured on real photos: the flipped-back detection lands on these partners).
_IRIS_MIRROR = {468: 473, 469: 476, 470: 475, 471: 474, 472: 477}


def landmark_mirror() -> np.ndarray:
    """Index of each of the 478 landmarks' left-right partner."""
    partner = np.concatenate([canonical_mesh().mirror, np.zeros(10, dtype=np.int64)])
    for a, b in _IRIS_MIRROR.items():
        partner[a], partner[b] = b, a
    return partner


@dataclass(frozen=True)
class Pose:
    """Head rotation in degrees: yaw (+ turned to the patient's left), pitch (+ chin up), roll
    (+ the patient's left eye higher in the photo)."""

    yaw: float
    pitch: float
    roll: float

    def to_json(self) -> dict[str, float]:
        return {
            "yaw": round(self.yaw, 2),
            "pitch": round(self.pitch, 2),
            "roll": round(self.roll, 2),
        }


@dataclass(frozen=True)
class Face:
    """The landmarks of one face (image pixels, symmetrised) and what follows from them."""

    landmarks_px: np.ndarray  # (478, 3): x, y, depth in pixels, in the ingested image
    blendshapes: dict[str, float]
    pose: Pose
    rotation: np.ndarray  # (3, 3): head frame -> camera frame (y up, z towards the camera)
    warnings: tuple[Notice, ...]


def _largest(faces: list[Detection]) -> Detection:
    return max(faces, key=lambda f: f.box_area_px)


def _flip_back(points: np.ndarray, width: int) -> np.ndarray:
    """Landmarks found in the mirrored image, expressed in the original image."""
    out = points.copy()
    out[:, 0] = (width - 1) - points[:, 0]
    return out


def symmetrise(direct: np.ndarray, mirrored: np.ndarray, width: int) -> np.ndarray:
    """Average a detection with the flipped-back detection of the mirrored image, landmark by
    partner landmark, so that the result is exactly mirror-equivariant."""
    back = _flip_back(mirrored, width)
    return 0.5 * (direct + back[landmark_mirror()])


def camera_points(landmarks_px: np.ndarray) -> np.ndarray:
    """Landmarks in a camera frame (pixels): x right, y up, z towards the camera."""
    return landmarks_px * np.array([1.0, -1.0, -1.0])


def fit_rotation(points: np.ndarray) -> np.ndarray:
    """Rotation taking the canonical face (head frame) onto `points` (camera frame), by a
    similarity Procrustes fit over the 468 mesh landmarks (Kabsch, no reflection)."""
    canon = canonical_mesh().vertices_mm
    a = canon - canon.mean(axis=0)
    b = points[:N_MESH] - points[:N_MESH].mean(axis=0)
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def pose_from_rotation(r: np.ndarray) -> Pose:
    """Decompose R = Rz(roll) @ Ry(yaw) @ Rx(pitch) into degrees."""
    yaw = np.degrees(np.arcsin(np.clip(-r[2, 0], -1.0, 1.0)))
    pitch = np.degrees(np.arctan2(r[2, 1], r[2, 2]))
    roll = np.degrees(np.arctan2(r[1, 0], r[0, 0]))
    return Pose(float(yaw), float(-pitch), float(roll))


def detect_face(rgb: np.ndarray, name: str = "photo") -> Face:
    """Find the face (largest if several), symmetrise its landmarks and estimate its pose."""
    found, mirrored_found = get_landmarker().detect_pair(rgb, mirror_pixels(rgb))
    if not found:
        raise InputError(
            "no_face",
            f"{name}: no face found; use a frontal photo with the whole face visible and well lit",
        )
    warnings: list[Notice] = []
    if len(found) > 1:
        warnings.append(
            Notice("several_faces", f"{len(found)} faces found; measuring the largest one")
        )
    face = _largest(found)
    width = rgb.shape[1]
    if mirrored_found:
        # the same person in the mirror image: the detection whose flipped-back centre is
        # nearest this face's centre (with several faces the largest may be someone else)
        centre = face.landmarks_px[:, :2].mean(axis=0)
        mirror_face = min(
            mirrored_found,
            key=lambda f: np.linalg.norm(_flip_back(f.landmarks_px, width)[:, :2].mean(0) - centre),
        )
        landmarks = symmetrise(face.landmarks_px, mirror_face.landmarks_px, width)
        blend = _symmetrise_blendshapes(face.blendshapes, mirror_face.blendshapes)
    else:
        landmarks, blend = face.landmarks_px, face.blendshapes
    rotation = fit_rotation(camera_points(landmarks))
    pose = pose_from_rotation(rotation)
    if abs(pose.yaw) > POSE_WARN_DEG or abs(pose.pitch) > POSE_WARN_DEG:
        warnings.append(
            Notice(
                "head_turned",
                f"head turned (yaw {_deg(pose.yaw)}, pitch {_deg(pose.pitch)}): "
                "left-right figures are less reliable; retake facing the camera",
            )
        )
    return Face(landmarks, blend, pose, rotation, tuple(warnings))


def _deg(angle: float) -> str:
    """Whole degrees with a sign, never '-0°'."""
    return f"{round(angle) or 0:+d}°"


def _symmetrise_blendshapes(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """Average blendshape scores of a photo and its mirror, swapping Left/Right names."""

    def partner(name: str) -> str:
        if name.endswith("Left"):
            return name[:-4] + "Right"
        if name.endswith("Right"):
            return name[:-5] + "Left"
        return name

    return {k: 0.5 * (v + b.get(partner(k), v)) for k, v in a.items()}
