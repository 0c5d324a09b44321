"""`symmetry-studio visit add`: measure a visit's photos and save them with the plan injected."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
from typing import Any

from .cli_args import EXIT_OK, add_db_argument, add_expression_argument
from .cli_args import print_json as _print_json
from .errors import InputError

__all__ = ["add_parser", "cmd_visit"]


def add_parser(subparsers: Any) -> None:
    """Add the `visit` subcommand to the CLI's subparsers."""
    v = subparsers.add_parser("visit", help="record a visit")
    actions = v.add_subparsers(dest="action", required=True, parser_class=type(v))
    add = actions.add_parser("add", help="measure and save a visit's photos and plan")
    add.add_argument("patient", help="patient id or exact name")
    add.add_argument("photos", nargs="+", help="the visit's photos")
    add.add_argument("--date", required=True, help="visit date, YYYY-MM-DD")
    add_expression_argument(add)
    add.add_argument("--plan", help="the plan injected at this visit (plan JSON)")
    add.add_argument("--lot", help="lot number of the product injected")
    add.add_argument("--notes", default="", help="free notes")
    add.add_argument("--by", default=None, help="who recorded it (default: your user name)")
    add.add_argument("--mirrored", action="store_true", help="photos are mirrored selfies")
    add_db_argument(add)
    add.add_argument("--json", action="store_true", help="print one JSON object")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("bad_date", f"--date '{text}' is not a date: use YYYY-MM-DD") from None


def cmd_visit(args: argparse.Namespace) -> int:
    """Measure the photos (before opening the database), then save the visit in one go."""
    from .analysis import analyze
    from .records import open_store, visit_to_json
    from .records.visits import save_visit
    from .simulate_cli import read_plan

    date = _date(args.date)
    plan = read_plan(args.plan) if args.plan else None
    analyses = (
        analyze(args.photos, args.expression or None, args.mirrored).analyses if args.photos else ()
    )
    store = open_store(args.db)
    try:
        vid = save_visit(
            store,
            args.patient,
            date,
            analyses,
            plan,
            lot=args.lot,
            notes=args.notes,
            recorded_by=args.by if args.by is not None else getpass.getuser(),
        )
        patient = store.patient(args.patient)
        visit = next(v for v in patient.visits if v.id == vid)
        if args.json:
            _print_json(visit_to_json(visit, full=False))
        else:
            kept = "photos stored" if patient.photo_consent else "measurements only (no consent)"
            print(
                f"visit {vid} of {patient.name} on {date.isoformat()} saved: "
                f"{len(analyses)} photo(s), {kept}"
            )
    finally:
        store.close()
    return EXIT_OK
