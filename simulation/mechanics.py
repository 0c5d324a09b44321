"""Linear skin mechanics on a subject's face mesh, K u = f, and the per-muscle response basis.

The skin is an elastic surface around the photographed (resting) face: a membrane (cotangent
Laplacian), a bending term (L M⁻¹ L with lumped areas) and springs to the bone beneath whose
stiffness varies by region. K is factorised once per subject and every muscle's unit load is solved
in the same call, so any plan is a superposition of the resulting displacement fields.

Simplification: the three coordinates are three independent scalar problems with the same K (no
coupling between x, y and z through the membrane's Poisson effect), which keeps K N×N, symmetric
positive definite and cheap to factorise.

Every stiffness below is a modelling assumption, picked so that a typical muscle at unit activation
(its maximal force) moves the skin near its insertion by a few mm; resting tones are calibrated
against clinical-basis.md elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu, spsolve
from scipy.spatial import cKDTree

from .atlas import Muscle
from .canonical import N_MESH, canonical_mesh

# Assumption: skin tension ≈ pre-stress (7-53 kPa, Flynn 2018 via clinical-basis.md) × ~1.5 mm of
# skin, rounded to the lower end because the face is mostly lax at rest.
MEMBRANE_N_PER_MM = 0.02
# Assumption: bending modulus as tension × (5 mm)², the length over which a fold smooths out.
BENDING_N_MM = MEMBRANE_N_PER_MM * 5.0**2
# Assumption: springs to bone per unit skin area (N/mm per mm²). Soft: indentation stiffness of
# the cheek and jaw, 2.65-4.44 kPa (Wei 2021 via clinical-basis.md), over ~10 mm of soft tissue.
ANCHOR_SOFT = 3.5e-4
# Assumption: where skin lies on bone or is tethered by ligaments, about 15× the soft value.
ANCHOR_BONE = 5.0e-3
# Assumption: the mesh outline stands for the rest of the head (scalp, ears, neck): stiffer still.
ANCHOR_BOUNDARY = 2.0e-2
# Assumption: skin over a bulk muscle is bound to it by fascia, so it follows the muscle's
# surface about 1:1 at the belly centre. The spring-equivalent load alone gave ~0.5 mm per mm of
# thinning because the surrounding membrane holds the skin back; this gain restores ~1:1.
BULK_LOAD_GAIN = 1.9
BOUNDARY_FALLOFF_MM = 4.0

# Assumption: regions anchored to bone, as canonical landmarks (left side; mirrored in code) and
# the Gaussian fall-off (mm) of their influence. Brows, lids, cheeks and lips stay soft.
BONE_REGIONS: Mapping[str, tuple[tuple[int, ...], float]] = {
    "nasal_bridge": ((168, 6, 197, 195, 351, 417, 412), 5.0),
    "inferior_orbital_rim": ((449, 450, 451), 4.0),
    "lateral_orbital_rim": ((446, 261), 3.0),
    "zygoma": ((345, 352, 346), 5.0),
    "mandible": ((175, 152, 377, 400, 378, 379, 365, 397), 5.0),
    "masseteric_fascia": ((367, 435, 397, 288), 8.0),
}

# Assumption: the brows ride on mobile fat pads (brow fat, ROOF) over the orbital rim, so their
# springs to bone are softer: this fraction of the local value, fading out over the fall-off (mm).
MOBILE_REGIONS: Mapping[str, tuple[tuple[int, ...], float, float]] = {
    "brow": ((300, 293, 334, 296, 336, 276, 283, 282, 295, 285), 0.06, 9.0),
}

# Assumption: the lid margins are held by the tarsal plates and the lid retractors, not by the
# brow, so the brow's softness stops there: springs of this fraction of ANCHOR_BONE, with this
# fall-off (mm), around the upper and lower lid margins (left side; mirrored in code). Without it
# relaxing the lateral orbicularis raised the lid margin 1-3 mm along with the brow.
TETHERED_REGIONS: Mapping[str, tuple[tuple[int, ...], float, float]] = {
    "tarsus": ((466, 388, 387, 386, 385, 384, 398, 249, 390, 373, 374, 380, 381, 382), 0.5, 2.5),
}

# The palpebral fissures and the mouth slit are triangulated in the canonical mesh but are not
# skin: their triangles get this fraction of the membrane and bending stiffness (assumption), so
# the lids and the lips can move apart. Landmarks on each opening's margin (right side; mirrored).
OPENING_SOFTNESS = 1e-3
OPENINGS: tuple[tuple[int, ...], ...] = (
    (33, 246, 161, 160, 159, 158, 157, 173, 133, 7, 163, 144, 145, 153, 154, 155),
    (78, 191, 80, 81, 82, 13, 87, 178, 88, 95, 14),
)


@dataclass
class TissueModel:
    """The simulation mesh and its stiffness. The first 468 vertices are the landmark vertices."""

    vertices_mm: np.ndarray  # (N, 3)
    faces: np.ndarray  # (F, 3)
    parent_weights: sp.csr_matrix  # (N, 468): simulation vertices from the 468 landmark vertices
    anchoring: np.ndarray  # (N,) spring stiffness density to bone, N/mm per mm² of skin
    areas_mm2: np.ndarray  # (N,) lumped vertex areas (a third of each triangle)
    boundary: np.ndarray  # (N,) bool, vertex on the mesh outline
    stiffness: sp.csc_matrix  # (N, N) K in N/mm for each coordinate

    @property
    def n_vertices(self) -> int:
        """Number of simulation vertices."""
        return len(self.vertices_mm)

    @property
    def landmark_index(self) -> np.ndarray:
        """Row of each landmark vertex in the simulation mesh (subdivision keeps them first)."""
        return np.arange(self.parent_weights.shape[1])


def subdivide(
    faces: np.ndarray, n_vertices: int, iterations: int
) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
    """Midpoint (1-to-4) subdivision: faces, the (N_new, n_vertices) interpolation matrix and
    each new face's parent face.

    Midpoints interpolate: original vertices keep their index and position, so landmark i is row i
    and the simulation surface is exactly the landmark mesh's surface. (Loop subdivision would also
    keep them first but moves them by up to 3 mm on the canonical mesh.)
    """
    f = np.asarray(faces, dtype=np.int64)
    weights = sp.identity(n_vertices, format="csr")
    parent = np.arange(len(f))
    n = n_vertices
    for _ in range(iterations):
        parent = np.tile(parent, 4)
        edges = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
        unique, inverse = np.unique(np.sort(edges, axis=1), axis=0, return_inverse=True)
        mid = n + inverse.reshape(3, -1).T
        a, b, c = f.T
        m01, m12, m20 = mid.T
        f = np.concatenate(
            [
                np.stack([a, m01, m20], axis=1),
                np.stack([b, m12, m01], axis=1),
                np.stack([c, m20, m12], axis=1),
                np.stack([m01, m12, m20], axis=1),
            ]
        )
        k = len(unique)
        rows = np.concatenate([np.arange(n), np.repeat(np.arange(n, n + k), 2)])
        cols = np.concatenate([np.arange(n), unique.ravel()])
        vals = np.concatenate([np.ones(n), np.full(2 * k, 0.5)])
        step = sp.csr_matrix((vals, (rows, cols)), shape=(n + k, n))
        weights = (step @ weights).tocsr()
        n += k
    return f, weights, parent


def cotangent_laplacian(
    vertices: np.ndarray, faces: np.ndarray, face_weights: np.ndarray | None = None
) -> sp.csr_matrix:
    """The cotangent Laplacian (positive semi-definite convention, rows sum to zero), each
    triangle's contribution scaled by `face_weights`."""
    v = np.asarray(vertices, dtype=np.float64)
    fw = np.ones(len(faces)) if face_weights is None else np.asarray(face_weights, dtype=np.float64)
    n = len(v)
    rows, cols, vals = [], [], []
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        a, b, c = faces[:, i], faces[:, j], faces[:, k]
        e1, e2 = v[b] - v[a], v[c] - v[a]
        cross = np.linalg.norm(np.cross(e1, e2), axis=1)
        cot = np.einsum("ij,ij->i", e1, e2) / np.maximum(cross, 1e-12)
        w = 0.5 * cot * fw
        rows += [b, c]
        cols += [c, b]
        vals += [-w, -w]
    off = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    return (sp.diags(-np.asarray(off.sum(axis=1)).ravel()) + off).tocsr()


