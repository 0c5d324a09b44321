"""The face3d Streamlit component: registration with Streamlit's component v2 and the mount.

Its JavaScript (three.js included, minified) is served by Streamlit itself from `frontend/`,
declared as the component's asset_dir in this folder's `pyproject.toml`: no iframe, no CDN.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .payload import MeshLike, scene_payload, state_payload

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "pyproject.toml"


def _manifest() -> tuple[str, str, str, str]:
    """(project name, version, component name, asset_dir) from this folder's manifest."""
    with MANIFEST.open("rb") as f:
        data = tomllib.load(f)
    entry = data["tool"]["streamlit"]["component"]["components"][0]
    return data["project"]["name"], data["project"]["version"], entry["name"], entry["asset_dir"]


PROJECT, VERSION, COMPONENT, ASSET_DIR = _manifest()
NAME = f"{PROJECT}.{COMPONENT}"

SENT_KEY = "_face3d_scene_sent"  # session state: which scene id each viewer key was sent

_renderers: dict[int, Any] = {}


def _renderer() -> Any:
    """The mount callable on the running Streamlit's component manager (made once per manager).

    Streamlit finds `pyproject.toml` manifests of installed wheels by itself; an editable
    install (`pip install -e .`, as `make run` uses) has no file list to find it in, so the same
    manifest is registered here when the manager does not know the component's assets yet."""
    import streamlit as st
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager

    manager = get_bidi_component_manager()
    if manager.get_component_asset_root(NAME) is None:
        from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

        manifest = ComponentManifest(
            name=PROJECT,
            version=VERSION,
            components=[ComponentConfig(name=COMPONENT, asset_dir=ASSET_DIR)],
        )
        manager.register_from_manifest(manifest, HERE)
        _renderers.pop(id(manager), None)
    mount = _renderers.get(id(manager))
    if mount is None:
        mount = st.components.v2.component(NAME, js="face3d.js")
        _renderers[id(manager)] = mount
    return mount


def _fingerprint(*arrays: Any) -> str:
    """A cheap content hash of the scene's inputs (photos: every 7th pixel), to reuse a built
    scene across reruns instead of re-encoding the texture each time."""
    h = hashlib.sha1()
    for a in arrays:
        arr = np.ascontiguousarray(np.asarray(a))
        if arr.ndim == 3:
            arr = np.ascontiguousarray(arr[::7, ::7])
        h.update(str((arr.shape, arr.dtype.str)).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


_scenes: OrderedDict[str, dict[str, Any]] = OrderedDict()
_scenes_lock = threading.Lock()  # Streamlit runs each session's script on its own thread


def _scene(mesh: MeshLike, texture_rgb: np.ndarray, paths: list[np.ndarray]) -> dict[str, Any]:
    """`scene_payload`, memoised on the inputs' content (a few scenes, most recent kept)."""
    fp = _fingerprint(mesh.vertices_mm, mesh.faces, mesh.uv, texture_rgb, *paths)
    with _scenes_lock:
        scene = _scenes.pop(fp, None)
    if scene is None:
        scene = scene_payload(mesh, texture_rgb, paths)
    with _scenes_lock:
        _scenes[fp] = scene
        while len(_scenes) > 8:
            _scenes.popitem(last=False)
    return scene


def viewer(
    mesh: MeshLike,
    displacement_mm: np.ndarray | None,
    texture_rgb: np.ndarray,
    points_mm: np.ndarray | None = None,
    muscle_lines: Sequence[tuple[np.ndarray, float]] = (),
    *,
    key: str,
    max_mm: float | None = None,
    heat: bool = True,
    show_points: bool = True,
    show_muscles: bool = True,
    labels: tuple[str, str] = ("Before", "After"),
) -> None:
    """Before and after of one face as interactive WebGL views with one shared camera.

    `mesh` is the before face (e.g. `Analysis.mesh`), `texture_rgb` the photo its uv point
    into, `displacement_mm` (n, 3) moves it to the after face (heat map scaled 0..`max_mm`:
    keep `max_mm` fixed across days so colours compare). `points_mm` (k, 3) are injection
    points on the before face, `muscle_lines` (path (j, 3) on the before face, inhibition
    0..1) the muscles' lines of pull. The face goes to the browser once per `key`; later runs
    send only the state (displacement, points, colours, toggles), which moves the after view
    without rebuilding the scene or resetting the camera.
    """
    import streamlit as st

    scene = _scene(mesh, texture_rgb, [np.asarray(p) for p, _ in muscle_lines])
    state = state_payload(
        mesh.vertices_mm,
        displacement_mm,
        points_mm=points_mm,
        max_mm=max_mm,
        inhibition=[float(x) for _, x in muscle_lines],
        heat=heat,
        show_points=show_points,
        show_muscles=show_muscles,
        labels=labels,
    )
    sent: dict[str, str] = st.session_state.setdefault(SENT_KEY, {})
    full = sent.get(key) != scene["id"]
    sent[key] = scene["id"]
    _renderer()(
        key=key,
        data={"scene": scene if full else {"id": scene["id"]}, "state": state},
        height="content",
        on_need_scene_change=lambda: sent.pop(key, None),
    )
