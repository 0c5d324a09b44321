"""A small timeline chart of one measurement (left − right, median and 10th–90th band) with its
onset, peak and wear-off marked, as a reportlab Drawing (vector, searchable text)."""

from __future__ import annotations

from typing import Any

import numpy as np
from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

__all__ = ["course_marks", "timeline_drawing"]

BAND = colors.Color(0.12, 0.47, 0.71, alpha=0.25)
LINE = colors.HexColor("#1f77b4")
MARK = colors.HexColor("#d1105a")


def course_marks(days: np.ndarray, change: np.ndarray) -> dict[str, float] | None:
    """Onset (first day the median change reaches a fifth of its peak), peak and wear-off (first
    day after the peak back under half of it) of a median change from before; None when the
    plan moves this measurement by less than 0.05 mm. Descriptions of the model's own curve."""
    mag = np.abs(np.asarray(change, dtype=np.float64))
    k = int(mag.argmax())
    if mag[k] < 0.05:
        return None
    out = {"onset": float(days[int(np.argmax(mag >= 0.2 * mag[k]))]), "peak": float(days[k])}
    after = np.flatnonzero((np.arange(len(mag)) > k) & (mag < 0.5 * mag[k]))
    if len(after):
        out["wear-off"] = float(days[after[0]])
    return out


def timeline_drawing(
    title: str, before: float, timeline: Any, name: str, width: float, height: float, unit: str
) -> Drawing:
    """One measurement over the timeline's days: band, median, the 'before' level, marks."""
    days = np.asarray(timeline.days, dtype=np.float64)
    med = np.array([m[name].diff.median for m in timeline.metrics])
    lo = np.array([m[name].diff.p10 for m in timeline.metrics])
    hi = np.array([m[name].diff.p90 for m in timeline.metrics])
    d = Drawing(width, height)
    # title, then the onset / peak / wear-off line, above the plot: marks never crowd the curves
    left, bottom, right, top = 26.0, 16.0, width - 7.0, height - 21.0
    ymin = float(min(lo.min(), before, 0.0))
    ymax = float(max(hi.max(), before, 0.0))
    pad = max(0.2, 0.1 * (ymax - ymin))
    ymin, ymax = ymin - pad, ymax + pad
    x_of = lambda t: left + (right - left) * float(t) / max(1.0, float(days.max()))  # noqa: E731
    y_of = lambda v: bottom + (top - bottom) * (float(v) - ymin) / (ymax - ymin)  # noqa: E731
    band = [c for t, v in zip(days, hi, strict=True) for c in (x_of(t), y_of(v))]
    band += [c for t, v in zip(days[::-1], lo[::-1], strict=True) for c in (x_of(t), y_of(v))]
    d.add(Polygon(band, fillColor=BAND, strokeColor=None))
    pts = [c for t, v in zip(days, med, strict=True) for c in (x_of(t), y_of(v))]
    d.add(PolyLine(pts, strokeColor=LINE, strokeWidth=1.2))
    d.add(Line(left, y_of(0), right, y_of(0), strokeColor=colors.grey, strokeWidth=0.3))
    d.add(
        Line(
            left,
            y_of(before),
            right,
            y_of(before),
            strokeColor=colors.black,
            strokeWidth=0.5,
            strokeDashArray=[2, 2],
        )
    )
    d.add(Line(left, bottom, left, top, strokeColor=colors.black, strokeWidth=0.5))
    d.add(Line(left, bottom, right, bottom, strokeColor=colors.black, strokeWidth=0.5))
    for t in (0, 30, 60, 90, 120, 150, 180):
        if t <= days.max():
            d.add(
                String(
                    x_of(t),
                    bottom - 8,
                    f"{t}",
                    fontName="DejaVu",
                    fontSize=5.5,
                    textAnchor="middle",
                )
            )
    for v in (ymin + pad, ymax - pad):
        d.add(
            String(
                left - 2,
                y_of(v) - 2,
                f"{v:+.1f}",
                fontName="DejaVu",
                fontSize=5.5,
                textAnchor="end",
            )
        )
    label = f"{title} ({unit}), L−R"
    size = min(6.5, 6.5 * (right - left) / max(1.0, stringWidth(label, "DejaVu-Bold", 6.5)))
    d.add(String(left, height - 8, label, fontName="DejaVu-Bold", fontSize=size))
    marks = course_marks(days, med - before)
    for t in (marks or {}).values():
        x = x_of(t)
        d.add(Line(x, bottom, x, top, strokeColor=MARK, strokeWidth=0.4))
    if marks:
        text = " · ".join(f"{label} day {t:g}" for label, t in marks.items())
        d.add(String(left, height - 15, text, fontName="DejaVu", fontSize=5.5, fillColor=MARK))
    return d
