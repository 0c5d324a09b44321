"""The dose map: the face (photo or a line drawing from its landmarks) with each injection point
marked and labelled with its units, drawn as vector graphics on a PDF canvas."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from reportlab.lib import colors
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable

__all__ = ["DoseMap", "outline_segments"]

MARK = colors.HexColor("#d1105a")


@cache
def outline_segments() -> tuple[tuple[int, int], ...]:
    """The landmark pairs of MediaPipe's face contours (oval, brows, eyes, lips), nose and
    irises: the line drawing of a face."""
    from mediapipe.tasks.python.vision import FaceLandmarksConnections as C

    groups = (C.FACE_LANDMARKS_CONTOURS, C.FACE_LANDMARKS_NOSE)
    groups += (C.FACE_LANDMARKS_LEFT_IRIS, C.FACE_LANDMARKS_RIGHT_IRIS)
    return tuple((c.start, c.end) for g in groups for c in g)


class DoseMap(Flowable):
    """A face box (`box` = x0, y0, x1, y1 in photo pixels) scaled to `width` points: the cropped
    photo (or, without one, the landmark line drawing), each point numbered-free and labelled
    with its units; labels are nudged so that they do not overlap."""

    def __init__(
        self,
        width: float,
        box: tuple[int, int, int, int],
        landmarks_px: np.ndarray,
        points_px: np.ndarray,
        labels: list[str],
        photo: np.ndarray | None = None,
        predicted_px: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.box = box
        self.scale = width / max(1, box[2] - box[0])
        self.width = width
        self.height = (box[3] - box[1]) * self.scale
        self.landmarks = np.asarray(landmarks_px, dtype=np.float64)[:, :2]
        self.points = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)
        self.labels = labels
        self.photo = photo
        self.predicted = predicted_px

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def _xy(self, p: np.ndarray) -> tuple[float, float]:
        return (
            float((p[0] - self.box[0]) * self.scale),
            float(self.height - (p[1] - self.box[1]) * self.scale),
        )

    def _outline(self, c: Any, lm: np.ndarray, colour: Any, width: float) -> None:
        c.setStrokeColor(colour)
        c.setLineWidth(width)
        for a, b in outline_segments():
            if a < len(lm) and b < len(lm):
                c.line(*self._xy(lm[a]), *self._xy(lm[b]))

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        if self.photo is not None:
            c.drawImage(ImageReader(_jpeg(self.photo)), 0, 0, self.width, self.height)
        else:
            c.setStrokeColor(colors.HexColor("#999999"))
            c.setLineWidth(0.5)
            c.rect(0, 0, self.width, self.height)
            self._outline(c, self.landmarks, colors.HexColor("#555555"), 0.6)
        if self.predicted is not None:
            self._outline(c, self.predicted, colors.HexColor("#1f77b4"), 0.6)
        self._marks(c)
        c.setFillColor(colors.white if self.photo is not None else colors.black)
        c.setFont("DejaVu", 6.5)
        c.drawString(3, self.height - 9, "patient's right")
        c.drawRightString(self.width - 3, self.height - 9, "patient's left")
        c.restoreState()

    def _marks(self, c: Any) -> None:
        size = 6.0
        placed: list[tuple[float, float, float, float]] = []
        dots = [self._xy(p) for p in self.points]
        for (x, y), text in zip(dots, self.labels, strict=True):
            c.setFillColor(MARK)
            c.setStrokeColor(colors.white)
            c.setLineWidth(0.5)
            c.circle(x, y, 2.2, stroke=1, fill=1)
            w = c.stringWidth(text, "DejaVu-Bold", size) + 2
            for dx, dy in _SPOTS:
                bx, by = x + dx * (w / 2 + 4) - w / 2, y + dy * 7 - size / 2
                rect = (bx, by, bx + w, by + size + 1)
                inside = rect[0] >= 0 and rect[2] <= self.width and rect[1] >= 0
                if inside and rect[3] <= self.height and not any(_hit(rect, r) for r in placed):
                    break
            placed.append(rect)
            c.setFillColor(colors.Color(1, 1, 1, alpha=0.8))
            c.rect(rect[0], rect[1] - 0.5, w, size + 1.5, stroke=0, fill=1)
            c.setFillColor(MARK)
            c.setFont("DejaVu-Bold", size)
            c.drawString(rect[0] + 1, rect[1] + 0.8, text)


_SPOTS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1), (2, 0), (-2, 0))


def _hit(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def _jpeg(rgb: np.ndarray) -> Any:
    """The pixels alone as a fresh JPEG: no EXIF, no ICC profile, no file name travels along."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(buf, "JPEG", quality=88)
    buf.seek(0)
    return buf
