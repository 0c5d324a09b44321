"""`symmetry-studio train`: the training case library (list, write a case's photos and JSON,
score a plan against a case, kept per trainee with `--trainee`; a trainee's history, the
trainees, erasing one), registered by `cli.build_parser`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .cli_args import EXIT_OK, add_db_argument, print_json
from .errors import InputError

__all__ = ["add_parser", "cmd_train"]


def add_parser(subparsers: Any) -> None:
    """Add the `train` subcommand (list | case | score) to the CLI's subparsers."""
    p = subparsers.add_parser(
        "train",
        help="training cases: faces with a known cause of asymmetry, and plans scored",
        description="List the training cases, write one case's photos and scenario, or score "
        "a plan (and a diagnosis) against a case and the model's own plan.",
    )
    sub = p.add_subparsers(dest="train_command", required=True, parser_class=type(p))
    ls = sub.add_parser("list", help="the built-in cases")
    ls.add_argument("--json", action="store_true", help="print one JSON object")
    case = sub.add_parser("case", help="write a case's photos (PNG) and its scenario JSON")
    case.add_argument("id", help="a case id (see `train list`) or a scenario .json file")
    case.add_argument("--out", required=True, help="folder to write into (created if absent)")
    case.add_argument("--json", action="store_true", help="print one JSON object")
    score = sub.add_parser("score", help="score a plan against a case")
    score.add_argument("id", help="a case id (see `train list`) or a scenario .json file")
    score.add_argument("plan", help="a symmetry-studio/plan/1 JSON file")
    score.add_argument(
        "--diagnosis",
        nargs="*",
        default=[],
        metavar="MUSCLE",
        help="the muscles (with side) you think drive it, or not_toxin",
    )
    for s in (case, score):
        s.add_argument(
            "--photo",
            help="the base photo of a scenario file whose base face is 'upload' (an educator's)",
        )
    score.add_argument(
        "--trainee",
        metavar="NAME",
        help="save the score under this trainee in the record database (a new name is added)",
    )
    score.add_argument(
        "--exam", action="store_true", help="record the attempt as an exam (default: practice)"
    )
    add_db_argument(score)
    score.add_argument("--json", action="store_true", help="print one JSON object")
    history = sub.add_parser("history", help="a trainee's saved scores, oldest first")
    history.add_argument("trainee", help="the trainee's exact name")
    trainees = sub.add_parser("trainees", help="the trainees with saved scores")
    forget = sub.add_parser("forget", help="erase a trainee and every score of theirs")
    forget.add_argument("trainee", help="the trainee's exact name")
    for s in (history, trainees, forget):
        add_db_argument(s)
        s.add_argument("--json", action="store_true", help="print one JSON object")


def _scenario(ref: str, photo_path: str | None = None) -> Any:
    from .training import builtin_scenario, load_scenario

    if not ref.endswith(".json"):
        if photo_path:
            raise InputError(
                "photo_for_builtin", "--photo is for a scenario file, not a built-in case"
            )
        return builtin_scenario(ref)
    photo = None
    if photo_path:
        try:
            photo = Path(photo_path).read_bytes()
        except OSError as err:
            raise InputError(
                "unreadable_photo", f"cannot read photo {photo_path}: {err.strerror}"
            ) from None
    return load_scenario(ref, photo)


def _list(args: argparse.Namespace) -> int:
    from .training import builtin_scenarios

    rows = [
        {"id": s.id, "title": s.title, "toxin_case": s.answer.toxin_case}
        for s in builtin_scenarios()
    ]
    if args.json:
        print_json({"cases": rows})
    else:
        for r in rows:
            print(f"{r['id']:28s} {r['title']}")
    return EXIT_OK


