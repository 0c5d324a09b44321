"""Clip decoding: a video file (path or bytes) streamed frame by frame as upright RGB arrays.

PyAV (FFmpeg, bundled in its wheel) decodes from the file or from the uploaded bytes in
memory: nothing is written to disk. Frames are yielded one at a time, so memory stays bounded
whatever the clip's length; a clip longer than `MAX_SECONDS` is refused from its header, and
one whose header says less than it holds is stopped at the limit. Everything the user can get
wrong becomes an `InputError` with a one-line message.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = [
    "ACCEPTED",
    "MAX_SECONDS",
    "WORKING_SIDE",
    "ClipInfo",
    "VideoFrame",
    "clip_info",
    "iter_frames",
]

ACCEPTED = "MP4, MOV or WebM"
MAX_SECONDS = 60.0
"""Longest clip accepted: a movement or a sequence of the seven takes ~20 s (the issue's limit);
a minute leaves room, and anything longer is refused before a frame is decoded."""
MIN_SECONDS = 0.5
"""Shortest clip: rest and a movement need at least half a second."""
WORKING_SIDE = 1280
"""Frames larger than this (longest side, px) are scaled down by FFmpeg while converting: a
720p face still gives an iris radius of 10+ px, and 4K frames would cost four times the time."""
MAX_FILE_BYTES = 2 * 1024**3
"""Largest file opened at all (a 2-hour phone video is larger; its header refuses it anyway)."""

_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"BM")


@dataclass(frozen=True)
class ClipInfo:
    """What the clip's header says: frame rate, length, size (as decoded, upright) and codec."""

    name: str
    fps: float
    duration_s: float
    frame_count: int
    width: int
    height: int
    codec: str

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "fps": round(self.fps, 3),
            "duration_s": round(self.duration_s, 3),
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "codec": self.codec,
        }


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: its index in the clip, its time (ms from the first frame) and pixels
    ((H, W, 3) uint8 RGB, read-only, upright, mirrored once if the clip is a selfie)."""

    index: int
    time_ms: float
    rgb: np.ndarray


Source = str | os.PathLike[str] | bytes


def _label(source: Source, name: str | None) -> str:
    if name is not None:
        text = name
    elif isinstance(source, bytes | bytearray | memoryview):
        text = "clip"
    else:
        text = Path(source).name or str(source)
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _check_source(source: Source, label: str) -> str | io.BytesIO:
    """What PyAV opens: the path (checked) or the bytes in memory (checked)."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if not data:
            raise InputError(
                "empty_file", f"{label} is empty (0 bytes): choose an {ACCEPTED} clip."
            )
        head = data[:16]
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise InputError(
                "file_not_found", f"{label} does not exist: check the path and file name."
            ) from None
        except OSError as exc:
            raise InputError(
                "file_not_readable", f"{label} cannot be read ({exc.strerror}): check the path."
            ) from None
        if not stat.S_ISREG(st.st_mode):
            raise InputError("not_a_file", f"{label} is not a regular file: give a video file.")
        if st.st_size == 0:
            raise InputError(
                "empty_file", f"{label} is empty (0 bytes): choose an {ACCEPTED} clip."
            )
        if st.st_size > MAX_FILE_BYTES:
            raise InputError(
                "too_long",
                f"{label} is {st.st_size / 2**30:.1f} GB: record one movement (up to "
                f"{MAX_SECONDS:.0f} s) and try again.",
            )
        try:
            with path.open("rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise InputError(
                "file_not_readable", f"{label} cannot be read ({exc.strerror}): check it."
            ) from None
        data = None
    else:
        raise TypeError(f"a clip is a path or bytes, not {type(source).__name__}")
    if head.startswith(_IMAGE_SIGNATURES) or head[4:12] in (b"ftypheic", b"ftypmif1"):
        raise InputError(
            "not_a_video",
            f"{label} is a photo, not a video: add it on the Photos page (or with `analyze`), "
            f"or choose an {ACCEPTED} clip.",
        )
    return io.BytesIO(data) if data is not None else str(source)


def _not_a_video(label: str) -> InputError:
    return InputError(
        "not_a_video", f"{label} is not a video this tool can read: choose an {ACCEPTED} clip."
    )


