"""`symmetry-studio suggest`: which muscles drive the asymmetry, the smallest plans that balance
it, and the visit schedule for the balanced one (registered by `cli.build_parser`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from .cli_args import EXIT_OK, add_db_argument, add_expression_argument, recorded_response
from .errors import InputError

__all__ = ["add_parser", "cmd_suggest"]


def add_parser(subparsers: Any) -> None:
    """Add the `suggest` subcommand to the CLI's subparsers."""
    p = subparsers.add_parser(
        "suggest",
        help="which muscles drive the asymmetry and the smallest plans that balance it",
        description="Attribute the measured asymmetry to muscles, suggest conservative, "
        "balanced and full plans, and a 12-month visit schedule for the balanced plan.",
    )
    p.add_argument("photos", nargs="+", help="a rest photo, optionally expression photos")
    add_expression_argument(p)
    p.add_argument("--product", default="onabotulinumtoxinA", help="ona, inco, abo, prabo, daxi")
    p.add_argument("--max-units", type=float, default=None, help="most units in the product")
    p.add_argument("--event-date", default=None, help="YYYY-MM-DD: time the sessions for it")
    p.add_argument("--mirrored", action="store_true", help="photos are mirrored selfies")
    p.add_argument(
        "--patient",
        default=None,
        help="a recorded patient: suggest and schedule for their response at their last follow-up",
    )
    add_db_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _date(text: str | None) -> dt.date | None:
    """The `--event-date`, or None; a malformed date is one line of bad input."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            "bad_event_date", f"--event-date '{text}' must be a date like 2026-06-30"
        ) from None


def cmd_suggest(args: argparse.Namespace) -> int:
    """Attribute, suggest and schedule for one person's photos."""
    from .analysis import analyze
    from .attribution import attribute
    from .pharmacology import normalise_product
    from .prediction import build_subject
    from .schedule import schedule
    from .suggest import suggest, suggestion_to_json

    if args.max_units is not None and not args.max_units > 0:
        raise InputError(
            "bad_max_units", f"--max-units must be more than 0, got {args.max_units:g}"
        )
    event = _date(args.event_date)
    product = normalise_product(args.product)
    study = analyze(args.photos, args.expression or None, mirrored=args.mirrored)
    rest = study.rest
    if rest is None:
        raise InputError(
            "no_rest_photo", "suggest needs a rest photo: label one of the photos --expression rest"
        )
    subject = build_subject(rest)
    attribution = attribute(subject, study)
    mine = recorded_response(args.patient, args.db) if args.patient else None
    draws = mine.draws if mine else None
    plans = suggest(subject, study, product, args.max_units, attribution=attribution, draws=draws)
    chosen = next(
        (plans.by_name(n) for n in ("balanced", "conservative", "full") if plans.by_name(n)), None
    )
    sched = (
        schedule(subject, chosen.plan, event_date=event, attribution=attribution, patient=draws)
        if chosen is not None
        else None
    )
    out = suggestion_to_json(plans, sched, product)
    out["image"] = {"name": rest.image.name, "sha256": rest.image.sha256}
    out["schedule_for"] = chosen.name if chosen is not None else None
    if mine:
        out["calibration"] = {"patient": args.patient, "note": mine.note}
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(_text(out, rest.warnings))
    return EXIT_OK


def _text(out: dict[str, Any], warnings: tuple) -> str:
    """A readable summary of the suggestion JSON."""
    from .metrics import LABELS
    from .noteworthy import noteworthy

    lines = [f"{out['image']['name']}: what drives the asymmetry"]
    if "calibration" in out:
        lines.append(f"  for {out['calibration']['patient']}: {out['calibration']['note']}")
    for k, m in enumerate(out["attribution"][:8], 1):
        lines.append(f"  {k}. {m['sentence']} (confidence {m['confidence']:.0%})")
    if not out["attribution"]:
        lines.append("  no muscle explains a measurable difference")
    for u in out["untreatable"]:
        lines.append(
            f"  not a toxin case: {LABELS[u['measurement']].lower()} {abs(u['residual_mm']):.1f} "
            f"({u['reason']})"
        )
    for w in out["weakness"]:
        lines.append(f"  weakness: {w['message']}")
    lines.append("")
    for n in out["notes"]:
        lines.append(f"  note: {n}")
    if not out["plans"]:
        lines.append(f"no plan: {out['reason']}")
    for p in out["plans"]:
        total = p["total_units"]
        sites = ", ".join(f"{i['site']} {i['units']:g} U" for i in p["plan"]["injections"])
        lines.append(
            f"{p['name']} (aims at {p['target_correction_pct']}% of the muscle-driven part): "
            f"{sites}; total {total['product']:g} U ({total['ona']:g} U ona)"
        )
        for name, d in p["predicted"].items():
            if noteworthy(d["before"], d["median"]):
                lines.append(
                    f"    {LABELS[name]:34} {d['before']:+6.2f} -> {d['median']:+6.2f} "
                    f"[{d['p10']:+.2f}, {d['p90']:+.2f}] (day {d['day']:g})"
                )
        for w in p["warnings"]:
            lines.append(f"    warning [{w['code']}]: {w['message']}")
    sched = out.get("schedule")
    if sched:
        lines.append("")
        lines.append(f"12 months for the {out['schedule_for']} plan:")
        for v in sched["visits"]:
            what = ", ".join(f"{i['site']} {i['units']:g} U" for i in v["injections"]) or "-"
            lines.append(f"  day {v['day']:3d} {v['date']} {v['kind']:12} {what}")
        if sched["latest_session_date"]:
            lines.append(f"  latest session before the event: {sched['latest_session_date']}")
        for n in sched["notes"]:
            lines.append(f"  note: {n}")
    for w in warnings:
        lines.append(f"warning [{w.code}]: {w.message}")
    return "\n".join(lines)
