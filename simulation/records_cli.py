"""`symmetry-studio records export/import`: one schema-versioned JSON file, to back up or move
the patients and the trainees' training scores."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .cli_args import EXIT_OK, add_db_argument
from .errors import InputError

__all__ = ["add_parser", "cmd_records"]


def add_parser(subparsers: Any) -> None:
    """Add the `records` subcommand to the CLI's subparsers."""
    r = subparsers.add_parser("records", help="export or import all records (one JSON file)")
    actions = r.add_subparsers(dest="action", required=True, parser_class=type(r))
    exp = actions.add_parser("export", help="write every patient to one JSON file")
    exp.add_argument("file", help="the JSON file to write")
    imp = actions.add_parser("import", help="add every patient of an export file")
    imp.add_argument("file", help="a file written by `records export`")
    for sub in (exp, imp):
        add_db_argument(sub)


def cmd_records(args: argparse.Namespace) -> int:
    """Export or import the records."""
    from .records import open_store

    if args.action == "import":
        try:
            with open(args.file, "rb") as fh:
                data = json.loads(fh.read())
        except OSError as err:
            raise InputError(
                "import_not_readable", f"cannot read {args.file}: {err.strerror}"
            ) from None
        except (ValueError, UnicodeDecodeError):
            raise InputError(
                "not_our_export", f"{args.file} is not JSON: import a file made by `records export`"
            ) from None
    store = open_store(args.db)
    try:
        if args.action == "export":
            data = store.export()
            try:
                with open(args.file, "w", encoding="utf-8") as fh:
                    json.dump(data, fh)
            except OSError as err:
                raise InputError(
                    "export_not_writable", f"cannot write {args.file}: {err.strerror}"
                ) from None
            print(
                f"{len(data['patients'])} patient(s) and {len(data['trainees'])} trainee(s) "
                f"written to {args.file}"
            )
        else:
            ids = store.import_records(data)
            print(f"{len(ids)} patient(s) imported")
    finally:
        store.close()
    return EXIT_OK