def _open(source: Source, label: str):
    import av

    target = _check_source(source, label)
    try:
        container = av.open(target, mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, ValueError, OSError):
        raise _not_a_video(label) from None
    if not container.streams.video:
        container.close()
        raise InputError(
            "no_video_stream",
            f"{label} holds no video picture (sound only?): choose an {ACCEPTED} clip.",
        )
    return container


def _info(container, label: str) -> ClipInfo:
    stream = container.streams.video[0]
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1e6
    else:
        duration = (stream.frames / fps) if stream.frames and fps else 0.0
    frames = int(stream.frames or round(duration * fps))
    if not fps or fps > 1000:
        fps = frames / duration if duration > 0 and frames else 30.0
    width, height = int(ctx.width or 0), int(ctx.height or 0)
    if ctx.codec is None or not width or not height:
        raise _unsupported_codec(label, getattr(ctx, "name", None) or "unknown")
    return ClipInfo(label, fps, duration, frames, width, height, ctx.name)


def _unsupported_codec(label: str, codec: str) -> InputError:
    return InputError(
        "unsupported_codec",
        f"{label} uses the {codec} video codec, which cannot be decoded here: export the clip "
        "as an H.264 MP4 and try again.",
    )


def _too_long(label: str, seconds: float) -> InputError:
    minutes = f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"
    return InputError(
        "too_long",
        f"{label} is {minutes} long; the limit is {MAX_SECONDS:.0f} s: trim it to one movement "
        "or a short sequence and try again.",
    )


def clip_info(source: Source, name: str | None = None) -> ClipInfo:
    """The clip's header (no frame decoded); `InputError` when it is no readable video or
    is too long."""
    label = _label(source, name)
    with _open(source, label) as container:
        info = _info(container, label)
    if info.duration_s > MAX_SECONDS:
        raise _too_long(label, info.duration_s)
    return info


def _scaled_size(width: int, height: int) -> tuple[int, int]:
    """The conversion size: at most WORKING_SIDE on the longest side, even dimensions."""
    scale = min(1.0, WORKING_SIDE / max(width, height))
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def _upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Apply the clip's display rotation (phones store portrait clips turned by 90°)."""
    turns = (-int(round(rotation / 90.0))) % 4  # FFmpeg's rotation is counter-clockwise
    return np.rot90(rgb, k=-turns) if turns else rgb


def iter_frames(
    source: Source,
    name: str | None = None,
    *,
    step: int = 1,
    wanted: set[int] | None = None,
    mirrored: bool = False,
) -> Iterator[VideoFrame]:
    """Every `step`-th frame of the clip (or only the frame indices in `wanted`), decoded one
    at a time. Frames not yielded are decoded (a codec needs them) but never converted."""
    import av

    label = _label(source, name)
    container = _open(source, label)
    try:
        info = _info(container, label)
        if info.duration_s > MAX_SECONDS:
            raise _too_long(label, info.duration_s)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        size = _scaled_size(info.width, info.height)
        last = max(wanted) if wanted else None
        t0: float | None = None
        index = -1
        try:
            for frame in container.decode(stream):
                index += 1
                t = frame.time if frame.time is not None else index / info.fps
                t0 = t if t0 is None else t0
                if t - t0 > MAX_SECONDS:
                    raise _too_long(label, t - t0)
                if last is not None and index > last:
                    return
                if (wanted is not None and index not in wanted) or (
                    wanted is None and index % step
                ):
                    continue
                rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
                rgb = _upright(rgb, getattr(frame, "rotation", 0) or 0)
                rgb = np.ascontiguousarray(rgb[:, ::-1] if mirrored else rgb)
                rgb.flags.writeable = False
                yield VideoFrame(index, 1000.0 * (t - t0), rgb)
        except av.error.InvalidDataError:
            if index < 1:
                raise _not_a_video(label) from None
            raise InputError(
                "truncated_video",
                f"{label} is damaged or cut off after frame {index} "
                f"({index / info.fps:.1f} s): copy or export the clip again.",
            ) from None
        except (av.error.DecoderNotFoundError, av.error.PatchWelcomeError):
            raise _unsupported_codec(label, info.codec) from None
    finally:
        container.close()
