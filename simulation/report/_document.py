"""The consult report's PDF layout (reportlab platypus): header, dose map and dose table, before |
predicted | 3D, measurements with ranges, timelines, warnings, limits and the follow-up.

Every figure comes from the same row builders as the dashboard's tables (`simulation.tables`),
formatted as the dashboard formats them (one decimal), so the paper and the screen agree."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .. import atlas, pharmacology
from ..align import injection_px
from ..limits import LIMITS
from ..metrics import LABELS, METRIC_NAMES
from ..plan_table import row_key, site_name
from ..tables import plan_totals, predicted_symmetry_line, prediction_rows, unit
from ._chart import timeline_drawing
from ._dosemap import DoseMap

__all__ = ["PAPERS", "ReportDetails", "ReportViews", "build_pdf", "face_box"]

PAPERS = {"a4": A4, "letter": LETTER}
MARGIN = 14 * mm
FONTS = Path(__file__).resolve().parent / "fonts"
PROMISE = "A prediction, not a promise."


@dataclass(frozen=True)
class ReportDetails:
    """The header's fields: who, when, by whom, which lot; all optional but the date."""

    patient: str = ""
    clinician: str = ""
    lot: str = ""
    date: dt.date | None = None
    plan_name: str = ""


@dataclass(frozen=True)
class ReportViews:
    """Before and predicted photos in one crop (None without photos) and the predicted 3D."""

    before: np.ndarray | None = None
    predicted: np.ndarray | None = None
    render3d: np.ndarray | None = None


@cache
def _fonts() -> None:
    """DejaVu Sans (shipped in the package): ±, →, ≤, – and the minus sign render everywhere."""
    from reportlab.lib.fonts import addMapping

    for name, file in (
        ("DejaVu", "DejaVuSans.ttf"),
        ("DejaVu-Bold", "DejaVuSans-Bold.ttf"),
        ("DejaVu-Oblique", "DejaVuSans-Oblique.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))
    addMapping("DejaVu", 0, 0, "DejaVu")
    addMapping("DejaVu", 1, 0, "DejaVu-Bold")
    addMapping("DejaVu", 0, 1, "DejaVu-Oblique")
    addMapping("DejaVu", 1, 1, "DejaVu-Bold")


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName="DejaVu", fontSize=8.5, leading=11)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.8),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7, leading=8.6),
        "h1": ParagraphStyle("h1", parent=base, fontName="DejaVu-Bold", fontSize=15, leading=18),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName="DejaVu-Bold",
            fontSize=10.5,
            leading=13,
            keepWithNext=1,  # a heading never ends a page alone
            spaceBefore=6,
            spaceAfter=3,
        ),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=10, bulletIndent=2),
        "caption": ParagraphStyle(
            "caption", parent=base, fontSize=7, leading=8.5, alignment=TA_CENTER
        ),
    }


def _esc(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markdown(text: str, st: dict[str, ParagraphStyle]) -> list[Any]:
    """The limits text (bold, italic, '- ' bullets) as paragraphs."""
    blocks: list[tuple[str, str]] = []
    for line in text.strip().splitlines():
        s = line.strip()
        if not s:
            blocks.append(("gap", ""))
        elif s.startswith("- "):
            blocks.append(("bullet", s[2:]))
        elif blocks and blocks[-1][0] in ("p", "bullet"):
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + " " + s)
        else:
            blocks.append(("p", s))
    out: list[Any] = []
    for kind, s in blocks:
        if kind == "gap":
            continue
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", _esc(s))
        s = re.sub(r"\*(.+?)\*", r"<i>\1</i>", s)
        out.append(
            Paragraph(s, st["bullet"], bulletText="•")
            if kind == "bullet"
            else Paragraph(s, st["body"])
        )
    return out


def face_box(analysis: Any, margin: float) -> tuple[int, int, int, int]:
    """The landmark box plus `margin` of its size, clipped to the photo (x0, y0, x1, y1)."""
    lm = np.asarray(analysis.landmarks_px, dtype=np.float64)[:, :2]
    lo, hi = lm.min(axis=0), lm.max(axis=0)
    pad = (hi - lo) * margin
    h, w = analysis.image.rgb.shape[:2]
    x0, y0 = np.maximum(np.floor(lo - pad), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(hi + pad), [w, h]).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def _jpeg(rgb: np.ndarray) -> io.BytesIO:
    """The pixels alone as a fresh JPEG (no EXIF, no ICC profile, no file name)."""
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(
        buf, "JPEG", quality=88
    )
    buf.seek(0)
    return buf


