"""The face3d viewer: its payload in pure Python, then the component in a real browser (Debian's
Chromium with software WebGL, SwiftShader) on the tiny app tests/face3d_app.py.

The browser tests save screenshots and the measured timings under tests/artifacts/.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from dashboard.face3d import colour_scale, muscle_lines, scene_payload, state_payload
from dashboard.face3d.payload import b64, home_camera, nice_ticks, texture
from simulation.render import inhibition_colour
from tests.browser_util import ARTIFACTS, CHROMIUM, ROOT, WEBGL_ARGS, free_port, wait_idle


@dataclass
class _Mesh:
    vertices_mm: np.ndarray
    faces: np.ndarray
    uv: np.ndarray


def _grid_mesh(n: int = 6) -> _Mesh:
    xs, ys = np.meshgrid(np.linspace(-60, 60, n), np.linspace(-80, 60, n))
    v = np.column_stack([xs.ravel(), ys.ravel(), 20 - 0.01 * (xs**2 + ys**2).ravel()])
    faces = []
    for r in range(n - 1):
        for c in range(n - 1):
            i = r * n + c
            faces += [[i, i + 1, i + n], [i + 1, i + n + 1, i + n]]
    uv = np.column_stack([0.2 + 0.6 * (xs.ravel() + 60) / 120, 0.1 + 0.7 * (ys.ravel() + 80) / 140])
    return _Mesh(v, np.array(faces), uv)


def _photo(h: int = 900, w: int = 700) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.dstack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 90)]).astype(np.uint8)


def _decode(s: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=np.dtype(dtype).newbyteorder("<"))


# --- the payload (no browser) -------------------------------------------------------------------


def test_arrays_travel_as_little_endian_typed_arrays():
    a = np.arange(12, dtype=np.float64).reshape(4, 3) / 3
    assert np.allclose(_decode(b64(a, "f4"), "f4").reshape(4, 3), a, atol=1e-6)
    f = np.array([[0, 1, 2], [2, 3, 65535]])
    assert (_decode(b64(f, "u2"), "u2").reshape(2, 3) == f).all()


def test_texture_is_a_small_crop_and_the_uv_still_point_at_the_same_photo_pixels():
    from PIL import Image

    photo, mesh = _photo(), _grid_mesh()
    url, uv = texture(photo, mesh.uv)
    assert url.startswith("data:image/jpeg;base64,")
    crop = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    assert max(crop.shape[:2]) <= 512 and crop.shape[0] < photo.shape[0]
    assert uv.min() >= 0 and uv.max() <= 1
    for k in (0, 17, len(uv) - 1):  # v up in both: row = (1 - v) * height
        old = photo[int((1 - mesh.uv[k, 1]) * 899), int(mesh.uv[k, 0] * 699)]
        ch, cw = crop.shape[:2]
        new = crop[int((1 - uv[k, 1]) * (ch - 1)), int(uv[k, 0] * (cw - 1))]
        assert np.abs(old.astype(int) - new.astype(int))[:2].max() <= 8


def test_ticks_are_round_numbers_from_zero_to_the_top_of_the_scale():
    assert nice_ticks(0, 4) == [0, 1, 2, 3, 4]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    t = nice_ticks(0, 2.7)
    assert t[0] == 0 and t[-1] == 2.7 and np.all(np.diff(t) > 0.3)
    assert nice_ticks(0, 0) == [0]


def test_colour_scale_reads_in_mm_and_matches_the_renders():
    from simulation.render import HEAT_OPACITY

    c = colour_scale(3.0)
    assert c["min"] == 0 and c["max"] == 3.0 and c["label"] == "displacement (mm)"
    assert c["stops"][0] == [0.0, "#000004"] and c["stops"][-1] == [1.0, "#fcffa4"]
    assert c["opacity"] == list(HEAT_OPACITY)
    assert [label for _, label in c["ticks"]] == ["0.0", "1.0", "2.0", "3.0"]
    assert [label for _, label in colour_scale(0.5)["ticks"]][:2] == ["0.0", "0.1"]
    assert colour_scale(0.0)["max"] == 1.0 and colour_scale(float("nan"))["max"] == 1.0


def test_scene_is_sent_with_geometry_and_an_id_that_only_the_face_changes():
    mesh, photo = _grid_mesh(), _photo()
    s = scene_payload(mesh, photo, [mesh.vertices_mm[:4]])
    assert np.allclose(_decode(s["positions"], "f4").reshape(-1, 3), mesh.vertices_mm, atol=1e-4)
    assert (_decode(s["index"], "u2").reshape(-1, 3) == mesh.faces).all() and not s["index32"]
    assert len(s["lines"]) == 1
    assert s["lineColourBefore"] == "#{:02x}{:02x}{:02x}".format(*inhibition_colour(0.0))
    assert scene_payload(mesh, photo, [mesh.vertices_mm[:4]])["id"] == s["id"]
    moved = _Mesh(mesh.vertices_mm + 1.0, mesh.faces, mesh.uv)
    assert scene_payload(moved, photo, [mesh.vertices_mm[:4]])["id"] != s["id"]
    json.dumps(s)
    with pytest.raises(ValueError, match="uv"):
        scene_payload(_Mesh(mesh.vertices_mm, mesh.faces, mesh.uv[:-1]), photo)


def test_state_carries_the_after_view_the_plan_and_changes_version_with_them():
    v = _grid_mesh().vertices_mm
    n = len(v)
    disp = np.zeros((n, 3))
    disp[5] = [0, 3, 4]
    pts = v[[3, 20]] + 0.3
    s = state_payload(v, disp, points_mm=pts, inhibition=[0.0, 1.0], labels=("Before", "Day 14"))
    assert np.allclose(_decode(s["displacement"], "f4").reshape(n, 3), disp)
    assert s["colours"]["max"] == 5.0  # the largest movement, when no scale is given
    assert s["pointVertex"] == [3, 20] and len(_decode(s["points"], "f4")) == 6
    assert s["lineColours"] == ["#78c8ff", "#eb2828"] and s["labels"] == ["Before", "Day 14"]
    assert s["muscles"] is not None
    assert state_payload(v, disp, inhibition=[0.0], show_muscles=False)["muscles"] is None
    assert state_payload(v, disp, points_mm=pts, show_points=False)["pointVertex"] == []
    assert state_payload(v, disp * 0.5, max_mm=5.0)["colours"]["max"] == 5.0
    assert state_payload(v, disp)["version"] != state_payload(v, disp * 0.5)["version"]
    assert state_payload(v, disp)["version"] == state_payload(v, disp.copy())["version"]
    assert state_payload(v, disp)["version"] != state_payload(v, disp, points_mm=pts)["version"]
    assert state_payload(v, None)["displacement"] is None
    with pytest.raises(ValueError, match=r"\(36, 3\)"):
        state_payload(v, disp[:-1])


def test_muscle_lines_pair_each_atlas_path_with_its_inhibition():
    from simulation import atlas
    from simulation.canonical import canonical_mesh

    v = canonical_mesh().vertices_mm
    paths = atlas.muscle_paths(v)
    mid = paths[0][0]
    lines = muscle_lines(v, {mid: 0.7})
    assert len(lines) == len(paths) and lines[0][1] == 0.7
    assert all(x == 0.0 for _, x in lines[1:]) and np.allclose(lines[0][0], paths[0][1])
    assert [x for _, x in muscle_lines(v)] == [0.0] * len(paths)


def test_home_camera_frames_the_face_from_the_front():
    v = _grid_mesh().vertices_mm
    cam = home_camera(v)
    assert cam["fov"] == 30.0
    assert np.allclose(cam["target"], 0.5 * (v.min(axis=0) + v.max(axis=0)), atol=1e-3)
    height = np.ptp(v[:, 1])
    assert height / 2 < cam["distance"] * np.tan(np.radians(15)) < height  # fits, with a margin


def _viewer_data(at) -> dict:
    (el,) = [e for e in at.main if getattr(e, "type", "") == "bidi_component"]
    assert el.proto.component_name == "symmetry-studio.face3d"
    assert el.proto.js_source_path == "face3d.js" and not el.proto.js_content  # served, not inlined
    return json.loads(el.proto.json)


def test_the_app_sends_the_scene_once_then_only_the_state():
    """Streamlit's script runner without a browser (AppTest): the first run carries the whole
    scene, a slider change only its id and the new state."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "tests" / "face3d_app.py"), default_timeout=120).run()
    assert not at.exception
    first = _viewer_data(at)
    assert first["scene"]["positions"] and first["scene"]["texture"].startswith("data:image/")
    at.slider(key="mm").set_value(3.0).run()
    second = _viewer_data(at)
    assert second["scene"] == {"id": first["scene"]["id"]}
    assert second["state"]["version"] != first["state"]["version"]
    assert len(json.dumps(second)) < len(json.dumps(first)) / 3


