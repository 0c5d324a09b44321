"""The consult report: one PDF a clinician prints or attaches to the record, with the dose map,
the predicted outcome with its ranges, the warnings and what the model cannot know.

Built offline with reportlab and the DejaVu Sans font shipped in `fonts/`; images go in as fresh
JPEGs of their pixels (no EXIF), and the PDF's metadata holds no file name, path or patient.
No Streamlit import: the CLI (`symmetry-studio report`) and the dashboard both call
`consult_report`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._chart import course_marks
from ._document import PAPERS, ReportDetails, ReportViews, build_pdf, face_box

__all__ = [
    "PAPERS",
    "TIMELINE_DAYS",
    "ReportDetails",
    "ReportViews",
    "consult_report",
    "course_marks",
    "face_box",
    "report_views",
]

# The days of the report's timeline charts (the dashboard's timeline days).
TIMELINE_DAYS = tuple(float(d) for d in sorted({*range(0, 181, 5), 1, 2, 3, 7, 14, 21}))


def report_views(rest: Any, at: Any, timeline: Any, plan: Any, photos: bool = True) -> ReportViews:
    """Before and predicted photo (the dashboard's crop) and the predicted 3D render with its
    heat map, for a caller without the dashboard's caches; without photos the 3D face is drawn
    untextured, so nothing of the photo reaches the report."""
    from ..photo_warp import warp_photo
    from ..render import face_camera, face_crop, render_mesh_png

    m = rest.mesh
    disp = at.displacement_mm[0]
    clim = (0.0, max(1.0, float(np.linalg.norm(timeline.displacement_mm, axis=2).max())))
    texture = rest.image.rgb if photos else np.full((8, 8, 3), 205, dtype=np.uint8)
    pts = (
        np.array([i.position(at.vertices_mm[0]) for i in plan.injections])
        if plan.injections
        else None
    )
    render3d = render_mesh_png(
        at.vertices_mm[0],
        m.faces,
        m.uv,
        texture,
        np.linalg.norm(disp, axis=1),
        pts,
        camera=face_camera(m.vertices_mm),
        clim=clim,
    )
    if not photos:
        return ReportViews(None, None, render3d)
    warped = warp_photo(rest.image.rgb, rest, disp)
    return ReportViews(face_crop(rest.image.rgb, rest), face_crop(warped, rest), render3d)


def consult_report(
    rest: Any,
    plan: Any,
    at: Any,
    timeline: Any,
    day: float,
    details: ReportDetails | None = None,
    views: ReportViews | None = None,
    *,
    photos: bool = True,
    paper: str = "a4",
    expression: str = "rest",
    followup: Any = None,
) -> bytes:
    """The consult report's PDF bytes for `plan` on the face of `rest`: `at` is the one-day
    prediction at `day` (the dashboard's, 200 draws), `timeline` the prediction over
    `TIMELINE_DAYS`; `followup` (treatment date, follow-up date, `calibration.FollowUp`, and
    optionally the photos' caveats, `records.visits.followup_caveats`) adds
    predicted against observed. `photos=False` is the variant for sharing: the dose map on a
    line drawing, no photo pixels anywhere."""
    from ..errors import InputError

    if paper not in PAPERS:
        raise InputError("bad_paper", f"paper '{paper}' is not one of: {', '.join(PAPERS)}")
    views = views if views is not None else ReportViews()
    if not photos:
        views = ReportViews(None, None, views.render3d)
    return build_pdf(
        rest,
        plan,
        at,
        timeline,
        day,
        details or ReportDetails(),
        views,
        photos=photos,
        paper=paper,
        expression=expression,
        followup=followup,
    )
