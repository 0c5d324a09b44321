"""What the `symmetry-studio` commands share: the exit codes, JSON printing and the
`--expression` and `--db` options and `--patient`'s recorded response (so no command module
imports the entry, `cli`)."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = [
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "add_db_argument",
    "add_expression_argument",
    "print_json",
    "recorded_response",
]

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def print_json(obj: Any) -> None:
    """Print one JSON object (UTF-8 kept readable)."""
    print(json.dumps(obj, indent=2, ensure_ascii=False))


def add_expression_argument(parser: argparse.ArgumentParser) -> None:
    """The `--expression` option of the commands that read several photos of one person."""
    from .analysis import EXPRESSIONS

    parser.add_argument(
        "--expression",
        action="append",
        help=f"label of each photo in order: {', '.join(EXPRESSIONS)} "
        "(default: rest for a single photo)",
    )


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """The `--db URL` option of the record commands (default: SYMMETRY_STUDIO_DB, else the
    SQLite file in the user's data directory)."""
    parser.add_argument(
        "--db",
        metavar="URL",
        help="record database URL (default: $SYMMETRY_STUDIO_DB or a file in your data folder)",
    )


def recorded_response(patient: str, db: str | None) -> Any:
    """A recorded patient's calibrated draws for `--patient` (their record store closed again)."""
    from .records import open_store
    from .records.visits import response_for_patient

    store = open_store(db)
    try:
        return response_for_patient(store.patient(patient))
    finally:
        store.close()
