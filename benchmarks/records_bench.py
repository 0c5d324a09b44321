"""Record timings (targets on SQLite: saving a visit ≤ 50 ms, loading a patient with 20 visits
≤ 200 ms, a follow-up update ≤ 100 ms), on SQLite and, when it can be had, PostgreSQL.

The photo analysis is done once outside the timings (`make bench` times it on its own);
"save visit" is the database write of one analysed photo with its PNG and the plan's draws,
"save visit + draws" adds computing the draws for the follow-up. `python -m
benchmarks.records_bench` prints the dict."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.analysis import analyze_image  # noqa: E402
from simulation.calibration import DrawSet, follow_up, prediction_draws  # noqa: E402
from simulation.ingest import encode_png, load_image  # noqa: E402
from simulation.plan import parse_plan, plan_to_json  # noqa: E402
from simulation.prediction import build_subject  # noqa: E402
from simulation.records import PhotoInput, open_store  # noqa: E402
from simulation.records.visits import followup_for_patient  # noqa: E402

SAMPLE = ROOT / "simulation" / "demo" / "grace_hopper.jpg"
PLAN = {"product": "ona", "injections": [{"site": "frontalis_lateral_left", "units": 1}]}
VISITS = 20


def _ms(values: list[float]) -> float:
    return round(1000 * float(np.median(values)), 2)


def _one_backend(url: str, analysis, photo: PhotoInput, draws: bytes, subject) -> dict:
    store = open_store(url)
    pid = store.add_patient("Bench", photo_consent=True)
    start = dt.date(2020, 1, 1)
    plan = plan_to_json(parse_plan(PLAN))
    save = []
    for k in range(VISITS):
        t = time.perf_counter()
        store.add_visit(
            pid, start + dt.timedelta(days=14 * k), [photo], plan=plan, prediction_draws=draws
        )
        save.append(time.perf_counter() - t)
    load = []
    for _ in range(5):
        t = time.perf_counter()
        patient = store.patient(pid)
        load.append(time.perf_counter() - t)
    assert len(patient.visits) == VISITS
    update = []
    for _ in range(5):
        t = time.perf_counter()
        followup_for_patient(patient)
        update.append(time.perf_counter() - t)
    with_draws = []
    for k in range(3):
        t = time.perf_counter()
        d = prediction_draws(subject, parse_plan(PLAN)).to_bytes()
        store.add_visit(
            pid, start - dt.timedelta(days=k + 1), [photo], plan=plan, prediction_draws=d
        )
        with_draws.append(time.perf_counter() - t)
    store.delete_patient(pid)
    store.close()
    return {
        "save_visit_ms_median": _ms(save),
        "save_visit_with_draws_ms_median": _ms(with_draws),
        "load_patient_20_visits_ms_median": _ms(load),
        "followup_update_ms_median": _ms(update),
    }


def bench_records() -> dict:
    """Median timings per backend (PostgreSQL skipped when it cannot be installed)."""
    from tests.pg_server import postgres_server

    analysis = analyze_image(load_image(SAMPLE))
    subject = build_subject(analysis)
    photo = PhotoInput("rest", analysis.to_json(landmarks=True), encode_png(analysis.image.rgb))
    draws = prediction_draws(subject, parse_plan(PLAN)).to_bytes()
    assert DrawSet.from_bytes(draws) is not None and follow_up is not None
    out: dict = {"draws_kb": round(len(draws) / 1024, 1)}
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = _one_backend(
            f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", analysis, photo, draws, subject
        )
    with postgres_server() as url:
        out["postgresql"] = (
            _one_backend(url, analysis, photo, draws, subject) if url else {"skipped": "no server"}
        )
    return out


def print_records(r: dict) -> None:
    """One line per backend."""
    for name in ("sqlite", "postgresql"):
        b = r[name]
        if "skipped" in b:
            print(f"records ({name}): skipped ({b['skipped']})")
            continue
        print(
            f"records ({name}): save a visit {b['save_visit_ms_median']} ms (≤ 50; "
            f"{b['save_visit_with_draws_ms_median']} ms computing the follow-up draws), load a "
            f"patient with {VISITS} visits {b['load_patient_20_visits_ms_median']} ms (≤ 200), "
            f"follow-up update {b['followup_update_ms_median']} ms (≤ 100); "
            f"draws {r['draws_kb']} kB a treatment visit"
        )


if __name__ == "__main__":
    res = bench_records()
    print(json.dumps(res, indent=2))
    print_records(res)
