"""Views: each photo's standard view from its head pose (real frontal photos, and the demo
face's mesh turned by known angles), and the lighting and size checks between two photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simulation.face import camera_points, fit_rotation, pose_from_rotation
from simulation.views import (
    VIEW_TOLERANCE_DEG,
    classify_view,
    compare_conditions,
    photo_conditions,
)
from tests.conftest import SAMPLE, SHARED_FACES, analysed, frontal_photos, photo_id


@pytest.mark.parametrize("path", [SAMPLE, *frontal_photos()], ids=photo_id)
def test_frontal_photos_are_front_views(path) -> None:
    a = analysed(str(path))
    check = classify_view(a.pose)
    assert check.view == "front"
    off = {w.code for w in check.warnings} == {"view_off_standard"}
    assert off == (abs(a.pose.yaw) > VIEW_TOLERANCE_DEG)


def _turned(landmarks_px: np.ndarray, rotation: np.ndarray, yaw_deg: float) -> np.ndarray:
    """Camera-frame landmarks of the face turned by `yaw_deg` about its own vertical axis
    (+: the patient's right cheek towards the camera)."""
    cam = camera_points(landmarks_px)
    c = cam.mean(axis=0)
    t = np.radians(yaw_deg)
    ry = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])
    turn = rotation @ ry @ rotation.T
    return c + (cam - c) @ turn.T


@pytest.mark.parametrize(
    ("yaw", "view", "warned"),
    [
        (0, "front", False),
        (7, "front", False),
        (-12, "front", True),  # a "front" 12° turned
        (30, "right_45", True),  # a "45°" at 30°
        (45, "right_45", False),
        (-40, "left_45", False),
        (-30, "left_45", True),
        (85, "right_profile", False),
        (-90, "left_profile", False),
        (70, "right_profile", True),
    ],
)
def test_turned_mesh_gives_its_view(yaw, view, warned) -> None:
    a = analysed(str(SAMPLE))
    rotation = fit_rotation(camera_points(a.landmarks_px))
    base = pose_from_rotation(rotation).yaw
    pts = _turned(a.landmarks_px, rotation, yaw)
    pose = pose_from_rotation(fit_rotation(pts))
    assert pose.yaw == pytest.approx(base + yaw, abs=1.0 if abs(yaw) < 80 else 3.0)  # gimbal
    check = classify_view(pose)
    assert check.view == view
    assert bool(check.warnings) == warned


def test_a_right_view_shows_the_right_cheek() -> None:
    """Turned to +30°, the patient's right half (the image's left) is wider in the picture."""
    a = analysed(str(SAMPLE))
    rotation = fit_rotation(camera_points(a.landmarks_px))
    pts = _turned(a.landmarks_px, rotation, 30)
    nose = pts[1, 0]
    right_cheek, left_cheek = pts[234, 0], pts[454, 0]  # the face's outline at the cheekbones
    assert nose - right_cheek > 1.5 * (left_cheek - nose)
    assert classify_view(pose_from_rotation(fit_rotation(pts))).view == "right_45"


@pytest.fixture(scope="module")
def base():
    a = analysed(str(SAMPLE))
    rgb = np.asarray(a.image.rgb)
    return rgb, a.landmarks_px, photo_conditions(rgb, a.landmarks_px)


def _codes(notices) -> set[str]:
    return {n.code for n in notices}


def test_the_same_photo_compares_clean(base) -> None:
    rgb, lm, cond = base
    assert compare_conditions(cond, photo_conditions(rgb.copy(), lm)) == []
    slightly = np.clip(rgb.astype(np.float64) * 1.08, 0, 255).astype(np.uint8)
    assert compare_conditions(cond, photo_conditions(slightly, lm)) == []


def test_exposure_white_balance_and_distance_are_flagged(base) -> None:
    rgb, lm, cond = base
    darker = (rgb.astype(np.float64) * 0.6).astype(np.uint8)  # no channel clips
    warmer = rgb.astype(np.float64)
    warmer[..., 2] *= 0.8
    warmer = warmer.astype(np.uint8)
    h, w = rgb.shape[:2]
    smaller = np.full_like(rgb, 128)  # the face 80% as large: the camera further away
    shrunk = cv2.resize(rgb, (int(w * 0.8), int(h * 0.8)), interpolation=cv2.INTER_AREA)
    smaller[: shrunk.shape[0], : shrunk.shape[1]] = shrunk
    lm_small = lm * 0.8
    assert _codes(compare_conditions(cond, photo_conditions(darker, lm))) == {"exposure_differs"}
    assert _codes(compare_conditions(cond, photo_conditions(warmer, lm))) == {
        "white_balance_differs"
    }
    (note,) = compare_conditions(cond, photo_conditions(smaller, lm_small))
    assert note.code == "distance_differs" and "20% smaller" in note.message


def test_frames_of_one_real_clip_compare_clean() -> None:
    """Stills from one clip (same light, same camera): no lighting warning between them."""
    folder = SHARED_FACES / "expressions"
    paths = [folder / f"pexels_wolfganglanger_{f}.jpg" for f in ("f0000", "f0190", "f0330")]
    if not all(p.exists() for p in paths):
        pytest.skip("the Pexels clip stills are absent")
    conds = [
        photo_conditions(analysed(str(p)).image.rgb, analysed(str(p)).landmarks_px) for p in paths
    ]
    for other in conds[1:]:
        assert not _codes(compare_conditions(conds[0], other)) & {
            "exposure_differs",
            "white_balance_differs",
        }
