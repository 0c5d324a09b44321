"""The `symmetry-studio` command: analyze, simulate, suggest, and list the atlas.

Bad input prints one line and exits 2; an internal error prints one line and exits 1."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import SymmetryStudioError

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one sparse solve: threads only contend


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


def _days(text: str) -> list[float]:
    try:
        days = [float(d) for d in text.split(",") if d.strip()]
    except ValueError:
        raise SymmetryStudioError(f"--days '{text}' must be numbers separated by commas") from None
    if not days or any(d < 0 or d > 3650 for d in days):
        raise SymmetryStudioError("--days must list days between 0 and 3650, e.g. 0,3,14,90,180")
    return days


def _read_plan(path: str) -> Any:
    from .errors import InputError
    from .plan import parse_plan

    try:
        with open(path, "rb") as fh:
            return parse_plan(fh.read())
    except OSError as err:
        raise InputError("plan_not_readable", f"cannot read plan {path}: {err.strerror}") from None


def cmd_simulate(args: argparse.Namespace) -> int:
    """Predict a plan's effect on one photo over time."""
    from .analysis import analyze_image
    from .ingest import load_image
    from .prediction import build_subject, predict

    plan = _read_plan(args.plan)
    days = _days(args.days)
    analysis = analyze_image(load_image(args.photo, mirrored=args.mirrored))
    prediction = predict(build_subject(analysis), plan, days, expression=args.expression)
    if args.json:
        _print_json(prediction.to_json())
        return EXIT_OK
    from .metrics import LABELS

    total = prediction.total_units
    print(f"{analysis.image.name}: {total['product']:g} U {plan.product} ({total['ona']:g} U ona)")
    for t, day in enumerate(prediction.days):
        print(f"\nday {day:g} (median, 10th-90th percentile)")
        for name, m in prediction.metrics[t].items():
            print(
                f"  {LABELS[name]:34} L {m.left.median:7.2f}  R {m.right.median:7.2f}  "
                f"L-R {m.diff.median:+6.2f} [{m.diff.p10:+.2f}, {m.diff.p90:+.2f}]"
            )
    for w in analysis.warnings + tuple(prediction.warnings):
        print(f"warning [{w.code}]: {w.message}")
    return EXIT_OK


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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "analyze": cmd_analyze,
    "simulate": cmd_simulate,
    "sites": cmd_sites,
    "muscles": cmd_muscles,
    "suggest": lambda args: _suggest(args),
}


def _suggest(args: argparse.Namespace) -> int:
    """Which muscles drive the asymmetry, the smallest balancing plans, and the visit schedule."""
    from .suggest_cli import cmd_suggest

    return cmd_suggest(args)


def add_expression_argument(parser: argparse.ArgumentParser) -> None:
    """The `--expression` option of the commands that read several photos of one person."""
    from .analysis import EXPRESSIONS

    parser.add_argument(
        "--expression",
        action="append",
        help=f"label of each photo in order: {', '.join(EXPRESSIONS)} "
        "(default: rest for a single photo)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="symmetry-studio", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    a = sub.add_parser("analyze", help="measure facial asymmetry on one or more photos")
    a.add_argument("photos", nargs="+", help="JPEG, PNG, WebP or HEIC photos of one person")
    add_expression_argument(a)
    a.add_argument("--mirrored", action="store_true", help="photos are mirrored selfies")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--landmarks", action="store_true", help="include the 478 landmarks (--json)")
    sim = sub.add_parser("simulate", help="predict what an injection plan does over time")
    sim.add_argument("photo", help="a rest photo of the patient")
    sim.add_argument("--plan", required=True, help="plan JSON (symmetry-studio/plan/1)")
    sim.add_argument("--days", default="0,3,14,90,180", help="days to predict, comma-separated")
    sim.add_argument("--expression", default="rest", help="rest, brows_up, frown, smile, …")
    sim.add_argument("--mirrored", action="store_true", help="the photo is a mirrored selfie")
    sim.add_argument("--json", action="store_true", help="print one JSON object")
    from .suggest_cli import add_parser as add_suggest_parser

    add_suggest_parser(sub)
    for name, text in (("sites", "list standard injection sites"), ("muscles", "list muscles")):
        listing = sub.add_parser(name, help=text)
        listing.add_argument("--json", action="store_true", help="print JSON")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m simulation`."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SymmetryStudioError as err:
        print(f"symmetry-studio: {err}", file=sys.stderr)
        return EXIT_INPUT if type(err) is SymmetryStudioError else err.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # the last line of defence: one line, never a traceback
        print(
            f"symmetry-studio: internal error ({type(err).__name__}: {err}); please report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
