"""`symmetry-studio simulate`: predict what an injection plan does to one photo over time."""

from __future__ import annotations

import argparse
from typing import Any

from .cli_args import EXIT_OK, add_db_argument, recorded_response
from .cli_args import print_json as _print_json
from .errors import SymmetryStudioError

__all__ = ["add_parser", "cmd_simulate", "read_plan"]


def add_parser(subparsers: Any) -> None:
    """Add the `simulate` subcommand to the CLI's subparsers."""
    sim = subparsers.add_parser("simulate", help="predict what an injection plan does over time")
    sim.add_argument("photo", help="a rest photo of the patient")
    sim.add_argument("--plan", required=True, help="plan JSON (symmetry-studio/plan/1)")
    sim.add_argument("--days", default="0,3,14,90,180", help="days to predict, comma-separated")
    sim.add_argument("--expression", default="rest", help="rest, brows_up, frown, smile, …")
    sim.add_argument("--mirrored", action="store_true", help="the photo is a mirrored selfie")
    sim.add_argument("--json", action="store_true", help="print one JSON object")
    sim.add_argument(
        "--photo-out", metavar="FILE", help="write the predicted photo (PNG, no metadata)"
    )
    sim.add_argument(
        "--photo-day", type=float, default=14.0, help="day of the predicted photo (default 14)"
    )
    sim.add_argument(
        "--patient",
        help="predict with this recorded patient's response at their last follow-up "
        "(id or exact name; for a top-up or the next session)",
    )
    add_db_argument(sim)


def _days(text: str) -> list[float]:
    """The `--days` list, checked (0 to 3650)."""
    try:
        days = [float(d) for d in text.split(",") if d.strip()]
    except ValueError:
        raise SymmetryStudioError(f"--days '{text}' must be numbers separated by commas") from None
    if not days or any(d < 0 or d > 3650 for d in days):
        raise SymmetryStudioError("--days must list days between 0 and 3650, e.g. 0,3,14,90,180")
    return days


def read_plan(path: str) -> Any:
    """The plan in a plan/1 JSON file; a file that cannot be read is one line of bad input."""
    from .errors import InputError
    from .plan import parse_plan

    try:
        with open(path, "rb") as fh:
            return parse_plan(fh.read())
    except OSError as err:
        raise InputError("plan_not_readable", f"cannot read plan {path}: {err.strerror}") from None


def _write_photo(path: str, analysis: Any, displacement_mm: Any) -> None:
    """The photo warped by the predicted displacement, as a metadata-free PNG."""
    from .errors import InputError
    from .ingest import encode_png
    from .photo_warp import warp_photo

    data = encode_png(warp_photo(analysis.image.rgb, analysis, displacement_mm))
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as err:
        raise InputError("photo_out_not_writable", f"cannot write {path}: {err.strerror}") from None


def cmd_simulate(args: argparse.Namespace) -> int:
    """Predict a plan's effect on one photo over time."""
    from .analysis import analyze_image
    from .ingest import load_image
    from .prediction import build_subject, predict

    plan = read_plan(args.plan)
    days = _days(args.days)
    analysis = analyze_image(load_image(args.photo, mirrored=args.mirrored))
    if args.photo_out and args.photo_day not in days:
        days = sorted([*days, _days(str(args.photo_day))[0]])
    mine = recorded_response(args.patient, args.db) if args.patient else None
    draws = mine.draws if mine else None
    prediction = predict(build_subject(analysis), plan, days, args.expression, draws=draws)
    if args.photo_out:
        _write_photo(
            args.photo_out, analysis, prediction.displacement_mm[prediction.at(args.photo_day)]
        )
    if args.json:
        out = prediction.to_json()
        if mine:
            out["calibration"] = {"patient": args.patient, "note": mine.note}
        _print_json(out)
        return EXIT_OK
    from .metrics import LABELS

    total = prediction.total_units
    print(f"{analysis.image.name}: {total['product']:g} U {plan.product} ({total['ona']:g} U ona)")
    if mine:
        print(mine.note)
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