def _fmt(value: Any) -> str:
    """A table cell as the dashboard shows it (floats to one decimal, empty for None)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _table(
    rows: list[list[Any]], widths: list[float], header: int = 1, zebra: bool = True
) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=header)
    style = [
        ("FONT", (0, 0), (-1, -1), "DejaVu", 7),
        ("FONT", (0, 0), (-1, header - 1), "DejaVu-Bold", 7),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, header - 1), (-1, header - 1), 0.6, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if zebra:
        for r in range(header, len(rows), 2):
            style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f2f2f2")))
    t.setStyle(TableStyle(style))
    return t


def _header(
    rest: Any,
    plan: Any,
    day: float,
    details: ReportDetails,
    expression: str,
    st: dict[str, ParagraphStyle],
    width: float,
) -> list[Any]:
    brand = pharmacology.product_info(plan.product)["brand"]
    date = (details.date or dt.date.today()).isoformat()
    cell = st["cell"]
    fields = [
        ("Patient", details.patient or "(not given)", "Date", date),
        ("Clinician", details.clinician or "(not given)", "Lot", details.lot or "(not given)"),
        (
            "Product",
            f"{brand} ({plan.product})",
            "Dilution",
            f"{plan.dilution_ml_per_100u:g} ml per 100 U",
        ),
        (
            "Plan",
            details.plan_name or plan.label or "(unnamed)",
            "Prediction",
            f"day {day:g}, {expression.replace('_', ' ')}",
        ),
    ]
    rows = [
        [
            Paragraph(f"<b>{_esc(a)}</b>", cell),
            Paragraph(_esc(b), cell),
            Paragraph(f"<b>{_esc(c)}</b>", cell),
            Paragraph(_esc(d), cell),
        ]
        for a, b, c, d in fields
    ]
    if plan.notes:
        rows.append([Paragraph("<b>Notes</b>", cell), Paragraph(_esc(plan.notes), cell), "", ""])
    t = Table(rows, colWidths=[0.12 * width, 0.38 * width, 0.12 * width, 0.38 * width])
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    if plan.notes:
        style.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
    t.setStyle(TableStyle(style))
    return [
        Paragraph("Consult report", st["h1"]),
        Paragraph(f"Symmetry Studio · {_esc(PROMISE)}", st["small"]),
        Spacer(1, 4),
        t,
    ]


def _session_line(plan: Any) -> str:
    """The largest ona-equivalent total within one label window against the label maximum."""
    limit = pharmacology.session_max_ona()
    window = pharmacology.min_repeat_interval_days()
    ona = plan.units_ona()
    days = np.array([i.day for i in plan.injections])
    worst = max((float(ona[(days >= d) & (days < d + window)].sum()) for d in days), default=0.0)
    return (
        f"Session maximum: {limit:.0f} U ona-equivalent within {window:.0f} days (label); "
        f"this plan's largest such total: {worst:.1f} U."
    )


def _dose_section(
    rest: Any, plan: Any, photos: bool, st: dict[str, ParagraphStyle], width: float
) -> list[Any]:
    brand = pharmacology.product_info(plan.product)["brand"]
    box = face_box(rest, 0.12)
    labels = [f"{i.units:g} U" for i in plan.injections]
    pts = injection_px(rest, plan)
    x0, y0, x1, y1 = box
    photo = rest.image.rgb[y0:y1, x0:x1] if photos else None
    dose_map = DoseMap(0.46 * width, box, rest.landmarks_px, pts, labels, photo)
    what = "photo" if photos else "line drawing from the face's landmarks (no photo)"
    out: list[Any] = [
        Paragraph("Dose map", st["h2"]),
        Table(
            [
                [
                    dose_map,
                    Paragraph(
                        f"Each injection point on the {what}, labelled with its units "
                        f"of {_esc(brand)}. Left and right are the <b>patient's</b> sides (the "
                        "patient's right is on the picture's left). Points are placed by the "
                        "face's landmarks: where the needle goes is the injector's call.",
                        st["small"],
                    ),
                ]
            ],
            colWidths=[0.52 * width, 0.48 * width],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
        ),
        Spacer(1, 4),
    ]
    ona = plan.units_ona()
    vol = plan.volumes_ml()
    cell = st["cell"]
    head = ["#", "Site", "Day", f"Units ({brand})", "Ona-equiv. U", "Volume (ml)", "Depth"]
    rows: list[list[Any]] = [[Paragraph(f"<b>{_esc(h)}</b>", cell) for h in head]]
    for k, inj in enumerate(plan.injections):
        depth = atlas.site(inj.site_id).depth if inj.site_id else "—"
        rows.append(
            [
                str(k + 1),
                Paragraph(_esc(site_name(row_key(inj))), cell),
                f"{inj.day:g}",
                f"{inj.units:g}",
                f"{ona[k]:.1f}",
                f"{vol[k]:.2f}",
                Paragraph(_esc(depth), cell),
            ]
        )
    tot = plan.total_units()
    rows.append(
        [
            "",
            Paragraph("<b>Total</b>", cell),
            "",
            f"{tot['product']:g}",
            f"{tot['ona']:.1f}",
            f"{float(np.sum(vol)):.2f}" if len(vol) else "0.00",
            "",
        ]
    )
    t = _table(rows, [w * width for w in (0.04, 0.36, 0.05, 0.12, 0.11, 0.10, 0.22)])
    t.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black)]))
    out += [
        t,
        Spacer(1, 2),
        Paragraph(_esc(plan_totals(plan)), st["small"]),
        Paragraph(_esc(_session_line(plan)), st["small"]),
    ]
    return out


def _fit(img: Any, w: float, h: float) -> Any:
    """An image scaled into a w × h cell, aspect kept."""
    ih, iw = img.shape[:2]
    s = min(w / iw, h / ih)
    return Image(_jpeg(img), width=iw * s, height=ih * s)


def _views_section(
    rest: Any,
    at: Any,
    day: float,
    views: ReportViews,
    photos: bool,
    st: dict[str, ParagraphStyle],
    width: float,
) -> list[Any]:
    from ..photo_warp import displacement_px

    cw, ch = width / 3 - 4, 0.42 * width
    cells, caps = [], []
    if photos and views.before is not None and views.predicted is not None:
        cells += [_fit(views.before, cw, ch), _fit(views.predicted, cw, ch)]
        caps += ["Before (photo)", f"Predicted photo, day {day:g}"]
    else:
        box = face_box(rest, 0.12)
        lm = np.asarray(rest.landmarks_px, dtype=np.float64)[:, :2]
        moved = lm[:468] + displacement_px(rest, at.displacement_mm[0])
        scale = min(cw / (box[2] - box[0]), ch / (box[3] - box[1]))
        w = (box[2] - box[0]) * scale
        cells += [
            DoseMap(w, box, lm, np.zeros((0, 2)), []),
            DoseMap(w, box, lm, np.zeros((0, 2)), [], predicted_px=moved),
        ]
        caps += ["Before (line drawing)", f"Predicted day {day:g} (blue) over before (grey)"]
    if views.render3d is not None:
        cells.append(_fit(views.render3d, cw, ch))
        caps.append(f"Predicted 3D, day {day:g}: colour = movement (mm)")
    n = len(cells)
    t = Table(
        [cells, [Paragraph(_esc(c), st["caption"]) for c in caps]],
        colWidths=[width / n] * n,
        style=[("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")],
    )
    mag = float(np.linalg.norm(at.displacement_mm[0], axis=1).max())
    return [
        Paragraph(f"Before | predicted at day {day:g}", st["h2"]),
        t,
        Paragraph(
            f"Largest predicted skin movement at day {day:g}: {mag:.1f} mm. Before and "
            "predicted are the same crop and scale.",
            st["small"],
        ),
    ]


def _measure_section(
    rest: Any, at: Any, timeline: Any, day: float, st: dict[str, ParagraphStyle], width: float
) -> list[Any]:
    rows = prediction_rows(rest.metrics, at)
    cols = list(rows[0])
    body: list[list[Any]] = [cols]
    for r in rows:
        body.append(
            [Paragraph(_esc(r[c]), st["cell"]) if c == "Measurement" else _fmt(r[c]) for c in cols]
        )
    t = _table(body, [w * width for w in (0.26, 0.09, 0.23, 0.15, 0.15, 0.12)])
    tint = [
        ("BACKGROUND", (0, k + 1), (-1, k + 1), colors.Color(1, 0.29, 0.29, alpha=0.18))
        for k, r in enumerate(rows)
        if str(r["Visible"]).startswith("●")
    ]
    t.setStyle(TableStyle(tint))
    out: list[Any] = [
        Paragraph(f"Measurements: before and predicted at day {day:g}", st["h2"]),
        Paragraph(
            "Left − right in mm (degrees for angles), median and 10th to 90th percentile; "
            "“● visible” when the predicted difference is at or above what people notice.",
            st["small"],
        ),
        Spacer(1, 2),
        t,
        Spacer(1, 2),
        Paragraph(_esc(predicted_symmetry_line(rest.metrics, at)), st["small"]),
    ]
    key = [n for n in METRIC_NAMES if n != "symmetry_index_mm"]
    moved = sorted(key, key=lambda n: -abs(at.metrics[0][n].diff.median - rest.metrics[n].diff))
    cw = width / 3
    charts = [
        timeline_drawing(LABELS[n], rest.metrics[n].diff, timeline, n, cw - 4, 92, unit(n))
        for n in moved[:3]
    ]
    out += [
        Spacer(1, 4),
        KeepTogether(
            [
                Table([charts], colWidths=[cw] * 3),
                Paragraph(
                    "The three measurements the plan moves most, left − right by day: median "
                    "(line) and 10th–90th percentile (band); dashed: before; the onset, peak and "
                    "wear-off days of the median are named above each chart and marked on it.",
                    st["small"],
                ),
            ]
        ),
    ]
    return out


def _warnings_section(rest: Any, at: Any, st: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Paragraph("Warnings", st["h2"])]
    if at.warnings:
        out += [Paragraph(_esc(w.message), st["bullet"], bulletText="•") for w in at.warnings]
    else:
        out.append(Paragraph("No warning for this plan.", st["body"]))
    notes = list(getattr(rest, "warnings", ()))
    if notes:
        out.append(Paragraph("About the photo:", st["body"]))
        out += [Paragraph(_esc(w.message), st["bullet"], bulletText="•") for w in notes]
    return out


def _followup_section(followup: Any, st: dict[str, ParagraphStyle], width: float) -> list[Any]:
    from ..tables import followup_rows

    treated, seen, fu, *more = followup
    caveats = tuple(more[0]) if more else ()
    rows = followup_rows(fu)
    cols = list(rows[0])
    body: list[list[Any]] = [cols]
    for r in rows:
        body.append(
            [Paragraph(_esc(r[c]), st["cell"]) if c == "Measurement" else _fmt2(r[c]) for c in cols]
        )
    return [
        Paragraph(f"Follow-up at day {fu.day:g}: predicted against observed", st["h2"]),
        Paragraph(
            f"Treated {treated.isoformat()}, photo of {seen.isoformat()}; based on this "
            f"patient's response at day {fu.day:g}: effect {fu.effect_scale:.2f}× the "
            "model's typical patient. Left − right, mm.",
            st["small"],
        ),
        Spacer(1, 2),
        _table(body, [w * width for w in (0.26, 0.1, 0.2, 0.14, 0.1, 0.2)]),
        *_caveats(caveats, st),
    ]


def _caveats(caveats: tuple[str, ...], st: dict[str, ParagraphStyle]) -> list[Any]:
    """What the two photos say about themselves: a change they cannot resolve is no evidence."""
    if not caveats:
        return []
    return [
        Spacer(1, 3),
        Paragraph(
            "Read this follow-up with care: a change these photos cannot resolve is not "
            "evidence of the treatment.",
            st["small"],
        ),
        *(Paragraph("• " + _esc(c), st["small"]) for c in caveats),
    ]


def _fmt2(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else _fmt(value)


def build_pdf(
    rest: Any,
    plan: Any,
    at: Any,
    timeline: Any,
    day: float,
    details: ReportDetails,
    views: ReportViews,
    *,
    photos: bool = True,
    paper: str = "a4",
    expression: str = "rest",
    followup: Any = None,
) -> bytes:
    """The report's PDF bytes (see `simulation.report.consult_report`)."""
    _fonts()
    st = _styles()
    size = PAPERS[paper]
    width = size[0] - 2 * MARGIN
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title="Consult report",
        author="",
        subject="",
        creator="Symmetry Studio",
        keywords="",
    )
    story: list[Any] = []
    story += _header(rest, plan, day, details, expression, st, width)
    story += _dose_section(rest, plan, photos, st, width)
    story += _views_section(rest, at, day, views, photos, st, width)
    story += _measure_section(rest, at, timeline, day, st, width)
    story += _warnings_section(rest, at, st)
    if followup is not None:
        story += _followup_section(followup, st, width)
    story += [Paragraph("What the model cannot know", st["h2"]), *_markdown(LIMITS, st)]
    who = details.patient or "patient not named"
    stamp = (details.date or dt.date.today()).isoformat()

    def footer(canvas: Any, d: Any) -> None:
        canvas.saveState()
        canvas.setFont("DejaVu", 6.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, MARGIN, f"{who} · {stamp} · Symmetry Studio consult report")
        canvas.drawRightString(size[0] - MARGIN, MARGIN, f"{PROMISE}  Page {d.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
