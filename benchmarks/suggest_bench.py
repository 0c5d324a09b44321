"""Attribution, suggestion and schedule time per photo (target: attribution + suggestion ≤ 1 s
on a 2-core machine), on the committed sample and on ../shared/faces/frontal when present.

`bench_suggest()` returns a dict for benchmarks/results.json; `python -m benchmarks.suggest_bench`
prints it."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.analysis import analyze_image  # noqa: E402
from simulation.attribution import attribute  # noqa: E402
from simulation.ingest import load_image  # noqa: E402
from simulation.prediction import build_subject  # noqa: E402
from simulation.schedule import schedule  # noqa: E402
from simulation.suggest import suggest  # noqa: E402

FRONTAL = ROOT.parent / "shared" / "faces" / "frontal"
SAMPLE = ROOT / "simulation" / "demo" / "grace_hopper.jpg"
TARGET_MS = 1000.0


def _ms(seconds: float) -> float:
    return round(1000.0 * seconds, 1)


def _timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time of `repeat` runs (after one warm-up run) and the last result."""
    out = fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def bench_suggest(photos: list[Path] | None = None) -> dict:
    """Per photo: attribution ms, suggestion ms (3 alternatives, verified with predict) and the
    balanced plan's 12-month schedule ms, with what was suggested."""
    if photos is None:
        photos = [SAMPLE] + (sorted(FRONTAL.iterdir()) if FRONTAL.is_dir() else [])
    per_photo = {}
    for path in photos:
        try:
            subject = build_subject(analyze_image(load_image(path)))
        except Exception as err:  # a photo the analysis refuses is reported, not fatal
            per_photo[path.stem] = {"error": f"{type(err).__name__}: {err}"}
            continue
        t_att, att = _timed(lambda s=subject: attribute(s), 5)
        t_sug, plans = _timed(lambda s=subject, a=att: suggest(s, attribution=a), 2)
        chosen = plans.by_name("balanced") or (plans[0] if plans else None)
        t_sch = 0.0
        if chosen is not None:
            t_sch, _ = _timed(lambda s=subject, p=chosen.plan: schedule(s, p), 1)
        per_photo[path.stem] = {
            "attribution_ms": _ms(t_att),
            "suggestion_ms": _ms(t_sug),
            "schedule_ms": _ms(t_sch),
            "top_muscle": att.muscles[0].muscle if att.muscles else None,
            "plans": {p.name: p.total_units["ona"] for p in plans},
            "reason": plans.reason or None,
        }
    ok = [r for r in per_photo.values() if "error" not in r]
    att_ms = np.array([r["attribution_ms"] for r in ok])
    sug_ms = np.array([r["suggestion_ms"] for r in ok])
    both = att_ms + sug_ms
    return {
        "photos": len(ok),
        "attribution_ms_median": round(float(np.median(att_ms)), 1),
        "suggestion_ms_median": round(float(np.median(sug_ms)), 1),
        "suggestion_ms_max": round(float(sug_ms.max()), 1),
        "attribution_plus_suggestion_ms_p90": round(float(np.percentile(both, 90)), 1),
        "within_target": bool((both <= TARGET_MS).all()),
        "target_ms": TARGET_MS,
        "per_photo": per_photo,
    }


def main() -> int:
    result = bench_suggest()
    print(json.dumps({k: v for k, v in result.items() if k != "per_photo"}, indent=2))
    print(f"{'photo':28} {'attrib ms':>9} {'suggest ms':>10} {'schedule ms':>11}  plans (U ona)")
    for name, row in result["per_photo"].items():
        if "error" in row:
            print(f"{name:28} {row['error']}")
            continue
        plans = ", ".join(f"{k} {v:g}" for k, v in row["plans"].items()) or row["reason"]
        print(
            f"{name:28} {row['attribution_ms']:9.1f} {row['suggestion_ms']:10.1f} "
            f"{row['schedule_ms']:11.1f}  {plans}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
