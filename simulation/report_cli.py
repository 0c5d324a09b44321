"""`symmetry-studio report`: the consult report (PDF) of a plan on a photo, or of a recorded
visit (`--visit ID`), with predicted against observed when a later visit has a rest photo."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from typing import Any

from .cli_args import EXIT_OK, add_db_argument, add_expression_argument
from .errors import InputError

__all__ = ["add_parser", "cmd_report"]


def add_parser(subparsers: Any) -> None:
    """Add the `report` subcommand to the CLI's subparsers."""
    r = subparsers.add_parser("report", help="write the consult report (PDF)")
    r.add_argument("photos", nargs="*", help="the patient's photos (the rest photo first)")
    r.add_argument("--plan", help="plan JSON (symmetry-studio/plan/1)")
    r.add_argument("--visit", type=int, help="a recorded visit's id: its plan, lot and patient")
    r.add_argument("--day", type=float, default=14.0, help="day of the prediction (default 14)")
    r.add_argument("--no-photos", action="store_true", help="dose map on a line drawing, no photo")
    r.add_argument("--paper", default="a4", choices=("a4", "letter"), help="paper size")
    r.add_argument("--out", required=True, help="the PDF to write")
    r.add_argument("--patient", default="", help="patient name or pseudonym for the header")
    r.add_argument("--clinician", default="", help="clinician for the header")
    r.add_argument("--lot", default="", help="lot number of the product")
    r.add_argument("--mirrored", action="store_true", help="photos are mirrored selfies")
    add_expression_argument(r)
    add_db_argument(r)


def _find_visit(store: Any, visit_id: int) -> tuple[Any, Any]:
    """The patient and visit of a visit id (one line when there is none)."""
    for p in store.patients():
        patient = store.patient(p.id)
        for v in patient.visits:
            if v.id == visit_id:
                return patient, v
    raise InputError("unknown_visit", f"no visit {visit_id}: see `symmetry-studio patient show`")


def _from_visit(args: argparse.Namespace) -> tuple[Any, dict[str, Any], Any, Any]:
    """The plan, header fields, follow-up and stored rest photo (PNG bytes or None) of a visit:
    a treatment visit's own plan, or for a review visit the treatment before it."""
    from .calibration import DrawSet, follow_up
    from .plan import parse_plan
    from .records import open_store
    from .records.visits import followup_caveats, stored_metrics

    store = open_store(args.db)
    try:
        patient, visit = _find_visit(store, args.visit)
    finally:
        store.close()
    visits = sorted(patient.visits, key=lambda v: v.date)
    treated = visit if visit.plan_json else None
    if treated is None:
        earlier = [v for v in visits if v.date < visit.date and v.plan_json]
        if not earlier:
            raise InputError(
                "visit_without_plan",
                f"visit {visit.id} has no plan and no treatment before it: give --plan",
            )
        treated = earlier[-1]
    followup = None
    seen = visit if visit is not treated else None
    if seen is None:
        later = [v for v in visits if v.date > treated.date and stored_metrics(v) is not None]
        seen = later[-1] if later else None
    if seen is not None and treated.prediction_draws is not None:
        observed = stored_metrics(seen)
        if observed is not None:
            day = float((seen.date - treated.date).days)
            fu = follow_up(DrawSet.from_bytes(treated.prediction_draws), day, observed)
            followup = (treated.date, seen.date, fu, followup_caveats(treated, seen))
    photo = next(
        (ph.photo_png for ph in treated.photos if ph.expression == "rest" and ph.photo_png), None
    )
    header = {"patient": patient.name, "lot": treated.lot or "", "date": treated.date}
    return parse_plan(treated.plan_json), header, followup, photo


def _write(path: str, data: bytes) -> None:
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as err:
        raise InputError("report_not_writable", f"cannot write {path}: {err.strerror}") from None


def cmd_report(args: argparse.Namespace) -> int:
    """Analyse the photos, predict the plan at --day and over the timeline, write the PDF."""
    from .analysis import analyze, analyze_image
    from .ingest import load_image
    from .prediction import build_subject, predict
    from .report import TIMELINE_DAYS, ReportDetails, consult_report, report_views
    from .simulate_cli import read_plan

    if not 0 <= args.day <= 365:
        raise InputError("bad_day", "--day must be between 0 and 365")
    if args.plan is None and args.visit is None:
        raise InputError("no_plan", "give --plan plan.json or --visit ID")
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise InputError("report_not_writable", f"cannot write {args.out}: no writable folder")
    header: dict[str, Any] = {"date": dt.date.today()}
    followup, stored_photo = None, None
    if args.visit is not None:
        plan, header, followup, stored_photo = _from_visit(args)
    if args.plan is not None:
        plan = read_plan(args.plan)
    if args.photos:
        rest = analyze(args.photos, args.expression or None, args.mirrored).analyses[0]
    elif stored_photo is not None:
        rest = analyze_image(load_image(stored_photo, name="visit photo"))
    else:
        raise InputError(
            "no_photo", "give the patient's rest photo (this visit kept no photo: no consent)"
        )
    subject = build_subject(rest)
    at = predict(subject, plan, (args.day,))
    timeline = predict(subject, plan, TIMELINE_DAYS, samples=100)
    photos = not args.no_photos
    views = report_views(rest, at, timeline, plan, photos=photos)
    details = ReportDetails(
        patient=args.patient or header.get("patient", ""),
        clinician=args.clinician,
        lot=args.lot or header.get("lot", ""),
        date=header.get("date"),
    )
    pdf = consult_report(
        rest,
        plan,
        at,
        timeline,
        args.day,
        details,
        views,
        photos=photos,
        paper=args.paper,
        followup=followup,
    )
    _write(args.out, pdf)
    print(f"wrote {args.out} ({len(pdf) // 1024} KB, {'with' if photos else 'without'} photos)")
    return EXIT_OK
