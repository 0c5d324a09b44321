"""The muscle atlas and injection sites: provenance, ids, mirror symmetry and danger zones."""

from __future__ import annotations

import re

import numpy as np
import pytest
import trimesh

from simulation import atlas
from simulation.canonical import N_MESH, canonical_mesh
from simulation.errors import InputError
from simulation.resources import load_json
from tests.conftest import SAMPLE, analysed, frontal_photos, photo_id

X = np.array([-1.0, 1.0, 1.0])
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
PAIRED = [
    "frontalis_medial",
    "frontalis_lateral",
    "corrugator_supercilii",
    "depressor_supercilii",
    "orbicularis_oculi_lateral",
    "orbicularis_oculi_pretarsal_upper",
    "orbicularis_oculi_pretarsal_lower",
    "nasalis",
    "levator_labii_superioris_alaeque_nasi",
    "zygomaticus_major",
    "zygomaticus_minor",
    "risorius",
    "levator_anguli_oris",
    "depressor_anguli_oris",
    "depressor_labii_inferioris",
    "masseter",
    "platysma",
]
MIDLINE = ["procerus", "mentalis", "orbicularis_oris"]
PAIRED_SITES = [
    "corrugator_medial",
    "corrugator_lateral",
    "frontalis_medial",
    "frontalis_lateral",
    "crows_feet_upper",
    "crows_feet_middle",
    "crows_feet_lower",
    "pretarsal_lower",
    "depressor_supercilii",
    "nasalis",
    "lsan",
    "dao",
    "dli",
    "masseter_lower",
    "masseter_middle",
    "platysma_band",
    "orbicularis_oris_upper",
]


@pytest.fixture(scope="module")
def v() -> np.ndarray:
    return canonical_mesh().vertices_mm


def _numeric(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, list) and bool(value) and all(_numeric(x) for x in value)


def _entries():
    muscles = load_json("muscles.json")
    sites = load_json("injection_sites.json")
    for entry in muscles["muscles"]:
        yield entry, muscles["sources"]
    for entry in sites["sites"] + sites["danger_zones"]:
        yield entry, sites["sources"]


def test_every_numeric_field_has_provenance() -> None:
    checked = 0
    for entry, sources in _entries():
        prov = entry["provenance"]
        for name, value in entry.items():
            if name == "provenance" or not _numeric(value):
                continue
            text = prov.get(name, "")
            head = text.split(":", 1)[0].strip()
            where = f"{entry.get('id', entry.get('code'))}.{name}"
            if head == "assumption":
                assert len(text.split(":", 1)[1].strip()) > 10, f"{where}: say why"
            else:
                keys = [k.strip() for k in head.split(",")]
                assert keys and all(k in sources for k in keys), f"{where}: bad source {text!r}"
            checked += 1
    assert checked > 250
    for data in (load_json("muscles.json"), load_json("injection_sites.json")):
        assert all(len(citation) > 40 for citation in data["sources"].values())


def test_ids_and_required_muscles() -> None:
    ids = [m.id for m in atlas.muscles()]
    assert len(ids) == len(set(ids)) == 2 * len(PAIRED) + len(MIDLINE)
    for base in PAIRED:
        assert f"{base}_left" in ids and f"{base}_right" in ids
    for base in MIDLINE:
        assert base in ids
    for m in atlas.muscles():
        assert SNAKE.match(m.id)
        assert (m.side == "midline") == (not m.id.endswith(("_left", "_right")))
        if m.side != "midline":
            assert m.id.endswith("_" + m.side)
        assert m.kind in atlas.KINDS and m.role in atlas.ROLES
        assert 0.0 <= m.resting_tone <= 1.0 and m.max_force_n > 0
        assert (m.thickness_mm is not None) == (m.kind == "bulk")
    site_ids = [s.id for s in atlas.sites()]
    assert len(site_ids) == len(set(site_ids))
    assert "glabella_procerus" in site_ids and "mentalis" in site_ids
    for base in PAIRED_SITES:
        assert f"{base}_left" in site_ids and f"{base}_right" in site_ids
    for s in atlas.sites():
        assert SNAKE.match(s.id) and s.area in atlas.AREAS
        assert atlas.muscle(s.target).id == s.target


