"""`make bench`: speed, memory and accuracy figures, printed and written to benchmarks/results.json.

Targets (2-core machine): analysis ≤ 40 ms median per photo warm; basis build ≤ 1 s for ~7,000
vertices; one plan at one day ≤ 2 ms; 200 uncertainty samples ≤ 100 ms; dashboard first
before/after view ≤ 5 s and units edit → updated view ≤ 0.5 s. Peak memory is this process's
(the browser and the Streamlit server run as separate processes)."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import landmarker, mechanics  # noqa: E402
from simulation.analysis import analyze_image  # noqa: E402
from simulation.ingest import flip_horizontal, load_image  # noqa: E402
from simulation.pharmacology import Params  # noqa: E402
from simulation.plan import parse_plan  # noqa: E402
from simulation.prediction import _activation_change, _effects, build_subject, predict  # noqa: E402
from tests.warp import drop_upper_lid, height_difference_mm, lift_brow  # noqa: E402

FRONTAL = ROOT.parent / "shared" / "faces" / "frontal"
SAMPLE = ROOT / "simulation" / "demo" / "grace_hopper.jpg"


def ms(seconds: float) -> float:
    return round(1000.0 * seconds, 2)


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_analysis(photos: list[Path]) -> dict:
    t = time.perf_counter()
    landmarker.get_landmarker()
    load_s = time.perf_counter() - t
    per_photo, accuracy = [], {}
    for path in photos:
        data = path.read_bytes()
        analyze_image(load_image(data, name=path.name))  # warm
        times = timed(lambda d=data, n=path.name: analyze_image(load_image(d, name=n)), 3)
        per_photo.append(min(times))
        a = analyze_image(load_image(data, name=path.name))
        b = analyze_image(flip_horizontal(load_image(data, name=path.name)))
        mirror = max(abs(a.metrics[k].diff + b.metrics[k].diff) for k in a.metrics)
        recovered = {}
        for side, sign in (("left", 1.0), ("right", -1.0)):
            warped = dataclasses.replace(a.image, rgb=lift_brow(a.image.rgb, a, side, 2.5))
            change = analyze_image(warped).metrics["brow_height_mm"].diff
            recovered[side] = round(sign * (change - a.metrics["brow_height_mm"].diff), 2)
        lid_seen, lids_before = {}, height_difference_mm(a, a, "lid_upper")
        for side, sign in (("left", -1.0), ("right", 1.0)):
            warped = dataclasses.replace(a.image, rgb=drop_upper_lid(a.image.rgb, a, side, 1.0))
            after = height_difference_mm(analyze_image(warped), a, "lid_upper")
            lid_seen[side] = round(sign * (after - lids_before), 2)
        accuracy[path.stem] = {
            "mirror_max_disagreement_mm": round(mirror, 3),
            "brow_lift_2_5mm_recovered_mm": recovered,
            "lid_drop_1mm_recovered_mm": lid_seen,
            "warnings": [w.code for w in a.warnings],
        }
    arr = np.array(per_photo)
    return {
        "photos": len(photos),
        "model_load_ms": ms(load_s),
        "analysis_ms_median": ms(float(np.median(arr))),
        "analysis_ms_p90": ms(float(np.percentile(arr, 90))),
        "per_photo": accuracy,
    }


def bench_simulation() -> dict:
    a = analyze_image(load_image(SAMPLE))
    build = timed(lambda: build_subject(a), 3)
    s = build_subject(a)
    plan = parse_plan(
        {
            "product": "ona",
            "injections": [{"site": "glabella_procerus", "units": 4}]
            + [{"site": f"corrugator_medial_{x}", "units": 4} for x in ("left", "right")]
            + [{"site": f"frontalis_lateral_{x}", "units": 2} for x in ("left", "right")],
        }
    )
    day = np.array([14.0])
    expr = s.expression_activation("rest")

    def one_plan_one_day() -> None:
        inh, thick = _effects(s, plan, day, Params())
        delta = _activation_change(s, inh, thick, expr)
        np.tensordot(delta, s.landmark_basis, axes=([-1], [0]))
        from simulation.prediction import _point_metrics

        _point_metrics(s, delta)

    one = timed(one_plan_one_day, 50)
    inh, thick = _effects(s, plan, day, Params())
    delta = _activation_change(s, inh, thick, expr)[0]
    loads = sum(
        d * mechanics.muscle_load(s.model, m, a.mesh.vertices_mm)
        for d, m in zip(delta, s.muscles, strict=True)
    )
    direct = timed(lambda: mechanics.solve_direct(s.model, loads), 5)
    sampled = timed(lambda: predict(s, plan, [14.0], samples=200), 10)
    return {
        "vertices": s.model.n_vertices,
        "muscles": len(s.muscles),
        "basis_build_ms_median": ms(float(np.median(build))),
        "plan_one_day_ms_median": ms(float(np.median(one))),
        "direct_solve_ms_median": ms(float(np.median(direct))),
        "direct_over_basis_ratio": round(float(np.median(direct) / np.median(one)), 1),
        "predict_200_samples_ms_median": ms(float(np.median(sampled))),
    }


def main() -> int:
    photos = sorted(FRONTAL.iterdir()) if FRONTAL.is_dir() else [SAMPLE]
    from benchmarks.suggest_bench import bench_suggest
    from benchmarks.ui_bench import bench_ui

    results = {
        "analysis": bench_analysis(photos),
        "simulation": bench_simulation(),
        "suggestion": bench_suggest(),
        "dashboard": bench_ui(),
    }
    results["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out = ROOT / "benchmarks" / "results.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous.update(results)
    out.write_text(json.dumps(previous, indent=2) + "\n")
    an, sim = results["analysis"], results["simulation"]
    print(
        f"analysis: {an['photos']} photos, median {an['analysis_ms_median']} ms, "
        f"p90 {an['analysis_ms_p90']} ms (target ≤ 40 ms); model load {an['model_load_ms']} ms"
    )
    print(
        f"{'photo':28} {'mirror max mm':>14} {'2.5 mm lift seen L / R':>23} "
        f"{'1 mm lid drop seen L / R':>25}  warnings"
    )
    within, lid_within = [], []
    for name, row in an["per_photo"].items():
        mirror, lift = row["mirror_max_disagreement_mm"], row["brow_lift_2_5mm_recovered_mm"]
        lid = row["lid_drop_1mm_recovered_mm"]
        flagged = {"small_iris", "head_turned"} & set(row["warnings"])
        if not flagged:
            within += [abs(v - 2.5) <= 0.5 for v in lift.values()]
            lid_within += [abs(v - 1.0) <= 0.5 for v in lid.values()]
        seen = f"{lift['left']:.2f} / {lift['right']:.2f}"
        lid_seen = f"{lid['left']:.2f} / {lid['right']:.2f}"
        print(f"{name:28} {mirror:14.3f} {seen:>23} {lid_seen:>25}  {','.join(row['warnings'])}")
    print(
        f"known 2.5 mm brow lift within ±0.5 mm on {sum(within)} of {len(within)} sides, known "
        f"1 mm upper-lid drop on {sum(lid_within)} of {len(lid_within)}, of the photos without "
        "an imprecision warning"
    )
    print(
        f"simulation: basis {sim['basis_build_ms_median']} ms for {sim['vertices']} vertices × "
        f"{sim['muscles']} muscles (≤ 1000); one plan one day {sim['plan_one_day_ms_median']} ms "
        f"(≤ 2); direct solve {sim['direct_solve_ms_median']} ms "
        f"({sim['direct_over_basis_ratio']}× slower); 200 samples "
        f"{sim['predict_200_samples_ms_median']} ms (≤ 100)"
    )
    sg = results["suggestion"]
    print(
        f"suggestion: {sg['photos']} photos, attribution {sg['attribution_ms_median']} ms, "
        f"suggestion {sg['suggestion_ms_median']} ms median (max {sg['suggestion_ms_max']} ms); "
        f"attribution + suggestion p90 {sg['attribution_plus_suggestion_ms_p90']} ms (≤ 1000)"
    )
    ui = results["dashboard"]
    if "skipped" in ui:
        print(f"dashboard: skipped ({ui['skipped']})")
    else:
        cold, warm = ui["first_view_cold_server_s_median"], ui["first_view_warm_server_s_median"]
        edit, n = ui["units_edit_to_after_view_s_median"], ui["repeats"]
        print(
            f"dashboard (Chromium): first before/after view {cold} s on a fresh server, "
            f"{warm} s warm (≤ 5); units edit → updated view {edit} s (≤ 0.5; median of {n})"
        )
    print(f"peak memory {results['peak_memory_mb']} MB; written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
