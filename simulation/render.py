"""Off-screen pictures of the subject's face mesh (pyvista/VTK, no display, no Streamlit).

VTK 9.3+ picks an EGL (or OSMesa) render window by itself when there is no X display, so no
Xvfb is needed; `VTK_DEFAULT_OPENGL_WINDOW` is preset to EGL to skip the failed X attempt.

Both sides of a before/after view are drawn with one camera (`face_camera` of the *before*
vertices), so a difference between the pictures is a difference of the face, not of the view.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .contours import Frame

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

# VTK's OpenGL (EGL) contexts belong to the thread that made them, and Streamlit runs every
# rerun on a new thread: so every VTK call goes through this one worker thread.
_VTK_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtk-render")


def _on_vtk_thread(fn, *args, **kwargs):
    return _VTK_THREAD.submit(fn, *args, **kwargs).result()


def warm_up() -> None:
    """Load VTK and set up its off-screen OpenGL once, on the render thread, so that the first
    face drawn for a user does not pay ~1.2 s of one-off start-up (measured: the first plotter
    of a process takes 0.9 s, later ones 0.1 s, plus 0.4 s to import pyvista)."""
    _on_vtk_thread(_draw_once)


def _draw_once() -> None:
    import pyvista as pv

    p = pv.Plotter(off_screen=True, window_size=[64, 64])
    p.add_mesh(pv.Sphere())
    p.screenshot(return_img=True)
    p.close()


Camera = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]

HEAT_CMAP = "inferno"
HEAT_OPACITY = [0.0, 0.35, 0.55, 0.7, 0.75]  # transparent where nothing moves
SCALAR_BAR = {
    "title": "displacement (mm)",
    "vertical": False,
    "position_x": 0.2,
    "position_y": 0.03,
    "width": 0.6,
    "height": 0.07,
    "color": "white",
    "title_font_size": 14,
    "label_font_size": 12,
    "fmt": "%.1f",
}
BACKGROUND = "#0e1117"


def face_camera(
    vertices: np.ndarray, azimuth_deg: float = 0.0, elevation_deg: float = 0.0
) -> Camera:
    """A camera looking at the face from the front (+z towards the viewer, +y up), turned by
    `azimuth_deg` about the vertical axis (positive: towards the patient's left)."""
    v = np.asarray(vertices, dtype=np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    centre = 0.5 * (lo + hi)
    height = float(max(hi[1] - lo[1], (hi[0] - lo[0]) * 560 / 480))
    dist = height / (2.0 * np.tan(np.radians(15.0))) * 1.08  # 30° view angle, a small margin
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    direction = np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
    pos = centre + dist * direction
    return (tuple(pos), tuple(centre), (0.0, 1.0, 0.0))


def _polydata(vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray | None):
    import pyvista as pv

    f = np.asarray(faces, dtype=np.int64)
    cells = np.hstack([np.full((len(f), 1), 3, dtype=np.int64), f]).ravel()
    mesh = pv.PolyData(np.asarray(vertices, dtype=np.float64), cells)
    if uv is not None:
        mesh.active_texture_coordinates = np.asarray(uv, dtype=np.float64)
    return mesh


def render_mesh_png(
    vertices: np.ndarray,
    faces: np.ndarray,
    uv: np.ndarray,
    texture_rgb: np.ndarray,
    scalars: np.ndarray | None = None,
    points: np.ndarray | None = None,
    window: tuple[int, int] = (480, 560),
    camera: Camera | None = None,
    clim: tuple[float, float] | None = None,
) -> np.ndarray:
    """One off-screen picture of the photo-textured face (heat map from `scalars` in mm,
    injection `points`), through the same scene as `FaceRenderer`, built and closed once."""
    r = FaceRenderer(faces, uv, texture_rgb, vertices, window)
    try:
        with r.lock:
            return r.render(vertices, scalars, points, camera, clim)
    finally:
        r.close()


def draw_landmarks(
    rgb: np.ndarray, landmarks_px: np.ndarray, frame: Frame | None = None
) -> np.ndarray:
    """The photo with the landmarks dotted over it (irises in a second colour) and the
    measuring frame's axes, for the per-photo quality check."""
    from PIL import Image, ImageDraw

    im = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    scale = max(im.size) / 900.0
    r = max(1.0, 1.4 * scale)
    d = ImageDraw.Draw(im)
    lm = np.asarray(landmarks_px, dtype=np.float64)
    for i, (x, y) in enumerate(lm[:, :2]):
        colour = (255, 60, 120) if i >= 468 else (0, 230, 255)
        d.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    if frame is not None:
        o = np.asarray(frame.origin)
        span = 0.6 * float(np.ptp(lm[:, 0]))
        for axis, colour in ((frame.x_axis, (255, 210, 0)), (frame.y_axis, (120, 255, 120))):
            e = o + span * np.asarray(axis)
            d.line([tuple(o), tuple(e)], fill=colour, width=max(1, int(2 * scale)))
    return np.asarray(im)


def face_crop(rgb: np.ndarray, a: Any, margin: float = 0.35) -> np.ndarray:
    """The photo cropped around the face of analysis `a` (landmark box plus a margin), for display:
    the dashboard and the report show before and predicted in this same crop."""
    lm = a.landmarks_px[:, :2]
    lo, hi = lm.min(axis=0), lm.max(axis=0)
    pad = (hi - lo) * margin
    h, w = rgb.shape[:2]
    x0, y0 = np.maximum(np.floor(lo - pad), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(hi + pad), [w, h]).astype(int)
    return rgb[y0:y1, x0:x1]


def fit_panel(
    rgb: np.ndarray, size: tuple[int, int], background: tuple[int, int, int] = (14, 17, 23)
) -> np.ndarray:
    """`rgb` scaled to fit a (width, height) panel, centred on a plain background."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    im.thumbnail(size, Image.Resampling.LANCZOS)
    panel = Image.new("RGB", size, background)
    panel.paste(im, ((size[0] - im.width) // 2, (size[1] - im.height) // 2))
    return np.asarray(panel)


def grid(rows: Sequence[Sequence[np.ndarray]], size: tuple[int, int] = (480, 560)) -> np.ndarray:
    """Images arranged in rows of equal panels (each fitted to `size`), one uint8 image."""
    return np.vstack([np.hstack([fit_panel(im, size) for im in row]) for row in rows])


class FaceRenderer:
    """A persistent off-screen scene for one subject: updating the vertices, heat map and
    points and taking a screenshot costs tens of milliseconds instead of building a plotter
    (several hundred) for every frame. Not thread-safe by itself: callers hold `lock`."""

    def __init__(self, *args, **kwargs) -> None:
        _on_vtk_thread(self._init, *args, **kwargs)

    def render(self, *args, **kwargs) -> np.ndarray:
        """Update the scene and screenshot it (vertices, scalars, points, camera, clim, lines:
        polylines with RGB colours, e.g. the muscles)."""
        return _on_vtk_thread(self._render, *args, **kwargs)

    def close(self) -> None:
        _on_vtk_thread(self._plotter.close)

    def _init(
        self,
        faces: np.ndarray,
        uv: np.ndarray,
        texture_rgb: np.ndarray,
        vertices: np.ndarray,
        window: tuple[int, int] = (480, 560),
    ) -> None:
        import threading

        import pyvista as pv

        pv.OFF_SCREEN = True
        self.lock = threading.Lock()
        self._faces = np.asarray(faces)
        self._mesh = _polydata(vertices, faces, uv)
        self._heat = _polydata(np.asarray(vertices) + [0.0, 0.0, 0.4], faces, None)
        self._heat.point_data["mm"] = np.zeros(len(vertices))
        tex = pv.Texture(np.ascontiguousarray(np.asarray(texture_rgb, dtype=np.uint8)))
        tex.interpolate = True
        p = pv.Plotter(off_screen=True, window_size=list(window), lighting="none")
        p.set_background(BACKGROUND)
        p.add_light(pv.Light(position=(0, 80, 400), light_type="camera light", intensity=0.55))
        p.add_mesh(self._mesh, texture=tex, smooth_shading=True, ambient=0.55, diffuse=0.5)
        self._heat_actor = p.add_mesh(
            self._heat,
            scalars="mm",
            cmap=HEAT_CMAP,
            clim=(0.0, 1.0),
            opacity=HEAT_OPACITY,
            smooth_shading=True,
            ambient=0.8,
            diffuse=0.3,
            show_scalar_bar=True,
            scalar_bar_args=SCALAR_BAR,
        )
        self._points = pv.PolyData(np.zeros((1, 3)))
        self._points_actor = p.add_points(
            self._points,
            color="#00e5ff",
            point_size=11,
            render_points_as_spheres=True,
            ambient=1.0,
            diffuse=0.0,
        )
        self._lines = pv.PolyData(np.zeros((2, 3)), lines=[2, 0, 1])
        self._lines.cell_data["rgb"] = np.zeros((1, 3), dtype=np.uint8)
        self._lines_actor = p.add_mesh(
            self._lines,
            scalars="rgb",
            rgb=True,
            line_width=4,
            render_lines_as_tubes=True,
            ambient=1.0,
            diffuse=0.0,
            show_scalar_bar=False,
        )
        self._lines_actor.visibility = False
        self._plotter = p

    def _render(
        self,
        vertices: np.ndarray,
        scalars: np.ndarray | None = None,
        points: np.ndarray | None = None,
        camera: Camera | None = None,
        clim: tuple[float, float] | None = None,
        lines: Sequence[tuple[np.ndarray, tuple[int, int, int]]] | None = None,
    ) -> np.ndarray:
        v = np.asarray(vertices, dtype=np.float64)
        if lines:
            self._lines.copy_from(_polylines(lines))
            self._lines_actor.visibility = True
        else:
            self._lines_actor.visibility = False
        p = self._plotter
        self._mesh.points = v
        self._mesh.compute_normals(inplace=True, cell_normals=False)
        self._heat.points = v + [0.0, 0.0, 0.4]
        if scalars is not None:
            s = np.asarray(scalars, dtype=np.float64)
            self._heat.point_data["mm"] = s
            hi = clim if clim is not None else (0.0, max(float(s.max()), 0.5))
            self._heat_actor.mapper.scalar_range = hi
        self._heat_actor.visibility = scalars is not None
        if p.scalar_bars:
            for bar in p.scalar_bars.values():
                bar.SetVisibility(scalars is not None)
        if points is not None and len(points):
            pts = np.atleast_2d(np.asarray(points, dtype=np.float64)) + [0.0, 0.0, 1.0]
            new = _polydata_points(pts)
            self._points.copy_from(new)
            self._points_actor.visibility = True
        else:
            self._points_actor.visibility = False
        p.camera_position = camera if camera is not None else face_camera(v)
        p.camera.view_angle = 30.0
        p.render()
        img = p.screenshot(return_img=True)
        return np.ascontiguousarray(np.asarray(img)[..., :3], dtype=np.uint8)


def _polylines(lines: Sequence[tuple[np.ndarray, tuple[int, int, int]]]) -> Any:
    """One pyvista PolyData of polylines (k, 3), each with its RGB colour, lifted 1 mm off the
    skin so the face does not hide them."""
    import pyvista as pv

    pts, cells, colours = [], [], []
    start = 0
    for path, rgb in lines:
        path = np.asarray(path, dtype=np.float64) + [0.0, 0.0, 1.0]
        pts.append(path)
        cells.extend([len(path), *range(start, start + len(path))])
        colours.append(rgb)
        start += len(path)
    poly = pv.PolyData(np.vstack(pts), lines=np.asarray(cells))
    poly.cell_data["rgb"] = np.asarray(colours, dtype=np.uint8)
    return poly


def inhibition_colour(inhibition: float) -> tuple[int, int, int]:
    """Muscle colour for the overlay: pale blue when working, through to red when blocked."""
    t = float(np.clip(inhibition, 0.0, 1.0))
    lo, hi = np.array([120, 200, 255]), np.array([235, 40, 40])
    return tuple(int(c) for c in np.round(lo + t * (hi - lo)))


def _polydata_points(points: np.ndarray) -> Any:
    """A pyvista point cloud (imported lazily: VTK loads only where a scene is drawn)."""
    import pyvista as pv

    return pv.PolyData(np.asarray(points, dtype=np.float64))
