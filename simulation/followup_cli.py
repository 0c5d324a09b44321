"""`symmetry-studio followup PATIENT`: what was predicted for the follow-up day against what
the new photo measures, and the prediction re-made with this patient's calibrated draws."""

from __future__ import annotations

import argparse
from typing import Any

from .cli_args import EXIT_OK, add_db_argument
from .cli_args import print_json as _print_json

__all__ = ["add_parser", "cmd_followup"]


def add_parser(subparsers: Any) -> None:
    """Add the `followup` subcommand to the CLI's subparsers."""
    f = subparsers.add_parser("followup", help="compare a follow-up photo with the prediction")
    f.add_argument("patient", help="patient id or exact name")
    add_db_argument(f)
    f.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_followup(args: argparse.Namespace) -> int:
    """Compare the latest follow-up with the prediction made at the treatment visit."""
    from .metrics import LABELS
    from .records import open_store
    from .records.visits import followup_caveats, followup_for_patient

    store = open_store(args.db)
    try:
        patient = store.patient(args.patient)
    finally:
        store.close()
    treated, seen, fu = followup_for_patient(patient)
    caveats = followup_caveats(treated, seen)
    if args.json:
        out = fu.to_json()
        out.update(
            patient=patient.id,
            treatment_visit=treated.date.isoformat(),
            followup_visit=seen.date.isoformat(),
            photo_caveats=caveats,
        )
        _print_json(out)
        return EXIT_OK
    print(
        f"{patient.name}: day {fu.day:g} after the treatment of {treated.date.isoformat()} "
        f"(photo of {seen.date.isoformat()}); L-R differences, mm"
    )
    print(f"{'measurement':34} {'before':>7} {'predicted [10-90%]':>22} {'observed':>13}  verdict")
    for name, m in fu.metrics.items():
        band = f"{m.predicted.median:+.2f} [{m.predicted.p10:+.2f}, {m.predicted.p90:+.2f}]"
        obs = f"{m.observed:+.2f} ± {m.observed_sd:.2f}"
        verdict = m.versus_prediction + (f" by {m.outside_by_mm:.2f}" if not m.inside_band else "")
        print(f"{LABELS[name]:34} {m.before:+7.2f} {band:>22} {obs:>13}  {verdict}")
    print(
        f"\nbased on this patient's response at day {fu.day:g}: effect {fu.effect_scale:.2f}× "
        f"the model's typical patient "
        f"({fu.effective_draws:.0f} effective draws of {len(fu.weights)})"
    )
    for c in caveats:
        print(f"caution, {c}")
    return EXIT_OK
