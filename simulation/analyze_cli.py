"""`symmetry-studio analyze`: measure one or several photos of one person."""

from __future__ import annotations

import argparse
from typing import Any

from .cli_args import EXIT_OK, add_expression_argument
from .cli_args import print_json as _print_json

__all__ = ["add_parser", "cmd_analyze"]


def add_parser(subparsers: Any) -> None:
    """Add the `analyze` subcommand to the CLI's subparsers."""
    a = subparsers.add_parser("analyze", help="measure facial asymmetry on one or more photos")
    a.add_argument("photos", nargs="+", help="JPEG, PNG, WebP or HEIC photos of one person")
    add_expression_argument(a)
    a.add_argument("--mirrored", action="store_true", help="photos are mirrored selfies")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--landmarks", action="store_true", help="include the 478 landmarks (--json)")


def _metric_table(metrics: dict[str, Any]) -> str:
    """The measurements as aligned text columns."""
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
