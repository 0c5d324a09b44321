"""The `symmetry-studio` command: analyze photos or a clip (analyze-video), simulate, suggest,
list the atlas, keep patient records (patient, visit, followup, records), write the consult
report (report) and train on the case library (train).

Bad input prints one line and exits 2; an internal error prints one line and exits 1."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from . import (
    analyze_cli,
    atlas_cli,
    followup_cli,
    patient_cli,
    records_cli,
    report_cli,
    simulate_cli,
    suggest_cli,
    train_cli,
    video_cli,
    visit_cli,
)
from .cli_args import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK
from .errors import SymmetryStudioError

__all__ = ["COMMANDS", "EXIT_INPUT", "EXIT_INTERNAL", "EXIT_OK", "build_parser", "main"]

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one sparse solve: threads only contend


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"symmetry-studio: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


# Each command lives in its own module (`*_cli.py`, none importing this entry); this module
# only builds the parser and runs one command.
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "analyze": analyze_cli.cmd_analyze,
    "analyze-video": video_cli.cmd_analyze_video,
    "simulate": simulate_cli.cmd_simulate,
    "sites": atlas_cli.cmd_sites,
    "muscles": atlas_cli.cmd_muscles,
    "suggest": suggest_cli.cmd_suggest,
    "patient": patient_cli.cmd_patient,
    "visit": visit_cli.cmd_visit,
    "followup": followup_cli.cmd_followup,
    "records": records_cli.cmd_records,
    "report": report_cli.cmd_report,
    "train": train_cli.cmd_train,
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    p = _Parser(prog="symmetry-studio", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    analyze_cli.add_parser(sub)
    video_cli.add_parser(sub)
    simulate_cli.add_parser(sub)
    suggest_cli.add_parser(sub)
    atlas_cli.add_parsers(sub)
    patient_cli.add_parser(sub)
    visit_cli.add_parser(sub)
    followup_cli.add_parser(sub)
    records_cli.add_parser(sub)
    report_cli.add_parser(sub)
    train_cli.add_parser(sub)
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
