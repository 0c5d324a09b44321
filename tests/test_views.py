"""Views: each photo's standard view from its head pose (real frontal photos, and the demo
face's mesh turned by known angles), and the lighting and size checks between two photos."""

from __future__ import annotations

import datetime as dt
import json

import cv2
import numpy as np
import pytest

from simulation.face import camera_points, fit_rotation, pose_from_rotation
from simulation.ingest import encode_png
from simulation.records.models import PhotoRecord, Visit
from simulation.records.visit_views import compare_visit_views, view_photos, visit_views
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


# --- the views of recorded visits, and the check between visits ------------------------------


def turned_analysis(a, yaw: float) -> dict:
    """The demo photo's analysis JSON with its landmarks and pose turned by `yaw` degrees (a
    turned mesh: the pixels stay the demo's)."""
    rotation = fit_rotation(camera_points(a.landmarks_px))
    pts = _turned(a.landmarks_px, rotation, yaw)
    out = a.to_json(landmarks=True)
    out["landmarks_px"] = np.round(camera_points(pts)[:, :2], 2).tolist()
    out["pose_deg"] = pose_from_rotation(fit_rotation(pts)).to_json()
    return out


def _visit(date: str, *photos: tuple[str, dict, bytes | None]) -> Visit:
    v = Visit(date=dt.date.fromisoformat(date))
    v.photos = [
        PhotoRecord(expression=e, analysis_json=json.dumps(j), photo_png=png)
        for e, j, png in photos
    ]
    return v


def test_a_visits_photos_are_grouped_by_view_front_first() -> None:
    a = analysed(str(SAMPLE))
    front = a.to_json(landmarks=True)
    v = _visit(
        "2026-01-05",
        ("rest", turned_analysis(a, 45), None),
        ("smile", front, None),
        ("rest", front, None),
        ("rest", turned_analysis(a, -30), None),
    )
    views = visit_views(v)
    assert [(s.check.view, s.expression) for s in views] == [
        ("front", "rest"),
        ("front", "smile"),
        ("left_45", "rest"),
        ("right_45", "rest"),
    ]
    shown = view_photos(v)
    assert list(shown) == ["front", "left_45", "right_45"]
    assert shown["front"].expression == "rest"
    (warning,) = shown["left_45"].check.warnings  # a "45°" at 30°: flagged with its yaw
    yaw = shown["left_45"].check.yaw
    assert yaw == pytest.approx(a.pose.yaw - 30, abs=1.0)
    assert f"turned {abs(yaw):.0f}°" in warning.message
    assert not shown["right_45"].check.warnings


@pytest.fixture(scope="module")
def demo_png():
    a = analysed(str(SAMPLE))
    rgb = np.asarray(a.image.rgb)
    darker = (rgb.astype(np.float64) * 0.6).astype(np.uint8)
    return a, encode_png(rgb), encode_png(darker)


def test_a_darker_second_visit_is_named_with_both_dates(demo_png) -> None:
    a, png, dark = demo_png
    front = a.to_json(landmarks=True)
    side = turned_analysis(a, 45)
    visits = [
        _visit("2026-02-02", ("rest", front, dark), ("rest", side, png)),
        _visit("2026-01-05", ("rest", front, png), ("smile", front, png)),
    ]
    (c,) = compare_visit_views(visits)  # the 45° view is at one visit only
    assert (c.view, c.first, c.second) == ("front", dt.date(2026, 1, 5), dt.date(2026, 2, 2))
    assert [code for code, _ in c.changes] == ["exposure_differs"]
    # 0.6× sRGB is about 0.6**2.2: 1.6 stops darker in linear light
    assert "1.6 stops darker" in c.warning or "1.5 stops darker" in c.warning
    assert "2026-01-05 and 2026-02-02" in c.warning and "on 2026-02-02" in c.warning
    assert c.to_json()["differs"] == ["exposure_differs"]


def test_the_same_photo_at_two_visits_compares_clean(demo_png) -> None:
    a, png, _dark = demo_png
    front = a.to_json(landmarks=True)
    visits = [
        _visit("2026-01-05", ("rest", front, png)),
        _visit("2026-01-19", ("rest", front, png)),
    ]
    (c,) = compare_visit_views(visits)
    assert c.changes == () and c.warning is None and not c.needs_photos


def test_without_pixels_the_check_says_it_needs_the_photos(demo_png) -> None:
    a, png, _dark = demo_png
    front = a.to_json(landmarks=True)
    visits = [
        _visit("2026-01-05", ("rest", front, png)),
        _visit("2026-01-19", ("rest", front, None)),
    ]
    (c,) = compare_visit_views(visits)
    assert c.needs_photos and "needs both photos" in c.warning
    assert c.to_json()["checked"] is False


@pytest.mark.parametrize(("azimuth", "view"), [(45, "left_45"), (-45, "right_45")])
def test_the_demo_face_rendered_turned_reads_as_its_45_view(azimuth, view) -> None:
    """The demo photo on its own 3D mesh, rendered with the camera 45° to the patient's left
    (their left cheek shown) or right, then analysed as a photo: MediaPipe reads a 45° view
    on the side the camera was, with less turn than the camera's (measured: yaw 36.5° and
    33.3°: the second is flagged, 11.7° from its standard)."""
    from simulation.analysis import analyze_image
    from simulation.ingest import load_image
    from simulation.render import FaceRenderer, face_camera

    a = analysed(str(SAMPLE))
    m = a.mesh
    r = FaceRenderer(m.faces, m.uv, a.image.rgb, m.vertices_mm, (480, 560))
    cam = face_camera(m.vertices_mm, azimuth_deg=azimuth)
    img = r.render(m.vertices_mm, None, None, cam, None, None)
    turned = analyze_image(load_image(encode_png(img), name="rendered"))
    check = classify_view(turned.pose)
    assert check.view == view
    assert 30 < abs(turned.pose.yaw) < 45
    assert bool(check.warnings) == (abs(abs(turned.pose.yaw) - 45) > VIEW_TOLERANCE_DEG)