def test_landmarks_in_range() -> None:
    for m in atlas.muscles():
        for lms in (m.origin_landmarks, m.insertion_landmarks, m.belly_landmarks):
            assert lms and all(0 <= i < N_MESH for i in lms)
    for s in atlas.sites():
        assert 0 <= s.landmark < N_MESH
    for z in atlas.zones():
        assert all(0 <= i < N_MESH for i, _, _ in z.polygon)


def test_every_muscle_has_a_default_site_on_its_side() -> None:
    for m in atlas.muscles():
        s = atlas.default_site_for(m.id)
        assert s.target == m.id
        assert s.side == m.side or m.side == "midline"


def test_left_and_right_are_mirror_images(v: np.ndarray) -> None:
    for m in atlas.muscles():
        other = atlas.muscle(atlas.mirror_id(m.id))
        for part in ("origin", "insertion", "belly"):
            here, there = getattr(m, part)(v), getattr(other, part)(v)
            np.testing.assert_allclose(there, here * X, atol=1e-9, err_msg=f"{m.id}.{part}")
        ring, mirrored = m.insertion_points(v) * X, other.insertion_points(v)
        np.testing.assert_allclose(
            ring[np.lexsort(ring.T)], mirrored[np.lexsort(mirrored.T)], atol=1e-9
        )
        assert other.max_force_n == m.max_force_n and other.resting_tone == m.resting_tone
        if m.side == "midline":
            assert abs(m.origin(v)[0]) < 1e-9 and abs(m.insertion(v)[0]) < 1e-9
    for s in atlas.sites():
        other = atlas.site(atlas.mirror_id(s.id))
        np.testing.assert_allclose(other.position(v), s.position(v) * X, atol=1e-9)
        assert other.usual_units == s.usual_units
        assert other.target == atlas.mirror_id(s.target)
    left = [z for z in atlas.zones() if z.side == "left"]
    right = [z for z in atlas.zones() if z.side == "right"]
    assert [z.code for z in left] == [z.code for z in right]
    for a, b in zip(left, right, strict=True):
        np.testing.assert_allclose(b.polygon_xy(v), a.polygon_xy(v) * X[:2], atol=1e-9)


def test_mirror_id() -> None:
    assert atlas.mirror_id("dao_left") == "dao_right"
    assert atlas.mirror_id("frontalis_lateral_right") == "frontalis_lateral_left"
    assert atlas.mirror_id("procerus") == "procerus"


def test_sites_lie_on_the_skin_and_follow_the_face(v: np.ndarray) -> None:
    mesh = trimesh.Trimesh(v, canonical_mesh().faces, process=False)
    corner, normal = mesh.triangles[:, 0], mesh.face_normals
    for s in atlas.sites():
        p = s.position(v)
        off_plane = np.abs(np.einsum("ij,ij->i", p - corner, normal))
        inside = trimesh.triangles.points_to_barycentric(
            mesh.triangles, np.repeat([p], len(corner), 0)
        )
        hits = (inside >= -1e-9).all(axis=1) & (off_plane < 1e-6)
        assert hits.any(), f"{s.id} is not on the skin"
    shifted = v + np.array([4.0, -3.0, 2.0])
    for s in atlas.sites():
        np.testing.assert_allclose(s.position(shifted), s.position(v) + [4.0, -3.0, 2.0])


def test_sites_avoid_the_danger_zones_they_respect(v: np.ndarray) -> None:
    for s in atlas.sites():
        assert atlas.danger_zones(s.position(v), v, target=s.target) == [], s.id


