"""`symmetry-studio sites` and `symmetry-studio muscles`: list the atlas."""

from __future__ import annotations

import argparse
from typing import Any

from .cli_args import EXIT_OK
from .cli_args import print_json as _print_json

__all__ = ["add_parsers", "cmd_muscles", "cmd_sites"]


def add_parsers(subparsers: Any) -> None:
    """Add the `sites` and `muscles` subcommands to the CLI's subparsers."""
    for name, text in (("sites", "list standard injection sites"), ("muscles", "list muscles")):
        listing = subparsers.add_parser(name, help=text)
        listing.add_argument("--json", action="store_true", help="print JSON")


def cmd_sites(args: argparse.Namespace) -> int:
    """List the standard injection sites."""
    from .atlas import sites

    rows = [
        {
            "id": s.id,
            "label": s.label,
            "area": s.area,
            "side": s.side,
            "target": s.target,
            "usual_units_ona": list(s.usual_units),
            "depth": s.depth,
            "landmark": s.landmark,
            "offset_mm": [float(v) for v in s.offset_mm],
        }
        for s in sites()
    ]
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            lo, hi = r["usual_units_ona"]
            print(f"{r['id']:34} {r['area']:12} {r['target']:38} {lo:g}-{hi:g} U")
    return EXIT_OK


def cmd_muscles(args: argparse.Namespace) -> int:
    """List the muscle atlas."""
    from .atlas import muscles

    rows = [
        {
            "id": m.id,
            "name": m.name,
            "side": m.side,
            "kind": m.kind,
            "role": m.role,
            "max_force_n": m.max_force_n,
            "resting_tone": m.resting_tone,
            "thickness_mm": m.thickness_mm,
            "provenance": dict(m.provenance),
        }
        for m in muscles()
    ]
    if args.json:
        _print_json(rows)
    else:
        for r in rows:
            print(f"{r['id']:40} {r['kind']:10} {r['role']}")
    return EXIT_OK