def vertex_areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Lumped vertex areas: a third of each adjacent triangle's area, mm²."""
    v = np.asarray(vertices, dtype=np.float64)
    tri = v[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return np.bincount(faces.ravel(), weights=np.repeat(area / 3.0, 3), minlength=len(v))


def boundary_vertices(faces: np.ndarray, n_vertices: int) -> np.ndarray:
    """Boolean mask of vertices on an edge used by one triangle only."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    mask = np.zeros(n_vertices, dtype=bool)
    mask[unique[counts == 1].ravel()] = True
    return mask


def _nearest_distance(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return cKDTree(targets).query(points)[0]


def opening_faces(faces898: np.ndarray) -> np.ndarray:
    """Boolean mask of the landmark-mesh triangles that fill the eye and mouth openings."""
    mirror = canonical_mesh().mirror
    mask = np.zeros(len(faces898), dtype=bool)
    for rim in OPENINGS:
        both = sorted(set(rim) | {int(mirror[i]) for i in rim})
        mask |= np.isin(faces898, both).all(axis=1)
    return mask


def _anchoring(vertices: np.ndarray, vertices468: np.ndarray, boundary: np.ndarray) -> np.ndarray:
    mirror = canonical_mesh().mirror
    k = np.full(len(vertices), ANCHOR_SOFT)
    for landmarks, falloff in BONE_REGIONS.values():
        both = sorted(set(landmarks) | {int(mirror[i]) for i in landmarks})
        d = _nearest_distance(vertices, vertices468[both])
        k = np.maximum(k, ANCHOR_BONE * np.exp(-0.5 * (d / falloff) ** 2))
    for landmarks, factor, falloff in MOBILE_REGIONS.values():
        both = sorted(set(landmarks) | {int(mirror[i]) for i in landmarks})
        d = _nearest_distance(vertices, vertices468[both])
        k *= 1.0 - (1.0 - factor) * np.exp(-0.5 * (d / falloff) ** 2)
    for landmarks, fraction, falloff in TETHERED_REGIONS.values():
        both = sorted(set(landmarks) | {int(mirror[i]) for i in landmarks})
        d = _nearest_distance(vertices, vertices468[both])
        k = np.maximum(k, fraction * ANCHOR_BONE * np.exp(-0.5 * (d / falloff) ** 2))
    d = _nearest_distance(vertices, vertices[boundary])
    return np.maximum(k, ANCHOR_BOUNDARY * np.exp(-0.5 * (d / BOUNDARY_FALLOFF_MM) ** 2))


def build_tissue_model(
    vertices468_mm: np.ndarray, faces898: np.ndarray, subdivisions: int = 2
) -> TissueModel:
    """Subdivide a subject's landmark mesh and assemble K = membrane + bending + anchoring."""
    v468 = np.asarray(vertices468_mm, dtype=np.float64)[:N_MESH, :3]
    faces, weights, parent = subdivide(faces898, len(v468), subdivisions)
    verts = np.asarray(weights @ v468)
    softness = np.where(opening_faces(np.asarray(faces898))[parent], OPENING_SOFTNESS, 1.0)
    lap = cotangent_laplacian(verts, faces, softness)
    areas = vertex_areas(verts, faces)
    boundary = boundary_vertices(faces, len(verts))
    anchoring = _anchoring(verts, v468, boundary)
    k = (
        MEMBRANE_N_PER_MM * lap
        + BENDING_N_MM * (lap @ sp.diags(1.0 / areas) @ lap)
        + sp.diags(anchoring * areas)
    )
    k = (0.5 * (k + k.T)).tocsc()
    return TissueModel(verts, faces, weights, anchoring, areas, boundary, k)


def _gaussian(d: np.ndarray, radius: float) -> np.ndarray:
    """Fall-off with σ = radius/2: 86% of a disc load lies within `radius`."""
    return np.exp(-0.5 * (2.0 * d / radius) ** 2)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norm, 1e-9)