# --- the component in a browser -----------------------------------------------------------------

VIEWER = ".face3d"


@contextlib.contextmanager
def _app_server(script: str = "tests/face3d_app.py", timeout: float = 60.0) -> Iterator[str]:
    """`streamlit run` of a small app on a free local port; yields its URL, always stops it."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd += ["--browser.gatherUsageStats", "false"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def viewer_page():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with _app_server() as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=WEBGL_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            t0 = time.monotonic()
            page.goto(url)
            page.wait_for_selector(f"{VIEWER}[data-ready='1']", timeout=90_000)
            timings = {"first_view_s_from_goto": round(time.monotonic() - t0, 2)}
            wait_idle(page)
            yield page, url, requests, errors, timings
        finally:
            browser.close()


def _data(page) -> dict[str, str]:
    return page.locator(VIEWER).first.evaluate("e => Object.assign({}, e.dataset)")


def _canvas(page, view: str) -> np.ndarray:
    from PIL import Image

    png = page.locator(f"canvas[data-view={view}]").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def _drag(page, view: str, dx: float, dy: float = 0.0) -> None:
    box = page.locator(f"canvas[data-view={view}]").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x + dx * k / 10, y + dy * k / 10)
    page.mouse.up()
    page.wait_for_timeout(300)


def _wait_for(page, predicate, timeout_s: float = 30.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        d = _data(page)
        if predicate(d):
            return d
        page.wait_for_timeout(20)
    raise TimeoutError(f"viewer state never matched: {_data(page)}")


@pytest.mark.browser
def test_both_views_are_webgl_canvases_of_the_same_size(viewer_page):
    page, _, _, errors, timings = viewer_page
    canvases = page.locator(f"{VIEWER} canvas")
    assert canvases.count() == 2
    kinds = canvases.evaluate_all(
        "cs => cs.map(c => !!(c.getContext('webgl2') || c.getContext('webgl')))"
    )
    assert kinds == [True, True]
    a, b = (canvases.nth(i).bounding_box() for i in range(2))
    assert (round(a["width"]), round(a["height"])) == (round(b["width"]), round(b["height"]))
    assert a["y"] == b["y"] and a["x"] < b["x"]  # side by side
    before, after = _canvas(page, "before"), _canvas(page, "after")
    assert before.std() > 20 and after.std() > 20  # a textured face, not a blank canvas
    d = _data(page)
    assert d["sceneBuilds"] == "1" and not errors
    timings["first_view_ms_since_navigation"] = int(d["firstFrameMs"])
    timings["first_view_ms_from_component_mount"] = int(d["mountToFrameMs"])
    page.screenshot(path=str(ARTIFACTS / "face3d_1280.png"))


@pytest.mark.browser
def test_turning_one_view_turns_both(viewer_page):
    page, *_ = viewer_page
    cam0 = _data(page)["camera"]
    before0, after0 = _canvas(page, "before"), _canvas(page, "after")
    _drag(page, "before", 160, 20)
    cam1 = _data(page)["camera"]
    before1, after1 = _canvas(page, "before"), _canvas(page, "after")
    assert cam1 != cam0
    assert _changed(before0, before1) > 5 and _changed(after0, after1) > 5
    page.screenshot(path=str(ARTIFACTS / "face3d_1280_turned.png"))
    _drag(page, "after", -60)  # and the other way round: the after view drives the before
    assert _data(page)["camera"] != cam1
    assert _changed(before1, _canvas(page, "before")) > 2


@pytest.mark.browser
def test_zooming_one_view_zooms_both(viewer_page):
    page, *_ = viewer_page
    far = np.linalg.norm(json.loads(_data(page)["camera"]))
    before0, after0 = _canvas(page, "before"), _canvas(page, "after")
    box = page.locator("canvas[data-view=after]").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(400)
    assert np.linalg.norm(json.loads(_data(page)["camera"])) < 0.95 * far
    assert _changed(before0, _canvas(page, "before")) > 2
    assert _changed(after0, _canvas(page, "after")) > 2


@pytest.mark.browser
def test_a_new_displacement_moves_the_after_view_without_a_reload(viewer_page):
    page, _, _, errors, timings = viewer_page
    d0 = _data(page)
    before0, after0 = _canvas(page, "before"), _canvas(page, "after")
    slider = page.get_by_role("slider").first
    slider.focus()
    t0 = time.monotonic()
    slider.press("ArrowRight")  # 2.0 -> 2.5 mm: time one change, key press to drawn frame
    d1 = _wait_for(
        page, lambda d: d.get("renderedVersion", d0["stateVersion"]) != d0["stateVersion"]
    )
    timings["update_s_from_slider_to_new_after_view"] = round(time.monotonic() - t0, 2)
    timings["update_ms_in_browser"] = float(d1["updateMs"])
    wait_idle(page)
    slider.press("ArrowRight")  # -> 3.0 mm
    _wait_for(page, lambda d: d.get("renderedVersion") not in (None, d1["renderedVersion"]))
    wait_idle(page)
    d1 = _data(page)
    assert d1["sceneBuilds"] == d0["sceneBuilds"] == "1"  # the scene was not rebuilt
    assert d1["sceneId"] == d0["sceneId"] and d1["camera"] == d0["camera"]  # camera kept
    assert int(d1["stateUpdates"]) > int(d0["stateUpdates"])
    assert d1["scenePayloads"] == "1"  # the update carried the state only
    assert int(d1["lastPayloadBytes"]) < int(d0["lastPayloadBytes"]) / 3
    timings["payload_bytes_first_and_update"] = [
        int(d0["lastPayloadBytes"]),
        int(d1["lastPayloadBytes"]),
    ]
    assert _changed(after0, _canvas(page, "after")) > 0.05
    assert _changed(before0, _canvas(page, "before")) < 0.05
    assert "3 mm" in page.locator(f"{VIEWER} .title").nth(1).inner_text()
    assert not errors
    (ARTIFACTS / "face3d_timings.json").write_text(json.dumps(timings, indent=2))


@pytest.mark.browser
def test_hiding_the_muscles_keeps_the_scene_and_the_camera(viewer_page):
    page, *_ = viewer_page
    _drag(page, "before", 40, 10)
    d0, before0 = _data(page), _canvas(page, "before")
    page.get_by_text("Muscles", exact=True).click()
    d1 = _wait_for(page, lambda d: d.get("stateVersion") != d0["stateVersion"])
    wait_idle(page)
    assert d1["sceneBuilds"] == "1" and d1["camera"] == d0["camera"]
    assert _changed(before0, _canvas(page, "before")) > 0.5  # the lines are gone
    page.get_by_text("Muscles", exact=True).click()
    _wait_for(page, lambda d: d.get("stateVersion") == d0["stateVersion"])
    wait_idle(page)


@pytest.mark.browser
def test_reset_returns_both_views_to_the_front(viewer_page):
    page, *_ = viewer_page
    page.locator(f"{VIEWER} button", has_text="Reset view").click()
    page.wait_for_timeout(300)
    home = _data(page)["camera"]
    x, _, z = json.loads(home)
    assert abs(x) < 0.5 and z > 100
    _drag(page, "after", 80, -30)
    assert _data(page)["camera"] != home
    page.locator("canvas[data-view=before]").dblclick()  # double-click resets too
    page.wait_for_timeout(300)
    assert _data(page)["camera"] == home
    page.screenshot(path=str(ARTIFACTS / "face3d_1280_after_update.png"))


@pytest.mark.browser
def test_narrow_window_keeps_two_equal_views(viewer_page):
    page, *_ = viewer_page
    page.set_viewport_size({"width": 800, "height": 800})
    page.wait_for_timeout(600)
    a, b = (page.locator(f"{VIEWER} canvas").nth(i).bounding_box() for i in range(2))
    assert abs(a["width"] - b["width"]) < 1 and abs(a["height"] - b["height"]) < 1
    assert a["x"] + a["width"] <= b["x"] and b["x"] + b["width"] <= 800
    assert _canvas(page, "after").std() > 20
    page.screenshot(path=str(ARTIFACTS / "face3d_800.png"))
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.browser
def test_a_remounted_viewer_asks_for_the_scene_again(viewer_page):
    page, _, _, errors, _ = viewer_page
    hide = page.get_by_text("Hide the 3D view")
    hide.click()
    wait_idle(page)
    assert page.locator(VIEWER).count() == 0
    hide.click()  # Python already sent this scene: the new element gets its id, asks for it
    page.wait_for_selector(f"{VIEWER}[data-ready='1']", timeout=60_000)
    wait_idle(page)
    d = _data(page)
    assert d["sceneBuilds"] == "1" and d["scenePayloads"] == "1"
    assert "3 mm" in page.locator(f"{VIEWER} .title").nth(1).inner_text()
    assert _canvas(page, "after").std() > 20 and not errors


@pytest.mark.browser
def test_nothing_is_fetched_from_outside_this_machine(viewer_page):
    _, url, requests, *_ = viewer_page
    assert any("bidi-components" in r and r.endswith("face3d.js") for r in requests), requests
    outside = [
        r
        for r in requests
        if not r.startswith(("data:", "blob:"))
        and urllib.parse.urlsplit(r).hostname not in {"127.0.0.1", "localhost"}
    ]
    assert outside == []
