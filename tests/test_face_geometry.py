"""Exact checks of the geometry under the measurements: head frame, pose, metrics, mesh."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulation.analysis import analyze_image
from simulation.canonical import canonical_mesh
from simulation.face import fit_rotation, landmark_mirror, pose_from_rotation
from simulation.ingest import flip_horizontal, load_image
from simulation.metrics import build_metrics, side_metrics, symmetry_index
from tests.conftest import SAMPLE, analysed


def _rot(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = np.radians([yaw, -pitch, roll])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    return rz @ ry @ rx


@pytest.mark.parametrize(("yaw", "pitch", "roll"), [(12, 0, 0), (0, -8, 0), (0, 0, 5), (7, 4, -3)])
def test_pose_of_a_rotated_canonical_face_is_recovered_exactly(yaw, pitch, roll):
    canon = canonical_mesh().vertices_mm
    pts = canon @ _rot(yaw, pitch, roll).T * 3.0 + np.array([5.0, -2.0, 1.0])
    pose = pose_from_rotation(fit_rotation(pts))
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((yaw, pitch, roll), abs=1e-6)


def test_pose_signs_follow_the_documented_convention():
    """Yaw + = face turned towards the patient's left (their left eye moves away from the
    camera, i.e. nearer to it goes the right eye); roll + = patient's left eye higher."""
    canon = canonical_mesh().vertices_mm
    turned = canon @ _rot(15, 0, 0).T
    assert turned[263, 2] < turned[33, 2]  # left outer canthus (263) further from the camera
    tilted = canon @ _rot(0, 0, 10).T
    assert tilted[263, 1] > tilted[33, 1]


def test_head_frame_axes_and_origin_on_a_real_photo():
    a = analysed(str(SAMPLE))
    v = a.mesh.vertices_mm
    assert v.shape == (468, 3) and a.mesh.faces.shape == (898, 3)
    assert v[263, 0] > 0 > v[33, 0]  # +x is the patient's left
    assert v[10, 1] > v[1, 1] > v[152, 1]  # forehead above nose tip above chin: +y up
    assert v[1, 2] > v[234, 2]  # nose tip in front of the cheek edge: +z forward
    corners = v[[33, 133, 263, 362]]  # both eyes' corners sit around the origin (pupils)
    assert abs(corners[:, 0].mean()) < 3.0 and abs(corners[:, 1].mean()) < 4.0
    assert (a.mesh.uv >= 0).all() and (a.mesh.uv <= 1).all()
    n, d = a.mesh.plane_normal, a.mesh.plane_offset
    assert abs(n[0]) > 0.98 and abs(d) < 3.0  # the midsagittal plane is near x = 0


def test_trimesh_export_and_loop_subdivision():
    mesh = analysed(str(SAMPLE)).mesh
    plain = mesh.to_trimesh()
    assert len(plain.vertices) == 468 and len(plain.faces) == 898
    smooth = mesh.to_trimesh(subdivisions=1)
    assert len(smooth.faces) == 4 * 898
    assert np.allclose(smooth.bounds, plain.bounds, atol=5.0)


def test_landmark_mirror_is_an_involution_that_swaps_sides():
    partner = landmark_mirror()
    assert (partner[partner] == np.arange(478)).all()
    canon = canonical_mesh().vertices_mm
    paired = partner[:468] != np.arange(468)
    assert np.allclose(canon[paired, 0], -canon[partner[:468][paired], 0], atol=1e-3)
    assert partner[468] == 473 and partner[469] == 476


def _synthetic_points() -> dict[str, np.ndarray]:
    p = {"stomion": np.array([0.0, -70.0]), "lip_lower_mid": np.array([0.0, -78.0])}
    for side, sx in (("left", 1.0), ("right", -1.0)):
        lift = 2.0 if side == "left" else 0.0
        p[f"pupil_{side}"] = np.array([32.0 * sx, 0.0])
        p[f"brow_medial_{side}"] = np.array([18.0 * sx, 15.0 + lift])
        p[f"brow_mid_{side}"] = np.array([32.0 * sx, 18.0 + lift])
        p[f"brow_lateral_{side}"] = np.array([44.0 * sx, 16.0 + lift])
        p[f"lid_upper_{side}"] = np.array([32.0 * sx, 4.0])
        p[f"lid_lower_{side}"] = np.array([32.0 * sx, -5.5])
        p[f"corner_{side}"] = np.array([25.0 * sx, -70.0 + (3.0 if side == "left" else 0.0)])
        p[f"jaw_{side}"] = np.array([(60.0 if side == "left" else 55.0) * sx, -80.0])
    return p


