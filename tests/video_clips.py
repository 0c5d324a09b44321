"""Test helper: synthetic clips of a real photo with a known per-side movement, written with
OpenCV's VideoWriter (MPEG-4 part 2 in MP4, or Motion-JPEG in AVI)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from simulation.analysis import Analysis

FPS = 30.0


def corner_lift_field(analysis: Analysis, shape: tuple[int, int], side: str) -> np.ndarray:
    """(H, W, 2) image-pixel displacement that lifts the `side` mouth corner by 1 mm (flat within
    2 mm of it, Gaussian fall-off of 3 mm beyond: tests/warp.py `lift_mouth_corner`)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    local = analysis.frame.to_frame(np.stack([xx, yy], axis=-1)) * analysis.mm_per_px
    corner = analysis.points_mm[f"corner_{side}"]
    dist = np.maximum(np.abs(local - corner) - 2.0, 0.0)
    bump = np.exp(-0.5 * (dist**2).sum(axis=-1) / 3.0**2) / analysis.mm_per_px
    return (bump[..., None] * analysis.frame.y_axis).astype(np.float32)


def ramp(n: int, start: int, rise: int, hold: int) -> np.ndarray:
    """(n,) 0..1 profile: rest until `start`, a smoothstep up over `rise` frames, `hold` frames
    at the top, down over `rise`, then rest."""
    k = np.arange(n, dtype=np.float64)
    up = np.clip((k - start) / rise, 0, 1)
    down = np.clip((k - start - rise - hold) / rise, 0, 1)
    s = up - down
    return s * s * (3 - 2 * s)


def smile_clip(
    path: Path,
    rgb: np.ndarray,
    analysis: Analysis,
    lift_mm: dict[str, float],
    start: dict[str, int],
    n: int = 75,
    rise: int = 12,
    hold: int = 18,
    fourcc: str = "mp4v",
    shift_px: tuple[float, float] = (0.0, 0.0),
) -> Path:
    """Write a clip of `rgb` whose mouth corners lift by `lift_mm` per side, each starting at
    its own frame in `start`; `shift_px` moves the whole picture per frame (x, y)."""
    h, w = rgb.shape[:2]
    fields = {s: corner_lift_field(analysis, (h, w), s) for s in lift_mm}
    profiles = {s: lift_mm[s] * ramp(n, start[s], rise, hold) for s in lift_mm}
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bgr = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, (w, h))
    for k in range(n):
        d = sum(np.float32(profiles[s][k]) * fields[s] for s in fields)
        mx = (xx - d[..., 0] - k * shift_px[0]).astype(np.float32)
        my = (yy - d[..., 1] - k * shift_px[1]).astype(np.float32)
        writer.write(cv2.remap(bgr, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE))
    writer.release()
    return path
