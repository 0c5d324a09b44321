"""Skin mechanics: K is SPD, the basis equals a direct solve, responses point the right way."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import trimesh
from scipy.spatial import cKDTree

from simulation import atlas
from simulation import mechanics as me
from simulation.canonical import N_MESH, canonical_mesh

X = np.array([-1.0, 1.0, 1.0])


@pytest.fixture(scope="module")
def canon():
    c = canonical_mesh()
    model = me.build_tissue_model(c.vertices_mm, c.faces, subdivisions=2)
    basis = me.build_basis(model, atlas.muscles(), c.vertices_mm)
    return c.vertices_mm, model, basis


def _u(basis: me.ResponseBasis, muscle_id: str, landmark: int) -> np.ndarray:
    return basis.landmark_displacements()[basis.muscle_ids.index(muscle_id), landmark]


def test_subdivided_mesh_keeps_landmarks_first(canon) -> None:
    v, model, _ = canon
    assert 6500 <= model.n_vertices <= 7500
    np.testing.assert_array_equal(model.vertices_mm[:N_MESH], v)
    w = model.parent_weights
    assert w.shape == (model.n_vertices, N_MESH)
    np.testing.assert_allclose(np.asarray(w.sum(axis=1)).ravel(), 1.0)
    assert abs(w[:N_MESH] - sp.identity(N_MESH)).max() == 0
    faces = canonical_mesh().faces
    verts, _ = trimesh.remesh.subdivide(v, faces)
    verts, _ = trimesh.remesh.subdivide(verts, _)
    assert len(verts) == model.n_vertices
    assert cKDTree(verts).query(model.vertices_mm)[0].max() < 1e-9


def test_stiffness_is_symmetric_positive_definite(canon) -> None:
    _, model, _ = canon
    k = model.stiffness
    assert abs(k - k.T).max() <= 1e-12 * abs(k).max()
    c = canonical_mesh()
    small = me.build_tissue_model(c.vertices_mm, c.faces, subdivisions=0).stiffness.toarray()
    np.testing.assert_allclose(small, small.T, atol=1e-15)
    np.linalg.cholesky(small)
    assert np.linalg.eigvalsh(small).min() > 0


def test_loads_total_the_maximal_force(canon) -> None:
    v, model, _ = canon
    for m in atlas.muscles():
        f = me.muscle_load(model, m, v)
        assert np.isfinite(f).all()
        if m.kind == "bulk":
            assert (f @ m.fibre_direction(v) <= 1e-12).all()
        else:
            assert np.linalg.norm(f, axis=1).sum() == pytest.approx(m.max_force_n, rel=1e-9)


def test_superposition_equals_a_direct_solve(canon) -> None:
    v, model, basis = canon
    rng = np.random.default_rng(7)
    a = rng.uniform(-1.0, 1.0, len(basis.muscle_ids))
    loads = np.stack([me.muscle_load(model, m, v) for m in atlas.muscles()])
    direct = me.solve_direct(model, np.tensordot(a, loads, axes=1))
    combined = basis.combine(a)
    assert np.abs(combined - direct).max() <= 1e-6 * np.abs(direct).max()
    by_id = basis.combine(dict(zip(basis.muscle_ids, a, strict=True)))
    np.testing.assert_allclose(by_id, combined)


def test_muscles_move_the_face_the_right_way(canon) -> None:
    _, _, basis = canon
    for side, s in (("left", 1.0), ("right", -1.0)):
        brow = [334, 296] if s > 0 else [105, 66]
        for part in ("medial", "lateral"):
            for lm in brow:
                assert _u(basis, f"frontalis_{part}_{side}", lm)[1] > 0.5
        medial_brow = 336 if s > 0 else 107
        u = _u(basis, f"corrugator_supercilii_{side}", medial_brow)
        assert s * u[0] < -0.5 and u[1] < -0.5
        tail = 300 if s > 0 else 70
        assert _u(basis, f"orbicularis_oculi_lateral_{side}", tail)[1] < -0.5
        corner = 291 if s > 0 else 61
        u = _u(basis, f"zygomaticus_major_{side}", corner)
        assert u[1] > 2.0 and s * u[0] > 2.0
        assert _u(basis, f"depressor_anguli_oris_{side}", corner)[1] < -2.0
        jaw_angle = 397 if s > 0 else 172
        thinning = -_u(basis, f"masseter_{side}", jaw_angle)
        assert s * thinning[0] < -0.1
    assert _u(basis, "procerus", 9)[1] < -0.5
    assert _u(basis, "mentalis", 199)[1] > 0.5
    lips = [_u(basis, "orbicularis_oris", i) for i in (61, 291, 0, 17)]
    assert lips[0][0] > 0.5 and lips[1][0] < -0.5 and lips[2][1] < -0.5 and lips[3][1] > 0.5


def test_displacements_are_a_few_millimetres(canon) -> None:
    _, _, basis = canon
    peak = np.linalg.norm(basis.displacements, axis=2).max(axis=1)
    for mid, unit, top in zip(basis.muscle_ids, basis.units, peak, strict=True):
        if unit == "thickness_mm":  # skin follows the bulk muscle ~1:1 (1.0-1.05 on real faces)
            assert 0.8 <= top <= 1.6, mid
        else:
            assert 0.5 <= top <= 15.0, mid


def test_left_response_mirrors_the_right(canon) -> None:
    _, model, basis = canon
    mirror = cKDTree(model.vertices_mm * X).query(model.vertices_mm)[1]
    assert (mirror[:N_MESH] == canonical_mesh().mirror).all()
    for i, mid in enumerate(basis.muscle_ids):
        j = basis.muscle_ids.index(atlas.mirror_id(mid))
        reflected = basis.displacements[j][mirror] * X
        scale = np.abs(basis.displacements[i]).max()
        assert np.abs(basis.displacements[i] - reflected).max() <= 1e-6 * scale, mid


def test_an_asymmetric_subject_face(canon) -> None:
    v, _, _ = canon
    rng = np.random.default_rng(3)
    face = v * [1.05, 0.97, 1.0] + rng.normal(0.0, 0.6, v.shape)
    model = me.build_tissue_model(face, canonical_mesh().faces, subdivisions=1)
    chosen = [atlas.muscle(i) for i in ("frontalis_lateral_left", "zygomaticus_major_right")]
    basis = me.build_basis(model, chosen, face)
    assert basis.displacements.shape == (2, model.n_vertices, 3)
    loads = np.stack([me.muscle_load(model, m, face) for m in chosen])
    direct = me.solve_direct(model, loads[0] - 0.5 * loads[1])
    combined = basis.combine([1.0, -0.5])
    assert np.abs(combined - direct).max() <= 1e-6 * np.abs(direct).max()
    assert basis.landmark_displacements()[0, 334, 1] > 0.5


@pytest.mark.parametrize(("side", "outward"), [("left", 1.0), ("right", -1.0)])
def test_lateral_orbicularis_pulls_only_lateral_to_the_lateral_canthus(side, outward) -> None:
    """Half weight on the vertical through the lateral canthus, about 1 at 10 mm lateral and
    about 0 at 10 mm medial (2 mm logistic edge), mirrored between the sides."""
    v = canonical_mesh().vertices_mm
    m = atlas.muscle(f"orbicularis_oculi_lateral_{side}")
    edge = v[m.lateral_of_landmarks, 0].mean()
    x = np.zeros((3, 3))
    x[:, 0] = edge + outward * np.array([0.0, 10.0, -10.0])
    w = me.lateral_part(m, v, x)
    assert w == pytest.approx([0.5, 1.0 / (1.0 + np.exp(-5.0)), 1.0 / (1.0 + np.exp(5.0))])
    assert m.lateral_of_landmarks == ((263,) if side == "left" else (33,))