def test_metrics_on_synthetic_points_are_exact():
    m = build_metrics(_synthetic_points(), midline_x=0.0, symmetry_index_mm=1.5)
    assert (m["brow_height_mm"].left, m["brow_height_mm"].right) == (20.0, 18.0)
    assert m["brow_height_mm"].diff == 2.0 and not m["brow_height_mm"].visible
    assert m["brow_height_lateral_mm"].left == 18.0
    assert (m["mrd1_mm"].left, m["mrd2_mm"].left, m["palpebral_fissure_mm"].left) == (4, 5.5, 9.5)
    assert m["commissure_height_mm"].diff == 3.0 and m["commissure_height_mm"].visible
    assert m["commissure_excursion_mm"].left == pytest.approx(np.hypot(25.0, 11.0))
    assert m["smile_angle_deg"].left == pytest.approx(np.degrees(np.arctan2(11.0, 25.0)))
    assert m["smile_angle_deg"].right == pytest.approx(np.degrees(np.arctan2(8.0, 25.0)))
    assert m["lower_face_half_width_mm"].diff == 5.0
    assert m["symmetry_index_mm"].left == 1.5


def test_metrics_accept_a_batch_of_samples():
    pts = {k: np.stack([v, v + 1.0]) for k, v in _synthetic_points().items()}
    per_side = side_metrics(pts, 0.0)
    assert per_side["left"]["brow_height_mm"].shape == (2,)
    assert per_side["left"]["brow_height_mm"][1] == 20.0  # a shift of everything changes nothing


def test_symmetry_index_is_zero_for_the_canonical_face_and_grows_with_a_shift():
    canon = canonical_mesh()
    assert symmetry_index(canon.vertices_mm, canon.mirror) == pytest.approx(0.0, abs=1e-3)
    moved = canon.vertices_mm.copy()
    moved[canon.vertices_mm[:, 0] > 1.0, 1] += 2.0  # the whole left half 2 mm higher
    assert symmetry_index(moved, canon.mirror) > 1.0


def test_two_faces_take_the_larger_and_warn(tmp_path):
    big = Image.open(SAMPLE).convert("RGB")
    small = Image.open(SAMPLE).convert("RGB")
    small = small.resize((small.width // 2, small.height // 2))
    canvas = Image.new("RGB", (big.width + small.width + 40, big.height), (128, 128, 128))
    canvas.paste(big, (0, 0))
    canvas.paste(small, (big.width + 40, 100))
    path = tmp_path / "two.png"
    canvas.save(path)
    a = analyze_image(load_image(path))
    assert "several_faces" in {w.code for w in a.warnings}
    assert a.landmarks_px[:, 0].max() < big.width  # the larger face was measured
    alone = analysed(str(SAMPLE))
    assert a.mm_per_px == pytest.approx(alone.mm_per_px, rel=0.05)
    # the mirror detection is paired with the same person, so the mirror check still holds
    flipped = analyze_image(flip_horizontal(load_image(path)))
    for name, m in a.metrics.items():
        assert flipped.metrics[name].diff == pytest.approx(-m.diff, abs=0.5), name


def test_plain_language_sentences_name_the_side_the_size_and_the_verdict():
    from simulation.metrics import Metric, summary_sentence

    assert summary_sentence(Metric("brow_height_mm", 20.0, 16.2)) == (
        "left brow 3.8 mm higher than the right (above the pupil): noticeable"
    )
    assert summary_sentence(Metric("mrd1_mm", 3.8, 4.2)) == (
        "right upper lid 0.4 mm higher above the pupil than the left (MRD1): "
        "below what observers notice (2 mm)"
    )
    assert summary_sentence(Metric("commissure_height_mm", 1.0, 1.02)).endswith("both sides")


def test_measurement_figure_marks_every_point_on_the_demo_face():
    """docs/measurements_figure.py (`make figure`) still runs on the current analysis and draws
    the brow, lid and mouth markers in their colours."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "docs" / "measurements_figure.py"
    spec = importlib.util.spec_from_file_location("measurements_figure", path)
    figure = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figure)
    img = np.asarray(figure.draw(analysed(str(SAMPLE))))
    assert img.shape[1] == figure.WIDTH
    for colour in ("brow", "lid", "corner", "jaw"):
        assert (np.abs(img - figure.COLOURS[colour]).sum(axis=-1) < 30).sum() > 20, colour
