"""Repeatability: how much each left-right difference moves when the photo is re-taken
(tests/retake.py: TUNING, which the uncertainty was set on, and HELD_OUT, which it was not), how
well the stated 80% band covers those changes, and whether the balanced suggested plan stays the
same (issue 12). Real photos from ../shared/faces/frontal; skipped when absent.

`bench_repeatability()` returns a dict for benchmarks/results.json; `print_repeatability` prints
it as `make bench` does."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

import numpy as np

from simulation.analysis import analyze_image
from simulation.atlas import mirror_id
from simulation.ingest import flip_horizontal, load_image
from simulation.metrics import METRIC_NAMES, Z80
from simulation.prediction import build_subject
from simulation.suggest import suggest
from tests.retake import HELD_OUT, TUNING, exposure, jpeg

TWO_SIDED = [n for n in METRIC_NAMES if n != "symmetry_index_mm"]
PLAN_RETAKES = {"jpeg q95": jpeg(95), "8% brighter": exposure(1.08)}


def _units(sug, mirrored: bool = False) -> dict[str, float]:
    plan = sug.by_name("balanced")
    out: dict[str, float] = defaultdict(float)
    for inj in plan.plan.injections if plan else ():
        muscle = inj.target or "point"
        out[mirror_id(muscle) if mirrored else muscle] += inj.units
    return out


def _same_plan(a: dict[str, float], b: dict[str, float]) -> bool:
    worst = max((abs(a.get(m, 0.0) - b.get(m, 0.0)) for m in set(a) | set(b)), default=0.0)
    return worst <= 1.0 and abs(sum(a.values()) - sum(b.values())) <= 2.0


def bench_repeatability(frontal: Path) -> dict:
    if not frontal.is_dir():
        return {"skipped": f"{frontal} is absent"}
    rows: list[tuple[str, str, float, float]] = []  # suite, metric, |change|, 80% band
    plans, mirror_jpeg = [], 0.0
    for path in sorted(frontal.iterdir()):
        img = load_image(path)
        base = analyze_image(img)
        if {w.code for w in base.warnings} & {"small_iris", "head_turned"}:
            continue
        for suite, retakes in (("tuning", TUNING), ("held_out", HELD_OUT)):
            for retake in retakes.values():
                again = analyze_image(dataclasses.replace(img, rgb=retake(img.rgb)))
                for n in TWO_SIDED:
                    a, b = base.metrics[n], again.metrics[n]
                    band = Z80 * float(np.hypot(a.diff_sd, b.diff_sd))
                    rows.append((suite, n, abs(b.diff - a.diff), band))
        flipped = flip_horizontal(img)
        m = analyze_image(dataclasses.replace(flipped, rgb=jpeg(95)(flipped.rgb)))
        mirror_jpeg = max(
            mirror_jpeg, max(abs(base.metrics[n].diff + m.metrics[n].diff) for n in TWO_SIDED)
        )
        own = _units(suggest(build_subject(base)))
        for name, retake in PLAN_RETAKES.items():
            again = analyze_image(dataclasses.replace(img, rgb=retake(img.rgb)))
            plans.append((path.stem, name, _same_plan(own, _units(suggest(build_subject(again))))))
        mirrored = _units(suggest(build_subject(analyze_image(flipped))), mirrored=True)
        plans.append((path.stem, "mirrored", _same_plan(own, mirrored)))

    def summary(sel: list[tuple[str, str, float, float]]) -> dict:
        d = np.array([r[2] for r in sel])
        band = np.array([r[3] for r in sel])
        return {
            "n": len(d),
            "within_0.3_mm_pct": round(100 * float((d <= 0.3).mean()), 1),
            "median_mm": round(float(np.median(d)), 3),
            "p90_mm": round(float(np.percentile(d, 90)), 3),
            "p95_mm": round(float(np.percentile(d, 95)), 3),
            "worst_mm": round(float(d.max()), 3),
            "band80_holds_pct": round(100 * float((d <= band).mean()), 1),
        }

    return {
        "suites": {s: summary([r for r in rows if r[0] == s]) for s in ("tuning", "held_out")},
        "per_metric": {n: summary([r for r in rows if r[1] == n]) for n in TWO_SIDED},
        "jpeg_mirror_max_mm": round(mirror_jpeg, 3),
        "balanced_plan_same": [list(p) for p in plans],
    }


def print_repeatability(rep: dict) -> None:
    if "skipped" in rep:
        print(f"repeatability: skipped ({rep['skipped']})")
        return
    print("repeatability (re-taken photos, the 12 unflagged real faces; targets: 95% ≤ 0.3 mm, ")
    print("  none > 0.5 mm, the 80% band holding 75-85% of the changes):")
    for suite, s in rep["suites"].items():
        print(
            f"  {suite:9} n={s['n']}: {s['within_0.3_mm_pct']}% ≤ 0.3 mm, median "
            f"{s['median_mm']}, p90 {s['p90_mm']}, p95 {s['p95_mm']}, worst {s['worst_mm']} mm; "
            f"80% band holds {s['band80_holds_pct']}%"
        )
    print(f"  {'metric':26} {'median':>7} {'p90':>6} {'worst':>6} {'band80':>7}")
    for n, s in rep["per_metric"].items():
        print(
            f"  {n:26} {s['median_mm']:7.2f} {s['p90_mm']:6.2f} {s['worst_mm']:6.2f} "
            f"{s['band80_holds_pct']:6.1f}%"
        )
    print(f"  JPEG-saved mirror: worst disagreement {rep['jpeg_mirror_max_mm']} mm (target ≤ 0.3)")
    same = rep["balanced_plan_same"]
    moved = [f"{p} ({v})" for p, v, ok in same if not ok]
    print(
        f"  balanced plan within 1 U per muscle and 2 U in total: {sum(ok for *_, ok in same)} "
        f"of {len(same)} re-saved, re-exposed or mirrored photos; changed: {', '.join(moved)}"
    )