def _codes(point, v, target=None) -> set[str]:
    return {code for code, _ in atlas.danger_zones(np.asarray(point, dtype=float), v, target)}


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_danger_zones_flag_risky_points(v: np.ndarray, side: float) -> None:
    brow_upper = v[[296, 334]] if side > 0 else v[[66, 105]]
    brow_lower = v[[295, 282]] if side > 0 else v[[65, 52]]
    mid_brow = np.vstack([brow_upper, brow_lower]).mean(axis=0)
    assert {"glabella_too_low", "frontalis_low"} <= _codes(mid_brow + [0, 5, 0], v)
    assert "frontalis_low" in _codes(mid_brow + [0, 15, 0], v, "frontalis_medial_left")
    assert "frontalis_low" not in _codes(mid_brow + [0, 15, 0], v, "corrugator_supercilii_left")
    lid = v[386] if side > 0 else v[159]
    assert "near_lid_levator" in _codes(lid + [0, 5, 0], v)
    corner = v[291] if side > 0 else v[61]
    assert "below_upper_dao" in _codes(corner + [0, -22, 0], v, "depressor_anguli_oris_left")
    assert "below_upper_dao" in _codes(corner + [-8 * side, -10, 0], v)
    canthus = v[263] if side > 0 else v[33]
    assert "near_zygomaticus" in _codes(canthus + [5 * side, -20, 0], v)
    assert _codes(v[10], v) == set()


def test_unknown_ids_are_input_errors() -> None:
    with pytest.raises(InputError) as err:
        atlas.muscle("frontalis")
    assert err.value.code == "unknown_muscle" and "frontalis_medial_left" in str(err.value)
    with pytest.raises(InputError) as err:
        atlas.site("glabella")
    assert err.value.code == "unknown_site"
    with pytest.raises(InputError) as err:
        atlas.default_site_for("biceps_left")
    assert err.value.code == "unknown_muscle"


def test_usual_doses_match_the_clinical_basis() -> None:
    assert atlas.site("glabella_procerus").usual_units == (4.0, 4.0)
    glabella = ["glabella_procerus"] + [
        f"corrugator_{p}_{s}" for p in ("medial", "lateral") for s in ("left", "right")
    ]
    assert sum(atlas.site(i).usual_units[1] for i in glabella) == 20.0
    crows = [f"crows_feet_{p}_{s}" for p in ("upper", "middle", "lower") for s in ("left", "right")]
    assert sum(atlas.site(i).usual_units[1] for i in crows) == 24.0
    masseter = [f"masseter_{p}_left" for p in ("lower", "middle")]
    assert sum(atlas.site(i).usual_units[1] for i in masseter) == 30.0
    assert atlas.site("dao_left").usual_units == (1.5, 3.0)
    assert atlas.site("mentalis").usual_units == (4.0, 10.0)


@pytest.mark.parametrize("path", [SAMPLE, *frontal_photos()], ids=photo_id)
def test_no_standard_site_sits_in_its_own_danger_zone_on_real_faces(path):
    """The sites are anchored so that their safety margins hold on real faces, not only on the
    canonical one (the lateral frontalis site once fell 16 mm above the brow on short foreheads)."""
    v = analysed(str(path)).mesh.vertices_mm
    hits = {s.id: atlas.danger_zones(s.position(v), v, s.target) for s in atlas.sites()}
    assert {k: v for k, v in hits.items() if v} == {}


@pytest.mark.parametrize("path", [SAMPLE, *frontal_photos()], ids=photo_id)
def test_every_standard_site_reaches_its_own_muscle(path):
    """A site's usual low dose must mostly reach the muscle it is named for (the lateral
    corrugator point once delivered nothing to the corrugator and everything to the frontalis).
    Broad smiles and three-quarter views distort the mouth and lids, so the floor there is 25%."""
    from simulation import pharmacology

    v = analysed(str(path)).mesh.vertices_mm
    ms = atlas.muscles()
    ids = [m.id for m in ms]
    belly = np.array([m.belly(v) for m in ms])
    radius = np.array([m.belly_radius_mm for m in ms])
    floor = 0.8 if path == SAMPLE else 0.25
    for s in atlas.sites():
        lo = s.usual_units[0]
        got = pharmacology.received_units(
            s.position(v)[None], np.array([lo]), np.array([lo * 0.025]), belly, radius
        )
        assert got[ids.index(s.target)] >= floor * lo, s.id
