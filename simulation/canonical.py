"""MediaPipe's canonical face mesh: topology, rest shape in mm and its left-right correspondence."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from .resources import meshes_dir

N_MESH = 468  # MediaPipe face mesh vertices; landmarks 468..477 are the two irises


@dataclass(frozen=True)
class CanonicalMesh:
    """The canonical face: vertices in mm (+x patient's left, +y up, +z forward) and triangles."""

    vertices_mm: np.ndarray  # (468, 3)
    faces: np.ndarray  # (898, 3) int
    mirror: np.ndarray  # (468,) index of each vertex's left-right partner (itself on the midline)


def _parse_obj(text: str) -> tuple[np.ndarray, np.ndarray]:
    verts, faces = [], []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v":
            verts.append([float(v) for v in parts[1:4]])
        elif parts[0] == "f":
            faces.append([int(p.split("/")[0]) - 1 for p in parts[1:4]])
    return np.asarray(verts, dtype=np.float64), np.asarray(faces, dtype=np.int64)


def mirror_map(vertices: np.ndarray, tol: float = 1e-3) -> np.ndarray:
    """For each vertex, the index of the vertex nearest its reflection through x = 0."""
    reflected = vertices * np.array([-1.0, 1.0, 1.0])
    d = np.linalg.norm(vertices[None, :, :] - reflected[:, None, :], axis=2)
    partner = d.argmin(axis=1)
    if d[np.arange(len(vertices)), partner].max() > tol * np.abs(vertices).max() * 10:
        raise ValueError("canonical mesh is not left-right symmetric")
    return partner


@cache
def canonical_mesh() -> CanonicalMesh:
    """The canonical mesh from `meshes/canonical_face_model.obj` (source: MediaPipe, cm → mm)."""
    verts_cm, faces = _parse_obj((meshes_dir() / "canonical_face_model.obj").read_text())
    verts = verts_cm * 10.0
    return CanonicalMesh(verts, faces, mirror_map(verts))
