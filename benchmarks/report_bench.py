"""Consult report timings (target: the PDF ≤ 1 s): the PDF alone with and without the photo, the
views it embeds (warped photo and 3D render), a 40-injection plan, and the CLI from a cold start.
The photo's analysis and the predictions are done once outside the timings (`make bench` times
them on their own). `python -m benchmarks.report_bench` prints the dict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import atlas  # noqa: E402
from simulation.analysis import analyze_image  # noqa: E402
from simulation.ingest import load_image  # noqa: E402
from simulation.plan import parse_plan  # noqa: E402
from simulation.prediction import build_subject, predict  # noqa: E402
from simulation.report import (  # noqa: E402
    TIMELINE_DAYS,
    ReportDetails,
    consult_report,
    report_views,
)

SAMPLE = ROOT / "simulation" / "demo" / "grace_hopper.jpg"
PLAN = {
    "product": "ona",
    "injections": [
        {"site": "glabella_procerus", "units": 4},
        {"site": "corrugator_medial_left", "units": 4},
        {"site": "corrugator_medial_right", "units": 4},
        {"site": "frontalis_lateral_left", "units": 2},
    ],
}
DETAILS = ReportDetails(patient="Bench", clinician="Dr Bench", lot="B1")


def _median_s(fn, repeat: int = 5) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return round(float(np.median(out)), 3)


def _one_plan(rest, subject, plan) -> dict:
    """The views and the PDF (with and without photos) of one plan at day 14."""
    at = predict(subject, plan, (14.0,))
    tl = predict(subject, plan, TIMELINE_DAYS, samples=100)
    views = report_views(rest, at, tl, plan)
    plain = report_views(rest, at, tl, plan, photos=False)
    return {
        "views_s": _median_s(lambda: report_views(rest, at, tl, plan), 3),
        "pdf_with_photos_s": _median_s(
            lambda: consult_report(rest, plan, at, tl, 14.0, DETAILS, views)
        ),
        "pdf_without_photos_s": _median_s(
            lambda: consult_report(rest, plan, at, tl, 14.0, DETAILS, plain, photos=False)
        ),
        "pdf_kb": len(consult_report(rest, plan, at, tl, 14.0, DETAILS, views)) // 1024,
    }


def bench_report() -> dict:
    """Seconds for the report's parts, median of 5 warm runs; the CLI once, cold."""
    rest = analyze_image(load_image(SAMPLE.read_bytes(), name=SAMPLE.name))
    subject = build_subject(rest)
    plans = {"4 injections": parse_plan(PLAN)}
    sites = [s.id for s in atlas.sites() if s.routine][:40]
    plans["40 injections"] = parse_plan(
        {
            "product": "ona",
            "injections": [{"site": sites[k % len(sites)], "units": 1} for k in range(40)],
        }
    )
    out: dict = {label: _one_plan(rest, subject, plan) for label, plan in plans.items()}
    with tempfile.TemporaryDirectory() as tmp:
        plan_file = Path(tmp) / "plan.json"
        plan_file.write_text(json.dumps(PLAN))
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "simulation", "report", str(SAMPLE), "--plan", str(plan_file)]
            + ["--out", str(Path(tmp) / "r.pdf")],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        out["cli_cold_s"] = round(time.perf_counter() - t, 2)
    return out


def print_report(r: dict) -> None:
    """One line per plan: the PDF against its 1 s target, the views, the size; then the CLI."""
    for label in ("4 injections", "40 injections"):
        x = r[label]
        print(
            f"report ({label}): PDF {x['pdf_with_photos_s']} s with photos / "
            f"{x['pdf_without_photos_s']} s without (target ≤ 1 s), views {x['views_s']} s, "
            f"{x['pdf_kb']} KB"
        )
    print(f"report CLI from a cold start (analysis, predictions, PDF): {r['cli_cold_s']} s")


if __name__ == "__main__":
    result = bench_report()
    print(json.dumps(result, indent=2))
    print_report(result)
