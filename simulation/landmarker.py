"""The bundled MediaPipe Face Landmarker: checksum-verified, loaded once per process."""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelFileError

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MODEL_PATH = Path(__file__).resolve().parent / "models" / "face_landmarker.task"
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
MODEL_ENV = "SYMMETRY_STUDIO_MODEL"

_lock = threading.Lock()
_instance: _Landmarker | None = None
_model_bytes: tuple[Path, bytes] | None = None  # the verified model file, by its path


@dataclass(frozen=True)
class Detection:
    """One detected face, in the pixels of the image it was found in."""

    landmarks_px: np.ndarray  # (478, 3): x, y in pixels; z in pixels (MediaPipe depth x width)
    blendshapes: dict[str, float]
    transform: np.ndarray  # (4, 4) canonical-face-to-camera matrix from MediaPipe
    box_area_px: float


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Hide MediaPipe's native start-up log lines (they bypass Python's logging) from users."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def model_path() -> Path:
    """The model file in use: `$SYMMETRY_STUDIO_MODEL` if set, else the bundled one."""
    return Path(os.environ.get(MODEL_ENV) or MODEL_PATH)


def verify_model(path: Path) -> bytes:
    """Read the model file and check its sha256; raise a one-line error if missing or corrupt."""
    if not path.is_file():
        raise ModelFileError(
            f"landmark model not found at {path}: reinstall symmetry-studio or point "
            f"{MODEL_ENV} to face_landmarker.task (sha256 {MODEL_SHA256})"
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise ModelFileError(
            f"landmark model {path} is corrupt (sha256 {digest[:12]}…, expected {MODEL_SHA256}): "
            "reinstall symmetry-studio"
        )
    return data


class _Landmarker:
    """Two MediaPipe FaceLandmarker graphs behind one lock, so a photo and its mirror image are
    detected at the same time on two cores (each graph runs on its own native thread; one
    detection is single-threaded, so the pair costs one detection's time, not two: measured
    20 -> 11 ms). A graph is not safe to call from two threads, hence the lock."""

    def __init__(self, model_bytes: bytes) -> None:
        with _quiet_native_stderr(), ThreadPoolExecutor(2) as pool:
            made = [pool.submit(_create_graph, model_bytes) for _ in range(2)]
            self._graphs = [m.result() for m in made]
        self._second = ThreadPoolExecutor(1, thread_name_prefix="landmarker")
        self._lock = threading.Lock()

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Every face in one RGB image (up to four)."""
        with self._lock:
            return _detections(self._graphs[0], rgb)

    def detect_pair(
        self, rgb: np.ndarray, other: np.ndarray
    ) -> tuple[list[Detection], list[Detection]]:
        """The faces in two images (a photo and its mirror image), detected concurrently."""
        with self._lock:
            pending = self._second.submit(_detections, self._graphs[1], other)
            first = _detections(self._graphs[0], rgb)
            return first, pending.result()

    def release_at_exit(self) -> None:
        """Silence MediaPipe's own teardown: its dispatcher stops before atexit runs, so a later
        close() (also called from its __del__) would print a traceback; the OS frees the graph."""
        for graph in self._graphs:
            graph.close = lambda: None


class VideoTracker:
    """One VIDEO-mode FaceLandmarker graph for one clip: it tracks the face from frame to frame
    instead of searching the whole frame each time (about 10 ms a frame here). A graph keeps
    its track between calls and needs rising timestamps, so each clip gets its own; close it
    when the clip is done (or use it as a context manager)."""

    def __init__(self, model_bytes: bytes) -> None:
        with _quiet_native_stderr():
            self._graph = _create_graph(model_bytes, video=True)
        self._last_ms = -1

    def detect(self, rgb: np.ndarray, timestamp_ms: int) -> list[Detection]:
        """The face in one frame (at most one) at `timestamp_ms` since the clip's start; a
        timestamp not above the previous one is moved just past it, as MediaPipe requires."""
        import mediapipe as mp

        ts = max(int(timestamp_ms), self._last_ms + 1)
        self._last_ms = ts
        h, w = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        return _to_detections(self._graph.detect_for_video(image, ts), w, h)

    def close(self) -> None:
        """Free the graph now rather than at garbage collection."""
        with _quiet_native_stderr():
            self._graph.close()

    def __enter__(self) -> VideoTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _create_graph(model_bytes: bytes, video: bool = False) -> Any:
    """One FaceLandmarker graph, warmed up (its first call pays XNNPACK set-up); in VIDEO mode
    one face, tracked between frames."""
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=model_bytes),
        running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
        num_faces=1 if video else 4,
        output_face_blendshapes=True,
        output_facial_transformation_matrixes=True,
        min_face_detection_confidence=0.5,
        min_face_presence_confidence=0.5,
    )
    graph = vision.FaceLandmarker.create_from_options(options)
    if not video:  # a VIDEO graph's first frame would fix its timestamps' origin
        graph.detect(mp_blank())
    return graph


def _detections(graph: Any, rgb: np.ndarray) -> list[Detection]:
    import mediapipe as mp

    h, w = rgb.shape[:2]
    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
    return _to_detections(graph.detect(image), w, h)


def _to_detections(result: Any, w: int, h: int) -> list[Detection]:
    """MediaPipe's result as `Detection`s in the pixels of a w x h image."""
    faces = []
    for i, lms in enumerate(result.face_landmarks):
        pts = np.array([(p.x * w, p.y * h, p.z * w) for p in lms], dtype=np.float64)
        shapes = {c.category_name: float(c.score) for c in result.face_blendshapes[i]}
        transform = np.asarray(result.facial_transformation_matrixes[i], dtype=np.float64)
        span = pts[:, :2].max(axis=0) - pts[:, :2].min(axis=0)
        faces.append(Detection(pts, shapes, transform, float(span[0] * span[1])))
    return faces


def mp_blank() -> Any:
    """A small blank image that warms a graph up."""
    import mediapipe as mp

    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((64, 64, 3), np.uint8))


def _verified_model() -> bytes:
    """The model file's bytes, checksum-verified once per process and model path (call under
    `_lock`)."""
    global _model_bytes
    path = model_path()
    if _model_bytes is None or _model_bytes[0] != path:
        _model_bytes = (path, verify_model(path))
    return _model_bytes[1]


def get_landmarker() -> _Landmarker:
    """The process-wide landmarker, created on first use (thread-safe)."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = _Landmarker(_verified_model())
            atexit.register(_instance.release_at_exit)
        return _instance


def video_tracker() -> VideoTracker:
    """A new VIDEO-mode tracker for one clip, from the same verified model as `get_landmarker`."""
    with _lock:
        data = _verified_model()
    return VideoTracker(data)
