"""The `symmetry-studio` command: analyze, simulate, suggest, and list the atlas.

Bad input prints one line and exits 2; an internal error prints one line and exits 1."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import SymmetryStudioError

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"symmetry-studio: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))


def _metric_table(metrics: dict[str, Any]) -> str:
    from .metrics import LABELS

    rows = [f"{'measurement':34} {'left':>8} {'right':>8} {'L-R':>8}  visible"]
    for name, m in metrics.items():
        flag = "yes" if m.visible else ("-" if m.threshold is None else "no")
        rows.append(f"{LABELS[name]:34} {m.left:8.2f} {m.right:8.2f} {m.diff:+8.2f}  {flag}")
    return "\n".join(rows)


def cmd_analyze(args: argparse.Namespace) -> int:
    """Measure one or several photos of one person."""
    from .analysis import analyze

    study = analyze(args.photos, args.expression or None, mirrored=args.mirrored)
    if args.json:
        items = [a.to_json(landmarks=args.landmarks) for a in study.analyses]
        for item, a in zip(items, study.analyses, strict=True):
            if a.expression in study.excursions:
                item["excursion"] = {
                    k: m.to_json() for k, m in study.excursions[a.expression].items()
                }
        _print_json(
            items[0] if len(items) == 1 else {"schema": items[0]["schema"], "photos": items}
        )
        return EXIT_OK
    for a in study.analyses:
        pose = a.pose
        print(f"{a.image.name} ({a.expression})")
        print(
            f"  scale {a.mm_per_px:.4f} mm/px ({a.scale_source}); pose yaw {pose.yaw:+.1f}°, "
            f"pitch {pose.pitch:+.1f}°, roll {pose.roll:+.1f}°"
        )
        print(_metric_table(a.metrics))
        if a.expression in study.excursions:
            print(f"  excursion from rest ({a.expression} minus rest):")
            print(_metric_table(study.excursions[a.expression]))
        for w in a.warnings:
            print(f"  warning [{w.code}]: {w.message}")
        print()
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"analyze": cmd_analyze}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="symmetry-studio", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    a = sub.add_parser("analyze", help="measure facial asymmetry on one or more photos")
    a.add_argument("photos", nargs="+", help="JPEG, PNG, WebP or HEIC photos of one person")
    a.add_argument(
        "--expression",
        action="append",
        help="label of each photo in order: rest, brows_up, frown, eyes_closed, smile, pucker, "
        "clench (default: rest for a single photo)",
    )
    a.add_argument("--mirrored", action="store_true", help="photos are mirrored selfies")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--landmarks", action="store_true", help="include the 478 landmarks (--json)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m simulation`."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SymmetryStudioError as err:
        print(f"symmetry-studio: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # the last line of defence: one line, never a traceback
        print(
            f"symmetry-studio: internal error ({type(err).__name__}: {err}); please report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