def _case(args: argparse.Namespace) -> int:
    from .ingest import encode_png
    from .training import build_case, scenario_to_json

    scenario = _scenario(args.id, args.photo)
    case = build_case(scenario)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for e in scenario.expressions:
            path = out / f"{scenario.id}_{e}.png"
            path.write_bytes(encode_png(case.photo(e)))
            written.append(str(path))
        spath = out / f"{scenario.id}.json"
        spath.write_text(json.dumps(scenario_to_json(scenario), indent=2) + "\n")
    except OSError as err:
        raise InputError("unwritable_out", f"cannot write to {out}: {err.strerror}") from None
    if args.json:
        print_json({"case": scenario.id, "photos": written, "scenario": str(spath)})
    else:
        print(f"{scenario.title}: {len(written)} photo(s) and {spath.name} in {out}")
        print(scenario.question)
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    from . import atlas
    from .plan import parse_plan
    from .training import build_case
    from .training.score import NOT_TOXIN, score_plan

    scenario = _scenario(args.id, args.photo)
    try:
        text = Path(args.plan).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(
            "unreadable_plan", f"cannot read plan {args.plan}: {err.strerror}"
        ) from None
    plan = parse_plan(text)
    for d in args.diagnosis:
        if d != NOT_TOXIN:
            try:
                atlas.muscle(d)
            except InputError as err:
                raise InputError(err.code, f"--diagnosis: {err.message}") from None
    if args.trainee is not None and not args.trainee.strip():
        raise InputError("trainee_name", "--trainee needs a display name or pseudonym")
    result = score_plan(build_case(scenario), plan, args.diagnosis)
    saved = _save(args, scenario.id, result) if args.trainee else None
    if args.json:
        out = result.to_json()
        if saved is not None:
            out["saved"] = {"trainee": args.trainee.strip(), "attempt": saved}
        print_json(out)
        return EXIT_OK
    print(
        f"{scenario.title}: {result.total:.0f}/100" + (" (capped: safety)" if result.capped else "")
    )
    for c in result.components:
        mx = f"/{c.max_points:g}" if c.max_points else ""
        print(f"  {c.name:12s} {c.points:5.1f}{mx:5s} {c.detail}")
    for p in result.teaching_points:
        print(f"  - {p['text']} ({p['source']})")
    if saved is not None:
        print(f"saved as attempt {saved} of {args.trainee.strip()}")
    return EXIT_OK


def _save(args: argparse.Namespace, case_id: str, result: Any) -> int:
    """Keep the scored attempt under the trainee (exam or practice)."""
    from .records import open_store

    data = result.to_json()
    store = open_store(args.db)
    try:
        return store.add_attempt(
            args.trainee,
            case_id,
            "exam" if args.exam else "practice",
            list(args.diagnosis),
            data["plan"],
            data["total"],
            data["components"],
            result.capped,
        )
    finally:
        store.close()


def _records(args: argparse.Namespace) -> int:
    """`history`, `trainees` and `forget`: the trainees' saved scores."""
    from .records import TRAINEE_SCHEMA, open_store, trainee_to_json

    store = open_store(args.db)
    try:
        if args.train_command == "trainees":
            rows = [
                {"id": t.id, "name": t.name, "attempts": len(store.trainee(t.name).attempts)}
                for t in store.trainees()
            ]
            if args.json:
                print_json({"schema": "symmetry-studio/trainees/1", "trainees": rows})
            for r in [] if args.json else rows:
                print(f"{r['name']:30s} {r['attempts']} attempt(s)")
        elif args.train_command == "history":
            out = trainee_to_json(store.trainee(args.trainee))
            if args.json:
                print_json(out)
            else:
                print(f"{out['name']}: {len(out['attempts'])} attempt(s)")
                for a in out["attempts"]:
                    capped = " (capped: safety)" if a["capped_by_safety"] else ""
                    when, score = a["at"][:10], f"{a['total']:5.1f}"
                    print(f"  {when}  {a['mode']:8s} {a['case']:28s} {score}{capped}")
        else:
            tid = store.delete_trainee(args.trainee)
            if args.json:
                print_json({"schema": TRAINEE_SCHEMA, "id": tid, "deleted": True})
            else:
                print(f"trainee {args.trainee.strip()} and all their scores erased")
    finally:
        store.close()
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """Run one `train` subcommand."""
    run = {"list": _list, "case": _case, "score": _score}.get(args.train_command, _records)
    return run(args)
