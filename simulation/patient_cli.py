"""`symmetry-studio patient add/list/show/delete`: the patients in the record database."""

from __future__ import annotations

import argparse
from typing import Any

from .cli_args import EXIT_OK, add_db_argument
from .cli_args import print_json as _print_json

__all__ = ["add_parser", "cmd_patient"]


def add_parser(subparsers: Any) -> None:
    """Add the `patient` subcommand (with its actions) to the CLI's subparsers."""
    p = subparsers.add_parser("patient", help="add, list, show or delete patients")
    actions = p.add_subparsers(dest="action", required=True, parser_class=type(p))
    add = actions.add_parser("add", help="record a patient")
    add.add_argument("name", help="display name or pseudonym")
    add.add_argument("--birth-year", type=int, help="year of birth (optional)")
    add.add_argument("--notes", default="", help="free notes")
    add.add_argument(
        "--photo-consent",
        action="store_true",
        help="the patient consents to their photos being stored (else measurements only)",
    )
    actions.add_parser("list", help="list the patients")
    show = actions.add_parser("show", help="a patient and their visits")
    show.add_argument("patient", help="id or exact name")
    delete = actions.add_parser("delete", help="erase a patient and everything of theirs")
    delete.add_argument("patient", help="id or exact name")
    for sub in (add, show, delete, actions.choices["list"]):
        add_db_argument(sub)
        sub.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_patient(args: argparse.Namespace) -> int:
    """Run one `patient` action."""
    from .records import open_store, patient_to_json

    store = open_store(args.db)
    try:
        if args.action == "add":
            pid = store.add_patient(args.name, args.birth_year, args.notes, args.photo_consent)
            out = patient_to_json(store.patient(pid), full=False)
            _print_json(out) if args.json else print(f"patient {pid}: {out['name']}")
        elif args.action == "list":
            rows = [
                {"id": p.id, "name": p.name, "birth_year": p.birth_year} for p in store.patients()
            ]
            if args.json:
                _print_json({"schema": "symmetry-studio/patients/1", "patients": rows})
            for r in [] if args.json else rows:
                print(
                    f"{r['id']:5}  {r['name']}"
                    + (f" ({r['birth_year']})" if r["birth_year"] else "")
                )
        elif args.action == "show":
            _show(store.patient(args.patient), args.json)
        else:
            pid = store.delete_patient(args.patient)
            if args.json:
                _print_json({"schema": "symmetry-studio/patient/1", "id": pid, "deleted": True})
            else:
                print(f"patient {pid} and all their visits and photos erased")
    finally:
        store.close()
    return EXIT_OK


def _show(patient: Any, as_json: bool) -> None:
    """A patient's visits, each photo with its view, and the check between visits' photos of
    one view (`records.visit_views`)."""
    from .records import patient_to_json
    from .records.visit_views import compare_visit_views, stored_view

    out = patient_to_json(patient, full=False)
    for v, raw in zip(patient.visits, out["visits"], strict=True):
        for ph, row in zip(v.photos, raw["photos"], strict=True):
            check = stored_view(ph)
            row["view"] = check.to_json() if check is not None else None
    checks = compare_visit_views(patient.visits)
    out["view_checks"] = [c.to_json() for c in checks]
    if as_json:
        _print_json(out)
        return
    consent = "photos stored" if out["photo_consent"] else "measurements only"
    print(f"patient {out['id']}: {out['name']} ({consent})")
    for v in out["visits"]:
        plan = v["plan"]
        what = (
            f"{plan['product']} {sum(i['units'] for i in plan['injections']):g} U"
            if plan
            else "no treatment"
        )
        photos = ", ".join(_photo_label(ph) for ph in v["photos"]) or "no photos"
        print(f"  {v['date']}  {what:24}  {photos}  {v['notes']}")
        for ph in v["photos"]:
            for w in (ph["view"] or {}).get("warnings", []):
                print(f"    warning: {ph['expression']} photo: {w['message']}")
    for c in checks:
        if c.warning:
            print(f"  {'note' if c.needs_photos else 'warning'}: {c.warning}")


def _photo_label(photo: dict[str, Any]) -> str:
    """ "rest (front)", or "rest (45° right, yaw +31°)" when off its standard."""
    view = photo["view"]
    if view is None:
        return photo["expression"]
    off = f", yaw {view['yaw_deg']:+.0f}°" if view["warnings"] else ""
    return f"{photo['expression']} ({view['label']}{off})"
