"""The face through a clip: MediaPipe's landmarks on every sampled frame.

Decoding runs on a second thread, a few frames ahead of the tracker (a bounded queue), so the
two cores share the work and memory holds only those few frames. Each sample keeps its 478
landmarks (11 kB), never its pixels; the frames chosen later are decoded again.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..contours import PhotoFrame, frame_from_pupils, read_mouth_corners
from ..errors import InputError, Notice
from ..face import IRIS_DIAMETER_MM, LEFT_IRIS, RIGHT_IRIS
from ..landmarker import Detection, get_landmarker, video_tracker
from .decode import ClipInfo, Source, VideoFrame, clip_info, iter_frames

__all__ = ["SAMPLE_FPS", "TRACKING", "Sample", "Track", "sample_step", "track_clip"]

SAMPLE_FPS = 15.0
"""Frames tracked per second of clip: half of a 30 fps clip. Faster movements than a blink
(~100 ms) are not examined; onsets are read between samples (see `events`), so the timing
figures resolve well below the 67 ms between samples."""
MAX_MISSING = 0.2
"""Largest share of sampled frames without a whole face before the clip is refused
(assumption: beyond it the movement's start or peak is likely among the missing frames)."""
EDGE_MARGIN = 0.02
"""A face whose landmarks come within this share of the frame's size of an edge is cut off."""

TRACKING = ("image", "video")
WARM_UP = 4
"""Times the first frame is tracked before its sample is kept: the track's first frames come
from the face detector's coarser box and settle over about four frames (measured: the first
sample's brow and lids read up to 1 mm off)."""

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Sample:
    """One tracked frame: its index and time, and the face's 478 landmarks in the frame's pixels
    (None when no whole face was found)."""

    index: int
    time_ms: float
    landmarks_px: np.ndarray | None
    corner_shift_px: tuple[float, float] = (0.0, 0.0)  # (left, right), frame px, + = up


@dataclass(frozen=True)
class Track:
    """The clip's header, the frame size it was decoded at, and its samples in time order (those
    without a face left out), with what the user must know."""

    info: ClipInfo
    frame_size: tuple[int, int]  # (width, height) decoded
    samples: tuple[Sample, ...]
    missing: int
    warnings: tuple[Notice, ...]

    @property
    def times_ms(self) -> np.ndarray:
        return np.array([s.time_ms for s in self.samples])

    @property
    def corner_shifts_px(self) -> np.ndarray:
        """(T, 2) each sample's refined mouth-corner shifts (left, right), frame px."""
        return np.array([s.corner_shift_px for s in self.samples])

    @property
    def landmarks(self) -> np.ndarray:
        """(T, 478, 3) landmarks of every sample with a face."""
        return np.stack([s.landmarks_px for s in self.samples])


def sample_step(fps: float, sample_fps: float = SAMPLE_FPS) -> int:
    """Track every n-th frame, n such that about `sample_fps` frames a second are tracked."""
    return max(1, int(round(fps / sample_fps)))


def _whole(lm: np.ndarray, width: int, height: int) -> bool:
    """Whether the face lies inside the frame, clear of its edges."""
    mx, my = EDGE_MARGIN * width, EDGE_MARGIN * height
    xy = lm[:, :2]
    return bool(
        xy[:, 0].min() >= mx
        and xy[:, 1].min() >= my
        and xy[:, 0].max() <= width - mx
        and xy[:, 1].max() <= height - my
    )


def _corner_shifts(rgb: np.ndarray, lm: np.ndarray) -> tuple[float, float]:
    """How far the photo moves each mouth corner from MediaPipe's (frame px, left and right):
    the photo refinement of `analysis`, cheap enough (~1 ms) for every frame, so the mouth
    curves follow the image rather than the landmark model, which couples the two corners."""
    right, left = lm[RIGHT_IRIS, :2], lm[LEFT_IRIS, :2]
    rims = np.concatenate([lm[469:473, :2] - right, lm[474:478, :2] - left])
    radius = float(np.linalg.norm(rims, axis=1).mean())
    photo = PhotoFrame(
        rgb=rgb,
        landmarks_px=lm,
        frame=frame_from_pupils(right, left),
        radius_px=radius,
        mm_per_px=IRIS_DIAMETER_MM / (2.0 * radius),
        pupils_px={"right": right, "left": left},
        band=np.zeros((1, 1), np.float32),
        band_offset=np.zeros(2),
    )
    est = read_mouth_corners(photo)
    return float(est.left_px), float(est.right_px)


def _decoded(
    source: Source, name: str, step: int, mirrored: bool, out: queue.Queue, stop: threading.Event
) -> None:
    """Producer: decode the sampled frames into `out`, then None (or the error); stops early
    when `stop` is set."""
    try:
        for frame in iter_frames(source, name, step=step, mirrored=mirrored):
            if stop.is_set():
                return
            out.put(frame)
        out.put(None)
    except BaseException as err:  # handed to the consumer, which raises it
        out.put(err)


def track_clip(
    source: Source,
    name: str | None = None,
    *,
    sample_fps: float = SAMPLE_FPS,
    mirrored: bool = False,
    tracking: str = "image",
    progress: Progress | None = None,
) -> Track:
    """Find the face on every sampled frame; `InputError` for no face, or a face that leaves
    the frame in over a fifth of it. `tracking`: "image" finds the face afresh on each frame
    (two frames at a time on the two graphs of `get_landmarker`), "video" uses MediaPipe's
    VIDEO mode, which smooths landmarks over time and so delays and flattens fast movements
    (measured: a mouth corner's arrival at its peak read 130 ms late; docs/video.md)."""
    if tracking not in TRACKING:
        raise InputError(
            "unknown_tracking", f"unknown tracking '{tracking}': use {' or '.join(TRACKING)}"
        )
    info = clip_info(source, name)
    label = info.name
    step = sample_step(info.fps, sample_fps)
    expected = max(1, info.frame_count // step)
    frames: queue.Queue[VideoFrame | BaseException | None] = queue.Queue(maxsize=4)
    stop = threading.Event()
    worker = threading.Thread(
        target=_decoded, args=(source, label, step, mirrored, frames, stop), daemon=True
    )
    worker.start()
    samples: list[Sample] = []
    missing: list[float] = []
    size = (info.width, info.height)

    def keep(frame: VideoFrame, found: list[Detection]) -> None:
        nonlocal size
        h, w = frame.rgb.shape[:2]
        size = (w, h)
        lm = max(found, key=lambda d: d.box_area_px).landmarks_px if found else None
        if lm is not None and _whole(lm, w, h):
            shifts = _corner_shifts(frame.rgb, lm)
            samples.append(Sample(frame.index, frame.time_ms, lm, shifts))
        else:
            missing.append(frame.time_ms)
        if progress is not None:
            done = min(len(samples) + len(missing), expected) / expected
            progress(0.8 * done, f"finding the face: {frame.time_ms / 1000:.1f} s")

    try:
        batch = 2 if tracking == "image" else 1
        with contextlib.ExitStack() as stack:
            tracker = stack.enter_context(video_tracker()) if tracking == "video" else None
            ended = False
            while not ended:
                items: list[VideoFrame] = []
                while len(items) < batch:
                    item = frames.get()
                    if isinstance(item, BaseException):
                        raise item
                    if item is None:
                        ended = True
                        break
                    items.append(item)
                if tracker is not None:
                    for f in items:
                        if not samples and not missing:  # let the track settle first
                            for _ in range(WARM_UP):
                                tracker.detect(f.rgb, int(round(f.time_ms)))
                        keep(f, tracker.detect(f.rgb, int(round(f.time_ms))))
                elif len(items) == 2:
                    pair = get_landmarker().detect_pair(items[0].rgb, items[1].rgb)
                    for f, found in zip(items, pair, strict=True):
                        keep(f, found)
                elif items:
                    keep(items[0], get_landmarker().detect(items[0].rgb))
    finally:
        stop.set()
        while worker.is_alive():  # let the producer finish if we stopped early
            with contextlib.suppress(queue.Empty):
                frames.get(timeout=0.05)
    total = len(samples) + len(missing)
    if not samples:
        raise InputError(
            "no_face",
            f"{label}: no whole face found in any frame; film the face from the front, filling "
            "a third of the frame or more, well lit",
        )
    if len(samples) < 3:
        raise InputError(
            "too_short",
            f"{label} gives only {len(samples)} frames with a face: record at least a second.",
        )
    if len(missing) > MAX_MISSING * total:
        raise InputError(
            "face_left_frame",
            f"{label}: the face is missing or cut off by the frame's edge in {len(missing)} of "
            f"{total} frames (from {missing[0] / 1000:.1f} s): keep the whole face in view and "
            "record again",
        )
    warnings = []
    if missing:
        warnings.append(
            Notice(
                "face_partly_missing",
                f"the face was missing or cut off in {len(missing)} of {total} frames (first at "
                f"{missing[0] / 1000:.1f} s); the curves skip them",
            )
        )
    return Track(info, size, tuple(samples), len(missing), tuple(warnings))