def lateral_part(m: Muscle, vertices468_mm: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Weight (N,) of each vertex in a muscle that only pulls lateral to the vertical through its
    `lateral_of_landmarks` (the lateral orbital orbicularis: lateral to the lateral canthus):
    a logistic edge `lateral_fade_mm` wide, 0.5 on the vertical itself."""
    edge = vertices468_mm[list(m.lateral_of_landmarks), 0].mean()
    outward = 1.0 if m.side == "left" else -1.0  # +x is the patient's left
    return 1.0 / (1.0 + np.exp(-outward * (x[:, 0] - edge) / m.lateral_fade_mm))


def muscle_load(model: TissueModel, m: Muscle, vertices468_mm: np.ndarray) -> np.ndarray:
    """Nodal forces (N, 3) in newtons for unit activation of `m` on this subject.

    - linear: insertion-region skin pulled towards the origin, Gaussian fall-off over radius_mm;
    - sheet: the same pull along one fibre direction over a flat-topped, wider region;
    - sphincter: a band around the ring of insertion landmarks pulled towards the centre;
    for these the force magnitudes sum to max_force_n.
    - bulk: the skin over the belly pushed outward (against the fibre direction) by the bone
      springs it rests on, for +1 mm of muscle thickness: the field is per mm of thickness change.
    """
    v468 = np.asarray(vertices468_mm, dtype=np.float64)[:N_MESH, :3]
    x = model.vertices_mm
    origin = m.origin(v468)
    if m.kind == "sphincter":
        ring = m.insertion_points(v468)
        d = _nearest_distance(x, ring)
        w = _gaussian(d, m.radius_mm)
        direction = _unit(origin - x)
    elif m.kind == "sheet":
        d = np.linalg.norm(x - m.insertion(v468), axis=1)
        w = np.exp(-((d / m.radius_mm) ** 4))
        direction = np.broadcast_to(m.fibre_direction(v468), x.shape)
    elif m.kind == "linear":
        d = np.linalg.norm(x - m.insertion(v468), axis=1)
        w = _gaussian(d, m.radius_mm)
        direction = _unit(origin - x)
    elif m.kind == "bulk":
        d = np.linalg.norm(x - m.insertion(v468), axis=1)
        w = _gaussian(d, m.radius_mm)
        springs = model.anchoring * model.areas_mm2
        return BULK_LOAD_GAIN * (w * springs)[:, None] * -m.fibre_direction(v468)[None, :]
    else:
        raise ValueError(f"unknown muscle kind '{m.kind}'")
    if m.lateral_of_landmarks:
        w = w * lateral_part(m, v468, x)
    w = w * model.areas_mm2
    w[w < 1e-12 * w.max()] = 0.0
    force = w[:, None] * direction
    return m.max_force_n * force / np.linalg.norm(force, axis=1).sum()


@dataclass
class ResponseBasis:
    """One displacement field per muscle for unit activation (bulk muscles: per +1 mm thickness)."""

    muscle_ids: tuple[str, ...]
    displacements: np.ndarray  # (M, N, 3) mm per unit activation
    landmark_index: np.ndarray  # (468,) rows of the landmark vertices
    units: tuple[str, ...]  # per muscle: "activation" (fraction of max force) or "thickness_mm"

    def landmark_displacements(self) -> np.ndarray:
        """(M, 468, 3) displacement of each landmark vertex per unit activation."""
        return self.displacements[:, self.landmark_index, :]

    def combine(self, activations: Mapping[str, float] | np.ndarray) -> np.ndarray:
        """Σ_m a_m U_m, (N, 3): activations by muscle id, or an (M,) vector in basis order."""
        if isinstance(activations, Mapping):
            index = {mid: i for i, mid in enumerate(self.muscle_ids)}
            a = np.zeros(len(self.muscle_ids))
            for mid, value in activations.items():
                a[index[mid]] = value
        else:
            a = np.asarray(activations, dtype=np.float64)
        return np.tensordot(a, self.displacements, axes=1)


def _factorise(k: sp.csc_matrix):
    return splu(
        k,
        permc_spec="MMD_AT_PLUS_A",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )


def build_basis(
    model: TissueModel, muscles: Sequence[Muscle], vertices468_mm: np.ndarray
) -> ResponseBasis:
    """Factorise K once and solve every muscle's unit load in one matrix right-hand side."""
    loads = np.stack([muscle_load(model, m, vertices468_mm) for m in muscles])  # (M, N, 3)
    n_m, n = loads.shape[0], model.n_vertices
    rhs = loads.transpose(1, 0, 2).reshape(n, n_m * 3)
    solution = _factorise(model.stiffness).solve(rhs)
    displacements = solution.reshape(n, n_m, 3).transpose(1, 0, 2)
    return ResponseBasis(
        muscle_ids=tuple(m.id for m in muscles),
        displacements=np.ascontiguousarray(displacements),
        landmark_index=model.landmark_index,
        units=tuple("thickness_mm" if m.kind == "bulk" else "activation" for m in muscles),
    )


def solve_direct(model: TissueModel, loads: np.ndarray) -> np.ndarray:
    """Displacements (N, 3) for nodal forces (N, 3) by a fresh sparse solve (tests, benchmark)."""
    return np.asarray(spsolve(model.stiffness, np.asarray(loads, dtype=np.float64)))
